//! The queries compile, and highlights.scm gives the captures an editor shows.

use std::collections::BTreeSet;

use tree_sitter::{Query, QueryCursor, StreamingIterator};

use crate::support::{eov_files, language, parse, relative};

fn query(source: &str) -> Query {
    Query::new(&language(), source).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_query_compiles() {
    for source in [
        tree_sitter_eov::HIGHLIGHTS_QUERY,
        tree_sitter_eov::INJECTIONS_QUERY,
        tree_sitter_eov::LOCALS_QUERY,
        tree_sitter_eov::FOLDS_QUERY,
        tree_sitter_eov::INDENTS_QUERY,
    ] {
        query(source);
    }
}

/// Every (capture, text) of highlights.scm over `text`.
fn captures(text: &str) -> BTreeSet<(String, String)> {
    let query = query(tree_sitter_eov::HIGHLIGHTS_QUERY);
    let tree = parse(text);
    assert!(
        !tree.root_node().has_error(),
        "{}",
        tree.root_node().to_sexp()
    );
    let mut cursor = QueryCursor::new();
    let mut found = BTreeSet::new();
    let mut captures = cursor.captures(&query, tree.root_node(), text.as_bytes());
    while let Some((m, i)) = captures.next() {
        let capture = m.captures()[*i];
        let name = query.capture_names()[capture.index as usize].to_string();
        found.insert((
            name,
            capture.node.utf8_text(text.as_bytes()).unwrap().to_string(),
        ));
    }
    found
}

const SAMPLE: &str = r#"# A play
import "common.eov"
play "web" on "all" {
  become = true
  vars { port = 443, ratio = 1.5, wait = 30s, none = null }
  role nginx { port = "{{ port }}" }
  task "install" for pkg in groups.web {
    apt { name = "a\nb", mode = 0o644 }
    when = "{% if x %}y{% endif %}"
  }
  block { task "t" { debug {} } } rescue { task "r" { debug {} } } always {}
  handler "reload" { service { name = secret "x" } }
}
role web {
  secret param password: str? = null
  param port: int = 80
}
"#;

#[test]
fn highlights_give_the_expected_captures() {
    let found = captures(SAMPLE);
    let want = [
        ("comment", "# A play"),
        ("keyword.import", "import"),
        ("keyword", "play"),
        ("keyword", "on"),
        ("keyword", "vars"),
        ("keyword", "role"),
        ("keyword", "task"),
        ("keyword", "block"),
        ("keyword", "handler"),
        ("keyword", "param"),
        ("keyword.exception", "rescue"),
        ("keyword.exception", "always"),
        ("keyword.repeat", "for"),
        ("keyword.repeat", "in"),
        ("keyword.modifier", "secret"),
        ("string", "\"web\""),
        ("string", "\"{{ port }}\""),
        ("string.escape", "\\n"),
        ("embedded", "{{ port }}"),
        ("punctuation.special", "{{"),
        ("punctuation.special", "}}"),
        ("punctuation.special", "{%"),
        ("number", "443"),
        ("number", "30s"),
        ("number", "0o644"),
        ("number.float", "1.5"),
        ("boolean", "true"),
        ("constant.builtin", "null"),
        ("property", "become"),
        ("property", "port"),
        ("function.call", "apt"),
        ("module", "nginx"),
        ("module", "web"),
        ("variable", "pkg"),
        ("variable", "groups.web"),
        ("variable.parameter", "password"),
        ("type", "str"),
        ("punctuation.special", "?"),
        ("punctuation.bracket", "{"),
        ("operator", "="),
    ];
    let missing: Vec<_> = want
        .iter()
        .filter(|(name, text)| !found.contains(&(name.to_string(), text.to_string())))
        .collect();
    assert!(
        missing.is_empty(),
        "missing captures {missing:?}\nfound {found:?}"
    );
}

/// Over every play and role shipped, every keyword of the file is captured as one.
#[test]
fn shipped_files_have_their_keywords_highlighted() {
    let files = eov_files(&["plays", "roles"]);
    assert!(!files.is_empty());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let found = captures(&text);
        let first = text
            .split_whitespace()
            .find(|w| *w == "play" || *w == "role");
        if let Some(word) = first {
            assert!(
                found.contains(&("keyword".to_string(), word.to_string())),
                "{}: `{word}` is not a keyword",
                relative(&path)
            );
        }
        assert!(
            found.iter().any(|(n, _)| n == "string"),
            "{}",
            relative(&path)
        );
    }
}

/// Helix names some captures its own way (`constant.numeric` for `number`, ...); its copy of
/// highlights.scm, queries/helix/highlights.scm, is highlights.scm with these renamed.
const HELIX_NAMES: &[(&str, &str)] = &[
    ("@number.float", "@constant.numeric.float"),
    ("@number", "@constant.numeric.integer"),
    ("@boolean", "@constant.builtin.boolean"),
    ("@string.escape", "@constant.character.escape"),
    ("@property", "@variable.other.member"),
    ("@module", "@namespace"),
    ("@function.call", "@function"),
    ("@keyword.exception", "@keyword.control.exception"),
    ("@keyword.import", "@keyword.control.import"),
    ("@keyword.repeat", "@keyword.control.repeat"),
    ("@keyword.modifier", "@keyword.storage.modifier"),
];

fn helix_highlights() -> String {
    let mut out = String::from(
        "; Generated from ../highlights.scm by tests/highlights.rs (EOV_TS_WRITE=1 cargo test):\n\
         ; Helix's capture names.\n\n",
    );
    for line in tree_sitter_eov::HIGHLIGHTS_QUERY.lines() {
        let mut line = line.to_string();
        for (from, to) in HELIX_NAMES {
            // Whole names only: `@number` is not the start of `@number.float` here.
            let ends = [" ", ")", "\n"];
            for end in ends {
                line = line.replace(&format!("{from}{end}"), &format!("{to}{end}"));
            }
            if line.ends_with(from) {
                line = format!("{}{to}", &line[..line.len() - from.len()]);
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn the_helix_highlights_are_highlights_scm_renamed() {
    let path = crate::support::here().join("queries/helix/highlights.scm");
    let want = helix_highlights();
    if std::env::var_os("EOV_TS_WRITE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let got = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "{} is out of date: run `EOV_TS_WRITE=1 cargo test` in editors/tree-sitter-eov",
        path.display()
    );
    query(&got);
}
