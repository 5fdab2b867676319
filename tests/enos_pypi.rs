//! Opt-in (`EOV_TEST_PYPI=1`, needs PyPI): Enos 8.0.0 really installed from PyPI in a venv
//! (kept between runs in `$TMPDIR/eov-enos-8.0.0`, or `EOV_ENOS_VENV`), the `reservation.yaml`
//! the compute plays derive loaded by Enos' own static-provider code (enoslib validates it),
//! and the derived `multinode` read by that venv's `ansible-inventory --list`.

use std::path::PathBuf;
use std::process::Command;

use crate::computes::{cloud, roles};

fn venv() -> Option<PathBuf> {
    if std::env::var("EOV_TEST_PYPI").as_deref() != Ok("1") {
        eprintln!(
            "SKIPPED Enos from PyPI: set EOV_TEST_PYPI=1 (installs enos==8.0.0, about 5 minutes the first time)"
        );
        return None;
    }
    let dir = std::env::var_os("EOV_ENOS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("eov-enos-8.0.0"));
    if !dir.join("bin/enos").exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(made.success(), "python3 -m venv");
        let pip = Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "enos==8.0.0"])
            .status()
            .unwrap();
        assert!(pip.success(), "pip install enos==8.0.0");
    }
    Some(dir)
}

#[test]
fn enos_and_ansible_read_the_derived_files() {
    let Some(venv) = venv() else {
        return;
    };
    let t = cloud("kolla");
    t.file("etc-hosts", "");
    let out = format!("out={}/etc-hosts", t.root());
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

    let loader = crate::support::repo().join("tests/fixtures/enos/load_reservation.py");
    let loaded = Command::new(venv.join("bin/python"))
        .arg(&loader)
        .arg(t.path().join("current/cloud/reservation.yaml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&loaded.stdout);
    assert!(
        loaded.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    assert_eq!(
        text,
        "machine control 11.8.0.10 control-node root node=h2\n\
         machine network 11.8.0.11 network-node root node=h3\n\
         machine compute 11.8.0.12 compute-node1 root node=h4\n\
         machine compute 11.8.0.14 compute-node3 root node=h6\n\
         network network_interface 11.8.0.0/24 11.8.0.200-11.8.0.250\n\
         network neutron_external_interface 11.8.1.0/24 11.8.1.200-11.8.1.250\n"
    );

    let listed = Command::new(venv.join("bin/ansible-inventory"))
        .arg("-i")
        .arg(t.path().join("current/cloud/multinode"))
        .arg("--list")
        .output()
        .unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let inv: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let hosts = |g: &str| -> Vec<String> {
        let mut h: Vec<String> = inv[g]["hosts"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        h.sort();
        h
    };
    assert_eq!(hosts("compute"), ["compute-node1", "compute-node3"]);
    assert_eq!(hosts("control"), ["control-node"]);
    assert_eq!(
        inv["_meta"]["hostvars"]["compute-node3"]["ansible_host"],
        "11.8.0.14"
    );
    let children = |g: &str| inv[g]["children"].as_array().cloned().unwrap_or_default();
    assert!(
        children("nova-compute").contains(&"compute".into()),
        "{inv}"
    );
    assert!(children("baremetal").contains(&"compute".into()), "{inv}");
}
