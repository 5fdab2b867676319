//! Host ranges as Ansible writes them: `www[01:50].example.com` (zero-padded like the start),
//! `db-[a:f]`, a stride `[1:9:2]`, several ranges in one name.

/// Expands every `[start:end(:stride)]` of a host name; a name without one is itself.
pub(crate) fn expand(name: &str) -> Result<Vec<String>, String> {
    let Some(open) = name.find('[') else {
        return Ok(vec![name.to_string()]);
    };
    let close = name[open..]
        .find(']')
        .map(|n| open + n)
        .ok_or_else(|| format!("host range in `{name}` lacks a closing `]`"))?;
    let (head, spec, tail) = (&name[..open], &name[open + 1..close], &name[close + 1..]);
    let parts: Vec<&str> = spec.split(':').collect();
    let (start, end, stride) = match parts.as_slice() {
        [s, e] => (*s, *e, "1"),
        [s, e, st] => (*s, *e, *st),
        _ => {
            return Err(format!(
                "host range `[{spec}]` in `{name}` is not `[start:end]`"
            ));
        }
    };
    let bad = |why: &str| format!("host range `[{spec}]` in `{name}`: {why}");
    let stride: usize = stride
        .parse()
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| bad("the stride must be a positive number"))?;
    let items: Vec<String> = if let (Ok(a), Ok(b)) = (start.parse::<u64>(), end.parse::<u64>()) {
        if a > b {
            return Err(bad("the start is after the end"));
        }
        let width = if start.len() > 1 && start.starts_with('0') {
            start.len()
        } else {
            0
        };
        (a..=b)
            .step_by(stride)
            .map(|i| format!("{i:0width$}"))
            .collect()
    } else {
        let letter = |s: &str| {
            let mut cs = s.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => Some(c),
                _ => None,
            }
        };
        let (Some(a), Some(b)) = (letter(start), letter(end)) else {
            return Err(bad("use numbers or single letters"));
        };
        if a > b {
            return Err(bad("the start is after the end"));
        }
        (a..=b).step_by(stride).map(String::from).collect()
    };
    // The leftmost range varies slowest, as Ansible lists them.
    let tails = expand(tail)?;
    let mut out = Vec::new();
    for item in &items {
        for rest in &tails {
            out.push(format!("{head}{item}{rest}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn ranges() {
        assert_eq!(expand("web").unwrap(), ["web"]);
        assert_eq!(
            expand("www[01:03].x").unwrap(),
            ["www01.x", "www02.x", "www03.x"]
        );
        assert_eq!(expand("n[1:5:2]").unwrap(), ["n1", "n3", "n5"]);
        assert_eq!(expand("db-[a:c]").unwrap(), ["db-a", "db-b", "db-c"]);
        assert_eq!(
            expand("r[1:2]c[a:b]").unwrap(),
            ["r1ca", "r1cb", "r2ca", "r2cb"]
        );
        assert!(expand("n[5:1]").is_err());
        assert!(expand("n[1:x]").is_err());
        assert!(expand("n[1:2").is_err());
    }
}
