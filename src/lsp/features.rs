//! Completion and go-to-definition, read off the document's text around the cursor.

use std::path::{Path, PathBuf};

use reqwest::Url;
use serde_json::{Value, json};

use super::Docs;
use super::position::{to_offset, to_position};
use crate::modules::Module;

/// Words that open an item or belong in every body.
const KEYWORDS: &[&str] = &[
    "play", "task", "block", "rescue", "always", "handler", "role", "vars", "import", "param",
    "secret",
];

/// Inside a module call's braces, that module's arguments; elsewhere modules, task settings,
/// keywords and the roles in reach.
pub(super) fn completion(docs: &Docs, params: &Value) -> Value {
    let Some((uri, text, offset)) = cursor(docs, params) else {
        return json!([]);
    };
    let item = |label: &str, kind: u8, detail: &str| json!({ "label": label, "kind": kind, "detail": detail });
    if let Some(module) = enclosing_call(text, offset).and_then(|n| Module::from_name(&n)) {
        let items: Vec<Value> = module
            .spec()
            .args
            .iter()
            .map(|a| {
                let detail = format!(
                    "{} argument{}",
                    module.name(),
                    if a.required { " (required)" } else { "" }
                );
                item(a.name, 5, &detail)
            })
            .collect();
        return json!(items);
    }
    let mut items: Vec<Value> = Module::all()
        .map(|m| item(m.name(), 3, "module"))
        .chain(crate::check::task_settings().map(|s| item(s, 10, "task setting")))
        .chain(KEYWORDS.iter().map(|k| item(k, 14, "keyword")))
        .collect();
    if let Ok(path) = uri.to_file_path() {
        for role in roles_in_reach(&path) {
            items.push(item(&role, 9, "role"));
        }
    }
    json!(items)
}

/// `role NAME` → the role's file; `import "FILE"` → the file; a handler's name in `notify`
/// → the handler in this document.
pub(super) fn definition(docs: &Docs, params: &Value) -> Value {
    let Some((uri, text, offset)) = cursor(docs, params) else {
        return Value::Null;
    };
    let Ok(path) = uri.to_file_path() else {
        return Value::Null;
    };
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text[line_start..line_end].trim_start();
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    if let Some(rest) = line.strip_prefix("role ") {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        return role_file(&path, &name).map_or(Value::Null, |f| location(&f, 0));
    }
    if let Some(rest) = line.strip_prefix("import ") {
        let file = rest.trim().trim_matches('"');
        // In a role, relative to the role's directory; in a play, to the play's.
        let base = role_dir_of(&path).unwrap_or(dir);
        let target = base.join(file);
        return if target.is_file() {
            location(&target, 0)
        } else {
            Value::Null
        };
    }
    if let Some(name) = string_at(text, offset) {
        let wanted = format!("handler \"{name}\"");
        if let Some(at) = text.find(&wanted) {
            return json!({ "uri": uri.as_str(), "range": { "start": to_position(text, at), "end": to_position(text, at + wanted.len()) } });
        }
    }
    Value::Null
}

fn cursor<'a>(docs: &'a Docs, params: &Value) -> Option<(Url, &'a str, usize)> {
    let uri = Url::parse(params["textDocument"]["uri"].as_str()?).ok()?;
    let text = docs.get(&uri)?;
    let offset = to_offset(text, &params["position"]);
    Some((uri, text.as_str(), offset))
}

fn location(file: &Path, line: u32) -> Value {
    match Url::from_file_path(std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf())) {
        Ok(u) => {
            json!({ "uri": u.as_str(), "range": { "start": { "line": line, "character": 0 }, "end": { "line": line, "character": 0 } } })
        }
        Err(()) => Value::Null,
    }
}

/// The name before the innermost `{` still open at `offset` (strings skipped).
fn enclosing_call(text: &str, offset: usize) -> Option<String> {
    let mut open: Vec<usize> = Vec::new();
    let mut in_string = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < offset.min(bytes.len()) {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'#' if !in_string => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'{' if !in_string => open.push(i),
            b'}' if !in_string => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    let brace = *open.last()?;
    let before = text[..brace].trim_end();
    let name: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The text of the one-line string the cursor is in.
fn string_at(text: &str, offset: usize) -> Option<String> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let quotes_before = text[line_start..offset].matches('"').count();
    if quotes_before.is_multiple_of(2) {
        return None;
    }
    let open = text[..offset].rfind('"')?;
    let close = offset + text[offset..].find('"')?;
    Some(text[open + 1..close].to_string())
}

/// The role directory a file belongs to (`roles/NAME/...`), if any.
fn role_dir_of(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .find(|d| d.join("main.eov").is_file() && d.parent().is_some_and(|p| p.ends_with("roles")))
        .map(Path::to_path_buf)
}

/// Where roles are looked for from this file: beside its role, then as a play looks.
fn search_dirs(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut dirs: Vec<PathBuf> = role_dir_of(path)
        .and_then(|r| r.parent().map(Path::to_path_buf))
        .into_iter()
        .collect();
    dirs.extend(crate::check::role_search_path(&dir, &[]));
    dirs
}

fn role_file(path: &Path, name: &str) -> Option<PathBuf> {
    search_dirs(path)
        .into_iter()
        .map(|d| d.join(name).join("main.eov"))
        .find(|f| f.is_file())
}

fn roles_in_reach(path: &Path) -> Vec<String> {
    crate::check::roles_in(&search_dirs(path))
}
