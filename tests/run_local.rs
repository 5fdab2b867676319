//! Real runs with the local connection against temp directories.

use crate::support::{Test, recap};

const TWO_HOSTS: &str = "[web]\nh1 eov_connection=local\nh2 eov_connection=local\n";

fn site(t: &Test) {
    t.file("inventory", TWO_HOSTS);
    t.file(
        "site.eov",
        r#"
play "site" on "web" {
  vars { base = "{root}/hosts/{{ inventory_hostname }}" }
  task "dir" { file { path = "{{ base }}/etc", state = "directory", mode = 0o750 } }
  task "config" {
    copy { dest = "{{ base }}/etc/base.conf", content = "name={{ inventory_hostname }}\n", mode = 0o640 }
    notify = "restart"
  }
  task "port" { lineinfile { path = "{{ base }}/etc/app.conf", regexp = "^port=", line = "port=8080", create = true } }
  task "block" { blockinfile { path = "{{ base }}/etc/app.conf", block = "a=1\nb=2", create = true } }
  task "link" { file { path = "{{ base }}/current", state = "link", src = "{{ base }}/etc" } }
  task "once" { command { cmd = "touch {{ base }}/created", creates = "{{ base }}/created" } }
  task "sysctl file" { sysctl { name = "net.ipv4.ip_forward", value = "1", reload = false, sysctl_file = "{{ base }}/etc/sysctl.conf" } }
  task "key" { authorized_key { user = "root", key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test@eov", path = "{{ base }}/authorized_keys" } }
  task "fetch" { fetch { src = "{{ base }}/etc/app.conf", dest = "{root}/fetched" } }
  handler "restart" { command { cmd = "touch {{ base }}/restarted" } }
}
"#,
    );
}

#[test]
fn second_run_changes_nothing() {
    let t = Test::new();
    site(&t);
    let first = t.run(&["run", "site.eov", "-i", "inventory"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        recap(&first.stdout, "h1"),
        "ok=0 changed=10 failed=0 skipped=0 unreachable=0 ignored=0 rescued=0"
    );
    assert!(t.exists("hosts/h1/restarted") && t.exists("hosts/h2/restarted"));
    assert_eq!(t.read("hosts/h2/etc/base.conf"), "name=h2\n");
    assert_eq!(
        t.read("hosts/h2/etc/app.conf"),
        "port=8080\n# BEGIN EOV MANAGED BLOCK\na=1\nb=2\n# END EOV MANAGED BLOCK\n"
    );
    assert_eq!(
        t.read("hosts/h1/etc/sysctl.conf"),
        "net.ipv4.ip_forward = 1\n"
    );
    let fetched = format!(
        "fetched/h1/{}/hosts/h1/etc/app.conf",
        t.root().trim_start_matches('/')
    );
    assert_eq!(t.read(&fetched), t.read("hosts/h1/etc/app.conf"));
    std::fs::remove_file(t.path().join("hosts/h1/restarted")).unwrap();

    let second = t.run(&["run", "site.eov", "-i", "inventory"]);
    assert_eq!(second.code, 0, "{}", second.stdout);
    for host in ["h1", "h2"] {
        assert_eq!(
            recap(&second.stdout, host),
            "ok=9 changed=0 failed=0 skipped=0 unreachable=0 ignored=0 rescued=0",
            "{}",
            second.stdout
        );
    }
    assert!(
        !t.exists("hosts/h1/restarted"),
        "the handler ran without a change"
    );
}

#[test]
fn check_mode_changes_nothing() {
    let t = Test::new();
    site(&t);
    t.file("hosts/h1/etc/base.conf", "name=old\n");
    let before = t.tree_hash("");
    let out = t.run(&["run", "site.eov", "-i", "inventory", "--check", "--diff"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.tree_hash(""), before, "check mode changed files");
    assert!(
        out.stdout.contains("-name=old\n+name=h1\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("CHECK MODE"));
}

#[test]
fn a_failing_host_does_not_stop_the_others() {
    let t = Test::new();
    t.file(
        "inventory",
        "[web]\nh1 eov_connection=local fail=1\nh2 eov_connection=local fail=0\n",
    );
    t.file(
        "p.eov",
        r#"
play "one" on "web" {
  task "maybe fail" { command { cmd = "test {{ fail }} = 0" } }
  task "after" { copy { dest = "{root}/{{ inventory_hostname }}.done", content = "x" } }
}
play "two" on "web" {
  task "second play" { copy { dest = "{root}/{{ inventory_hostname }}.two", content = "x" } }
}
"#,
    );
    let out = t.run(&["run", "p.eov", "-i", "inventory"]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(t.exists("h2.done") && t.exists("h2.two"));
    assert!(
        !t.exists("h1.done") && !t.exists("h1.two"),
        "h1 went on after failing"
    );
    assert_eq!(
        recap(&out.stdout, "h1"),
        "ok=0 changed=0 failed=1 skipped=0 unreachable=0 ignored=0 rescued=0"
    );
    assert!(
        out.stdout
            .contains("failed      h1 | maybe fail: command failed: exit status 1"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("LEFT        h1 | leaves the run"),
        "{}",
        out.stdout
    );
}

#[test]
fn unreachable_host_is_reported_and_the_others_finish() {
    let t = Test::new();
    t.file(
        "inventory",
        "[web]\nh1 eov_connection=local\nfar.example eov_connection=ssh\n",
    );
    t.file("p.eov", r#"play "p" on "web" { task "t" { copy { dest = "{root}/{{ inventory_hostname }}", content = "x" } } }"#);
    let out = t.run(&["run", "p.eov", "-i", "inventory"]);
    assert_eq!(out.code, 5, "{}", out.stdout);
    assert!(t.exists("h1"));
    assert!(
        out.stdout
            .contains("unreachable far.example | t: cannot run commands on `far.example`"),
        "{}",
        out.stdout
    );
}

#[test]
fn register_when_loops_and_facts() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"
play "p" on "localhost" {
  task "read" { shell { cmd = "printf 'a\nb\n'" } register = "out" changed_when = false }
  task "each line" for line in "out.stdout_lines" {
    copy { dest = "{root}/line-{{ line }}", content = "{{ line }}" }
  }
  task "skipped" { copy { dest = "{root}/never", content = "x" } when = "out.stdout_lines | length > 5" }
  task "fact" { set_fact { count = "{{ out.stdout_lines | length }}", label = "n={{ out.stdout_lines | length }}" } }
  task "use fact" { copy { dest = "{root}/count", content = "{{ label }} {{ count + 1 }}" } }
  task "registered loop" for n in [1, 2] { command { cmd = "echo {{ n }}" } register = "echoes" }
  task "loop results" { copy { dest = "{root}/echoes", content = "{{ echoes.results | map(attribute='stdout') | join(',') }}" } }
}
"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("line-a"), "a");
    assert_eq!(t.read("line-b"), "b");
    assert!(!t.exists("never"));
    assert_eq!(t.read("count"), "n=2 3");
    assert_eq!(t.read("echoes"), "1,2");
    assert!(
        out.stdout.contains("skipped     localhost | skipped\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("changed     localhost | each line (item=a)"),
        "{}",
        out.stdout
    );
}

#[test]
fn block_rescue_always_and_ignore_errors() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"
play "p" on "localhost" {
  block "guarded" {
    task "breaks" { fail { msg = "boom" } }
    task "not reached" { copy { dest = "{root}/not-reached", content = "x" } }
  } rescue {
    task "recover" { copy { dest = "{root}/rescued", content = "x" } }
  } always {
    task "cleanup" { copy { dest = "{root}/always", content = "x" } }
  }
  task "tolerated" { command { cmd = "false" } ignore_errors = true }
  task "judged ok" { command { cmd = "exit 3" } register = "r" failed_when = "r.rc not in [0, 3]" changed_when = false }
  task "goes on" { copy { dest = "{root}/end", content = "{{ r.rc }}" } }
}
"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(t.exists("rescued") && t.exists("always") && !t.exists("not-reached"));
    assert_eq!(t.read("end"), "3");
    assert_eq!(
        recap(&out.stdout, "localhost"),
        "ok=1 changed=3 failed=0 skipped=0 unreachable=0 ignored=1 rescued=1"
    );
}

#[test]
fn retries_until_and_run_once_and_delegation() {
    let t = Test::new();
    t.file(
        "inventory",
        "[web]\nh1 eov_connection=local\nh2 eov_connection=local\nh3 eov_connection=local\n",
    );
    t.file(
        "p.eov",
        r#"
play "p" on "web" {
  task "count to three" {
    shell { cmd = "echo x >> {root}/{{ inventory_hostname }}.tries; wc -l < {root}/{{ inventory_hostname }}.tries" }
    register = "tries"
    until = "tries.stdout | int >= 3"
    retries = 5
    delay = 10ms
  }
  task "once" { shell { cmd = "echo {{ inventory_hostname }} >> {root}/once; echo done" } run_once = true register = "o" }
  task "everyone saw it" { copy { dest = "{root}/{{ inventory_hostname }}.saw", content = "{{ o.stdout }}" } }
  task "on the controller" { copy { dest = "{root}/delegated-{{ inventory_hostname }}", content = "x" } delegate_to = "localhost" }
}
"#,
    );
    let out = t.run(&["run", "p.eov", "-i", "inventory"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("h2.tries").lines().count(), 3);
    assert_eq!(
        t.read("once").lines().count(),
        1,
        "run_once ran more than once"
    );
    for h in ["h1", "h2", "h3"] {
        assert_eq!(t.read(&format!("{h}.saw")), "done");
        assert!(t.exists(&format!("delegated-{h}")));
    }
    assert!(out.stdout.contains("[3 attempts]"), "{}", out.stdout);
    assert!(out.stdout.contains("-> localhost"), "{}", out.stdout);
}

#[test]
fn tags_select_steps() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"
play "p" on "localhost" {
  task "a" { copy { dest = "{root}/a", content = "x" } tags = "alpha" }
  block { tags = ["beta"] task "b" { copy { dest = "{root}/b", content = "x" } } }
  task "c" { copy { dest = "{root}/c", content = "x" } tags = "always" }
  task "d" { copy { dest = "{root}/d", content = "x" } }
}
"#,
    );
    let out = t.run(&["run", "p.eov", "-t", "beta"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(!t.exists("a") && t.exists("b") && t.exists("c") && !t.exists("d"));
    let out = t.run(&["run", "p.eov", "--skip-tags", "beta,always"]);
    assert_eq!(out.code, 0);
    assert!(t.exists("a") && t.exists("d"));
}

#[test]
fn secrets_never_reach_the_output() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"
play "p" on "localhost" {
  vars { password = secret "s3cr3t-value" }
  task "write" { copy { dest = "{root}/db.conf", content = "password={{ password }}\n" } }
  task "say" { debug { msg = "the password is {{ password }}" } }
  task "echo" { command { cmd = "echo {{ password }}" } }
}
"#,
    );
    for args in [
        vec!["run", "p.eov", "--output", "json", "--diff", "--check"],
        vec!["run", "p.eov", "--diff", "-v"],
    ] {
        let out = t.run(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            !out.stdout.contains("s3cr3t"),
            "secret leaked:\n{}",
            out.stdout
        );
        assert!(out.stdout.contains("********"), "{}", out.stdout);
    }
    assert_eq!(t.read("db.conf"), "password=s3cr3t-value\n");
}

#[test]
fn json_output_is_one_object_per_line() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" { task "t" { copy { dest = "{root}/x", content = "x" } } }"#,
    );
    let out = t.run(&["run", "p.eov", "--output", "json"]);
    assert_eq!(out.code, 0);
    let events: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "run_started",
            "play_started",
            "task",
            "play_finished",
            "run_finished"
        ]
    );
    assert_eq!(events[2]["status"], "changed");
    assert_eq!(events[4]["recap"][0]["changed"], 1);
    assert_eq!(events[4]["exit_code"], 0);
}

#[test]
fn become_runs_through_sudo_for_another_user() {
    let t = Test::new();
    t.file("p.eov", r#"play "p" on "localhost" { task "t" { command { cmd = "id -un" } become = true become_user = "nobody-such-user" } }"#);
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout.contains("failed      localhost | t: "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("nobody-such-user"), "{}", out.stdout);
}

#[test]
fn ctrl_c_stops_cleanly() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "long" { shell { cmd = "sleep 20; touch {root}/late" } }
  task "next" { copy { dest = "{root}/next", content = "x" } }
}"#,
    );
    let start = std::time::Instant::now();
    let child = std::process::Command::new(crate::support::EOV)
        .args(["run", "p.eov"])
        .current_dir(t.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        stdout.contains("failed      localhost | long: interrupted"),
        "{stdout}"
    );
    assert!(!t.exists("next"), "a task started after Ctrl-C");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let sleeping = std::process::Command::new("pgrep")
        .args(["-f", &format!("touch {}/late", t.root())])
        .output()
        .unwrap();
    assert!(
        sleeping.stdout.is_empty(),
        "the running command was not signalled"
    );
}
