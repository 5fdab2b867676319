//! Read-ahead planning: which tasks' probes a host pipeline reads in one round trip before
//! they run, and which ride along with the current task's change. The session
//! (`modules/session.rs`) holds what was read; each module's definition says what it reads.

use super::host::HostRun;
use crate::modules::ReadMode;
use crate::modules::session::{READ_AHEAD_BYTES, READ_AHEAD_TASKS, ReadAheadPlan};
use crate::program::Step;
use crate::vars::to_value;

impl HostRun {
    /// Reads ahead the probes of the tasks that start `steps` and only read the host before
    /// they decide (file, copy, template, lineinfile, stat, a command's `creates`...), so that
    /// on a host already in shape they cost one round trip between them.
    pub(super) async fn read_ahead(&mut self, steps: &[Step]) {
        let Some(Step::Task(first)) = steps.first() else {
            return;
        };
        // A controller-only task needs no probe; the next task that does reads ahead.
        if self.session.covers(first.id) || first.module.runs_on_controller() {
            return;
        }
        self.window = if self.session.emptied_by_change() {
            *READ_AHEAD_TASKS.start()
        } else {
            (self.window * 2).clamp(*READ_AHEAD_TASKS.start(), *READ_AHEAD_TASKS.end())
        };
        let Some(plan) = self.plan(steps, self.window) else {
            return;
        };
        let Ok(conn) = self.s.connections.get(&self.host).await else {
            return;
        };
        // A failure here is the next task's to report, when it runs its own probe.
        let _ = self
            .session
            .load(&conn, plan.sudo.as_ref(), plan.tasks, plan.queries)
            .await;
    }

    /// The probes of the tasks that start `steps`, up to the first that may change the host
    /// before it probes, or whose inputs are not known yet (a result registered before it).
    pub(super) fn plan(&mut self, steps: &[Step], window: usize) -> Option<ReadAheadPlan> {
        if !self.s.options.read_ahead {
            return None;
        }
        let mut key = None;
        let (mut tasks, mut queries, mut budget) = (Vec::new(), Vec::new(), 0);
        for step in steps {
            let Step::Task(t) = step else { break };
            if t.looping.is_some() || t.delegate_to.is_some() || t.run_once {
                break;
            }
            if t.module.runs_on_controller() {
                // debug, assert and fail leave everything as it was; set_fact and pause do not.
                if t.module.is_inert() {
                    continue;
                }
                break;
            }
            let Ok(ctx) = self.context(Some(t), &[]) else {
                break;
            };
            let Ok(sudo) = self.become_for(t, &ctx) else {
                break;
            };
            if key.get_or_insert_with(|| sudo.clone()) != &sudo {
                break;
            }
            let only = Some(t.module.read_ahead_args());
            let Ok(args) = self.render_args(t, &to_value(&ctx), only) else {
                break;
            };
            let mode = ReadMode {
                diff: self.s.options.diff,
            };
            // A module that may change the host before it probes, or whose reads are not
            // known yet, ends the read-ahead.
            let Some(q) = t.module.reads(&args, mode) else {
                break;
            };
            budget += q.iter().map(|q| q.path.len() + 16).sum::<usize>();
            if budget > READ_AHEAD_BYTES || tasks.len() == window {
                break;
            }
            tasks.push(t.id);
            queries.extend(q);
        }
        if queries.is_empty() {
            return None;
        }
        Some(ReadAheadPlan {
            host: self.host.clone(),
            sudo: key.flatten(),
            tasks,
            queries,
        })
    }
}
