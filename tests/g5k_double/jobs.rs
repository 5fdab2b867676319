//! `/stable/sites/{site}/jobs`: OAR jobs as g5k-api shows them (`OAR::Job#to_reservation`
//! plus `resources_by_type` and `assigned_nodes` on items; `JobsController`).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{
    ApiUser, COLLECTION, Config, ITEM, Shared, bad_request, collection, forbidden, item, not_found,
    parse_body,
};

#[derive(Clone, Debug)]
pub struct Job {
    pub uid: u64,
    pub site: String,
    pub user: String,
    pub name: Option<String>,
    pub types: Vec<String>,
    pub command: String,
    pub properties: Option<String>,
    pub walltime: i64,
    pub queue: String,
    /// FQDNs, in `network_address` order (a string sort, as the API's SQL gives them).
    pub nodes: Vec<String>,
    pub submitted_at: i64,
    /// GETs of this job so far: its clock.
    pub ticks: u32,
    /// Deleted (`oardel`): OAR ends it in `error`.
    pub killed: bool,
    /// A state fixed by the test (`add_job`).
    pub fixed: Option<String>,
}

impl Job {
    pub fn existing(
        uid: u64,
        site: &str,
        user: &str,
        name: &str,
        nodes: &[&str],
        state: &str,
        now: i64,
    ) -> Job {
        let mut nodes: Vec<String> = nodes.iter().map(|n| (*n).to_string()).collect();
        nodes.sort();
        Job {
            uid,
            site: site.into(),
            user: user.into(),
            name: Some(name.into()),
            types: vec!["deploy".into()],
            command: "sleep 31536000".into(),
            properties: None,
            walltime: 3600,
            queue: "default".into(),
            nodes,
            submitted_at: now - 600,
            ticks: 0,
            killed: false,
            fixed: Some(state.into()),
        }
    }

    pub fn state(&self, c: &Config) -> &str {
        if self.killed {
            return "error";
        }
        if let Some(s) = &self.fixed {
            return s;
        }
        if self.ticks < c.waiting_ticks {
            "waiting"
        } else if self.ticks < c.waiting_ticks + c.launching_ticks {
            "launching"
        } else {
            "running"
        }
    }

    fn active(&self, c: &Config) -> bool {
        !matches!(self.state(c), "terminated" | "error")
    }

    pub fn json(&self, c: &Config, epoch: i64, with_resources: bool) -> Value {
        let state = self.state(c);
        let start = self.submitted_at + 60 * i64::from(c.waiting_ticks + c.launching_ticks);
        let mut j = json!({
            "uid": self.uid,
            "user_uid": self.user,
            "user": self.user,
            "walltime": self.walltime,
            "queue": self.queue,
            "state": state,
            "project": "default",
            "types": self.types,
            "mode": "PASSIVE",
            "command": self.command,
            "submitted_at": self.submitted_at,
            "scheduled_at": start,
            "message": "FIFO scheduling OK",
            "properties": self.properties.clone().unwrap_or_else(|| "maintenance = 'NO'".into()),
            "directory": format!("/home/{}", self.user),
            "events": [],
            "links": [
                {"rel": "self", "href": format!("/stable/sites/{}/jobs/{}", self.site, self.uid), "type": ITEM},
                {"rel": "parent", "href": format!("/stable/sites/{}", self.site), "type": ITEM},
            ],
        });
        if let Some(n) = &self.name {
            j["name"] = json!(n);
        }
        if matches!(state, "running" | "error") {
            j["started_at"] = json!(start.min(epoch.max(start)));
        }
        if self.killed {
            j["stopped_at"] = json!(start + 60);
            j["events"] = json!([{"uid": self.uid * 10, "created_at": start + 60,
                "type": "USER_KILL", "description": "[oardel] oardel"}]);
        }
        if with_resources {
            let cores: Vec<String> = self
                .nodes
                .iter()
                .flat_map(|n| [format!("{n}/0"), format!("{n}/1")])
                .collect();
            j["resources_by_type"] = json!({ "cores": cores });
            j["assigned_nodes"] = json!(self.nodes);
        }
        j
    }
}

/// `[hour:mn:sec|hour:mn|hour]` in seconds (oarsub's walltime).
fn walltime(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n: Vec<i64> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    Some(match n.as_slice() {
        [h] => h * 3600,
        [h, m] => h * 3600 + m * 60,
        [h, m, s] => h * 3600 + m * 60 + s,
        _ => return None,
    })
}

/// oarsub's reservation date: `YYYY-MM-DD hh[:mm[:ss]]`, or `now`.
fn reservation_ok(s: &str) -> bool {
    let re = regex::Regex::new(r"^(now|\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}(:\d{1,2}(:\d{1,2})?)?)$")
        .unwrap();
    re.is_match(s.trim())
}

/// Parses `{cluster='c'}/nodes=n+...,walltime=...` into (cluster or "", count) and walltime.
/// (cluster or "", node count) per criterion.
type Wanted = Vec<(String, u32)>;

fn resources(s: &str) -> Result<(Wanted, Option<i64>), String> {
    let mut wall = None;
    let mut spec = s;
    if let Some(i) = s.find(",walltime=") {
        let w = &s[i + ",walltime=".len()..];
        wall = Some(walltime(w).ok_or_else(|| format!("Bad walltime: {w}"))?);
        spec = &s[..i];
    }
    let re = regex::Regex::new(r"^(?:\{cluster='([a-z0-9]+)'\}/)?nodes=(\d+)$").unwrap();
    let mut out = Vec::new();
    for part in spec.split('+') {
        let c = re
            .captures(part.trim())
            .ok_or_else(|| format!("Bad resource request: {part}"))?;
        let n: u32 = c[2]
            .parse()
            .map_err(|_| format!("Bad resource request: {part}"))?;
        out.push((
            c.get(1).map_or(String::new(), |m| m.as_str().to_string()),
            n,
        ));
    }
    Ok((out, wall))
}

fn str_field(v: &Value, k: &str) -> Option<String> {
    match v.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub async fn create(
    State(world): State<Shared>,
    Extension(ApiUser(user)): Extension<ApiUser>,
    Path(site): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let b = parse_body(&headers, &body);
    let mut w = world.lock().unwrap();
    let Some(clusters) = w.config.sites.get(&site).cloned() else {
        return not_found(&format!("Cannot find resource /sites/{site}"));
    };
    let reservation = str_field(&b, "reservation");
    let command = str_field(&b, "command").unwrap_or_default();
    if let Some(r) = &reservation
        && !reservation_ok(r)
    {
        return bad_request(&format!(
            "The job you are trying to submit is not valid: Invalid reservation date: {r}"
        ));
    }
    if reservation.is_none() && command.trim().is_empty() {
        return bad_request(
            "The job you are trying to submit is not valid: you must give a :command to execute on launch",
        );
    }
    let oar_url = format!("https://api-proxy.{site}.grid5000.fr/internal/oarapi/jobs.json");
    let oar_error = |msg: &str| {
        bad_request(&format!(
            "Request to {oar_url} failed with status 400: {msg}"
        ))
    };
    let spec = str_field(&b, "resources").unwrap_or_else(|| "nodes=1".into());
    let (wanted, wall) = match resources(&spec) {
        Ok(x) => x,
        Err(e) => return oar_error(&format!("[OAR] {e}")),
    };
    let properties = str_field(&b, "properties");
    let prop_cluster = properties.as_deref().and_then(|p| {
        regex::Regex::new(r"cluster\s*=\s*'([a-z0-9]+)'")
            .unwrap()
            .captures(p)
            .map(|c| c[1].to_string())
    });
    // Nodes held by active jobs are busy.
    let busy: std::collections::BTreeSet<String> = w
        .jobs
        .iter()
        .filter(|j| j.site == site && j.active(&w.config))
        .flat_map(|j| j.nodes.clone())
        .collect();
    let mut nodes = Vec::new();
    for (cluster, count) in &wanted {
        let cluster = if cluster.is_empty() {
            prop_cluster
                .clone()
                .or_else(|| clusters.keys().next().cloned())
                .unwrap_or_default()
        } else {
            cluster.clone()
        };
        let Some(size) = clusters.get(&cluster) else {
            return oar_error(&format!(
                "There are not enough resources for your request (cluster='{cluster}' is not a cluster of {site})"
            ));
        };
        // Picked from the end of the cluster so that numbers cross a digit boundary
        // (ecotype-10 sorts before ecotype-9 as a string).
        let free: Vec<String> = (1..=*size)
            .rev()
            .map(|i| format!("{cluster}-{i}.{site}.grid5000.fr"))
            .filter(|n| !busy.contains(n) && !nodes.contains(n))
            .take(*count as usize)
            .collect();
        if free.len() < *count as usize || *count == 0 {
            return oar_error("There are not enough resources for your request");
        }
        nodes.extend(free);
    }
    nodes.sort();
    let types = match b.get("types") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let uid = w.next_uid();
    let job = Job {
        uid,
        site: site.clone(),
        user,
        name: str_field(&b, "name"),
        types,
        command,
        properties,
        walltime: wall.unwrap_or(3600),
        queue: str_field(&b, "queue").unwrap_or_else(|| "default".into()),
        nodes,
        submitted_at: w.epoch,
        ticks: 0,
        killed: false,
        fixed: None,
    };
    let body = job.json(&w.config, w.epoch, true);
    w.jobs.push(job);
    let location = format!("https://api.grid5000.fr/stable/sites/{site}/jobs/{uid}");
    item(StatusCode::CREATED, body, Some(location))
}

pub async fn show(
    State(world): State<Shared>,
    Path((site, id)): Path<(String, String)>,
) -> Response {
    let mut w = world.lock().unwrap();
    w.epoch += 60;
    let epoch = w.epoch;
    let World { jobs, config, .. } = &mut *w;
    let Some(job) = jobs
        .iter_mut()
        .find(|j| j.site == site && j.uid.to_string() == id)
    else {
        return not_found(&format!("Couldn't find OAR::Job with 'job_id'={id}"));
    };
    job.ticks += 1;
    item(StatusCode::OK, job.json(config, epoch, true), None)
}

use super::World;

#[derive(serde::Deserialize)]
pub struct ListQuery {
    user: Option<String>,
    name: Option<String>,
    state: Option<String>,
    queue: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
    resources: Option<String>,
}

pub async fn list(
    State(world): State<Shared>,
    Path(site): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let w = world.lock().unwrap();
    if !w.config.sites.contains_key(&site) {
        return not_found(&format!("Cannot find resource /sites/{site}"));
    }
    let states: Option<Vec<String>> = q.state.as_ref().map(|s| {
        s.split(',')
            .map(|x| x.trim().to_lowercase())
            .filter(|x| !x.is_empty())
            .collect()
    });
    let mut matching: Vec<&Job> = w
        .jobs
        .iter()
        .filter(|j| j.site == site)
        .filter(|j| q.user.as_ref().is_none_or(|u| u.is_empty() || &j.user == u))
        .filter(|j| {
            q.name
                .as_ref()
                .is_none_or(|n| n.is_empty() || j.name.as_ref() == Some(n))
        })
        .filter(|j| q.queue.as_ref().is_none_or(|x| &j.queue == x))
        .filter(|j| {
            states
                .as_ref()
                .is_none_or(|s| s.iter().any(|x| x == j.state(&w.config)))
        })
        .collect();
    // submission_time DESC, as `OAR::Job.list` orders them.
    matching.sort_by(|a, b| b.submitted_at.cmp(&a.submitted_at).then(b.uid.cmp(&a.uid)));
    let offset = q.offset.unwrap_or(0);
    let limit = q.limit.unwrap_or(50).min(500);
    let with_resources = q.resources.as_deref() == Some("yes");
    let items: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|j| j.json(&w.config, w.epoch, with_resources))
        .collect();
    collection(json!({
        "total": matching.len(),
        "offset": offset,
        "items": items,
        "links": [
            {"rel": "self", "href": format!("/stable/sites/{site}/jobs"), "type": COLLECTION},
            {"rel": "parent", "href": format!("/stable/sites/{site}"), "type": ITEM},
        ],
    }))
}

pub async fn destroy(
    State(world): State<Shared>,
    Extension(ApiUser(user)): Extension<ApiUser>,
    Path((site, id)): Path<(String, String)>,
) -> Response {
    let mut w = world.lock().unwrap();
    let Some(job) = w
        .jobs
        .iter_mut()
        .find(|j| j.site == site && j.uid.to_string() == id)
    else {
        return not_found(&format!("Couldn't find OAR::Job with 'job_id'={id}"));
    };
    if job.user != user {
        return forbidden();
    }
    let info = if job.killed {
        format!("Deleting the job = {id} ...This job was already killed")
    } else {
        format!(
            "Deleting the job = {id} ...REGISTERED. The job(s) [ {id} ] will be deleted in the near future."
        )
    };
    job.killed = true;
    job.fixed = None;
    let mut r = (StatusCode::ACCEPTED, "").into_response();
    let h = r.headers_mut();
    h.insert(
        "location",
        format!("https://api.grid5000.fr/stable/sites/{site}/jobs/{id}")
            .parse()
            .unwrap(),
    );
    h.insert("x-oar-info", info.parse().unwrap());
    r
}
