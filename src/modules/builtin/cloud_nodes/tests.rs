use indexmap::IndexMap;

use super::state::{Action, CloudState, Request, Seed, StateError, valid_name};

fn seeded() -> (CloudState, Vec<String>) {
    let mut groups = IndexMap::new();
    groups.insert("openvpn".to_string(), vec!["h1".to_string()]);
    groups.insert("control".to_string(), vec!["h2".to_string()]);
    groups.insert(
        "compute".to_string(),
        vec!["h3".to_string(), "h4".to_string()],
    );
    let book: Vec<String> = ["h2", "h3", "h4"].map(String::from).to_vec();
    let mut hosts = IndexMap::new();
    let mut v = IndexMap::new();
    v.insert("eov_host".to_string(), serde_json::json!("198.18.0.13"));
    v.insert("eov_become_password".to_string(), serde_json::json!("x"));
    v.insert(
        "ansible_default_ipv4".to_string(),
        serde_json::json!({"a": 1}),
    );
    hosts.insert("h3".to_string(), v);
    let state = CloudState::seed(&Seed {
        backend: String::new(),
        groups,
        book: book.clone(),
        hosts,
    });
    (state, book)
}

fn req(node: &str, host: &str) -> Request {
    let mut vars = IndexMap::new();
    vars.insert("eov_host".to_string(), serde_json::json!(host));
    Request {
        node: node.into(),
        vars,
        hostname: Some(node.into()),
        fqdn: None,
    }
}

#[test]
fn seeding_keeps_the_address_book_and_numbers_computes() {
    let (s, _) = seeded();
    let summary: Vec<(&str, &str, Option<usize>)> = s
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.alias.as_str(), n.slot))
        .collect();
    assert_eq!(
        summary,
        [
            ("h1", "openvpn-node", None),
            ("h2", "control-node", Some(0)),
            ("h3", "compute-node1", Some(1)),
            ("h4", "compute-node2", Some(2)),
        ]
    );
    assert_eq!(s.backend, "packages");
    // Only how to reach it: no password, no facts.
    assert_eq!(s.nodes[2].vars.keys().collect::<Vec<_>>(), ["eov_host"]);
}

#[test]
fn add_remove_rejoin_keep_alias_and_slot() {
    let (mut s, book) = seeded();
    s.apply(Action::Add, &req("h5", "198.18.0.15"), &book)
        .unwrap();
    let h5 = s.find("h5").unwrap().clone();
    assert_eq!(
        (h5.alias.as_str(), h5.slot, h5.member),
        ("compute-node3", Some(3), true)
    );

    // The same machine again: nothing changes.
    let before = s.clone();
    let msg = s
        .apply(Action::Add, &req("h5", "198.18.0.15"), &book)
        .unwrap();
    assert!(msg.contains("nothing to add"), "{msg}");
    assert_eq!(s, before);
    // Another machine under that name: refused.
    let err = s
        .apply(Action::Add, &req("h5", "198.18.0.99"), &book)
        .unwrap_err();
    assert!(matches!(err, StateError::OtherMachine { .. }), "{err}");

    s.apply(Action::Remove, &req("h5", "198.18.0.15"), &book)
        .unwrap();
    assert!(!s.find("h5").unwrap().member);
    let before = s.clone();
    s.apply(Action::Remove, &req("h5", "198.18.0.15"), &book)
        .unwrap();
    assert_eq!(s, before, "removing twice changes nothing");
    let err = s
        .apply(Action::Add, &req("h5", "198.18.0.15"), &book)
        .unwrap_err();
    assert!(err.to_string().contains("rejoin_compute.eov"), "{err}");

    // A new node after a removal does not take the removed one's alias or slot.
    s.apply(Action::Add, &req("h6", "198.18.0.16"), &book)
        .unwrap();
    let h6 = s.find("h6").unwrap();
    assert_eq!((h6.alias.as_str(), h6.slot), ("compute-node4", Some(4)));

    s.apply(Action::Rejoin, &req("h5", "198.18.0.15"), &book)
        .unwrap();
    let back = s.find("h5").unwrap();
    assert_eq!(
        (back.alias.as_str(), back.slot, back.member),
        ("compute-node3", Some(3), true)
    );
}

#[test]
fn refusals_name_the_node() {
    let (mut s, book) = seeded();
    let before = s.clone();
    for (action, node, expect) in [
        (
            Action::Remove,
            "nope",
            "`nope` is not a node of the cloud (computes: h3, h4)",
        ),
        (Action::Rejoin, "nope", "`nope` is not a node of the cloud"),
        (Action::Add, "h2", "`h2` is the control node of the cloud"),
        (
            Action::Remove,
            "h1",
            "`h1` is the OpenVPN server of the cloud",
        ),
        (
            Action::Add,
            "a;rm -rf /",
            "node name `a;rm -rf /` is not a host name",
        ),
        (
            Action::Add,
            "../etc",
            "node name `../etc` is not a host name",
        ),
    ] {
        let err = s.apply(action, &req(node, "1.2.3.4"), &book).unwrap_err();
        assert!(
            err.to_string().starts_with(expect),
            "{action:?} {node}: {err}"
        );
    }
    assert_eq!(s, before, "a refusal changes nothing");
}

#[test]
fn names() {
    for ok in ["h5", "ecotype-1.nantes.grid5000.fr", "node_2"] {
        assert!(valid_name(ok), "{ok}");
    }
    for bad in ["", "-x", ".x", "a b", "a/b", "a..b", "$(id)", "é"] {
        assert!(!valid_name(bad), "{bad}");
    }
}

#[test]
fn the_file_is_replaced_whole_under_a_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cloud/nodes.json");
    let (s, _) = seeded();
    let locked = super::store::Locked::open(&path).unwrap();
    assert_eq!(locked.read().unwrap(), None);
    locked.write(&s).unwrap();
    assert_eq!(locked.read().unwrap(), Some(s));
    let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        ["nodes.json", "nodes.json.lock"],
        "no temp file left"
    );
    std::fs::write(&path, "{not json").unwrap();
    let err = locked.read().unwrap_err().to_string();
    assert!(err.contains("is not a cloud state file"), "{err}");
}
