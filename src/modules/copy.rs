//! `copy`: put a local file, or literal content, at a path on the host.

use super::attrs::Attrs;
use super::content::EnsureContent;
use super::spec::{ArgType, GROUP, MODE, ModuleSpec, OWNER, opt, req};
use super::{Args, ModuleCx, ModuleError};

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
    let content = match (args.opt_str("content")?, args.opt_str("src")?) {
        (Some(text), None) => text.into_bytes(),
        (None, Some(src)) => {
            let path = cx.find_source(&src, "files")?;
            if dest.ends_with('/') {
                dest.push_str(path.file_name().and_then(|n| n.to_str()).unwrap_or("file"));
            }
            tokio::fs::read(&path).await.map_err(|e| {
                ModuleError::Failed(format!("cannot read `{}`: {e}", path.display()))
            })?
        }
        _ => {
            return Err(ModuleError::Failed(
                "give exactly one of `content` and `src`".into(),
            ));
        }
    };
    Ok(EnsureContent {
        dest,
        content,
        attrs: Attrs::from_args(args)?,
    })
}
