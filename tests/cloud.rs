//! The lab cloud: OpenStack (Debian's Zed packages) built by `plays/cloud.eov` on a fresh lab
//! of 4 hosts (OpenVPN server, controller, two computes), then a smoke test against the real
//! Nova API: both computes up, a server boots to ACTIVE on one of them and is deleted; a
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
    let lab = Lab::up_image(4, "cloud", "openstack");
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
}
