//! INI values typed as Ansible types them: Python's `ast.literal_eval` on the raw text, with
//! Ansible's fallbacks. Ints, floats, `True`/`False`/`None`, strings (quoted, bytes, raw,
//! triple-quoted, adjacent ones joined), lists, tuples and sets (both become lists), dicts and
//! `set()`. Complex numbers and `...` become their text. Anything that is not a whole literal
//! (`invalid`, `host-01.internal`) stays the raw string, as in Ansible.
//!
//! One deliberate difference: lowercase `true`/`false` are booleans, as everywhere else in eov.

use indexmap::IndexMap;
use minijinja::Value;

/// Types one INI value.
pub(crate) fn typed(raw: &str) -> Value {
    let raw = raw.trim();
    match raw {
        "true" => return Value::from(true),
        "false" => return Value::from(false),
        _ => {}
    }
    let mut p = Parser { s: raw, i: 0 };
    match p.value() {
        Some(v) if p.at_end() => v,
        _ => Value::from(raw),
    }
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.i += rest.len() - rest.trim_start().len();
    }

    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.i == self.s.len()
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.i += token.len();
            true
        } else {
            false
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.rest().chars().next()
    }

    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            '[' => {
                self.i += 1;
                self.sequence(']').map(Value::from)
            }
            '(' => {
                self.i += 1;
                self.sequence(')').map(Value::from)
            }
            '{' => {
                self.i += 1;
                self.braces()
            }
            '.' if self.rest().starts_with("...") => {
                self.i += 3;
                Some(Value::from("..."))
            }
            '-' | '+' => {
                let negative = self.rest().starts_with('-');
                self.i += 1;
                self.skip_ws();
                let n = self.number()?;
                Some(if negative { negate(n)? } else { n })
            }
            c if c.is_ascii_digit() || c == '.' => self.number(),
            _ => {
                if let Some(s) = self.strings() {
                    return Some(Value::from(s));
                }
                let word = self.word();
                match word {
                    "True" => Some(Value::from(true)),
                    "False" => Some(Value::from(false)),
                    "None" => Some(Value::from(())),
                    "set" if self.eat("(") && self.eat(")") => {
                        Some(Value::from(Vec::<Value>::new()))
                    }
                    _ => None,
                }
            }
        }
    }

    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.i += len;
        &rest[..len]
    }

    /// Items up to `close`, with an optional trailing comma: `[1, 2]`, `(1,)`, `()`.
    fn sequence(&mut self, close: char) -> Option<Vec<Value>> {
        let mut items = Vec::new();
        loop {
            if self.eat(&close.to_string()) {
                return Some(items);
            }
            items.push(self.value()?);
            if !self.eat(",") {
                return self.eat(&close.to_string()).then_some(items);
            }
        }
    }

    /// `{}` (dict), `{k: v, ...}` (dict) or `{a, b}` (set, as a list without duplicates).
    fn braces(&mut self) -> Option<Value> {
        if self.eat("}") {
            return Some(Value::from_object(IndexMap::<Value, Value>::new()));
        }
        let first = self.value()?;
        if self.eat(":") {
            let mut map = IndexMap::new();
            map.insert(first, self.value()?);
            loop {
                if !self.eat(",") {
                    return self.eat("}").then(|| Value::from_object(map));
                }
                if self.eat("}") {
                    return Some(Value::from_object(map));
                }
                let k = self.value()?;
                if !self.eat(":") {
                    return None;
                }
                map.insert(k, self.value()?);
            }
        }
        let mut items = vec![first];
        loop {
            if !self.eat(",") {
                break;
            }
            if self.peek() == Some('}') {
                break;
            }
            let v = self.value()?;
            if !items.contains(&v) {
                items.push(v);
            }
        }
        self.eat("}").then(|| Value::from(items))
    }

    /// Decimal, hex, octal and binary integers, floats, and imaginary numbers (as text).
    fn number(&mut self) -> Option<Value> {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|&(at, c)| {
                let exp_sign = (c == '+' || c == '-')
                    && at > 0
                    && matches!(rest.as_bytes()[at - 1], b'e' | b'E')
                    && !rest[..at].starts_with("0x")
                    && !rest[..at].starts_with("0X");
                !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || exp_sign)
            })
            .map_or(rest.len(), |(at, _)| at);
        let text = &rest[..len];
        self.i += len;
        if text.contains("__") || text.ends_with('_') || text.starts_with('_') {
            return None;
        }
        let clean = text.replace('_', "");
        let lower = clean.to_ascii_lowercase();
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(digits) = lower.strip_prefix(prefix) {
                return i64::from_str_radix(digits, radix).ok().map(Value::from);
            }
        }
        if let Some(imag) = lower.strip_suffix('j') {
            let f: f64 = imag.parse().ok()?;
            return Some(Value::from(imaginary_text(f)));
        }
        let is_float = lower.contains(['.', 'e']);
        if !is_float {
            // Python rejects `01`: a leading zero is only allowed for zero itself.
            if lower.len() > 1 && lower.starts_with('0') && lower.bytes().any(|b| b != b'0') {
                return None;
            }
            return lower.parse::<i64>().ok().map(Value::from);
        }
        if !lower
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
        {
            return None;
        }
        lower.parse::<f64>().ok().map(Value::from)
    }

    /// One or more adjacent string literals, joined (Python joins `'a' 'b'`).
    fn strings(&mut self) -> Option<String> {
        let mut out = self.string()?;
        loop {
            let save = self.i;
            match self.string() {
                Some(s) => out.push_str(&s),
                None => {
                    self.i = save;
                    return Some(out);
                }
            }
        }
    }

    /// A string literal with optional `b`, `r`, `u` prefixes; bytes are read as text.
    fn string(&mut self) -> Option<String> {
        self.skip_ws();
        let start = self.i;
        let rest = self.rest();
        let prefix_len = rest.find(['\'', '"']).filter(|&n| n <= 2).filter(|&n| {
            let p = rest[..n].to_ascii_lowercase();
            matches!(p.as_str(), "" | "b" | "r" | "u" | "br" | "rb")
        })?;
        let raw = rest[..prefix_len].to_ascii_lowercase().contains('r');
        self.i += prefix_len;
        let rest = self.rest();
        let quote = &rest[..1];
        let triple = quote.repeat(3);
        let delim = if rest.starts_with(&triple) {
            triple.as_str()
        } else {
            quote
        };
        self.i += delim.len();
        let mut out = String::new();
        let body = self.rest();
        let mut chars = body.char_indices();
        while let Some((at, c)) = chars.next() {
            if body[at..].starts_with(delim) {
                self.i += at + delim.len();
                return Some(out);
            }
            match c {
                '\n' if delim.len() == 1 => break,
                '\\' if raw => {
                    out.push('\\');
                    if let Some((_, next)) = chars.next() {
                        out.push(next);
                    }
                }
                '\\' => {
                    let (_, e) = chars.next()?;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        'a' => out.push('\x07'),
                        'b' => out.push('\x08'),
                        'f' => out.push('\x0c'),
                        'v' => out.push('\x0b'),
                        '\\' | '\'' | '"' => out.push(e),
                        '\n' => {}
                        'x' | 'u' | 'U' => {
                            let n = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let mut hex = String::new();
                            for _ in 0..n {
                                hex.push(chars.next()?.1);
                            }
                            out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                        }
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                _ => out.push(c),
            }
        }
        self.i = start;
        None
    }
}

fn negate(v: Value) -> Option<Value> {
    if let Some(i) = v.as_i64() {
        return Some(Value::from(-i));
    }
    if let Some(s) = v.as_str() {
        // An imaginary number, kept as text.
        return Some(Value::from(format!("-{s}")));
    }
    f64::try_from(v).ok().map(|f| Value::from(-f))
}

/// Python's `str(complex(0, f))`: `1j`, `2.5j`.
fn imaginary_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{}j", f as i64)
    } else {
        format!("{f}j")
    }
}

#[cfg(test)]
mod tests {
    use super::typed;

    #[test]
    fn python_literals() {
        for (raw, json) in [
            ("1", "1"),
            ("-3", "-3"),
            ("0x1f", "31"),
            ("1_000", "1000"),
            ("1.2", "1.2"),
            ("1e3", "1000.0"),
            ("-2.5", "-2.5"),
            ("True", "true"),
            ("true", "true"),
            ("None", "null"),
            ("'a' \"b\"", r#""ab""#),
            (r"'a\tb'", r#""a\tb""#),
            ("b'x'", r#""x""#),
            (
                "[1, (2, 3), {4, 4}, {'a': None}, set()]",
                r#"[1,[2,3],[4],{"a":null},[]]"#,
            ),
            ("(1,)", "[1]"),
            ("()", "[]"),
            ("1j", r#""1j""#),
            ("...", r#""...""#),
            ("invalid", r#""invalid""#),
            ("host-01.internal", r#""host-01.internal""#),
            ("01", r#""01""#),
            ("[1, 2", r#""[1, 2""#),
            ("{'a': 1,}", r#"{"a":1}"#),
            ("'''x'''", r#""x""#),
            ("{}", "{}"),
        ] {
            assert_eq!(serde_json::to_string(&typed(raw)).unwrap(), json, "{raw}");
        }
    }
}
