//! The contract every module follows: probe (read-only) -> decide -> apply.
//!
//! Check mode stops after `decide`, so a dry run can never change a host.

use super::{ModuleCx, ModuleError, Outcome};

/// What `decide` concluded.
pub(crate) enum Decision<C> {
    /// Nothing to do; the outcome says what was found.
    Keep(Outcome),
    /// A change is needed: what `apply` will do, and the outcome to report (diff included).
    Change(C, Outcome),
    /// Work that does not change managed state (an apt cache refresh): done in a real run,
    /// skipped in check mode, reported ok either way.
    Quiet(C, Outcome),
}

pub(crate) trait Action: Sized {
    type State;
    type Change;

    /// Reads the current state; must not modify anything.
    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Self::State, ModuleError>;

    /// Compares the state with what is wanted.
    fn decide(
        &self,
        state: Self::State,
        cx: &ModuleCx<'_>,
    ) -> Result<Decision<Self::Change>, ModuleError>;

    /// Makes the change; `planned` is the outcome `decide` reported.
    async fn apply(
        &self,
        change: Self::Change,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError>;
}

/// Runs an action through its three steps, honouring check mode. An edit refused because the
/// file changed since the probe (another run) starts again from a fresh probe, a few times.
pub(crate) async fn drive<A: Action>(action: A, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let mut attempts: u64 = 0;
    loop {
        attempts += 1;
        match drive_once(&action, cx).await {
            Err(ModuleError::Conflict(_)) if attempts < 8 => {
                // What was read ahead is stale now.
                cx.session.invalidate();
                let pause = 20 * attempts + crate::shell::random() % 50;
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            other => return other,
        }
    }
}

async fn drive_once<A: Action>(action: &A, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let state = action.probe(cx).await?;
    match action.decide(state, cx)? {
        Decision::Keep(outcome) => Ok(outcome),
        Decision::Change(change, mut planned) => {
            planned.changed = true;
            if cx.check {
                return Ok(planned);
            }
            let mut done = action.apply(change, planned, cx).await?;
            done.changed = true;
            Ok(done)
        }
        Decision::Quiet(change, planned) => {
            if cx.check {
                return Ok(planned);
            }
            action.apply(change, planned, cx).await
        }
    }
}
