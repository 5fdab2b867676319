//! The join service with a real node: `eov join` runs inside a lab container, reaches
//! `eov serve` over the lab network, authorises the controller's key, and the join's play
//! then reaches the node over SSH with that key.

use std::process::Command;

use crate::lab::Lab;
use crate::serve_support::{Server, finished, token};
use crate::support::{EOV, Test, repo};

#[test]
fn a_lab_node_joins_with_eov_join_and_is_reached_with_the_controller_key() {
    let lab = Lab::up(1, "join");
    let t = Test::new();
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
    let address = lab.address(1);
    t.file(
        "inventory",
        &format!(
            "[compute]\nh1 eov_host={address} eov_user=root eov_known_hosts={}\n",
            lab.dir().join("known_hosts").display()
        ),
    );
    let join_token = token(&t, &["--uses", "1"]);
    let admin = token(&t, &["--admin"]);
    let plays = repo().join("tests/fixtures/serve/lab_plays");
    let server = Server::start_with(
        &t,
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
    let gateway = format!("{}.1", address.rsplit_once('.').unwrap().0);

    let container = lab.container(1);
    let cp = Command::new("podman")
        .args(["cp", EOV, &format!("{container}:/usr/local/bin/eov")])
        .status()
        .unwrap();
    assert!(cp.success());
    let join = |pin: &str| {
        Command::new("podman")
            .args([
                "exec",
                &container,
                "eov",
                "join",
                &format!("https://{gateway}:{port}"),
                "--token",
                &join_token,
                "--ca-cert-hash",
                pin,
                "--name",
                "h1",
            ])
            .output()
            .unwrap()
    };
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
}
