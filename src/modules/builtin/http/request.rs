//! The request a task asks for, read from its arguments and checked before anything is sent.

use std::path::PathBuf;
use std::time::Duration;

use minijinja::Value;
use minijinja::value::ValueKind;

use crate::modules::{Args, ModuleError};

pub const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// What goes in the request body.
#[derive(Clone, Debug)]
pub enum Body {
    /// A map or list, sent as JSON.
    Json(serde_json::Value),
    /// `form`: sent as `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
    /// A string, sent as is.
    Raw(String),
}

#[derive(Clone, Debug)]
pub struct Request {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
    /// Basic authentication: user and password.
    pub auth: Option<(String, Option<String>)>,
    pub status_codes: Vec<u16>,
    pub timeout: Duration,
    pub validate_certs: bool,
    pub ca_path: Option<PathBuf>,
    /// Retries after the first try, on a connection error or a 500, 502 or 504.
    pub max_retries: u32,
    /// The first retry waits this long, each next one twice as long.
    pub backoff: Duration,
}

fn failed(msg: String) -> ModuleError {
    ModuleError::Usage(msg)
}

/// A scalar as the text a header or form field carries.
fn text(name: &str, key: &str, v: &Value) -> Result<String, ModuleError> {
    match v.kind() {
        ValueKind::String => Ok(v.as_str().unwrap_or_default().to_string()),
        ValueKind::Number | ValueKind::Bool => Ok(v.to_string()),
        _ => Err(failed(format!(
            "argument `{name}`: `{key}` must be a string, a number or a boolean, got {}",
            v.kind()
        ))),
    }
}

fn pairs(args: &Args, name: &str) -> Result<Vec<(String, String)>, ModuleError> {
    let Some(map) = args.get(name) else {
        return Ok(Vec::new());
    };
    if map.kind() != ValueKind::Map {
        return Err(failed(format!(
            "argument `{name}` must be a map, got {} `{map}`",
            map.kind()
        )));
    }
    let mut out = Vec::new();
    for key in map.try_iter().map_err(|e| failed(e.to_string()))? {
        let v = map.get_item(&key).map_err(|e| failed(e.to_string()))?;
        let key = key.to_string();
        if v.is_none() || v.is_undefined() {
            continue;
        }
        out.push((key.clone(), text(name, &key, &v)?));
    }
    Ok(out)
}

fn status_codes(args: &Args) -> Result<Vec<u16>, ModuleError> {
    let bad = |v: &Value| {
        failed(format!(
            "argument `status_code` must be an HTTP status (100-599) or a list of them, got `{v}`"
        ))
    };
    let one = |v: &Value| {
        i64::try_from(v.clone())
            .ok()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| (100..600).contains(n))
            .ok_or_else(|| bad(v))
    };
    match args.get("status_code") {
        None => Ok(vec![200]),
        Some(v) if v.kind() == ValueKind::Seq => {
            let codes = v
                .try_iter()
                .map_err(|_| bad(v))?
                .map(|c| one(&c))
                .collect::<Result<Vec<_>, _>>()?;
            if codes.is_empty() {
                return Err(bad(v));
            }
            Ok(codes)
        }
        Some(v) => Ok(vec![one(v)?]),
    }
}

fn body(args: &Args) -> Result<Option<Body>, ModuleError> {
    if args.get("form").is_some() {
        return Ok(Some(Body::Form(pairs(args, "form")?)));
    }
    let Some(v) = args.get("body") else {
        return Ok(None);
    };
    Ok(Some(match v.kind() {
        ValueKind::String => Body::Raw(v.as_str().unwrap_or_default().to_string()),
        _ => Body::Json(
            serde_json::to_value(v)
                .map_err(|e| failed(format!("argument `body` cannot be sent as JSON: {e}")))?,
        ),
    }))
}

impl Request {
    pub fn from_args(args: &Args) -> Result<Request, ModuleError> {
        let url = args.str("url")?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(failed(format!(
                "argument `url` must start with http:// or https://, got `{url}`"
            )));
        }
        let method = args.str_or("method", "GET")?.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(failed(format!(
                "argument `method` must be one of {}, got `{method}`",
                crate::modules::spec::choices(METHODS)
            )));
        }
        let password = args.opt_str("password")?;
        let auth = match (args.opt_str("user")?, password) {
            (Some(u), p) => Some((u, p)),
            // An empty password alone is no credential (a role's unset default).
            (None, Some(p)) if p.is_empty() => None,
            (None, Some(_)) => {
                return Err(failed("argument `password` needs `user`".into()));
            }
            (None, None) => None,
        };
        let timeout = args.opt_secs("timeout")?.unwrap_or(30.0);
        if !(timeout > 0.0 && timeout <= 86_400.0) {
            return Err(failed(
                "argument `timeout` must be between 0s (excluded) and 1d".into(),
            ));
        }
        let max_retries = args.opt_int("max_retries")?.unwrap_or(5);
        let max_retries = u32::try_from(max_retries)
            .ok()
            .filter(|n| *n <= 20)
            .ok_or_else(|| {
                failed(format!(
                    "argument `max_retries` must be between 0 and 20, got {max_retries}"
                ))
            })?;
        let backoff = args.opt_secs("backoff")?.unwrap_or(0.3);
        if !(0.0..=60.0).contains(&backoff) {
            return Err(failed(
                "argument `backoff` must be between 0s and 60s".into(),
            ));
        }
        Ok(Request {
            url,
            method,
            headers: pairs(args, "headers")?,
            body: body(args)?,
            auth,
            status_codes: status_codes(args)?,
            timeout: Duration::from_secs_f64(timeout),
            validate_certs: args.bool_or("validate_certs", true)?,
            ca_path: args.opt_str("ca_path")?.map(PathBuf::from),
            max_retries,
            backoff: Duration::from_secs_f64(backoff),
        })
    }

    /// Reads only (GET, HEAD, OPTIONS): it runs in check mode and never reports a change.
    pub fn is_safe(&self) -> bool {
        matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }

    /// Sending it twice does what sending it once does, so a failed try may be repeated
    /// (urllib3's rule, which python-grid5000 relies on: a POST is never sent twice, lest
    /// two jobs be submitted).
    pub fn is_idempotent(&self) -> bool {
        self.is_safe() || matches!(self.method.as_str(), "PUT" | "DELETE")
    }

    /// The status codes worth another try.
    pub fn retry_status(status: u16) -> bool {
        matches!(status, 500 | 502 | 504)
    }

    /// How long to wait before retry `n` (0 for the first).
    pub fn delay(&self, n: u32) -> Duration {
        self.backoff.saturating_mul(1 << n.min(10))
    }

    /// The accepted codes, for messages.
    pub fn expected(&self) -> String {
        let codes: Vec<String> = self.status_codes.iter().map(u16::to_string).collect();
        codes.join(" or ")
    }
}
