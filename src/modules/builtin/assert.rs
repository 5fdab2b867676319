//! `assert`: every expression in `that` must hold.

use minijinja::Value;

use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("that", ArgType::ExprList),
    opt("fail_msg", ArgType::Str),
    opt("success_msg", ArgType::Str),
]);

pub fn run(args: &Args, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let that = match args.get("that") {
        Some(v) if v.as_str().is_some() => vec![v.as_str().unwrap_or_default().to_string()],
        Some(v) => v
            .try_iter()
            .map_err(|_| ModuleError::argument("that", "must be a list of expressions"))?
            .map(|e: Value| {
                e.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string())
            })
            .collect(),
        None => Vec::new(),
    };
    for expr in &that {
        // An expression that cannot be evaluated (an undefined field) fails the assertion, as
        // in Ansible; in check mode after a result only a real run can know (a package not
        // installed yet), the executor then lets a real run decide.
        let holds = cx
            .templates
            .truth(expr, cx.vars)
            .map_err(|e| ModuleError::Assertion(e.to_string()))?;
        if !holds {
            let msg = args
                .opt_str("fail_msg")?
                .unwrap_or_else(|| format!("assertion failed: `{expr}`"));
            return Err(ModuleError::Assertion(msg));
        }
    }
    Ok(Outcome::ok().msg(args.str_or("success_msg", "all assertions passed")?))
}

pub const DEF: ModuleDef = ModuleDef::new("assert", &SPEC, |args, cx| {
    Box::pin(async move { run(args, cx) })
})
.on_controller()
.inert();
