//! What came back: status, headers, body.

use indexmap::IndexMap;

#[derive(Clone, Debug, Default)]
pub struct Response {
    pub status: u16,
    /// Lower-case names; a header given several times has its values joined by ", ".
    pub headers: IndexMap<String, String>,
    pub content: String,
}

impl Response {
    pub fn add_header(&mut self, name: &str, value: &str) {
        let name = name.to_ascii_lowercase();
        match self.headers.get_mut(&name) {
            Some(v) => {
                v.push_str(", ");
                v.push_str(value);
            }
            None => {
                self.headers.insert(name, value.to_string());
            }
        }
    }

    /// The body parsed, when the server says it is JSON (`application/json`,
    /// `application/vnd.grid5000.item+json`, ...).
    pub fn json(&self) -> Option<serde_json::Value> {
        let ct = self.headers.get("content-type")?;
        let essence = ct.split(';').next().unwrap_or_default().trim();
        if !(essence.ends_with("/json") || essence.ends_with("+json")) {
            return None;
        }
        serde_json::from_str(&self.content).ok()
    }

    /// The start of the body, on one line, for an error message.
    pub fn excerpt(&self) -> String {
        const MAX: usize = 300;
        let one_line: String = self
            .content
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        match one_line.char_indices().nth(MAX) {
            Some((i, _)) => format!("{}...", &one_line[..i]),
            None => one_line,
        }
    }
}
