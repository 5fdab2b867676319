//! The language gaps a role author hit porting real Ansible roles (issue 11), each shown
//! through the binary.

use crate::support::Test;

/// Gap 1: a block's `when` and `vars` inside a role see the role's parameters.
#[test]
fn a_block_in_a_role_sees_the_role_parameters() {
    let t = Test::new();
    t.file(
        "roles/r/main.eov",
        r#"role r {
  param enabled: bool = false
  param port: int = 1194
  block "configure" {
    when = "enabled and port is defined"
    vars { line = "port {{ port }}" }
    task "write" { copy { dest = "{root}/out", content = "{{ line }}\n" } }
  }
}"#,
    );
    t.file(
        "p.eov",
        r#"play "p" on "localhost" { role r { enabled = true, port = 443 } }"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("out"), "port 443\n");
}

/// Gap 2: a default that reads another parameter sees the argument passed, in any order.
#[test]
fn a_default_reads_the_arguments_passed() {
    let t = Test::new();
    t.file(
        "roles/r/main.eov",
        r#"role r {
  param name: str = "server-{{ port }}"
  param port: int = 1194
  task "write" { copy { dest = "{root}/out", content = "{{ name }}\n" } }
}"#,
    );
    t.file(
        "p.eov",
        r#"play "p" on "localhost" { role r { port = 443 } }"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("out"), "server-443\n");
}

/// Gap 8: `set_fact` in a loop accumulates across items.
#[test]
fn set_fact_in_a_loop_accumulates() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  vars { acc = [] }
  task "collect" for x in [1, 2, 3] { set_fact { acc = "{{ acc + [x * 10] }}" } }
  task "write" { copy { dest = "{root}/out", content = "{{ acc | join(',') }}\n" } }
}"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("out"), "10,20,30\n");
}

fn commands(stdout: &str) -> u64 {
    let last = stdout.lines().last().expect("a RunFinished event");
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    v["recap"][0]["commands"].as_u64().unwrap()
}

/// Gap 3: facts, gathered in one round trip only when the play uses them.
#[test]
fn facts_are_gathered_once_and_only_when_used() {
    let t = Test::new();
    t.file(
        "facts.eov",
        r#"play "p" on "localhost" {
  task "write" {
    copy { dest = "{root}/out", content = "{{ facts.hostname }} {{ ansible_os_family }} {{ facts.cpus > 0 }} {{ ansible_pkg_mgr }}\n" }
  }
}
play "again" on "localhost" {
  task "debug" { debug { msg = "{{ ansible_hostname }} {{ facts.os.id }}" } }
}"#,
    );
    let out = t.run(&["run", "facts.eov", "--output", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let host = std::process::Command::new("hostname").output().unwrap();
    let host = String::from_utf8_lossy(&host.stdout).trim().to_string();
    let short = host.split('.').next().unwrap();
    let family = if std::path::Path::new("/etc/debian_version").exists() {
        "Debian"
    } else {
        ""
    };
    let written = t.read("out");
    assert!(
        written.starts_with(&format!("{short} {family} True ")),
        "{written}"
    );
    // One round trip for the facts (both plays), one probe and one write for the copy.
    assert_eq!(commands(&out.stdout), 3, "{}", out.stdout);

    t.file(
        "plain.eov",
        r#"play "p" on "localhost" { task "d" { debug { msg = "no facts here" } } }"#,
    );
    let out = t.run(&["run", "plain.eov", "--output", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(commands(&out.stdout), 0, "{}", out.stdout);

    // Only the hosts of the plays that name facts are asked: `a` runs a play without them
    // (a host that may be down, as a dead node in remove_compute.eov), `b` one with them.
    t.file("two", "a eov_connection=local\nb eov_connection=local\n");
    t.file(
        "split.eov",
        r#"play "plain" on "a" { task "d" { debug { msg = "no facts" } } }
play "facts" on "b" { task "d" { debug { msg = "{{ facts.hostname }}" } } }"#,
    );
    let out = t.run(&["run", "split.eov", "-i", "two", "--output", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let last = out.stdout.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    let by_host: std::collections::BTreeMap<String, u64> = v["recap"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["host"].as_str().unwrap().to_string(),
                r["commands"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_host.get("a"), Some(&0), "{last}");
    assert_eq!(by_host.get("b"), Some(&1), "{last}");
}

/// Gap 7: optional (nullable) parameter types: `str?` accepts `null`, still refuses a list.
#[test]
fn optional_parameter_types() {
    let t = Test::new();
    t.file(
        "roles/r/main.eov",
        r#"role r {
  param ca_path: str? = null
  task "write" {
    copy { dest = "{root}/out", content = "{{ 'none' if ca_path is none else ca_path }}\n" }
  }
}"#,
    );
    t.file("p.eov", r#"play "p" on "localhost" { role r {} }"#);
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("out"), "none\n");
    t.file(
        "p2.eov",
        r#"play "p" on "localhost" { role r { ca_path = "/etc/ca.pem" } }"#,
    );
    assert_eq!(t.run(&["run", "p2.eov"]).code, 0);
    assert_eq!(t.read("out"), "/etc/ca.pem\n");
    t.file(
        "bad.eov",
        r#"play "p" on "localhost" { role r { ca_path = [1] } }"#,
    );
    let bad = t.run(&["check", "bad.eov"]);
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    assert!(bad.stderr.contains("ca_path"), "{}", bad.stderr);
}

/// Gap 9: handlers that `listen` to a topic, `notify` on a block, `loop_control`.
#[test]
fn handlers_listen_blocks_notify_and_loop_control() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  block "config" {
    notify = "config changed"
    task "one" { copy { dest = "{root}/a", content = "a\n" } }
    task "two" { copy { dest = "{root}/b", content = "b\n" } }
  }
  task "users" for u in [{ name = "ann", key = "secret-ann" }, { name = "bob", key = "secret-bob" }] {
    copy { dest = "{root}/u{{ i }}", content = "{{ u.name }}\n" }
    loop_control = { label = "{{ u.name }}", index_var = "i" }
  }
  handler "restart web" {
    copy { dest = "{root}/web", content = "restarted\n" }
    listen = "config changed"
  }
  handler "restart db" {
    copy { dest = "{root}/db", content = "restarted\n" }
    listen = ["config changed"]
  }
}"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("web"), "restarted\n");
    assert_eq!(t.read("db"), "restarted\n");
    assert_eq!(t.read("u0"), "ann\n");
    assert_eq!(t.read("u1"), "bob\n");
    assert!(
        out.stdout.contains("(ann)") || out.stdout.contains("ann"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("secret-ann"),
        "the label hides the rest of the item:\n{}",
        out.stdout
    );
    t.file(
        "bad.eov",
        r#"play "p" on "localhost" {
  task "t" { debug { msg = "x" } notify = "nobody listens" }
}"#,
    );
    let bad = t.run(&["check", "bad.eov"]);
    assert_eq!(bad.code, 3);
    assert!(bad.stderr.contains("nobody listens"), "{}", bad.stderr);
}

/// Gap 4 (plays): `import "file.eov"` runs another file's plays in place.
#[test]
fn a_play_file_imports_another() {
    let t = Test::new();
    t.file(
        "plays/base.eov",
        r#"play "base" on "localhost" { task "b" { shell { cmd = "echo base >> {root}/order" } } }"#,
    );
    t.file(
        "plays/site.eov",
        r#"play "first" on "localhost" { task "f" { shell { cmd = "echo first >> {root}/order" } } }
import "base.eov"
play "last" on "localhost" { task "l" { shell { cmd = "echo last >> {root}/order" } } }"#,
    );
    let out = t.run(&["run", "plays/site.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("order"), "first\nbase\nlast\n");
}

/// Gap 4 (vars files): per-OS variables with the first file found, from the role's `vars/`.
#[test]
fn include_vars_takes_the_first_file_found() {
    let t = Test::new();
    t.file(
        "roles/r/vars/default.yml",
        "ntp_package: ntp\nservers: [a, b]\n",
    );
    t.file("roles/r/vars/plan9.yml", "ntp_package: plan9-ntp\n");
    t.file(
        "roles/r/main.eov",
        r#"role r {
  param os: str = "debian"
  task "per-OS variables" { include_vars { first_found = ["{{ os }}.yml", "default.yml"] } }
  task "write" { copy { dest = "{root}/out", content = "{{ ntp_package }} {{ servers | default([]) | length }}\n" } }
}"#,
    );
    t.file("p.eov", r#"play "p" on "localhost" { role r {} }"#);
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("out"), "ntp 2\n");
    t.file(
        "p2.eov",
        r#"play "p" on "localhost" { role r { os = "plan9" } }"#,
    );
    assert_eq!(t.run(&["run", "p2.eov"]).code, 0);
    assert_eq!(t.read("out"), "plan9-ntp 0\n");
    t.file(
        "p3.eov",
        r#"play "p" on "localhost" { task "t" { include_vars { file = "none.yml" } } }"#,
    );
    let bad = t.run(&["run", "p3.eov"]);
    assert_eq!(bad.code, 4);
    assert!(bad.stdout.contains("none.yml"), "{}", bad.stdout);
}

/// Tooling: `eov new role`, `eov doc`, `eov completions`.
#[test]
fn new_role_doc_and_completions() {
    let t = Test::new();
    let out = t.run(&["new", "role", "ntp"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let check = t.run(&["check", "roles/ntp"]);
    assert_eq!(check.code, 0, "the skeleton checks:\n{}", check.stderr);
    assert_eq!(t.run(&["new", "role", "ntp"]).code, 2, "never overwrites");
    assert_eq!(t.run(&["new", "role", "bad/name"]).code, 2);
    let doc = t.run(&["doc", "ntp"]);
    assert_eq!(doc.code, 0, "{}", doc.stderr);
    assert!(
        doc.stdout.contains("name: str = \"example\""),
        "{}",
        doc.stdout
    );
    assert!(
        doc.stdout.contains("what this parameter is for"),
        "{}",
        doc.stdout
    );
    assert!(doc.stdout.contains("restart ntp"), "{}", doc.stdout);
    assert!(
        doc.stdout.contains("templates/example.conf.j2"),
        "{}",
        doc.stdout
    );
    assert_eq!(t.run(&["doc", "nope"]).code, 2);
    let bash = t.run(&["completions", "bash"]);
    assert_eq!(bash.code, 0);
    assert!(bash.stdout.contains("complete") && bash.stdout.contains("eov"));
}

/// Gap 9: `meta` flushes handlers mid-play and ends a host's play without failing it.
#[test]
fn meta_flush_handlers_and_end_host() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "config" { shell { cmd = "echo config >> {root}/order" } notify = "restart" }
  task "flush" { meta { action = "flush_handlers" } }
  task "after" { shell { cmd = "echo after >> {root}/order" } }
  task "stop here" { meta { action = "end_host" } }
  task "never" { shell { cmd = "echo never >> {root}/order" } }
  handler "restart" { shell { cmd = "echo restart >> {root}/order" } }
}
play "next" on "localhost" {
  task "next play" { shell { cmd = "echo next >> {root}/order" } }
}"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("order"), "config\nrestart\nafter\nnext\n");
}

/// Gap 9: `copy` with `src` into an existing directory needs no trailing `/` (as in Ansible).
#[test]
fn copy_into_an_existing_directory() {
    let t = Test::new();
    t.file("files/motd", "welcome\n");
    std::fs::create_dir_all(t.path().join("etc")).unwrap();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" { task "motd" { copy { src = "motd", dest = "{root}/etc" } } }"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("etc/motd"), "welcome\n");
    let again = t.run(&["run", "p.eov"]);
    assert!(
        again.stdout.contains("ok=1"),
        "idempotent:\n{}",
        again.stdout
    );
    // With literal content there is no file name to use: a directory is an error.
    t.file(
        "q.eov",
        r#"play "p" on "localhost" { task "t" { copy { content = "x", dest = "{root}/etc" } } }"#,
    );
    let bad = t.run(&["run", "q.eov"]);
    assert_eq!(bad.code, 4);
    assert!(
        bad.stdout.contains("is a directory, not a file"),
        "{}",
        bad.stdout
    );
}

/// `loop_control.parallel`: items run at once (each waits until all have started: one at a
/// time, the first would wait in vain), are reported in item order, and a failed item does
/// not stop the ones beside it.
#[test]
fn loop_items_run_in_parallel() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "rendezvous" for i in [1, 2, 3] {
    shell { cmd = "cd {root} && touch started{{ i }} && for n in $(seq 100); do [ -e started1 ] && [ -e started2 ] && [ -e started3 ] && echo met{{ i }} && exit 0; sleep 0.1; done; exit 1" }
    loop_control = { parallel = 3 }
  }
  task "some fail" for i in [1, 2, 3] {
    shell { cmd = "[ {{ i }} != 1 ] && touch {root}/done{{ i }}" }
    loop_control = { parallel = true }
  }
}"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
    let items: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("rendezvous"))
        .collect();
    assert_eq!(items.len(), 3, "{}", out.stdout);
    for (n, line) in items.iter().enumerate() {
        assert!(line.starts_with("changed"), "{}", out.stdout);
        assert!(
            line.contains(&format!("(item={})", n + 1)),
            "{}",
            out.stdout
        );
    }
    assert!(t.exists("done2") && t.exists("done3"), "{}", out.stdout);
    assert!(out.stdout.contains("failed=1"), "{}", out.stdout);

    t.file(
        "bad.eov",
        r#"play "p" on "localhost" {
  task "t" for i in [1] { debug { msg = "x" } loop_control = { parallel = 0 } }
}"#,
    );
    let bad = t.run(&["check", "bad.eov"]);
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("loop_control.parallel"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("bad.eov:2:"), "{}", bad.stderr);
}

/// Gap 4 (splitting a role): task files imported in a role, a play and a block; a role that
/// applies another role with its own parameters; their mistakes located.
#[test]
fn task_files_and_roles_in_roles() {
    let t = Test::new();
    t.file(
        "roles/web/main.eov",
        r#"role web {
  param port: int = 443
  param root: str
  vars { site = "site-{{ port }}" }
  import "tasks/files.eov"
  role certs { name = "{{ site }}", root = "{{ root }}" }
  block "extra" {
    when = "port > 0"
    import "tasks/extra.eov"
  }
  handler "reload" { copy { dest = "{{ root }}/reloaded", content = "yes\n" } }
}"#,
    )
    .file(
        "roles/web/tasks/files.eov",
        r#"# The site's files.
task "index" {
  copy { dest = "{{ root }}/index-{{ port }}", content = "{{ site }}\n" }
  notify = "reload"
}"#,
    )
    .file(
        "roles/web/tasks/extra.eov",
        r#"task "extra" { copy { dest = "{{ root }}/extra", content = "{{ port }}\n" } }"#,
    )
    .file(
        "roles/certs/main.eov",
        r#"role certs {
  param name: str
  param root: str
  task "cert" { copy { dest = "{{ root }}/{{ name }}.pem", content = "cert of {{ name }}\n" } }
}"#,
    )
    .file(
        "play.eov",
        r#"play "p" on "localhost" {
  role web { port = 8443, root = "{root}" }
  import "plays_tasks.eov"
}"#,
    )
    .file(
        "plays_tasks.eov",
        r#"task "from the play" { copy { dest = "{root}/play", content = "p\n" } }"#,
    );
    let out = t.run(&["run", "play.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("index-8443"), "site-8443\n");
    assert_eq!(t.read("site-8443.pem"), "cert of site-8443\n");
    assert_eq!(t.read("extra"), "8443\n");
    assert_eq!(t.read("reloaded"), "yes\n");
    assert_eq!(t.read("play"), "p\n");
    let check = t.run(&["check", "play.eov", "roles"]);
    assert_eq!(check.code, 0, "{}", check.stderr);

    // Mistakes: a role that uses itself, a task file that holds a play, a missing one.
    t.file(
        "roles/a/main.eov",
        "role a {\n  role b\n}\n",
    )
    .file("roles/b/main.eov", "role b {\n  role a\n}\n")
    .file("notasks.eov", "play \"x\" on \"all\" {}\n")
    .file(
        "bad.eov",
        "play \"p\" on \"localhost\" {\n  role a\n  import \"notasks.eov\"\n  import \"missing.eov\"\n}\n",
    )
    .file(
        "mixed.eov",
        "task \"t\" { debug { msg = \"x\" } }\nplay \"p\" on \"localhost\" {}\n",
    );
    let bad = t.run(&["check", "bad.eov", "mixed.eov"]);
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("role `a` uses itself (through a -> b -> a)"),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stderr.contains("`notasks.eov` is not a task file"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("bad.eov:3:10"), "{}", bad.stderr);
    assert!(bad.stderr.contains("missing.eov"), "{}", bad.stderr);
    assert!(bad.stderr.contains("bad.eov:4:10"), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("holds tasks at its top"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("mixed.eov:1:1"), "{}", bad.stderr);
}

/// A scenario's `lab` setting (what `eov test` starts) is checked like any setting: bad values
/// and unknown keys located; `eov run` otherwise ignores it. A scenario naming a host the lab
/// will not have is refused before anything runs.
#[test]
fn a_scenario_says_the_lab_it_needs() {
    let t = Test::new();
    t.file(
        "ok.eov",
        r#"play "p" on "localhost" {
  lab = { hosts = 3, image = "openstack", groups = { control = ["h1"], compute = ["h2", "h3"] }, restart = true }
  task "t" { debug { msg = "x" } }
}"#,
    );
    let ok = t.run(&["run", "ok.eov"]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    t.file(
        "bad.eov",
        r#"play "p" on "localhost" {
  lab = { hosts = 0, image = "ubuntu", groups = { control = "h1", compute = ["db"] }, size = 2, restart = "yes" }
  task "t" { debug { msg = "x" } }
}"#,
    );
    let bad = t.run(&["check", "bad.eov"]);
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    for wanted in [
        "lab.hosts",
        "lab.image",
        "lab.groups.control",
        "lab.groups.compute",
        "lab.restart",
        "`size`",
        "bad.eov:2:",
    ] {
        assert!(bad.stderr.contains(wanted), "{wanted}:\n{}", bad.stderr);
    }
    // `eov test` checks every scenario before it starts a lab.
    t.file(
        "roles/r/main.eov",
        "role r {\n  task \"t\" { debug { msg = \"x\" } }\n}\n",
    );
    t.file(
        "roles/r/tests/default.eov",
        "play \"p\" on \"all\" {\n  lab = { image = \"none\" }\n  role r\n}\n",
    );
    let refused = t.run(&["test", "r"]);
    assert_eq!(refused.code, 2, "{}\n{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("lab.image"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("lab up"), "{}", refused.stderr);
}
