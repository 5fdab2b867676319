//! `/stable/sites/{site}/deployments`: Kadeploy deployments as g5k-api shows them
//! (`Grid5000::Deployment#as_json`: the columns without nils, plus `links`).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{ApiUser, ITEM, Shared, bad_request, item, not_found, parse_body};

#[derive(Clone, Debug)]
pub struct Deployment {
    pub uid: String,
    pub site: String,
    pub user: String,
    pub environment: String,
    pub nodes: Vec<String>,
    /// The key as the API stores it: a URL to a file holding the submitted content.
    pub key: Option<String>,
    /// node -> "OK" / "KO", decided at submission, shown once terminated.
    pub outcome: Vec<(String, &'static str)>,
    pub created_at: i64,
    pub ticks: u32,
}

impl Deployment {
    fn json(&self, deploy_ticks: u32, now: i64) -> Value {
        let done = self.ticks >= deploy_ticks;
        let mut j = json!({
            "uid": self.uid,
            "site_uid": self.site,
            "user_uid": self.user,
            "environment": self.environment,
            "status": if done { "terminated" } else { "processing" },
            "nodes": self.nodes,
            "created_at": self.created_at,
            "updated_at": if done { now } else { self.created_at },
            "disable_disk_partitioning": false,
            "disable_bootloader_install": false,
            "ignore_nodes_deploying": false,
            "links": [
                {"rel": "self", "href": format!("/stable/sites/{}/deployments/{}", self.site, self.uid), "type": ITEM},
                {"rel": "parent", "href": format!("/stable/sites/{}", self.site), "type": ITEM},
            ],
        });
        if let Some(k) = &self.key {
            j["key"] = json!(k);
        }
        if done {
            let result: serde_json::Map<String, Value> = self
                .outcome
                .iter()
                .map(|(n, s)| (n.clone(), json!({"macro": null, "micro": null, "state": s})))
                .collect();
            j["result"] = Value::Object(result);
        }
        j
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
    if !w.config.sites.contains_key(&site) {
        return not_found(&format!("Cannot find resource /sites/{site}"));
    }
    let invalid = |why: &str| {
        bad_request(&format!(
            "The deployment you are trying to submit is not valid: {why}"
        ))
    };
    let nodes: Vec<String> = match b.get("nodes") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .filter_map(|n| n.as_str().map(String::from))
            .collect(),
        _ => return invalid("nodes must be a non-empty list of node FQDN"),
    };
    let Some(environment) = b
        .get("environment")
        .and_then(Value::as_str)
        .map(String::from)
    else {
        return invalid("environment must be a non-empty string");
    };
    // Kadeploy accepts only nodes of a running deploy job of this user.
    let config = w.config.clone();
    let held: Vec<String> = w
        .jobs
        .iter()
        .filter(|j| {
            j.site == site
                && j.user == user
                && j.types.iter().any(|t| t == "deploy")
                && j.state(&config) == "running"
        })
        .flat_map(|j| j.nodes.clone())
        .collect();
    if let Some(n) = nodes.iter().find(|n| !held.contains(n)) {
        return bad_request(&format!(
            "Cannot launch deployment: Kadeploy error #1: You do not have a deploy reservation on {n}"
        ));
    }
    let key = b.get("key").and_then(Value::as_str).map(|k| {
        if k.starts_with("http://") || k.starts_with("https://") {
            k.to_string()
        } else {
            // `transform_blobs_into_files!`: the content is stored, the record keeps a URL.
            let digest = sha1_hex(k);
            format!("https://api.grid5000.fr/sid/sites/{site}/files/{user}-key-{digest}")
        }
    });
    let outcome = nodes
        .iter()
        .map(|n| {
            let first = !w.deployed_once.contains(n);
            let ko = config.fail_always.contains(n) || (first && config.fail_first.contains(n));
            (n.clone(), if ko { "KO" } else { "OK" })
        })
        .collect();
    w.deployed_once.extend(nodes.iter().cloned());
    let n = w.deployments.len() + 1;
    let d = Deployment {
        uid: format!("D-{n:08x}-5bde-4023-a071-a4cf28da4d{n:02x}"),
        site: site.clone(),
        user,
        environment,
        nodes,
        key,
        outcome,
        created_at: w.epoch,
        ticks: 0,
    };
    let body = d.json(config.deploy_ticks, w.epoch);
    let location = format!(
        "https://api.grid5000.fr/stable/sites/{site}/deployments/{}",
        d.uid
    );
    w.deployments.push(d);
    item(StatusCode::CREATED, body, Some(location))
}

pub async fn show(
    State(world): State<Shared>,
    Path((site, uid)): Path<(String, String)>,
) -> Response {
    let mut w = world.lock().unwrap();
    w.epoch += 60;
    let (ticks, now) = (w.config.deploy_ticks, w.epoch);
    let Some(d) = w
        .deployments
        .iter_mut()
        .find(|d| d.site == site && d.uid == uid)
    else {
        return not_found(&format!(
            "Couldn't find Grid5000::Deployment with uid={uid}"
        ));
    };
    d.ticks += 1;
    item(StatusCode::OK, d.json(ticks, now), None)
}

/// A stand-in for the SHA-1 the API names key files with (only its shape matters here).
fn sha1_hex(s: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    format!(
        "{:016x}{:016x}{:08x}",
        h.finish(),
        h.finish().rotate_left(17),
        s.len()
    )
}
