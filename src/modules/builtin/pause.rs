//! `pause`: wait for a while.

use std::time::Duration;

use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};

pub const SPEC: ModuleSpec = ModuleSpec::new(&[req("duration", ArgType::Duration)]);

pub async fn run(args: &Args, _cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let secs = args.opt_secs("duration")?.unwrap_or(0.0);
    if !(0.0..=86_400.0).contains(&secs) {
        return Err(ModuleError::argument(
            "duration",
            "must be between 0s and 1d",
        ));
    }
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    Ok(Outcome::ok().msg(format!("paused {secs}s")))
}

pub const DEF: ModuleDef =
    ModuleDef::new("pause", &SPEC, |args, cx| Box::pin(run(args, cx))).on_controller();
