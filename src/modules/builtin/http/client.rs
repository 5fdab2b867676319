//! Sends a request from the controller (reqwest over rustls, with the system's roots or the
//! `ca_path` bundle), retrying as python-grid5000 does.

use std::error::Error as _;

use super::request::{Body, Request};
use super::response::Response;
use crate::modules::ModuleError;

fn failed(msg: String) -> ModuleError {
    ModuleError::Service(msg)
}

/// An error and its causes on one line ("error sending request: ...: invalid peer
/// certificate: UnknownIssuer").
fn chain(e: &reqwest::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn client(request: &Request) -> Result<reqwest::Client, ModuleError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(request.timeout)
        .timeout(request.timeout)
        .user_agent(concat!("eov/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &request.ca_path {
        let pem = std::fs::read(path).map_err(|e| {
            failed(format!(
                "argument `ca_path`: cannot read `{}`: {e}",
                path.display()
            ))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            failed(format!(
                "argument `ca_path`: `{}` is not a PEM bundle: {}",
                path.display(),
                chain(&e)
            ))
        })?;
        if certs.is_empty() {
            return Err(failed(format!(
                "argument `ca_path`: `{}` holds no certificate",
                path.display()
            )));
        }
        builder = builder.tls_certs_only(certs);
    }
    if !request.validate_certs {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    builder
        .build()
        .map_err(|e| failed(format!("cannot set up the HTTP client: {}", chain(&e))))
}

fn build(client: &reqwest::Client, request: &Request) -> Result<reqwest::Request, ModuleError> {
    let method = reqwest::Method::from_bytes(request.method.as_bytes())
        .map_err(|e| failed(format!("argument `method`: {e}")))?;
    let mut rb = client.request(method, &request.url);
    for (k, v) in &request.headers {
        rb = rb.header(k, v);
    }
    if let Some((user, password)) = &request.auth {
        rb = rb.basic_auth(user, password.as_deref());
    }
    rb = match &request.body {
        None => rb,
        Some(Body::Json(v)) => rb.json(v),
        Some(Body::Form(pairs)) => rb.form(pairs),
        Some(Body::Raw(s)) => rb.body(s.clone()),
    };
    rb.build()
        .map_err(|e| failed(format!("bad request to {}: {}", request.url, chain(&e))))
}

async fn once(
    client: &reqwest::Client,
    prepared: reqwest::Request,
) -> Result<Response, reqwest::Error> {
    let r = client.execute(prepared).await?;
    let mut out = Response {
        status: r.status().as_u16(),
        ..Response::default()
    };
    for (name, value) in r.headers() {
        out.add_header(name.as_str(), &String::from_utf8_lossy(value.as_bytes()));
    }
    out.content = r.text().await?;
    Ok(out)
}

/// The request sent, with its retries; the response and the number of tries.
pub async fn send(request: &Request) -> Result<(Response, u32), ModuleError> {
    let client = client(request)?;
    // Built once, so that a bad header fails before anything is sent.
    let prepared = build(&client, request)?;
    let mut tries = 0;
    loop {
        tries += 1;
        let left = tries <= request.max_retries;
        // Bodies here are in memory (JSON, form, text), so a request always clones.
        let this = prepared
            .try_clone()
            .ok_or_else(|| failed("the request cannot be sent twice".into()))?;
        match once(&client, this).await {
            Ok(r) if left && Request::retry_status(r.status) && request.is_idempotent() => {}
            Ok(r) => return Ok((r, tries)),
            // Nothing reached the server: any method may be sent again.
            Err(e) if left && (e.is_connect() || (e.is_timeout() && request.is_idempotent())) => {}
            Err(e) => {
                return Err(failed(format!(
                    "{} {}: {} (after {tries} tr{})",
                    request.method,
                    request.url,
                    chain(&e),
                    if tries == 1 { "y" } else { "ies" }
                )));
            }
        }
        tokio::time::sleep(request.delay(tries - 1)).await;
    }
}
