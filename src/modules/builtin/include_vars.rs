//! `include_vars`: variables from a YAML (or JSON) file on the controller, from now on, like
//! `set_fact`. With a list, the first file that exists wins (Ansible's `first_found`): the way
//! a role keeps per-OS settings (`vars/{{ facts.os.id }}.yml`, then `vars/default.yml`).

use indexmap::IndexMap;
use minijinja::Value;

use crate::modules::def::{ModuleDef, SourceKind};
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[opt("file", ArgType::Str), opt("first_found", ArgType::List)],
    free_form: false,
    one_of: &[&["file", "first_found"]],
    exclusive: &[("file", "first_found")],
};

pub const DEF: ModuleDef = ModuleDef::new("include_vars", &SPEC, |args, cx| {
    Box::pin(async move { run(args, cx) })
})
.on_controller();

fn run(args: &Args, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let candidates = match args.opt_str("file")? {
        Some(f) => vec![f],
        None => args.str_list("first_found")?,
    };
    let found = candidates
        .iter()
        .find_map(|name| cx.find_source(name, SourceKind::Vars).ok());
    let Some(path) = found else {
        return Err(ModuleError::Usage(format!(
            "none of {} found in {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            crate::modules::context::describe_search(cx.search, SourceKind::Vars)
        )));
    };
    let text = crate::fsutil::read_text(&path).map_err(|e| ModuleError::Local {
        action: "read",
        path: path.display().to_string(),
        error: e.to_string(),
    })?;
    let vars: IndexMap<String, Value> =
        crate::yaml::from_str(&text).map_err(|e| ModuleError::Local {
            action: "read variables from",
            path: path.display().to_string(),
            error: e.to_string(),
        })?;
    let mut o = Outcome::ok().msg(format!(
        "{} variable(s) from {}",
        vars.len(),
        path.display()
    ));
    o.facts = vars;
    Ok(o.data("file", path.display().to_string()))
}
