//! `debug`: print a message or a variable's value.

use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleError, Outcome};

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[opt("msg", ArgType::Any), opt("var", ArgType::Any)],
    free_form: false,
    one_of: &[&["msg", "var"]],
    exclusive: &[("msg", "var")],
};

pub fn run(args: &Args) -> Result<Outcome, ModuleError> {
    let value = args
        .get("msg")
        .or_else(|| args.get("var"))
        .cloned()
        .unwrap_or_default();
    let text = match value.as_str() {
        Some(s) => s.to_string(),
        None => serde_json::to_string(&value).unwrap_or_else(|_| value.to_string()),
    };
    Ok(Outcome::ok().msg(text).data("msg", value))
}

pub const DEF: ModuleDef =
    ModuleDef::new("debug", &SPEC, |args, _| Box::pin(async move { run(args) }))
        .on_controller()
        .inert();
