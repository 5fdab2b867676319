//! `eov serve` keeps SSH connections to known nodes open between jobs (issue 15): with a real
//! sshd in a lab container, the second job runs on the first job's TCP connection, a restarted
//! node is reached again transparently, and a key changed in known_hosts is refused although a
//! connection is pooled, an idle connection is closed. The pool through the run API (cancel,
//! runs at once, figures): `pool_lab.rs`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::lab::Lab;
use crate::serve_support::{Server, finished, token};
use crate::support::{Test, repo};

/// The server's inventory: lab host 1 as `h1`, trusted through `known` (a copy the test edits).
fn server(t: &Test, lab: &Lab, known: &Path, extra: &[&str]) -> Server {
    t.file(
        "inventory",
        &format!(
            "[compute]\nh1 eov_host={} eov_user=root eov_known_hosts={}\n",
            lab.address(1),
            known.display()
        ),
    );
    let plays = repo().join("tests/fixtures/serve/lab_plays");
    let key = lab.dir().join("id_ed25519");
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--plays-dir",
        plays.to_str().unwrap(),
        "--private-key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start_with(t, &args)
}

/// Runs a rejoin job of `h1` to its end; the job.
fn rejoin(server: &Server, admin: &str) -> serde_json::Value {
    let (status, job) = server.json("POST", "/v1/nodes/h1/rejoin", Some(admin), None);
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    server.wait_job(admin, &id, finished)
}

fn events(server: &Server, admin: &str, job: &serde_json::Value) -> String {
    let id = job["id"].as_str().unwrap();
    server
        .call("GET", &format!("/v1/jobs/{id}/events"), Some(admin), None)
        .1
}

/// What the stand-in play recorded, one line per job: `client port server port cwd leak`.
fn connections(lab: &Lab) -> Vec<Vec<String>> {
    lab.sh(1, "cat /root/pool-connections")
        .lines()
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect()
}

/// TCP connections sshd has accepted and holds now.
fn established(lab: &Lab) -> usize {
    lab.sh(1, "ss -Htn state established '( sport = :22 )'")
        .lines()
        .count()
}

fn wait_for_sshd(address: &str) {
    let addr: std::net::SocketAddr = format!("{address}:22").parse().unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "sshd on {address} did not come back"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_reuses_a_nodes_connection_and_reconnects_after_a_restart() {
    if !crate::lab::available("serve_reuses_a_nodes_connection_and_reconnects_after_a_restart") {
        return;
    }
    let lab = Lab::up(1, "pool");
    let t = Test::new();
    let admin = token(&t, &["--admin"]);
    let known = t.path().join("known_hosts");
    let trusted = std::fs::read_to_string(lab.dir().join("known_hosts")).unwrap();
    std::fs::write(&known, &trusted).unwrap();
    let server = server(&t, &lab, &known, &[]);

    // Two jobs, one TCP connection: sshd saw the same source port, and still holds it.
    for _ in 0..2 {
        let job = rejoin(&server, &admin);
        assert_eq!(
            job["status"],
            "ok",
            "{job}\n{}",
            events(&server, &admin, &job)
        );
    }
    let lines = connections(&lab);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines[0][1], lines[1][1],
        "a new connection per job: {lines:?}"
    );
    assert_eq!(established(&lab), 1);
    // Nothing of the first job's shell reached the second: same directory, no variable.
    assert_eq!(lines[1][4..], ["/root", "clean"], "{lines:?}");

    // The node restarts (every sshd process killed): the next job reconnects, it does not
    // report the node unreachable.
    let restart = Command::new("podman")
        .args(["restart", "--time", "1", &lab.container(1)])
        .output()
        .unwrap();
    assert!(
        restart.status.success(),
        "{}",
        String::from_utf8_lossy(&restart.stderr)
    );
    wait_for_sshd(&lab.address(1));
    let job = rejoin(&server, &admin);
    assert_eq!(
        job["status"],
        "ok",
        "{job}\n{}",
        events(&server, &admin, &job)
    );
    let lines = connections(&lab);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_ne!(lines[2][1], lines[1][1], "{lines:?}");

    // known_hosts now says the node has another key: the pooled connection (accepted under
    // the old file) is not used, and a new one is refused.
    let other = t.path().join("other_key");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    assert!(keygen.success());
    let other_pub = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let mut words = other_pub.split_whitespace();
    let (algo, key) = (words.next().unwrap(), words.next().unwrap());
    std::fs::write(&known, format!("{} {algo} {key}\n", lab.address(1))).unwrap();
    let job = rejoin(&server, &admin);
    assert_eq!(job["status"], "failed", "{job}");
    let log = events(&server, &admin, &job);
    assert!(log.contains("HOST KEY CHANGED"), "{log}");
    assert_eq!(
        connections(&lab).len(),
        3,
        "the play ran with a changed key"
    );

    // The right key again: a new connection, made and verified afresh.
    std::fs::write(&known, &trusted).unwrap();
    let job = rejoin(&server, &admin);
    assert_eq!(
        job["status"],
        "ok",
        "{job}\n{}",
        events(&server, &admin, &job)
    );
    let lines = connections(&lab);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_ne!(lines[3][1], lines[2][1], "{lines:?}");
    // SIGTERM: the server closes its pooled connection on the way out.
    assert_eq!(server.terminate(), 0);
    let start = Instant::now();
    while established(&lab) > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the server left its SSH connection open"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_idle_connection_is_closed_after_ssh_idle() {
    if !crate::lab::available("an_idle_connection_is_closed_after_ssh_idle") {
        return;
    }
    let lab = Lab::up(1, "poolidle");
    let t = Test::new();
    let admin = token(&t, &["--admin"]);
    let known = lab.dir().join("known_hosts");
    let server = server(&t, &lab, &known, &["--ssh-idle", "3s"]);
    let job = rejoin(&server, &admin);
    assert_eq!(
        job["status"],
        "ok",
        "{job}\n{}",
        events(&server, &admin, &job)
    );
    assert_eq!(established(&lab), 1, "kept open for the next job");
    let start = Instant::now();
    while established(&lab) > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "still open long after --ssh-idle"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Closed by the server: the next job opens another one, without a failure.
    let job = rejoin(&server, &admin);
    assert_eq!(
        job["status"],
        "ok",
        "{job}\n{}",
        events(&server, &admin, &job)
    );
    let lines = connections(&lab);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_ne!(lines[0][1], lines[1][1], "{lines:?}");
}
