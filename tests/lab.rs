//! SSH against real OpenSSH servers on throwaway podman hosts (`eov lab`). Every lab a test
//! starts carries a unique name and is removed when the test ends, also on failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::support::{EOV, Test, recap};

/// Whether lab hosts can be started here (root and podman). When they cannot, a lab test says
/// so and passes, except under CI (`CI=true`), where a missing lab is a failure: CI installs
/// podman itself, so the lab tests must really run there.
pub(crate) fn available(test: &str) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let podman = Command::new("podman")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if root && podman {
        return true;
    }
    let why = if root {
        "podman is not installed"
    } else {
        "not root"
    };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: lab hosts cannot start under CI: {why}"
    );
    eprintln!(
        "SKIPPED {test}: lab hosts need root and podman ({why}; run scripts/lab-setup.sh as root)"
    );
    false
}

/// `eov lab up` calls are serialised: the first one may build the base image.
static UP: Mutex<()> = Mutex::new(());

pub(crate) struct Lab {
    name: String,
    state: tempfile::TempDir,
}

impl Lab {
    pub(crate) fn up(count: usize, tag: &str) -> Lab {
        Lab::up_image(count, tag, "base")
    }

    /// A lab from an image variant (`eov lab up --image`), built first if missing.
    pub(crate) fn up_image(count: usize, tag: &str, image: &str) -> Lab {
        Lab::up_with(count, tag, &["--image", image])
    }

    /// A lab whose hosts podman starts again when their sshd ends (`--restart always`): a
    /// reboot command that ends PID 1 brings them back, as a machine after a reboot.
    pub(crate) fn up_restarting(count: usize, tag: &str) -> Lab {
        Lab::up_with(count, tag, &["--restart", "always"])
    }

    /// `eov lab up COUNT OPTIONS`.
    fn up_with(count: usize, tag: &str, options: &[&str]) -> Lab {
        let name = format!("t{}{tag}", std::process::id() % 10_000);
        let state = tempfile::tempdir().unwrap();
        let _guard = UP.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let lab = Lab { name, state };
        let count = count.to_string();
        let mut args = vec!["lab", "up", &count];
        args.extend_from_slice(options);
        let out = lab.eov(&args);
        assert!(
            out.status.success(),
            "lab up failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        lab
    }

    fn eov(&self, args: &[&str]) -> std::process::Output {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--name", &self.name, "--state-dir"]);
        Command::new(EOV)
            .args(&all)
            .arg(self.state.path())
            .output()
            .unwrap()
    }

    pub(crate) fn dir(&self) -> PathBuf {
        self.state.path().join("lab").join(&self.name)
    }

    pub(crate) fn inventory(&self) -> PathBuf {
        self.dir().join("hosts")
    }

    pub(crate) fn container(&self, i: usize) -> String {
        format!("eovlab-{}-h{i}", self.name)
    }

    pub(crate) fn address(&self, i: usize) -> String {
        let inv = std::fs::read_to_string(self.inventory()).unwrap();
        let line = inv
            .lines()
            .find(|l| l.starts_with(&format!("h{i} ")))
            .unwrap();
        line.split_whitespace()
            .find_map(|w| w.strip_prefix("eov_host="))
            .unwrap()
            .to_string()
    }

    /// Runs a shell command in a host (as root); its stdout.
    pub(crate) fn sh(&self, i: usize, script: &str) -> String {
        let out = Command::new("podman")
            .args(["exec", &self.container(i), "sh", "-c", script])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// An inventory line for host `i` with other variables.
    pub(crate) fn line(&self, i: usize, extra: &str) -> String {
        format!(
            "h{i} eov_host={} eov_private_key_file={} eov_known_hosts={} {extra}",
            self.address(i),
            self.dir().join("id_ed25519").display(),
            self.dir().join("known_hosts").display()
        )
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.eov(&["lab", "down"]);
    }
}

fn run(t: &Test, inventory: &Path, args: &[&str]) -> crate::support::Output {
    let mut all = vec!["run", "p.eov", "-i", inventory.to_str().unwrap()];
    all.extend_from_slice(args);
    t.run(&all)
}

const SITE: &str = r#"
play "site" on "lab" {
  task "dir" { file { path = "/etc/eovtest", state = "directory", mode = 0o755 } }
  task "conf" { template { src = "app.conf.j2", dest = "/etc/eovtest/app.conf", mode = 0o640 } notify = "restart" }
  task "line" { lineinfile { path = "/etc/eovtest/extra.conf", line = "debug = false", create = true } }
  task "pkg" { apt { name = "openssh-server" } }
  task "svc" { service { name = "ssh", state = "started" } register = "svc" }
  task "kernel" { command { cmd = "uname -s" } register = "k" changed_when = false }
  task "facts" { copy { dest = "/etc/eovtest/facts", content = "{{ k.stdout }} {{ svc.manager }}\n" } }
  handler "restart" { command { cmd = "touch /etc/eovtest/restarted" } }
}
"#;

#[test]
fn five_hosts_idempotent_and_check_mode_changes_nothing() {
    if !available("five_hosts_idempotent_and_check_mode_changes_nothing") {
        return;
    }
    let lab = Lab::up(5, "five");
    let t = Test::new();
    t.file("p.eov", SITE);
    t.file(
        "templates/app.conf.j2",
        "host = {{ inventory_hostname }}\naddress = {{ hostvars[inventory_hostname].eov_host }}\n",
    );
    let inv = lab.inventory();

    let probe = "find /etc/eovtest -type f 2>/dev/null | sort | xargs -r sha256sum; ls -ld /etc/eovtest 2>&1";
    let before = lab.sh(3, probe);
    let dry = run(&t, &inv, &["--check", "--diff"]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(dry.stdout.contains("+host = h3\n"), "{}", dry.stdout);
    assert!(
        dry.stdout
            .contains("/etc/eovtest state: absent -> directory"),
        "{}",
        dry.stdout
    );
    assert_eq!(lab.sh(3, probe), before, "check mode changed the host");

    let first = run(&t, &inv, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    for i in 1..=5 {
        let host = format!("h{i}");
        assert_eq!(
            recap(&first.stdout, &host),
            "ok=3 changed=5 failed=0 skipped=0 unreachable=0 ignored=0 rescued=0",
            "{}",
            first.stdout
        );
        assert_eq!(
            lab.sh(i, "cat /etc/eovtest/app.conf"),
            format!("host = {host}\naddress = {}\n", lab.address(i))
        );
        assert_eq!(
            lab.sh(i, "cat /etc/eovtest/facts"),
            "Linux sysv\n",
            "containers have no systemd: the SysV path ran"
        );
        assert_eq!(lab.sh(i, "stat -c %a /etc/eovtest/app.conf").trim(), "640");
        assert!(
            !lab.sh(i, "ls /etc/eovtest").contains(".eov."),
            "a temp file was left behind"
        );
    }
    let second = run(&t, &inv, &[]);
    assert_eq!(second.code, 0);
    for i in 1..=5 {
        assert_eq!(
            recap(&second.stdout, &format!("h{i}")),
            "ok=7 changed=0 failed=0 skipped=0 unreachable=0 ignored=0 rescued=0",
            "{}",
            second.stdout
        );
    }
    // Over SSH too, the probes of the file tasks share one round trip, and the last task's
    // rides along with the command before it: one command per module that must run its own.
    let json = run(&t, &inv, &["--output", "json"]);
    let last = json.stdout.lines().last().unwrap_or_default();
    let finished: serde_json::Value = serde_json::from_str(last).expect("JSON");
    for host in finished["recap"].as_array().expect("a recap") {
        assert_eq!(host["changed"], 0, "{last}");
        assert_eq!(
            host["commands"], 4,
            "read-ahead, apt, service, command: {last}"
        );
    }
}

#[test]
fn a_host_killed_mid_play_leaves_the_others_running() {
    if !available("a_host_killed_mid_play_leaves_the_others_running") {
        return;
    }
    let lab = Lab::up(3, "kill");
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "lab" {
  task "before" { command { cmd = "touch /tmp/before" } }
  task "wait" { pause { duration = 3s } }
  task "after" { command { cmd = "touch /tmp/after" } }
}"#,
    );
    let child = Command::new(EOV)
        .args(["run", "p.eov", "-i", lab.inventory().to_str().unwrap()])
        .current_dir(t.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        Command::new("podman")
            .args(["kill", &lab.container(2)])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{stdout}");
    assert!(recap(&stdout, "h2").contains("unreachable=1"), "{stdout}");
    assert!(stdout.contains("unreachable h2 | after"), "{stdout}");
    for i in [1, 3] {
        assert_eq!(
            recap(&stdout, &format!("h{i}")),
            "ok=1 changed=2 failed=0 skipped=0 unreachable=0 ignored=0 rescued=0",
            "{stdout}"
        );
        assert!(lab.sh(i, "ls /tmp/after").contains("after"));
    }
}

#[test]
fn unreachable_address_and_refused_port_are_reported_within_the_timeout() {
    if !available("unreachable_address_and_refused_port_are_reported_within_the_timeout") {
        return;
    }
    let lab = Lab::up(1, "unr");
    let t = Test::new();
    let unused = lab
        .address(1)
        .rsplit_once('.')
        .map(|(net, _)| format!("{net}.250"))
        .unwrap();
    t.file(
        "inv",
        &format!(
            "[lab]\n{}\nghost eov_host={unused}\nclosed eov_host={} eov_port=2222\n",
            lab.line(1, ""),
            lab.address(1)
        ),
    );
    t.file(
        "p.eov",
        r#"play "p" on "lab" { task "t" { command { cmd = "true" } } }"#,
    );
    let start = Instant::now();
    let out = t.run(&["run", "p.eov", "-i", "inv", "--timeout", "2"]);
    let elapsed = start.elapsed();
    assert_eq!(out.code, 5, "{}", out.stdout);
    assert!(elapsed < Duration::from_secs(15), "took {elapsed:?}");
    assert!(
        recap(&out.stdout, "h1").contains("changed=1"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&"unreachable ghost | t: cannot run commands on `ghost`".to_string()),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "unreachable closed | t: cannot run commands on `closed`: cannot connect to {}:2222",
            lab.address(1)
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn host_keys_are_verified() {
    if !available("host_keys_are_verified") {
        return;
    }
    let lab = Lab::up(1, "keys");
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "lab" { task "t" { command { cmd = "touch /tmp/ran" } } }"#,
    );
    let known = lab.dir().join("known_hosts");
    let good = std::fs::read_to_string(&known).unwrap();

    // A changed key: refused, with the host, the file and both fingerprints; nothing ran.
    let other = t.path().join("other");
    assert!(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&other)
            .status()
            .unwrap()
            .success()
    );
    let other_pub = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let fake: Vec<&str> = other_pub.split_whitespace().take(2).collect();
    std::fs::write(&known, format!("{} {}\n", lab.address(1), fake.join(" "))).unwrap();
    let out = run(&t, &lab.inventory(), &["--accept-new-host-keys"]);
    assert_eq!(out.code, 5, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("cannot run commands on `h1`: HOST KEY CHANGED:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("{}:1 has SHA256:", known.display())),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("the server offered ssh-ed25519 SHA256:"),
        "{}",
        out.stdout
    );
    assert_eq!(
        lab.sh(1, "ls /tmp/ran 2>/dev/null"),
        "",
        "a command ran on a host with a changed key"
    );

    // An unknown key: refused unless accept-new, which records it.
    std::fs::write(&known, "").unwrap();
    let out = run(&t, &lab.inventory(), &[]);
    assert_eq!(out.code, 5);
    assert!(
        out.stdout.contains("is not in") && out.stdout.contains("--accept-new-host-keys"),
        "{}",
        out.stdout
    );
    let out = run(&t, &lab.inventory(), &["--accept-new-host-keys"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(std::fs::read_to_string(&known).unwrap(), good);
}

#[test]
fn become_as_a_non_root_user() {
    if !available("become_as_a_non_root_user") {
        return;
    }
    let lab = Lab::up(1, "sudo");
    lab.sh(
        1,
        "useradd -m -s /bin/sh pw && echo 'pw:s3cret-pw' | chpasswd && echo 'pw ALL=(ALL) ALL' > /etc/sudoers.d/pw \
         && useradd -m -s /bin/sh plain \
         && for u in pw plain; do mkdir -p /home/$u/.ssh && cp /root/.ssh/authorized_keys /home/$u/.ssh/ && chown -R $u: /home/$u/.ssh; done",
    );
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "lab" {
  task "as root" { copy { dest = "/etc/eov-{{ eov_user }}", content = "x" } become = true }
  task "who" { command { cmd = "id -un" } become = true register = "who" }
  task "record" { copy { dest = "/tmp/who-{{ eov_user }}", content = "{{ who.stdout }}" } }
}"#,
    );
    let inv = |user: &str| {
        t.file(
            &format!("inv-{user}"),
            &format!("[lab]\n{}\n", lab.line(1, &format!("eov_user={user}"))),
        );
        t.path().join(format!("inv-{user}"))
    };

    let out = run(&t, &inv("eov"), &[]);
    assert_eq!(out.code, 0, "NOPASSWD sudo:\n{}", out.stdout);
    assert_eq!(lab.sh(1, "stat -c %U /etc/eov-eov").trim(), "root");
    assert_eq!(lab.sh(1, "cat /tmp/who-eov"), "root");

    let out = Command::new(EOV)
        .args(["run", "p.eov", "-i", inv("pw").to_str().unwrap(), "-v"])
        .env("EOV_BECOME_PASSWORD", "s3cret-pw")
        .current_dir(t.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "sudo with a password:\n{stdout}"
    );
    assert!(!stdout.contains("s3cret-pw"));
    assert_eq!(lab.sh(1, "cat /tmp/who-pw"), "root");

    let out = run(&t, &inv("plain"), &[]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "failed      h1 | as root: cannot become `root` on `h1`: sudo: a password is required"
        ),
        "{}",
        out.stdout
    );

    let no_become = t.run(&["run", "p.eov", "-i", inv("plain").to_str().unwrap()]);
    assert_eq!(no_become.code, 4);
    t.file("q.eov", r#"play "q" on "lab" { task "write /etc" { copy { dest = "/etc/not-allowed", content = "x" } } }"#);
    let denied = t.run(&["run", "q.eov", "-i", inv("plain").to_str().unwrap()]);
    assert_eq!(denied.code, 4);
    assert!(
        denied.stdout.contains(
            "failed      h1 | write /etc: cannot write `/etc/not-allowed`: /etc: Permission denied"
        ),
        "{}",
        denied.stdout
    );
    assert!(
        denied.stdout.contains("Permission denied"),
        "{}",
        denied.stdout
    );
}

#[test]
fn lab_down_removes_everything_it_made() {
    if !available("lab_down_removes_everything_it_made") {
        return;
    }
    let lab = Lab::up(2, "down");
    let label = format!("label=eovlab={}", lab.name);
    let count = || {
        String::from_utf8_lossy(
            &Command::new("podman")
                .args(["ps", "-a", "-q", "--filter", &label])
                .output()
                .unwrap()
                .stdout,
        )
        .lines()
        .count()
    };
    assert_eq!(count(), 2);
    let status = lab.eov(&["lab", "status"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains(&lab.container(2)));
    let dir = lab.dir();
    let network = format!("eovlab-{}", lab.name);
    drop(lab);
    assert_eq!(count(), 0);
    assert!(!dir.exists());
    assert!(
        !Command::new("podman")
            .args(["network", "exists", &network])
            .status()
            .unwrap()
            .success()
    );
}

/// `eov test ROLE`: a scenario passes (converge, idempotence, verify), one whose second run
/// still changes something fails with exit 4, and the lab is gone afterwards.
#[test]
fn eov_test_runs_the_scenarios_of_a_role() {
    if !available("eov_test_runs_the_scenarios_of_a_role") {
        return;
    }
    let _guard = UP.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let t = Test::new();
    t.file(
        "roles/flappy/main.eov",
        r#"role flappy {
  task "always changes" { shell { cmd = "date +%N > /tmp/flappy" } }
}"#,
    );
    t.file(
        "roles/flappy/tests/default.eov",
        r#"play "flappy" on "all" { role flappy {} }"#,
    );
    let out = Command::new(EOV)
        .args(["test", "hello", "--roles-path"])
        .arg(crate::support::repo().join("roles"))
        .current_dir(t.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("PASS default: converge ok"), "{stdout}");
    let out = Command::new(EOV)
        .args(["test", "flappy"])
        .current_dir(t.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("FAIL default: converge ok (changed=1), idempotence FAILED (changed=1)"),
        "{stdout}"
    );
    let left = Command::new("podman")
        .args([
            "ps",
            "-a",
            "--format",
            "{{.Names}}",
            "--filter",
            "label=eovlab",
        ])
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&left.stdout);
    assert!(
        !names.contains("flappy"),
        "the lab was left behind: {names}"
    );
}

#[test]
fn a_host_is_reached_through_a_jump_host() {
    if !available("a_host_is_reached_through_a_jump_host") {
        return;
    }
    let lab = Lab::up(2, "jump");
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "h2" {
  task "where from" { shell { cmd = "echo from ${SSH_CONNECTION%% *}" } register = "c" changed_when = false }
  task "say" { debug { msg = "{{ c.stdout }}" } }
}"#,
    );
    let gateway = format!("{}.1", lab.address(1).rsplit_once('.').unwrap().0);
    let from = |out: &crate::support::Output| {
        out.stdout
            .lines()
            .find_map(|l| {
                l.split_once("say: from ")
                    .map(|(_, a)| a.trim().to_string())
            })
            .unwrap_or_else(|| panic!("{}\n{}", out.stdout, out.stderr))
    };
    let inv = t.path().join("hosts");
    // Directly: sshd on h2 sees the lab's gateway.
    t.file(
        "hosts",
        &format!("{}\n{}\n", lab.line(1, ""), lab.line(2, "")),
    );
    assert_eq!(from(&run(&t, &inv, &[])), gateway);
    // Through h1, named in the inventory: h2 sees h1's address.
    t.file(
        "hosts",
        &format!(
            "{}\n{}\n",
            lab.line(1, ""),
            lab.line(2, "eov_proxy_jump=h1")
        ),
    );
    assert_eq!(from(&run(&t, &inv, &[])), lab.address(1));
    // As Ansible users write it, with a user and an address the inventory does not list.
    t.file(
        "hosts",
        &format!(
            "{}\n",
            lab.line(
                2,
                &format!("ansible_ssh_common_args='-J root@{}'", lab.address(1))
            )
        ),
    );
    let out = run(
        &t,
        &inv,
        &[
            "--private-key",
            lab.dir().join("id_ed25519").to_str().unwrap(),
        ],
    );
    assert_eq!(from(&out), lab.address(1));
    // The jump host's key is checked too: unknown, nothing runs.
    let known = t.path().join("known_only_h2");
    let all = std::fs::read_to_string(lab.dir().join("known_hosts")).unwrap();
    let only: String = all
        .lines()
        .filter(|l| l.starts_with(&format!("{} ", lab.address(2))))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&known, only).unwrap();
    t.file(
        "hosts",
        &format!(
            "{}\n{} eov_known_hosts={}\n",
            lab.line(1, ""),
            lab.line(2, "eov_proxy_jump=h1").replace(
                &format!(
                    "eov_known_hosts={}",
                    lab.dir().join("known_hosts").display()
                ),
                ""
            ),
            known.display()
        ),
    );
    let out = run(&t, &inv, &[]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("through the jump host: cannot run commands on `h1`: host key")
            && out.stdout.contains("known_only_h2"),
        "{}",
        out.stdout
    );
}

#[test]
fn lab_hosts_have_host_keys_of_their_own() {
    if !available("lab_hosts_have_host_keys_of_their_own") {
        return;
    }
    let lab = Lab::up(3, "ownkeys");
    let known = std::fs::read_to_string(lab.dir().join("known_hosts")).unwrap();
    let keys: std::collections::HashSet<&str> = known
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert_eq!(keys.len(), 3, "{known}");
    // Each key is the one its host serves.
    for i in 1..=3 {
        let served = lab.sh(i, "cut -d' ' -f2 /etc/ssh/ssh_host_ed25519_key.pub");
        assert!(known.contains(served.trim()), "h{i}: {served}");
    }
}

/// The roles whose scenarios run on the `openstack` image (slow: each prepares a part of the
/// lab cloud), apart so the test harness runs them beside the others.
const OPENSTACK_ROLES: &[&str] = &[
    "openstack_db",
    "keystone",
    "glance",
    "placement",
    "neutron_server",
    "nova_controller",
    "nova_compute",
    "nova_cell",
    "nova_forget",
    "nova_drain",
];

/// Every shipped role that has scenarios (`roles/*/tests/*.eov`) passes `eov test` on the
/// lab its scenarios ask for: prepare, converge, a second run that changes nothing, verify.
#[test]
fn every_shipped_role_scenario_passes() {
    if !available("every_shipped_role_scenario_passes") {
        return;
    }
    let roles = crate::support::repo().join("roles");
    let mut with_scenarios: Vec<String> = std::fs::read_dir(&roles)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("tests").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|r| !OPENSTACK_ROLES.contains(&r.as_str()))
        .collect();
    with_scenarios.sort();
    assert!(with_scenarios.len() >= 6, "{with_scenarios:?}");
    scenarios_pass(&with_scenarios);
}

/// The OpenStack roles' scenarios (about 20 minutes on two loaded cores).
#[test]
fn openstack_role_scenarios_pass() {
    if !available("openstack_role_scenarios_pass") {
        return;
    }
    // Built (once, cached) under the lab lock, not by several `eov test` at once.
    drop(Lab::up_image(1, "osimage", "openstack"));
    let roles: Vec<String> = OPENSTACK_ROLES.iter().map(|r| r.to_string()).collect();
    scenarios_pass(&roles);
}

fn scenarios_pass(roles: &[String]) {
    let dir = crate::support::repo().join("roles");
    let t = Test::new();
    for role in roles {
        let started = std::time::Instant::now();
        let out = Command::new(EOV)
            .args(["test", role, "--roles-path"])
            .arg(&dir)
            .current_dir(t.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        eprintln!("eov test {role}: {:?}", started.elapsed());
        assert_eq!(
            out.status.code(),
            Some(0),
            "eov test {role}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("PASS "), "{stdout}");
        // What a scenario writes on the controller stays in the lab's state.
        assert!(
            !t.path().join("current").exists(),
            "eov test {role} wrote current/"
        );
    }
}
