//! Durations as the language writes them (`250ms`, `30s`, `5m`, `2h`, `1d`): read by the
//! parser for literals and by modules for rendered arguments.

use std::time::Duration;

/// `30s` -> 30 seconds: digits then a unit (`ms`, `s`, `m`, `h`, `d`); `None` otherwise or
/// if it overflows.
pub fn parse(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = text[..split].parse().ok()?;
    let millis = match &text[split..] {
        "ms" => Some(n),
        "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        _ => None,
    }?;
    Some(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    #[test]
    fn units() {
        assert_eq!(super::parse("250ms").unwrap().as_millis(), 250);
        assert_eq!(super::parse("2h").unwrap().as_secs(), 7200);
        assert_eq!(super::parse("1d").unwrap().as_secs(), 86_400);
        assert!(super::parse("5x").is_none());
        assert!(super::parse("s").is_none());
    }
}
