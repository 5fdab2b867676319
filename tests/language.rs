//! Language semantics at run time: variable precedence, roles, extra vars.

use crate::support::Test;

#[test]
fn variable_precedence_is_as_documented() {
    let t = Test::new();
    t.file("inv", "[all:vars]\nv_inv=inventory\nv_def=inventory\nv_play=inventory\nv_arg=inventory\nv_task=inventory\nv_extra=inventory\n[g]\nlocalhost eov_connection=local\n");
    t.file(
        "roles/r/main.eov",
        r#"role r {
  param v_def: str = "role default"
  param v_play: str = "role default"
  param v_arg: str = "role default"
  param v_task: str = "role default"
  param v_extra: str = "role default"
  task "show" {
    copy { dest = "{root}/out", content = "{{ v_inv }} {{ v_def }} {{ v_play }} {{ v_arg }} {{ v_task }} {{ v_extra }}" }
    vars { v_task = "task var", v_extra = "task var" }
  }
}"#,
    );
    t.file(
        "p.eov",
        r#"play "p" on "g" {
  vars { v_play = "play var", v_arg = "play var", v_task = "play var", v_extra = "play var" }
  role r { v_arg = "role argument", v_task = "role argument", v_extra = "role argument" }
}"#,
    );
    let out = t.run(&["run", "p.eov", "-i", "inv", "-e", "v_extra=extra"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // Role arguments rank above task vars (and facts), as in Ansible.
    assert_eq!(
        t.read("out"),
        "inventory role default play var role argument role argument extra"
    );
}

#[test]
fn extra_vars_from_yaml_json_and_pairs() {
    let t = Test::new();
    t.file("vars.yml", "a: 1\nb: [x, y]\n");
    t.file("p.eov", r#"play "p" on "localhost" { task "t" { copy { dest = "{root}/out", content = "{{ a + 1 }} {{ b | join('-') }} {{ c.d }} {{ e }}" } } }"#);
    let out = t.run(&[
        "run",
        "p.eov",
        "-e",
        "@vars.yml",
        "-e",
        r#"{"c": {"d": true}}"#,
        "-e",
        "e=text",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        t.read("out"),
        "2 x-y True text",
        "booleans render as in Jinja2"
    );
    let bad = t.run(&["run", "p.eov", "-e", "no equals sign"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("expected `name=value`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn role_parameter_types_are_checked_at_run_time() {
    let t = Test::new();
    t.file(
        "roles/r/main.eov",
        r#"role r { param port: int task "t" { debug { msg = "{{ port }}" } } }"#,
    );
    t.file(
        "p.eov",
        r#"play "p" on "localhost" { role r { port = "{{ p }}" } }"#,
    );
    let out = t.run(&["run", "p.eov", "-e", "p=notanumber"]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("parameter `port` of role `r` must be of type `int`"),
        "{}",
        out.stdout
    );
}

#[test]
fn same_role_twice_keeps_its_own_parameters_and_handlers() {
    let t = Test::new();
    t.file(
        "roles/net/main.eov",
        r#"role net {
  param name: str
  task "conf" { copy { dest = "{root}/{{ name }}.conf", content = "{{ name }}" } notify = "restart" }
  handler "restart" { copy { dest = "{root}/{{ name }}.restarted", content = "x" } }
}"#,
    );
    t.file(
        "p.eov",
        r#"play "p" on "localhost" { role net { name = "mgmt" } role net { name = "ext" } }"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    for n in ["mgmt", "ext"] {
        assert_eq!(t.read(&format!("{n}.conf")), n);
        assert!(t.exists(&format!("{n}.restarted")));
    }
}

#[test]
fn hostvars_and_groups_cross_hosts() {
    let t = Test::new();
    t.file("inv", "[vpn]\nv1 eov_connection=local addr=11.8.0.1\n[compute]\nc1 eov_connection=local\nc2 eov_connection=local\n");
    t.file(
        "p.eov",
        r#"play "facts" on "all" {
  task "id" { set_fact { my_id = "id-{{ inventory_hostname }}" } }
}
play "read" on "compute" {
  task "peers" {
    copy { dest = "{root}/{{ inventory_hostname }}", content = "{{ hostvars[groups.vpn[0]].addr }} {{ hostvars['v1'].my_id }} {{ groups.compute | join(',') }} {{ group_names | join(',') }}" }
  }
}"#,
    );
    let out = t.run(&["run", "p.eov", "-i", "inv"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(t.read("c2"), "11.8.0.1 id-v1 c1,c2 compute");
}

#[test]
fn templated_retries_and_delay_and_blocks_in_roles() {
    let t = Test::new();
    t.file(
        "roles/r/main.eov",
        r#"
role r {
  param tries: int = 4
  param wait: any = "10ms"
  param on: bool = true
  block "guarded" {
    when = "on"
    task "count" {
      shell { cmd = "n=$(cat {root}/n 2>/dev/null || echo 0); echo $((n+1)) > {root}/n; cat {root}/n" }
      register = "c"
      retries = "{{ tries }}"
      delay = "{{ wait }}"
      until = "c.stdout == '3'"
    }
  }
}
"#,
    );
    t.file("inventory", "[web]\nw1 eov_connection=local\n");
    t.file("p.eov", r#"play "p" on "localhost" { role r { } }"#);
    // `localhost` is not in this inventory: it is implicit, as in Ansible.
    let out = t.run(&["run", "p.eov", "-i", "inventory"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("[3 attempts]"), "{}", out.stdout);
    std::fs::remove_file(t.path().join("n")).unwrap();
    let out = t.run(&[
        "run",
        "p.eov",
        "-i",
        "inventory",
        "-e",
        "tries=1",
        "-e",
        "wait=0.01",
    ]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("`until` was still false after 2 attempt(s)"),
        "{}",
        out.stdout
    );
    let out = t.run(&["run", "p.eov", "-i", "inventory", "-e", "on=false"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(!out.stdout.contains("count"), "{}", out.stdout);
    let out = t.run(&["run", "p.eov", "-i", "inventory", "-e", "wait=soon"]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("`delay` must be a duration like 10s, got `soon`"),
        "{}",
        out.stdout
    );
}

#[test]
fn ignore_errors_covers_an_until_that_never_holds() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"
play "p" on "localhost" {
  task "never" {
    debug { msg = "x" }
    register = "r"
    retries = 1
    delay = 1ms
    until = "false"
    ignore_errors = true
  }
  task "after" { debug { msg = "went on" } }
}
"#,
    );
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("went on"), "{}", out.stdout);
    assert!(out.stdout.contains("ignored=1"), "{}", out.stdout);
}
