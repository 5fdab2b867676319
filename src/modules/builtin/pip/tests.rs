use minijinja::Value;

use super::{Pip, PipState, Work, parse_probe, parse_report};
use crate::modules::Args;

fn pip(pairs: &[(&str, Value)]) -> Pip {
    Pip::new(&Args::from_pairs(pairs)).unwrap_or_else(|e| panic!("{pairs:?}: {e}"))
}

const PROBE: &str = "venv present\npip /srv/venv/bin/pip\n\
list [{\"name\": \"eovdemo\", \"version\": \"1.0\"}, {\"name\": \"Eov_Tool\", \"version\": \"1.2.0\"}, {\"name\": \"pip\", \"version\": \"23.0.1\"}]\n";

#[test]
fn what_is_installed_decides_present_and_absent() {
    let env = parse_probe(PROBE).unwrap();
    assert_eq!(env.version, Some((23, 0, 1)));
    assert_eq!(env.pip, "/srv/venv/bin/pip");
    assert!(!env.venv_missing);
    let names = |v: &[&str]| Value::from(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let present = |v: &[&str]| pip(&[("name", names(v)), ("virtualenv", "/srv/venv".into())]);
    assert_eq!(
        present(&["eovdemo", "eov-tool>=1.2"]).work(&env),
        Work::Nothing
    );
    assert_eq!(
        present(&["eovdemo>=2", "eov.tool~=1.2", "other"]).work(&env),
        Work::Install {
            reqs: vec!["eovdemo>=2".into(), "other".into()],
            pip_decides: false
        }
    );
    let absent = |v: &[&str]| {
        pip(&[
            ("name", names(v)),
            ("state", "absent".into()),
            ("virtualenv", "/srv/venv".into()),
        ])
    };
    // A specifier the installed version does not satisfy: not that package, nothing to remove.
    assert_eq!(absent(&["eovdemo==2.0", "other"]).work(&env), Work::Nothing);
    assert_eq!(
        absent(&["EOVDEMO", "eov_tool"]).work(&env),
        Work::Uninstall(vec!["EOVDEMO".into(), "eov_tool".into()])
    );
    let latest = pip(&[("name", "eovdemo".into()), ("state", "latest".into())]);
    assert!(matches!(
        latest.work(&env),
        Work::Install {
            pip_decides: true,
            ..
        }
    ));
}

#[test]
fn a_requirements_file_to_remove_is_read_from_the_probe() {
    let out = format!(
        "{PROBE}req\n| # pinned\n| eovdemo==1.0\n|\n| -r more.txt\n| eov-tool[x] ; python_version > '3'\n| absent-one\n"
    );
    let env = parse_probe(&out).unwrap();
    let p = pip(&[
        ("requirements", "req.txt".into()),
        ("state", "absent".into()),
    ]);
    assert_eq!(
        p.work(&env),
        Work::Uninstall(vec!["eovdemo".into(), "eov-tool".into()])
    );
    assert!(parse_probe("req-missing\n").unwrap().requirements_missing);
}

#[test]
fn the_probe_says_what_is_missing() {
    let env = parse_probe(
        "venv absent\ncreator python3 has no ensurepip: install the python3-venv package\n",
    )
    .unwrap();
    assert!(env.venv_missing);
    assert_eq!(
        env.creator_problem.as_deref(),
        Some("python3 has no ensurepip: install the python3-venv package")
    );
    assert!(
        parse_probe("venv absent\ncreator ok\n")
            .unwrap()
            .creator_problem
            .is_none()
    );
    let sys = parse_probe("pip python3 -m pip\nlist []\nversion 20.3.4\nmanaged\n").unwrap();
    assert_eq!(sys.version, Some((20, 3, 4)));
    assert!(sys.managed);
    assert!(parse_probe("nopip\n").unwrap().nopip);
    assert!(parse_probe("list not json\n").is_err());
}

#[test]
fn pip_versions() {
    use super::probe::pip_version;
    assert_eq!(pip_version("23.0.1"), Some((23, 0, 1)));
    assert_eq!(pip_version("22.2"), Some((22, 2, 0)));
    assert_eq!(pip_version("24.1b1"), Some((24, 1, 0)));
    assert_eq!(pip_version(""), None);
}

#[test]
fn pips_report() {
    let report = r#"{"version": "1", "install": [{"metadata": {"name": "eovdemo", "version": "2.0"}, "requested": true}], "environment": {}}"#;
    assert_eq!(
        parse_report(report).unwrap(),
        vec![("eovdemo".to_string(), "2.0".to_string())]
    );
    assert!(parse_report("{}").is_err());
}

#[test]
fn arguments() {
    let p = pip(&[("name", "eovdemo".into()), ("version", "1.0".into())]);
    assert_eq!(p.reqs[0].text, "eovdemo==1.0");
    let p = pip(&[("name", "eovdemo".into()), ("version", ">=1.0".into())]);
    assert_eq!(p.reqs[0].text, "eovdemo>=1.0");
    assert_eq!(p.state, PipState::Present);
    let p = pip(&[
        ("name", "x".into()),
        ("umask", "0022".into()),
        (
            "extra_args",
            "--no-index --find-links '/srv/my wheels'".into(),
        ),
    ]);
    assert_eq!(p.umask, Some(0o022));
    assert_eq!(
        p.extra_args,
        ["--no-index", "--find-links", "/srv/my wheels"]
    );
    assert_eq!(
        pip(&[("name", "x".into()), ("umask", 18.into())]).umask,
        Some(0o022)
    );
    for bad in [
        vec![("name", Value::from("x @ https://e.org/x.whl"))],
        vec![
            ("name", Value::from(vec!["a", "b"])),
            ("version", "1".into()),
        ],
        vec![("name", Value::from("a==1")), ("version", "1".into())],
        vec![("name", Value::from("x")), ("umask", "0999".into())],
        vec![("name", Value::from("x")), ("extra_args", "'open".into())],
        vec![("name", Value::from("x")), ("virtualenv", "-x".into())],
        vec![
            ("name", Value::from("x")),
            ("virtualenv_command", "virtualenv".into()),
        ],
        vec![("name", Value::from(Vec::<String>::new()))],
    ] {
        assert!(Pip::new(&Args::from_pairs(&bad)).is_err(), "{bad:?}");
    }
}
