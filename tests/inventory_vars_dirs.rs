//! `group_vars/` and `host_vars/` beside the inventory and beside the play, in Ansible's
//! order: inventory file vars < group_vars/all (inventory, then play) < group_vars/GROUP
//! (inventory, then play) < the inventory's host vars < host_vars/HOST (inventory, then play).

use serde_json::json;

use crate::support::Test;

fn layered() -> Test {
    let t = Test::new();
    t.file(
        "inv/hosts.ini",
        "[web]\nw1 eov_connection=local\nw2 eov_connection=local level=inventory_host\n[web:vars]\nlevel=inventory_group\n[prod:children]\nweb\n[all:vars]\nlevel=inventory_all\nseen=inventory_all\n",
    );
    t.file(
        "inv/group_vars/all.yml",
        "level: inv_group_vars_all\nfrom_all: 1\n",
    );
    t.file("inv/group_vars/prod", "level: inv_group_vars_prod\n");
    // A directory of files, read in name order.
    t.file(
        "inv/group_vars/web/a.yml",
        "level: inv_group_vars_web\nlist: [1]\n",
    );
    t.file("inv/group_vars/web/b.yaml", "list: [1, 2]\n");
    t.file("inv/host_vars/w2.yml", "level: inv_host_vars_w2\n");
    t.file("plays/group_vars/all.yml", "from_all: 2\n");
    t.file("plays/host_vars/w1.yml", "only_w1: true\n");
    t
}

fn host(t: &Test, name: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["inventory", "-i", "inv/hosts.ini", "--host", name, "--json"];
    args.extend_from_slice(extra);
    let out = t.run(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn ansible_precedence() {
    let t = layered();
    let w1 = host(&t, "w1", &[]);
    // group_vars/web beats group_vars/prod (a child beats its parent), which beats group_vars/all,
    // which beats every group var written in the inventory file.
    assert_eq!(w1["level"], json!("inv_group_vars_web"));
    assert_eq!(w1["seen"], json!("inventory_all"));
    assert_eq!(w1["list"], json!([1, 2]));
    assert_eq!(w1["from_all"], json!(1));
    assert!(w1.get("only_w1").is_none());
    let w2 = host(&t, "w2", &[]);
    assert_eq!(w2["level"], json!("inv_host_vars_w2"));
    // Beside the play: wins over beside the inventory.
    let w1 = host(&t, "w1", &["--playbook-dir", "plays"]);
    assert_eq!(w1["from_all"], json!(2));
    assert_eq!(w1["only_w1"], json!(true));

    let shown = t.run(&["inventory", "-i", "inv/hosts.ini", "--host", "w2"]);
    assert!(
        shown
            .stdout
            .contains("= \"inv_host_vars_w2\"    # inv/host_vars/w2.yml"),
        "{}",
        shown.stdout
    );
}

#[test]
fn a_run_reads_the_vars_beside_its_play_and_extra_vars_still_win() {
    let t = layered();
    t.file(
        "plays/p.eov",
        r#"play "p" on "web" { task "t" { copy { dest = "{root}/{{ inventory_hostname }}", content = "{{ level }} {{ from_all }} {{ only_w1 | default('-') }}" } } }"#,
    );
    let out = t.run(&["run", "plays/p.eov", "-i", "inv/hosts.ini"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("w1"), "inv_group_vars_web 2 True");
    assert_eq!(t.read("w2"), "inv_host_vars_w2 2 -");
    let out = t.run(&[
        "run",
        "plays/p.eov",
        "-i",
        "inv/hosts.ini",
        "-e",
        "level=cli",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(t.read("w2"), "cli 2 -");
}

#[test]
fn a_bad_vars_file_is_named_and_nothing_runs() {
    let t = layered();
    t.file(
        "plays/p.eov",
        r#"play "p" on "web" { task "t" { copy { dest = "{root}/ran", content = "x" } } }"#,
    );
    t.file("inv/group_vars/web/c.yml", "broken: [1\n");
    let out = t.run(&["run", "plays/p.eov", "-i", "inv/hosts.ini"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stderr
            .contains("inventory inv/group_vars/web/c.yml: line 1 column 9"),
        "{}",
        out.stderr
    );
    assert!(!t.exists("ran"));
    t.file("inv/group_vars/web/c.yml", "- a list\n");
    let out = t.run(&["run", "plays/p.eov", "-i", "inv/hosts.ini"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("inv/group_vars/web/c.yml: line 1"),
        "{}",
        out.stderr
    );
}
