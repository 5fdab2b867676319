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
pub(crate) fn refused_by_check(play: &str, wanted: &str) {
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

#[test]
fn group_created_renumbered_and_removed() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { group { name = "g", gid = "many" } } }"#,
        "argument `gid` of `group` must be an integer",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { group { name = "g", members = ["x"] } } }"#,
        "members",
    );
    let Some(h) = Host::up("group_created_renumbered_and_removed", "grp") else {
        return;
    };
    let probe = "getent group eovg || echo none";
    h.converge(
        r#"play "p" on "lab" { task "g" { group { name = "eovg", gid = 4321 } } }"#,
        probe,
        1,
    );
    assert_eq!(h.sh(probe), "eovg:x:4321:\n");
    h.converge(
        r#"play "p" on "lab" { task "g" { group { name = "eovg", gid = 4322 } } }"#,
        probe,
        1,
    );
    assert_eq!(h.sh(probe), "eovg:x:4322:\n");
    let sys = h.converge(
        r#"play "p" on "lab" {
  task "sys" { group { name = "eovsys", system = true } register = "s" }
  task "gone" { group { name = "eovg", state = "absent" } }
}"#,
        "getent group eovg eovsys || true",
        2,
    );
    assert!(
        sys.stdout
            .contains("group eovg state: present (gid 4322) -> absent"),
        "{}",
        sys.stdout
    );
    assert_eq!(h.sh(probe), "none\n");
    let gid: u32 = h
        .sh("getent group eovsys | cut -d: -f3")
        .trim()
        .parse()
        .unwrap();
    assert!(gid < 1000, "a system group: {gid}");
    let bad = h.run(
        r#"play "p" on "lab" { task "t" { group { name = "Bad Name" } } }"#,
        &[],
    );
    assert_ne!(bad.code, 0);
    assert!(
        bad.stdout
            .contains("`Bad Name` is not a valid account name"),
        "{}",
        bad.stdout
    );
}

#[test]
fn user_created_changed_and_removed() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { user { name = "u", append = "sometimes" } } }"#,
        "argument `append` of `user` must be a boolean",
    );
    let Some(h) = Host::up("user_created_changed_and_removed", "usr") else {
        return;
    };
    // The hash of "eov" (`openssl passwd -6 -salt eovsalt00 eov`): a secret, never shown.
    let hash = "$6$eovsalt00$AJnP9ePRwBgixRNiIA9AZzZBVjcoJYafk0DuSHb1sfcNrAfvkAe86gncmaJKxrI3ILfhB7V2iE6CACjEUblIP0";
    let probe =
        "getent passwd eovu; id eovu; getent shadow eovu | cut -d: -f2; ls -d /home/eovu 2>&1";
    let create = format!(
        r#"play "p" on "lab" {{
  task "group" {{ group {{ name = "eovops" }} }}
  task "user" {{ user {{ name = "eovu", uid = 2345, groups = ["eovops", "adm"], shell = "/bin/bash", comment = "Eov User", password = secret "{hash}" }} register = "u" }}
  task "said" {{ assert {{ that = "u.uid == 2345" }} }}
}}"#
    );
    let first = h.converge(&create, probe, 2);
    assert!(
        !first.stdout.contains(hash),
        "the hash was shown:\n{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("user eovu state: absent -> present"),
        "{}",
        first.stdout
    );
    assert_eq!(
        h.sh("getent passwd eovu"),
        "eovu:x:2345:2345:Eov User:/home/eovu:/bin/bash\n"
    );
    assert_eq!(h.sh("id -Gn eovu"), "eovu adm eovops\n");
    assert_eq!(h.sh("getent shadow eovu | cut -d: -f2").trim(), hash);
    assert_eq!(h.sh("stat -c %U /home/eovu").trim(), "eovu");
    // Groups replaced (not appended) and the shell changed; then a group appended.
    let replace = r#"play "p" on "lab" { task "user" { user { name = "eovu", groups = "eovops", shell = "/bin/sh" } } }"#;
    let changed = h.converge(replace, probe, 1);
    assert!(
        changed.stdout.contains("groups: adm,eovops -> eovops"),
        "{}",
        changed.stdout
    );
    assert_eq!(h.sh("id -Gn eovu"), "eovu eovops\n");
    assert_eq!(h.sh("getent passwd eovu | cut -d: -f7"), "/bin/sh\n");
    let append = r#"play "p" on "lab" { task "more" { user { name = "eovu", groups = ["sudo"], append = true } } }"#;
    h.converge(append, probe, 1);
    assert_eq!(h.sh("id -Gn eovu"), "eovu sudo eovops\n");
    h.converge(
        r#"play "p" on "lab" { task "gone" { user { name = "eovu", state = "absent", remove = true } } }"#,
        probe,
        1,
    );
    assert_eq!(h.sh("getent passwd eovu || echo none"), "none\n");
    assert_eq!(h.sh("ls -d /home/eovu 2>/dev/null || echo none"), "none\n");
    let clear = h.run(
        r#"play "p" on "lab" { task "t" { user { name = "eovu", password = "hunter2" } } }"#,
        &[],
    );
    assert_ne!(clear.code, 0);
    assert!(
        clear.stdout.contains("must be a crypt hash"),
        "{}",
        clear.stdout
    );
    assert!(!clear.stdout.contains("hunter2"), "{}", clear.stdout);
}

#[test]
fn systemd_unit_files_without_a_running_systemd() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { systemd { name = "x", state = "running" } } }"#,
        "one of `started`, `stopped`, `restarted` or `reloaded`",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { systemd { name = "x", masked = "very" } } }"#,
        "argument `masked` of `systemd` must be a boolean",
    );
    let Some(h) = Host::up("systemd_unit_files_without_a_running_systemd", "sd") else {
        return;
    };
    let enable = r#"play "p" on "lab" { task "t" { systemd { name = "eovd", enabled = true } } }"#;
    let missing = h.run(enable, &[]);
    assert_ne!(missing.code, 0);
    assert!(
        missing
            .stdout
            .contains("systemctl not found: systemd is not installed"),
        "{}",
        missing.stdout
    );
    // systemd installed (from Debian's mirror) but, as in any container, not PID 1.
    h.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd >/dev/null 2>&1");
    h.sh("printf '[Service]\\nExecStart=/bin/sleep 1000\\n[Install]\\nWantedBy=multi-user.target\\n' > /usr/lib/systemd/system/eovd.service");
    let probe = "systemctl is-enabled eovd; ls -l /etc/systemd/system/eovd.service /etc/systemd/system/multi-user.target.wants/ 2>&1";
    assert_eq!(
        h.sh("systemctl is-enabled eovd"),
        "disabled\n",
        "systemd installed: {}",
        h.sh("command -v systemctl")
    );
    let first = h.converge(enable, probe, 1);
    assert!(
        first.stdout.contains("unit eovd enabled: false -> true"),
        "{}",
        first.stdout
    );
    assert_eq!(h.sh("systemctl is-enabled eovd"), "enabled\n");
    h.converge(
        r#"play "p" on "lab" { task "t" { systemd { name = "eovd", masked = true } } }"#,
        probe,
        1,
    );
    assert_eq!(h.sh("systemctl is-enabled eovd"), "masked\n");
    let masked = h.run(enable, &[]);
    assert_ne!(masked.code, 0);
    assert!(
        masked
            .stdout
            .contains("unit `eovd` is masked: add `masked = false` to enable it"),
        "{}",
        masked.stdout
    );
    h.converge(
        r#"play "p" on "lab" { task "t" { systemd { name = "eovd", masked = false, enabled = false } } }"#,
        probe,
        1,
    );
    assert_eq!(h.sh("systemctl is-enabled eovd"), "disabled\n");
    let reload = h.run(
        r#"play "p" on "lab" { task "t" { systemd { daemon_reload = true } } }"#,
        &[],
    );
    assert_eq!(reload.code, 0, "{}", reload.stdout);
    assert!(
        recap(&reload.stdout, "h1").contains("changed=0"),
        "{}",
        reload.stdout
    );
    let start = h.run(
        r#"play "p" on "lab" { task "t" { systemd { name = "eovd", state = "started" } } }"#,
        &[],
    );
    assert_ne!(start.code, 0);
    assert!(
        start
            .stdout
            .contains("systemd is not running as PID 1 on this host (a container?): cannot make `eovd` started"),
        "{}",
        start.stdout
    );
    let nosuch = h.run(
        r#"play "p" on "lab" { task "t" { systemd { name = "nosuch", enabled = true } } }"#,
        &[],
    );
    assert!(
        nosuch.stdout.contains("unit `nosuch` not found"),
        "{}",
        nosuch.stdout
    );
}

#[test]
fn hostname_file_written_and_a_refused_rename_said() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { hostname { name = "x", use = "systemd" } } }"#,
        "use",
    );
    let Some(h) = Host::up("hostname_file_written_and_a_refused_rename_said", "hn") else {
        return;
    };
    let running = h.sh("hostname").trim().to_string();
    h.sh("echo stale-name > /etc/hostname");
    let play =
        format!(r#"play "p" on "lab" {{ task "t" {{ hostname {{ name = "{running}" }} }} }}"#);
    let first = h.converge(&play, "cat /etc/hostname", 1);
    assert!(
        first.stdout.contains("/etc/hostname: stale-name -> "),
        "{}",
        first.stdout
    );
    assert_eq!(h.sh("cat /etc/hostname"), format!("{running}\n"));
    // A podman container has no CAP_SYS_ADMIN: the kernel refuses, and nothing changes.
    let rename = h.run(
        r#"play "p" on "lab" { task "t" { hostname { name = "renamed" } } }"#,
        &[],
    );
    assert_ne!(rename.code, 0);
    assert!(
        rename
            .stdout
            .contains("a container cannot rename itself without CAP_SYS_ADMIN"),
        "{}",
        rename.stdout
    );
    assert_eq!(h.sh("hostname").trim(), running);
    assert_eq!(h.sh("cat /etc/hostname"), format!("{running}\n"));
    let bad = h.run(
        r#"play "p" on "lab" { task "t" { hostname { name = "bad_name" } } }"#,
        &[],
    );
    assert!(
        bad.stdout.contains("`bad_name` is not a host name"),
        "{}",
        bad.stdout
    );
}

#[test]
fn cron_jobs_in_a_crontab_and_in_cron_d() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { cron { name = "x", job = "true", special_time = "often" } } }"#,
        "one of `reboot`",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { cron { name = "x", job = "true", special_time = "daily", minute = 5 } } }"#,
        "special_time",
    );
    let Some(h) = Host::up("cron_jobs_in_a_crontab_and_in_cron_d", "cron") else {
        return;
    };
    let play = |minute: &str, state: &str| {
        format!(
            r#"play "p" on "lab" {{
  task "tab" {{ cron {{ name = "backup", minute = "{minute}", hour = 3, job = "/usr/local/bin/backup >/dev/null", state = "{state}" }} }}
  task "file" {{ cron {{ name = "clean", special_time = "daily", job = "rm -rf /tmp/eov-*", user = "nobody", cron_file = "eovjobs", state = "{state}" }} }}
}}"#
        )
    };
    let missing = h.run(&play("*/5", "present"), &[]);
    assert!(
        missing
            .stdout
            .contains("crontab not found: install the cron package"),
        "{}",
        missing.stdout
    );
    h.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends cron >/dev/null 2>&1");
    assert!(!h.sh("command -v crontab").is_empty(), "cron installed");
    let probe = "crontab -u root -l 2>&1; cat /etc/cron.d/eovjobs 2>&1";
    h.converge(&play("*/5", "present"), probe, 2);
    assert_eq!(
        h.sh("crontab -u root -l"),
        "#eov: backup\n*/5 3 * * * /usr/local/bin/backup >/dev/null\n"
    );
    assert_eq!(
        h.sh("cat /etc/cron.d/eovjobs"),
        "#eov: clean\n@daily nobody rm -rf /tmp/eov-*\n"
    );
    let changed = h.converge(&play("10", "present"), probe, 1);
    assert!(
        changed.stdout.contains("+10 3 * * * /usr/local/bin/backup"),
        "{}",
        changed.stdout
    );
    h.converge(&play("10", "absent"), probe, 2);
    assert_eq!(h.sh("crontab -u root -l"), "");
    assert_eq!(h.sh("cat /etc/cron.d/eovjobs"), "");
    let bad = h.run(&play("5 *", "present"), &[]);
    assert!(
        bad.stdout.contains("`5 *` is not a cron time field"),
        "{}",
        bad.stdout
    );
}

#[test]
fn find_by_pattern_type_age_and_size() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { find { paths = "/tmp", file_type = "socket" } } }"#,
        "one of `file`, `directory`, `link` or `any`",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { find { paths = "/tmp", depth = 2 } } }"#,
        "depth",
    );
    let Some(h) = Host::up("find_by_pattern_type_age_and_size", "find") else {
        return;
    };
    h.sh("mkdir -p /srv/eov/sub && cd /srv/eov && head -c 2048 /dev/zero > big.log && echo x > small.log \
          && echo x > .hidden.log && echo x > note.txt && echo x > sub/deep.log && ln -s big.log link.log \
          && touch -d '3 days ago' small.log");
    let play = r#"play "p" on "lab" {
  task "logs" { find { paths = "/srv/eov", patterns = ["*.log"] } register = "logs" }
  task "deep" { find { paths = ["/srv/eov", "/nope"], patterns = "*.log,*.txt", recurse = true, hidden = true } register = "deep" }
  task "old" { find { paths = "/srv/eov", age = "2d" } register = "old" }
  task "big" { find { paths = "/srv/eov", size = "1k", file_type = "any" } register = "big" }
  task "dirs" { find { paths = "/srv/eov", file_type = "directory" } register = "dirs" }
  task "check" {
    assert {
      that = [
        "logs.files | map(attribute='path') | list == ['/srv/eov/big.log', '/srv/eov/small.log']",
        "deep.matched == 5",
        "deep.files | map(attribute='path') | select('equalto', '/srv/eov/sub/deep.log') | list | length == 1",
        "old.files | map(attribute='path') | list == ['/srv/eov/small.log']",
        "big.files | map(attribute='path') | list == ['/srv/eov/big.log', '/srv/eov/sub']",
        "big.files[0].size == 2048 and big.files[0].isreg and big.files[0].mode == '0644'",
        "dirs.files[0].isdir",
      ]
    }
  }
}"#;
    // Only reads: the same answers under --check, and never a change.
    for args in [&["--check"][..], &[][..]] {
        let out = h.run(play, args);
        assert_eq!(out.code, 0, "{args:?}:\n{}", out.stdout);
        assert!(
            recap(&out.stdout, "h1").contains("changed=0"),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("not directories, skipped: /nope") || !out.stdout.contains("/nope"),
            "{}",
            out.stdout
        );
    }
    let bad = h.run(
        r#"play "p" on "lab" { task "t" { find { paths = "/srv", age = "3 days" } } }"#,
        &[],
    );
    assert!(
        bad.stdout.contains("`3 days` is not an age like `2d`"),
        "{}",
        bad.stdout
    );
}

/// Serves `/v1` and `/v2` (two contents) to the lab's hosts, counting the downloads.
fn file_server(
    lab: &Lab,
) -> (
    crate::http_server::Server,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use axum::routing::get;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let (h1, h2) = (hits.clone(), hits.clone());
    let router = axum::Router::new()
        .route(
            "/v1",
            get(move || async move {
                h1.fetch_add(1, Ordering::SeqCst);
                "payload v1\n"
            }),
        )
        .route(
            "/v2",
            get(move || async move {
                h2.fetch_add(1, Ordering::SeqCst);
                "payload v2\n"
            }),
        );
    let address = lab.address(1);
    let gateway = format!("{}.1", address.rsplit_once('.').unwrap().0);
    (
        crate::http_server::Server::start_at(&format!("{gateway}:0"), router),
        hits,
    )
}

#[test]
fn get_url_downloads_once_checks_and_forces() {
    use std::sync::atomic::Ordering;
    refused_by_check(
        r#"play "p" on "all" { task "t" { get_url { url = "http://x/y", dest = "/tmp/y", timeout = 10 } } }"#,
        "give a unit: `10s`",
    );
    let Some(h) = Host::up("get_url_downloads_once_checks_and_forces", "url") else {
        return;
    };
    let (srv, hits) = file_server(&h.lab);
    let sha = |s: &str| {
        use sha2::Digest as _;
        format!("{:x}", sha2::Sha256::digest(s.as_bytes()))
    };
    let play = |path: &str, extra: &str| {
        format!(
            r#"play "p" on "lab" {{ task "t" {{ get_url {{ url = "{}", dest = "/opt/eov.txt", mode = "u=rw,g=r,o=" {extra} }} register = "g" }} }}"#,
            srv.url(path)
        )
    };
    let probe = "cat /opt/eov.txt 2>&1; stat -c %a /opt/eov.txt 2>&1";
    // The lab image has no curl or wget: python3 downloads.
    assert!(h.sh("command -v curl wget").is_empty());
    h.converge(&play("/v1", ""), probe, 1);
    assert_eq!(h.sh(probe), "payload v1\n640\n");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "--check and the second run do not download"
    );
    // A checksum the file has: nothing to do; one it has not: downloaded and checked.
    let same = h.run(
        &play(
            "/v1",
            &format!(", checksum = \"sha256:{}\"", sha("payload v1\n")),
        ),
        &[],
    );
    assert!(
        recap(&same.stdout, "h1").contains("changed=0"),
        "{}",
        same.stdout
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let v2 = play(
        "/v2",
        &format!(", checksum = \"sha256:{}\"", sha("payload v2\n")),
    );
    h.converge(&v2, probe, 1);
    assert_eq!(h.sh(probe), "payload v2\n640\n");
    // `force` downloads every time, and changes only when the content differs.
    let forced = h.run(&play("/v2", ", force = true"), &[]);
    assert!(
        recap(&forced.stdout, "h1").contains("changed=0"),
        "{}",
        forced.stdout
    );
    let before = hits.load(Ordering::SeqCst);
    let forced = h.run(&play("/v1", ", force = true"), &[]);
    assert!(
        recap(&forced.stdout, "h1").contains("changed=1"),
        "{}",
        forced.stdout
    );
    assert_eq!(hits.load(Ordering::SeqCst), before + 1);
    assert_eq!(h.sh("cat /opt/eov.txt"), "payload v1\n");
    // A download that does not match its checksum fails and leaves the file as it was.
    let wrong = h.run(
        &play("/v2", &format!(", checksum = \"sha256:{}\"", sha("other"))),
        &[],
    );
    assert_ne!(wrong.code, 0);
    assert!(
        wrong
            .stdout
            .contains("checksum mismatch: the download's sha256 is"),
        "{}",
        wrong.stdout
    );
    assert_eq!(h.sh(probe), "payload v1\n640\n");
    assert!(
        !h.sh("ls -a /opt").contains(".eov."),
        "a temp file was left behind"
    );
    let bad = h.run(&play("/v1", ", checksum = \"md5:abc\""), &[]);
    assert!(
        bad.stdout
            .contains("`md5:abc` is not `sha256:` followed by 64 hex digits"),
        "{}",
        bad.stdout
    );
}

#[test]
fn timezone_link_and_debian_record() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { timezone { name = "UTC", hwclock = "local" } } }"#,
        "hwclock",
    );
    let Some(h) = Host::up("timezone_link_and_debian_record", "tz") else {
        return;
    };
    let probe = "readlink /etc/localtime; cat /etc/timezone 2>&1; date +%Z";
    let first = h.converge(
        r#"play "p" on "lab" { task "t" { timezone { name = "Europe/Paris" } } }"#,
        probe,
        1,
    );
    assert!(
        first.stdout.contains(
            "/etc/localtime: /usr/share/zoneinfo/Etc/UTC -> /usr/share/zoneinfo/Europe/Paris"
        ),
        "{}",
        first.stdout
    );
    assert_eq!(
        h.sh("readlink /etc/localtime"),
        "/usr/share/zoneinfo/Europe/Paris\n"
    );
    assert_eq!(h.sh("cat /etc/timezone"), "Europe/Paris\n");
    assert!(
        matches!(h.sh("date +%Z").trim(), "CET" | "CEST"),
        "{}",
        h.sh("date")
    );
    assert!(
        !h.sh("ls -a /etc").contains(".eov."),
        "a temp link was left behind"
    );
    let unknown = h.run(
        r#"play "p" on "lab" { task "t" { timezone { name = "Mars/Olympus" } } }"#,
        &[],
    );
    assert_ne!(unknown.code, 0);
    assert!(
        unknown.stdout.contains("unknown time zone `Mars/Olympus`"),
        "{}",
        unknown.stdout
    );
    let bad = h.run(
        r#"play "p" on "lab" { task "t" { timezone { name = "../../etc/passwd" } } }"#,
        &[],
    );
    assert!(
        bad.stdout.contains("is not a time zone name"),
        "{}",
        bad.stdout
    );
    assert_eq!(
        h.sh("readlink /etc/localtime"),
        "/usr/share/zoneinfo/Europe/Paris\n"
    );
}

#[test]
fn unarchive_from_the_controller_and_on_the_host() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { unarchive { src = "a.tar", dest = "/opt", copy = false } } }"#,
        "copy",
    );
    let Some(h) = Host::up("unarchive_from_the_controller_and_on_the_host", "tar") else {
        return;
    };
    h.t.file("src/app/bin/run.sh", "#!/bin/sh\necho run\n")
        .file("src/app/conf/a.conf", "a = 1\n");
    std::fs::create_dir_all(h.t.path().join("files")).unwrap();
    let made = std::process::Command::new("sh")
        .arg("-c")
        .arg("chmod 755 src/app/bin/run.sh && tar -C src -czf files/app.tar.gz --owner=0 --group=0 app")
        .current_dir(h.t.path())
        .status()
        .unwrap();
    assert!(made.success());
    h.sh("mkdir -p /opt/app");
    let play =
        r#"play "p" on "lab" { task "t" { unarchive { src = "app.tar.gz", dest = "/opt/app" } } }"#;
    let probe =
        "cd /opt/app && find . -type f -exec sha256sum {} + | sort; stat -c %a app/bin/run.sh 2>&1";
    let first = h.converge(play, probe, 1);
    assert!(
        first.stdout.contains("extracted, as it differs"),
        "{}",
        first.stdout
    );
    assert_eq!(h.sh("cat /opt/app/app/conf/a.conf"), "a = 1\n");
    assert_eq!(h.sh("stat -c %a /opt/app/app/bin/run.sh"), "755\n");
    // A file edited on the host differs from the archive: extracted again, then ok.
    h.sh("echo changed > /opt/app/app/conf/a.conf");
    h.converge(play, probe, 1);
    assert_eq!(h.sh("cat /opt/app/app/conf/a.conf"), "a = 1\n");
    // An archive already on the host, skipped once `creates` exists.
    h.sh("mkdir -p /srv/x && tar -C /etc -cf /tmp/hostname.tar hostname");
    let remote = r#"play "p" on "lab" { task "t" { unarchive { src = "/tmp/hostname.tar", dest = "/srv/x", remote_src = true, creates = "/srv/x/hostname" } } }"#;
    h.converge(remote, "ls /srv/x", 1);
    assert_eq!(h.sh("cat /srv/x/hostname"), h.sh("cat /etc/hostname"));
    let zip = h.run(
        r#"play "p" on "lab" { task "t" { unarchive { src = "/tmp/a.zip", dest = "/srv/x", remote_src = true } } }"#,
        &[],
    );
    assert!(
        zip.stdout.contains("zip is not supported"),
        "{}",
        zip.stdout
    );
    let nodir = h.run(
        r#"play "p" on "lab" { task "t" { unarchive { src = "app.tar.gz", dest = "/nowhere" } } }"#,
        &[],
    );
    assert!(
        nodir.stdout.contains("/nowhere: no such directory"),
        "{}",
        nodir.stdout
    );
}

#[test]
fn iptables_rules_and_policy() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { iptables { chain = "INPUT", jump = "ACCEPT", policy = "DROP" } } }"#,
        "policy",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { iptables { jump = "ACCEPT", table = "filtre" } } }"#,
        "`filter`",
    );
    let Some(h) = Host::up("iptables_rules_and_policy", "ipt") else {
        return;
    };
    let rules = |state: &str| {
        format!(
            r#"play "p" on "lab" {{
  task "web" {{ iptables {{ protocol = "tcp", destination_port = 8080, ctstate = ["NEW", "ESTABLISHED"], comment = "eov web", jump = "ACCEPT", state = "{state}" }} }}
  task "first" {{ iptables {{ source = "192.0.2.0/24", jump = "DROP", action = "insert", rule_num = 1, state = "{state}" }} }}
}}"#
        )
    };
    // The lab image has iptables (nft), and lab hosts have CAP_NET_ADMIN: their own tables.
    assert!(!h.sh("command -v iptables").is_empty());
    let probe = "iptables -S; iptables -S FORWARD | head -n 1";
    h.converge(&rules("present"), probe, 2);
    assert_eq!(
        h.sh("iptables -S INPUT"),
        "-P INPUT ACCEPT\n-A INPUT -s 192.0.2.0/24 -j DROP\n\
         -A INPUT -p tcp -m tcp --dport 8080 -m conntrack --ctstate NEW,ESTABLISHED -m comment --comment \"eov web\" -j ACCEPT\n"
    );
    h.converge(&rules("absent"), probe, 2);
    assert_eq!(h.sh("iptables -S INPUT"), "-P INPUT ACCEPT\n");
    let policy =
        r#"play "p" on "lab" { task "t" { iptables { chain = "FORWARD", policy = "DROP" } } }"#;
    let first = h.converge(policy, probe, 1);
    assert!(
        first.stdout.contains("policy: ACCEPT -> DROP"),
        "{}",
        first.stdout
    );
    assert_eq!(h.sh("iptables -S FORWARD"), "-P FORWARD DROP\n");
    let ports = h.run(
        r#"play "p" on "lab" { task "t" { iptables { destination_port = 22, jump = "ACCEPT" } } }"#,
        &[],
    );
    assert!(
        ports.stdout.contains("ports need `protocol`"),
        "{}",
        ports.stdout
    );
}

#[test]
fn ip_link_bridge_addresses_mtu_and_removal() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { ip_link { name = "br0", kind = "vlan" } } }"#,
        "`bridge`",
    );
    let Some(h) = Host::up("ip_link_bridge_addresses_mtu_and_removal", "ipl") else {
        return;
    };
    let bridge = |addresses: &str, extra: &str| {
        format!(
            r#"play "p" on "lab" {{
  task "bridge" {{ ip_link {{ name = "br-eov", kind = "bridge", addresses = [{addresses}]{extra} }} }}
}}"#
        )
    };
    let probe =
        "ip -br addr show dev br-eov 2>&1; ip -o link show dev br-eov 2>&1 | grep -o 'mtu [0-9]*'";
    // Made, with its address, and up.
    let first = h.converge(&bridge(r#""192.168.42.1/24""#, ""), probe, 1);
    assert!(
        first.stdout.contains("state: absent -> bridge"),
        "{}",
        first.stdout
    );
    assert!(h.sh("ip -d link show dev br-eov").contains("bridge "));
    assert!(
        h.sh("ip -br addr show dev br-eov")
            .contains("192.168.42.1/24")
    );
    assert!(h.sh("ip -o link show dev br-eov").contains(",UP"));
    // A second address and an MTU; the first address stays (not exclusive).
    let more = bridge(r#""192.168.42.1/24", "fd00:42::1/64""#, ", mtu = 1400");
    let out = h.converge(&more, probe, 1);
    assert!(out.stdout.contains("mtu: 1500 -> 1400"), "{}", out.stdout);
    let addrs = h.sh("ip -br addr show dev br-eov");
    assert!(
        addrs.contains("192.168.42.1/24") && addrs.contains("fd00:42::1/64"),
        "{addrs}"
    );
    // Exclusive: only the listed addresses stay; down.
    let only = bridge(
        r#""10.42.0.1/16""#,
        ", exclusive_addresses = true, up = false",
    );
    let out = h.converge(&only, probe, 1);
    assert!(out.stdout.contains("up: true -> false"), "{}", out.stdout);
    let addrs = h.sh("ip -br addr show dev br-eov");
    assert!(
        addrs.contains("10.42.0.1/16") && !addrs.contains("192.168.42.1"),
        "{addrs}"
    );
    // Refusals come before any change: another kind, no kind to make one, a bad address.
    let dummy = h.run(
        r#"play "p" on "lab" { task "t" { ip_link { name = "br-eov", kind = "dummy" } } }"#,
        &[],
    );
    assert!(
        dummy.stdout.contains("is a bridge, not a dummy"),
        "{}",
        dummy.stdout
    );
    let nokind = h.run(
        r#"play "p" on "lab" { task "t" { ip_link { name = "nope0" } } }"#,
        &[],
    );
    assert!(
        nokind.stdout.contains("no `kind` to make it"),
        "{}",
        nokind.stdout
    );
    let bad = h.run(&bridge(r#""192.168.42.1""#, ""), &[]);
    assert!(
        bad.stdout.contains("not an address with its prefix"),
        "{}",
        bad.stdout
    );
    // Deleted, then absent stays absent.
    let gone =
        r#"play "p" on "lab" { task "t" { ip_link { name = "br-eov", state = "absent" } } }"#;
    h.converge(gone, probe, 1);
    assert!(
        h.sh("ip link show dev br-eov 2>&1")
            .contains("does not exist")
    );
}

#[test]
fn git_clone_tag_branch_and_local_changes() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { git { repo = "/srv/r.git", dest = "/opt/r", clone = false } } }"#,
        "clone",
    );
    let Some(h) = Host::up("git_clone_tag_branch_and_local_changes", "git") else {
        return;
    };
    let play = |version: &str, force: bool| {
        format!(
            r#"play "p" on "lab" {{ task "t" {{ git {{ repo = "/srv/repo.git", dest = "/opt/src", version = "{version}", force = {force} }} register = "g" }} }}"#
        )
    };
    let missing = h.run(&play("main", false), &[]);
    assert!(
        missing
            .stdout
            .contains("git not found: install the git package"),
        "{}",
        missing.stdout
    );
    h.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends git >/dev/null 2>&1");
    // A repository on the host: main has two commits, the first tagged v1 (annotated).
    h.sh("set -e; git init -q -b main /tmp/w && cd /tmp/w && git config user.email t@eov && git config user.name t \
          && echo one > f && git add f && git commit -qm one && git tag -a v1 -m v1 \
          && echo two > f && git commit -qam two && git clone -q --bare /tmp/w /srv/repo.git");
    let probe = "cd /opt/src 2>/dev/null && git rev-parse HEAD && cat f || echo none";
    let first = h.converge(&play("v1", false), probe, 1);
    assert!(
        first
            .stdout
            .contains("/opt/src state: absent -> clone of /srv/repo.git at v1"),
        "{}",
        first.stdout
    );
    assert_eq!(h.sh("cat /opt/src/f"), "one\n");
    h.converge(&play("main", false), probe, 1);
    assert_eq!(h.sh("cat /opt/src/f"), "two\n");
    assert_eq!(
        h.sh("git -C /opt/src rev-parse --abbrev-ref HEAD"),
        "main\n"
    );
    // Local changes are not thrown away unless forced.
    h.sh("echo local > /opt/src/f");
    let kept = h.run(&play("v1", false), &[]);
    assert_ne!(kept.code, 0);
    assert!(
        kept.stdout.contains("`/opt/src` has local changes"),
        "{}",
        kept.stdout
    );
    assert_eq!(h.sh("cat /opt/src/f"), "local\n");
    h.converge(&play("v1", true), probe, 1);
    assert_eq!(h.sh("cat /opt/src/f"), "one\n");
    let unknown = h.run(&play("v9", false), &[]);
    assert!(
        unknown
            .stdout
            .contains("`/srv/repo.git` has no branch or tag `v9`"),
        "{}",
        unknown.stdout
    );
}

/// Writes wheels into `/srv/wheels` on the host (a wheel is a zip: a module, and
/// `NAME-VER.dist-info/` with METADATA, WHEEL and RECORD), so pip installs without PyPI.
const WHEELS: &str = r#"mkdir -p /srv/wheels && cd /srv/wheels && python3 - <<'PY'
import base64, hashlib, zipfile
def wheel(name, ver, deps=()):
    info = f"{name}-{ver}.dist-info"
    files = {
        f"{name}.py": f"VERSION = {ver!r}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n"
        + "".join(f"Requires-Dist: {d}\n" for d in deps),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: eov-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(f"{name}-{ver}-py3-none-any.whl", "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
wheel("eovdemo", "1.0")
wheel("eovdemo", "2.0")
wheel("eovdep", "0.5")
wheel("eovtool", "1.2.0", ["eovdep>=0.5"])
PY"#;

#[test]
fn pip_in_a_virtualenv_and_the_system_python_from_local_wheels() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { pip { name = "x", state = "installed" } } }"#,
        "one of `present`, `absent`, `latest` or `forcereinstall`",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { pip { name = "x", virtualenv = "/v", executable = "pip3" } } }"#,
        "executable",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { pip { name = "x", break_system_packages = "maybe" } } }"#,
        "argument `break_system_packages` of `pip` must be a boolean",
    );
    let Some(h) = Host::up(
        "pip_in_a_virtualenv_and_the_system_python_from_local_wheels",
        "pip",
    ) else {
        return;
    };
    let offline = r#"extra_args = "--no-index --find-links /srv/wheels""#;
    let venv = |name: &str, extra: &str| {
        format!(
            r#"play "p" on "lab" {{ task "t" {{ pip {{ name = {name}, virtualenv = "/srv/venv", {offline} {extra} }} register = "r" }} }}"#
        )
    };
    // The lab image has python3 but neither pip nor ensurepip (Debian's python3-venv).
    let nopip = h.run(
        r#"play "p" on "lab" { task "t" { pip { name = "eovdemo" } } }"#,
        &[],
    );
    assert!(
        nopip
            .stdout
            .contains("pip not found: install python3-pip, or give `virtualenv`"),
        "{}",
        nopip.stdout
    );
    let noensurepip = h.run(&venv(r#""eovdemo""#, ""), &[]);
    assert_ne!(noensurepip.code, 0);
    assert!(
        noensurepip.stdout.contains(
            "cannot create virtualenv /srv/venv: python3 has no ensurepip: install the python3-venv package"
        ),
        "{}",
        noensurepip.stdout
    );
    assert_eq!(h.sh("ls /srv/venv 2>&1 >/dev/null | wc -l").trim(), "1");
    // From Debian's mirror, without the compilers pip recommends.
    h.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv python3-pip >/dev/null 2>&1");
    assert!(
        !h.sh("python3 -m pip --version").is_empty(),
        "pip installed"
    );
    h.sh(WHEELS);
    assert_eq!(
        h.sh("ls /srv/wheels | wc -l").trim(),
        "4",
        "{}",
        h.sh("ls -l /srv/wheels")
    );
    let probe = "/srv/venv/bin/python -m pip list --format=freeze 2>&1 | grep eov || echo none";
    // A new virtualenv with a pinned package and one with a dependency.
    let first = h.converge(
        &format!(
            r#"play "p" on "lab" {{
  task "t" {{ pip {{ name = ["eovdemo==1.0", "eovtool"], virtualenv = "/srv/venv", {offline} }} register = "r" }}
  task "said" {{ assert {{ that = ["r.packages.eovdemo == '1.0'", "r.packages.eovdep == '0.5'", "r.venv == '/srv/venv'"] }} }}
}}"#
        ),
        probe,
        1,
    );
    assert!(
        first
            .stdout
            .contains("virtualenv /srv/venv state: absent -> created by python3 -m venv"),
        "{}",
        first.stdout
    );
    // The real run's diff is what pip did: the dependency, and the new virtualenv's pip.
    for line in ["+eovdemo==1.0", "+eovdep==0.5", "+eovtool==1.2.0", "+pip=="] {
        assert!(first.stdout.contains(line), "{line}:\n{}", first.stdout);
    }
    assert_eq!(h.sh(probe), "eovdemo==1.0\neovdep==0.5\neovtool==1.2.0\n");
    // `latest`: pip's dry run says what comes; here through the virtualenv's pip, given as
    // `executable`.
    let latest = h.converge(
        &format!(
            r#"play "p" on "lab" {{ task "t" {{ pip {{ name = "eovdemo", state = "latest", executable = "/srv/venv/bin/pip", {offline} }} }} }}"#
        ),
        probe,
        1,
    );
    assert!(
        latest.stdout.contains("-eovdemo==1.0\n+eovdemo==2.0"),
        "{}",
        latest.stdout
    );
    assert!(h.sh(probe).starts_with("eovdemo==2.0\n"));
    // Down to `version`, and two packages removed (names compared as PEP 503 says); a
    // second virtualenv that sees the system's packages, made and filled under a umask.
    let venv2 = "cat /srv/venv2/pyvenv.cfg 2>&1; stat -c %a /srv/venv2 /srv/venv2/lib/python3*/site-packages/eovdep.py 2>&1";
    let down = h.converge(
        &format!(
            r#"play "p" on "lab" {{
  task "down" {{ pip {{ name = "eovdemo", version = "1.0", virtualenv = "/srv/venv", {offline} }} }}
  task "gone" {{ pip {{ name = ["eovtool", "EovDep"], state = "absent", virtualenv = "/srv/venv" }} }}
  task "site" {{ pip {{ name = "eovdep", virtualenv = "/srv/venv2", virtualenv_site_packages = true, umask = "0077", {offline} }} }}
}}"#
        ),
        &format!("{probe}; {venv2}"),
        3,
    );
    assert!(down.stdout.contains("-eovtool==1.2.0"), "{}", down.stdout);
    assert_eq!(h.sh(probe), "eovdemo==1.0\n");
    let made = h.sh(venv2);
    assert!(
        made.contains("include-system-site-packages = true\n") && made.ends_with("700\n600\n"),
        "{made}"
    );
    // A specifier the installed version does not satisfy (decided here, by PEP 440).
    h.converge(&venv(r#""eovdemo>=2""#, ""), probe, 1);
    assert_eq!(h.sh(probe), "eovdemo==2.0\n");
    // What pip cannot find fails, in check mode too, before anything changes.
    let nine = h.run(&venv(r#""eovdemo==9""#, ""), &["--check"]);
    assert_ne!(nine.code, 0);
    assert!(
        nine.stdout
            .contains("No matching distribution found for eovdemo==9"),
        "{}",
        nine.stdout
    );
    // Debian's own Python is externally managed (PEP 668): refused unless asked, before
    // anything changes.
    let system = |extra: &str| {
        format!(r#"task "system" {{ pip {{ name = "eovdemo==1.0", {offline} {extra} }} }}"#)
    };
    let managed = h.run(&format!(r#"play "p" on "lab" {{ {} }}"#, system("")), &[]);
    assert_ne!(managed.code, 0);
    assert!(
        managed.stdout.contains("python3 -m pip would change the system's Python, which the OS manages (PEP 668: externally-managed-environment): use `virtualenv`, or set `break_system_packages = true`"),
        "{}",
        managed.stdout
    );
    let sys_probe = "python3 -m pip list --format=freeze 2>/dev/null | grep eov || echo none";
    assert_eq!(h.sh(sys_probe), "none\n");
    // A requirements file on the host, read by pip from `chdir`; and the system's Python
    // with `break_system_packages`.
    h.sh("mkdir -p /srv/app && printf 'eovdemo==1.0\\neovtool  # tools\\n' > /srv/app/requirements.txt");
    let both = |state: &str| {
        format!(
            r#"play "p" on "lab" {{
  task "req" {{ pip {{ requirements = "requirements.txt", chdir = "/srv/app", virtualenv = "/srv/venv", state = "{state}", {offline} }} }}
  {}
}}"#,
            system(&format!(
                r#", state = "{state}", break_system_packages = true"#
            ))
        )
    };
    let probes = format!("{probe}; {sys_probe}");
    h.converge(&both("present"), &probes, 2);
    assert_eq!(h.sh(probe), "eovdemo==1.0\neovdep==0.5\neovtool==1.2.0\n");
    assert_eq!(h.sh(sys_probe), "eovdemo==1.0\n");
    assert_eq!(
        h.sh("cd / && python3 -c 'import eovdemo; print(eovdemo.VERSION)'"),
        "1.0\n"
    );
    h.converge(&both("absent"), &probes, 2);
    assert_eq!(h.sh(probe), "eovdep==0.5\n");
    assert_eq!(h.sh(sys_probe), "none\n");
    // `forcereinstall` reinstalls every time: changed each run, and not in check mode.
    let force = venv(r#""eovdep""#, r#", state = "forcereinstall""#);
    let stamp = "stat -c %Y.%Z /srv/venv/lib/python3*/site-packages/eovdep.py";
    let before = h.sh(stamp);
    let dry = h.run(&force, &["--check"]);
    assert!(
        recap(&dry.stdout, "h1").contains("changed=1"),
        "{}",
        dry.stdout
    );
    assert_eq!(h.sh(stamp), before);
    for _ in 0..2 {
        let out = h.run(&force, &[]);
        assert!(
            recap(&out.stdout, "h1").contains("changed=1"),
            "{}",
            out.stdout
        );
    }
}

/// Whether a TCP connection to `address:port` is accepted within 2 s (a dropped SYN times out).
fn connects(address: &str, port: u16) -> bool {
    let to = format!("{address}:{port}").parse().unwrap();
    std::net::TcpStream::connect_timeout(&to, std::time::Duration::from_secs(2)).is_ok()
}

#[test]
fn ufw_rules_policies_and_a_firewall_really_enabled() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { ufw { rule = "permit", port = 22 } } }"#,
        "one of `allow`, `deny`, `limit` or `reject`",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { ufw { port = 22, proto = "tcp" } } }"#,
        "`state`, `policy`, `logging` or `rule`",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { ufw { policy = "deny", direction = "sideways" } } }"#,
        "one of `in`, `out`, `incoming`, `outgoing` or `routed`",
    );
    let Some(h) = Host::up("ufw_rules_policies_and_a_firewall_really_enabled", "ufw") else {
        return;
    };
    let missing = h.run(
        r#"play "p" on "lab" { task "t" { ufw { state = "enabled" } } }"#,
        &[],
    );
    assert!(
        missing
            .stdout
            .contains("ufw not found: install the ufw package"),
        "{}",
        missing.stdout
    );
    h.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ufw >/dev/null 2>&1");
    assert!(!h.sh("command -v ufw").is_empty(), "ufw installed");
    // Two servers: 8080 will be allowed, 8081 not.
    h.sh("cd /tmp && for p in 8080 8081; do setsid python3 -m http.server $p >/dev/null 2>&1 < /dev/null & done; sleep 1");
    let address = h.lab.address(1);
    assert!(connects(&address, 8080) && connects(&address, 8081));
    // Everything ufw keeps, and what is loaded: --check must leave all of it as it was.
    let probe = "md5sum /etc/ufw/user.rules /etc/ufw/user6.rules /etc/ufw/ufw.conf /etc/default/ufw; iptables -S | grep -c ufw";
    let site = r#"play "p" on "lab" {
  task "ssh" { ufw { rule = "allow", port = 22, proto = "tcp", comment = "ssh" } }
  task "web" { ufw { rule = "allow", port = 8080, proto = "tcp", from_ip = "198.18.0.0/15" } }
  task "limit" { ufw { rule = "limit", direction = "in", interface = "eth0", port = 2222, proto = "tcp" } }
  task "route" { ufw { rule = "allow", route = true, interface_in = "eth0", interface_out = "eth0", to_ip = "192.0.2.1", port = 80, proto = "tcp" } }
  task "routed" { ufw { policy = "reject", direction = "routed" } register = "p" }
  task "log" { ufw { logging = "medium" } register = "l" }
  task "on" { ufw { state = "enabled" } register = "u" }
  task "said" { assert { that = ["u.enabled", "p.policies.routed == 'reject'", "p.policies.incoming == 'deny'", "l.logging == 'medium'"] } }
}"#;
    let first = h.converge(site, probe, 7);
    for line in [
        "+allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment='ssh'",
        "+allow tcp 22 ::/0 any ::/0 in comment='ssh' (v6)",
        "+allow tcp 8080 0.0.0.0/0 any 198.18.0.0/15 in",
        "+limit tcp 2222 0.0.0.0/0 any 0.0.0.0/0 in_eth0",
        "+route:allow tcp 80 192.0.2.1 any 0.0.0.0/0 in_eth0!out_eth0",
        "ufw policy routed: deny -> reject",
        "ufw logging: low -> medium",
        "ufw state: disabled -> enabled",
    ] {
        assert!(first.stdout.contains(line), "{line}:\n{}", first.stdout);
    }
    // Really enabled: the rules are in the kernel's tables, and they filter (the second run
    // of `converge` came in over SSH, allowed by the first rule).
    let loaded = h.sh("iptables -S ufw-user-input");
    assert!(
        loaded.contains("-A ufw-user-input -s 198.18.0.0/15 -p tcp -m tcp --dport 8080 -j ACCEPT"),
        "{loaded}"
    );
    assert!(h.sh("iptables -S INPUT").starts_with("-P INPUT DROP\n"));
    assert!(connects(&address, 8080), "8080 is allowed");
    assert!(!connects(&address, 8081), "8081 is dropped");
    assert_eq!(h.sh("ufw status | head -n 1"), "Status: active\n");
    // A rule deleted: ufw's dry run says it is there, then that it is gone.
    let delete = r#"play "p" on "lab" { task "t" { ufw { rule = "allow", port = 8080, proto = "tcp", from_ip = "198.18.0.0/15", delete = true } } }"#;
    let deleted = h.converge(delete, probe, 1);
    assert!(
        deleted
            .stdout
            .contains("-allow tcp 8080 0.0.0.0/0 any 198.18.0.0/15 in"),
        "{}",
        deleted.stdout
    );
    assert!(
        !connects(&address, 8080),
        "8080 is dropped once its rule is deleted"
    );
    // Enabled in ufw.conf but not loaded (as after a reboot without ufw's service): enabling
    // loads it.
    h.sh("for t in iptables ip6tables; do $t -P INPUT ACCEPT; $t -P OUTPUT ACCEPT; $t -P FORWARD ACCEPT; $t -F; $t -X; done");
    assert!(connects(&address, 8081));
    let enable = r#"play "p" on "lab" { task "t" { ufw { state = "enabled" } } }"#;
    let reloaded = h.converge(enable, probe, 1);
    assert!(
        reloaded
            .stdout
            .contains("ufw state: enabled (not loaded) -> enabled"),
        "{}",
        reloaded.stdout
    );
    assert!(!connects(&address, 8081));
    // `reloaded` is a change each time it runs on an enabled firewall.
    let reload = r#"play "p" on "lab" { task "t" { ufw { state = "reloaded" } } }"#;
    for args in [&["--check"][..], &[][..], &[][..]] {
        let out = h.run(reload, args);
        assert!(
            recap(&out.stdout, "h1").contains("changed=1"),
            "{args:?}:\n{}",
            out.stdout
        );
    }
    let off = r#"play "p" on "lab" { task "t" { ufw { state = "disabled" } } }"#;
    h.converge(off, probe, 1);
    // ufw stops: its user chains are gone, the others flushed, the policy ACCEPT.
    assert_eq!(
        h.sh("iptables -n -L ufw-user-input >/dev/null 2>&1 && echo loaded || echo stopped"),
        "stopped\n"
    );
    assert!(h.sh("iptables -S INPUT").starts_with("-P INPUT ACCEPT\n"));
    assert!(connects(&address, 8081));
    let nothing = h.run(reload, &[]);
    assert!(
        nothing
            .stdout
            .contains("ufw is not enabled: nothing to reload")
            && recap(&nothing.stdout, "h1").contains("changed=0"),
        "{}",
        nothing.stdout
    );
    // A rule ufw refuses is an error before anything changes.
    let bad = h.run(
        r#"play "p" on "lab" { task "t" { ufw { rule = "allow", port = 99999 } } }"#,
        &["--check"],
    );
    assert_ne!(bad.code, 0);
    assert!(
        bad.stdout
            .contains("ufw refuses the rule `allow from any to any port 99999`: ERROR: Bad port"),
        "{}",
        bad.stdout
    );
    // `reset`: back to the package's rules, disabled; always a change (ufw writes backups).
    let reset = r#"play "p" on "lab" { task "t" { ufw { state = "reset" } } }"#;
    let before = h.sh(probe);
    let dry = h.run(reset, &["--check", "--diff"]);
    assert!(
        recap(&dry.stdout, "h1").contains("changed=1"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("ufw state: disabled -> reset (disabled)")
            && dry
                .stdout
                .contains("-allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment='ssh'"),
        "{}",
        dry.stdout
    );
    assert_eq!(h.sh(probe), before);
    let done = h.run(reset, &[]);
    assert!(
        recap(&done.stdout, "h1").contains("changed=1"),
        "{}",
        done.stdout
    );
    assert_eq!(h.sh("grep -c '^### tuple' /etc/ufw/user.rules"), "0\n");
}
