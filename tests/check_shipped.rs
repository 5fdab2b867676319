//! Everything shipped in plays/ and roles/ passes `eov check`.

use std::process::Command;

use crate::support::{EOV, repo};

#[test]
fn plays_and_roles_check_clean() {
    let out = Command::new(EOV)
        .args(["check", "plays", "roles"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every play and every role file, one `eov check` each.
#[test]
fn each_shipped_file_checks_clean_on_its_own() {
    let check = |path: &std::path::Path| {
        let out = Command::new(EOV)
            .arg("check")
            .arg(path)
            .current_dir(repo())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    insta::glob!("../plays", "**/*.eov", |path| check(path));
    insta::glob!("../roles", "*/main.eov", |path| check(path));
}

/// The TextMate grammar (editors' highlighting) is valid JSON and every pattern compiles.
#[test]
fn the_textmate_grammar_is_well_formed() {
    fn walk(v: &serde_json::Value, found: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("match" | "begin" | "end", serde_json::Value::String(re)) => {
                            found.push(re.clone());
                        }
                        _ => walk(v, found),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, found)),
            _ => {}
        }
    }
    let text = std::fs::read_to_string(repo().join("grammar/eov.tmLanguage.json")).unwrap();
    let grammar: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(grammar["scopeName"], "source.eov");
    let mut patterns = Vec::new();
    walk(&grammar, &mut patterns);
    assert!(patterns.len() > 10);
    for p in &patterns {
        regex::Regex::new(p).unwrap_or_else(|e| panic!("pattern `{p}`: {e}"));
    }
    let keywords = regex::Regex::new(&patterns[1]).unwrap();
    assert!(keywords.is_match("play \"x\" on \"all\" {"));
}

/// Everything shipped is in `eov fmt`'s layout (after editing a play or role: `eov fmt plays
/// roles`).
#[test]
fn plays_and_roles_are_formatted() {
    let out = Command::new(EOV)
        .args(["fmt", "--check", "plays", "roles"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "run `eov fmt plays roles`:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The shipped roles with no lab scenario, and why: each needs a service this machine cannot
/// reach or run. Every other role has `roles/ROLE/tests/*.eov`, run by `eov test` in CI
/// (tests/lab.rs).
const NO_SCENARIO: &[(&str, &str)] = &[
    (
        "g5k",
        "the Grid'5000 API: tests/g5k.rs runs it against the API double",
    ),
    (
        "enos",
        "a Kolla deployment by Enos from PyPI: tests/enos_pypi.rs (opt-in) and computes.rs",
    ),
    (
        "kolla_compute",
        "Kolla-Ansible's images: tests/computes.rs checks its commands (--check)",
    ),
];

#[test]
fn every_shipped_role_has_a_scenario_or_a_reason() {
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo().join("roles")).unwrap() {
        let entry = entry.unwrap();
        let role = entry.file_name().to_string_lossy().into_owned();
        let has = std::fs::read_dir(entry.path().join("tests")).is_ok_and(|rd| {
            rd.filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "eov"))
        });
        let excused = NO_SCENARIO.iter().any(|(r, _)| *r == role);
        assert!(
            !(has && excused),
            "{role} has a scenario now: take it off NO_SCENARIO"
        );
        if !has && !excused {
            missing.push(role);
        }
    }
    assert!(missing.is_empty(), "roles without a scenario: {missing:?}");
}
