//! `fail`: stop the host with a message.

use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleError, Outcome};

pub const SPEC: ModuleSpec = ModuleSpec::new(&[opt("msg", ArgType::Str)]);

pub fn run(args: &Args) -> Result<Outcome, ModuleError> {
    Err(ModuleError::Requested(
        args.str_or("msg", "failed as requested")?,
    ))
}

pub const DEF: ModuleDef =
    ModuleDef::new("fail", &SPEC, |args, _| Box::pin(async move { run(args) }))
        .on_controller()
        .inert();

#[cfg(test)]
mod tests {
    #[test]
    fn always_fails() {
        assert!(super::run(&super::Args::default()).is_err());
    }
}
