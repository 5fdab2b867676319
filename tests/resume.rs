//! `eov run --resume`: the journal of a run that did not succeed, and a resumed run that skips
//! what it finished and runs the handlers it left pending. Local connection, temp dirs.

use std::time::{Duration, Instant};

use crate::support::{EOV, Test, recap};

/// Task 3 fails while the file `gate` exists; tasks 1 and 2 change something, and 2 notifies
/// a handler and registers a result task 4 reads. Every command appends to `log`, so the
/// test sees what ran, how often.
const PLAY: &str = r#"
play "p" on "localhost" {
  task "one" { copy { dest = "{root}/one", content = "{{ v }}\n" } }
  task "two" {
    shell { cmd = "echo two >> {root}/log; echo made" }
    register = "made"
    notify = "restart"
  }
  task "gate" { command { cmd = "test ! -e {root}/gate" } }
  task "slow" { shell { cmd = "echo $$ > {root}/slow.pid; exec sleep 30" } when = "slow" }
  task "after" { shell { cmd = "echo 'after {{ made.stdout }}' >> {root}/log" } }
  handler "restart" { shell { cmd = "echo restart >> {root}/log" } }
}
"#;

fn journals(t: &Test) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(t.path().join("current/runs")) else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".journal"))
        .collect()
}

fn run(t: &Test, extra: &[&str]) -> crate::support::Output {
    let mut args = vec!["run", "p.eov", "-e", "slow=false"];
    args.extend_from_slice(extra);
    t.run(&args)
}

#[test]
fn a_failed_run_resumes_with_the_handler_it_left_pending() {
    let t = Test::new();
    t.file("p.eov", PLAY).file("gate", "");
    let first = run(&t, &["-e", "v=1"]);
    assert_eq!(first.code, 4, "{}", first.stdout);
    assert_eq!(
        t.read("log"),
        "two\n",
        "the handler ran before its play ended"
    );
    assert_eq!(journals(&t).len(), 1, "{:?}", journals(&t));
    assert!(
        first
            .stdout
            .contains("`eov run --resume` with the same play skips"),
        "{}",
        first.stdout
    );

    std::fs::remove_file(t.path().join("gate")).unwrap();
    let resumed = run(&t, &["-e", "v=1", "--resume"]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    for line in [
        "RESUME from current/runs/p-",
        "resumed     localhost | one: changed by the interrupted run\n",
        "resumed     localhost | two: changed by the interrupted run\n",
        "changed     localhost | gate\n",
        "changed*    localhost | restart\n",
    ] {
        assert!(
            resumed.stdout.contains(line),
            "no `{line}` in:\n{}",
            resumed.stdout
        );
    }
    // `two` did not run again, its registered result was there for `after`, and the handler
    // ran once, at the end of the play.
    assert_eq!(t.read("log"), "two\nafter made\nrestart\n");
    assert_eq!(
        recap(&resumed.stdout, "localhost"),
        "ok=0 changed=3 failed=0 skipped=1 unreachable=0 ignored=0 rescued=0 resumed=2"
    );
    assert!(journals(&t).is_empty(), "{:?}", journals(&t));

    // The journal of a run that succeeded is gone: resuming again runs everything, and says so.
    let again = run(&t, &["-e", "v=1", "--resume"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(
        again.stdout.contains("RESUME: no journal current/runs/p-"),
        "{}",
        again.stdout
    );
    assert!(!again.stdout.contains("resumed  "), "{}", again.stdout);
    assert_eq!(
        recap(&again.stdout, "localhost"),
        "ok=1 changed=4 failed=0 skipped=1 unreachable=0 ignored=0 rescued=0"
    );
}

#[test]
fn a_task_whose_inputs_changed_runs_again() {
    let t = Test::new();
    t.file("p.eov", PLAY).file("gate", "");
    assert_eq!(run(&t, &["-e", "v=1"]).code, 4);
    std::fs::remove_file(t.path().join("gate")).unwrap();
    let out = run(&t, &["-e", "v=2", "--resume", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let status = |task: &str| {
        out.stdout
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|e| e["event"] == "task" && e["task"] == task)
            .map(|e| e["status"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    assert_eq!(status("one"), "changed", "{}", out.stdout);
    assert_eq!(status("two"), "resumed", "{}", out.stdout);
    assert_eq!(t.read("one"), "2\n");
    assert!(
        out.stdout.contains(r#""event":"resuming""#),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(r#""resumed":1"#), "{}", out.stdout);
}

#[test]
fn a_fresh_run_replaces_the_journal_and_check_mode_never_touches_it() {
    let t = Test::new();
    t.file("p.eov", PLAY).file("gate", "");
    assert_eq!(run(&t, &["-e", "v=1"]).code, 4);
    let before = journals(&t);
    let check = run(&t, &["-e", "v=1", "--check"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert_eq!(journals(&t), before);
    let refused = run(&t, &["-e", "v=1", "--check", "--resume"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    // Without --resume, a run starts over: its journal does not know the earlier run (here
    // it fails at task 1, a directory where `one` goes, so it records nothing).
    std::fs::remove_file(t.path().join("one")).unwrap();
    t.file("one/x", "");
    let fresh = run(&t, &["-e", "v=1"]);
    assert!(
        fresh.stdout.contains("failed      localhost | one"),
        "{}",
        fresh.stdout
    );
    let out = run(&t, &["-e", "v=1", "--resume"]);
    assert!(
        out.stdout
            .contains(": 0 task result(s) of the interrupted run"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_registered_secret_is_never_journaled_and_its_task_runs_again() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"
play "p" on "localhost" {
  vars { password = secret "s3cr3t-value" }
  task "read" { command { cmd = "echo {{ password }}" } register = "out" }
  task "plain" { command { cmd = "echo hello" } register = "hello" }
  task "gate" { command { cmd = "test ! -e {root}/gate" } }
  task "use" { copy { dest = "{root}/used", content = "{{ out.stdout }} {{ hello.stdout }}" } }
}
"#,
    )
    .file("gate", "");
    assert_eq!(t.run(&["run", "p.eov"]).code, 4);
    let name = &journals(&t)[0];
    let text = t.read(&format!("current/runs/{name}"));
    assert!(!text.contains("s3cr3t"), "secret in the journal:\n{text}");
    assert!(text.contains("hello"), "{text}");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(t.path().join(format!("current/runs/{name}")))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o077,
        0,
        "the journal is readable by others: {mode:o}"
    );

    std::fs::remove_file(t.path().join("gate")).unwrap();
    let out = t.run(&["run", "p.eov", "--resume"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("changed     localhost | read\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("resumed     localhost | plain"),
        "{}",
        out.stdout
    );
    assert_eq!(t.read("used"), "s3cr3t-value hello");
}

#[test]
fn a_run_killed_mid_play_leaves_a_journal_that_resume_uses() {
    let t = Test::new();
    t.file("p.eov", PLAY);
    let mut child = std::process::Command::new(EOV)
        .args(["run", "p.eov", "-e", "slow=true", "-e", "v=1"])
        .current_dir(t.path())
        .env_remove("EOV_INVENTORY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // `slow` has started (its shell wrote its pid), and the journal holds what came before.
    let deadline = Instant::now() + Duration::from_secs(30);
    let journaled = || {
        journals(&t).first().is_some_and(|n| {
            std::fs::read_to_string(t.path().join("current/runs").join(n))
                .is_ok_and(|j| j.contains(r#""kind":"notified""#))
        })
    };
    while !(t.exists("slow.pid") && journaled()) {
        assert!(Instant::now() < deadline, "the run never reached `slow`");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(t.read("log"), "two\n");
    // While it runs, the journal is its own: resuming is refused, another run keeps none.
    let refused = run(&t, &["-e", "v=1", "--resume"]);
    assert_eq!(refused.code, 3, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("is in use by another run"),
        "{}",
        refused.stderr
    );
    let other = run(&t, &["-e", "v=1"]);
    assert_eq!(other.code, 0, "{}", other.stdout);
    assert!(
        other
            .stdout
            .contains("another run of this play is using it, so this run keeps none"),
        "{}",
        other.stdout
    );
    assert_eq!(t.read("log"), "two\ntwo\nafter made\nrestart\n");

    child.kill().unwrap(); // SIGKILL: nothing of eov runs after this
    child.wait().unwrap();
    let pid = t.read("slow.pid").trim().to_string();
    let _ = std::process::Command::new("kill").arg(&pid).status();

    // The kernel released its lock; its journal is whole and says what it did.
    let out = run(&t, &["-e", "v=1", "--resume"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("resumed     localhost | two"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("changed*    localhost | restart"),
        "{}",
        out.stdout
    );
    assert_eq!(
        t.read("log"),
        "two\ntwo\nafter made\nrestart\nafter made\nrestart\n"
    );
    assert!(journals(&t).is_empty(), "{:?}", journals(&t));
}

#[test]
fn a_loop_resumes_item_by_item_and_keeps_its_registered_results() {
    let t = Test::new();
    t.file(
        "p.eov",
        r#"
play "p" on "localhost" {
  task "each" for x in ["a", "b", "c"] {
    shell { cmd = "test ! -e {root}/gate-{{ x }} && echo {{ x }} >> {root}/log && echo got-{{ x }}" }
    register = "each"
  }
  task "sum" { copy { dest = "{root}/sum", content = "{{ each.results | map(attribute='stdout') | join(',') }}" } }
}
"#,
    )
    .file("gate-c", "");
    assert_eq!(t.run(&["run", "p.eov"]).code, 4);
    assert_eq!(t.read("log"), "a\nb\n");
    std::fs::remove_file(t.path().join("gate-c")).unwrap();
    let out = t.run(&["run", "p.eov", "--resume"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    for line in [
        "resumed     localhost | each (item=a)",
        "resumed     localhost | each (item=b)",
        "changed     localhost | each (item=c)",
    ] {
        assert!(out.stdout.contains(line), "no `{line}` in:\n{}", out.stdout);
    }
    assert_eq!(t.read("log"), "a\nb\nc\n");
    assert_eq!(t.read("sum"), "got-a,got-b,got-c");
}

#[test]
fn an_edited_play_runs_what_was_edited_and_recognises_the_rest() {
    let t = Test::new();
    t.file("p.eov", PLAY).file("gate", "");
    assert_eq!(run(&t, &["-e", "v=1"]).code, 4);
    std::fs::remove_file(t.path().join("gate")).unwrap();
    // A task added at the top moves every other one; `two` gets another command.
    let edited = PLAY
        .replace(
            r#"  task "one""#,
            "  task \"zero\" { copy { dest = \"{root}/zero\", content = \"0\" } }\n  task \"one\"",
        )
        .replace("echo two >>", "echo two-edited >>");
    t.file("p.eov", &edited);
    let out = run(&t, &["-e", "v=1", "--resume"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    for line in [
        "changed     localhost | zero\n",
        "resumed     localhost | one: changed by the interrupted run\n",
        "changed     localhost | two\n",
    ] {
        assert!(out.stdout.contains(line), "no `{line}` in:\n{}", out.stdout);
    }
    assert_eq!(t.read("log"), "two\ntwo-edited\nafter made\nrestart\n");
}

#[test]
fn a_journal_that_cannot_be_written_does_not_stop_a_run_but_stops_a_resume() {
    let t = Test::new();
    t.file("p.eov", PLAY)
        .file("state", "a file, where a directory should be");
    let out = run(&t, &["-e", "v=1", "--state-dir", "state"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("warning: journal state/runs/p-")
            && out.stdout.contains("this run keeps none"),
        "{}",
        out.stdout
    );
    let resume = run(&t, &["-e", "v=1", "--state-dir", "state", "--resume"]);
    assert_eq!(resume.code, 3, "{}\n{}", resume.stdout, resume.stderr);
    assert!(
        resume.stderr.contains("journal `state/runs/p-"),
        "{}",
        resume.stderr
    );
}
