//! `set_fact`: set host variables from now on (above task vars, below `-e`).

use crate::modules::def::ModuleDef;
use crate::modules::spec::ModuleSpec;
use crate::modules::{Args, Outcome};

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[],
    free_form: true,
    one_of: &[],
    exclusive: &[],
};

pub fn run(args: &Args) -> Outcome {
    let mut o = Outcome::ok();
    for (k, v) in args.values() {
        o.facts.insert(k.clone(), v.clone());
    }
    o
}

pub const DEF: ModuleDef = ModuleDef::new("set_fact", &SPEC, |args, _| {
    Box::pin(async move { Ok(run(args)) })
})
.on_controller();
