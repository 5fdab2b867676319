//! Modules that the other tests do not reach, each through a real run.

use crate::support::{Test, recap};

#[test]
fn command_variants() {
    let t = Test::new();
    t.file("victim", "x");
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "argv keeps words whole" { command { argv = ["sh", "-c", "printf '%s' \"$0\" > {root}/argv", "a b; rm -rf /"] } }
  task "no shell expansion in command" { command { cmd = "echo $HOME *" } register = "c" }
  task "shell expands" { shell { cmd = "echo $GREETING > out", chdir = "{root}", env = { GREETING = "hi there" }, creates = "out" } }
  task "stdin" { shell { cmd = "cat > {root}/stdin", stdin = "fed" } }
  task "removes" { command { cmd = "rm {root}/victim", removes = "{root}/victim" } }
  task "save" { copy { dest = "{root}/literal", content = "{{ c.stdout }}" } }
}"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(t.read("argv"), "a b; rm -rf /");
    assert_eq!(t.read("literal"), "$HOME *");
    assert_eq!(t.read("out"), "hi there\n");
    assert_eq!(t.read("stdin"), "fed");
    assert!(!t.exists("victim"));
    let again = t.run(&["run", "p.eov"]);
    assert!(
        again
            .stdout
            .contains("ok          localhost | removes: not run: `[TMP]/victim` does not exist"),
        "{}",
        again.stdout
    );
    // A relative `creates` is taken from `chdir`.
    assert!(
        again
            .stdout
            .contains("ok          localhost | shell expands: not run: `[TMP]/out` exists"),
        "{}",
        again.stdout
    );
}

#[test]
fn file_states() {
    let t = Test::new();
    t.file("gone/inner", "x");
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "touch" { file { path = "{root}/f", state = "touch", mode = 0o600 } }
  task "link" { file { path = "{root}/l", state = "link", src = "{root}/f" } }
  task "absent" { file { path = "{root}/gone", state = "absent" } }
  task "exists" { file { path = "{root}/f", state = "file", mode = 0o640 } }
  task "touch keeps" { file { path = "{root}/f", state = "touch" } }
}"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(t.path().join("f"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o640
    );
    assert_eq!(
        std::fs::read_link(t.path().join("l")).unwrap(),
        t.path().join("f")
    );
    assert!(!t.exists("gone"));
    t.file(
        "p.eov",
        &t.read("p.eov").replace("mode = 0o600", "mode = 0o640"),
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(
        recap(&out.stdout, "localhost"),
        "ok=5 changed=0 failed=0 skipped=0 unreachable=0 ignored=0 rescued=0",
        "{}",
        out.stdout
    );
}

#[test]
fn file_refuses_to_replace_a_directory_with_a_link() {
    let t = Test::new();
    t.file("d/x", "x");
    t.file("p.eov", r#"play "p" on "localhost" { task "t" { file { path = "{root}/d", state = "link", src = "/tmp" } } }"#);
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 4);
    assert!(
        out.stdout
            .contains("is a directory; will not replace it with a link"),
        "{}",
        out.stdout
    );
    assert!(t.exists("d/x"));
}

#[test]
fn stat_slurp_and_assert() {
    let t = Test::new();
    t.file("data", "payload");
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "stat" { stat { path = "{root}/data" } register = "s" }
  task "missing" { stat { path = "{root}/nope" } register = "m" }
  task "slurp" { slurp { src = "{root}/data" } register = "content" }
  task "check" { assert { that = ["s.stat.exists", "s.stat.isreg", "s.stat.size == 7", "not m.stat.exists", "content.content | b64decode == 'payload'"] } }
  task "wrong" { assert { that = "s.stat.size == 8", fail_msg = "size is {{ s.stat.size }}" } }
}"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 4);
    assert!(
        out.stdout
            .contains("ok          localhost | check: all assertions passed"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("failed      localhost | wrong: size is 7"),
        "{}",
        out.stdout
    );
}

#[test]
fn wait_for_a_port_and_a_path() {
    let t = Test::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    t.file(
        "p.eov",
        &format!(
            r#"play "p" on "localhost" {{
  task "open port" {{ wait_for {{ port = {port}, timeout = 5s }} }}
  task "closed port" {{ wait_for {{ port = {closed}, state = "stopped", timeout = 5s }} }}
  task "path appears" {{ wait_for {{ path = "{{root}}/flag", timeout = 5s, sleep = 100ms }} }}
  task "never" {{ wait_for {{ path = "{{root}}/never", timeout = 1s, sleep = 100ms }} }}
}}"#
        ),
    );
    let flag = t.path().join("flag");
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        std::fs::write(flag, "x").unwrap();
    });
    let out = t.run(&["run", "p.eov"]);
    writer.join().unwrap();
    drop(listener);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "ok          localhost | open port: port 127.0.0.1:{port} is up"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ok          localhost | closed port"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ok          localhost | path appears"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("failed      localhost | never: timed out after 1s waiting for path"),
        "{}",
        out.stdout
    );
}

#[test]
fn apt_reads_the_package_database_and_check_mode_installs_nothing() {
    if !std::path::Path::new("/usr/bin/dpkg-query").exists() {
        eprintln!("skipped: not a Debian system");
        return;
    }
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "present" { apt { name = ["coreutils", "dpkg"] } }
  task "absent" { apt { name = "eov-no-such-package", state = "absent" } }
  task "would install" { apt { name = "eov-no-such-package" } }
}"#,
    );
    let out = t.run(&["run", "p.eov", "--check", "--diff"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("ok          localhost | present\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ok          localhost | absent\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("changed     localhost | would install\n  packages eov-no-such-package: absent -> present"), "{}", out.stdout);
}

#[test]
fn pause_and_debug_var() {
    let t = Test::new();
    t.file("p.eov", r#"play "p" on "localhost" { vars { x = { a = [1, 2] } } task "p" { pause { duration = 100ms } } task "d" { debug { var = "{{ x }}" } } }"#);
    let start = std::time::Instant::now();
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0);
    assert!(start.elapsed() >= std::time::Duration::from_millis(100));
    assert!(
        out.stdout
            .contains(r#"ok          localhost | d: {"a":[1,2]}"#),
        "{}",
        out.stdout
    );
}

#[test]
fn symbolic_modes_in_file_copy_and_template() {
    use std::os::unix::fs::PermissionsExt;
    let t = Test::new();
    t.file("old", "x").file("tpl.j2", "t\n");
    let mode = |rel: &str| {
        std::fs::metadata(t.path().join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    std::fs::set_permissions(t.path().join("old"), std::fs::Permissions::from_mode(0o664)).unwrap();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "existing" { file { path = "{root}/old", mode = "g-w,o=r,u+x" } }
  task "new copy" { copy { dest = "{root}/secret", content = "s", mode = "u=rw,go=" } }
  task "new dir" { file { path = "{root}/d", state = "directory", mode = "u=rwx,g=rX,o=" } }
  task "template" { template { src = "tpl.j2", dest = "{root}/t", mode = "a=rX" } }
}"#,
    );
    let check = t.run(&["run", "p.eov", "--check", "--diff"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(
        check.stdout.contains("0664") && check.stdout.contains("0744"),
        "{}",
        check.stdout
    );
    assert_eq!(mode("old"), 0o664, "--check changed nothing");
    assert!(!t.exists("secret") && !t.exists("d"));
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        recap(&out.stdout, "localhost").split(' ').nth(1),
        Some("changed=4"),
        "{}",
        out.stdout
    );
    assert_eq!(mode("old"), 0o744);
    assert_eq!(mode("secret"), 0o600);
    assert_eq!(mode("d"), 0o750);
    assert_eq!(mode("t"), 0o444);
    let again = t.run(&["run", "p.eov"]);
    assert_eq!(
        recap(&again.stdout, "localhost"),
        "ok=4 changed=0 failed=0 skipped=0 unreachable=0 ignored=0 rescued=0",
        "{}",
        again.stdout
    );
    // A mode that is neither octal nor symbolic is refused before anything runs, where it is.
    t.file("bad.eov", &t.read("p.eov").replace("g-w,o=r,u+x", "u+y"));
    let bad = t.run(&["check", "bad.eov"]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("`u+y` is not a file mode") && bad.stderr.contains("bad.eov:2:"),
        "{}",
        bad.stderr
    );
}
