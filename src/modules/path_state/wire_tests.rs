//! The probe script run by the local `sh`, as a host would, and its output parsed.

use super::wire::{parse, script};
use super::{PathKind, PathQuery, PathState, sha256_hex};

/// Runs the probe script with the local `sh`, as a host would.
fn run(queries: &[PathQuery]) -> Vec<Result<PathState, String>> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(script(queries))
        .output()
        .expect("sh runs");
    parse(&out.stdout, queries)
}

#[test]
fn many_paths_in_one_script() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a"), "hello\n").unwrap();
    std::fs::write(d.join("odd\nname"), "x").unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("a", d.join("link")).unwrap();
    std::os::unix::fs::symlink("nowhere", d.join("dangling")).unwrap();
    let p = |n: &str| d.join(n).to_str().unwrap().to_string();
    let qs = [
        PathQuery::new(&p("a"), true, true),
        PathQuery::new(&p("missing"), true, false),
        PathQuery::new(&p("sub"), false, false),
        PathQuery::new(&p("link"), true, true),
        PathQuery::new(&p("dangling"), false, false),
        PathQuery::new(&p("odd\nname"), true, true),
        PathQuery::new(&p("a"), false, false),
    ];
    let r: Vec<PathState> = run(&qs).into_iter().map(Result::unwrap).collect();
    assert_eq!(r[0].kind, PathKind::File);
    assert_eq!(
        r[0].sha256.as_deref(),
        Some(sha256_hex(b"hello\n").as_str())
    );
    assert_eq!(r[0].content.as_deref(), Some(&b"hello\n"[..]));
    assert_eq!(r[0].size, 6);
    assert_eq!(r[1].kind, PathKind::Absent);
    assert_eq!(r[2].kind, PathKind::Directory);
    assert!(r[2].exists);
    assert_eq!(r[3].kind, PathKind::Link);
    assert_eq!(r[3].link_target.as_deref(), Some("a"));
    assert!(r[3].exists && r[3].sha256.is_none() && r[3].content.is_none());
    assert_eq!(r[4].kind, PathKind::Link);
    assert!(!r[4].exists);
    assert_eq!(r[5].sha256.as_deref(), Some(sha256_hex(b"x").as_str()));
    assert_eq!(r[5].content.as_deref(), Some(&b"x"[..]));
    assert_eq!(r[6].kind, PathKind::File);
}

#[test]
fn large_files_are_hashed_on_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b'x'; 20_000];
    let huge = vec![b'y'; 300_000];
    std::fs::write(dir.path().join("big"), &big).unwrap();
    std::fs::write(dir.path().join("huge"), &huge).unwrap();
    std::fs::write(dir.path().join("small"), "s").unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let qs = [
        PathQuery::new(&p("big"), true, false),
        PathQuery::new(&p("huge"), true, true),
        PathQuery::new(&p("small"), false, true),
        PathQuery::new(&p("big"), false, true),
    ];
    let r: Vec<PathState> = run(&qs).into_iter().map(Result::unwrap).collect();
    assert_eq!(r[0].sha256.as_deref(), Some(sha256_hex(&big).as_str()));
    assert!(r[0].content.is_none());
    assert_eq!(r[1].sha256.as_deref(), Some(sha256_hex(&huge).as_str()));
    assert!(r[1].content.is_none(), "over the diff limit");
    assert_eq!(r[2].content.as_deref(), Some(&b"s"[..]));
    assert!(r[2].sha256.is_none(), "not asked");
    assert_eq!(r[3].content.as_deref(), Some(&big[..]));
}

#[test]
fn hashes_without_contents_and_relative_paths() {
    let qs = [
        PathQuery::new("/", false, false),
        PathQuery::new("-no-such", true, false),
        PathQuery::new("/etc/hostname", true, false),
    ];
    let r: Vec<PathState> = run(&qs).into_iter().map(Result::unwrap).collect();
    assert_eq!(r[0].kind, PathKind::Directory);
    assert_eq!(r[1].kind, PathKind::Absent);
    assert!(r[2].sha256.is_some() || r[2].kind != PathKind::File);
}
