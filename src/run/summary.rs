//! What a run ended with: per-host totals and one overall outcome. The command line turns the
//! outcome into an exit code (`cli::exit`); a server reports it as it is.

use serde::Serialize;

use crate::event::Recap;

/// How a run ended, worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Stopped on request (Ctrl-C, SIGTERM, a cancelled job).
    Interrupted,
    /// At least one host could not be reached.
    Unreachable,
    /// A task failed on at least one host.
    Failed,
    Ok,
}

impl RunOutcome {
    /// The outcome of a run with these totals.
    pub fn of(recap: &[Recap], interrupted: bool) -> RunOutcome {
        if interrupted {
            RunOutcome::Interrupted
        } else if recap.iter().any(|r| r.unreachable > 0) {
            RunOutcome::Unreachable
        } else if recap.iter().any(|r| r.failed > 0) {
            RunOutcome::Failed
        } else {
            RunOutcome::Ok
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub recap: Vec<Recap>,
    pub outcome: RunOutcome,
    pub elapsed_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(failed: u32, unreachable: u32) -> Recap {
        Recap {
            host: "h".into(),
            failed,
            unreachable,
            ..Recap::default()
        }
    }

    #[test]
    fn the_worst_outcome_wins() {
        assert_eq!(RunOutcome::of(&[], false), RunOutcome::Ok);
        assert_eq!(RunOutcome::of(&[host(0, 0)], false), RunOutcome::Ok);
        assert_eq!(
            RunOutcome::of(&[host(1, 0), host(0, 0)], false),
            RunOutcome::Failed
        );
        assert_eq!(
            RunOutcome::of(&[host(1, 0), host(0, 1)], false),
            RunOutcome::Unreachable
        );
        assert_eq!(RunOutcome::of(&[host(1, 1)], true), RunOutcome::Interrupted);
    }
}
