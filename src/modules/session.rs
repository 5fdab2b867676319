//! A host pipeline's session: every command a module runs on a host goes through it (counted),
//! and it holds the probes read ahead. Before a run of tasks that only read the host until
//! they decide to change it, the executor asks what each will probe (`executor/read_ahead.rs`)
//! and the session reads all of it in one round trip; a task then finds its probe here.
//! Anything that may change the host (an apply, a command) empties the store first, so a task
//! never decides on a state older than the last change made through this host's pipeline.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::path_state::{self, PathQuery, PathState};
use crate::connection::{Become, Connection, ConnectionError, ExecOutput};

/// The probes of the tasks that come next, to read along with a command that may change the
/// host (see [`HostSession::exec_change`]).
#[derive(Clone, Debug)]
pub struct ReadAheadPlan {
    pub host: String,
    pub sudo: Option<Become>,
    pub tasks: Vec<usize>,
    pub queries: Vec<PathQuery>,
}

/// How much probing a read-ahead takes on at most, in bytes of path names: a script is one
/// argument of `sh -c` (with `sudo` or the local connection), which Linux caps at 128 KiB,
/// and the probe script names each path up to three times.
pub const READ_AHEAD_BYTES: usize = 16 * 1024;

/// How many tasks a read-ahead covers: few after a change (what follows a change often
/// changes too, and each change would make the probes of the rest worthless), twice as many
/// each time the previous read-ahead was used up without a change.
pub const READ_AHEAD_TASKS: std::ops::RangeInclusive<usize> = 8..=256;

/// A script and the probes riding along stay under this size, for the same reason.
const MAX_COMBINED: usize = 96 * 1024;

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
    /// Emptied by a (possible) change since the last read-ahead.
    changed: bool,
}

/// One host pipeline's read-ahead probes and its count of remote commands.
#[derive(Default)]
pub struct HostSession {
    /// The host whose pipeline this is.
    host: String,
    registry: Weak<Sessions>,
    store: Mutex<Store>,
    next: Mutex<Option<ReadAheadPlan>>,
    commands: AtomicU32,
}

/// Every host pipeline's read-ahead in a run: a change made on a host from another host's
/// pipeline (`delegate_to`) empties that host's read-ahead too.
#[derive(Default)]
pub struct Sessions {
    hosts: Mutex<HashMap<String, Weak<HostSession>>>,
}

impl Sessions {
    /// The read-ahead of `host`'s pipeline (one per host and play).
    pub fn join(self: &Arc<Self>, host: &str) -> Arc<HostSession> {
        let p = Arc::new(HostSession {
            host: host.to_string(),
            registry: Arc::downgrade(self),
            ..HostSession::default()
        });
        self.hosts
            .lock()
            .expect("the registry lock is never poisoned")
            .insert(host.to_string(), Arc::downgrade(&p));
        p
    }

    fn invalidate(&self, host: &str) {
        let peer = self
            .hosts
            .lock()
            .expect("the registry lock is never poisoned")
            .get(host)
            .and_then(Weak::upgrade);
        if let Some(p) = peer {
            p.invalidate();
        }
    }
}

impl HostSession {
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
        s.changed = true;
    }

    /// Whether a change emptied the store since the last read-ahead (else it ran out).
    pub fn emptied_by_change(&self) -> bool {
        self.store().changed
    }

    /// The state read ahead for `q` through `conn` as `sudo`, if any; holding only what `q`
    /// asks for, as a probe of its own would.
    pub fn lookup(&self, conn: &str, sudo: Option<&Become>, q: &PathQuery) -> Option<PathState> {
        let s = self.store();
        let (host, with) = s.key.as_ref()?;
        if host != conn || with.as_ref() != sudo {
            return None;
        }
        let (_, state) = s.states.iter().find(|(have, _)| have.covers(q))?;
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
    pub fn set_next(&self, plan: Option<ReadAheadPlan>) {
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
        self.forget(conn.host());
        let plan = self
            .next
            .lock()
            .expect("the plan lock is never poisoned")
            .clone()
            .filter(|p| p.host == conn.host() && p.sudo.as_ref() == sudo);
        let Some(plan) = plan else {
            return self.exec(conn, script, stdin, sudo).await;
        };
        let probes = path_state::script(&plan.queries);
        if script.len() + probes.len() > MAX_COMBINED {
            return self.exec(conn, script, stdin, sudo).await;
        }
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
            "{body}\n__eov_rc=$?\nset +eC\nprintf '\\n%s\\n' {mark}\n{{\n{probes}\n}} 2>/dev/null\nexit $__eov_rc\n"
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

    /// Forgets what was read ahead by this pipeline, and by `host`'s if it is another (a
    /// change made there through `delegate_to`).
    pub fn forget(&self, host: &str) {
        self.invalidate();
        if host != self.host
            && let Some(registry) = self.registry.upgrade()
        {
            registry.invalidate(host);
        }
    }

    /// Runs a script after which nothing read now would still hold, once it takes effect (a
    /// reboot, which happens after the command returns): what was read ahead is forgotten, as
    /// for any change, and the next tasks' probes do not ride along.
    pub async fn exec_change_alone(
        &self,
        conn: &Connection,
        script: &str,
        sudo: Option<&Become>,
    ) -> Result<ExecOutput, ConnectionError> {
        self.forget(conn.host());
        self.exec(conn, script, None, sudo).await
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
        s.changed = false;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{Cancel, Local};

    fn local(host: &str) -> Connection {
        Connection::Local(Local::new(host, "root", Cancel::default()))
    }

    #[tokio::test]
    async fn a_change_from_another_pipeline_empties_the_read_ahead() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f").to_str().unwrap().to_string();
        let q = PathQuery::new(&path, true, false);
        let registry = Arc::new(Sessions::default());
        let (h1, h2) = (registry.join("h1"), registry.join("h2"));
        let on_h2 = local("h2");
        h2.load(&on_h2, None, vec![7], vec![q.clone()])
            .await
            .unwrap();
        assert!(h2.covers(7));
        assert_eq!(
            h2.lookup("h2", None, &q).map(|s| s.kind),
            Some(path_state::PathKind::Absent)
        );
        assert!(h2.lookup("h1", None, &q).is_none(), "another connection");

        // h1's pipeline, delegating to h2, writes the file.
        let out = h1
            .exec_change(
                &on_h2,
                &format!("echo x > {path}"),
                None,
                None,
                Origin::User,
            )
            .await
            .unwrap();
        assert!(out.success());
        assert!(!h2.covers(7));
        assert!(h2.lookup("h2", None, &q).is_none());
        assert_eq!(h1.commands(), 1);
        assert_eq!(h2.commands(), 1);
    }

    #[tokio::test]
    async fn probes_ride_along_without_touching_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f").to_str().unwrap().to_string();
        let q = PathQuery::new(&path, true, false);
        let p = Arc::new(Sessions::default()).join("h");
        let conn = local("h");
        p.set_next(Some(ReadAheadPlan {
            host: "h".into(),
            sudo: None,
            tasks: vec![3],
            queries: vec![q.clone()],
        }));
        let out = p
            .exec_change(
                &conn,
                &format!("printf 'no newline'; echo oops >&2; printf x > {path}; exit 5"),
                None,
                None,
                Origin::User,
            )
            .await
            .unwrap();
        assert_eq!(out.status, Some(5));
        assert_eq!(out.stdout, b"no newline");
        assert_eq!(out.stderr, b"oops\n");
        let st = p.lookup("h", None, &q).expect("read along with the change");
        assert_eq!(
            st.sha256.as_deref(),
            Some(path_state::sha256_hex(b"x").as_str())
        );
        assert!(p.covers(3));
        assert_eq!(p.commands(), 1);
    }

    #[tokio::test]
    async fn a_change_alone_reads_nothing_along_and_forgets_what_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f").to_str().unwrap().to_string();
        let q = PathQuery::new(&path, true, false);
        let p = Arc::new(Sessions::default()).join("h");
        let conn = local("h");
        p.load(&conn, None, vec![1], vec![q.clone()]).await.unwrap();
        assert!(p.covers(1));
        p.set_next(Some(ReadAheadPlan {
            host: "h".into(),
            sudo: None,
            tasks: vec![2],
            queries: vec![q.clone()],
        }));
        let out = p
            .exec_change_alone(&conn, &format!("printf x > {path}; echo done"), None)
            .await
            .unwrap();
        assert_eq!(out.stdout, b"done\n");
        assert!(!p.covers(1) && !p.covers(2));
        assert!(p.lookup("h", None, &q).is_none());
        assert!(p.emptied_by_change());
    }
}
