//! Dynamic inventories: an executable run with `--list` (and `--host NAME` without `_meta`);
//! a failing, lying or hanging one stops everything with an error naming it.

use std::time::Instant;

use serde_json::json;

use crate::support::Test;

/// Writes an executable script.
fn script(t: &Test, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    t.file(name, body);
    let path = t.path().join(name);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

const WITH_META: &str = r#"#!/bin/sh
[ "$1" = --list ] || { echo "unexpected: $*" >&2; exit 2; }
cat <<'JSON'
{"web": {"hosts": ["w1", "w2"], "vars": {"port": 80}, "children": ["edge"]},
 "edge": ["e1"],
 "_meta": {"hostvars": {"w1": {"eov_connection": "local", "rack": [1, 2]},
                        "w2": {"eov_connection": "local"}}}}
JSON
"#;

#[test]
fn list_with_meta() {
    let t = Test::new();
    script(&t, "inv.sh", WITH_META);
    let out = t.run(&["inventory", "-i", "inv.sh", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["groups"]["web"]["hosts"], json!(["w1", "w2", "e1"]));
    assert_eq!(v["groups"]["edge"]["hosts"], json!(["e1"]));
    assert_eq!(
        v["hosts"]["w1"]["vars"],
        json!({"port": 80, "eov_connection": "local", "rack": [1, 2]})
    );
    let host = t.run(&["inventory", "-i", "inv.sh", "--host", "w1"]);
    assert!(
        host.stdout.contains("= [1,2]    # inv.sh, host w1"),
        "{}",
        host.stdout
    );

    t.file(
        "p.eov",
        r#"play "p" on "web:!edge" { task "t" { copy { dest = "{root}/{{ inventory_hostname }}", content = "{{ port }}" } } }"#,
    );
    let run = t.run(&["run", "p.eov", "-i", "inv.sh"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(t.read("w1"), "80");
    assert_eq!(t.read("w2"), "80");
}

#[test]
fn without_meta_each_host_is_asked() {
    let t = Test::new();
    script(
        &t,
        "inv.py",
        "#!/bin/sh\nif [ \"$1\" = --list ]; then echo '{\"db\": {\"hosts\": [\"d1\", \"d2\"]}}'; \
         else echo \"{\\\"asked\\\": \\\"$2\\\"}\"; fi\n",
    );
    let out = t.run(&["inventory", "-i", "inv.py", "--host", "d2", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v, json!({"asked": "d2"}));
}

#[test]
fn a_directory_mixes_static_and_dynamic() {
    let t = Test::new();
    script(&t, "inv.d/10-cloud.sh", WITH_META);
    t.file("inv.d/20-static.ini", "[web]\nw1 port=8080\n");
    let out = t.run(&["inventory", "-i", "inv.d", "--host", "w1", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    // The INI sets w1's own port (host vars beat group vars, whatever the order of files).
    assert_eq!(v["port"], json!(8080));
    assert_eq!(v["rack"], json!([1, 2]));
}

#[test]
fn failing_inventories_are_named_and_nothing_runs() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "all" { task "t" { copy { dest = "{root}/ran", content = "x" } } }"#,
    );
    script(
        &t,
        "fails.sh",
        "#!/bin/sh\necho 'cannot reach the API' >&2\nexit 3\n",
    );
    script(&t, "lies.sh", "#!/bin/sh\necho 'web: [a]'\n");
    script(
        &t,
        "badgroup.sh",
        "#!/bin/sh\necho '{\"web\": {\"host\": [\"a\"]}}'\n",
    );
    script(&t, "hangs.sh", "#!/bin/sh\nsleep 60\necho '{}'\n");
    t.file("notexec.sh", WITH_META);
    for (file, message) in [
        (
            "notexec.sh",
            "inventory notexec.sh:1: starts with `#!` but is not executable",
        ),
        (
            "fails.sh",
            "inventory fails.sh: `--list` exited with status 3: cannot reach the API",
        ),
        (
            "lies.sh",
            "inventory lies.sh: `--list` printed no JSON object: expected value at line 1 column 1",
        ),
        (
            "badgroup.sh",
            "inventory badgroup.sh: group `web`: unknown key `host` (use `hosts`, `vars` or `children`)",
        ),
        (
            "hangs.sh",
            "inventory hangs.sh: `--list` did not finish within 1 s",
        ),
    ] {
        let started = Instant::now();
        let out = t.run(&["run", "p.eov", "-i", file, "--inventory-timeout", "1"]);
        assert!(started.elapsed().as_secs() < 20, "{file} was not stopped");
        assert_eq!(out.code, 3, "{file}: {}", out.stdout);
        assert!(out.stderr.contains(message), "{file}: {}", out.stderr);
        assert!(!t.exists("ran"), "{file}: a task ran");
    }
}
