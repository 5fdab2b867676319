//! The `reboot` module against lab hosts. A container cannot reboot a kernel, so a reboot
//! here is `kill 1`: sshd, the container's PID 1, ends, the container stops, and in a lab
//! started with `--restart always` podman starts it again (same address, same host key),
//! as a machine comes back; in a lab without, it stays down (a host that never comes back).
//! The kernel's boot id is the host machine's in a container and never changes, so the
//! tests give `boot_time_command` the start time of PID 1, which a restart does change.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::lab::{Lab, available};
use crate::modules_lab::refused_by_check;
use crate::support::{EOV, Output, Test, recap};

/// PID 1's start time (clock ticks since the kernel booted): new at each container start.
const PID1: &str = "cut -d' ' -f22 /proc/1/stat";

/// A reboot of a lab host: sshd (PID 1) ends.
fn reboot(extra: &str) -> String {
    reboot_by("kill 1", extra)
}

/// A reboot of a lab host by `command`, with more arguments.
fn reboot_by(command: &str, extra: &str) -> String {
    format!(r#"reboot {{ reboot_command = "{command}", boot_time_command = "{PID1}"{extra} }}"#)
}

fn pid1(lab: &Lab, i: usize) -> String {
    lab.sh(i, PID1).trim().to_string()
}

/// A play directory with an inventory of the lab's hosts (`users[i]` logs in to host i+1).
fn with_inventory(lab: &Lab, users: &[&str]) -> Test {
    let t = Test::new();
    let mut inv = String::from("[lab]\n");
    for (i, user) in users.iter().enumerate() {
        inv.push_str(&lab.line(i + 1, &format!("eov_user={user}")));
        inv.push('\n');
    }
    t.file("inv", &inv);
    t
}

fn run(t: &Test, play: &str, args: &[&str]) -> Output {
    t.file("p.eov", play);
    let mut all = vec!["run", "p.eov", "-i", "inv"];
    all.extend_from_slice(args);
    t.run(&all)
}

/// Waits until host `i` answers on port 22 again (after a reboot a test started itself).
fn wait_for_sshd(lab: &Lab, i: usize) {
    let addr: std::net::SocketAddr = format!("{}:22", lab.address(i)).parse().unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "h{i} did not come back"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// No lab needed: arguments are checked before anything runs, and the controller itself
/// (a local connection) is never rebooted, not even in check mode.
#[test]
fn reboot_arguments_are_checked_and_the_controller_is_never_rebooted() {
    refused_by_check(
        r#"play "p" on "all" { task "t" { reboot { reboot_timeout = 600 } } }"#,
        "give a unit: `600s`",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { reboot { timeout = 60s } } }"#,
        "reboot_timeout",
    );
    refused_by_check(
        r#"play "p" on "all" { task "t" { reboot { test_command = ["whoami"] } } }"#,
        "test_command",
    );
    let t = Test::new();
    t.file(
        "p.eov",
        r#"play "p" on "localhost" { task "r" { reboot { reboot_command = "touch {root}/rebooted" } } }"#,
    );
    for args in [&["run", "p.eov", "--check"][..], &["run", "p.eov"]] {
        let out = t.run(args);
        assert_eq!(out.code, 4, "{args:?}: {}", out.stdout);
        assert!(
            out.stdout
                .contains("rebooting it would reboot the controller itself; refused"),
            "{}",
            out.stdout
        );
        assert!(!t.exists("rebooted"));
    }
}

/// The whole contract on two hosts, h1 rebooted (as `eov` with `become`), h2 not: `--check`
/// reboots nothing; a real run reports changed with `rebooted` and `elapsed`, the tasks after
/// it run on a new connection to the new boot (PID 1 and the SSH source port differ) with
/// `become` still applied, h2 keeps its connection and its boot; and `--resume` after a later
/// failure does not reboot again (the reboot is journaled like any task).
#[test]
fn reboot_brings_a_host_back_on_a_new_connection_and_leaves_the_other_alone() {
    if !available("reboot_brings_a_host_back_on_a_new_connection_and_leaves_the_other_alone") {
        return;
    }
    let lab = Lab::up_restarting(2, "rb");
    let t = with_inventory(&lab, &["eov", "root"]);
    let play = format!(
        r#"play "p" on "lab" {{
  task "before" {{ shell {{ cmd = "{PID1}; echo $SSH_CONNECTION" }} register = "b" changed_when = false check_mode = false }}
  task "reboot" {{
    {reboot}
    become = true
    register = "r"
    when = "inventory_hostname == 'h1'"
  }}
  task "after" {{ shell {{ cmd = "{PID1}; echo $SSH_CONNECTION; id -u" }} register = "a" changed_when = false check_mode = false become = true }}
  task "h1 rebooted" {{
    assert {{ that = ["r.changed", "r.rebooted", "r.elapsed >= 0", "r.elapsed < 60",
                      "a.stdout_lines[0] != b.stdout_lines[0]", "a.stdout_lines[1] != b.stdout_lines[1]",
                      "a.stdout_lines[2] == '0'"] }}
    when = "inventory_hostname == 'h1'"
  }}
  task "h2 untouched" {{
    assert {{ that = ["a.stdout_lines[0] == b.stdout_lines[0]", "a.stdout_lines[1] == b.stdout_lines[1]"] }}
    when = "inventory_hostname == 'h2'"
  }}
  task "gate" {{ command {{ cmd = "test ! -e /tmp/eov-gate" }} changed_when = false }}
}}
"#,
        reboot = reboot(r#", reboot_timeout = 60s, test_command = "test $(id -u) = 0""#),
    );
    let (h1, h2) = (pid1(&lab, 1), pid1(&lab, 2));

    let dry = run(&t, &play, &["--check", "--diff"]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(
        dry.stdout.contains("would reboot with `kill 1`"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains(&format!("host h1 boot: {h1} -> a new boot")),
        "{}",
        dry.stdout
    );
    assert!(
        recap(&dry.stdout, "h1").contains("changed=1"),
        "{}",
        dry.stdout
    );
    assert_eq!(pid1(&lab, 1), h1, "--check rebooted h1");

    let start = Instant::now();
    let first = run(&t, &play, &["--diff"]);
    let took = start.elapsed();
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        recap(&first.stdout, "h1"),
        "ok=4 changed=1 failed=0 skipped=1 unreachable=0 ignored=0 rescued=0",
        "{}",
        first.stdout
    );
    assert_eq!(
        recap(&first.stdout, "h2"),
        "ok=4 changed=0 failed=0 skipped=2 unreachable=0 ignored=0 rescued=0",
        "{}",
        first.stdout
    );
    let now = pid1(&lab, 1);
    assert_ne!(now, h1, "h1 did not restart");
    assert!(
        first
            .stdout
            .contains(&format!("host h1 boot: {h1} -> {now}")),
        "{}",
        first.stdout
    );
    assert_eq!(pid1(&lab, 2), h2, "h2 was disturbed");
    eprintln!("FIGURES reboot: a run rebooting one lab host of two took {took:.1?}");

    // A later task fails: the run is journaled; resumed, the reboot is not done again.
    lab.sh(1, "touch /tmp/eov-gate");
    let failed = run(&t, &play, &[]);
    assert_eq!(failed.code, 4, "{}", failed.stdout);
    let rebooted = pid1(&lab, 1);
    assert_ne!(rebooted, now, "the second run rebooted h1 too");
    lab.sh(1, "rm /tmp/eov-gate");
    let resumed = run(&t, &play, &["--resume"]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    assert!(
        resumed
            .stdout
            .contains("resumed     h1 | reboot: changed by the interrupted run"),
        "{}",
        resumed.stdout
    );
    assert_eq!(pid1(&lab, 1), rebooted, "--resume rebooted h1 again");
}

/// With the kernel's boot id (the default marker), a container that restarts is not taken
/// for rebooted: the task fails after `reboot_timeout`, saying what it saw and why. And a
/// host that comes back with another host key is refused at once.
#[test]
fn reboot_waits_for_a_new_boot_and_refuses_a_changed_host_key() {
    if !available("reboot_waits_for_a_new_boot_and_refuses_a_changed_host_key") {
        return;
    }
    let lab = Lab::up_restarting(1, "rbid");
    let t = with_inventory(&lab, &["root"]);
    let before = pid1(&lab, 1);
    let start = Instant::now();
    let out = run(
        &t,
        r#"play "p" on "lab" { task "r" { reboot { reboot_command = "kill 1", reboot_timeout = 6s } } }"#,
        &[],
    );
    let took = start.elapsed();
    assert_eq!(out.code, 4, "{}", out.stdout);
    for part in [
        "`h1` was not back within 6s of the reboot command; last seen: the boot marker \
         (`cat /proc/sys/kernel/random/boot_id`) still says",
        "in a container the boot id is the host machine's",
    ] {
        assert!(out.stdout.contains(part), "no `{part}` in:\n{}", out.stdout);
    }
    assert!(took >= Duration::from_secs(6), "{took:?}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert_ne!(pid1(&lab, 1), before, "the host did restart");

    // The host comes back with new host keys (the lab's start script makes them again when
    // its mark is gone): known_hosts still has the old one, so the reconnection is refused,
    // long before the timeout.
    wait_for_sshd(&lab, 1);
    let start = Instant::now();
    let play = format!(
        r#"play "p" on "lab" {{ task "r" {{ {} }} }}"#,
        reboot_by(
            "rm -f /etc/ssh/.eov-host-keys; kill 1",
            ", reboot_timeout = 120s"
        )
    );
    let out = run(&t, &play, &[]);
    let took = start.elapsed();
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("after the reboot, cannot run commands on `h1`: HOST KEY CHANGED"),
        "{}",
        out.stdout
    );
    assert!(
        took < Duration::from_secs(60),
        "not refused at once: {took:?}"
    );
}

/// A host that never comes back (its container stays stopped) fails after `reboot_timeout`
/// with what was last seen, and the other host finishes the play. Ctrl-C while a reboot is
/// awaited stops the run at once.
#[test]
fn a_host_that_never_comes_back_fails_after_the_timeout_and_the_others_go_on() {
    if !available("a_host_that_never_comes_back_fails_after_the_timeout_and_the_others_go_on") {
        return;
    }
    let lab = Lab::up(2, "rbgone");
    let t = with_inventory(&lab, &["root", "root"]);
    let play = format!(
        r#"play "p" on "lab" {{
  task "reboot" {{ {} when = "inventory_hostname == 'h1'" }}
  task "after" {{ copy {{ dest = "/root/after", content = "{{{{ inventory_hostname }}}}\n" }} }}
}}
"#,
        reboot(", reboot_timeout = 8s, connect_timeout = 2s")
    );
    let start = Instant::now();
    let out = run(&t, &play, &[]);
    let took = start.elapsed();
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("`h1` was not back within 8s of the reboot command; last seen: "),
        "{}",
        out.stdout
    );
    assert!(took >= Duration::from_secs(8), "{took:?}");
    assert!(took < Duration::from_secs(40), "{took:?}");
    assert_eq!(lab.sh(2, "cat /root/after"), "h2\n");
    assert!(
        recap(&out.stdout, "h1").contains("failed=1"),
        "{}",
        out.stdout
    );
    assert!(
        recap(&out.stdout, "h2").contains("changed=1"),
        "{}",
        out.stdout
    );

    // h2 goes down the same way; Ctrl-C while eov waits for it.
    t.file(
        "p.eov",
        &format!(
            r#"play "p" on "h2" {{ task "reboot" {{ {} }} }}"#,
            reboot(", reboot_timeout = 300s")
        ),
    );
    let child = Command::new(EOV)
        .args(["run", "p.eov", "-i", "inv"])
        .current_dir(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Command::new("podman")
        .args(["inspect", "-f", "{{.State.Running}}", &lab.container(2)])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "true")
    {
        assert!(Instant::now() < deadline, "h2 never went down");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    let interrupted = Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}");
    assert!(stdout.contains("interrupted"), "{stdout}");
    assert!(
        interrupted.elapsed() < Duration::from_secs(10),
        "Ctrl-C took {:?}",
        interrupted.elapsed()
    );
}
