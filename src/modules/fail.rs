//! `fail`: stop the host with a message.

use super::spec::{ArgType, ModuleSpec, opt};
use super::{Args, ModuleError, Outcome};

pub const SPEC: ModuleSpec = ModuleSpec::new(&[opt("msg", ArgType::Str)]);

pub fn run(args: &Args) -> Result<Outcome, ModuleError> {
    Err(ModuleError::Failed(
        args.str_or("msg", "failed as requested")?,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn always_fails() {
        assert!(super::run(&super::Args::default()).is_err());
    }
}
