//! What `eov token` prints.

use crate::serve::tokens::{TokenKind, TokenRecord, now};

/// The new token, once, with the command a node runs to join.
pub fn render_token_created(token: &str, record: &TokenRecord, pin: &str) -> String {
    let mut s = format!(
        "token: {token}\nkind: {}\nexpires: {}\nuses: {}\nca-cert-hash: {pin}\n",
        kind(record.kind),
        record.expires.map_or("never".into(), utc),
        record
            .uses_left
            .map_or("unlimited".into(), |u| u.to_string()),
    );
    if record.kind == TokenKind::Join {
        s.push_str(&format!(
            "join with: eov join https://CONTROLLER:PORT --token {token} --ca-cert-hash {pin}\n"
        ));
    }
    s
}

/// The tokens, one a line, without their secrets.
pub fn render_tokens(records: &[TokenRecord]) -> String {
    if records.is_empty() {
        return "no token\n".into();
    }
    let now = now();
    let mut s = format!(
        "{:<8} {:<6} {:<21} {:<10} {}\n",
        "ID", "KIND", "EXPIRES", "USES LEFT", "DESCRIPTION"
    );
    for r in records {
        let expires = match r.expires {
            None => "never".to_string(),
            Some(e) if e <= now => format!("expired {}", utc(e).trim_end_matches(" UTC")),
            Some(e) => utc(e),
        };
        s.push_str(&format!(
            "{:<8} {:<6} {:<21} {:<10} {}\n",
            r.id,
            kind(r.kind),
            expires,
            r.uses_left.map_or("unlimited".into(), |u| u.to_string()),
            r.description
        ));
    }
    s
}

fn kind(k: TokenKind) -> &'static str {
    match k {
        TokenKind::Join => "join",
        TokenKind::Admin => "admin",
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC` (days to civil date: Howard Hinnant's algorithm).
fn utc(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let (h, m) = ((secs % 86400) / 3600, (secs % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02} UTC")
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::utc(1_709_251_200 + 3660), "2024-03-01 01:01 UTC");
    }
}
