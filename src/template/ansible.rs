//! The filters, tests and lookups of Ansible that ported roles use, with Ansible's meaning:
//! dict and set operations, `comment`, regex tests and filters, `lookup('file'|'env'|'pipe')`
//! (the `ipaddr` family is in `network.rs`). docs/templates.md lists them with their differences.

use indexmap::IndexMap;
use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Value};

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn regex(pattern: &str) -> Result<regex::Regex, Error> {
    regex::Regex::new(pattern).map_err(|e| invalid(format!("invalid regex: {e}")))
}

fn map_of(v: &Value) -> Result<IndexMap<Value, Value>, Error> {
    if v.kind() != ValueKind::Map {
        return Err(invalid(format!("expected a map, got {} `{v}`", v.kind())));
    }
    Ok(v.try_iter()?
        .map(|k| {
            let item = v.get_item(&k).unwrap_or_default();
            (k, item)
        })
        .collect())
}

fn merge(base: &Value, over: &Value, recursive: bool) -> Result<Value, Error> {
    let mut out = map_of(base)?;
    for (k, v) in map_of(over)? {
        let merged = match out.get(&k) {
            Some(old)
                if recursive && old.kind() == ValueKind::Map && v.kind() == ValueKind::Map =>
            {
                merge(old, &v, true)?
            }
            _ => v,
        };
        out.insert(k, merged);
    }
    Ok(Value::from_object(out))
}

/// `a | combine(b, c, recursive=true)`: later maps win; nested maps merged when recursive.
fn combine(
    base: Value,
    others: minijinja::value::Rest<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let recursive = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let mut out = merge(
        &Value::from_object(IndexMap::<Value, Value>::new()),
        &base,
        recursive,
    )?;
    for o in others.iter() {
        // `combine([a, b])` takes a list of maps too.
        if o.kind() == ValueKind::Seq {
            for m in o.try_iter()? {
                out = merge(&out, &m, recursive)?;
            }
        } else {
            out = merge(&out, o, recursive)?;
        }
    }
    Ok(out)
}

fn items(v: &Value) -> Result<Vec<Value>, Error> {
    Ok(v.try_iter()?.collect())
}

fn unique(list: Vec<Value>) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for v in list {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Value::from(out)
}

fn difference(a: Value, b: Value) -> Result<Value, Error> {
    let b = items(&b)?;
    Ok(unique(
        items(&a)?.into_iter().filter(|v| !b.contains(v)).collect(),
    ))
}

fn intersect(a: Value, b: Value) -> Result<Value, Error> {
    let b = items(&b)?;
    Ok(unique(
        items(&a)?.into_iter().filter(|v| b.contains(v)).collect(),
    ))
}

fn union(a: Value, b: Value) -> Result<Value, Error> {
    let mut all = items(&a)?;
    all.extend(items(&b)?);
    Ok(unique(all))
}

fn symmetric_difference(a: Value, b: Value) -> Result<Value, Error> {
    let (a, b) = (items(&a)?, items(&b)?);
    let mut out: Vec<Value> = a.iter().filter(|v| !b.contains(v)).cloned().collect();
    out.extend(b.iter().filter(|v| !a.contains(v)).cloned());
    Ok(unique(out))
}

fn names(kwargs: &Kwargs) -> Result<(String, String), Error> {
    let key = kwargs
        .get::<Option<String>>("key_name")?
        .unwrap_or_else(|| "key".into());
    let value = kwargs
        .get::<Option<String>>("value_name")?
        .unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    Ok((key, value))
}

/// `{a: 1} | dict2items` -> `[{key: a, value: 1}]`.
fn dict2items(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let (key, value) = names(&kwargs)?;
    Ok(Value::from(
        map_of(&v)?
            .into_iter()
            .map(|(k, v)| Value::from_pairs(vec![(key.as_str(), k), (value.as_str(), v)]))
            .collect::<Vec<_>>(),
    ))
}

/// `[{key: a, value: 1}] | items2dict` -> `{a: 1}`.
fn items2dict(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let (key, value) = names(&kwargs)?;
    let mut out = IndexMap::new();
    for item in v.try_iter()? {
        let k = item.get_attr(&key)?;
        if k.is_undefined() {
            return Err(invalid(format!("an item has no `{key}`: {item}")));
        }
        out.insert(k, item.get_attr(&value)?);
    }
    Ok(Value::from_object(out))
}

/// `text | comment` -> `#\n# text\n#` (Ansible's default); `comment('c')` uses `//`,
/// `comment('cblock')` `/* */`, `comment('xml')` `<!-- -->`, `comment('erlang')` `%`.
fn comment(text: &str, style: Option<&str>) -> Result<String, Error> {
    let (begin, prefix, end) = match style.unwrap_or("plain") {
        "plain" => ("#", "# ", "#"),
        "c" => ("//", "// ", "//"),
        "cblock" => ("/*", " * ", " */"),
        "erlang" => ("%", "% ", "%"),
        "xml" => ("<!--", " - ", "-->"),
        other => return Err(invalid(format!("unknown comment style `{other}`"))),
    };
    let body: Vec<String> = text
        .lines()
        .map(|l| format!("{prefix}{l}").trim_end().to_string())
        .collect();
    Ok(format!("{begin}\n{}\n{end}", body.join("\n")))
}

fn regex_findall(s: &str, pattern: &str) -> Result<Value, Error> {
    let re = regex(pattern)?;
    Ok(Value::from(
        re.find_iter(s)
            .map(|m| m.as_str().to_string())
            .collect::<Vec<_>>(),
    ))
}

fn regex_escape(s: &str) -> String {
    regex::escape(s)
}

/// `x is search("re")`: the pattern matches somewhere.
fn search(s: &str, pattern: &str) -> Result<bool, Error> {
    Ok(regex(pattern)?.is_match(s))
}

/// `x is match("re")`: the pattern matches at the start (Python's `re.match`).
fn is_match(s: &str, pattern: &str) -> Result<bool, Error> {
    Ok(regex(&format!("^(?:{pattern})"))?.is_match(s))
}

/// Ansible's truthiness for strings: "yes", "on", "true", "1" are true, "no", "off",
/// "false", "0" and "" false; other values as Jinja sees them.
fn truthy(v: Value) -> bool {
    match v.as_str() {
        Some(s) => matches!(
            s.trim().to_lowercase().as_str(),
            "yes" | "on" | "true" | "1" | "y"
        ),
        None => v.is_true(),
    }
}

fn falsy(v: Value) -> bool {
    !truthy(v)
}

fn to_nice_json(v: Value, indent: Option<usize>) -> Result<String, Error> {
    let indent = " ".repeat(indent.unwrap_or(4));
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(&v, &mut ser).map_err(|e| invalid(e.to_string()))?;
    String::from_utf8(out).map_err(|e| invalid(e.to_string()))
}

fn mandatory(v: Value, msg: Option<&str>) -> Result<Value, Error> {
    if v.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            msg.unwrap_or("mandatory variable is not defined")
                .to_string(),
        ));
    }
    Ok(v)
}

/// `lookup('file', path)`, `lookup('env', name)`, `lookup('pipe', command)`: read on the
/// controller when the template renders (see docs/templates.md on what that means).
fn lookup(kind: &str, arg: &str, kwargs: Kwargs) -> Result<Value, Error> {
    let default: Option<Value> = kwargs.get("default")?;
    kwargs.assert_all_used()?;
    match kind {
        "file" => std::fs::read_to_string(arg)
            .map(|s| Value::from(s.strip_suffix('\n').unwrap_or(&s).to_string()))
            .or_else(|e| default.ok_or_else(|| invalid(format!("lookup('file'): `{arg}`: {e}")))),
        "env" => Ok(std::env::var(arg)
            .map(Value::from)
            .unwrap_or_else(|_| default.unwrap_or_else(|| Value::from("")))),
        "pipe" => {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(arg)
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| invalid(format!("lookup('pipe'): {e}")))?;
            if !out.status.success() {
                return Err(invalid(format!(
                    "lookup('pipe'): `{arg}` failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            let text = String::from_utf8_lossy(&out.stdout);
            Ok(Value::from(
                text.strip_suffix('\n').unwrap_or(&text).to_string(),
            ))
        }
        other => Err(invalid(format!(
            "unknown lookup `{other}` (eov has `file`, `env` and `pipe`)"
        ))),
    }
}

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("combine", combine);
    env.add_filter("difference", difference);
    env.add_filter("intersect", intersect);
    env.add_filter("union", union);
    env.add_filter("symmetric_difference", symmetric_difference);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("comment", comment);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_escape", regex_escape);
    env.add_filter("to_nice_json", to_nice_json);
    env.add_filter("mandatory", mandatory);
    super::network::register(env);
    env.add_filter("quote", |s: &str| crate::shell::quote(s));
    env.add_test("truthy", truthy);
    env.add_test("falsy", falsy);
    env.add_test("search", search);
    env.add_test("match", is_match);
    env.add_test("regex", search);
    env.add_function("lookup", lookup);
}

#[cfg(test)]
mod tests {
    use minijinja::context;

    fn eval(expr: &str) -> String {
        let t = crate::template::Templates::new();
        t.eval(expr, &context! {})
            .map(|v| v.to_string())
            .unwrap_or_else(|e| format!("error: {}", e.message))
    }

    #[test]
    fn ansible_filters() {
        assert_eq!(
            eval("{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}})"),
            "{'a': 1, 'b': {'y': 2}}"
        );
        assert_eq!(
            eval("{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}}, recursive=true)"),
            "{'a': 1, 'b': {'x': 1, 'y': 2}}"
        );
        assert_eq!(eval("[1, 2, 3, 2] | difference([2])"), "[1, 3]");
        assert_eq!(eval("[1, 2] | union([2, 3])"), "[1, 2, 3]");
        assert_eq!(eval("[1, 2] | intersect([2, 3])"), "[2]");
        assert_eq!(eval("[1, 2] | symmetric_difference([2, 3])"), "[1, 3]");
        assert_eq!(eval("{'a': 1} | dict2items"), "[{'key': 'a', 'value': 1}]");
        assert_eq!(
            eval("[{'k': 'a', 'v': 1}] | items2dict(key_name='k', value_name='v')"),
            "{'a': 1}"
        );
        assert_eq!(eval("'managed by eov' | comment"), "#\n# managed by eov\n#");
        assert_eq!(eval("'a1b22' | regex_findall('[0-9]+')"), "['1', '22']");
        assert_eq!(eval("'yes' is truthy"), "True");
        assert_eq!(eval("'off' is falsy"), "True");
        assert_eq!(eval("'server-12' is search('[0-9]+')"), "True");
        assert_eq!(eval("'server-12' is match('[0-9]+')"), "False");
        assert_eq!(eval("'11.8.0.0/24' | ipaddr(5)"), "11.8.0.5/24");
        assert_eq!(eval("'11.8.0.7/24' | ipaddr('network')"), "11.8.0.0");
        assert_eq!(eval("'11.8.0.7/24' | ipaddr('netmask')"), "255.255.255.0");
        assert_eq!(eval("'11.8.0.7/24' | ipaddr('address')"), "11.8.0.7");
        assert_eq!(eval("'11.8.0.7/24' | ipaddr('broadcast')"), "11.8.0.255");
        assert_eq!(eval("'nope' | ipaddr"), "False");
        assert_eq!(eval("['10.0.0.1', 'fd00::1', 'x'] | ipv4"), "['10.0.0.1']");
        assert_eq!(eval("'fd00::/64' | ipaddr(1)"), "fd00::1/64");
        assert_eq!(
            eval("lookup('env', 'EOV_SURELY_UNSET_VAR', default='d')"),
            "d"
        );
        assert_eq!(eval("lookup('pipe', 'echo hi')"), "hi");
        assert!(eval("lookup('nope', 'x')").starts_with("error: "));
    }
}
