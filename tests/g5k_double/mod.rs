//! A Grid'5000 REST API double (`/stable/sites/{site}/jobs`, `/deployments`), for the tests of
//! `roles/g5k`. It answers with the real API's field names, shapes and status codes
//! (grid5000/g5k-api: `JobsController`, `DeploymentsController`, `OAR::Job#to_reservation`,
//! `Grid5000::Deployment#as_json`; see ../shared/reference/external-interfaces.md §1).
//!
//! Time is a clock the test controls: each GET of a job or deployment is one tick for it, and
//! `Config` says how many ticks each state lasts. Every request is recorded with its body.

mod deployments;
mod jobs;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::http_server::Server;

pub const ITEM: &str = "application/vnd.grid5000.item+json";
pub const COLLECTION: &str = "application/vnd.grid5000.collection+json";

/// How the double behaves; the defaults are a healthy site.
#[derive(Clone, Debug)]
pub struct Config {
    /// Basic credentials it accepts; `None`: no authentication (inside Grid'5000).
    pub credentials: Option<(String, String)>,
    /// The user jobs belong to when no credentials are required.
    pub inside_user: String,
    /// site -> cluster -> node count.
    pub sites: BTreeMap<String, BTreeMap<String, u32>>,
    /// Ticks (GETs of the job) spent `waiting`, then `launching`, before `running`.
    pub waiting_ticks: u32,
    pub launching_ticks: u32,
    /// Ticks a deployment spends `processing` before it is `terminated`.
    pub deploy_ticks: u32,
    /// Nodes whose first deployment fails (KO), then succeed.
    pub fail_first: BTreeSet<String>,
    /// Nodes whose deployments always fail.
    pub fail_always: BTreeSet<String>,
    /// Answer 500 once to the first request whose "METHOD path" starts with this.
    pub error_once: Option<String>,
    /// How long a POST takes to answer: long enough, requests sent at once overlap, and
    /// `World::most_posts_at_once` shows it.
    pub post_latency: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        let sites = [
            ("nantes", &[("ecotype", 12u32), ("econome", 4)][..]),
            ("rennes", &[("paravance", 8)][..]),
        ]
        .into_iter()
        .map(|(s, cs)| {
            (
                s.to_string(),
                cs.iter().map(|(c, n)| ((*c).to_string(), *n)).collect(),
            )
        })
        .collect();
        Config {
            credentials: Some(("alice".into(), "s3cret-g5k".into())),
            inside_user: "alice".into(),
            sites,
            waiting_ticks: 2,
            launching_ticks: 1,
            deploy_ticks: 2,
            fail_first: BTreeSet::new(),
            fail_always: BTreeSet::new(),
            error_once: None,
            post_latency: std::time::Duration::ZERO,
        }
    }
}

/// One request as the double received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The body as JSON (a form body becomes an object of strings); `Null` when empty.
    pub body: Value,
    pub status: u16,
}

#[derive(Debug, Default)]
pub struct World {
    pub config: Config,
    pub jobs: Vec<jobs::Job>,
    pub deployments: Vec<deployments::Deployment>,
    pub requests: Vec<Recorded>,
    /// Nodes deployed at least once (for `fail_first`).
    pub deployed_once: BTreeSet<String>,
    next_job: u64,
    /// Unix time the clock starts at; each tick adds a minute.
    pub epoch: i64,
    /// POSTs being answered now, and the most seen at once.
    posts_now: usize,
    pub most_posts_at_once: usize,
}

pub type Shared = Arc<Mutex<World>>;

/// The API on 127.0.0.1; `base` is what a client puts in front of `/sites/...`.
pub struct G5k {
    pub server: Server,
    pub world: Shared,
}

impl G5k {
    pub fn start(config: Config) -> G5k {
        let world = Arc::new(Mutex::new(World {
            config,
            next_job: 1_900_000,
            epoch: 1_796_300_000,
            ..World::default()
        }));
        let router = Router::new()
            .route("/stable/sites/{site}", get(site))
            .route("/stable/sites/{site}/clusters/{cluster}", get(cluster))
            .route(
                "/stable/sites/{site}/jobs",
                get(jobs::list).post(jobs::create),
            )
            .route(
                "/stable/sites/{site}/jobs/{id}",
                get(jobs::show).delete(jobs::destroy),
            )
            .route(
                "/stable/sites/{site}/deployments",
                axum::routing::post(deployments::create),
            )
            .route(
                "/stable/sites/{site}/deployments/{uid}",
                get(deployments::show),
            )
            .layer(middleware::from_fn_with_state(world.clone(), gate))
            .with_state(world.clone());
        G5k {
            server: Server::start(router),
            world,
        }
    }

    pub fn base(&self) -> String {
        self.server.url("/stable")
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.world.lock().unwrap().requests.clone()
    }

    /// The recorded requests whose "METHOD path" starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| format!("{} {}", r.method, r.path).starts_with(prefix))
            .collect()
    }

    /// Adds a job as if submitted earlier by `user` (for reuse and paging tests).
    pub fn add_job(&self, site: &str, user: &str, name: &str, nodes: &[&str], state: &str) -> u64 {
        let mut w = self.world.lock().unwrap();
        let uid = w.next_uid();
        let now = w.epoch;
        w.jobs.push(jobs::Job::existing(
            uid, site, user, name, nodes, state, now,
        ));
        uid
    }
}

impl World {
    fn next_uid(&mut self) -> u64 {
        self.next_job += 1;
        self.next_job
    }

    /// The user a request acts as, if its credentials are good.
    fn user(&self, headers: &HeaderMap) -> Option<String> {
        let Some((user, password)) = &self.config.credentials else {
            return Some(self.config.inside_user.clone());
        };
        let given = headers
            .get("authorization")?
            .to_str()
            .ok()?
            .strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(given)
            .ok()?;
        (decoded == format!("{user}:{password}").as_bytes()).then(|| user.clone())
    }
}

/// The `X-Api-User-Cn` the front proxy would set, for the handlers.
#[derive(Clone, Debug)]
pub struct ApiUser(pub String);

fn body_json(headers: &HeaderMap, body: &[u8]) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if ct.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded_pairs(body);
        let mut m = serde_json::Map::new();
        for (k, v) in pairs {
            m.insert(k, Value::String(v));
        }
        return Value::Object(m);
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into()))
}

/// `a=1&b=x+y` decoded (the double's only form parser).
fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    fn dec(s: &str) -> String {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect()
}

/// Authentication (the front proxy's 401), the injected 500, and the request log.
async fn gate(State(world): State<Shared>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let recorded_body = body_json(&parts.headers, &bytes);
    let early = {
        let mut w = world.lock().unwrap();
        let key = format!("{method} {path}");
        let user = w.user(&parts.headers);
        if user.is_none() {
            Some((
                StatusCode::UNAUTHORIZED,
                "Authorization Required".to_string(),
            ))
        } else if w
            .config
            .error_once
            .as_ref()
            .is_some_and(|p| key.starts_with(p.as_str()))
        {
            w.config.error_once = None;
            Some((
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error".to_string(),
            ))
        } else {
            parts.extensions.insert(ApiUser(user.unwrap_or_default()));
            None
        }
    };
    let response = match early {
        Some((code, text)) => (code, text).into_response(),
        None => {
            let latency = (method == "POST").then(|| {
                let mut w = world.lock().unwrap();
                w.posts_now += 1;
                w.most_posts_at_once = w.most_posts_at_once.max(w.posts_now);
                w.config.post_latency
            });
            if let Some(l) = latency {
                tokio::time::sleep(l).await;
            }
            let req = Request::from_parts(parts, axum::body::Body::from(bytes));
            let response = next.run(req).await;
            if latency.is_some() {
                world.lock().unwrap().posts_now -= 1;
            }
            response
        }
    };
    world.lock().unwrap().requests.push(Recorded {
        method,
        path,
        query,
        body: recorded_body,
        status: response.status().as_u16(),
    });
    response
}

async fn site(State(world): State<Shared>, Path(site): Path<String>) -> Response {
    let w = world.lock().unwrap();
    if !w.config.sites.contains_key(&site) {
        return not_found(&format!("Cannot find resource /sites/{site}"));
    }
    item(
        StatusCode::OK,
        json!({
            "uid": site,
            "name": capitalize(&site),
            "links": [
                {"rel": "self", "href": format!("/stable/sites/{site}"), "type": ITEM},
                {"rel": "jobs", "href": format!("/stable/sites/{site}/jobs"), "type": COLLECTION},
                {"rel": "deployments", "href": format!("/stable/sites/{site}/deployments"), "type": COLLECTION},
            ],
        }),
        None,
    )
}

async fn cluster(
    State(world): State<Shared>,
    Path((site, cluster)): Path<(String, String)>,
) -> Response {
    let w = world.lock().unwrap();
    let Some(nodes) = w.config.sites.get(&site).and_then(|c| c.get(&cluster)) else {
        return not_found(&format!(
            "Cannot find resource /sites/{site}/clusters/{cluster}"
        ));
    };
    item(
        StatusCode::OK,
        json!({
            "uid": cluster,
            "type": "cluster",
            "queues": ["default", "admin"],
            "nodes_count": nodes,
            "links": [
                {"rel": "self", "href": format!("/stable/sites/{site}/clusters/{cluster}"), "type": ITEM},
                {"rel": "parent", "href": format!("/stable/sites/{site}"), "type": ITEM},
                {"rel": "nodes", "href": format!("/stable/sites/{site}/clusters/{cluster}/nodes"), "type": COLLECTION},
            ],
        }),
        None,
    )
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

pub fn item(status: StatusCode, body: Value, location: Option<String>) -> Response {
    let mut r = (status, [("content-type", ITEM)], body.to_string()).into_response();
    if let Some(l) = location {
        r.headers_mut()
            .insert("location", l.parse().expect("a header value"));
    }
    r
}

pub fn collection(body: Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", COLLECTION)],
        body.to_string(),
    )
        .into_response()
}

pub fn not_found(msg: &str) -> Response {
    (StatusCode::NOT_FOUND, msg.to_string()).into_response()
}

pub fn bad_request(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, msg.to_string()).into_response()
}

pub fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        "You are not authorized to access this resource".to_string(),
    )
        .into_response()
}

/// The request's body, as the handlers read it (JSON or form, like the real API).
pub fn parse_body(headers: &HeaderMap, body: &Bytes) -> Value {
    body_json(headers, body)
}
