//! Diagnostics as `error: message`, then `┌─ file:line:col`, the source line and a caret.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};

use super::text;
use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

/// A source line longer than this is shown as a window around the error.
const MAX_LINE: usize = 200;

/// Renders diagnostics to text, followed by a count.
pub fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let config = Config::default();
    let mut out = String::new();
    for d in diags {
        let message = text::shorten(&d.kind.to_string(), text::MAX_MESSAGE).into_owned();
        let mut report = Report::error().with_message(message);
        // Each labelled file, with its long lines cut to a window around the labels.
        let mut files = SimpleFiles::new();
        if let Some(span) = d.span {
            let spans: Vec<_> = std::iter::once((span, d.label.clone().unwrap_or_default(), true))
                .chain(d.secondary.iter().map(|(s, m)| (*s, m.clone(), false)))
                .collect();
            let mut ids: Vec<(usize, usize)> = Vec::new();
            let mut labels = Vec::new();
            for (s, _, _) in &spans {
                if !ids.iter().any(|(f, _)| *f == s.file) {
                    ids.push((s.file, usize::MAX));
                }
            }
            for (file, id) in &mut ids {
                let ranges: Vec<Range<usize>> = spans
                    .iter()
                    .filter(|(s, _, _)| s.file == *file)
                    .map(|(s, _, _)| s.range())
                    .collect();
                let (cropped, mapped) = crop(sources.text(*file), &ranges);
                *id = files.add(sources.path(*file).display().to_string(), cropped);
                let mut mapped = mapped.into_iter();
                for (s, m, primary) in spans.iter().filter(|(s, _, _)| s.file == *file) {
                    let range = mapped.next().expect("one range per span");
                    let label = if *primary {
                        Label::primary(*id, range)
                    } else {
                        Label::secondary(*id, range)
                    };
                    labels.push((s.start, *primary, label.with_message(m.clone())));
                }
            }
            // The primary label first, as written.
            labels.sort_by_key(|(_, primary, _)| !*primary);
            report = report.with_labels(labels.into_iter().map(|(_, _, l)| l).collect());
        }
        if let Some(help) = &d.help {
            report = report.with_notes(vec![format!(
                "help: {}",
                text::shorten(help, text::MAX_MESSAGE)
            )]);
        }
        match term::emit_into_string(&config, &files, &report) {
            Ok(rendered) => out.push_str(&rendered),
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

/// One line of the cropped text: where it started before and after, and the part kept.
struct Line {
    old_start: usize,
    new_start: usize,
    /// The kept bytes, relative to the old line's start.
    keep: Range<usize>,
    /// Bytes added before the kept part (`…`).
    prefix: usize,
}

/// `text` with every line longer than [`MAX_LINE`] cut to a window (around the first range
/// that starts in it, else its beginning), and `ranges` moved to match.
fn crop(text: &str, ranges: &[Range<usize>]) -> (String, Vec<Range<usize>>) {
    if text.split('\n').all(|l| l.len() <= MAX_LINE) {
        return (text.to_string(), ranges.to_vec());
    }
    let mut out = String::with_capacity(text.len().min(1 << 20));
    let mut lines = Vec::new();
    let mut old_start = 0;
    for line in text.split('\n') {
        let new_start = out.len();
        if line.len() <= MAX_LINE {
            out.push_str(line);
            lines.push(Line {
                old_start,
                new_start,
                keep: 0..line.len(),
                prefix: 0,
            });
        } else {
            let anchor = ranges
                .iter()
                .map(|r| r.start)
                .find(|s| (old_start..=old_start + line.len()).contains(s))
                .map_or(0, |s| s - old_start);
            let mut from = anchor.saturating_sub(MAX_LINE / 4);
            while !line.is_char_boundary(from) {
                from -= 1;
            }
            let mut to = (from + MAX_LINE).min(line.len());
            while !line.is_char_boundary(to) {
                to -= 1;
            }
            let prefix = if from > 0 { "…" } else { "" };
            out.push_str(prefix);
            out.push_str(&line[from..to]);
            if to < line.len() {
                out.push('…');
            }
            lines.push(Line {
                old_start,
                new_start,
                keep: from..to,
                prefix: prefix.len(),
            });
        }
        out.push('\n');
        old_start += line.len() + 1;
    }
    out.pop();
    let map = |o: usize| {
        let i = lines
            .partition_point(|l| l.old_start <= o)
            .saturating_sub(1);
        let l = &lines[i];
        let rel = (o - l.old_start).clamp(l.keep.start, l.keep.end);
        l.new_start + l.prefix + rel - l.keep.start
    };
    let mapped = ranges
        .iter()
        .map(|r| map(r.start)..map(r.end).max(map(r.start)))
        .collect();
    (out, mapped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_around_the_label() {
        let line = format!("{}X{}", "a".repeat(5000), "b".repeat(5000));
        let text = format!("first\n{line}\nlast");
        let at = text.find('X').unwrap();
        let (cropped, mapped) = crop(&text, &[at..at + 1, 1..3]);
        assert!(cropped.len() < 400, "{}", cropped.len());
        assert_eq!(&cropped[mapped[0].clone()], "X");
        assert_eq!(&cropped[mapped[1].clone()], "ir");
        assert!(cropped.starts_with("first\n…a") && cropped.ends_with("b…\nlast"));
        let short = "a\nb";
        let one = [0..1, 2..3];
        assert_eq!(crop(short, &one), (short.to_string(), one.to_vec()));
    }
}
