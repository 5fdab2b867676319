//! Hardening (issue 10): hostile or careless input, flaky networks and signals. No input aborts
//! the process, no write is half done, no secret leaks, no template runs away.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::lab::{Lab, available};
use crate::support::{EOV, Test};

/// With `become`, a copy's content goes through stdin: it is never on sudo's command line
/// (seen by every user of the host in `ps` and `SUDO_COMMAND`), and a sudo password that sudo
/// did not ask for (NOPASSWD) is never written into the file.
#[test]
fn become_copy_content_is_never_on_the_command_line() {
    if !available("become_copy_content_is_never_on_the_command_line") {
        return;
    }
    let lab = Lab::up(1, "argv");
    // An auditing sudo: every command line it is given is recorded.
    lab.sh(
        1,
        "mv /usr/bin/sudo /usr/bin/sudo.real && : > /tmp/sudo-args && chmod 666 /tmp/sudo-args
cat > /usr/bin/sudo <<'EOF'
#!/bin/sh
printf '%s\\n' \"$*\" >> /tmp/sudo-args
exec /usr/bin/sudo.real \"$@\"
EOF
chmod 755 /usr/bin/sudo",
    );
    let t = Test::new();
    let big = "big-canary-line\n".repeat(10_000);
    t.file("big.txt", &big);
    t.file(
        "p.eov",
        r#"play "p" on "lab" {
  task "small" { copy { dest = "/root/small", content = "small-canary-7f3a\n" } become = true }
  task "big" { copy { src = "big.txt", dest = "/root/big" } become = true }
}"#,
    );
    t.file("inv", &format!("[lab]\n{}\n", lab.line(1, "eov_user=eov")));
    // eov's sudo is NOPASSWD: the password given is never read by sudo.
    let out = t.run_env(
        &["run", "p.eov", "-i", "inv"],
        &[("EOV_BECOME_PASSWORD", "pw-canary-91c2")],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let args = lab.sh(1, "cat /tmp/sudo-args");
    assert!(args.contains("sh -c"), "sudo was not used: {args}");
    for canary in ["small-canary", "big-canary", "pw-canary"] {
        assert!(
            !args.contains(canary),
            "`{canary}` on sudo's command line:\n{args}"
        );
    }
    assert_eq!(lab.sh(1, "cat /root/small"), "small-canary-7f3a\n");
    assert_eq!(lab.sh(1, "cat /root/big"), big);
    assert_eq!(
        lab.sh(1, "ls -a /root | grep -c '^.eov' || true").trim(),
        "0"
    );
}

/// Stops (SIGSTOP) the first process that has a temp file of `/srv/k` open and prints its pid
/// (gives up after about two minutes).
const FREEZE_WRITER: &str = r#"i=0
while [ $i -lt 6000 ]; do
  for fd in /proc/[0-9]*/fd/*; do
    case $(readlink "$fd" 2>/dev/null) in
      /srv/k/.eov.*) p=${fd#/proc/}; p=${p%%/*}; kill -STOP "$p" && echo "$p" && exit 0 ;;
    esac
  done
  i=$((i + 1)); sleep 0.02
done
exit 1"#;

/// eov killed (SIGKILL) in the middle of a large copy: the old file stays whole and no temp
/// file is left on the host.
#[test]
fn a_copy_killed_mid_transfer_leaves_the_old_file() {
    if !available("a_copy_killed_mid_transfer_leaves_the_old_file") {
        return;
    }
    let lab = Lab::up(1, "kill");
    lab.sh(1, "mkdir -p /srv/k && printf 'old\\n' > /srv/k/big");
    let t = Test::new();
    let mut big = Vec::with_capacity(200 << 20);
    let mut x: u64 = 1;
    while big.len() < 200 << 20 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        big.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(t.path().join("big.bin"), &big).unwrap();
    drop(big);
    t.file(
        "p.eov",
        r#"play "p" on "lab" { task "big" { copy { src = "big.bin", dest = "/srv/k/big" } } }"#,
    );
    // On the host, the process writing the temp file is stopped (SIGSTOP) as soon as it has
    // it open: the transfer is then frozen mid-way, whatever the machine's load, and eov is
    // killed while the host holds part of the file.
    let watcher = Command::new("podman")
        .args(["exec", &lab.container(1), "sh", "-c", FREEZE_WRITER])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Command::new(EOV)
        .args(["run", "p.eov", "-i"])
        .arg(lab.inventory())
        .current_dir(t.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let frozen = watcher.wait_with_output().unwrap();
    let writer = String::from_utf8_lossy(&frozen.stdout).trim().to_string();
    assert!(
        writer.parse::<u32>().is_ok(),
        "no writer of a temp file was seen on the host: {writer:?}"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "eov ended while its transfer was frozen"
    );
    let part = lab.sh(1, "stat -c %s /srv/k/.eov.* | head -1");
    assert!(
        part.trim().parse::<u64>().unwrap_or(0) < 200 << 20,
        "the whole file was there: {part}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    lab.sh(1, &format!("kill -CONT {writer}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while lab.sh(1, "ls -a /srv/k").contains(".eov.") {
        assert!(
            Instant::now() < deadline,
            "a temp file stayed: {}",
            lab.sh(1, "ls -la /srv/k")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        lab.sh(
            1,
            "stat -c %s /srv/k/big; head -c 16 /srv/k/big | od -c | head -2"
        ),
        lab.sh(
            1,
            "printf 'old\\n' > /tmp/o; stat -c %s /tmp/o; od -c /tmp/o"
        ),
        "the old file was replaced"
    );
}

/// Expressions of thousands of terms and values nested thousands deep give located errors;
/// nothing aborts (a stack overflow used to end the run with exit 134 and no recap).
#[test]
fn huge_expressions_and_deep_values_give_located_errors() {
    let t = Test::new();
    let nots = format!("{}true", "not ".repeat(5000));
    let sum = ["1"; 5000].join(" + ");
    for (name, expr) in [("nots", &nots), ("sum", &sum)] {
        let play = format!(
            "play \"p\" on \"localhost\" {{\n  task \"t\" {{ debug {{ msg = \"{{{{ {expr} }}}}\" }} }}\n}}\n"
        );
        t.file(&format!("{name}.eov"), &play);
        let check = t.run(&["check", &format!("{name}.eov")]);
        assert_eq!(check.code, 3, "{name}: {}{}", check.stdout, check.stderr);
        assert!(
            check.stderr.contains("too complex")
                && check.stderr.contains(&format!("{name}.eov:2:")),
            "{name}: {}",
            check.stderr
        );
        let run = t.run(&["run", &format!("{name}.eov")]);
        assert_eq!(run.code, 3, "{name}: {}{}", run.stdout, run.stderr);
    }
    // The same in a condition, and in a template file found only when the task runs.
    t.file(
        "when.eov",
        &format!(
            "play \"p\" on \"localhost\" {{\n  task \"t\" {{ debug {{ msg = \"x\" }} when = \"{nots}\" }}\n}}\n"
        ),
    );
    let check = t.run(&["check", "when.eov"]);
    assert_eq!(check.code, 3, "{}", check.stderr);
    assert!(check.stderr.contains("when.eov:2:"), "{}", check.stderr);
    t.file("big.j2", &format!("a\n{{{{ {sum} }}}}\n"));
    t.file(
        "file.eov",
        "play \"p\" on \"localhost\" {\n  task \"render\" { template { src = \"{{ name }}\", dest = \"{root}/out\" } }\n}\n",
    );
    let run = t.run(&["run", "file.eov", "-e", "name=big.j2"]);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("render") && run.stdout.contains("too complex"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("failed=1"), "no recap: {}", run.stdout);

    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    t.file(
        "deep.eov",
        &format!("play \"p\" on \"localhost\" {{\n  vars {{ x = {deep} }}\n  task \"t\" {{ debug {{ msg = \"hi\" }} }}\n}}\n"),
    );
    let check = t.run(&["check", "deep.eov"]);
    assert_eq!(check.code, 3, "{}", check.stderr);
    assert!(check.stderr.contains("deep.eov:2:"), "{}", check.stderr);
    t.file("deep.json", &format!("{{\"x\": {deep}}}"));
    t.file(
        "ok.eov",
        "play \"p\" on \"localhost\" { task \"t\" { debug { msg = \"hi\" } } }\n",
    );
    let run = t.run(&["run", "ok.eov", "-e", "@deep.json"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
}

/// A template that would run for hours or take gigabytes stops at its budget with an error
/// that names the task.
#[test]
fn runaway_templates_stop_with_an_error_naming_the_task() {
    let t = Test::new();
    let cases = [
        (
            "runaway loops",
            "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}x{% endfor %}{% endfor %}{% endfor %}",
        ),
        (
            "runaway product",
            "{{ range(10000) | product(range(10000)) | length }}",
        ),
        ("runaway string", "{{ ('x' * 100000) * 100000 }}"),
    ];
    for (task, msg) in cases {
        t.file(
            "p.eov",
            &format!("play \"p\" on \"localhost\" {{\n  task \"{task}\" {{ debug {{ msg = \"{msg}\" }} }}\n}}\n"),
        );
        let started = Instant::now();
        let out = t.run(&["run", "p.eov"]);
        assert_eq!(out.code, 4, "{task}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stdout.contains(&format!(
                "failed      localhost | {task}: argument `msg` (p.eov:2:"
            )) && out
                .stdout
                .contains("template evaluation stopped: it exceeded its budget"),
            "{task}: {}",
            out.stdout
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{task} took {:?}",
            started.elapsed()
        );
    }
}

/// A string that is exactly `"{{ var }}"` with `var` undefined is an error naming the
/// variable and where it is used, as everywhere else (it used to become null).
#[test]
fn a_lone_undefined_variable_is_an_error_with_its_location() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "show" { debug { msg = "{{ nope }}" } }
}
"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "failed      localhost | show: argument `msg` (p.eov:2:31): `nope` is undefined"
        ),
        "{}",
        out.stdout
    );
    t.file(
        "q.eov",
        r#"play "p" on "localhost" {
  task "make" { file { path = "{{ nope.path }}", state = "directory" } }
}
"#,
    );
    let out = t.run(&["run", "q.eov"]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("make: argument `path` (q.eov:2:31): `nope` is undefined"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("is required"), "{}", out.stdout);
    t.file(
        "r.eov",
        r#"play "p" on "localhost" {
  vars { m = {} }
  task "loop" for item in "m.missing" { debug { msg = "{{ item }}" } }
}
"#,
    );
    let out = t.run(&["run", "r.eov"]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("`m.missing` is undefined (task at r.eov:3:3)"),
        "{}",
        out.stdout
    );
}

/// Runs eov in `t`'s directory, killed after `secs` (a hang fails the test instead of
/// hanging it): exit code, stdout, stderr.
fn run_bounded(t: &Test, args: &[&str], secs: u64) -> (i32, String, String) {
    let mut child = Command::new(EOV)
        .args(args)
        .current_dir(t.path())
        .env_remove("EOV_INVENTORY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`eov {}` still running after {secs} s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A symbolic link back up the tree ends `eov check DIR` and directory inventories with an
/// error instead of a walk that never ends (883 MB after 90 s).
#[test]
fn symlink_cycles_end_with_an_error() {
    let t = Test::new();
    t.file(
        "plays/a/ok.eov",
        "play \"p\" on \"localhost\" { task \"t\" { debug { msg = \"hi\" } } }\n",
    );
    std::os::unix::fs::symlink("..", t.path().join("plays/a/up")).unwrap();
    let (code, _, stderr) = run_bounded(&t, &["check", "plays"], 30);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("cannot read `plays/a/up`: a symbolic link cycle"),
        "{stderr}"
    );

    t.file("inv/hosts", "[web]\nlocalhost eov_connection=local\n");
    std::os::unix::fs::symlink("..", t.path().join("inv/loop")).unwrap();
    let (code, stdout, stderr) = run_bounded(&t, &["run", "plays/a/ok.eov", "-i", "inv"], 30);
    assert_ne!(code, 0, "{stdout}");
    assert!(stderr.contains("a symbolic link cycle"), "{stderr}");

    t.file("site/hosts", "[web]\nlocalhost eov_connection=local\n");
    t.file("site/group_vars/all/a.yml", "x: 1\n");
    std::os::unix::fs::symlink("..", t.path().join("site/group_vars/all/loop")).unwrap();
    let (code, stdout, stderr) =
        run_bounded(&t, &["run", "plays/a/ok.eov", "-i", "site/hosts"], 30);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

/// A host listed twice in one group, and a port that is no port, are errors where they are
/// written (they used to be merged or accepted).
#[test]
fn inventory_duplicates_and_bad_ports_are_located_errors() {
    let t = Test::new();
    t.file(
        "ok.eov",
        "play \"p\" on \"all\" { task \"t\" { debug { msg = \"hi\" } } }\n",
    );
    let cases = [
        (
            "dup.ini",
            "[web]\nh1 eov_connection=local\nh2 eov_connection=local\nh1\n",
            "dup.ini:4: host `h1` is listed twice in `[web]` (first at line 2)",
        ),
        (
            "port.ini",
            "[web]\nh1:70000 eov_connection=local\n",
            "port.ini:2: `h1:70000`: the port is out of range (1-65535)",
        ),
        (
            "port0.ini",
            "[web]\nh1 eov_connection=local eov_port=0\n",
            "port0.ini:2: eov_port = 0: not a port (1-65535)",
        ),
        (
            "vars/hosts",
            "[web]\nh1 eov_connection=local\n",
            "group_vars/web.yml: eov_port = 123456: not a port (1-65535)",
        ),
    ];
    t.file("vars/group_vars/web.yml", "eov_port: 123456\n");
    for (file, text, error) in cases {
        t.file(file, text);
        let out = t.run(&["run", "ok.eov", "-i", file]);
        assert_eq!(out.code, 3, "{file}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(error), "{file}: {}", out.stderr);
    }
    // The same host in two groups is fine.
    t.file("two.ini", "[web]\nh1 eov_connection=local\n[db]\nh1\n");
    assert_eq!(t.run(&["run", "ok.eov", "-i", "two.ini"]).code, 0);
}

/// `debug { var = "x" }` prints the value of `x`; `ignore_errors` also covers a template,
/// a condition and a `failed_when` that fail.
#[test]
fn debug_var_and_ignore_errors_on_template_failures() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  vars { x = "hello", l = [1, 2] }
  task "a" { debug { var = "x" } }
  task "b" { debug { var = "l" } }
  task "c" { debug { var = "x" } ignore_errors = true when = "nope" }
  task "d" { debug { msg = "{{ nope }}" } ignore_errors = true }
  task "e" { command { cmd = "true" } register = "r" failed_when = "r.nope.x" ignore_errors = true }
  task "f" { debug { msg = "after" } }
}
"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    for line in [
        "ok          localhost | a: hello\n",
        "ok          localhost | b: [1,2]\n",
        "ignored     localhost | c: `nope` is undefined (task at p.eov:5:3)\n",
        "ignored     localhost | d: argument `msg` (p.eov:6:28): `nope` is undefined\n",
        "ignored     localhost | e: `failed_when`: `r.nope` is undefined\n",
        "ok          localhost | f: after\n",
    ] {
        assert!(out.stdout.contains(line), "{line}{}", out.stdout);
    }
    assert!(out.stdout.contains("ignored=3"), "{}", out.stdout);
}

/// Remote output cannot drive the terminal (clear the screen, set its title, overwrite a
/// line): control characters are escaped in human output, as JSON escapes them.
#[test]
fn control_characters_in_output_are_escaped() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "noisy" { shell { cmd = "printf '\\033[2J\\033]0;owned\\007hi\\rX\\342\\200\\256\\n' >&2; exit 1" } }
}
"#,
    );
    let out = t.run(&["run", "p.eov", "-v"]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        !out.stdout.contains('\x1b') && !out.stdout.contains('\x07') && !out.stdout.contains('\r'),
        "{:?}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(r"\x1b[2J\x1b]0;owned\x07hi\x0dX\u{202e}"),
        "{}",
        out.stdout
    );
}

/// An error on a line of a megabyte shows a window of that line, not all of it; a file that
/// is not UTF-8 is refused with where the first bad byte is.
#[test]
fn errors_on_huge_lines_are_short_and_bad_encodings_located() {
    let t = Test::new();
    t.file(
        "big.eov",
        &format!(
            "play \"p\" on \"localhost\" {{\n  task \"t\" {{ debug {{ msg = \"{}\" oops }} }}\n}}\n",
            "x".repeat(1 << 20)
        ),
    );
    let out = t.run(&["check", "big.eov"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("big.eov:2:"),
        "{}",
        &out.stderr[..500.min(out.stderr.len())]
    );
    assert!(
        out.stderr.len() < 5000,
        "{} bytes of error",
        out.stderr.len()
    );

    std::fs::write(
        t.path().join("latin.eov"),
        b"play \"p\" on \"localhost\" {\n  task \"t\" { debug { msg = \"caf\xe9\" } }\n}\n",
    )
    .unwrap();
    let out = t.run(&["check", "latin.eov"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "cannot read `latin.eov`: not UTF-8 text: line 2, column 32 has the byte 0xe9"
        ),
        "{}",
        out.stderr
    );
    t.file("hosts", "[web]\nlocalhost eov_connection=local\n");
    std::fs::write(t.path().join("vars.yml"), b"a: 1\nb: \xff\n").unwrap();
    let out = t.run(&["check", "latin.eov", "-e", "@vars.yml"]);
    let out2 = t.run(&["run", "hosts", "-e", "@vars.yml"]);
    let all = format!("{}{}{}{}", out.stderr, out.stdout, out2.stderr, out2.stdout);
    assert!(all.contains("line 2, column 4 has the byte 0xff"), "{all}");
}

/// On a SysV host, a service started at boot from `rcS.d` (Debian's early boot) is enabled:
/// `enabled = true` changes nothing.
#[test]
fn sysv_enabled_counts_rcs_d() {
    if !available("sysv_enabled_counts_rcs_d") {
        return;
    }
    let lab = Lab::up(1, "rcs");
    lab.sh(
        1,
        "printf '#!/bin/sh\\nexit 0\\n' > /etc/init.d/eovearly && chmod 755 /etc/init.d/eovearly \
         && mkdir -p /etc/rcS.d && ln -sf ../init.d/eovearly /etc/rcS.d/S01eovearly",
    );
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "lab" { task "early" { service { name = "eovearly", enabled = true } register = "s" } }"#,
    );
    let out = t.run(&[
        "run",
        "p.eov",
        "-i",
        lab.inventory().to_str().unwrap(),
        "--check",
        "--diff",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("ok          h1 | early"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("changed=0"), "{}", out.stdout);
}

/// `no_log` and `ignore_errors` (and every other on/off setting) given as templates are
/// refused by `eov check`: they used to pass and then count as false.
#[test]
fn boolean_settings_given_as_templates_are_refused() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  vars { quiet = true }
  task "a" { debug { msg = "x" } no_log = "{{ quiet }}" ignore_errors = "{{ true }}" }
}
"#,
    );
    for cmd in ["check", "run"] {
        let out = t.run(&[cmd, "p.eov"]);
        assert_eq!(out.code, 3, "{cmd}: {}{}", out.stdout, out.stderr);
        for what in ["no_log", "ignore_errors"] {
            assert!(
                out.stderr.contains(&format!(
                    "error: `{what}` must be a boolean, found a string"
                )),
                "{cmd}: {}",
                out.stderr
            );
        }
        assert!(out.stderr.contains("p.eov:3:43"), "{}", out.stderr);
    }
}

/// `no_log` hides loop items (they often hold keys) and the reason a host leaves the run.
#[test]
fn no_log_hides_loop_items() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "keys" for k in ["PRIVATE-KEY-1", "PRIVATE-KEY-2"] { debug { msg = "{{ k }}" } no_log = true }
  task "named" for k in [{ name = "alice", key = "PRIVATE-KEY-4" }] { debug { msg = "{{ k.key }}" } no_log = true loop_control = { label = "{{ k.name }}" } }
  task "fail" for k in ["PRIVATE-KEY-3"] { fail { msg = "bad {{ k }}" } no_log = true }
}
"#,
    );
    for args in [
        vec!["run", "p.eov", "-v"],
        vec!["run", "p.eov", "--output", "json"],
    ] {
        let out = t.run(&args);
        assert_eq!(out.code, 4, "{}", out.stdout);
        assert!(!out.stdout.contains("PRIVATE"), "{}", out.stdout);
        assert!(!out.stderr.contains("PRIVATE"), "{}", out.stderr);
    }
    let out = t.run(&["run", "p.eov"]);
    for line in [
        "ok          localhost | keys (item=#1): output hidden (no_log)\n",
        "ok          localhost | keys (item=#2): output hidden (no_log)\n",
        "ok          localhost | named (item=alice): output hidden (no_log)\n",
        "LEFT        localhost | leaves the run: task `fail`: output hidden (no_log)\n",
    ] {
        assert!(out.stdout.contains(line), "{line}{}", out.stdout);
    }
}

/// `--diff` of a file that holds a secret shows that it changed, not the lines: masking the
/// new value would still print the old one of a rotated secret.
#[test]
fn diffs_of_files_holding_a_secret_are_not_shown() {
    let t = Test::new();
    t.file("app.conf", "user=admin\npassword=OLD-PASSWORD-1\nport=1\n");
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  vars { pw = secret "NEW-PASSWORD-2" }
  task "conf" { copy { dest = "{root}/app.conf", content = "user=admin\npassword={{ pw }}\nport=2\n" } }
}
"#,
    );
    for args in [
        vec!["run", "p.eov", "--check", "--diff"],
        vec!["run", "p.eov", "--check", "--diff", "--output", "json"],
    ] {
        let out = t.run(&args);
        assert_eq!(out.code, 0, "{}", out.stdout);
        assert!(!out.stdout.contains("PASSWORD"), "{}", out.stdout);
        assert!(
            out.stdout.contains("content changed (secret)"),
            "{}",
            out.stdout
        );
    }
}

/// Each lab host has an SSH host key of its own (they used to share the image's), recorded in
/// the lab's known_hosts, so host-key checking tells them apart; a restart keeps it.
#[test]
fn lab_hosts_have_their_own_host_keys() {
    if !available("lab_hosts_have_their_own_host_keys") {
        return;
    }
    let lab = Lab::up(2, "hkeys");
    let key = |i: usize| lab.sh(i, "cat /etc/ssh/ssh_host_ed25519_key.pub");
    let (k1, k2) = (key(1), key(2));
    assert!(k1.starts_with("ssh-ed25519 "), "{k1}");
    assert_ne!(
        k1.split_whitespace().nth(1),
        k2.split_whitespace().nth(1),
        "two lab hosts share a host key"
    );
    let known = std::fs::read_to_string(lab.dir().join("known_hosts")).unwrap();
    for (i, k) in [(1, &k1), (2, &k2)] {
        let blob = k.split_whitespace().nth(1).unwrap();
        assert!(
            known.contains(&format!("{} ssh-ed25519 {blob}", lab.address(i))),
            "{known}"
        );
    }
    // Host 1's key does not pass for host 2.
    let swapped = known.replace(
        k2.split_whitespace().nth(1).unwrap(),
        k1.split_whitespace().nth(1).unwrap(),
    );
    std::fs::write(lab.dir().join("known_hosts"), swapped).unwrap();
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "lab" { task "t" { command { cmd = "true" } } }"#,
    );
    let out = t.run(&["run", "p.eov", "-i", lab.inventory().to_str().unwrap()]);
    assert_eq!(out.code, 5, "{}", out.stdout);
    assert!(out.stdout.contains("h2"), "{}", out.stdout);
    std::fs::write(lab.dir().join("known_hosts"), &known).unwrap();
    let status = Command::new("podman")
        .args(["restart", &lab.container(1)])
        .output()
        .unwrap();
    assert!(status.status.success());
    assert_eq!(key(1), k1, "a restart changed the host key");
}

/// SIGINT or SIGTERM during a run stops what it started on the targets (a `sleep` and what
/// would follow it), reports the interruption and exits 130; with and without the long-lived
/// shell (a command with a large stdin takes a channel of its own).
#[test]
fn an_interrupted_run_stops_its_remote_commands() {
    if !available("an_interrupted_run_stops_its_remote_commands") {
        return;
    }
    let lab = Lab::up(1, "intr");
    let t = Test::new();
    t.file("big.txt", &"x".repeat(200_000));
    for (signal, via) in [("INT", "session"), ("TERM", "channel"), ("INT", "become")] {
        lab.sh(1, "rm -f /tmp/after; pkill -x sleep || true");
        let task = match via {
            "session" => r#"shell { cmd = "sleep 4242; touch /tmp/after" }"#,
            "become" => r#"shell { cmd = "sleep 4242; touch /tmp/after" } become = true"#,
            _ => {
                r#"shell { cmd = "cat >/dev/null; sleep 4242; touch /tmp/after", stdin = "{{ lookup('file', 'big.txt') }}" }"#
            }
        };
        t.file(
            "p.eov",
            &format!("play \"p\" on \"lab\" {{ task \"long\" {{ {task} }} }}"),
        );
        t.file("inv", &format!("[lab]\n{}\n", lab.line(1, "eov_user=eov")));
        let child = Command::new(EOV)
            .args(["run", "p.eov", "-i", "inv"])
            .current_dir(t.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !lab
            .sh(1, "ps -eo args | grep '^sleep 4242' || true")
            .contains("sleep")
        {
            assert!(
                Instant::now() < deadline,
                "{via}: the command never started"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(130), "{via}: {stdout}");
        assert!(stdout.contains("RECAP"), "{via}: no recap: {stdout}");
        assert!(stdout.contains("interrupted"), "{via}: {stdout}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while lab
            .sh(1, "ps -eo args | grep '^sleep 4242' || true")
            .contains("sleep")
        {
            assert!(
                Instant::now() < deadline,
                "{via}/{signal}: the remote command still runs: {}",
                lab.sh(1, "ps -eo pid,pgid,args")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            lab.sh(1, "ls /tmp/after 2>/dev/null"),
            "",
            "{via}: the rest of the script ran"
        );
    }
}

/// Two runs editing one file at once lose no edit: an edit is written only over the content
/// it was computed from (compare-and-swap under a lock on the target), else computed again.
/// (Before: 32 to 34 of the 60 lines survived, and both runs exited 0.)
#[test]
fn concurrent_edits_of_one_file_lose_nothing() {
    let t = Test::new();
    for run in ["a", "b"] {
        t.file(
            &format!("{run}.eov"),
            &format!(
                "play \"p\" on \"localhost\" {{\n  task \"lines\" for i in \"range(30)\" {{ lineinfile {{ path = \"{{root}}/f.txt\", line = \"{run} {{{{ i }}}}\", create = true }} }}\n}}\n"
            ),
        );
    }
    let spawn = |run: &str| {
        Command::new(EOV)
            .args(["run", &format!("{run}.eov")])
            .current_dir(t.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("a"), spawn("b"));
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let text = t.read("f.txt");
    for run in ["a", "b"] {
        for i in 0..30 {
            assert!(
                text.lines().any(|l| l == format!("{run} {i}")),
                "`{run} {i}` was lost:\n{text}"
            );
        }
    }
    assert_eq!(text.lines().count(), 60, "{text}");
    let left: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".eov"))
        .filter(|n| !n.ends_with(".eov"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
