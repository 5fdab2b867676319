//! The lab cloud: OpenStack (Debian's Zed packages) built by `plays/cloud.eov` on a fresh lab
//! of 5 hosts (OpenVPN server, controller, two computes, one spare), then a smoke test against
//! the real Nova API: both computes up, a server boots to ACTIVE on one of them and is
//! deleted; a second run changes nothing. Then the compute plays on the same cloud: the spare
//! is added (up in Nova, a server boots on it and live-migrates), removed (its server moved
//! away first, its service gone) and rejoined (same alias and VPN address); each play's
//! second run changes nothing. The lab image `openstack` is built by the test if missing.

use std::time::Instant;

use crate::lab::Lab;
use crate::support::{Test, recap, repo};

/// `openstack` on the controller host (h2), with the admin credentials the play wrote there.
fn openstack(lab: &Lab, args: &str) -> String {
    lab.sh(2, &format!(". /root/admin-openrc && openstack {args} 2>&1"))
}

#[test]
fn cloud_boots_a_server_on_real_nova_and_reruns_unchanged() {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    let podman = std::process::Command::new("podman")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !root || !podman {
        eprintln!("SKIPPED cloud lab test: needs root and podman (see docs/lab.md)");
        return;
    }
    let started = Instant::now();
    let lab = Lab::up_image(6, "cloud", "openstack");
    eprintln!("lab up (image included): {:?}", started.elapsed());
    let t = Test::new();
    let play = repo().join("plays/cloud.eov");
    t.file(
        "hosts",
        &format!(
            "[openvpn]\n{}\n[control]\n{}\n[compute]\n{}\n{}\n",
            lab.line(1, ""),
            lab.line(2, ""),
            lab.line(3, ""),
            lab.line(4, "")
        ),
    );

    let first_start = Instant::now();
    let first = t.run(&["run", play.to_str().unwrap(), "-i", "hosts"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    eprintln!(
        "plays/cloud.eov on a fresh lab: {:?}",
        first_start.elapsed()
    );

    // Passwords: made once on the controller, 0600, never printed.
    let admin = t.read("current/cloud/passwords/admin").trim().to_string();
    assert_eq!(admin.len(), 24);
    for name in ["admin", "rabbitmq", "mariadb_nova", "keystone_nova"] {
        let meta = std::fs::metadata(t.path().join("current/cloud/passwords").join(name)).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        let secret = t.read(&format!("current/cloud/passwords/{name}"));
        assert!(!first.stdout.contains(secret.trim()), "{name} was printed");
    }
    let openrc = t.read("current/admin-openrc");
    assert!(
        openrc.contains("export OS_AUTH_URL=http://11.8.0.10:5000/v3"),
        "{openrc}"
    );
    assert!(openrc.contains(&format!("export OS_PASSWORD={admin}")));

    // Every compute is registered and up, under its hostname, on the VPN address.
    let mut computes: Vec<String> = openstack(
        &lab,
        "compute service list --service nova-compute -f value -c Host -c State",
    )
    .lines()
    .map(str::to_string)
    .collect();
    computes.sort();
    assert_eq!(computes, ["h3 up", "h4 up"]);
    let hypervisors = openstack(
        &lab,
        "hypervisor list -f value -c 'Hypervisor Type' -c 'Host IP'",
    );
    assert!(hypervisors.contains("fake 11.8.0.11"), "{hypervisors}");
    assert!(hypervisors.contains("fake 11.8.0.12"), "{hypervisors}");

    // A server boots on a compute, then is deleted.
    let boot = openstack(
        &lab,
        "--os-compute-api-version 2.37 server create --flavor tiny --image eov-tiny --nic none \
         --wait -f value -c status -c OS-EXT-SRV-ATTR:host smoke",
    );
    // `--wait` ends its progress output with an empty line.
    let fields: Vec<&str> = boot.lines().filter(|l| !l.is_empty()).collect();
    assert!(
        fields.len() == 2 && ["h3", "h4"].contains(&fields[0]) && fields[1] == "ACTIVE",
        "{boot}"
    );
    let deleted = openstack(
        &lab,
        "server delete --wait smoke && openstack server list -f value",
    );
    assert_eq!(deleted, "", "the server was not deleted");

    // A second run changes nothing anywhere.
    let second_start = Instant::now();
    let second = t.run(&["run", play.to_str().unwrap(), "-i", "hosts"]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    eprintln!("second run: {:?}", second_start.elapsed());
    for h in ["h1", "h2", "h3", "h4"] {
        assert!(
            recap(&second.stdout, h).contains(" changed=0 "),
            "{h}: {}\n{}",
            recap(&second.stdout, h),
            second.stdout
        );
    }
    assert_eq!(
        t.read("current/cloud/passwords/admin").trim(),
        admin,
        "a rerun made a new password"
    );

    computes_at_will(&lab, &t);
    joins_through_the_service(&lab, &t);
    a_dead_compute_is_removed(&lab, &t);
}

/// h6 asks to join: `eov join` on it, `eov serve` on the lab's gateway running the real
/// add_compute.eov in-process; it is reached at the address it joined from, checked against
/// the host key it sent, and ends up an `up` compute.
fn joins_through_the_service(lab: &Lab, t: &Test) {
    use crate::serve_support::{Server, token};
    t.file("inventory", &t.read("current/hosts"));
    let join_token = token(t, &["--uses", "1"]);
    let admin = token(t, &["--admin"]);
    let plays = repo().join("plays");
    let key = lab.dir().join("id_ed25519");
    let server = Server::start_with(
        t,
        &[
            "--listen",
            "0.0.0.0:0",
            "--plays-dir",
            plays.to_str().unwrap(),
            "--private-key",
            key.to_str().unwrap(),
        ],
    );
    let port = server.base.rsplit(':').next().unwrap().to_string();
    let address = lab.address(1);
    let url = format!("https://{}.1:{port}", address.rsplit_once('.').unwrap().0);
    crate::serve_lab::install_eov(lab, 6);
    let started = Instant::now();
    let out = crate::serve_lab::join_from(lab, 6, &url, &join_token, &server.pin);
    eprintln!(
        "eov join (h6, add_compute.eov in eov serve): {:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("node h6 is up"),
        "{stderr}"
    );
    assert_eq!(
        computes(lab),
        "h3 enabled up, h4 enabled up, h5 enabled up, h6 enabled up"
    );
    let (_, nodes) = server.json("GET", "/v1/nodes", Some(&admin), None);
    let h6 = nodes["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "h6")
        .unwrap()
        .clone();
    assert_eq!(h6["state"], "up", "{nodes}");
    assert_eq!(h6["alias"], "compute-node4", "{nodes}");
    assert_eq!(h6["vpn_address"], "11.8.0.14", "{nodes}");
    server.kill();
}

/// h6 dies with a server on it: remove evacuates the server and forgets the node without
/// reaching it.
fn a_dead_compute_is_removed(lab: &Lab, t: &Test) {
    let boot = openstack(
        lab,
        "--os-compute-api-version 2.37 server create --flavor tiny --image eov-tiny --nic none \
         --availability-zone nova:h6 --wait -f value -c status vm2",
    );
    assert!(boot.contains("ACTIVE"), "{boot}");
    let stop = std::process::Command::new("podman")
        .args(["stop", "-t", "0", &lab.container(6)])
        .output()
        .unwrap();
    assert!(
        stop.status.success(),
        "{}",
        String::from_utf8_lossy(&stop.stderr)
    );
    let play = repo().join("plays/remove_compute.eov");
    let started = Instant::now();
    let out = t.run(&["run", play.to_str().unwrap(), "-e", "node=h6"]);
    eprintln!(
        "remove_compute.eov -e node=h6 (dead): {:?}",
        started.elapsed()
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("cannot be reached: its servers are evacuated"),
        "{}",
        out.stdout
    );
    let moved = where_is(lab, "vm2");
    assert!(
        ["h3 ACTIVE", "h4 ACTIVE", "h5 ACTIVE"].contains(&moved.as_str()),
        "{moved}"
    );
    assert_eq!(computes(lab), "h3 enabled up, h4 enabled up, h5 enabled up");
    let deleted = openstack(
        lab,
        "server delete --wait vm2 && openstack server list -f value",
    );
    assert_eq!(deleted, "", "the server was not deleted");
}

/// Every host's recap says changed=0.
#[track_caller]
fn unchanged(out: &crate::support::Output, hosts: &[&str]) {
    for h in hosts {
        assert!(
            recap(&out.stdout, h).contains(" changed=0 "),
            "{h}: {}\n{}",
            recap(&out.stdout, h),
            out.stdout
        );
    }
}

/// The host and status of a server, as Nova says.
fn where_is(lab: &Lab, server: &str) -> String {
    openstack(
        lab,
        &format!("server show {server} -f value -c OS-EXT-SRV-ATTR:host -c status"),
    )
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ")
}

fn computes(lab: &Lab) -> String {
    let mut c: Vec<String> = openstack(
        lab,
        "compute service list --service nova-compute -f value -c Host -c Status -c State",
    )
    .lines()
    .map(str::to_string)
    .collect();
    c.sort();
    c.join(", ")
}

fn computes_at_will(lab: &Lab, t: &Test) {
    let play = |name: &str| repo().join("plays").join(name).display().to_string();
    let all = ["h1", "h2", "h3", "h4", "h5"];
    // h5 is not in the cloud's inventory: it is reachable through a second one.
    t.file("spare", &format!("[spare]\n{}\n", lab.line(5, "")));
    let run = |file: &str, inventory: &[&str]| {
        let mut args = vec!["run".to_string(), play(file)];
        for i in inventory {
            args.push("-i".into());
            args.push((*i).to_string());
        }
        args.extend(["-e".to_string(), "node=h5".to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = Instant::now();
        let out = t.run(&args);
        eprintln!("{file} -e node=h5: {:?}", started.elapsed());
        assert_eq!(out.code, 0, "{file}:\n{}\n{}", out.stdout, out.stderr);
        out
    };

    // Add: up in Nova, the state and the derived inventories name it, every compute resolves it.
    run("add_compute.eov", &["hosts", "spare"]);
    assert_eq!(computes(lab), "h3 enabled up, h4 enabled up, h5 enabled up");
    let state: serde_json::Value =
        serde_json::from_str(&t.read("current/cloud/nodes.json")).unwrap();
    let h5 = state["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "h5")
        .unwrap()
        .clone();
    assert_eq!(
        (h5["alias"].as_str(), h5["member"].as_bool()),
        (Some("compute-node3"), Some(true))
    );
    assert!(
        t.read("current/hosts").contains("\nh5 eov_host="),
        "{}",
        t.read("current/hosts")
    );
    assert!(
        t.read("current/cloud/multinode")
            .contains("compute-node3 ansible_host=11.8.0.13")
    );
    let tap0 = lab.sh(5, "ip -4 -o addr show dev tap0 | awk '{print $4}'");
    assert_eq!(tap0.trim(), "11.8.0.13/24");
    // Each host's own name is also podman's entry for it: ask for the other computes only.
    for (h, peers, expect) in [
        (3, "h4 h5", "11.8.0.12 11.8.0.13"),
        (4, "h3 h5", "11.8.0.11 11.8.0.13"),
        (5, "h3 h4", "11.8.0.11 11.8.0.12"),
    ] {
        let found = lab.sh(
            h,
            &format!("getent hosts {peers} | awk '{{print $1}}' | sort | tr '\\n' ' '"),
        );
        assert_eq!(found.trim(), expect, "h{h}");
    }
    unchanged(&run("add_compute.eov", &["hosts", "spare"]), &all);

    // A server boots on it and live-migrates to another compute and back.
    let boot = openstack(
        lab,
        "--os-compute-api-version 2.37 server create --flavor tiny --image eov-tiny --nic none \
         --availability-zone nova:h5 --wait -f value -c status vm1",
    );
    assert!(boot.contains("ACTIVE"), "{boot}");
    assert_eq!(where_is(lab, "vm1"), "h5 ACTIVE");
    openstack(
        lab,
        "--os-compute-api-version 2.30 server migrate --live-migration --host h4 --wait vm1",
    );
    assert_eq!(where_is(lab, "vm1"), "h4 ACTIVE");
    openstack(
        lab,
        "--os-compute-api-version 2.30 server migrate --live-migration --host h5 --wait vm1",
    );
    assert_eq!(where_is(lab, "vm1"), "h5 ACTIVE");

    // Remove: its server is moved away first, its service is gone, its alias stays reserved.
    run("remove_compute.eov", &["current/hosts", "spare"]);
    let moved = where_is(lab, "vm1");
    assert!(
        ["h3 ACTIVE", "h4 ACTIVE"].contains(&moved.as_str()),
        "{moved}"
    );
    assert_eq!(computes(lab), "h3 enabled up, h4 enabled up");
    let hosts = t.read("current/hosts");
    assert!(hosts.contains("[removed]\nh5 "), "{hosts}");
    assert!(!t.read("current/cloud/multinode").contains("compute-node3"));
    for h in [3, 4] {
        assert_eq!(
            lab.sh(h, "getent hosts h5 || echo none").trim(),
            "none",
            "h{h}"
        );
    }
    unchanged(&run("remove_compute.eov", &["current/hosts"]), &all);

    // Rejoin, through the derived inventory alone: the same alias and VPN address.
    run("rejoin_compute.eov", &["current/hosts"]);
    assert_eq!(computes(lab), "h3 enabled up, h4 enabled up, h5 enabled up");
    let tap0 = lab.sh(5, "ip -4 -o addr show dev tap0 | awk '{print $4}'");
    assert_eq!(tap0.trim(), "11.8.0.13/24");
    assert!(
        t.read("current/cloud/multinode")
            .contains("compute-node3 ansible_host=11.8.0.13")
    );
    unchanged(&run("rejoin_compute.eov", &["current/hosts"]), &all);
    let deleted = openstack(
        lab,
        "server delete --wait vm1 && openstack server list -f value",
    );
    assert_eq!(deleted, "", "the server was not deleted");
}
