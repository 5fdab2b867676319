//! test/corpus/*.txt, in tree-sitter's format (`tree-sitter test` reads the same files):
//! each case's input parses to its tree (field names aside), or with an error if `:error`.

use crate::support::{first_error, here, parse};

struct Case {
    file: String,
    name: String,
    error: bool,
    input: String,
    expected: String,
}

fn is_rule(line: &str, c: char) -> bool {
    line.len() >= 3 && line.chars().all(|x| x == c)
}

fn cases() -> Vec<Case> {
    let mut found = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(here().join("test/corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            if !is_rule(lines[i], '=') {
                i += 1;
                continue;
            }
            // ==== / name / [:attributes] / ====
            let name = lines[i + 1].trim().to_string();
            let mut j = i + 2;
            let mut error = false;
            while !is_rule(lines[j], '=') {
                error |= lines[j].trim() == ":error";
                j += 1;
            }
            let start = j + 1;
            let mut k = start;
            while !is_rule(lines[k], '-') {
                k += 1;
            }
            let mut end = k + 1;
            while end < lines.len() && !is_rule(lines[end], '=') {
                end += 1;
            }
            found.push(Case {
                file: file.clone(),
                name,
                error,
                input: lines[start..k].join("\n").trim().to_string() + "\n",
                expected: lines[k + 1..end].join("\n"),
            });
            i = end;
        }
    }
    found
}

/// One line of S-expression, without field names (`name: `).
fn normalize(sexp: &str) -> String {
    sexp.split_whitespace()
        .filter(|w| !(w.ends_with(':') && !w.contains('(') && !w.contains(')')))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn corpus_cases_parse_to_their_trees() {
    let cases = cases();
    assert!(cases.len() >= 10, "only {} corpus cases found", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let tree = parse(&case.input);
        let error = first_error(&tree);
        let label = format!("{}: {}", case.file, case.name);
        if case.error {
            if error.is_none() {
                failures.push(format!("{label}: parsed without an error"));
            }
            continue;
        }
        if let Some(error) = error {
            failures.push(format!("{label}: {error}"));
            continue;
        }
        let got = normalize(&tree.root_node().to_sexp());
        let want = normalize(&case.expected);
        if got != want {
            failures.push(format!("{label}:\n  want {want}\n  got  {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
