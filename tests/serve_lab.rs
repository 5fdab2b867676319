//! The join service with a real node: `eov join` runs inside a lab container, reaches
//! `eov serve` over the lab network, authorises the controller's key, and the join's play
//! then reaches the node over SSH with that key.

use std::process::Command;

use crate::lab::Lab;
use crate::serve_support::{Server, finished, token};
use crate::support::{EOV, Test, repo};

/// A controller key (`ctl`), an inventory of the lab's hosts in `compute` (not reachable with
/// that key yet), tokens, and a server on all addresses running the lab stand-in play.
fn controller(t: &Test, lab: &Lab, hosts: usize) -> (Server, String) {
    let keygen = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "controller@eov",
            "-f",
        ])
        .arg(t.path().join("ctl"))
        .status()
        .expect("ssh-keygen");
    assert!(keygen.success());
    let mut inventory = String::from("[compute]\n");
    for i in 1..=hosts {
        inventory.push_str(&format!(
            "h{i} eov_host={} eov_user=root eov_known_hosts={}\n",
            lab.address(i),
            lab.dir().join("known_hosts").display()
        ));
    }
    t.file("inventory", &inventory);
    let plays = repo().join("tests/fixtures/serve/lab_plays");
    let server = Server::start_with(
        t,
        &[
            "--listen",
            "0.0.0.0:0",
            "--plays-dir",
            plays.to_str().unwrap(),
            "--private-key",
            "ctl",
        ],
    );
    let port = server.base.rsplit(':').next().unwrap().to_string();
    // The host is the lab network's gateway, `.1` of the containers' /24.
    let address = lab.address(1);
    let url = format!("https://{}.1:{port}", address.rsplit_once('.').unwrap().0);
    (server, url)
}

/// Copies the eov binary into host `i` (lab hosts run the same Debian as the builder).
pub(crate) fn install_eov(lab: &Lab, i: usize) {
    let cp = Command::new("podman")
        .args([
            "cp",
            EOV,
            &format!("{}:/usr/local/bin/eov", lab.container(i)),
        ])
        .status()
        .unwrap();
    assert!(cp.success());
}

pub(crate) fn join_from(
    lab: &Lab,
    i: usize,
    url: &str,
    token: &str,
    pin: &str,
) -> std::process::Output {
    Command::new("podman")
        .args([
            "exec",
            &lab.container(i),
            "eov",
            "join",
            url,
            "--token",
            token,
            "--ca-cert-hash",
            pin,
            "--name",
            &format!("h{i}"),
        ])
        .output()
        .unwrap()
}

#[test]
fn eight_lab_nodes_join_at_once_and_each_is_up_once() {
    let lab = Lab::up(8, "join8");
    let t = Test::new();
    let join_token = token(&t, &["--uses", "8"]);
    let admin = token(&t, &["--admin"]);
    let (server, url) = controller(&t, &lab, 8);
    for i in 1..=8 {
        install_eov(&lab, i);
    }
    let outputs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=8)
            .map(|i| {
                let (lab, url, tok, pin) = (&lab, &url, &join_token, &server.pin);
                s.spawn(move || join_from(lab, i, url, tok, pin))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, out) in outputs.iter().enumerate() {
        assert_eq!(
            out.status.code(),
            Some(0),
            "h{}: {}",
            i + 1,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            lab.sh(i + 1, "cat /root/joined-by-eov"),
            format!("h{}\n", i + 1)
        );
    }
    let (_, nodes) = server.json("GET", "/v1/nodes", Some(&admin), None);
    let mut names: Vec<&str> = nodes["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8"],
        "{nodes}"
    );
    assert!(
        nodes["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["state"] == "up"),
        "{nodes}"
    );
    let (_, jobs) = server.json("GET", "/v1/jobs", Some(&admin), None);
    let jobs = jobs["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 8);
    assert!(jobs.iter().all(|j| j["status"] == "ok"));
    // One at a time: each job started after the one before it finished.
    let mut spans: Vec<(u64, u64)> = jobs
        .iter()
        .map(|j| {
            (
                j["started"].as_u64().unwrap(),
                j["finished"].as_u64().unwrap(),
            )
        })
        .collect();
    spans.sort();
    assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "{spans:?}");
}

#[test]
fn a_lab_node_joins_with_eov_join_and_is_reached_with_the_controller_key() {
    let lab = Lab::up(1, "join");
    let t = Test::new();
    let join_token = token(&t, &["--uses", "1"]);
    let admin = token(&t, &["--admin"]);
    let (server, url) = controller(&t, &lab, 1);
    install_eov(&lab, 1);
    let join = |pin: &str| join_from(&lab, 1, &url, &join_token, pin);
    // A tampered pin: refused, nothing authorised.
    let mut tampered = server.pin.clone();
    let last = if tampered.ends_with('0') { "1" } else { "0" };
    tampered.replace_range(tampered.len() - 1.., last);
    let out = join(&tampered);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !lab.sh(1, "cat /root/.ssh/authorized_keys")
            .contains("controller@eov")
    );

    let out = join(&server.pin);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("node h1 is up"));
    assert!(stderr.contains("[h1] reach the node changed"), "{stderr}");
    assert!(
        lab.sh(1, "cat /root/.ssh/authorized_keys")
            .contains("controller@eov")
    );
    assert_eq!(lab.sh(1, "cat /root/joined-by-eov"), "h1\n");
    let (_, nodes) = server.json("GET", "/v1/nodes", Some(&admin), None);
    assert_eq!(nodes["nodes"][0]["state"], "up", "{nodes}");
    // The host key the node sent is recorded.
    assert!(
        nodes["nodes"][0]["ssh_public_key"]
            .as_str()
            .unwrap()
            .starts_with("ssh-ed25519 ")
    );
    let (_, jobs) = server.json("GET", "/v1/jobs", Some(&admin), None);
    assert!(jobs["jobs"].as_array().unwrap().iter().all(finished));

    // The node joins again (a new token): the server reaches it on the connection it kept
    // (the node's known_hosts file is the node's, not the job's), so sshd still holds one
    // connection, from the same client port.
    let peers = || {
        lab.sh(
            1,
            "ss -Htn state established '( sport = :22 )' | awk '{print $4}'",
        )
    };
    let before = peers();
    assert_eq!(before.lines().count(), 1, "{before}");
    let again = token(&t, &["--uses", "1"]);
    let out = join_from(&lab, 1, &url, &again, &server.pin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(peers(), before, "the second join opened a new connection");
}
