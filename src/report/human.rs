//! Human output: one line per task result, unified diffs with `--diff`, a recap per host.

use std::fmt::Write as _;

use crate::event::{Event, Status, TaskResult};

pub(super) struct Human {
    verbose: u8,
    diff: bool,
}

impl Human {
    pub(super) fn new(verbose: u8, diff: bool) -> Self {
        Human { verbose, diff }
    }

    pub(super) fn render(&mut self, event: &Event) -> String {
        let mut s = String::new();
        match event {
            Event::RunStarted { check, .. } => {
                if *check {
                    s.push_str("CHECK MODE: nothing will be changed\n");
                }
            }
            Event::PlayStarted { play, hosts } if hosts.is_empty() => {
                let _ = writeln!(s, "\nPLAY {play}: no host to run on, skipped");
            }
            Event::PlayStarted { play, hosts } => {
                let _ = writeln!(s, "\nPLAY {play} [{}]", hosts.join(", "));
            }
            Event::Resuming(r) if r.found => {
                let _ = writeln!(
                    s,
                    "RESUME from {}: {} task result(s) of the interrupted run, {} handler(s) it left pending",
                    r.journal, r.tasks, r.handlers
                );
            }
            Event::Resuming(r) => {
                let _ = writeln!(
                    s,
                    "RESUME: no journal {} (the last run of this play succeeded, or none ran): every task runs",
                    r.journal
                );
            }
            Event::JournalFailed { journal, reason } => {
                let _ = writeln!(s, "warning: journal {journal}: {reason}");
            }
            Event::Task(t) => self.task(t, &mut s),
            Event::HostLeft { host, reason, .. } => {
                let reason = super::text::shorten_lines(reason, super::text::MAX_MESSAGE);
                let _ = writeln!(s, "{:<12}{host} | leaves the run: {reason}", "LEFT");
            }
            Event::Retrying {
                host,
                task,
                attempt,
                of,
                msg,
                ..
            } if shown_retry(*attempt) => {
                let _ = write!(
                    s,
                    "{:<12}{host} | {task}: attempt {attempt} of {of}",
                    "waiting"
                );
                if let Some(msg) = msg {
                    let _ = write!(s, ": {}", msg.trim_end());
                }
                s.push('\n');
            }
            Event::RunStopped { play, reason } => {
                let _ = writeln!(
                    s,
                    "\nSTOPPED after play {play}: {reason}; no later play runs"
                );
            }
            Event::Retrying { .. } | Event::PlayFinished { .. } => {}
            Event::RunFinished {
                recap,
                elapsed_ms,
                journal,
                ..
            } => {
                let width = recap.iter().map(|r| r.host.len()).max().unwrap_or(0);
                // Only a resumed run has the column: other recaps read as they always did.
                let resumed = recap.iter().any(|r| r.resumed > 0);
                s.push_str("\nRECAP\n");
                for r in recap {
                    let _ = write!(
                        s,
                        "{:<width$}  ok={:<3} changed={:<3} failed={:<3} skipped={:<3} unreachable={:<3} ignored={:<3} rescued={}",
                        r.host,
                        r.ok,
                        r.changed,
                        r.failed,
                        r.skipped,
                        r.unreachable,
                        r.ignored,
                        r.rescued
                    );
                    if resumed {
                        let _ = write!(s, " resumed={}", r.resumed);
                    }
                    s.push('\n');
                }
                #[expect(clippy::cast_precision_loss, reason = "a duration for humans")]
                let secs = *elapsed_ms as f64 / 1000.0;
                let _ = writeln!(s, "elapsed {secs:.2}s");
                if let Some(j) = journal {
                    let _ = writeln!(
                        s,
                        "journal {j}: `eov run --resume` with the same play skips what succeeded"
                    );
                }
            }
        }
        s
    }

    fn task(&self, t: &TaskResult, s: &mut String) {
        if t.loop_summary {
            return;
        }
        let word = if t.handler {
            format!("{}*", t.status.word())
        } else {
            t.status.word().to_string()
        };
        let _ = write!(s, "{word:<12}{} | {}", t.host, t.task);
        if let Some(item) = &t.item {
            let _ = write!(s, " (item={item})");
        }
        if let Some(d) = &t.delegated_to {
            let _ = write!(s, " -> {d}");
        }
        if let Some(n) = t.attempts {
            let _ = write!(s, " [{n} attempts]");
        }
        if let Some(msg) = &t.msg {
            let msg = super::text::shorten_lines(msg.trim_end(), super::text::MAX_MESSAGE);
            let _ = write!(s, ": {msg}");
        }
        s.push('\n');
        let failed = matches!(t.status, Status::Failed | Status::Ignored);
        if self.verbose > 0 || failed {
            for (name, text) in [("stdout", &t.stdout), ("stderr", &t.stderr)] {
                if let Some(text) = text {
                    let _ = writeln!(s, "  {name}:");
                    for line in text.lines() {
                        let _ = writeln!(s, "    {line}");
                    }
                }
            }
        }
        if self.diff {
            for d in &t.diffs {
                for a in &d.attrs {
                    let _ = writeln!(
                        s,
                        "  {} {}: {} -> {}",
                        d.path,
                        a.name,
                        if a.before.is_empty() { "-" } else { &a.before },
                        a.after
                    );
                }
                if let Some(note) = &d.note {
                    let _ = writeln!(s, "  {}: {note}", d.path);
                }
                if let Some(u) = d.unified() {
                    s.push_str(&u);
                    if !u.ends_with('\n') {
                        s.push('\n');
                    }
                }
            }
        }
    }
}

/// Which failed `until` attempts get a line: the first ones often, then more and more rarely
/// (1, 2, 4, ... 64, then every 100th), so that a wait of hours stays readable.
fn shown_retry(attempt: u32) -> bool {
    (attempt.is_power_of_two() && attempt <= 64) || attempt.is_multiple_of(100)
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_are_shown_more_and_more_rarely() {
        let shown: Vec<u32> = (1..=400).filter(|a| super::shown_retry(*a)).collect();
        assert_eq!(shown, [1, 2, 4, 8, 16, 32, 64, 100, 200, 300, 400]);
    }
}
