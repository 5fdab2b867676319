//! Unit tests of the ufw module: rule words, the probe's parsing.

use super::Ufw;
use super::state::{Rules, parse, readable};
use crate::modules::Args;
use minijinja::Value;

fn rule(pairs: &[(&str, Value)]) -> String {
    Ufw::new(&Args::from_pairs(pairs))
        .unwrap_or_else(|e| panic!("{pairs:?}: {e}"))
        .rule
        .unwrap()
        .join(" ")
}

#[test]
fn rules_from_arguments() {
    assert_eq!(
        rule(&[
            ("rule", "allow".into()),
            ("port", 22.into()),
            ("proto", "tcp".into())
        ]),
        "allow from any to any port 22 proto tcp"
    );
    assert_eq!(
        rule(&[
            ("rule", "limit".into()),
            ("direction", "incoming".into()),
            ("interface", "eth0".into()),
            ("log", true.into()),
            ("from_ip", "10.0.0.0/8".into()),
            ("to_port", "2222".into()),
            ("proto", "tcp".into()),
            ("comment", "ssh it's".into()),
            ("insert", 1.into()),
        ]),
        "insert 1 limit in on eth0 log from 10.0.0.0/8 to any port 2222 proto tcp comment ssh it's"
    );
    assert_eq!(
        rule(&[
            ("rule", "allow".into()),
            ("route", true.into()),
            ("delete", true.into()),
            ("interface_in", "eth0".into()),
            ("interface_out", "eth1".into()),
            ("to_ip", "192.0.2.1".into()),
            ("name", "OpenSSH".into()),
        ]),
        "route delete allow in on eth0 out on eth1 from any to 192.0.2.1 app OpenSSH"
    );
    for bad in [
        vec![("port", Value::from(22))],
        vec![("rule", "allow".into()), ("interface", "eth0".into())],
        vec![("rule", "allow".into()), ("direction", "routed".into())],
        vec![
            ("rule", "allow".into()),
            ("interface_in", "a".into()),
            ("interface_out", "b".into()),
        ],
        vec![("rule", "allow".into()), ("from_ip", "-j".into())],
        vec![("rule", "allow".into()), ("insert", 0.into())],
        vec![
            ("rule", "allow".into()),
            ("name", "X".into()),
            ("port", 1.into()),
        ],
        vec![("state", "reset".into()), ("policy", "deny".into())],
    ] {
        assert!(Ufw::new(&Args::from_pairs(&bad)).is_err(), "{bad:?}");
    }
    let p = Ufw::new(&Args::from_pairs(&[
        ("policy", "deny".into()),
        ("direction", "out".into()),
    ]))
    .unwrap();
    assert_eq!(p.policy.map(|p| p.1), Some("outgoing"));
}

#[test]
fn what_ufw_keeps_and_what_it_would_write() {
    let out = "enabled yes\nloglevel low\npolicy INPUT DROP\npolicy OUTPUT ACCEPT\npolicy FORWARD REJECT\nrunning\n\
               t4 allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\nt6 allow tcp 22 ::/0 any ::/0 in\n\
               dry\nsection\nchain ufw\nd allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\nd allow any any 0.0.0.0/0 any 10.0.0.0/8 in\n";
    let fw = parse(out);
    assert!(fw.enabled && fw.running);
    assert_eq!(fw.policies, ["deny", "allow", "reject"]);
    assert_eq!(fw.loglevel, "low");
    let after = fw.rules_after.clone().unwrap();
    assert_eq!(after.v4.len(), 2);
    assert_eq!(
        after.v6, fw.rules.v6,
        "a family ufw would not write is kept"
    );
    // "Skipping adding existing rule": nothing would be written.
    let same = parse("enabled no\nt4 allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\ndry\n");
    assert_eq!(same.rules_after.as_ref(), Some(&same.rules));
    // A delete that empties a file.
    let empty = parse("t4 x\ndry\nsection\nchain ufw\n");
    assert_eq!(empty.rules_after, Some(Rules::default()));
}

#[test]
fn comments_are_shown_as_text() {
    assert_eq!(
        readable("allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=6c696d20737368"),
        "allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment='lim ssh'"
    );
    assert_eq!(
        readable("allow tcp 22 a any b in"),
        "allow tcp 22 a any b in"
    );
}
