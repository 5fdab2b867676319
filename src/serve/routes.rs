//! The HTTP routes. Every answer is JSON (errors are `{"error": "..."}`), except the event
//! stream (JSON lines) and the original server's routes (plain text, as its client expects).
//! A request is authenticated before its body is read, and validated before it takes a token
//! use or creates anything.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth;
use super::jobs::{Job, JobKind, JobStatus};
use super::nodes::NodeState;
use super::tokens::{Need, random_text};
use super::validate;

/// Bodies are small JSON objects; anything bigger is refused with 413.
const BODY_LIMIT: usize = 64 * 1024;

type Shared = State<Arc<AppState>>;
type Peer = ConnectInfo<SocketAddr>;

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/controller", get(controller))
        .route("/v1/join", post(join))
        .route("/v1/nodes", get(nodes))
        .route("/v1/nodes/{name}/remove", post(remove))
        .route("/v1/nodes/{name}/rejoin", post(rejoin))
        .route("/v1/jobs", get(jobs))
        .route("/v1/jobs/{id}", get(job))
        .route("/v1/jobs/{id}/events", get(events))
        .route("/", get(legacy_key))
        .route("/openvpn/{name}", get(legacy_openvpn).post(legacy_openvpn))
        .route(
            "/enos/{action}/{g5k}/{name}",
            get(legacy_enos).post(legacy_enos),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    TooManyFailures,
    BadRequest(String),
    NotFound(String),
    /// The node already has a job queued or running.
    Busy(Box<Job>),
    Internal(String),
}

impl From<super::ServeError> for ApiError {
    fn from(e: super::ServeError) -> ApiError {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"error": "a valid token is needed: `Authorization: Bearer ID.SECRET`"}),
            ),
            ApiError::TooManyFailures => (
                StatusCode::TOO_MANY_REQUESTS,
                serde_json::json!({"error": "too many failed authentications from this address; wait a minute"}),
            ),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, serde_json::json!({"error": m})),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, serde_json::json!({"error": m})),
            ApiError::Busy(job) => (
                StatusCode::CONFLICT,
                serde_json::json!({
                    "error": format!("node `{}` already has job {} {}", job.node, job.id,
                        if job.status == JobStatus::Queued { "queued" } else { "running" }),
                    "job": job,
                }),
            ),
            ApiError::Internal(m) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"error": m}),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                "Bearer".parse().expect("a header"),
            );
        }
        response
    }
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

#[derive(Serialize)]
struct Controller {
    ssh_public_key: String,
    version: &'static str,
}

/// The controller's SSH key, to authorise for root before posting the join.
async fn controller(
    State(state): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Result<Json<Controller>, ApiError> {
    auth::check(&state, peer.ip(), &headers, Need::Peek, None)?;
    Ok(Json(Controller {
        ssh_public_key: state.config.controller_key.clone(),
        version: env!("CARGO_PKG_VERSION"),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinRequest {
    name: String,
    /// The node's SSH host key, recorded for the controller's known_hosts.
    #[serde(default)]
    ssh_public_key: Option<String>,
    /// Where the controller reaches the node, when its name does not resolve.
    #[serde(default)]
    address: Option<String>,
}

async fn join(
    State(state): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    auth::check(&state, peer.ip(), &headers, Need::Peek, None)?;
    let request: JoinRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not a join request: {e}")))?;
    validate::node_name(&request.name).map_err(ApiError::BadRequest)?;
    let mut vars = serde_json::Map::new();
    // Without an address, the one it joined from: where the controller can reach it back.
    let address = request
        .address
        .clone()
        .unwrap_or_else(|| peer.ip().to_string());
    validate::address(&address).map_err(ApiError::BadRequest)?;
    vars.insert("node_address".into(), address.into());
    if let Some(key) = &request.ssh_public_key {
        validate::ssh_public_key(key).map_err(ApiError::BadRequest)?;
        vars.insert("node_ssh_public_key".into(), key.clone().into());
    }
    let job = submit(&state, JobKind::Join, &request.name, vars, || {
        auth::check(&state, peer.ip(), &headers, Need::Consume, None).map(|p| p.id)
    })?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

async fn remove(
    state: Shared,
    peer: Peer,
    headers: HeaderMap,
    name: Path<String>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    admin_job(state, peer, headers, name, JobKind::Remove)
}

async fn rejoin(
    state: Shared,
    peer: Peer,
    headers: HeaderMap,
    name: Path<String>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    admin_job(state, peer, headers, name, JobKind::Rejoin)
}

fn admin_job(
    State(state): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(name): Path<String>,
    kind: JobKind,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let admin = auth::check(&state, peer.ip(), &headers, Need::Admin, None)?;
    validate::node_name(&name).map_err(ApiError::BadRequest)?;
    let job = submit(&state, kind, &name, serde_json::Map::new(), || Ok(admin.id))?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// Queues a job for `node` unless one is pending; `take_token` (which may consume a token
/// use) runs only once the job will be created.
fn submit(
    state: &Arc<AppState>,
    kind: JobKind,
    node: &str,
    vars: serde_json::Map<String, serde_json::Value>,
    take_token: impl FnOnce() -> Result<String, ApiError>,
) -> Result<Job, ApiError> {
    // One submission at a time, so two posts for one node cannot both pass the pending check.
    static SUBMIT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = SUBMIT.lock().expect("submit lock");
    if let Some(pending) = state.jobs.pending_for(node)? {
        return Err(ApiError::Busy(Box::new(pending)));
    }
    let token = take_token()?;
    let job = Job {
        id: random_text(12)?,
        kind,
        node: node.to_string(),
        status: JobStatus::Queued,
        play: state
            .config
            .plays_dir
            .join(kind.play_file())
            .display()
            .to_string(),
        token,
        created: super::tokens::now(),
        started: None,
        finished: None,
        message: None,
        recap: None,
        vars,
    };
    state.jobs.save(&job)?;
    let live = state.jobs.track(&job.id);
    tokio::spawn(super::runner::run(state.clone(), job.clone(), live));
    Ok(job)
}

async fn nodes(
    State(state): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    auth::check(&state, peer.ip(), &headers, Need::Admin, None)?;
    let cloud = state.config.options.workdir.join(super::nodes::CLOUD_STATE);
    Ok(Json(
        serde_json::json!({"nodes": super::nodes::with_cloud(state.nodes.list(), &cloud)}),
    ))
}

async fn jobs(
    State(state): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    auth::check(&state, peer.ip(), &headers, Need::Admin, None)?;
    Ok(Json(serde_json::json!({"jobs": state.jobs.list()?})))
}

#[derive(Serialize)]
struct JobView {
    #[serde(flatten)]
    job: Job,
    /// The node's state now, which a join's client waits to see `up`.
    node_state: Option<NodeState>,
}

/// The job, if the caller is an admin or the token that created it.
fn visible_job(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    id: &str,
) -> Result<Job, ApiError> {
    let plain = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric());
    // Authenticate first: an unknown id and a forbidden one look the same to a stranger.
    let job = if plain { state.jobs.get(id)? } else { None };
    auth::check(
        state,
        peer.ip(),
        headers,
        Need::Owner,
        job.as_ref().map(|j| j.token.as_str()),
    )?;
    job.ok_or_else(|| ApiError::NotFound(format!("no job `{}`", id.escape_debug())))
}

async fn job(
    State(state): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    let job = visible_job(&state, peer, &headers, &id)?;
    let node_state = state.nodes.get(&job.node).map(|n| n.state);
    Ok(Json(JobView { job, node_state }))
}

async fn events(
    State(state): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = visible_job(&state, peer, &headers, &id)?;
    let live = state.jobs.live(&job.id).filter(|_| !job.status.finished());
    let body = super::follow::body(state.jobs.events_path(&job.id), live);
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

/// The original `GET /`: the controller's public key as text.
async fn legacy_key(
    State(state): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Result<String, ApiError> {
    auth::check(&state, peer.ip(), &headers, Need::Peek, None)?;
    Ok(format!("{}\n", state.config.controller_key.trim_end()))
}

/// The original `/openvpn/NAME`: the VPN enrolment is part of the join play now.
async fn legacy_openvpn(
    State(state): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<(StatusCode, String), ApiError> {
    legacy(&state, peer, &headers, "add", &name)
}

/// The original `/enos/ACTION/G5K/NAME` (the G5K flag is no longer needed).
async fn legacy_enos(
    State(state): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path((action, _g5k, name)): Path<(String, String, String)>,
) -> Result<(StatusCode, String), ApiError> {
    legacy(&state, peer, &headers, &action, &name)
}

fn legacy(
    state: &Arc<AppState>,
    peer: SocketAddr,
    headers: &HeaderMap,
    action: &str,
    name: &str,
) -> Result<(StatusCode, String), ApiError> {
    let (kind, need) = match action {
        "add" => (JobKind::Join, Need::Peek),
        "remove" => (JobKind::Remove, Need::Admin),
        "rejoin" => (JobKind::Rejoin, Need::Admin),
        _ => {
            auth::check(state, peer.ip(), headers, Need::Peek, None)?;
            return Err(ApiError::BadRequest(format!(
                "unknown action `{}`: add, remove or rejoin",
                action.escape_debug()
            )));
        }
    };
    let principal = auth::check(state, peer.ip(), headers, need, None)?;
    validate::node_name(name).map_err(ApiError::BadRequest)?;
    let job = submit(state, kind, name, serde_json::Map::new(), || match kind {
        JobKind::Join => auth::check(state, peer.ip(), headers, Need::Consume, None).map(|p| p.id),
        _ => Ok(principal.id),
    })?;
    Ok((
        StatusCode::ACCEPTED,
        format!(
            "Action {action} has been queued for {name} as job {}\n",
            job.id
        ),
    ))
}
