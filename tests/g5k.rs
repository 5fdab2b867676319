//! `roles/g5k` (plays/g5k_reserve.eov, plays/g5k_release.eov) against the Grid'5000 API
//! double: the real binary, the real role, requests checked by their bodies.

use serde_json::json;

use crate::g5k_double::{Config, G5k};
use crate::support::{Output, Test, repo};

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@controller";

/// A controller's home: the credentials file python-grid5000 reads, and an SSH key.
fn home(t: &Test, api: &G5k, password: &str) {
    t.file(
        "home/.python-grid5000.yaml",
        &format!(
            "uri: {}\nusername: alice\npassword: {password}\n",
            api.base()
        ),
    );
    t.file("home/.ssh/id_ed25519.pub", &format!("{KEY}\n"));
}

fn run(t: &Test, play: &str, extra: &[&str]) -> Output {
    let play = repo().join("plays").join(play);
    let mut args = vec![
        "run",
        play.to_str().unwrap(),
        "-e",
        "poll=0.01",
        "-e",
        "scan_host_keys=false",
    ];
    args.extend_from_slice(extra);
    let home = t.path().join("home");
    t.run_env(
        &args,
        &[("HOME", home.to_str().unwrap()), ("USER", "nobody")],
    )
}

#[test]
fn fresh_reservation_writes_sorted_hosts() {
    let api = G5k::start(Config::default());
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    let out = run(
        &t,
        "g5k_reserve.eov",
        &[
            "-e",
            "site=nantes",
            "-e",
            "cluster=ecotype",
            "-e",
            "nodes=4",
            "-e",
            "walltime=02:30:00",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        t.read("current/hosts"),
        "ecotype-9.nantes.grid5000.fr\necotype-10.nantes.grid5000.fr\necotype-11.nantes.grid5000.fr\necotype-12.nantes.grid5000.fr\n"
    );
    // Progress while it waits: the job's state at each shown poll, then the final one (the
    // first GET, for the job status line, saw it waiting).
    let progress: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("wait for the job to run"))
        .collect();
    let base = api.base();
    assert_eq!(
        progress,
        [
            format!(
                "waiting     localhost | wait for the job to run: attempt 1 of 1440001: GET {base}/sites/nantes/jobs/1900001 -> 200 (state: launching)"
            ),
            format!(
                "ok          localhost | wait for the job to run (item=nantes) [2 attempts]: GET {base}/sites/nantes/jobs/1900001 -> 200 (state: running)"
            ),
        ],
        "{}",
        out.stdout
    );
    let posts = api.requests_to("POST /stable/sites/nantes/jobs");
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].body,
        json!({
            "name": "eov",
            "resources": "{cluster='ecotype'}/nodes=4,walltime=02:30:00",
            "types": ["deploy"],
            "command": "sleep 31536000",
        })
    );
    let deploys = api.requests_to("POST /stable/sites/nantes/deployments");
    assert_eq!(deploys.len(), 1);
    assert_eq!(
        deploys[0].body,
        json!({
            "nodes": ["ecotype-10.nantes.grid5000.fr", "ecotype-11.nantes.grid5000.fr",
                      "ecotype-12.nantes.grid5000.fr", "ecotype-9.nantes.grid5000.fr"],
            "environment": "debian11-nfs",
            "key": KEY,
        })
    );
}

const NANTES4: &[&str] = &[
    "-e",
    "site=nantes",
    "-e",
    "cluster=ecotype",
    "-e",
    "nodes=4",
];

#[test]
fn a_second_run_reuses_the_job_and_the_deployment() {
    let api = G5k::start(Config::default());
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    let first = run(&t, "g5k_reserve.eov", NANTES4);
    assert_eq!(first.code, 0, "{}", first.stdout);
    let hosts = t.read("current/hosts");
    let second = run(
        &t,
        "g5k_reserve.eov",
        &[NANTES4, &["-v", "--output", "json"]].concat(),
    );
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert!(!second.stdout.contains("s3cret-g5k"), "{}", second.stdout);
    assert!(
        second.stdout.contains("is running: reusing it"),
        "{}",
        second.stdout
    );
    assert_eq!(api.requests_to("POST /stable/sites/nantes/jobs").len(), 1);
    // The nodes are already in current/hosts: nothing is deployed again.
    assert_eq!(
        api.requests_to("POST /stable/sites/nantes/deployments")
            .len(),
        1
    );
    assert_eq!(t.read("current/hosts"), hosts);
    // The lookup filtered by user, name and active states, as enoslib does.
    let lookups = api.requests_to("GET /stable/sites/nantes/jobs");
    assert!(lookups.iter().all(|r| !r.path.ends_with("/jobs")
        || r.query == "user=alice&name=eov&state=waiting,launching,running&limit=500"));
    // With force_deploy, the same job is deployed again.
    let third = run(
        &t,
        "g5k_reserve.eov",
        &[NANTES4, &["-e", "force_deploy=true"]].concat(),
    );
    assert_eq!(third.code, 0, "{}", third.stdout);
    assert_eq!(api.requests_to("POST /stable/sites/nantes/jobs").len(), 1);
    assert_eq!(
        api.requests_to("POST /stable/sites/nantes/deployments")
            .len(),
        2
    );
    // Another environment: deployed again, and recorded.
    let fourth = run(
        &t,
        "g5k_reserve.eov",
        &[NANTES4, &["-e", "environment=debian12-min"]].concat(),
    );
    assert_eq!(fourth.code, 0, "{}", fourth.stdout);
    let deploys = api.requests_to("POST /stable/sites/nantes/deployments");
    assert_eq!(deploys.len(), 3);
    assert_eq!(deploys[2].body["environment"], "debian12-min");
    let record: serde_json::Value = serde_json::from_str(&t.read("current/g5k.json")).unwrap();
    assert_eq!(record["environment"], "debian12-min");
    assert_eq!(record["jobs"]["nantes"]["uid"], 1_900_001);
    assert_eq!(
        record["jobs"]["nantes"]["nodes"].as_array().unwrap().len(),
        4
    );
    // The job ends; a new one gets the same nodes: they are deployed, whatever the hosts file says.
    let release = run(
        &t,
        "g5k_release.eov",
        &["-e", "site=nantes", "-e", "environment=debian12-min"],
    );
    assert_eq!(release.code, 0, "{}", release.stdout);
    let fifth = run(&t, "g5k_reserve.eov", NANTES4);
    assert_eq!(fifth.code, 0, "{}", fifth.stdout);
    assert_eq!(api.requests_to("POST /stable/sites/nantes/jobs").len(), 2);
    assert_eq!(
        api.requests_to("POST /stable/sites/nantes/deployments")
            .len(),
        4
    );
    assert_eq!(t.read("current/hosts"), hosts);
}

#[test]
fn an_existing_job_of_that_name_is_reused() {
    let api = G5k::start(Config::default());
    // Other jobs of the user and of others, to be filtered out.
    api.add_job(
        "nantes",
        "alice",
        "other",
        &["ecotype-1.nantes.grid5000.fr"],
        "running",
    );
    api.add_job(
        "nantes",
        "bob",
        "eov",
        &["ecotype-2.nantes.grid5000.fr"],
        "running",
    );
    api.add_job(
        "nantes",
        "alice",
        "eov",
        &["ecotype-3.nantes.grid5000.fr"],
        "terminated",
    );
    let uid = api.add_job(
        "nantes",
        "alice",
        "eov",
        &[
            "econome-2.nantes.grid5000.fr",
            "ecotype-7.nantes.grid5000.fr",
        ],
        "running",
    );
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    let out = run(&t, "g5k_reserve.eov", NANTES4);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains(&format!("job {uid} named eov is running: reusing it")),
        "{}",
        out.stdout
    );
    assert!(api.requests_to("POST /stable/sites/nantes/jobs").is_empty());
    assert_eq!(
        t.read("current/hosts"),
        "econome-2.nantes.grid5000.fr\necotype-7.nantes.grid5000.fr\n"
    );
}

#[test]
fn a_node_that_fails_is_deployed_again_then_reported() {
    let mut config = Config::default();
    config
        .fail_first
        .insert("ecotype-10.nantes.grid5000.fr".into());
    config
        .fail_always
        .insert("ecotype-11.nantes.grid5000.fr".into());
    let api = G5k::start(config);
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    t.file("current/hosts", "old-node\n");
    let out = run(&t, "g5k_reserve.eov", NANTES4);
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("3 of 4 nodes deployed (at least 4 wanted); debian11-nfs failed twice on ecotype-11.nantes.grid5000.fr; current/hosts is left as it was"),
        "{}",
        out.stdout
    );
    assert_eq!(t.read("current/hosts"), "old-node\n");
    let deploys = api.requests_to("POST /stable/sites/nantes/deployments");
    assert_eq!(deploys.len(), 2);
    assert_eq!(
        deploys[1].body["nodes"],
        json!([
            "ecotype-10.nantes.grid5000.fr",
            "ecotype-11.nantes.grid5000.fr"
        ])
    );

    // Accepting 3 nodes: the run goes on with those, and says which failed.
    let out = run(
        &t,
        "g5k_reserve.eov",
        &[NANTES4, &["-e", "min_nodes=3"]].concat(),
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("failed twice on ecotype-11.nantes.grid5000.fr; going on with 3 nodes"),
        "{}",
        out.stdout
    );
    assert_eq!(
        t.read("current/hosts"),
        "ecotype-9.nantes.grid5000.fr\necotype-10.nantes.grid5000.fr\necotype-12.nantes.grid5000.fr\n"
    );
}

#[test]
fn bad_credentials_are_a_clear_error_and_write_nothing() {
    let api = G5k::start(Config::default());
    let t = Test::new();
    home(&t, &api, "wrong-password");
    let out = run(&t, "g5k_reserve.eov", NANTES4);
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "the API at {} refused the credentials of `alice`: 401 Authorization Required",
            api.base()
        )),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("wrong-password"));
    assert!(!t.exists("current/hosts"));
    assert!(api.requests_to("POST").is_empty());
}

#[test]
fn several_sites_in_one_reservation() {
    // Each POST takes 300 ms: the two sites' jobs overlap only if sent at once.
    let api = G5k::start(Config {
        post_latency: std::time::Duration::from_millis(300),
        ..Config::default()
    });
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    let out = run(
        &t,
        "g5k_reserve.eov",
        &[
            "-e",
            "sites=rennes:paravance:2,nantes:ecotype:2,nantes:econome:1",
            "-e",
            "walltime=3",
            "-e",
            "name=cloud",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let nantes = api.requests_to("POST /stable/sites/nantes/jobs");
    let rennes = api.requests_to("POST /stable/sites/rennes/jobs");
    assert_eq!((nantes.len(), rennes.len()), (1, 1));
    assert_eq!(
        nantes[0].body["resources"],
        "{cluster='ecotype'}/nodes=2+{cluster='econome'}/nodes=1,walltime=3"
    );
    assert_eq!(
        rennes[0].body["resources"],
        "{cluster='paravance'}/nodes=2,walltime=3"
    );
    assert_eq!(rennes[0].body["name"], "cloud");
    assert_eq!(
        api.world.lock().unwrap().most_posts_at_once,
        2,
        "the sites' jobs and deployments are submitted in parallel"
    );
    assert_eq!(
        t.read("current/hosts"),
        "econome-4.nantes.grid5000.fr\necotype-11.nantes.grid5000.fr\necotype-12.nantes.grid5000.fr\nparavance-7.rennes.grid5000.fr\nparavance-8.rennes.grid5000.fr\n"
    );
}

#[test]
fn check_mode_submits_nothing_and_says_what_it_would_do() {
    let api = G5k::start(Config::default());
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    let out = run(
        &t,
        "g5k_reserve.eov",
        &[
            NANTES4,
            &["-e", "reservation=2026-12-03 19:00:00", "--check"],
        ]
        .concat(),
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains(&format!(
        "POST {}/sites/nantes/jobs {{\"name\":\"eov\",\"resources\":\"{{cluster='ecotype'}}/nodes=4,walltime=08:00:00\",\"types\":[\"deploy\"],\"command\":\"sleep 31536000\",\"reservation\":\"2026-12-03 19:00:00\"}}",
        api.base()
    )), "{}", out.stdout);
    assert!(
        out.stdout.contains("not sent in check mode: POST"),
        "{}",
        out.stdout
    );
    assert!(api.requests().iter().all(|r| r.method == "GET"));
    assert!(!t.exists("current/hosts"));
}

#[test]
fn bad_parameters_are_named_before_anything_is_sent() {
    let api = G5k::start(Config::default());
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    for (args, message) in [
        (
            vec!["-e", "site=nantes", "-e", "nodes=0"],
            "parameter `nodes`: must be a whole number above 0, got `0`",
        ),
        (
            vec!["-e", "site=nantes", "-e", "walltime=8h"],
            "parameter `walltime`: `8h` is not hh:mm:ss, hh:mm or hours",
        ),
        (
            vec!["-e", "site=nantes", "-e", "reservation=tomorrow 7pm"],
            "parameter `reservation`: `tomorrow 7pm` is not \"YYYY-MM-DD hh:mm:ss\" (or now)",
        ),
        (vec!["-e", "nodes=2"], "parameter `site` is required"),
        (
            vec!["-e", "site=Nantes!"],
            "parameter `site`: `Nantes!` is not a site name (like nantes)",
        ),
    ] {
        let out = run(&t, "g5k_reserve.eov", &args);
        assert_eq!(out.code, 4, "{args:?}\n{}", out.stdout);
        assert!(out.stdout.contains(message), "{args:?}\n{}", out.stdout);
    }
    assert!(api.requests().is_empty(), "{:?}", api.requests());

    // What only the API knows: an unknown site, a cluster it rejects.
    let out = run(&t, "g5k_reserve.eov", &["-e", "site=paris"]);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("parameter `site`: the API has no site `paris`"),
        "{}",
        out.stdout
    );
    let out = run(
        &t,
        "g5k_reserve.eov",
        &["-e", "site=nantes", "-e", "cluster=nope"],
    );
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("parameter `cluster`: site nantes has no cluster `nope`"),
        "{}",
        out.stdout
    );
    assert!(api.requests_to("POST").is_empty());
    // A job OAR refuses (more nodes than the cluster has): its message, and what to look at.
    let out = run(
        &t,
        "g5k_reserve.eov",
        &[
            "-e",
            "site=nantes",
            "-e",
            "cluster=econome",
            "-e",
            "nodes=9",
        ],
    );
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(out.stdout.contains("the API refused the job on nantes (see `cluster`, `nodes`, `walltime`, `reservation`): Request to https://api-proxy.nantes.grid5000.fr/internal/oarapi/jobs.json failed with status 400: There are not enough resources for your request"), "{}", out.stdout);
    assert!(!t.exists("current/hosts"));
}

#[test]
fn a_server_error_is_retried() {
    let config = Config {
        error_once: Some("GET /stable/sites/nantes/jobs/".into()),
        ..Config::default()
    };
    let api = G5k::start(config);
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    let out = run(&t, "g5k_reserve.eov", NANTES4);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let statuses: Vec<u16> = api
        .requests_to("GET /stable/sites/nantes/jobs/")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses[..2], [500, 200]);
}

#[test]
fn release_deletes_the_job() {
    let api = G5k::start(Config::default());
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    assert_eq!(run(&t, "g5k_reserve.eov", NANTES4).code, 0);
    let out = run(&t, "g5k_release.eov", &["-e", "site=nantes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let deletes = api.requests_to("DELETE /stable/sites/nantes/jobs/");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].status, 202);
    let again = run(&t, "g5k_release.eov", &["-e", "site=nantes"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(
        again.stdout.contains("no active job named eov on nantes"),
        "{}",
        again.stdout
    );
    assert_eq!(api.requests_to("DELETE").len(), 1);
}

#[test]
fn the_double_answers_as_the_api_does() {
    // Paging, and the API's own check of `reservation` (the role checks it first).
    let api = G5k::start(Config::default());
    for i in 0..3 {
        api.add_job("nantes", "alice", &format!("j{i}"), &[], "running");
    }
    let t = Test::new();
    t.file(
        "site.eov",
        &r#"
play "api" on "localhost" {
  task "page" {
    http { url = "BASE/sites/nantes/jobs?offset=1&limit=1", user = "alice", password = "s3cret-g5k" }
    register = "page"
  }
  task "paged" { assert { that = ["page.json.total == 3", "page.json['items'] | length == 1", "page.json.offset == 1", "page.json['items'][0].name == 'j1'"] } }
  task "bad reservation" {
    http { url = "BASE/sites/nantes/jobs", method = "POST", user = "alice", password = "s3cret-g5k",
           body = { resources = "nodes=1", reservation = "25/12/2026" }, status_code = 400 }
    register = "bad"
  }
  task "400" { assert { that = ["'Invalid reservation date: 25/12/2026' in bad.content"] } }
  task "anonymous" { http { url = "BASE/sites/nantes/jobs", status_code = 401 } }
}
"#
        .replace("BASE", &api.base()),
    );
    let out = t.run(&["run", "site.eov"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

/// The deployed nodes' host keys replace stale ones in known_hosts. The scan runs on a lab host
/// (`keyscan_via`), where the nodes' names resolve to its own sshd: no traffic leaves the machine.
#[test]
fn host_keys_of_deployed_nodes_are_scanned() {
    let lab = crate::lab::Lab::up(1, "g5kkeys");
    let address = lab.address(1);
    let nodes: Vec<String> = (9..=12)
        .map(|i| format!("ecotype-{i}.nantes.grid5000.fr"))
        .collect();
    lab.sh(
        1,
        &format!("echo '127.0.0.1 {}' >> /etc/hosts", nodes.join(" ")),
    );
    let host_key = lab.sh(1, "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub");
    let api = G5k::start(Config::default());
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    t.file(
        "home/.ssh/config",
        &format!(
            "Host {address}\n  User root\n  IdentityFile {}\n  UserKnownHostsFile {}\n  StrictHostKeyChecking yes\n",
            lab.dir().join("id_ed25519").display(),
            lab.dir().join("known_hosts").display()
        ),
    );
    t.file(
        "home/.ssh/known_hosts",
        "ecotype-9.nantes.grid5000.fr ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n",
    );
    let ssh = format!("ssh -F {}/home/.ssh/config -o BatchMode=yes", t.root());
    let home = t.path().join("home");
    let play = repo().join("plays/g5k_reserve.eov");
    let out = t.run_env(
        &[
            &["run", play.to_str().unwrap(), "-e", "poll=0.01"][..],
            NANTES4,
            &[
                "-e",
                &format!("keyscan_via={address}"),
                "-e",
                &format!("keyscan_ssh={ssh}"),
            ],
        ]
        .concat(),
        &[("HOME", home.to_str().unwrap()), ("USER", "nobody")],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let known = t.read("home/.ssh/known_hosts");
    assert!(known.contains("other.example ssh-ed25519"), "{known}");
    assert!(
        !known.contains("ecotype-9.nantes.grid5000.fr ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqq"),
        "{known}"
    );
    for n in &nodes {
        assert!(
            known.contains(&format!("{n} {}", host_key.trim())),
            "{n} missing in\n{known}"
        );
        assert_eq!(
            known.matches(&format!("{n} ssh-ed25519")).count(),
            1,
            "{known}"
        );
    }
}

#[test]
fn an_advance_reservation_can_be_left_to_start() {
    let config = Config {
        waiting_ticks: 1000,
        ..Config::default()
    };
    let api = G5k::start(config);
    let t = Test::new();
    home(&t, &api, "s3cret-g5k");
    let later = &["-e", "reservation=2026-12-24 19:00", "-e", "wait=false"];
    let out = run(&t, "g5k_reserve.eov", &[NANTES4, later].concat());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("job 1900001 is waiting, predicted to start at 2026-12-04 05:54 CET"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("not waiting for the job to run (wait = false)"),
        "{}",
        out.stdout
    );
    let posts = api.requests_to("POST /stable/sites/nantes/jobs");
    assert_eq!(posts[0].body["reservation"], "2026-12-24 19:00");
    assert!(!t.exists("current/hosts"));
    // Waiting is bounded: a job that does not start in `job_timeout` fails the run.
    let out = run(
        &t,
        "g5k_reserve.eov",
        &[NANTES4, &["-e", "job_timeout=0.05"]].concat(),
    );
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("nantes: job 1900001 is waiting, not running after 0s (job_timeout)"),
        "{}",
        out.stdout
    );
    assert_eq!(api.requests_to("POST /stable/sites/nantes/jobs").len(), 1);
    assert!(!t.exists("current/hosts"));
}

/// Inside Grid'5000: no credentials file, no password; the login comes from `$USER`.
#[test]
fn inside_grid5000_no_credentials_are_needed() {
    let api = G5k::start(Config {
        credentials: None,
        ..Config::default()
    });
    let t = Test::new();
    t.file("home/.ssh/id_ed25519.pub", &format!("{KEY}\n"));
    let play = repo().join("plays/g5k_reserve.eov");
    let home = t.path().join("home");
    let api_arg = format!("api={}/", api.base());
    let out = t.run_env(
        &[
            &[
                "run",
                play.to_str().unwrap(),
                "-e",
                "poll=0.01",
                "-e",
                "scan_host_keys=false",
                "-e",
                &api_arg,
            ][..],
            NANTES4,
        ]
        .concat(),
        &[("HOME", home.to_str().unwrap()), ("USER", "alice")],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("jobs?user=alice&name=eov"),
        "{}",
        out.stdout
    );
    assert_eq!(t.read("current/hosts").lines().count(), 4);
}
