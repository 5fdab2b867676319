//! Inventory formats beside INI: YAML (Ansible's `all`/`hosts`/`vars`/`children`), host
//! ranges, several sources merged in order, directories, host lists; `--graph` and `--host`.

use serde_json::json;

use crate::support::Test;

const YAML: &str = "\
all:
  vars:
    region: west
    ntp: [a, b]
  hosts:
    ctl:
  children:
    web:
      hosts:
        www[01:03].example.com:
      vars:
        port: 8080
        legacy: yes
    cloud:
      children:
        compute:
          hosts:
            c[1:2]:
              rack: 7
          vars:
            eov_connection: local
        web:
";

#[test]
fn yaml_inventory_with_nested_groups_and_ranges() {
    let t = Test::new();
    t.file("inv.yml", YAML);
    let out = t.run(&["inventory", "-i", "inv.yml", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let g = &v["groups"];
    assert_eq!(
        g["web"]["hosts"],
        json!([
            "www01.example.com",
            "www02.example.com",
            "www03.example.com"
        ])
    );
    assert_eq!(g["compute"]["hosts"], json!(["c1", "c2"]));
    assert_eq!(g["cloud"]["children"], json!(["compute", "web"]));
    assert_eq!(g["ungrouped"]["hosts"], json!(["ctl"]));
    assert_eq!(v["hosts"]["c2"]["vars"]["rack"], json!(7));
    assert_eq!(v["hosts"]["c2"]["vars"]["ntp"], json!(["a", "b"]));
    // YAML 1.2 booleans only: `yes` stays a string, as everywhere in eov.
    assert_eq!(
        v["hosts"]["www01.example.com"]["vars"]["legacy"],
        json!("yes")
    );

    let graph = t.run(&["inventory", "-i", "inv.yml", "--graph"]);
    assert_eq!(
        graph.stdout,
        "@all:
  |--@cloud:
  |  |--@compute:
  |  |  |--c1
  |  |  |--c2
  |  |--@web:
  |  |  |--www01.example.com
  |  |  |--www02.example.com
  |  |  |--www03.example.com
  |--@ungrouped:
  |  |--ctl
"
    );
    let sub = t.run(&["inventory", "-i", "inv.yml", "--graph", "compute"]);
    assert_eq!(sub.stdout, "@compute:\n  |--c1\n  |--c2\n");

    t.file(
        "p.eov",
        r#"play "p" on "compute" { task "t" { copy { dest = "{root}/{{ inventory_hostname }}", content = "{{ region }} {{ rack }}" } } }"#,
    );
    let run = t.run(&["run", "p.eov", "-i", "inv.yml"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(t.read("c1"), "west 7");
    assert_eq!(t.read("c2"), "west 7");
}

#[test]
fn host_shows_merged_variables_and_their_origin() {
    let t = Test::new();
    t.file("inv.yml", YAML);
    let out = t.run(&["inventory", "-i", "inv.yml", "--host", "c1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        r#"c1  [cloud, compute]
  region         = "west"    # inv.yml, group all
  ntp            = ["a","b"]    # inv.yml, group all
  eov_connection = "local"    # inv.yml, group compute
  rack           = 7    # inv.yml, host c1
"#
    );
    let json = t.run(&["inventory", "-i", "inv.yml", "--host", "c1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v,
        json!({"region": "west", "ntp": ["a", "b"], "eov_connection": "local", "rack": 7})
    );
    let none = t.run(&["inventory", "-i", "inv.yml", "--host", "nope"]);
    assert_eq!(none.code, 3);
    assert!(none.stderr.contains("no host `nope`"), "{}", none.stderr);
}

#[test]
fn ini_ranges_and_ports() {
    let t = Test::new();
    t.file(
        "inv",
        "[web]\nwww[08:10].lan role=web\ndb-[a:c]\nn[1:7:3]\nbastion:2222\n",
    );
    let out = t.run(&["inventory", "-i", "inv", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["groups"]["web"]["hosts"],
        json!([
            "www08.lan",
            "www09.lan",
            "www10.lan",
            "db-a",
            "db-b",
            "db-c",
            "n1",
            "n4",
            "n7",
            "bastion"
        ])
    );
    assert_eq!(v["hosts"]["www09.lan"]["vars"]["role"], json!("web"));
    assert_eq!(v["hosts"]["bastion"]["vars"]["eov_port"], json!(2222));
}

#[test]
fn sources_merge_in_order() {
    let t = Test::new();
    t.file(
        "a.ini",
        "[web]\nw1 colour=red size=1\n[web:vars]\nport=80\n",
    );
    t.file(
        "b.yml",
        "web:\n  hosts:\n    w1:\n      colour: blue\n    w2:\n  vars:\n    port: 443\n",
    );
    let out = t.run(&[
        "inventory",
        "-i",
        "a.ini",
        "-i",
        "b.yml",
        "--host",
        "w1",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v, json!({"port": 443, "colour": "blue", "size": 1}));

    // A directory: its files in name order, its own group_vars/, ignored endings skipped.
    t.file("inv.d/10-base.ini", "[db]\nd1 tier=1\n");
    t.file(
        "inv.d/20-more.yml",
        "db:\n  hosts:\n    d1:\n      tier: 2\n    d2:\n",
    );
    t.file("inv.d/notes.md", "# not an inventory [\n");
    t.file("inv.d/group_vars/db.yml", "engine: mariadb\n");
    let out = t.run(&["inventory", "-i", "inv.d", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["groups"]["db"]["hosts"], json!(["d1", "d2"]));
    assert_eq!(
        v["hosts"]["d1"]["vars"],
        json!({"engine": "mariadb", "tier": 2})
    );

    // A host list on the command line.
    let out = t.run(&["inventory", "-i", "h1,h2,", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["groups"]["ungrouped"]["hosts"], json!(["h1", "h2"]));
}

#[test]
fn bad_yaml_and_cycles_say_where_and_nothing_runs() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "all" { task "t" { copy { dest = "{root}/ran", content = "x" } } }"#,
    );
    for (file, content, message) in [
        (
            "typo.yml",
            "all:\n  hosts:\n    a:\n  chidren:\n    b:\n",
            "typo.yml: line 4 column 3: unknown field `chidren`",
        ),
        (
            "broken.yml",
            "all:\n  hosts: {a: 1\n",
            "broken.yml: line 2 column",
        ),
        (
            "cycle.yml",
            "a:\n  children:\n    b:\n      children:\n        a:\n",
            "cycle.yml: groups form a cycle through `children`: a -> b -> a",
        ),
        (
            "cycle.ini",
            "[a:children]\nb\n[b:children]\na\n",
            "cycle.ini: groups form a cycle through `children`: a -> b -> a",
        ),
        (
            "range.ini",
            "[web]\nw[9:1]\n",
            "range.ini:2: host range `[9:1]` in `w[9:1]`: the start is after the end",
        ),
    ] {
        t.file(file, content);
        let out = t.run(&["run", "p.eov", "-i", file]);
        assert_eq!(out.code, 3, "{file}: {}", out.stdout);
        assert!(out.stderr.contains(message), "{file}: {}", out.stderr);
        assert!(!t.exists("ran"), "{file}: a task ran");
    }
    // A cycle across two sources is refused too.
    t.file("x.ini", "[x:children]\ny\n[y]\n");
    t.file("y.ini", "[y:children]\nx\n[x]\n");
    let out = t.run(&["inventory", "-i", "x.ini", "-i", "y.ini"]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("cycle"), "{}", out.stderr);
}
