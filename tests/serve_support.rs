//! A real `eov serve` for the join service's tests: started on 127.0.0.1 with an ephemeral
//! port in a temp state dir, killed (its own pid only) when dropped; and an HTTPS client.

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{EOV, Test, repo};

pub const CONTROLLER_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl controller@eov";

/// The stand-in compute plays (tests/fixtures/serve/plays).
pub fn fixture_plays() -> PathBuf {
    repo().join("tests/fixtures/serve/plays")
}

/// The inventory the stand-in plays run on: the local machine, writing under `out/`.
pub fn site(t: &Test, delay: &str) {
    t.file(
        "inventory",
        &format!("[controller]\nlocalhost eov_connection=local out={{root}}/out delay={delay}\n"),
    );
    t.file("out/.keep", "");
    t.file("ctl.pub", &format!("{CONTROLLER_KEY}\n"));
}

pub struct Server {
    child: Child,
    pub base: String,
    pub pin: String,
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Server {
    /// Starts `eov serve` in `t` on 127.0.0.1 with `--state-dir state`, the stand-in plays,
    /// `inventory` and `ctl.pub`; waits until it listens.
    pub fn start(t: &Test, extra: &[&str]) -> Server {
        let plays = fixture_plays();
        let mut args = vec![
            "--listen",
            "127.0.0.1:0",
            "--plays-dir",
            plays.to_str().expect("UTF-8"),
            "--ssh-public-key",
            "ctl.pub",
        ];
        args.extend_from_slice(extra);
        Server::start_with(t, &args)
    }

    /// Starts `eov serve --state-dir state -i inventory ARGS` in `t`.
    pub fn start_with(t: &Test, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--state-dir", "state", "-i", "inventory"];
        args.extend_from_slice(extra);
        let mut child = Command::new(EOV)
            .args(&args)
            .current_dir(t.path())
            .env_remove("EOV_INVENTORY")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start eov serve");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut next = || {
            lines
                .next()
                .and_then(Result::ok)
                .unwrap_or_else(|| panic!("eov serve stopped before listening"))
        };
        let listening = next();
        let addr = listening
            .strip_prefix("eov serve: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {listening}"))
            .to_string();
        let pin = next()
            .strip_prefix("certificate ")
            .expect("a certificate line")
            .to_string();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        // The test client trusts any certificate: pinning is tested through `eov join`.
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .expect("a client");
        Server {
            child,
            base: addr,
            pin,
            rt,
            client,
        }
    }

    /// One request; the status and the body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (u16, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        self.rt.block_on(async {
            let resp = req.send().await.expect("the server answers");
            let status = resp.status().as_u16();
            (status, resp.text().await.expect("a body"))
        })
    }

    /// One request on a connection of its own: the server closes a connection whose body it
    /// refused (413), which a pooled client would otherwise reuse. An error when the server closed the connection while the body was still being sent.
    pub fn call_alone(&self, path: &str, token: &str, body: Vec<u8>) -> Result<u16, String> {
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .pool_max_idle_per_host(0)
            .build()
            .expect("a client");
        let req = client
            .post(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {token}"))
            .body(body);
        self.rt
            .block_on(async { req.send().await.map(|r| r.status().as_u16()) })
            .map_err(|e| format!("{e:?}"))
    }

    pub fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let (status, text) = self.call(method, path, token, body.map(|b| b.to_string().into()));
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: {status} not JSON ({e}): {text}"));
        (status, value)
    }

    /// Posts a join; the job id.
    pub fn join(&self, token: &str, name: &str) -> String {
        let (status, job) = self.json(
            "POST",
            "/v1/join",
            Some(token),
            Some(serde_json::json!({"name": name})),
        );
        assert_eq!(status, 202, "{job}");
        job["id"].as_str().expect("a job id").to_string()
    }

    /// Polls a job until it is finished (or `until` says so); its last state.
    pub fn wait_job(
        &self,
        token: &str,
        id: &str,
        until: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let (status, job) = self.json("GET", &format!("/v1/jobs/{id}"), Some(token), None);
            assert_eq!(status, 200, "{job}");
            if until(&job) {
                return job;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "job {id} never got there: {job}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL, as a crash or `kill -9` would: nothing is cleaned up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM (the operator stopping it); waits for the exit code.
    pub fn terminate(mut self) -> i32 {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.child.wait().expect("wait").code().unwrap_or(-1)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn finished(job: &serde_json::Value) -> bool {
    !matches!(job["status"].as_str(), Some("queued" | "running"))
}

/// `eov token create ARGS` in `t`; the token.
pub fn token(t: &Test, args: &[&str]) -> String {
    let mut all = vec!["token", "create", "--state-dir", "state"];
    all.extend_from_slice(args);
    let out = t.run(&all);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .expect("a token line")
        .to_string()
}
