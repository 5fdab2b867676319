//! Probes read ahead (docs/performance.md): tasks that only read the host before they decide
//! share one round trip, and what a task reads is never older than the last change before it.

use crate::support::{Output, Test};

/// Remote commands the host's pipeline ran, from the JSON recap.
fn commands(out: &Output) -> u64 {
    let last = out.stdout.lines().last().expect("a run_finished event");
    let v: serde_json::Value = serde_json::from_str(last).expect("JSON");
    v["recap"][0]["commands"].as_u64().expect("a command count")
}

const PLAY: &str = r#"play "p" on "localhost" {
  vars { d = "{root}/site" }
  task "dir" { file { path = "{{ d }}/app", state = "directory", mode = 0o750 } }
  task "file" { copy { dest = "{{ d }}/app/motd", content = "hello\n" } }
  task "template" { template { src = "t.j2", dest = "{{ d }}/app/app.conf", mode = 0o640 } }
  task "line" { lineinfile { path = "{{ d }}/app/settings", line = "x = 1", create = true } }
  task "say" { debug { msg = "between" } }
  task "stat" { stat { path = "{{ d }}/app/app.conf" } register = "conf" }
  task "mode" { file { path = "{{ d }}/app/motd", mode = 0o600 } when = "conf.stat.exists" }
  task "once" { command { cmd = "touch {{ d }}/app/once", creates = "{{ d }}/app/once" } }
}"#;

#[test]
fn tasks_in_shape_cost_one_round_trip_between_them() {
    let t = Test::new();
    t.file("t.j2", "port = {{ 80 + 8000 }}\n");
    t.file("p.eov", PLAY);
    let json = ["run", "p.eov", "--output", "json"];
    let first = t.run(&json);
    assert_eq!(first.code, 0, "{}", first.stdout);
    // One read-ahead, then each change carries the next tasks' probes with it.
    assert_eq!(commands(&first), 7, "{}", first.stdout);
    let tree = t.tree_hash("site");
    let second = t.run(&json);
    assert_eq!(second.code, 0, "{}", second.stdout);
    assert!(
        second.stdout.contains(r#""changed":0"#),
        "{}",
        second.stdout
    );
    assert_eq!(commands(&second), 1, "{}", second.stdout);
    assert_eq!(t.tree_hash("site"), tree);

    // The same play probing task by task: the same result, one command per probe.
    let plain = t.run_env(&json, &[("EOV_NO_READ_AHEAD", "1")]);
    assert_eq!(plain.code, 0, "{}", plain.stdout);
    assert_eq!(commands(&plain), 7, "{}", plain.stdout);
    assert_eq!(t.tree_hash("site"), tree);

    // Check mode reads ahead too, and writes nothing.
    std::fs::write(t.path().join("site/app/motd"), "changed\n").unwrap();
    let tree = t.tree_hash("site");
    let check = t.run(&["run", "p.eov", "--output", "json", "--check", "--diff"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(check.stdout.contains(r#""changed":1"#), "{}", check.stdout);
    assert_eq!(commands(&check), 1, "{}", check.stdout);
    assert_eq!(t.tree_hash("site"), tree);
}

#[test]
fn a_probe_never_predates_the_change_before_it() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  vars { f = "{root}/f" }
  task "write" { copy { dest = "{{ f }}", content = "a" } }
  task "append" { shell { cmd = "printf b >> {{ f }}" } }
  task "size" { stat { path = "{{ f }}" } register = "s1" }
  task "mode" { file { path = "{{ f }}", mode = 0o600 } }
  task "again" { stat { path = "{{ f }}" } register = "s2" }
  task "check" { assert { that = ["s1.stat.size == 2", "s2.stat.mode == '0600'"] } }
  task "exit" {
    shell { cmd = "printf out; echo err >&2; exit 3" }
    register = "r"
    failed_when = false
  }
  task "silenced" { shell { cmd = "exec >/dev/null 2>&1; echo hidden; rm {{ f }}" } register = "q" }
  task "gone" { stat { path = "{{ f }}" } register = "s3" }
  task "results" {
    assert {
      that = ["r.rc == 3", "r.stdout == 'out'", "r.stderr == 'err'", "q.stdout == ''", "not s3.stat.exists"]
    }
  }
}"#,
    );
    let out = t.run(&["run", "p.eov", "-v"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("check: all assertions passed"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_long_run_of_tasks_is_read_ahead_in_bounded_pieces() {
    let t = Test::new();
    // Long names, so that the probes of 400 tasks would not fit one `sh -c` argument.
    let dir = format!("{{root}}/{}", "d".repeat(100));
    let mut play = format!(
        "play \"p\" on \"localhost\" {{\n  task \"dir\" {{ file {{ path = \"{dir}\", state = \"directory\" }} }}\n"
    );
    for i in 0..400 {
        play.push_str(&format!(
            "  task \"f{i}\" {{ copy {{ dest = \"{dir}/file-{i:04}\", content = \"{i}\\n\" }} }}\n"
        ));
    }
    play.push_str("}\n");
    t.file("p.eov", &play);
    let json = ["run", "p.eov", "--output", "json"];
    let first = t.run(&json);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stdout.contains(r#""changed":401"#));
    let second = t.run(&json);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stdout.contains(r#""changed":0"#));
    let n = commands(&second);
    assert!((3..=10).contains(&n), "{n} commands for 401 tasks");
}
