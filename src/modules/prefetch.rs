//! Probes read ahead: before a run of tasks that only read the host until they decide to
//! change it, the executor asks what each will probe and reads all of it in one round trip.
//! A task then finds its probe here. Anything that may change the host (an apply, a command)
//! empties the store first, so a task never decides on a state older than the last change
//! made through this host's pipeline.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use super::path_state::{self, PathQuery, PathState};
use crate::connection::{Become, Connection, ConnectionError, ExecOutput};

/// The probes of the tasks that come next, to read along with a command that may change the
/// host (see [`Prefetch::exec_change`]).
#[derive(Clone, Debug)]
pub struct Plan {
    pub host: String,
    pub sudo: Option<Become>,
    pub tasks: Vec<usize>,
    pub queries: Vec<PathQuery>,
}

/// Who wrote a script that may change the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A module: a script eov generated.
    Eov,
    /// The text of a `command` / `shell` task.
    User,
}

#[derive(Default)]
struct Store {
    /// The connection (host name) and privileges the probes ran with.
    key: Option<(String, Option<Become>)>,
    /// The tasks whose probes were read ahead.
    tasks: HashSet<usize>,
    states: Vec<(PathQuery, PathState)>,
}

/// One host pipeline's read-ahead probes and its count of remote commands.
#[derive(Default)]
pub struct Prefetch {
    store: Mutex<Store>,
    next: Mutex<Option<Plan>>,
    commands: AtomicU32,
}

impl Prefetch {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store
            .lock()
            .expect("the prefetch lock is never poisoned")
    }

    /// Whether the probes of task `id` were read ahead (and nothing changed since).
    pub fn covers(&self, id: usize) -> bool {
        self.store().tasks.contains(&id)
    }

    /// Forgets everything: the host may be about to change.
    pub fn invalidate(&self) {
        let mut s = self.store();
        s.key = None;
        s.tasks.clear();
        s.states.clear();
    }

    /// The state read ahead for `q` through `conn` as `sudo`, if any; holding only what `q`
    /// asks for, as a probe of its own would.
    pub fn lookup(&self, conn: &str, sudo: Option<&Become>, q: &PathQuery) -> Option<PathState> {
        let s = self.store();
        let (host, with) = s.key.as_ref()?;
        if host != conn || with.as_ref() != sudo {
            return None;
        }
        let (_, state) = s
            .states
            .iter()
            .find(|(have, st)| have.path == q.path && st.answers(have.hash, have.content, q))?;
        let mut state = state.clone();
        if !q.hash {
            state.sha256 = None;
        }
        if !q.content {
            state.content = None;
        }
        Some(state)
    }

    /// What to read along with the current task's changes: the next tasks' probes.
    pub fn set_next(&self, plan: Option<Plan>) {
        *self.next.lock().expect("the plan lock is never poisoned") = plan;
    }

    /// Runs a script that may change the host. What was read ahead is forgotten first; then,
    /// if the next tasks' probes are known, they run in the same round trip right after the
    /// script (its output and status unchanged), so a change costs no extra probe.
    pub async fn exec_change(
        &self,
        conn: &Connection,
        script: &str,
        stdin: Option<&[u8]>,
        sudo: Option<&Become>,
        origin: Origin,
    ) -> Result<ExecOutput, ConnectionError> {
        self.invalidate();
        let plan = self
            .next
            .lock()
            .expect("the plan lock is never poisoned")
            .clone()
            .filter(|p| p.host == conn.host() && p.sudo.as_ref() == sudo);
        let Some(plan) = plan else {
            return self.exec(conn, script, stdin, sudo).await;
        };
        let mark = format!("EOVP{:016x}", crate::shell::random());
        // A user's script keeps a subshell of its own (an `exit`, `cd` or `exec >file` in it
        // stays there); eov's own scripts leave nothing behind but what `set +eC` resets, and
        // an `exit` in them ends the whole command, probes and all, with their status. The
        // probes' complaints are dropped: a task that misses its probe runs it itself.
        let body = match origin {
            Origin::User => format!("(eval {})", crate::shell::quote(script)),
            Origin::Eov => format!("{{\n{script}\n}}"),
        };
        let combined = format!(
            "{body}\n__eov_rc=$?\nset +eC\nprintf '\\n%s\\n' {mark}\n{{\n{}\n}} 2>/dev/null\nexit $__eov_rc\n",
            path_state::script(&plan.queries)
        );
        let mut out = self.exec(conn, &combined, stdin, sudo).await?;
        let needle = format!("\n{mark}\n");
        if let Some(at) = out
            .stdout
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
        {
            let probes = out.stdout.split_off(at);
            self.store_answers(
                conn,
                sudo,
                plan.tasks,
                plan.queries,
                &probes[needle.len()..],
            );
        }
        Ok(out)
    }

    /// Runs a command through `conn`, counted.
    pub async fn exec(
        &self,
        conn: &Connection,
        script: &str,
        stdin: Option<&[u8]>,
        sudo: Option<&Become>,
    ) -> Result<ExecOutput, ConnectionError> {
        self.commands.fetch_add(1, Ordering::Relaxed);
        conn.exec(script, stdin, sudo).await
    }

    /// Reads the probes of `tasks` in one round trip. A path that cannot be read is left out:
    /// its task probes it again and reports why.
    pub async fn load(
        &self,
        conn: &Connection,
        sudo: Option<&Become>,
        tasks: Vec<usize>,
        queries: Vec<PathQuery>,
    ) -> Result<(), ConnectionError> {
        self.invalidate();
        let out = self
            .exec(conn, &path_state::script(&queries), None, sudo)
            .await?;
        if !out.success() {
            return Ok(());
        }
        self.store_answers(conn, sudo, tasks, queries, &out.stdout);
        Ok(())
    }

    fn store_answers(
        &self,
        conn: &Connection,
        sudo: Option<&Become>,
        tasks: Vec<usize>,
        queries: Vec<PathQuery>,
        out: &[u8],
    ) {
        let answers = path_state::parse(out, &queries);
        let mut s = self.store();
        s.key = Some((conn.host().to_string(), sudo.cloned()));
        s.tasks = tasks.into_iter().collect();
        s.states = queries
            .into_iter()
            .zip(answers)
            .filter_map(|(q, a)| a.ok().map(|st| (q, st)))
            .collect();
    }

    /// Remote commands run so far.
    pub fn commands(&self) -> u32 {
        self.commands.load(Ordering::Relaxed)
    }
}
