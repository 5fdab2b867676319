//! `--check --diff` on a fresh tree shows every file that would be created, and writes nothing.

use crate::support::Test;

#[test]
fn check_diff_of_the_demo_play_on_a_fresh_root() {
    let t = Test::new();
    let out = t.run_demo(&["--check", "--diff"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(!t.exists("site"), "check mode created files");
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn check_diff_against_an_edited_tree() {
    let t = Test::new();
    assert_eq!(t.run_demo(&[]).code, 0);
    t.file("site/conf/hello.conf", "greeting = \"hi\"\nport = 1\n");
    std::fs::set_permissions(
        t.path().join("site/conf/banner.txt"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let before = t.tree_hash("site");
    let out = t.run_demo(&["--check", "--diff", "-e", "greeting=bonjour"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(t.tree_hash("site"), before);
    insta::assert_snapshot!(out.stdout);
}
