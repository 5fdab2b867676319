//! `eov check` on a document, its diagnostics as LSP diagnostics grouped by file.

use std::collections::HashMap;
use std::path::Path;

use reqwest::Url;
use serde_json::{Value, json};

use super::Docs;
use super::position::to_position;
use crate::check::Checker;

pub(super) fn check(docs: &Docs, path: &Path) -> HashMap<Url, Vec<Value>> {
    let mut checker = Checker::new(Vec::new());
    for (uri, text) in docs {
        if let Ok(p) = uri.to_file_path() {
            checker.overlay(&p, text.clone());
        }
    }
    checker.check_path(path);
    let errors = checker.take_errors();
    let mut out: HashMap<Url, Vec<Value>> = HashMap::new();
    for d in errors {
        let mut message = d.kind.to_string();
        if let Some(label) = &d.label {
            message.push_str(&format!(" ({label})"));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let (file, range) = match d.span {
            Some(span) => {
                let text = checker.sources.text(span.file);
                (
                    checker.sources.path(span.file).to_path_buf(),
                    json!({
                        "start": to_position(text, span.start),
                        "end": to_position(text, span.end.max(span.start)),
                    }),
                )
            }
            // Not located (a file that cannot be read): at the top of the document.
            None => (
                path.to_path_buf(),
                json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }),
            ),
        };
        let Some(uri) = std::fs::canonicalize(&file)
            .ok()
            .and_then(|f| Url::from_file_path(f).ok())
        else {
            continue;
        };
        out.entry(uri).or_default().push(json!({
            "range": range,
            "severity": 1,
            "source": "eov",
            "message": message,
        }));
    }
    out
}
