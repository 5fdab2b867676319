//! Who may call what: `Authorization: Bearer ID.SECRET`, checked against the token store;
//! failures counted per client address, and an address with too many in a minute gets 429
//! before its token is even looked at.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

use super::AppState;
use super::routes::ApiError;
use super::tokens::{Need, Principal};

const WINDOW: Duration = Duration::from_secs(60);

pub struct Limiter {
    max: u32,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Limiter {
    pub fn new(max: u32) -> Limiter {
        Limiter {
            max,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn blocked(&self, ip: IpAddr) -> bool {
        let mut map = self.failures.lock().expect("limiter lock");
        match map.get(&ip) {
            Some((start, _)) if start.elapsed() >= WINDOW => {
                map.remove(&ip);
                false
            }
            Some((_, n)) => *n >= self.max,
            None => false,
        }
    }

    fn failed(&self, ip: IpAddr) {
        let mut map = self.failures.lock().expect("limiter lock");
        // Forget old windows so a scan of many addresses cannot grow the map without end.
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| start.elapsed() < WINDOW);
        }
        let entry = map.entry(ip).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

/// The caller, if its token may do what `need` says; 401 (or 429) otherwise.
pub fn check(
    state: &AppState,
    ip: IpAddr,
    headers: &HeaderMap,
    need: Need,
    owner: Option<&str>,
) -> Result<Principal, ApiError> {
    if state.limiter.blocked(ip) {
        return Err(ApiError::TooManyFailures);
    }
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let principal = match presented {
        Some(token) => state
            .tokens
            .authenticate(token, need, owner)
            .map_err(|e| ApiError::Internal(e.to_string()))?,
        None => None,
    };
    principal.ok_or_else(|| {
        state.limiter.failed(ip);
        ApiError::Unauthorized
    })
}
