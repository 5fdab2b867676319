//! The `http` module through the real binary, against a server on 127.0.0.1.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::any;
use base64::Engine as _;

use crate::http_server::{Pki, Server};
use crate::support::{Test, recap};

#[derive(Clone, Default)]
struct Log {
    /// "METHOD path" of every request, in order.
    requests: Arc<Mutex<Vec<String>>>,
}

impl Log {
    fn push(&self, m: &Method, uri: &Uri) {
        self.requests
            .lock()
            .unwrap()
            .push(format!("{m} {}", uri.path()));
    }
    fn count(&self, what: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| *r == what)
            .count()
    }
}

async fn echo(
    State(log): State<Log>,
    m: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    log.push(&m, &uri);
    let headers: serde_json::Map<String, serde_json::Value> = h
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").into()))
        .collect();
    axum::Json(serde_json::json!({
        "method": m.as_str(),
        "query": uri.query(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

async fn status(
    State(log): State<Log>,
    m: Method,
    uri: Uri,
    Path(code): Path<u16>,
) -> impl IntoResponse {
    log.push(&m, &uri);
    (
        StatusCode::from_u16(code).unwrap(),
        format!("status {code} here\n"),
    )
}

/// 500 for the first two requests of each method, then 200.
async fn flaky(State(log): State<Log>, m: Method, uri: Uri) -> impl IntoResponse {
    log.push(&m, &uri);
    let n = log.count(&format!("{m} {}", uri.path()));
    if n <= 2 {
        (StatusCode::INTERNAL_SERVER_ERROR, "try again".to_string())
    } else {
        (StatusCode::OK, format!("ok after {n}"))
    }
}

/// Says back the Basic credentials it got: a server that leaks the password.
async fn whoami(State(log): State<Log>, m: Method, uri: Uri, h: HeaderMap) -> impl IntoResponse {
    log.push(&m, &uri);
    let cred = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .map(|b| String::from_utf8_lossy(&b).to_string());
    match cred {
        Some(c) if c.ends_with(":hunter2-pw") => (StatusCode::OK, format!("you are {c}")),
        Some(c) => (StatusCode::UNAUTHORIZED, format!("bad credentials {c}")),
        None => (StatusCode::UNAUTHORIZED, "no credentials".to_string()),
    }
}

fn server() -> (Server, Log) {
    let log = Log::default();
    let router = Router::new()
        .route("/echo", any(echo))
        .route("/status/{code}", any(status))
        .route("/flaky", any(flaky))
        .route("/whoami", any(whoami))
        .with_state(log.clone());
    (Server::start(router), log)
}

fn play(t: &Test, server: &Server, body: &str) {
    t.file(
        "site.eov",
        &format!(
            "play \"api\" on \"localhost\" {{\n{}\n}}\n",
            body.replace("URL", &server.url(""))
        ),
    );
}

#[test]
fn methods_bodies_and_json_results() {
    let (srv, log) = server();
    let t = Test::new();
    play(
        &t,
        &srv,
        r#"
  task "get" {
    http { url = "URL/echo?x=1", headers = { Accept = "application/json", "X-Trace" = 7 } }
    register = "got"
  }
  task "post json" {
    http { url = "URL/echo", method = "POST", body = { name = "eov", types = ["deploy"], nodes = 2 } }
    register = "posted"
  }
  task "put form" {
    http { url = "URL/echo", method = "PUT", form = { a = "x y", b = "é&=" } }
    register = "put"
  }
  task "delete raw" {
    http { url = "URL/echo", method = "DELETE", body = "plain text" }
    register = "deleted"
  }
  task "results" {
    assert { that = [
      "got.status == 200",
      "got.json.method == 'GET'",
      "got.json.query == 'x=1'",
      "got.json.headers.accept == 'application/json'",
      "got.json.headers['x-trace'] == '7'",
      "got.headers['content-type'] == 'application/json'",
      "not got.changed",
      "posted.changed",
      "posted.json.headers['content-type'] == 'application/json'",
      "(posted.json.body | from_json) == {'name': 'eov', 'types': ['deploy'], 'nodes': 2}",
      "put.json.headers['content-type'] == 'application/x-www-form-urlencoded'",
      "put.json.body == 'a=x+y&b=%C3%A9%26%3D'",
      "deleted.json.method == 'DELETE'",
      "deleted.json.body == 'plain text'",
      "'\"method\"' in got.content",
    ] }
  }
"#,
    );
    let out = t.run(&["run", "site.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        recap(&out.stdout, "localhost"),
        "ok=2 changed=3 failed=0 skipped=0 unreachable=0 ignored=0 rescued=0"
    );
    assert_eq!(log.requests.lock().unwrap().len(), 4);
}

#[test]
fn status_codes_decide_success() {
    let (srv, _log) = server();
    let t = Test::new();
    play(
        &t,
        &srv,
        r#"
  task "created is accepted when listed" {
    http { url = "URL/status/201", method = "POST", status_code = [200, 201] }
  }
  task "a 404 may be expected" {
    http { url = "URL/status/404", status_code = 404 }
    register = "missing"
  }
  task "failed_when sees the status" {
    http { url = "URL/status/409" }
    register = "conflict"
    failed_when = "conflict.status not in [200, 409]"
  }
  task "not accepted" {
    http { url = "URL/status/403" }
  }
"#,
    );
    let out = t.run(&["run", "site.eov"]);
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("status 403, expected 200: status 403 here"),
        "{}",
        out.stdout
    );
    assert_eq!(
        recap(&out.stdout, "localhost"),
        "ok=2 changed=1 failed=1 skipped=0 unreachable=0 ignored=0 rescued=0"
    );
}

#[test]
fn retries_idempotent_requests_only() {
    let (srv, log) = server();
    let t = Test::new();
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    play(
        &t,
        &srv,
        &format!(
            r#"
  task "a GET is retried on 500" {{
    http {{ url = "URL/flaky", backoff = 10ms }}
    register = "g"
  }}
  task "tries" {{ assert {{ that = ["g.tries == 3", "g.content == 'ok after 3'"] }} }}
  task "a POST is not sent twice" {{
    http {{ url = "URL/flaky", method = "POST", backoff = 10ms }}
    ignore_errors = true
    register = "p"
  }}
  task "post tried once" {{ assert {{ that = ["p.status == 500", "p.tries == 1"] }} }}
  task "retries may be turned off" {{
    http {{ url = "URL/flaky", method = "PUT", max_retries = 0 }}
    ignore_errors = true
  }}
  task "connection refused is retried, then reported" {{
    http {{ url = "http://{closed}/x", max_retries = 2, backoff = 10ms }}
  }}
"#
        ),
    );
    let out = t.run(&["run", "site.eov"]);
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(log.count("GET /flaky"), 3);
    assert_eq!(log.count("POST /flaky"), 1);
    assert_eq!(log.count("PUT /flaky"), 1);
    assert!(out.stdout.contains("(after 3 tries)"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("GET http://{closed}/x")),
        "{}",
        out.stdout
    );
}

#[test]
fn tls_with_a_private_ca() {
    let pki = Pki::new();
    let log = Log::default();
    let router = Router::new()
        .route("/echo", any(echo))
        .with_state(log.clone());
    let srv = Server::start_tls(router, &pki);
    let t = Test::new();
    t.file("ca.pem", &pki.ca_pem);
    let url = srv.https_url("/echo");
    t.file(
        "site.eov",
        &r#"
play "tls" on "localhost" {
  task "trusted through ca_path" { http { url = "URL", ca_path = "{root}/ca.pem" } }
  task "unchecked" { http { url = "URL", validate_certs = false } }
  task "unknown CA" { http { url = "URL", max_retries = 0 } }
}
"#
        .replace("URL", &url),
    );
    let out = t.run(&["run", "site.eov"]);
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        recap(&out.stdout, "localhost"),
        "ok=2 changed=0 failed=1 skipped=0 unreachable=0 ignored=0 rescued=0"
    );
    assert!(
        out.stdout.to_lowercase().contains("certificate"),
        "{}",
        out.stdout
    );
    assert_eq!(log.count("GET /echo"), 2);
}

#[test]
fn the_password_never_shows() {
    let (srv, _log) = server();
    let t = Test::new();
    play(
        &t,
        &srv,
        r#"
  vars { pw = "hunter2-pw" }
  task "login" {
    http { url = "URL/whoami", user = "alice", password = "{{ pw }}" }
    register = "me"
  }
  task "show" { debug { msg = "{{ me.content }} / {{ pw }}" } }
  task "leak in a diff" { copy { dest = "{root}/out.txt", content = "{{ me.content }}\n" } }
  task "a token" {
    http { url = "URL/echo", headers = { Authorization = "Bearer tok-hunter2-en" } }
    register = "tok"
  }
  task "shows the token" { debug { msg = "{{ tok.json.headers.authorization }}" } }
  task "leak in a failure" { http { url = "URL/whoami", user = "bob", password = "{{ pw }}x" } }
"#,
    );
    for args in [
        vec!["run", "site.eov", "-v", "--diff"],
        vec!["run", "site.eov", "--output", "json", "--diff"],
    ] {
        std::fs::remove_file(t.path().join("out.txt")).ok();
        let out = t.run(&args);
        assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
        assert!(!out.stdout.contains("hunter2"), "{}", out.stdout);
        assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
        assert!(
            out.stdout.contains("you are alice:********"),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("bad credentials bob:********"),
            "{}",
            out.stdout
        );
    }
    // The file itself holds the real value: masking is for output only.
    assert_eq!(t.read("out.txt"), "you are alice:hunter2-pw\n");
}

#[test]
fn check_mode_sends_reads_only() {
    let (srv, log) = server();
    let t = Test::new();
    play(
        &t,
        &srv,
        r#"
  task "read" { http { url = "URL/echo" } register = "r" }
  task "write" { http { url = "URL/echo", method = "POST", body = { a = 1 } } register = "w" }
  task "uses the write" { debug { msg = "{{ w.json.method }}" } }
"#,
    );
    let out = t.run(&["run", "site.eov", "--check"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("not sent in check mode: POST"),
        "{}",
        out.stdout
    );
    assert_eq!(log.count("GET /echo"), 1);
    assert_eq!(log.count("POST /echo"), 0);
}

#[test]
fn delegated_to_a_local_host_and_bad_arguments() {
    let (srv, log) = server();
    let t = Test::new();
    t.file("inventory", "[web]\nw1 eov_connection=local\n");
    t.file(
        "site.eov",
        &r#"
play "delegated" on "web" {
  task "from the controller" { http { url = "URL/echo" } }
  task "from w1" { http { url = "URL/echo" } delegate_to = "w1" }
  task "bad url" { http { url = "ftp://x" } ignore_errors = true }
  task "bad status" { http { url = "URL/echo", status_code = [99] } ignore_errors = true }
}
"#
        .replace("URL", &srv.url("")),
    );
    let out = t.run(&["run", "site.eov", "-i", "inventory"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("argument `url` must start with http:// or https://, got `ftp://x`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("argument `status_code` must be an HTTP status (100-599)"),
        "{}",
        out.stdout
    );
    assert_eq!(log.count("GET /echo"), 2);
}

/// Delegated to an SSH host, the request leaves from there, through its curl.
#[test]
fn delegated_to_an_ssh_host_uses_its_curl() {
    let lab = crate::lab::Lab::up(1, "http");
    let address = lab.address(1);
    let gateway = format!("{}.1", address.rsplit_once('.').unwrap().0);
    let log = Log::default();
    let router = Router::new()
        .route("/echo", any(echo))
        .route("/whoami", any(whoami))
        .with_state(log.clone());
    let srv = Server::start_at(&format!("{gateway}:0"), router);
    let t = Test::new();
    t.file("inventory", &format!("[lab]\n{}\n", lab.line(1, "")));
    t.file(
        "site.eov",
        &r#"
play "from the node" on "lab" {
  task "post" {
    http { url = "URL/echo?from=node", method = "POST", body = { a = [1, "two"] }, headers = { "X-Who" = "eov" } }
    delegate_to = "{{ inventory_hostname }}"
    register = "p"
  }
  task "login" {
    http { url = "URL/whoami", user = "alice", password = "hunter2-pw" }
    delegate_to = "{{ inventory_hostname }}"
    register = "me"
  }
  task "results" {
    assert { that = [
      "p.status == 200", "p.changed", "p.json.method == 'POST'", "p.json.query == 'from=node'",
      "p.json.headers['x-who'] == 'eov'", "p.json.headers['content-type'] == 'application/json'",
      "(p.json.body | from_json) == {'a': [1, 'two']}", "p.headers['content-type'] == 'application/json'",
      "me.content == 'you are alice:hunter2-pw'",
    ] }
  }
}
"#
        .replace("URL", &format!("http://{}", srv.addr)),
    );
    let args = ["run", "site.eov", "-i", "inventory"];
    let had_curl = lab.sh(1, "command -v curl");
    if !had_curl.contains("curl") {
        let out = t.run(&args);
        assert_eq!(out.code, 4, "{}", out.stdout);
        assert!(
            out.stdout
                .contains("`http` delegated to `h1` needs curl there, and it has none"),
            "{}",
            out.stdout
        );
        lab.sh(1, "apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null 2>&1");
    }
    let out = t.run(&args);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("hunter2"), "{}", out.stdout);
    assert_eq!(log.count("POST /echo"), 1);
}
