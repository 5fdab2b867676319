//! Sends a request from a delegated SSH host with its `curl`. Everything, the password and
//! the body included, goes to curl as a config file on stdin, so nothing shows in `ps`.

use super::request::{Body, Request};
use super::response::Response;
use crate::modules::{ModuleCx, ModuleError};

/// A string in curl's config syntax (double quotes, backslash escapes).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn form_encode(pairs: &[(String, String)]) -> String {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    out.push(char::from(b));
                }
                b' ' => out.push('+'),
                b => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The config file that makes curl send `request` once.
pub fn config(request: &Request) -> String {
    let mut lines = vec![
        format!("url = {}", quoted(&request.url)),
        format!("max-time = {}", request.timeout.as_secs_f64()),
        format!("connect-timeout = {}", request.timeout.as_secs_f64()),
    ];
    // `--request HEAD` would wait for a body that never comes; `--head` does not.
    lines.push(if request.method == "HEAD" {
        "head".into()
    } else {
        format!("request = {}", quoted(&request.method))
    });
    let mut header =
        |k: &str, v: &str| lines.push(format!("header = {}", quoted(&format!("{k}: {v}"))));
    let has = |name: &str| {
        request
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    let data = match &request.body {
        None => None,
        Some(Body::Json(v)) => {
            if !has("content-type") {
                header("Content-Type", "application/json");
            }
            Some(v.to_string())
        }
        Some(Body::Form(pairs)) => {
            if !has("content-type") {
                header("Content-Type", "application/x-www-form-urlencoded");
            }
            Some(form_encode(pairs))
        }
        Some(Body::Raw(s)) => Some(s.clone()),
    };
    for (k, v) in &request.headers {
        header(k, v);
    }
    if let Some(d) = data {
        lines.push(format!("data-binary = {}", quoted(&d)));
    }
    if let Some((user, password)) = &request.auth {
        let cred = format!("{user}:{}", password.as_deref().unwrap_or_default());
        lines.push(format!("user = {}", quoted(&cred)));
    }
    if !request.validate_certs {
        lines.push("insecure".into());
    }
    if let Some(ca) = &request.ca_path {
        // On the delegated host, as curl reads it there.
        lines.push(format!("cacert = {}", quoted(&ca.display().to_string())));
    }
    lines.join("\n") + "\n"
}

/// Splits curl's `--include` output into status, headers and body (skipping `100 Continue`).
pub fn parse(out: &[u8]) -> Option<Response> {
    let mut rest = out;
    loop {
        let end = rest.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..end]).to_string();
        rest = &rest[end + 4..];
        let mut lines = head.lines();
        let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
        if (100..200).contains(&status) {
            continue;
        }
        let mut r = Response {
            status,
            ..Response::default()
        };
        for line in lines {
            if let Some((k, v)) = line.split_once(':') {
                r.add_header(k.trim(), v.trim());
            }
        }
        r.content = String::from_utf8_lossy(rest).to_string();
        return Some(r);
    }
}

/// curl's exit codes for "nothing reached the server": resolve, connect.
fn not_sent(code: Option<i32>) -> bool {
    matches!(code, Some(6 | 7))
}

pub async fn send(request: &Request, cx: &ModuleCx<'_>) -> Result<(Response, u32), ModuleError> {
    let conf = config(request);
    let host = cx.conn.host().to_string();
    let mut tries = 0;
    loop {
        tries += 1;
        let left = tries <= request.max_retries;
        let out = cx
            .sh_in("curl -sS --include --config -", conf.as_bytes())
            .await?;
        match out.status {
            Some(0) => {
                let r = parse(&out.stdout).ok_or_else(|| {
                    ModuleError::Service(format!(
                        "{} {}: curl on `{host}` gave no HTTP response",
                        request.method, request.url
                    ))
                })?;
                if !(left && Request::retry_status(r.status) && request.is_idempotent()) {
                    return Ok((r, tries));
                }
            }
            Some(127) => {
                return Err(ModuleError::State(format!(
                    "`http` delegated to `{host}` needs curl there, and it has none"
                )));
            }
            code if left && (not_sent(code) || (code == Some(28) && request.is_idempotent())) => {}
            _ => {
                return Err(ModuleError::Service(format!(
                    "{} {}: curl on `{host}`: {} (after {tries} tries)",
                    request.method,
                    request.url,
                    out.failure_reason()
                )));
            }
        }
        tokio::time::sleep(request.delay(tries - 1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_include_output_after_continue() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nLocation: /x\r\nSet-Cookie: a\r\nset-cookie: b\r\n\r\n{\"uid\": 1}";
        let r = parse(raw).expect("parses");
        assert_eq!(r.status, 201);
        assert_eq!(r.headers["location"], "/x");
        assert_eq!(r.headers["set-cookie"], "a, b");
        assert_eq!(r.content, "{\"uid\": 1}");
    }

    #[test]
    fn config_quotes_and_hides_nothing_in_argv() {
        assert_eq!(quoted("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(
            form_encode(&[("a b".into(), "x&y=é".into())]),
            "a+b=x%26y%3D%C3%A9"
        );
    }
}
