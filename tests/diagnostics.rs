//! Every bad input of the corpus (tests/fixtures/bad) gives located, readable errors and
//! exit code 3, never a panic; the exact text is pinned by a snapshot.

use std::process::Command;

use crate::support::{EOV, repo};

#[test]
fn bad_inputs() {
    let dir = repo().join("tests/fixtures/bad");
    let mut count = 0;
    insta::glob!("fixtures/bad/*.eov", |path| {
        count += 1;
        let name = path.file_name().unwrap().to_str().unwrap();
        let out = Command::new(EOV)
            .args(["check", name])
            .current_dir(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{name}: exit code\n{stderr}");
        assert!(stderr.starts_with("error: "), "{name}:\n{stderr}");
        let located = regex::Regex::new(r"┌─ \S+\.(eov|j2):\d+:\d+").unwrap();
        assert!(
            located.is_match(&stderr),
            "{name}: no file:line:col\n{stderr}"
        );
        assert!(
            !stderr.contains("Rule::") && !stderr.contains("short_body"),
            "{name}: grammar internals leak\n{stderr}"
        );
        insta::assert_snapshot!(stderr);
    });
    assert!(count >= 30, "the corpus has {count} files");
}

#[test]
fn run_reports_the_same_errors_and_runs_nothing() {
    let dir = repo().join("tests/fixtures/bad");
    let out = Command::new(EOV)
        .args(["run", "40_many_errors_at_once.eov"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.ends_with("4 errors found\n"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_role_file_is_not_a_play() {
    let out = Command::new(EOV)
        .args(["run", "role_file.eov"])
        .current_dir(repo().join("tests/fixtures"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("role_file.eov defines no play"), "{stderr}");
    assert!(stderr.contains("help: this is a role file"), "{stderr}");
}

#[test]
fn unreadable_file_is_reported() {
    let out = Command::new(EOV)
        .args(["check", "/nonexistent/x.eov"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read `/nonexistent/x.eov`"));
}

/// Thousands of nested lists or maps (hostile input) give a located error, never an abort.
#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    for (open, close) in [("[", "]"), ("{a=", "}")] {
        let n = 100_000;
        let play = format!(
            "play \"x\" on \"localhost\" {{\n  vars {{ a = {}1{} }}\n}}\n",
            open.repeat(n),
            close.repeat(n)
        );
        let path = dir.path().join("deep.eov");
        std::fs::write(&path, play).unwrap();
        let out = Command::new(EOV).arg("check").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr:.300}");
        assert!(
            stderr.contains("nested more than 64 levels deep"),
            "{stderr:.300}"
        );
    }
}
