//! `template`: render a Jinja template from the controller and put it on the host.

use crate::modules::action::drive;
use crate::modules::attrs::Attrs;
use crate::modules::content::EnsureContent;
use crate::modules::def::{ModuleDef, SourceKind};
use crate::modules::spec::{ArgType, GROUP, MODE, ModuleSpec, OWNER, req};
use crate::modules::{Args, ModuleCx, ModuleError};
use crate::template::TemplateError;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("src", ArgType::Str),
    req("dest", ArgType::Str),
    MODE,
    OWNER,
    GROUP,
]);

pub async fn new(args: &Args, cx: &ModuleCx<'_>) -> Result<EnsureContent, ModuleError> {
    let src = args.str("src")?;
    let path = cx.find_source(&src, SourceKind::Template)?;
    let rendered = cx.templates.render_file(&path, cx.vars).map_err(|e| {
        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        TemplateError {
            message: format!("template `{}{line}`: {}", path.display(), e.message),
            ..e
        }
    })?;
    Ok(EnsureContent {
        dest: args.str("dest")?,
        content: rendered.into_bytes(),
        attrs: Attrs::from_args(args)?,
        into_dir: None,
    })
}

pub const DEF: ModuleDef = ModuleDef::new("template", &SPEC, |args, cx| {
    Box::pin(async move { drive(new(args, cx).await?, cx).await })
})
.source("src", SourceKind::Template)
.read_ahead(&["dest"], crate::modules::content::reads);
