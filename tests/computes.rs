//! The compute plays without a cloud: the derived inventories of a fixed state of 6 nodes
//! (snapshots), refusals that change nothing, and the kolla backend's exact `enos os --`
//! command lines as `--check` shows them. The plays run against real Nova in `cloud.rs`.

use crate::support::{Test, repo};

/// A state of 6 nodes: the OpenVPN server, control, network, three computes of which one
/// left (its alias and slot stay reserved).
const STATE: &str = r#"{
  "version": 1,
  "backend": "BACKEND",
  "nodes": [
    {"name": "h1", "role": "openvpn", "alias": "openvpn-node", "slot": null, "member": true, "vars": {"eov_connection": "local"}},
    {"name": "h2", "role": "control", "alias": "control-node", "slot": 0, "member": true, "vars": {"eov_connection": "local"}},
    {"name": "h3", "role": "network", "alias": "network-node", "slot": 1, "member": true, "vars": {"eov_connection": "local"}},
    {"name": "h4", "role": "compute", "alias": "compute-node1", "slot": 2, "member": true, "hostname": "h4", "fqdn": "h4.lab.example", "vars": {"eov_connection": "local"}},
    {"name": "h5", "role": "compute", "alias": "compute-node2", "slot": 3, "member": false, "hostname": "h5", "vars": {"eov_connection": "local"}},
    {"name": "h6", "role": "compute", "alias": "compute-node3", "slot": 4, "member": true, "hostname": "h6", "fqdn": "h6.lab.example", "vars": {"eov_connection": "local", "eov_port": 2222}}
  ]
}
"#;

/// Every host of the state plus a new one (h7), all through the local connection.
const INVENTORY: &str = "[openvpn]\nh1 eov_connection=local\n[enos]\nh1\n[control]\nh2 eov_connection=local\n[network]\nh3 eov_connection=local\n[compute]\nh4 eov_connection=local\nh6 eov_connection=local\n[removed]\nh5 eov_connection=local\n[pool]\nh7 eov_connection=local\n";

pub(crate) fn cloud(backend: &str) -> Test {
    let t = Test::new();
    t.file(
        "current/cloud/nodes.json",
        &STATE.replace("BACKEND", backend),
    );
    t.file("inventory", INVENTORY);
    t.file(
        "derive.eov",
        "play \"derived\" on \"localhost\" {\n  role cloud_state { }\n}\n\
         play \"hosts block\" on \"localhost\" {\n  role compute_hosts { cloud = \"{{ hostvars.localhost.cloud }}\", hosts_file = \"{{ out }}\" }\n}\n",
    );
    t
}

pub(crate) fn roles() -> String {
    repo().join("roles").display().to_string()
}

#[test]
fn derived_inventories_of_a_six_node_cloud() {
    let t = cloud("kolla");
    t.file("etc-hosts", "127.0.0.1 localhost\n");
    let out = format!("out={}/etc-hosts", t.root());
    let run = t.run(&[
        "run",
        "derive.eov",
        "-i",
        "inventory",
        "--roles-path",
        &roles(),
        "-e",
        &out,
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    insta::assert_snapshot!("computes_hosts", t.read("current/hosts"));
    insta::assert_snapshot!(
        "computes_reservation_yaml",
        t.read("current/cloud/reservation.yaml")
    );
    insta::assert_snapshot!("computes_multinode", t.read("current/cloud/multinode"));
    insta::assert_snapshot!("computes_etc_hosts_block", t.read("etc-hosts"));
    assert_eq!(
        t.read("current/openvpn/addresses.json"),
        "[\"h2\",\"h3\",\"h4\",\"h5\",\"h6\"]\n"
    );
    // Reading changed nothing, and a second run changes no file.
    assert_eq!(
        t.read("current/cloud/nodes.json"),
        STATE.replace("BACKEND", "kolla")
    );
    let again = t.run(&[
        "run",
        "derive.eov",
        "-i",
        "inventory",
        "--roles-path",
        &roles(),
        "-e",
        &out,
    ]);
    assert!(again.stdout.contains("changed=0"), "{}", again.stdout);
    // The derived inventory is one eov reads back, with the removed node apart.
    let graph = t.run(&["inventory", "-i", "current/hosts", "--graph"]);
    assert_eq!(graph.code, 0, "{}", graph.stderr);
    assert!(graph.stdout.contains("@removed"), "{}", graph.stdout);
}

#[test]
fn refusals_come_before_anything_changes() {
    let t = cloud("packages");
    let state = t.read("current/cloud/nodes.json");
    let play = |name: &str| repo().join("plays").join(name).display().to_string();
    for (file, node, expect) in [
        (
            "add_compute.eov",
            "h2",
            "`h2` is the control node of the cloud, not a compute",
        ),
        (
            "add_compute.eov",
            "h5",
            "`h5` left the cloud (it was compute-node2): bring it back with plays/rejoin_compute.eov -e node=h5",
        ),
        (
            "remove_compute.eov",
            "h7",
            "`h7` is not a node of the cloud (computes: h4, h5, h6)",
        ),
        (
            "rejoin_compute.eov",
            "h7",
            "`h7` is not a node of the cloud",
        ),
        (
            "remove_compute.eov",
            "nope",
            "no host or group matches `nope`",
        ),
        (
            "add_compute.eov",
            "a;rm -rf x",
            "no host or group matches `a;rm -rf x`",
        ),
    ] {
        let node = format!("node={node}");
        let run = t.run(&["run", &play(file), "-i", "inventory", "-e", &node]);
        assert_ne!(run.code, 0, "{file} {node}: {}", run.stdout);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(all.contains(expect), "{file} {node}:\n{all}");
        assert!(
            !all.contains("PLAY OpenVPN server"),
            "{file} {node} went on:\n{all}"
        );
        assert!(!all.contains("PLAY drain"), "{file} {node} went on:\n{all}");
        assert_eq!(t.read("current/cloud/nodes.json"), state, "{file} {node}");
        assert!(
            !t.exists("current/hosts"),
            "{file} {node} wrote the inventory"
        );
    }
    // A node that cannot be reached (nothing listens on its SSH port): the run stops after
    // the first play.
    t.file(
        "inventory",
        &format!("{INVENTORY}h8 eov_host=127.0.0.1 eov_port=9 eov_user=root\n"),
    );
    let run = t.run(&[
        "run",
        &play("add_compute.eov"),
        "-i",
        "inventory",
        "-e",
        "node=h8",
    ]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("unreachable h8"), "{}", run.stdout);
    assert!(
        run.stdout.contains("STOPPED after play reach the node"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("PLAY cloud state"), "{}", run.stdout);
    assert_eq!(t.read("current/cloud/nodes.json"), state);
}

#[test]
fn kolla_commands_shown_by_check() {
    let t = cloud("kolla");
    // h6 is up: something answers on its SSH port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    t.file(
        "inventory",
        &INVENTORY.replace(
            "h6 eov_connection=local",
            &format!("h6 eov_connection=local eov_host=127.0.0.1 eov_port={port}"),
        ),
    );
    let out = format!("out={}/etc-hosts", t.root());
    t.file("etc-hosts", "");
    let derive = t.run(&[
        "run",
        "derive.eov",
        "-i",
        "inventory",
        "--roles-path",
        &roles(),
        "-e",
        &out,
    ]);
    assert_eq!(derive.code, 0, "{}", derive.stdout);
    let play = |name: &str| repo().join("plays").join(name).display().to_string();
    let mut shown = String::new();
    let enos = t.run(&[
        "run",
        &play("enos.eov"),
        "-i",
        "inventory",
        "--check",
        "--tags",
        "cloud_state,enos",
    ]);
    assert_eq!(enos.code, 0, "enos.eov:\n{}\n{}", enos.stdout, enos.stderr);
    shown.push_str("# enos.eov\n");
    for line in enos
        .stdout
        .lines()
        .filter(|l| l.contains("not run in check mode"))
    {
        shown.push_str(line);
        shown.push('\n');
    }
    for (file, node) in [
        ("add_compute.eov", "h7"),
        ("rejoin_compute.eov", "h5"),
        ("remove_compute.eov", "h6"),
    ] {
        let node = format!("node={node}");
        let run = t.run(&[
            "run",
            &play(file),
            "-i",
            "inventory",
            "-e",
            &node,
            "--check",
            "--tags",
            "cloud_state,kolla_compute",
        ]);
        assert_eq!(run.code, 0, "{file}:\n{}\n{}", run.stdout, run.stderr);
        shown.push_str(&format!("# {file} -e {node}\n"));
        for line in run.stdout.lines().filter(|l| l.contains("enos os")) {
            shown.push_str(line);
            shown.push('\n');
        }
    }
    insta::assert_snapshot!("computes_kolla_check", shown);
    assert_eq!(
        t.read("current/cloud/nodes.json"),
        STATE.replace("BACKEND", "kolla"),
        "--check wrote the state"
    );
}
