//! The system modules (`package`, `group`, `user`, ...) against real Debian lab hosts: for
//! each, `--check` changes nothing and says what would change, the first run changes, the
//! second changes nothing, and a bad argument is refused where it is written.

use crate::lab::{Lab, available};
use crate::support::{Output, Test, recap};

/// One lab host and a play directory; the host is removed when this is dropped.
struct Host {
    lab: Lab,
    t: Test,
}

impl Host {
    fn up(test: &str, tag: &str) -> Option<Host> {
        if !available(test) {
            return None;
        }
        Some(Host {
            lab: Lab::up(1, tag),
            t: Test::new(),
        })
    }

    /// Runs `p.eov` (set to `play`, on the lab's one host) with extra arguments.
    fn run(&self, play: &str, args: &[&str]) -> Output {
        self.t.file("p.eov", play);
        let inv = self.lab.inventory();
        let mut all = vec!["run", "p.eov", "-i", inv.to_str().unwrap()];
        all.extend_from_slice(args);
        self.t.run(&all)
    }

    fn sh(&self, script: &str) -> String {
        self.lab.sh(1, script)
    }

    /// The whole contract for `play`: `--check --diff` reports `changes` changed tasks and
    /// leaves what `probe` prints as it was; the first run makes those changes (`probe` then
    /// prints something else); the second run changes nothing. The first run's output.
    #[track_caller]
    fn converge(&self, play: &str, probe: &str, changes: usize) -> Output {
        let changed = |out: &Output| {
            recap(&out.stdout, "h1")
                .split(' ')
                .find_map(|f| f.strip_prefix("changed="))
                .map(|n| n.parse::<usize>().unwrap())
                .unwrap()
        };
        let before = self.sh(probe);
        let dry = self.run(play, &["--check", "--diff"]);
        assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
        assert_eq!(changed(&dry), changes, "--check:\n{}", dry.stdout);
        assert_eq!(
            self.sh(probe),
            before,
            "--check changed the host:\n{}",
            dry.stdout
        );
        let first = self.run(play, &["--diff"]);
        assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
        assert_eq!(changed(&first), changes, "first run:\n{}", first.stdout);
        assert_ne!(
            self.sh(probe),
            before,
            "the first run changed nothing it was meant to"
        );
        let second = self.run(play, &[]);
        assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
        assert_eq!(changed(&second), 0, "second run:\n{}", second.stdout);
        first
    }
}

/// `eov check` refuses `play`, and its message has `wanted` and points into `p.eov`.
#[track_caller]
fn refused_by_check(play: &str, wanted: &str) {
    let t = Test::new();
    t.file("p.eov", play);
    let out = t.run(&["check", "p.eov"]);
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(wanted) && out.stderr.contains("p.eov:"),
        "wanted `{wanted}` located in p.eov:\n{}",
        out.stderr
    );
}

#[test]
fn package_removes_and_installs_with_apt() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { package { name = "x", state = "installed" } } }"#,
        "one of `present`, `absent` or `latest`",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { package { name = "x", update_cache = true } } }"#,
        "update_cache",
    );
    let Some(h) = Host::up("package_removes_and_installs_with_apt", "pkg") else {
        return;
    };
    let probe = "dpkg-query -W -f='${db:Status-Status}' iputils-ping 2>&1";
    assert_eq!(h.sh(probe), "installed");
    let remove = r#"play "p" on "lab" {
  task "ping gone" { package { name = ["iputils-ping"], state = "absent" } register = "r" }
  task "said" { assert { that = "r.manager == 'apt'" } }
}"#;
    let first = h.converge(remove, probe, 1);
    assert!(
        first.stdout.contains("iputils-ping: 3:"),
        "{}",
        first.stdout
    );
    assert_ne!(h.sh(probe), "installed");
    // Back from the .deb the image keeps in apt's cache: no network needed.
    let install = r#"play "p" on "lab" { task "ping back" { package { name = "iputils-ping" } } }"#;
    h.converge(install, probe, 1);
    assert_eq!(h.sh(probe), "installed");
    let unknown = h.run(
        r#"play "p" on "lab" { task "t" { package { name = "-rf" } } }"#,
        &[],
    );
    assert_ne!(unknown.code, 0);
    assert!(
        unknown.stdout.contains("`-rf` is not a package name"),
        "{}",
        unknown.stdout
    );
}
