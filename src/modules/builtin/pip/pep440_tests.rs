//! Table tests of PEP 440 versions, specifiers and requirement names.

use super::pep440::{Requirement, Version, normalize, requirement_name};

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|| panic!("{s}"))
}

#[test]
fn versions_order_as_pep_440_says() {
    let order = [
        "1.0.dev456",
        "1.0a1",
        "1.0a2.dev456",
        "1.0a12.dev456",
        "1.0a12",
        "1.0b1.dev456",
        "1.0b2",
        "1.0b2.post345.dev456",
        "1.0b2.post345",
        "1.0rc1.dev456",
        "1.0rc1",
        "1.0",
        "1.0+abc.5",
        "1.0+abc.7",
        "1.0+5",
        "1.0.post456.dev34",
        "1.0.post456",
        "1.1.dev1",
        "1.2",
        "1.10",
        "1!0.5",
    ];
    for pair in order.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    assert_eq!(v("1.0"), v("1.0.0"));
    assert_eq!(v("1.0"), v("v1.0"));
    assert_eq!(v("1.0a1"), v("1.0-alpha.1"));
    assert_eq!(v("1.0rc1"), v("1.0c1"));
    assert_eq!(v("1.0.post0"), v("1.0-0"));
    assert_eq!(v("1.0.post0"), v("1.0.post"));
    assert!(Version::parse("not a version").is_none());
    assert!(Version::parse("1.0.x").is_none());
}

#[test]
fn specifiers() {
    let cases = [
        ("x==1.0", "1.0.0", true),
        ("x==1.0", "1.0+local", true),
        ("x==1.0+local", "1.0", false),
        ("x==1.0", "1.0.post1", false),
        ("x==1.*", "1.9.3", true),
        ("x==1.1.*", "1.1", true),
        ("x==1.1.*", "1.10", false),
        ("x!=1.1.*", "1.2", true),
        ("x!=1.0", "1.0.0", false),
        ("x>=2", "2.0", true),
        ("x>=2", "2.0rc1", false),
        ("x>=2", "10.0", true),
        ("x<=2", "2.0+x", true),
        ("x<2", "1.99", true),
        ("x<2", "2.0a1", false),
        ("x<2.0rc1", "2.0a1", true),
        ("x>2", "2.0.post1", false),
        ("x>2.0.post1", "2.0.post2", true),
        ("x>2", "2.0+local", false),
        ("x>2", "2.1", true),
        ("x~=1.4", "1.9", true),
        ("x~=1.4", "2.0", false),
        ("x~=1.4", "1.3", false),
        ("x~=1.4.2", "1.4.9", true),
        ("x~=1.4.2", "1.5", false),
        ("x>=1,<2", "1.5", true),
        ("x >= 1 , < 2", "2.0", false),
        ("x===1.0", "1.0", true),
        ("x===1.0", "1.0.0", false),
        ("x", "anything", true),
        ("x[extra]>=1", "1.2", true),
    ];
    for (spec, have, want) in cases {
        let r = Requirement::parse(spec).unwrap();
        assert_eq!(r.admits(have), want, "{spec} admits {have}");
    }
}

#[test]
fn requirements_refused_with_a_reason() {
    for bad in [
        "",
        "-r x",
        "x @ https://example.org/x.whl",
        "x; python_version < '3'",
        "./pkg",
        "x>>1",
        "x==1.0a1.*",
        "x~=1",
        "x>=1+local",
        "x==",
    ] {
        assert!(Requirement::parse(bad).is_err(), "{bad}");
    }
    let r = Requirement::parse(" Foo_Bar.baz >=1 ").unwrap();
    assert_eq!(
        (r.name.as_str(), r.key.as_str()),
        ("Foo_Bar.baz", "foo-bar-baz")
    );
    assert_eq!(r.text, "Foo_Bar.baz >=1");
    assert_eq!(normalize("A__b--C"), "a-b-c");
}

#[test]
fn names_in_requirements_files() {
    let file = "# tools\nrequests>=2 # http\n-r other.txt\n--index-url https://x\n\nflask[async] ; python_version >= '3.8'\nmine @ https://example.org/mine.whl\n./local/pkg\n-e git+https://x#egg=y\n";
    let names: Vec<String> = file.lines().filter_map(requirement_name).collect();
    assert_eq!(names, ["requests", "flask", "mine"]);
}
