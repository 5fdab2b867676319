//! The join service through the binary: `eov serve` on loopback with the stand-in compute
//! plays (tests/fixtures/serve/plays), `eov token`, and `eov join` against it.

use std::time::Duration;

use serde_json::json;

use crate::serve_support::{CONTROLLER_KEY, Server, finished, site, token};
use crate::support::Test;

#[test]
fn serve_refuses_missing_wrong_expired_and_used_up_tokens_and_changes_nothing() {
    let t = Test::new();
    site(&t, "0");
    let once = token(&t, &["--uses", "1"]);
    let expired = token(&t, &["--ttl", "1s"]);
    let admin = token(&t, &["--admin", "--ttl", "0"]);
    let server = Server::start(&t, &[]);
    std::thread::sleep(Duration::from_millis(2100));
    let tokens_before = t.read("state/serve/tokens.json");
    let body = || Some(json!({"name": "n1"}));
    let (id, secret) = once.split_once('.').unwrap();
    let wrong_secret = format!("{id}.{}", secret.chars().rev().collect::<String>());
    for (what, tok) in [
        ("no token", None),
        ("a wrong secret", Some(wrong_secret.as_str())),
        ("not a token", Some("garbage")),
        ("an unknown id", Some("zzzzzz.0123456789abcdef")),
        ("an expired token", Some(expired.as_str())),
    ] {
        let (status, answer) = server.json("POST", "/v1/join", tok, body());
        assert_eq!(status, 401, "{what}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("valid token"),
            "{answer}"
        );
    }
    // A join token is not an admin token.
    for (method, path) in [
        ("GET", "/v1/nodes"),
        ("GET", "/v1/jobs"),
        ("POST", "/v1/nodes/n1/remove"),
        ("POST", "/v1/nodes/n1/rejoin"),
    ] {
        assert_eq!(
            server.call(method, path, Some(&once), None).0,
            401,
            "{path}"
        );
    }
    assert_eq!(
        t.read("state/serve/tokens.json"),
        tokens_before,
        "a refusal took a use"
    );
    assert!(!t.exists("state/serve/nodes.json"));
    assert_eq!(
        std::fs::read_dir(t.path().join("state/serve/jobs"))
            .unwrap()
            .count(),
        0
    );

    let job = server.join(&once, "n1");
    let done = server.wait_job(&once, &job, finished);
    assert_eq!(done["status"], "ok", "{done}");
    assert_eq!(done["node_state"], "up");
    // Its one use is spent: a second join is refused and runs nothing.
    let (status, _) = server.json("POST", "/v1/join", Some(&once), Some(json!({"name": "n2"})));
    assert_eq!(status, 401);
    assert_eq!(t.read("out/joined"), "n1\n");
    let (status, nodes) = server.json("GET", "/v1/nodes", Some(&admin), None);
    assert_eq!(status, 200);
    assert_eq!(nodes["nodes"].as_array().unwrap().len(), 1, "{nodes}");
    assert_eq!(nodes["nodes"][0]["name"], "n1");
    assert_eq!(nodes["nodes"][0]["state"], "up");

    // Deleted tokens stop working at once.
    let out = t.run(&[
        "token",
        "delete",
        "--state-dir",
        "state",
        admin.split('.').next().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.call("GET", "/v1/nodes", Some(&admin), None).0, 401);
    let list = t.run(&["token", "list", "--state-dir", "state"]);
    assert!(
        list.stdout.contains(id) && !list.stdout.contains(secret),
        "{}",
        list.stdout
    );
}

#[test]
fn serve_rate_limits_failed_authentications() {
    let t = Test::new();
    site(&t, "0");
    let admin = token(&t, &["--admin"]);
    let server = Server::start(&t, &["--max-auth-failures", "3"]);
    for _ in 0..3 {
        assert_eq!(
            server
                .call("GET", "/v1/nodes", Some("aaaaaa.bbbbbbbbbbbbbbbb"), None)
                .0,
            401
        );
    }
    let (status, answer) = server.json("GET", "/v1/nodes", Some("aaaaaa.bbbbbbbbbbbbbbbb"), None);
    assert_eq!(status, 429, "{answer}");
    // Blocked for the window, even with a good token; the health check still answers.
    assert_eq!(server.call("GET", "/v1/nodes", Some(&admin), None).0, 429);
    assert_eq!(server.call("GET", "/healthz", None, None).0, 200);
}

#[test]
fn serve_join_runs_the_play_and_eov_join_follows_it_with_a_pinned_certificate() {
    let t = Test::new();
    site(&t, "0");
    let join_token = token(&t, &["--uses", "3"]);
    let admin = token(&t, &["--admin"]);
    let server = Server::start(&t, &[]);
    let url = server.base.clone();

    // A wrong pin: refused before anything is sent.
    let wrong = format!("sha256:{}", "0".repeat(64));
    let out = t.run(&[
        "join",
        &url,
        "--token",
        &join_token,
        "--ca-cert-hash",
        &wrong,
        "--name",
        "edge-1",
        "--authorized-keys",
        "root/.ssh/authorized_keys",
    ]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("not the --ca-cert-hash given"),
        "{}",
        out.stderr
    );
    assert!(!t.exists("root/.ssh/authorized_keys"));
    let (_, jobs) = server.json("GET", "/v1/jobs", Some(&admin), None);
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 0, "{jobs}");
    assert!(
        t.read("state/serve/tokens.json")
            .contains("\"uses_left\": 3")
    );

    // The right pin: the key is authorised, the play runs, the node is up.
    let right = server.pin.clone();
    let out = t.run(&[
        "join",
        &url,
        "--token",
        &join_token,
        "--ca-cert-hash",
        &right,
        "--name",
        "edge-1",
        "--authorized-keys",
        "root/.ssh/authorized_keys",
        "--address",
        "10.0.0.7",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("node edge-1 is up (job "),
        "{}",
        out.stdout
    );
    for step in [
        "play add compute",
        "[localhost] enter changed",
        "[localhost] leave changed",
    ] {
        assert!(out.stderr.contains(step), "{step} in {}", out.stderr);
    }
    assert_eq!(
        t.read("root/.ssh/authorized_keys"),
        format!("{CONTROLLER_KEY}\n")
    );
    assert_eq!(t.read("out/joined"), "edge-1\n");

    // The job and its events, as `--output json` writes them.
    let (_, jobs) = server.json("GET", "/v1/jobs", Some(&admin), None);
    let job = &jobs["jobs"][0];
    assert_eq!(job["status"], "ok");
    assert_eq!(job["kind"], "join");
    assert_eq!(job["vars"]["node_address"], "10.0.0.7");
    assert_eq!(job["recap"][0]["changed"], 3, "{job}");
    let id = job["id"].as_str().unwrap();
    let (status, events) = server.call(
        "GET",
        &format!("/v1/jobs/{id}/events"),
        Some(&join_token),
        None,
    );
    assert_eq!(status, 200);
    let kinds: Vec<String> = events
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "run_started",
            "play_started",
            "task",
            "task",
            "task",
            "play_finished",
            "run_finished"
        ]
    );
    let (_, nodes) = server.json("GET", "/v1/nodes", Some(&admin), None);
    assert_eq!(nodes["nodes"][0]["address"], "10.0.0.7");

    // A second join authorises nothing twice.
    let out = t.run(&[
        "join",
        &url,
        "--token",
        &join_token,
        "--ca-cert-hash",
        &right,
        "--name",
        "edge-1",
        "--authorized-keys",
        "root/.ssh/authorized_keys",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        t.read("root/.ssh/authorized_keys"),
        format!("{CONTROLLER_KEY}\n")
    );

    // Remove runs its play; rejoin has no play here and fails with a clear message.
    let (status, job) = server.json("POST", "/v1/nodes/edge-1/remove", Some(&admin), None);
    assert_eq!(status, 202, "{job}");
    let done = server.wait_job(&admin, job["id"].as_str().unwrap(), finished);
    assert_eq!(done["status"], "ok", "{done}");
    assert_eq!(done["node_state"], "removed");
    assert_eq!(t.read("out/removed"), "edge-1\n");
    let (_, job) = server.json("POST", "/v1/nodes/edge-1/rejoin", Some(&admin), None);
    let done = server.wait_job(&admin, job["id"].as_str().unwrap(), finished);
    assert_eq!(done["status"], "failed", "{done}");
    let message = done["message"].as_str().unwrap();
    assert!(
        message.contains("rejoin play")
            && message.contains("rejoin_compute.eov")
            && message.contains("does not exist"),
        "{message}"
    );
}

#[test]
fn serve_runs_concurrent_joins_one_at_a_time() {
    let t = Test::new();
    site(&t, "0.2");
    let join_token = token(&t, &[]);
    let server = Server::start(&t, &[]);
    let names: Vec<String> = (1..=6).map(|i| format!("c{i}")).collect();
    let ids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = names
            .iter()
            .map(|n| s.spawn(|| server.join(&join_token, n)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // A node with a pending job gets 409 and the job to follow.
    let (status, busy) = server.json(
        "POST",
        "/v1/join",
        Some(&join_token),
        Some(json!({"name": "c6"})),
    );
    assert_eq!(status, 409, "{busy}");
    assert!(busy["job"]["id"].is_string());
    for id in &ids {
        let done = server.wait_job(&join_token, id, finished);
        // The stand-in play fails if another job is inside it at the same time.
        assert_eq!(done["status"], "ok", "{done}");
    }
    let mut joined: Vec<String> = t.read("out/joined").lines().map(String::from).collect();
    joined.sort();
    assert_eq!(joined, names);
}

#[test]
fn serve_answers_malformed_requests_with_4xx_and_keeps_serving() {
    let t = Test::new();
    site(&t, "0");
    let join_token = token(&t, &[]);
    let admin = token(&t, &["--admin"]);
    let server = Server::start(&t, &[]);
    let post =
        |body: &[u8]| server.call("POST", "/v1/join", Some(&join_token), Some(body.to_vec()));
    for (what, body) in [
        ("bad JSON", &b"{\"name\": "[..]),
        ("not an object", b"[1,2]"),
        ("no name", b"{}"),
        ("unknown field", br#"{"name":"a","extra":1}"#),
        ("slash", br#"{"name":"a/b"}"#),
        ("dot dot", br#"{"name":".."}"#),
        ("space", br#"{"name":"a b"}"#),
        ("semicolon", br#"{"name":"a;reboot"}"#),
        ("substitution", br#"{"name":"$(id)"}"#),
        ("backquote", br#"{"name":"`id`"}"#),
        ("newline", br#"{"name":"a\nb"}"#),
        ("empty", br#"{"name":""}"#),
        ("bad address", br#"{"name":"a","address":"x y"}"#),
        ("bad key", br#"{"name":"a","ssh_public_key":"hello"}"#),
    ] {
        let (status, answer) = post(body);
        assert_eq!(status, 400, "{what}: {answer}");
        assert!(answer.contains("\"error\""), "{what}: {answer}");
    }
    let big = |n: usize| format!("{{\"name\":\"{}\"}}", "a".repeat(n)).into_bytes();
    assert_eq!(
        server.call_alone("/v1/join", &join_token, big(100 * 1024)),
        Ok(413)
    );
    // A body far over the limit: 413, or the connection closed while it was being sent.
    match server.call_alone("/v1/join", &join_token, big(8 * 1024 * 1024)) {
        Ok(status) => assert_eq!(status, 413),
        Err(e) => assert!(
            e.contains("BrokenPipe") || e.contains("ConnectionReset"),
            "{e}"
        ),
    }
    for path in [
        "/v1/nodes/a%2Fb/remove",
        "/v1/nodes/..%2F..%2Fetc/remove",
        "/v1/nodes/a%20b/rejoin",
    ] {
        let (status, answer) = server.call("POST", path, Some(&admin), None);
        assert_eq!(status, 400, "{path}: {answer}");
    }
    assert_eq!(
        server
            .call("GET", "/v1/jobs/..%2Ftokens", Some(&admin), None)
            .0,
        404
    );
    assert_eq!(server.call("GET", "/v1/nope", Some(&admin), None).0, 404);
    assert_eq!(server.call("GET", "/v1/join", Some(&admin), None).0, 405);
    // Nothing was queued by any of it.
    let (_, jobs) = server.json("GET", "/v1/jobs", Some(&admin), None);
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 0);
    assert!(!t.exists("out/joined"));

    // 10,000 requests in a loop: all 4xx, and the server still serves.
    for i in 0..10_000 {
        let (status, _) = if i % 2 == 0 {
            post(b"{\"name\":\"x;y\"}")
        } else {
            server.call("GET", "/v1/jobs/doesnotexist", Some(&admin), None)
        };
        assert!((400..500).contains(&status), "request {i}: {status}");
    }
    assert_eq!(server.call("GET", "/healthz", None, None).0, 200);
}

#[test]
fn serve_reports_a_job_cut_off_by_a_restart_as_interrupted() {
    let t = Test::new();
    site(&t, "3");
    let join_token = token(&t, &["--uses", "2"]);
    let server = Server::start(&t, &[]);
    let id = server.join(&join_token, "slow");
    server.wait_job(&join_token, &id, |j| j["status"] == "running");
    std::thread::sleep(Duration::from_millis(300));
    server.kill();

    // The stand-in play's guard directory is left behind by the killed run; the real plays
    // are idempotent instead. Its `sleep 3` ends by itself.
    std::thread::sleep(Duration::from_millis(3200));
    let _ = std::fs::remove_dir(t.path().join("out/inside"));
    site(&t, "0");
    let server = Server::start(&t, &[]);
    let job = server.wait_job(&join_token, &id, |_| true);
    assert_eq!(job["status"], "interrupted", "{job}");
    assert!(
        job["message"].as_str().unwrap().contains("server stopped"),
        "{job}"
    );
    assert_eq!(job["node_state"], "failed");
    // Its event log ends where the server died, and reading it ends.
    let (status, events) = server.call(
        "GET",
        &format!("/v1/jobs/{id}/events"),
        Some(&join_token),
        None,
    );
    assert_eq!(status, 200);
    assert!(
        events.contains("\"run_started\"") && !events.contains("\"run_finished\""),
        "{events}"
    );

    // Posting the join again completes it.
    let again = server.join(&join_token, "slow");
    let done = server.wait_job(&join_token, &again, finished);
    assert_eq!(done["status"], "ok", "{done}");
    assert_eq!(done["node_state"], "up");

    // SIGTERM during a job: it is stopped and recorded as interrupted at once.
    site(&t, "5");
    let admin = token(&t, &["--admin"]);
    let remove = server.join(&admin, "slow2");
    server.wait_job(&admin, &remove, |j| j["status"] == "running");
    assert_eq!(server.terminate(), 0);
    let server = Server::start(&t, &[]);
    let job = server.wait_job(&admin, &remove, |_| true);
    assert_eq!(job["status"], "interrupted", "{job}");
    assert!(
        job["message"]
            .as_str()
            .unwrap()
            .contains("stopped during the run"),
        "{job}"
    );
}

#[test]
fn serve_answers_the_original_routes_behind_the_same_tokens() {
    let t = Test::new();
    site(&t, "0");
    let join_token = token(&t, &["--uses", "1"]);
    let admin = token(&t, &["--admin"]);
    let server = Server::start(&t, &[]);
    assert_eq!(server.call("GET", "/", None, None).0, 401);
    assert_eq!(
        server.call("GET", "/", Some(&join_token), None),
        (200, format!("{CONTROLLER_KEY}\n"))
    );
    // Removing needs an admin token; an unknown action is refused; neither takes a use.
    assert_eq!(
        server
            .call("GET", "/enos/remove/true/n1", Some(&join_token), None)
            .0,
        401
    );
    assert_eq!(
        server
            .call("GET", "/enos/deploy/true/n1", Some(&join_token), None)
            .0,
        400
    );
    assert_eq!(
        server
            .call("GET", "/enos/add/true/a;b", Some(&join_token), None)
            .0,
        400
    );
    let (status, text) = server.call("GET", "/enos/add/true/n1", Some(&join_token), None);
    assert_eq!(status, 202, "{text}");
    let id = text.trim().rsplit(' ').next().unwrap().to_string();
    assert!(
        text.starts_with("Action add has been queued for n1 as job "),
        "{text}"
    );
    let done = server.wait_job(&admin, &id, finished);
    assert_eq!(done["status"], "ok", "{done}");
    assert_eq!(done["kind"], "join");
    // The one use is spent.
    assert_eq!(
        server
            .call("POST", "/openvpn/n2", Some(&join_token), None)
            .0,
        401
    );
    let (status, text) = server.call("POST", "/enos/remove/false/n1", Some(&admin), None);
    assert_eq!(status, 202, "{text}");
    assert_eq!(t.read("out/joined"), "n1\n");
}

#[test]
fn serve_uses_a_given_certificate_and_token_create_prints_its_pin() {
    let t = Test::new();
    site(&t, "0");
    // A certificate made by another server's first start.
    let first = Server::start(&t, &[]);
    let generated_pin = first.pin.clone();
    first.kill();
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &str| {
        std::fs::metadata(t.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("state/serve"), 0o700);
    assert_eq!(mode("state/serve/key.pem"), 0o600);
    std::fs::rename(
        t.path().join("state/serve/cert.pem"),
        t.path().join("my.pem"),
    )
    .unwrap();
    std::fs::rename(
        t.path().join("state/serve/key.pem"),
        t.path().join("my.key"),
    )
    .unwrap();
    let server = Server::start(&t, &["--tls-cert", "my.pem", "--tls-key", "my.key"]);
    assert_eq!(server.pin, generated_pin);
    assert!(
        !t.exists("state/serve/cert.pem"),
        "a certificate was generated anyway"
    );
    let out = t.run(&[
        "token",
        "create",
        "--state-dir",
        "state",
        "--tls-cert",
        "my.pem",
    ]);
    assert!(
        out.stdout
            .contains(&format!("ca-cert-hash: {generated_pin}\n")),
        "{}",
        out.stdout
    );
    // Only one of the pair is a usage error.
    let out = t.run(&["serve", "--tls-cert", "my.pem"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}
