//! The connection pool through the library's run API (what `eov serve` gives it), on a lab
//! node: a cancelled run leaves a connection the next run can use, runs at once on one host
//! get a connection each and one's cancel does not stop the other, a reboot replaces the
//! pooled connection; and figures (printed, never asserted): a second run with and without
//! the pool.

use std::time::{Duration, Instant};

use eov::connection::{Cancel, ConnectionPool, PoolSettings};
use eov::event::Event;
use eov::run::{RunOutcome, RunRequest, prepare};

use crate::lab::Lab;
use crate::support::Test;

/// Runs `play` (a file in `t`) on `t`'s `hosts` with `pool`; the outcome, the events and the time.
async fn run(
    t: &Test,
    play: &str,
    vars: &[(&str, &str)],
    pool: Option<ConnectionPool>,
    cancel: Cancel,
) -> (RunOutcome, Vec<Event>, Duration) {
    let mut r = RunRequest {
        play: t.path().join(play),
        ..RunRequest::default()
    };
    r.options.workdir = t.path().to_path_buf();
    r.inventory.paths = vec![t.path().join("hosts")];
    r.options.ssh.pool = pool;
    for (k, v) in vars {
        r.extra_vars
            .insert((*k).to_string(), minijinja::Value::from(*v));
    }
    let start = Instant::now();
    let prepared = prepare(r).expect("the play is valid");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let summary = prepared.execute(tx, cancel).await;
    let took = start.elapsed();
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (summary.outcome, events, took)
}

fn lab_with_hosts(tag: &str) -> (Lab, Test) {
    let lab = Lab::up(1, tag);
    let t = Test::new();
    t.file("hosts", &format!("{}\n", lab.line(1, "eov_user=root")));
    (lab, t)
}

/// Records the run's SSH connection (sshd's `$SSH_CONNECTION`: the controller's source port
/// second), then sleeps `{{ sleep }}`.
const RECORD: &str = r#"play "record" on "h1" {
  task "record" { shell { cmd = "echo \"{{ n }} $SSH_CONNECTION\" >> /root/runs" } }
  task "work" { shell { cmd = "sleep {{ sleep }}" } }
}
"#;

/// Run name -> the controller's source port it ran with.
fn ports(lab: &Lab) -> std::collections::HashMap<String, String> {
    lab.sh(1, "cat /root/runs")
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[0].to_string(), w[2].to_string())
        })
        .collect()
}

#[test]
fn cancelling_one_run_stops_only_its_commands_and_its_connection_serves_the_next_run() {
    if !crate::lab::available("cancelling_one_run_stops_only_its_commands") {
        return;
    }
    let (lab, t) = lab_with_hosts("poolcan");
    t.file("record.eov", RECORD);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let pool = ConnectionPool::new(PoolSettings::default());
        // A and B at once on one host: each its own connection; B is cancelled mid-sleep.
        let cancel_b = Cancel::default();
        let a = run(
            &t,
            "record.eov",
            &[("n", "a"), ("sleep", "3")],
            Some(pool.clone()),
            Cancel::default(),
        );
        let b = run(
            &t,
            "record.eov",
            &[("n", "b"), ("sleep", "30")],
            Some(pool.clone()),
            cancel_b.clone(),
        );
        let stop_b = async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            cancel_b.cancel();
        };
        let ((a, a_events, _), (b, _, b_took), ()) = tokio::join!(a, b, stop_b);
        assert!(matches!(a, RunOutcome::Ok), "{a_events:?}");
        assert!(matches!(b, RunOutcome::Interrupted), "{b:?}");
        assert!(
            b_took < Duration::from_secs(20),
            "B was not stopped: {b_took:?}"
        );
        assert_eq!(pool.idle(), 2, "both connections came back");
        // B's remote sleep was stopped, A's ran to its end (A recorded and finished).
        assert_eq!(
            lab.sh(1, "ps -eo args | grep -c '^sleep 30$' || true")
                .trim(),
            "0"
        );
        let first = ports(&lab);
        assert_ne!(
            first["a"], first["b"],
            "one connection shared by two runs at once"
        );
        // The next runs take the pooled connections, the cancelled run's too.
        for n in ["c", "d"] {
            let (c, events, _) = run(
                &t,
                "record.eov",
                &[("n", n), ("sleep", "0")],
                Some(pool.clone()),
                Cancel::default(),
            )
            .await;
            assert!(matches!(c, RunOutcome::Ok), "{events:?}");
        }
        let all = ports(&lab);
        // Each takes the most recently returned connection: both on the same pooled one.
        assert!(all["c"] == first["a"] || all["c"] == first["b"], "{all:?}");
        assert_eq!(all["d"], all["c"], "{all:?}");
        pool.close().await;
    });
}

/// A join-like play: a few tasks on the node, each a round trip or two.
const JOIN_LIKE: &str = r#"play "join-like" on "h1" {
  task "probe" { shell { cmd = "test -d /root" } }
  task "a file" { copy { content = "joined\n", dest = "/root/pool-figures" } }
  task "record" { shell { cmd = "echo ok >> /root/pool-figures-log" } }
}
"#;

/// Figures, printed (`--nocapture`): a second run of a join-like play on a known node through
/// the run API, with a new connection (no pool, as `eov run`) and with the pooled one.
#[test]
fn figures_a_second_run_with_and_without_the_pool() {
    if !crate::lab::available("figures_a_second_run_with_and_without_the_pool") {
        return;
    }
    let (_lab, t) = lab_with_hosts("poolfig");
    t.file("join.eov", JOIN_LIKE);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let once = |pool: Option<ConnectionPool>| {
        let (outcome, events, took) =
            runtime.block_on(run(&t, "join.eov", &[], pool, Cancel::default()));
        assert!(matches!(outcome, RunOutcome::Ok), "{events:?}");
        took
    };
    const N: usize = 10;
    let median = |mut d: Vec<Duration>| {
        d.sort();
        d[d.len() / 2]
    };
    let _ = once(None);
    let fresh = median((0..N).map(|_| once(None)).collect());
    let pool = {
        let _in = runtime.enter();
        ConnectionPool::new(PoolSettings::default())
    };
    let first = once(Some(pool.clone()));
    assert_eq!(pool.idle(), 1, "the run gave its connection back");
    let pooled = median((0..N).map(|_| once(Some(pool.clone()))).collect());
    assert_eq!(pool.idle(), 1, "one connection served every run");
    println!(
        "FIGURES pool: a 3-task play on a lab node through the run API (median of {N}): \
         a new connection each run {:.1} ms, first pooled run {:.1} ms, \
         later runs on the pooled connection {:.1} ms",
        fresh.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        pooled.as_secs_f64() * 1e3
    );
    runtime.block_on(pool.close());
    assert_eq!(pool.idle(), 0);
}

/// A run that reboots a host whose connection came from the pool (`eov serve`): that
/// connection is closed, not given back; the one made after the reboot is, and the next run
/// takes it (alive, on the new boot).
#[test]
fn a_reboot_replaces_the_pooled_connection() {
    if !crate::lab::available("a_reboot_replaces_the_pooled_connection") {
        return;
    }
    let lab = Lab::up_restarting(1, "poolrb");
    let t = Test::new();
    t.file("hosts", &format!("{}\n", lab.line(1, "eov_user=root")));
    let record = |n: &str| {
        format!(
            r#"task "{n}" {{ shell {{ cmd = "echo \"{n} $SSH_CONNECTION\" >> /root/runs" }} }}"#
        )
    };
    t.file(
        "seed.eov",
        &format!("play \"seed\" on \"h1\" {{ {} }}\n", record("{{ n }}")),
    );
    t.file(
        "reboot.eov",
        &format!(
            "play \"reboot\" on \"h1\" {{\n  {}\n  task \"reboot\" {{ reboot {{ reboot_command = \"kill 1\", boot_time_command = \"cut -d' ' -f22 /proc/1/stat\", reboot_timeout = 60s }} }}\n  {}\n}}\n",
            record("before"),
            record("after")
        ),
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let pool = ConnectionPool::new(PoolSettings::default());
        for (play, n) in [
            ("seed.eov", "seed"),
            ("reboot.eov", ""),
            ("seed.eov", "next"),
        ] {
            let (outcome, events, _) =
                run(&t, play, &[("n", n)], Some(pool.clone()), Cancel::default()).await;
            assert!(matches!(outcome, RunOutcome::Ok), "{play}: {events:?}");
            assert_eq!(pool.idle(), 1, "{play}: one connection kept, no more");
        }
        let p = ports(&lab);
        assert_eq!(
            p["before"], p["seed"],
            "the rebooting run took the pooled one: {p:?}"
        );
        assert_ne!(p["after"], p["before"], "{p:?}");
        assert_eq!(
            p["next"], p["after"],
            "the next run took the new one: {p:?}"
        );
        pool.close().await;
    });
}
