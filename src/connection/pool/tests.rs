use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{PoolKey, State};
use crate::connection::ssh::{KeyCache, Target};

fn target(dir: &std::path::Path) -> Target {
    Target {
        host: "n1".into(),
        address: "198.18.5.11".into(),
        port: 22,
        user: "root".into(),
        identity_files: vec![dir.join("id_ed25519")],
        accept_new: false,
        timeout: Duration::from_secs(10),
        retries: 2,
        agent: None,
        keys: Arc::new(KeyCache::new(None)),
        session: true,
        jump: None,
    }
}

#[test]
fn every_setting_that_decides_how_a_host_is_reached_is_in_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("id_ed25519"), "key one").unwrap();
    let known = dir.path().join("known_hosts");
    let base = target(dir.path());
    let key = PoolKey::new(&base, &known);
    // Only messages and patience differ: the same connection serves.
    let same = Target {
        host: "another-name".into(),
        timeout: Duration::from_secs(99),
        retries: 0,
        keys: Arc::new(KeyCache::new(Some("pass".into()))),
        ..base.clone()
    };
    assert_eq!(PoolKey::new(&same, &known), key);
    let changed: Vec<(&str, Target)> = vec![
        (
            "address",
            Target {
                address: "198.18.5.12".into(),
                ..base.clone()
            },
        ),
        (
            "port",
            Target {
                port: 2222,
                ..base.clone()
            },
        ),
        (
            "user",
            Target {
                user: "eov".into(),
                ..base.clone()
            },
        ),
        (
            "key file",
            Target {
                identity_files: vec![dir.path().join("other")],
                ..base.clone()
            },
        ),
        (
            "agent",
            Target {
                agent: Some(PathBuf::from("/run/agent")),
                ..base.clone()
            },
        ),
        (
            "accept-new",
            Target {
                accept_new: true,
                ..base.clone()
            },
        ),
        (
            "session",
            Target {
                session: false,
                ..base.clone()
            },
        ),
        (
            "jump",
            Target {
                jump: Some(Box::new(base.clone())),
                ..base.clone()
            },
        ),
    ];
    for (what, t) in &changed {
        assert_ne!(PoolKey::new(t, &known), key, "{what}");
    }
    assert_ne!(
        PoolKey::new(&base, &dir.path().join("other_known_hosts")),
        key
    );
    // Two jump chains that differ only in the jump host's port.
    let via = |port| Target {
        jump: Some(Box::new(Target {
            port,
            ..base.clone()
        })),
        ..base.clone()
    };
    assert_ne!(
        PoolKey::new(&via(22), &known),
        PoolKey::new(&via(2222), &known)
    );
    // The key file replaced in place (a rotated key) is another key.
    std::fs::write(dir.path().join("id_ed25519"), "key number two").unwrap();
    assert_ne!(PoolKey::new(&base, &known), key);
}

fn key(address: &str) -> PoolKey {
    let dir = std::env::temp_dir();
    PoolKey::new(
        &Target {
            address: address.into(),
            ..target(&dir)
        },
        &dir.join("known_hosts"),
    )
}

#[test]
fn take_lends_the_most_recent_idle_item_of_its_key_only() {
    let mut s = State::default();
    let now = Instant::now();
    assert!(s.put(key("a"), 1, now, 8).is_empty());
    assert!(s.put(key("b"), 2, now, 8).is_empty());
    assert!(s.put(key("a"), 3, now, 8).is_empty());
    assert_eq!(s.take(&key("a")), Some(3));
    assert_eq!(s.take(&key("a")), Some(1));
    // Lent out: gone until given back.
    assert_eq!(s.take(&key("a")), None);
    assert_eq!(s.take(&key("c")), None);
    assert_eq!(s.take(&key("b")), Some(2));
}

#[test]
fn idle_items_expire_and_the_pool_is_bounded() {
    let mut s = State::default();
    let t0 = Instant::now();
    let idle = Duration::from_secs(600);
    s.put(key("a"), 1, t0, 3);
    s.put(key("b"), 2, t0 + Duration::from_secs(300), 3);
    assert!(s.expire(t0 + Duration::from_secs(599), idle).is_empty());
    assert_eq!(s.expire(t0 + idle, idle), vec![1]);
    assert_eq!(s.take(&key("a")), None);
    // Over the bound, the least recently returned goes.
    s.put(key("c"), 3, t0 + Duration::from_secs(301), 3);
    s.put(key("d"), 4, t0 + Duration::from_secs(302), 3);
    assert_eq!(
        s.put(key("e"), 5, t0 + Duration::from_secs(303), 3),
        vec![2]
    );
    assert_eq!(s.idle.len(), 3);
    // Nothing is kept by a closed pool, nor by one bounded to 0.
    s.closed = true;
    assert_eq!(s.put(key("f"), 6, t0, 3), vec![6]);
    let mut none = State::default();
    assert_eq!(none.put(key("g"), 7, t0, 0), vec![7]);
}

#[test]
fn a_rebooting_host_leaves_no_idle_item_under_its_key() {
    let mut s = State::default();
    let now = Instant::now();
    s.put(key("a"), 1, now, 8);
    s.put(key("b"), 2, now, 8);
    s.put(key("a"), 3, now, 8);
    assert_eq!(s.remove(&key("a")), vec![1, 3]);
    assert_eq!(s.take(&key("a")), None);
    assert!(s.remove(&key("a")).is_empty());
    assert_eq!(s.take(&key("b")), Some(2));
}
