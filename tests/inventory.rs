//! Inventories: the original positional `current/hosts` and grouped INI files.

use crate::support::Test;

#[test]
fn positional_hosts_file_assigns_groups_by_line() {
    let t = Test::new();
    t.file(
        "current/hosts",
        "vpn.site\ncontrol.site\n\nnetwork.site\n# a comment\ncompute1.site\ncompute2.site\n",
    );
    let out = t.run(&["inventory", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["groups"]["openvpn"]["hosts"],
        serde_json::json!(["vpn.site"])
    );
    assert_eq!(
        v["groups"]["enos"]["hosts"],
        serde_json::json!(["vpn.site"])
    );
    assert_eq!(
        v["groups"]["control"]["hosts"],
        serde_json::json!(["control.site"])
    );
    assert_eq!(
        v["groups"]["network"]["hosts"],
        serde_json::json!(["network.site"])
    );
    assert_eq!(
        v["groups"]["compute"]["hosts"],
        serde_json::json!(["compute1.site", "compute2.site"])
    );
    assert_eq!(v["groups"]["all"]["hosts"].as_array().unwrap().len(), 5);
}

#[test]
fn grouped_ini_with_vars_and_children() {
    let t = Test::new();
    t.file(
        "inv.ini",
        "[vpn]\nvpn1 eov_host=198.18.5.11 port=1194\n\n[compute]\nc1\nc2 role='edge node'\n\n[compute:vars]\nport=443\nenabled=true\n\n[cloud:children]\nvpn\ncompute\n\n[cloud:vars]\nregion=\"west\"\nport=22\n",
    );
    let out = t.run(&["inventory", "-i", "inv.ini", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
    let human = t.run(&["inventory", "-i", "inv.ini"]);
    insta::assert_snapshot!(human.stdout);
}

#[test]
fn bad_inventories_say_where() {
    let t = Test::new();
    for (content, message) in [
        ("[web\nh1\n", "inv:1: `[web` lacks a closing `]`"),
        ("[web:kids]\nh1\n", "inv:1: unknown section kind `:kids`"),
        (
            "[web:vars]\nnovalue\n",
            "inv:2: `novalue` is not `name=value`",
        ),
        ("[a:children]\nb\n", "inv:2: child group `b` is not defined"),
        ("h1\nh1\n", "inv:2: host `h1` is listed twice"),
        ("[web]\nh1 'unbalanced\n", "inv:2: unbalanced quotes"),
    ] {
        t.file("inv", content);
        let out = t.run(&["inventory", "-i", "inv"]);
        assert_eq!(out.code, 3, "{content}");
        assert!(out.stderr.contains(message), "{content}: {}", out.stderr);
    }
}

#[test]
fn limit_and_patterns() {
    let t = Test::new();
    t.file(
        "inv",
        "[web]\nw1 eov_connection=local\nw2 eov_connection=local\n[db]\nd1 eov_connection=local\n",
    );
    t.file("p.eov", r#"play "p" on "web:db:!w2" { task "t" { copy { dest = "{root}/{{ inventory_hostname }}", content = "x" } } }"#);
    let out = t.run(&["run", "p.eov", "-i", "inv", "-l", "w*"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(t.exists("w1") && !t.exists("w2") && !t.exists("d1"));
    let out = t.run(&["run", "p.eov", "-i", "inv", "-l", "nosuch"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("no host or group matches `nosuch`"),
        "{}",
        out.stderr
    );
}
