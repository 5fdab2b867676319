//! The library's run API (what `eov serve` uses): plays prepared and executed in-process,
//! several at once in one runtime, each with its own events, cancel and outcome.

use eov::connection::Cancel;
use eov::event::Event;
use eov::run::{PrepareError, RunOutcome, RunRequest, prepare};

use crate::support::Test;

fn request(t: &Test, play: &str, vars: &[(&str, &str)]) -> RunRequest {
    let mut r = RunRequest {
        play: t.path().join(play),
        ..RunRequest::default()
    };
    r.options.workdir = t.path().to_path_buf();
    r.inventory.paths = vec![t.path().join("hosts")];
    for (k, v) in vars {
        r.extra_vars
            .insert((*k).to_string(), minijinja::Value::from(*v));
    }
    r
}

async fn execute(r: RunRequest) -> (RunOutcome, Vec<Event>) {
    let prepared = prepare(r).expect("the play is valid");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let summary = prepared.execute(tx, Cancel::default()).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (summary.outcome, events)
}

#[test]
fn many_runs_at_once_in_one_process() {
    let t = Test::new();
    t.file("hosts", "localhost eov_connection=local\n");
    t.file(
        "write.eov",
        r#"play "write" on "localhost" {
  task "a file" { copy { content = "{{ n }}\n", dest = "{root}/out/{{ n }}" } }
  task "slow" { pause { duration = 200ms } }
  task "message" { debug { msg = "token {{ token }}" } }
}
"#,
    );
    t.file(
        "fail.eov",
        r#"play "fail" on "localhost" {
  task "no" { fail { msg = "as asked" } }
}
"#,
    );
    std::fs::create_dir_all(t.path().join("out")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let results = runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for n in 0..8 {
            let mut r = request(&t, "write.eov", &[("n", &n.to_string())]);
            r.extra_vars
                .insert("token".into(), minijinja::Value::from(format!("tok-{n}")));
            set.spawn(execute(r));
        }
        set.spawn(execute(request(&t, "fail.eov", &[])));
        let mut all = Vec::new();
        while let Some(r) = set.join_next().await {
            all.push(r.unwrap());
        }
        all
    });
    let ok = results.iter().filter(|(o, _)| *o == RunOutcome::Ok).count();
    let failed = results
        .iter()
        .filter(|(o, _)| *o == RunOutcome::Failed)
        .count();
    assert_eq!((ok, failed), (8, 1));
    for n in 0..8 {
        assert_eq!(t.read(&format!("out/{n}")), format!("{n}\n"));
    }
    // Each run's events are its own, and end with its recap.
    for (outcome, events) in &results {
        let Some(Event::RunFinished {
            outcome: o, recap, ..
        }) = events.last()
        else {
            panic!("no RunFinished last: {events:?}");
        };
        assert_eq!(o, outcome);
        assert_eq!(recap.len(), 1);
    }
}

#[test]
fn a_bad_play_is_refused_before_anything_runs() {
    let t = Test::new();
    t.file("hosts", "localhost eov_connection=local\n");
    t.file(
        "bad.eov",
        "play \"x\" on \"localhost\" {\n  task \"t\" { atp { name = \"vim\" } }\n}\n",
    );
    match prepare(request(&t, "bad.eov", &[])) {
        Err(PrepareError::Invalid {
            diagnostics,
            sources,
        }) => {
            let text = eov::report::render_diagnostics(&diagnostics, &sources);
            assert!(text.contains("unknown module `atp`"), "{text}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a bad play was prepared"),
    }
}

#[test]
fn cancel_stops_a_run_and_says_so() {
    let t = Test::new();
    t.file("hosts", "localhost eov_connection=local\n");
    t.file(
        "long.eov",
        r#"play "long" on "localhost" {
  task "sleep" { command { cmd = "sleep 30" } }
  task "never" { copy { content = "x", dest = "{root}/never" } }
}
"#,
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = std::time::Instant::now();
    let outcome = runtime.block_on(async {
        let prepared = prepare(request(&t, "long.eov", &[])).unwrap();
        let cancel = Cancel::default();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let stop = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            stop.cancel();
        });
        prepared.execute(tx, cancel).await.outcome
    });
    assert_eq!(outcome, RunOutcome::Interrupted);
    assert!(
        started.elapsed().as_secs() < 20,
        "the command was not stopped"
    );
    assert!(!t.exists("never"));
}

#[test]
fn the_run_api_keeps_a_journal_only_when_asked_and_resumes_through_it() {
    let t = Test::new();
    t.file("hosts", "localhost eov_connection=local\n");
    t.file(
        "p.eov",
        r#"play "p" on "localhost" {
  task "mark" { shell { cmd = "echo x >> {root}/marks" } }
  task "gate" { command { cmd = "test ! -e {root}/gate" } }
}
"#,
    )
    .file("gate", "");
    // Without a journal directory (a server's jobs), resuming is refused before anything runs.
    let mut r = request(&t, "p.eov", &[]);
    r.options.resume = true;
    assert!(matches!(
        prepare(r).err(),
        Some(PrepareError::Journal(
            eov::journal::JournalError::NoDirectory
        ))
    ));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let with_journal = |resume: bool| {
        let mut r = request(&t, "p.eov", &[]);
        r.options.journal_dir = Some(t.path().join("state/runs"));
        r.options.resume = resume;
        r
    };
    let (outcome, events) = runtime.block_on(execute(with_journal(false)));
    assert_eq!(outcome, RunOutcome::Failed);
    let kept = events.iter().find_map(|e| match e {
        Event::RunFinished { journal, .. } => journal.clone(),
        _ => None,
    });
    assert!(
        kept.is_some_and(|j| j.contains("state/runs/p-")),
        "{events:?}"
    );
    std::fs::remove_file(t.path().join("gate")).unwrap();
    let (outcome, events) = runtime.block_on(execute(with_journal(true)));
    assert_eq!(outcome, RunOutcome::Ok);
    let resumed: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Task(r) if r.status == eov::event::Status::Resumed => Some(r.task.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(resumed, ["mark"]);
    assert_eq!(t.read("marks"), "x\n");
}
