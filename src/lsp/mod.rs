//! `eov lsp`: a language server over stdio for editors. Diagnostics are `eov check`'s (on
//! open, on every change, on save: unsaved buffers are checked as they are), completion offers
//! modules, task settings and the roles in reach, go-to-definition follows `role NAME`,
//! `import "FILE"` and a handler's name in `notify`.
//!
//! lsp-server (rust-analyzer's) does the framing and the handshake; messages are handled as
//! JSON here, so no protocol-types crate pins the LSP version.

mod diagnostics;
mod features;
mod position;

use std::collections::{HashMap, HashSet};

use lsp_server::{Connection, ErrorCode, Message, Notification, Response};
use reqwest::Url;
use serde_json::{Value, json};

use crate::cli::exit;
use crate::report;

/// Open documents: their URI and current text.
type Docs = HashMap<Url, String>;

pub fn run() -> i32 {
    let (conn, io) = Connection::stdio();
    let capabilities = json!({
        "textDocumentSync": { "openClose": true, "change": 1, "save": true },
        "completionProvider": {},
        "definitionProvider": true,
    });
    if let Err(e) = conn.initialize(capabilities) {
        report::error(&format!("eov lsp: the editor's handshake failed: {e}"));
        return exit::USAGE;
    }
    let mut docs = Docs::new();
    // Files given diagnostics last time, to clear those that have none now.
    let mut flagged: HashSet<Url> = HashSet::new();
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                match conn.handle_shutdown(&req) {
                    Ok(true) => break,
                    Ok(false) => {}
                    Err(e) => {
                        report::error(&format!("eov lsp: {e}"));
                        return exit::INTERNAL;
                    }
                }
                let response = match req.method.as_str() {
                    "textDocument/completion" => {
                        Response::new_ok(req.id, features::completion(&docs, &req.params))
                    }
                    "textDocument/definition" => {
                        Response::new_ok(req.id, features::definition(&docs, &req.params))
                    }
                    other => Response::new_err(
                        req.id,
                        ErrorCode::MethodNotFound as i32,
                        format!("eov lsp does not answer `{other}`"),
                    ),
                };
                if conn.sender.send(Message::Response(response)).is_err() {
                    break;
                }
            }
            Message::Notification(n) => {
                let uri = document_uri(&n.params);
                match (n.method.as_str(), uri) {
                    ("textDocument/didOpen", Some(uri)) => {
                        let text = n.params["textDocument"]["text"].as_str().unwrap_or("");
                        docs.insert(uri.clone(), text.to_string());
                        publish(&conn, &docs, &uri, &mut flagged);
                    }
                    ("textDocument/didChange", Some(uri)) => {
                        // Full sync: the last change holds the whole text.
                        if let Some(text) = n.params["contentChanges"]
                            .as_array()
                            .and_then(|c| c.last())
                            .and_then(|c| c["text"].as_str())
                        {
                            docs.insert(uri.clone(), text.to_string());
                        }
                        publish(&conn, &docs, &uri, &mut flagged);
                    }
                    ("textDocument/didSave", Some(uri)) => {
                        publish(&conn, &docs, &uri, &mut flagged)
                    }
                    ("textDocument/didClose", Some(uri)) => {
                        docs.remove(&uri);
                    }
                    ("exit", _) => break,
                    _ => {}
                }
            }
            Message::Response(_) => {}
        }
    }
    drop(conn);
    match io.join() {
        Ok(()) => exit::OK,
        Err(e) => {
            report::error(&format!("eov lsp: {e}"));
            exit::INTERNAL
        }
    }
}

fn document_uri(params: &Value) -> Option<Url> {
    params["textDocument"]["uri"]
        .as_str()
        .and_then(|u| Url::parse(u).ok())
}

/// Checks the document and sends each file's diagnostics (the document's own, and those of
/// the roles and files it reaches), clearing files that had some and have none now.
fn publish(conn: &Connection, docs: &Docs, uri: &Url, flagged: &mut HashSet<Url>) {
    let Ok(path) = uri.to_file_path() else {
        return;
    };
    let mut by_file = diagnostics::check(docs, &path);
    // The document under the name the editor gave it (the check names files by real path).
    if let Some(real) = std::fs::canonicalize(&path)
        .ok()
        .and_then(|p| Url::from_file_path(p).ok())
        .filter(|real| real != uri)
        && let Some(own) = by_file.remove(&real)
    {
        by_file.entry(uri.clone()).or_default().extend(own);
    }
    let mut now: HashSet<Url> = by_file.keys().cloned().collect();
    now.insert(uri.clone());
    for u in flagged.iter().filter(|u| !now.contains(*u)) {
        send_diagnostics(conn, u, Vec::new());
    }
    for u in &now {
        send_diagnostics(conn, u, by_file.get(u).cloned().unwrap_or_default());
    }
    *flagged = by_file.into_keys().collect();
}

fn send_diagnostics(conn: &Connection, uri: &Url, diagnostics: Vec<Value>) {
    let note = Notification::new(
        "textDocument/publishDiagnostics".into(),
        json!({ "uri": uri.as_str(), "diagnostics": diagnostics }),
    );
    let _ = conn.sender.send(Message::Notification(note));
}
