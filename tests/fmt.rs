//! `eov fmt` through the binary: the layout of a messy file (snapshot), `--check`, files with
//! errors left alone.

use crate::support::Test;

const MESSY: &str = r#"# The demo, written carelessly.
play "demo" on "all" {   # every host
vars { port = 8080 ,name="web" }
  task "config" for f in ["a", "b"] { template { src = "{{ f }}.j2", dest = "/etc/demo/{{ f }}", mode = 0o644 }   notify = "restart"
  }


  # the service
  block "service" { task "running" { service { name = "demo", state = "started", enabled = true, extra = "a long value that pushes this line past the width" } } } rescue { task "say" { debug { msg = "no" } } }
  handler "restart" { service { name = "demo", state = "restarted" } }   # once
}
"#;

#[test]
fn fmt_lays_out_a_file_and_check_says_whether_it_would() {
    let t = Test::new();
    t.file("p.eov", MESSY);
    let check = t.run(&["fmt", "--check", "p.eov"]);
    assert_eq!(check.code, 1, "{}\n{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("-vars { port = 8080 ,name=\"web\" }"),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("1 file would be reformatted"),
        "{}",
        check.stdout
    );
    assert_eq!(t.read("p.eov"), MESSY, "--check writes nothing");

    let out = t.run(&["fmt", "p.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    insta::assert_snapshot!(t.read("p.eov"));
    let again = t.run(&["fmt", "--check", "p.eov"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(
        again
            .stdout
            .contains("0 files would be reformatted, 1 already formatted")
    );
    let checked = t.run(&["check", "p.eov"]);
    assert_eq!(
        checked.code, 3,
        "only the made-up service argument is wrong"
    );
    assert!(checked.stderr.contains("extra"), "{}", checked.stderr);
}

#[test]
fn fmt_leaves_files_with_errors_as_they_are() {
    let t = Test::new();
    let bad = "play \"p\" \"all\" {}\n";
    let inside = "play \"p\" on \"all\" {\n  vars { a = # why\n 1 }\n}\n";
    t.file("dir/bad.eov", bad);
    t.file("dir/inside.eov", inside);
    t.file("dir/good.eov", "play \"p\" on \"all\" { }\n");
    let out = t.run(&["fmt", "dir"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("bad.eov:1:10"), "{}", out.stderr);
    assert!(out.stderr.contains("inside.eov:2:14"), "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot keep this comment"),
        "{}",
        out.stderr
    );
    assert_eq!(t.read("dir/bad.eov"), bad);
    assert_eq!(t.read("dir/inside.eov"), inside);
    assert_eq!(t.read("dir/good.eov"), "play \"p\" on \"all\" {}\n");
}
