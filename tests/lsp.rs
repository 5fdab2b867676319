//! `eov lsp` through the binary, spoken to as an editor does: the handshake, diagnostics on
//! open and after an edit (of the unsaved buffer), completion of modules and of a module's
//! arguments, go-to-definition of a role and of a handler, shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

use crate::support::{EOV, Test};

struct Editor {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Editor {
    fn start(dir: &std::path::Path) -> Editor {
        let mut child = Command::new(EOV)
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Editor {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn receive(&mut self) -> Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "eov lsp closed its output"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                len = n.parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// The next message that satisfies `wanted` (diagnostics of other files may come first).
    fn until(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..50 {
            let m = self.receive();
            if wanted(&m) {
                return m;
            }
        }
        panic!("no such message from eov lsp");
    }

    fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.until(|m| m["id"] == id)
    }

    fn diagnostics_of(&mut self, uri: &str) -> Vec<Value> {
        let m = self.until(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"].as_array().unwrap().clone()
    }
}

#[test]
fn an_editor_gets_diagnostics_completion_and_definitions() {
    let t = Test::new();
    t.file(
        "roles/web/main.eov",
        "role web {\n  param port: int = 80\n  task \"t\" { debug { msg = \"{{ port }}\" } }\n}\n",
    );
    let bad = "play \"p\" on \"all\" {\n  role web\n  task \"copy it\" {\n    copyy { dest = \"/tmp/x\" }\n    notify = \"restart\"\n  }\n  handler \"restart\" { debug { msg = \"r\" } }\n}\n";
    t.file("site.eov", bad);
    let dir = std::fs::canonicalize(t.path()).unwrap();
    let uri = format!("file://{}/site.eov", dir.display());
    let mut ed = Editor::start(&dir);
    let init = ed.request(
        1,
        "initialize",
        json!({ "capabilities": {}, "rootUri": format!("file://{}", dir.display()) }),
    );
    assert_eq!(
        init["result"]["capabilities"]["definitionProvider"], true,
        "{init}"
    );
    ed.send(json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }));

    ed.send(
        json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": { "uri": uri, "languageId": "eov", "version": 1, "text": bad } } }),
    );
    let diags = ed.diagnostics_of(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown module `copyy`"),
        "{diags:?}"
    );
    assert_eq!(
        diags[0]["range"]["start"],
        json!({ "line": 3, "character": 4 })
    );
    assert!(
        diags[0]["message"].as_str().unwrap().contains("copy"),
        "a suggestion: {diags:?}"
    );

    // The unsaved buffer, fixed: no diagnostic left.
    let fixed = bad.replace("copyy {", "copy { content = \"x\", ");
    ed.send(
        json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] } }),
    );
    assert_eq!(ed.diagnostics_of(&uri), Vec::<Value>::new());
    assert_eq!(
        t.read("site.eov"),
        bad,
        "the file on disk is the editor's business"
    );

    // Inside `copy { ... }`: its arguments; elsewhere: modules, settings, roles.
    let in_copy = ed.request(
        2,
        "textDocument/completion",
        json!({
        "textDocument": { "uri": uri }, "position": { "line": 3, "character": 11 } }),
    );
    let labels = |v: &Value| -> Vec<String> {
        v["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let args = labels(&in_copy);
    assert!(
        args.contains(&"dest".to_string()) && args.contains(&"mode".to_string()),
        "{args:?}"
    );
    assert!(!args.contains(&"lineinfile".to_string()), "{args:?}");
    let anywhere = labels(&ed.request(
        3,
        "textDocument/completion",
        json!({
        "textDocument": { "uri": uri }, "position": { "line": 1, "character": 0 } }),
    ));
    for want in ["lineinfile", "when", "register", "web", "task"] {
        assert!(anywhere.contains(&want.to_string()), "{want}: {anywhere:?}");
    }

    // `role web` leads to its file; the handler's name in `notify` to the handler.
    let role = ed.request(
        4,
        "textDocument/definition",
        json!({
        "textDocument": { "uri": uri }, "position": { "line": 1, "character": 8 } }),
    );
    assert_eq!(
        role["result"]["uri"],
        format!("file://{}/roles/web/main.eov", dir.display()),
        "{role}"
    );
    let handler = ed.request(
        5,
        "textDocument/definition",
        json!({
        "textDocument": { "uri": uri }, "position": { "line": 4, "character": 16 } }),
    );
    assert_eq!(
        handler["result"]["range"]["start"],
        json!({ "line": 6, "character": 2 }),
        "{handler}"
    );

    let down = ed.request(6, "shutdown", Value::Null);
    assert!(down.get("error").is_none(), "{down}");
    ed.send(json!({ "jsonrpc": "2.0", "method": "exit" }));
    drop(ed.stdin);
    let status = ed.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
