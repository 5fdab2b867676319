//! Rendered templates, pinned by snapshots.

use crate::support::Test;

#[test]
fn demo_role_configuration() {
    let t = Test::new();
    let out = t.run_demo(&["-e", "greeting=salut"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    insta::assert_snapshot!(t.read("site/conf/hello.conf"));
}

#[test]
fn filters_and_jinja_habits() {
    let t = Test::new();
    t.file(
        "templates/all.j2",
        r#"{# comments vanish #}
quoted: {{ "it's a test" | shell_quote }}
fifth: {{ "11.8.0.0/24" | cidr_host(5) }}
last: {{ "11.8.1.0/24" | cidr_host(-2) }}
mask: {{ "11.8.1.0/24" | cidr_netmask }} /{{ "11.8.1.0/24" | cidr_prefix }}
yaml:
{{ {"name": "node1", "ports": [443, 444]} | to_yaml }}json: {{ {"a": [1, 2]} | to_json }}
b64: {{ "eov" | b64encode }} {{ "ZW92" | b64decode }}
regex: {{ "compute-node12" | regex_replace("[^0-9]", "") }}
paths: {{ "/etc/openvpn/server.conf" | basename }} {{ "/etc/openvpn/server.conf" | dirname }}
default: {{ missing | default("fallback") }}
defined: {{ missing is defined }}
{% for h in groups["all"] %}
host {{ loop.index }}: {{ h }}
{% endfor %}
html: <b>&</b>
"#,
    );
    t.file("p.eov", r#"play "p" on "localhost" { task "t" { template { src = "all.j2", dest = "{root}/out" } } }"#);
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    insta::assert_snapshot!(t.read("out"));
}

#[test]
fn an_undefined_variable_names_the_template_and_line() {
    let t = Test::new();
    t.file("templates/bad.j2", "line one\nvalue = {{ nosuchvar }}\n");
    t.file("p.eov", r#"play "p" on "localhost" { task "t" { template { src = "bad.j2", dest = "{root}/out" } } }"#);
    let out = t.run(&["run", "p.eov"]);
    assert_eq!(out.code, 4);
    assert!(
        out.stdout.contains(
            "failed      localhost | t: template `./templates/bad.j2:2`: `nosuchvar` is undefined"
        ),
        "{}",
        out.stdout
    );
    assert!(!t.exists("out"));
}
