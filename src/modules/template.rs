//! `template`: render a Jinja template from the controller and put it on the host.

use super::attrs::Attrs;
use super::content::EnsureContent;
use super::spec::{ArgType, GROUP, MODE, ModuleSpec, OWNER, req};
use super::{Args, ModuleCx, ModuleError};
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
    let path = cx.find_source(&src, "templates")?;
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
    })
}
