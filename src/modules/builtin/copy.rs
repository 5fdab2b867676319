//! `copy`: put a local file, or literal content, at a path on the host.

use crate::modules::action::drive;
use crate::modules::attrs::Attrs;
use crate::modules::content::EnsureContent;
use crate::modules::def::{ModuleDef, SourceKind};
use crate::modules::spec::{ArgType, GROUP, MODE, ModuleSpec, OWNER, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError};

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        opt("content", ArgType::Str),
        opt("src", ArgType::Str),
        req("dest", ArgType::Str),
        MODE,
        OWNER,
        GROUP,
    ],
    free_form: false,
    one_of: &[&["content", "src"]],
    exclusive: &[("content", "src")],
};

pub async fn new(args: &Args, cx: &ModuleCx<'_>) -> Result<EnsureContent, ModuleError> {
    let mut dest = args.str("dest")?;
    let mut into_dir = None;
    let content = match (args.opt_str("content")?, args.opt_str("src")?) {
        (Some(text), None) => text.into_bytes(),
        (None, Some(src)) => {
            let path = cx.find_source(&src, SourceKind::File)?;
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
            if dest.ends_with('/') {
                dest.push_str(name);
            } else {
                into_dir = Some(name.to_string());
            }
            tokio::fs::read(&path)
                .await
                .map_err(|e| ModuleError::Local {
                    action: "read",
                    path: path.display().to_string(),
                    error: e.to_string(),
                })?
        }
        _ => {
            return Err(ModuleError::Usage(
                "give exactly one of `content` and `src`".into(),
            ));
        }
    };
    Ok(EnsureContent {
        dest,
        content,
        attrs: Attrs::from_args(args)?,
        into_dir,
    })
}

pub const DEF: ModuleDef = ModuleDef::new("copy", &SPEC, |args, cx| {
    Box::pin(async move { drive(new(args, cx).await?, cx).await })
})
.source("src", SourceKind::File)
.read_ahead(&["dest"], crate::modules::content::reads);
