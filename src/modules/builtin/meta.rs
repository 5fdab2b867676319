//! `meta`: a directive to the executor about this host's pipeline, as Ansible's `meta`:
//! `flush_handlers` runs the handlers notified so far now (instead of at the end of the play),
//! `end_host` ends the play for this host without failing it.

use crate::modules::choice::choice;
use crate::modules::def::ModuleDef;
use crate::modules::outcome::Directive;
use crate::modules::spec::{ArgType, ModuleSpec, req};
use crate::modules::{Args, ModuleError, Outcome};

choice!(
    /// What the executor is asked to do.
    MetaAction {
        FlushHandlers = "flush_handlers",
        EndHost = "end_host",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec::new(&[req("action", ArgType::Choice(MetaAction::NAMES))]);

pub const DEF: ModuleDef =
    ModuleDef::new("meta", &SPEC, |args, _| Box::pin(async move { run(args) })).on_controller();

fn run(args: &Args) -> Result<Outcome, ModuleError> {
    let mut o = Outcome::ok();
    o.directive = Some(match args.pick("action", MetaAction::FlushHandlers)? {
        MetaAction::FlushHandlers => Directive::FlushHandlers,
        MetaAction::EndHost => Directive::EndHost,
    });
    Ok(o)
}
