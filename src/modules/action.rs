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

/// How many times an edit is computed again when the file changed under it.
const EDIT_ATTEMPTS: u32 = 20;

/// Runs an action through its three steps, honouring check mode. An edit whose file changed
/// between probe and write (another run editing it too) starts again from a new probe.
pub(crate) async fn drive<A: Action>(action: A, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let mut attempt = 1;
    loop {
        match drive_once(&action, cx).await {
            Err(ModuleError::Conflict(_)) if attempt < EDIT_ATTEMPTS => attempt += 1,
            done => return done,
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
