//! `pause`: wait for a while.

use std::time::Duration;

use super::spec::{ArgType, ModuleSpec, req};
use super::{Args, ModuleCx, ModuleError, Outcome};

pub const SPEC: ModuleSpec = ModuleSpec::new(&[req("duration", ArgType::Duration)]);

pub async fn run(args: &Args, _cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let secs = args.opt_secs("duration")?.unwrap_or(0.0);
    if !(0.0..=86_400.0).contains(&secs) {
        return Err(ModuleError::Failed(
            "argument `duration` must be between 0s and 1d".into(),
        ));
    }
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    Ok(Outcome::ok().msg(format!("paused {secs}s")))
}
