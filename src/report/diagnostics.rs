//! Diagnostics as `error: message`, then `┌─ file:line:col`, the source line and a caret.

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::term::{self, Config};

use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

/// Renders diagnostics to text, followed by a count.
pub fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let config = Config::default();
    let mut out = String::new();
    for d in diags {
        let mut report = Report::error().with_message(d.kind.to_string());
        if let Some(span) = d.span {
            let mut labels = vec![
                Label::primary(span.file, span.range())
                    .with_message(d.label.clone().unwrap_or_default()),
            ];
            labels.extend(
                d.secondary
                    .iter()
                    .map(|(s, m)| Label::secondary(s.file, s.range()).with_message(m.clone())),
            );
            report = report.with_labels(labels);
        }
        if let Some(help) = &d.help {
            report = report.with_notes(vec![format!("help: {help}")]);
        }
        match term::emit_into_string(&config, sources.files(), &report) {
            Ok(text) => out.push_str(&text),
            Err(_) => out.push_str(&format!("error: {}\n", d.kind)),
        }
    }
    let n = diags.len();
    out.push_str(&format!(
        "{n} error{} found\n",
        if n == 1 { "" } else { "s" }
    ));
    out
}
