//! `eov fmt [--check] PATH...`: every `.eov` file in its canonical layout
//! (see `syntax::format`).

use std::path::PathBuf;

use crate::cli::{FmtArgs, exit};
use crate::diff::FileDiff;
use crate::report;
use crate::source::SourceMap;

pub fn fmt(args: &FmtArgs) -> i32 {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut errors = Vec::new();
    for path in &args.paths {
        crate::check::collect_eov_files(path, &mut files, &mut errors);
    }
    let mut sources = SourceMap::default();
    let (mut changed, mut unchanged) = (Vec::new(), 0);
    for path in &files {
        let text = match crate::fsutil::read_text(path) {
            Ok(t) => t,
            Err(e) => {
                report::error(&format!("cannot read {}: {e}", path.display()));
                return exit::INVALID;
            }
        };
        let id = sources.add(path, text.clone());
        match crate::syntax::format::format(id, &text) {
            Err(d) => errors.push(d),
            Ok(out) if out == text => unchanged += 1,
            Ok(out) if args.check => {
                let diff = FileDiff {
                    before: Some(text),
                    after: Some(out),
                    ..FileDiff::new(&path.display().to_string())
                };
                report::stdout(&diff.unified().unwrap_or_default());
                changed.push(path.clone());
            }
            Ok(out) => {
                if let Err(e) = crate::fsutil::write_atomic(path, out.as_bytes()) {
                    report::error(&format!("cannot write {}: {e}", path.display()));
                    return exit::INTERNAL;
                }
                report::stdout(&format!("formatted {}\n", path.display()));
                changed.push(path.clone());
            }
        }
    }
    if !errors.is_empty() {
        report::stderr(&report::render_diagnostics(&errors, &sources));
    }
    let what = if args.check {
        "would be reformatted"
    } else {
        "reformatted"
    };
    report::stdout(&format!(
        "{} file{} {what}, {unchanged} already formatted{}\n",
        changed.len(),
        if changed.len() == 1 { "" } else { "s" },
        if errors.is_empty() {
            String::new()
        } else {
            format!(", {} with errors (left as they are)", errors.len())
        }
    ));
    if !errors.is_empty() {
        exit::INVALID
    } else if args.check && !changed.is_empty() {
        exit::FMT_CHECK
    } else {
        exit::OK
    }
}
