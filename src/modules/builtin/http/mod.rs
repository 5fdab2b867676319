//! `http`: one HTTP request, as Ansible's `uri` makes it (how roles talk to REST APIs such
//! as Grid'5000's). It runs on the controller unless delegated; delegated to an SSH host it
//! is sent from there with `curl`.
//!
//! A GET or HEAD only reads, so it runs under `--check`; any other method is not sent in
//! check mode and its result is unknown, as a command's is.

mod client;
mod curl;
mod request;
mod response;

use minijinja::Value;
use minijinja::value::Serde;

use crate::connection::Connection;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use request::{METHODS, Request};
use response::Response;

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        req("url", ArgType::Str),
        opt("method", ArgType::Choice(METHODS)),
        opt("headers", ArgType::Map),
        opt("body", ArgType::Any),
        opt("form", ArgType::Map),
        opt("user", ArgType::Str),
        opt("password", ArgType::Str),
        opt("status_code", ArgType::Any),
        opt("timeout", ArgType::Duration),
        opt("validate_certs", ArgType::Bool),
        opt("ca_path", ArgType::Str),
        opt("max_retries", ArgType::Int),
        opt("backoff", ArgType::Duration),
    ],
    free_form: false,
    one_of: &[],
    exclusive: &[("body", "form")],
};

pub const DEF: ModuleDef = ModuleDef::new("http", &SPEC, |args, cx| Box::pin(run(args, cx)))
    .on_controller_unless_delegated();

pub async fn run(args: &Args, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let request = Request::from_args(args)?;
    // A password or an Authorization header (a token) is a secret even when the play did not
    // say so.
    if let Some((_, Some(password))) = &request.auth {
        cx.secrets.add(password);
    }
    for (_, v) in request
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        cx.secrets.add(v);
        if let Some((_, token)) = v.split_once(' ') {
            cx.secrets.add(token.trim());
        }
    }
    if cx.check && !request.is_safe() {
        let mut o = Outcome::ok().msg(format!(
            "not sent in check mode: {} {}",
            request.method, request.url
        ));
        o.skipped = true;
        o.unknown = true;
        return Ok(o.data("url", request.url.as_str()));
    }
    let (response, tries) = match cx.conn {
        Connection::Local(_) => client::send(&request).await?,
        Connection::Ssh(_) => curl::send(&request, cx).await?,
    };
    Ok(outcome(&request, response, tries))
}

fn outcome(request: &Request, response: Response, tries: u32) -> Outcome {
    let status = response.status;
    let accepted = request.status_codes.contains(&status);
    let mut o = Outcome::ok()
        .data("status", i64::from(status))
        .data("url", request.url.as_str())
        .data("headers", Value::from(Serde(&response.headers)))
        .data("tries", i64::from(tries));
    // An API object's own `state` or `status` ("waiting", "processing"...), for the message:
    // what a wait with `until` shows while it polls.
    let mut state = None;
    if let Some(json) = response.json() {
        state = ["state", "status"].iter().find_map(|k| {
            json.get(k)
                .and_then(serde_json::Value::as_str)
                .map(|v| format!(" ({k}: {v})"))
        });
        o = o.data("json", Value::from(Serde(&json)));
    }
    let excerpt = response.excerpt();
    o = o.data("content", response.content);
    o.changed = !request.is_safe();
    if accepted {
        o.msg = Some(format!(
            "{} {} -> {status}{}",
            request.method,
            request.url,
            state.unwrap_or_default()
        ));
    } else {
        o.failed = true;
        o.msg = Some(format!(
            "{} {}: status {status}, expected {}{}",
            request.method,
            request.url,
            request.expected(),
            if excerpt.is_empty() {
                String::new()
            } else {
                format!(": {excerpt}")
            }
        ));
    }
    o
}
