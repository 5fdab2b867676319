//! Everything shipped in plays/ and roles/ passes `eov check`.

use std::process::Command;

use crate::support::{EOV, repo};

#[test]
fn plays_and_roles_check_clean() {
    let out = Command::new(EOV)
        .args(["check", "plays", "roles"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every play and every role file, one `eov check` each.
#[test]
fn each_shipped_file_checks_clean_on_its_own() {
    let check = |path: &std::path::Path| {
        let out = Command::new(EOV)
            .arg("check")
            .arg(path)
            .current_dir(repo())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    insta::glob!("../plays", "**/*.eov", |path| check(path));
    insta::glob!("../roles", "*/main.eov", |path| check(path));
}
