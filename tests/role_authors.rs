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
