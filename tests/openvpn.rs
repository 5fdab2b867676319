//! The OpenVPN roles on lab hosts: one server and three nodes, then a fifth host added, then
//! one node revoked. Every node must reach every other and the server on both networks.

use std::time::{Duration, Instant};

use crate::lab::Lab;
use crate::support::{Test, recap, repo};

const NETS: [&str; 2] = ["11.8.0", "11.8.1"];

/// Pings until it answers (a tunnel that was just (re)started needs a moment).
fn reaches(lab: &Lab, from: usize, address: &str) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if lab
            .sh(
                from,
                &format!("ping -c1 -W1 {address} >/dev/null 2>&1 && echo yes"),
            )
            .contains("yes")
        {
            return true;
        }
    }
    false
}

fn address_of(lab: &Lab, i: usize, dev: &str) -> String {
    lab.sh(
        i,
        &format!("ip -4 -o addr show dev {dev} 2>/dev/null | awk '{{print $4}}'"),
    )
    .trim()
    .to_string()
}

fn pids(lab: &Lab, hosts: &[usize]) -> Vec<String> {
    hosts
        .iter()
        .map(|i| lab.sh(*i, "cat /run/openvpn/*.pid 2>/dev/null"))
        .collect()
}

/// Rendered files, with the lab's own address replaced so the snapshot is stable.
fn rendered(lab: &Lab, i: usize, path: &str) -> String {
    let text = lab.sh(i, &format!("cat {path}"));
    text.replace(&lab.address(1), "[SERVER]")
}

#[test]
fn flat_network_add_a_node_and_revoke_one() {
    if !crate::lab::available("flat_network_add_a_node_and_revoke_one") {
        return;
    }
    let lab = Lab::up(5, "vpn");
    let t = Test::new();
    let play = repo().join("plays/openvpn.eov");
    let revoke = repo().join("plays/openvpn_revoke.eov");
    // The original positional inventory: h1 is the OpenVPN node, the others follow.
    let lines: Vec<String> = (1..=5).map(|i| lab.line(i, "")).collect();
    t.file("hosts4", &(lines[..4].join("\n") + "\n"));
    t.file("hosts5", &(lines.join("\n") + "\n"));

    // A dry run on fresh hosts shows the files it would create and changes nothing.
    let dry = t.run(&[
        "run",
        play.to_str().unwrap(),
        "-i",
        "hosts4",
        "--check",
        "--diff",
    ]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(
        dry.stdout
            .contains("+++ /etc/openvpn/server/mgmt.conf (after)"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("+++ /etc/openvpn/client/ext.conf (after)"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("+ifconfig-push 11.8.0.12 255.255.255.0"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        lab.sh(1, "ls /etc/openvpn/server"),
        "",
        "check mode wrote on the server"
    );

    let first = t.run(&["run", play.to_str().unwrap(), "-i", "hosts4"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        t.read("current/openvpn/addresses.json"),
        "[\"h2\",\"h3\",\"h4\"]\n"
    );
    for (i, host) in [(2, 10), (3, 11), (4, 12)] {
        assert_eq!(address_of(&lab, i, "tap0"), format!("11.8.0.{host}/24"));
        assert_eq!(address_of(&lab, i, "tap1"), format!("11.8.1.{host}/24"));
    }
    for from in 2..=4 {
        for net in NETS {
            for to in ["1", "10", "11", "12"] {
                assert!(
                    reaches(&lab, from, &format!("{net}.{to}")),
                    "h{from} cannot reach {net}.{to}"
                );
            }
        }
    }

    insta::assert_snapshot!(
        "server_mgmt_conf",
        rendered(&lab, 1, "/etc/openvpn/server/mgmt.conf")
    );
    insta::assert_snapshot!(
        "server_ext_conf",
        rendered(&lab, 1, "/etc/openvpn/server/ext.conf")
    );
    insta::assert_snapshot!(
        "ccd_files",
        lab.sh(
            1,
            "cd /etc/openvpn/server && for f in ccd-*/*; do echo \"== $f\"; cat $f; done"
        )
    );
    insta::assert_snapshot!(
        "client_mgmt_conf",
        rendered(&lab, 3, "/etc/openvpn/client/mgmt.conf")
    );
    insta::assert_snapshot!(
        "client_ext_conf",
        rendered(&lab, 3, "/etc/openvpn/client/ext.conf")
    );
    insta::assert_snapshot!(
        "init_script",
        lab.sh(2, "cat /etc/init.d/eov-openvpn-client-mgmt")
    );
    assert_eq!(
        lab.sh(3, "stat -c %a /etc/openvpn/client/eov.key").trim(),
        "600"
    );
    assert_eq!(
        lab.sh(1, "ls /etc/openvpn/easy-rsa-eov/pki/private"),
        "ca.key\nserver.key\ntc.key\n",
        "a node's private key was made on the server"
    );

    let second = t.run(&["run", play.to_str().unwrap(), "-i", "hosts4"]);
    assert_eq!(second.code, 0);
    for h in ["h1", "h2", "h3", "h4"] {
        assert!(
            recap(&second.stdout, h).contains(" changed=0 "),
            "{}",
            second.stdout
        );
    }

    // A restarted tunnel comes back with the same addresses.
    lab.sh(3, "/etc/init.d/eov-openvpn-client-mgmt restart");
    assert!(reaches(&lab, 3, "11.8.0.10"));
    assert_eq!(address_of(&lab, 3, "tap0"), "11.8.0.11/24");

    // A fifth host joins; the server and the other nodes are not restarted.
    let before = pids(&lab, &[1, 2, 3, 4]);
    let add = t.run(&[
        "run",
        play.to_str().unwrap(),
        "-i",
        "hosts5",
        "-e",
        "node=h5",
    ]);
    assert_eq!(add.code, 0, "{}\n{}", add.stdout, add.stderr);
    assert!(
        !add.stdout.contains("| h2") && !add.stdout.contains(" h3 |"),
        "{}",
        add.stdout
    );
    assert_eq!(
        pids(&lab, &[1, 2, 3, 4]),
        before,
        "a running tunnel was restarted"
    );
    assert_eq!(
        t.read("current/openvpn/addresses.json"),
        "[\"h2\",\"h3\",\"h4\",\"h5\"]\n"
    );
    assert_eq!(address_of(&lab, 5, "tap0"), "11.8.0.13/24");
    for net in NETS {
        assert!(reaches(&lab, 5, &format!("{net}.10")));
        assert!(reaches(&lab, 2, &format!("{net}.13")));
    }

    // Revoking h4: its tunnels cannot come back; the others are unaffected.
    let server_pids = pids(&lab, &[1]);
    let out = t.run(&[
        "run",
        revoke.to_str().unwrap(),
        "-i",
        "hosts5",
        "-e",
        "node=h4",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        pids(&lab, &[1]),
        server_pids,
        "revocation restarted the server"
    );
    lab.sh(4, "/etc/init.d/eov-openvpn-client-mgmt start; sleep 5");
    assert_eq!(
        address_of(&lab, 4, "tap0"),
        "",
        "a revoked node got its address back"
    );
    assert!(reaches(&lab, 2, "11.8.0.13") && reaches(&lab, 5, "11.8.1.11"));
    assert!(
        lab.sh(1, "cat /etc/openvpn/easy-rsa-eov/pki/index.txt")
            .lines()
            .any(|l| l.starts_with('R') && l.ends_with("/CN=h4"))
    );
}
