//! Keeps this grammar and grammar/eov.pest (the grammar eov parses with) in step:
//! - every `.eov` file of the repository parses alike with both (pest runs the grammar file
//!   itself, through pest_vm), and the fixtures that are meant to be syntax errors are
//!   listed with what is wrong in them;
//! - generated strings and values parse alike with both;
//! - every pest rule has a counterpart here (or a reason why none), every named node here
//!   has one in pest (or a reason), and every keyword of pest is a token here.

use std::collections::BTreeSet;

use crate::support::{eov_files, first_error, here, language, parse, relative, repo};

/// The fixtures pest refuses (`eov check` says "syntax error"), and what is wrong in each.
/// Every other fixture under tests/fixtures/bad is well formed and wrong only in what it
/// means (unknown module, wrong type, ...): both grammars take it.
const SYNTAX_ERRORS: &[(&str, &str)] = &[
    (
        "tests/fixtures/bad/01_unclosed_play.eov",
        "a play without its closing `}`",
    ),
    (
        "tests/fixtures/bad/02_missing_on.eov",
        "no `on` between the name and the hosts",
    ),
    (
        "tests/fixtures/bad/03_misspelled_play.eov",
        "`plya` for `play`",
    ),
    (
        "tests/fixtures/bad/04_missing_equals.eov",
        "`port 80` without `=`",
    ),
    (
        "tests/fixtures/bad/05_bad_escape.eov",
        "the unknown escape `\\q`",
    ),
    (
        "tests/fixtures/bad/07_unknown_duration_unit.eov",
        "`10y`: no such duration unit",
    ),
];

/// Where the repository keeps `.eov` files.
const DIRS: &[&str] = &["plays", "roles", "tests/fixtures", "bench", "examples"];

struct Pest(pest_vm::Vm);

impl Pest {
    fn load() -> Pest {
        let path = repo().join("grammar/eov.pest");
        let text = std::fs::read_to_string(&path).unwrap();
        let (_, rules) = pest_meta::parse_and_optimize(&text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        Pest(pest_vm::Vm::new(rules))
    }

    fn accepts(&self, text: &str) -> bool {
        self.0.parse("file", text).is_ok()
    }
}

#[test]
fn every_eov_file_parses_alike_with_both_grammars() {
    let pest = Pest::load();
    let files = eov_files(DIRS);
    assert!(files.len() >= 50, "only {} .eov files found", files.len());
    let mut failures = Vec::new();
    let mut refused = BTreeSet::new();
    for path in &files {
        let name = relative(path);
        let text = std::fs::read_to_string(path).unwrap();
        let tree_sitter = first_error(&parse(&text));
        if pest.accepts(&text) {
            if let Some(error) = tree_sitter {
                failures.push(format!("{name}: pest takes it, tree-sitter finds {error}"));
            }
        } else {
            refused.insert(name.clone());
            if !SYNTAX_ERRORS.iter().any(|(f, _)| *f == name) {
                failures.push(format!(
                    "{name}: pest refuses it; list it in SYNTAX_ERRORS with what is wrong"
                ));
            }
            if tree_sitter.is_none() {
                failures.push(format!("{name}: pest refuses it, tree-sitter takes it"));
            }
        }
    }
    for (file, _) in SYNTAX_ERRORS {
        if !refused.contains(*file) {
            failures.push(format!(
                "{file}: listed in SYNTAX_ERRORS, but pest takes it"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A small deterministic generator (xorshift).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Up to `max` pieces, end to end.
    fn glue(&mut self, pieces: &[&str], max: u64) -> String {
        let n = self.next() % (max + 1);
        (0..n)
            .map(|_| pieces[(self.next() % pieces.len() as u64) as usize])
            .collect()
    }
}

fn alike(pest: &Pest, texts: impl Iterator<Item = String>) -> Vec<String> {
    let mut failures = Vec::new();
    for text in texts {
        let by_pest = pest.accepts(&text);
        let by_tree_sitter = first_error(&parse(&text)).is_none();
        if by_pest != by_tree_sitter {
            failures.push(format!(
                "pest {}, tree-sitter {}: {text:?}",
                if by_pest { "takes" } else { "refuses" },
                if by_tree_sitter { "takes" } else { "refuses" },
            ));
        }
    }
    failures
}

/// How many cases to generate: `n`, or `EOV_TS_CASES` (for a longer search by hand).
fn cases(n: usize) -> usize {
    std::env::var("EOV_TS_CASES").map_or(n, |v| v.parse().unwrap())
}

fn in_play(value: &str) -> String {
    format!("play \"p\" on \"all\" {{\n  vars {{ x = {value} }}\n}}\n")
}

#[test]
fn generated_strings_parse_alike_with_both_grammars() {
    let pest = Pest::load();
    let short = [
        "a",
        " ",
        "\t",
        "{",
        "}",
        "{{",
        "}}",
        "{%",
        "%}",
        "%",
        "{#",
        "#}",
        "#",
        "\\\"",
        "\\\\",
        "\\n",
        "\\u{1F600}",
        "\\u{}",
        "\\q",
        "\\",
        "\"",
        "\n",
        "'",
    ];
    let long = [
        "a", " ", "\t", "\n", "{", "}", "{{", "}}", "{%", "%}", "%", "{#", "#}", "#", "\"", "\"\"",
        "\\", "\\n",
    ];
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut texts = Vec::new();
    for _ in 0..cases(1500) {
        texts.push(in_play(&format!("\"{}\"", random.glue(&short, 8))));
        texts.push(in_play(&format!("\"\"\"{}\"\"\"", random.glue(&long, 8))));
    }
    let failures = alike(&pest, texts.into_iter());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn generated_values_parse_alike_with_both_grammars() {
    let pest = Pest::load();
    let pieces = [
        "-", "0", "7", "12", ".", "5", "o", "ms", "s", "m", "h", "d", "x", "_", "true", "false",
        "null", "secret", "\"a\"", "[", "]", ",",
    ];
    let mut random = Random(0x2545_F491_4F6C_DD1D);
    let texts = (0..cases(3000)).map(|_| in_play(&random.glue(&pieces, 5)));
    let failures = alike(&pest, texts);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Where the two grammars part, on purpose or as pest's own quirks, each with the
/// grammar that takes it. A difference that goes away (pest's grammar changed, say) fails
/// here: remove it from the list, and from README.md.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "tree-sitter",
        "play \"p\" on \"all\" { vars { a = 5b = 1 } }",
        "a number must not run into a name in pest (`5b`); here it ends the number",
    ),
    (
        "pest",
        "play \"p\" on \"all\" { block {} rescue = 1 }",
        "pest backtracks to read a setting named `rescue` after a block; here `rescue` starts the block's rescue",
    ),
];

#[test]
fn known_differences_are_still_the_differences() {
    let pest = Pest::load();
    let mut failures = Vec::new();
    for (taker, text, why) in KNOWN_DIFFERENCES {
        let by_pest = pest.accepts(text);
        let by_tree_sitter = first_error(&parse(text)).is_none();
        let expected = (*taker == "pest", *taker == "tree-sitter");
        if (by_pest, by_tree_sitter) != expected {
            failures.push(format!(
                "{text:?} ({why}): pest takes it: {by_pest}, tree-sitter: {by_tree_sitter}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What stands for a pest rule in this grammar.
enum Counterpart {
    /// A named node.
    Node(&'static str),
    /// A hidden rule of grammar.js (its children stand in the parent).
    Hidden(&'static str),
    /// An anonymous token.
    Token(&'static str),
    /// No node of its own, and why.
    Within(&'static str),
}

use Counterpart::*;

/// Every rule of grammar/eov.pest and its counterpart here.
const PEST_RULES: &[(&str, Counterpart)] = &[
    (
        "WHITESPACE",
        Within("the extras of grammar.js: space, tab, CR, LF"),
    ),
    ("COMMENT", Node("comment")),
    ("file", Node("source_file")),
    ("import", Node("import")),
    ("play", Node("play")),
    ("play_item", Hidden("_play_item")),
    ("kw_on", Token("on")),
    ("kw_role", Token("role")),
    ("kw_param", Token("param")),
    ("kw_for", Token("for")),
    ("kw_in", Token("in")),
    ("vars_block", Node("vars_block")),
    ("tasks_import", Node("tasks_import")),
    ("role_use", Node("role_use")),
    ("role_def", Node("role_def")),
    ("role_item", Hidden("_role_item")),
    ("param", Node("param")),
    ("secret_kw", Token("secret")),
    ("type_name", Node("type_name")),
    ("task", Node("task")),
    ("loop_clause", Node("loop_clause")),
    (
        "loop_source",
        Within("the `source` field of loop_clause: list, string or path_expr"),
    ),
    ("path_expr", Node("path_expr")),
    ("task_item", Hidden("_task_item")),
    ("module_call", Node("module_call")),
    ("handler", Node("handler")),
    ("block", Node("block")),
    ("block_item", Hidden("_block_item")),
    ("rescue", Node("rescue")),
    ("always", Node("always")),
    ("attr", Node("attr")),
    ("value", Hidden("_value")),
    ("secret", Node("secret")),
    ("map", Node("map")),
    ("entry", Node("entry")),
    (
        "key",
        Within("the `key` field of entry: identifier or string"),
    ),
    ("list", Node("list")),
    ("string", Node("string")),
    ("long_string", Token("\"\"\"")),
    ("long_body", Node("string_content")),
    ("short_string", Token("\"")),
    ("short_body", Node("string_content")),
    ("escape", Node("escape_sequence")),
    ("duration", Node("duration")),
    ("mode", Node("mode")),
    ("float", Node("float")),
    ("int", Node("integer")),
    ("boolean", Node("boolean")),
    ("null", Node("null")),
    ("ident", Node("identifier")),
    (
        "ident_char",
        Within("a character class of the identifier, path_expr and number tokens"),
    ),
];

/// The named nodes here that pest has no rule for, and why.
const TREE_SITTER_ONLY: &[(&str, &str)] = &[
    (
        "jinja_expression",
        "a `{{ }}` in a string: eov reads strings whole, minijinja renders",
    ),
    (
        "jinja_statement",
        "a `{% %}` in a string, as jinja_expression",
    ),
    (
        "jinja_comment",
        "a `{# #}` in a string, as jinja_expression",
    ),
    (
        "jinja_text",
        "the text of a jinja_expression, jinja_statement or jinja_comment",
    ),
];

fn pest_rule_names() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("grammar/eov.pest")).unwrap();
    let (_, rules) = pest_meta::parse_and_optimize(&text).unwrap();
    rules.into_iter().map(|r| r.name).collect()
}

#[test]
fn every_pest_rule_has_a_counterpart() {
    let language = language();
    let grammar_js = std::fs::read_to_string(here().join("grammar.js")).unwrap();
    let pest: BTreeSet<String> = pest_rule_names().into_iter().collect();
    let mut failures = Vec::new();
    for rule in &pest {
        if !PEST_RULES.iter().any(|(r, _)| r == rule) {
            failures.push(format!(
                "pest rule `{rule}` has no counterpart: add it to grammar.js and to PEST_RULES"
            ));
        }
    }
    for (rule, counterpart) in PEST_RULES {
        if !pest.contains(*rule) {
            failures.push(format!(
                "PEST_RULES names `{rule}`, which grammar/eov.pest lacks"
            ));
        }
        let found = match counterpart {
            Node(kind) => language.id_for_node_kind(kind, true) != 0,
            Hidden(rule) => grammar_js.contains(&format!("\n    {rule}: (")),
            Token(text) => language.id_for_node_kind(text, false) != 0,
            Within(why) => !why.is_empty(),
        };
        if !found {
            failures.push(format!("`{rule}`: its counterpart is not in this grammar"));
        }
    }
    // The other way: a named node needs a pest rule, or a reason.
    for id in 0..language.node_kind_count() as u16 {
        if !language.node_kind_is_named(id) || !language.node_kind_is_visible(id) {
            continue;
        }
        let kind = language.node_kind_for_id(id).unwrap();
        let mapped = PEST_RULES
            .iter()
            .any(|(_, c)| matches!(c, Node(k) if *k == kind));
        let listed = TREE_SITTER_ONLY.iter().any(|(k, _)| *k == kind);
        if !mapped && !listed {
            failures.push(format!(
                "node `{kind}` has no pest rule: map one in PEST_RULES or list it in TREE_SITTER_ONLY"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Words spelled out in grammar/eov.pest that are parts of a token here, not tokens.
const NOT_KEYWORDS: &[(&str, &str)] = &[
    ("ms", "a duration unit, in the duration token"),
    ("s", "a duration unit"),
    ("m", "a duration unit"),
    ("h", "a duration unit"),
    ("d", "a duration unit"),
    ("n", "an escape, in the escape_sequence token"),
    ("t", "an escape"),
    ("r", "an escape"),
];

#[test]
fn every_pest_keyword_is_a_token() {
    let language = language();
    let text = std::fs::read_to_string(repo().join("grammar/eov.pest")).unwrap();
    let mut words = BTreeSet::new();
    for line in text.lines() {
        // The string literals of the line, `\"` kept inside; a `//` comment ends it.
        let mut chars = line.chars();
        let mut previous = ' ';
        while let Some(c) = chars.next() {
            if c == '/' && previous == '/' {
                break;
            }
            previous = c;
            if c != '"' {
                continue;
            }
            let mut literal = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => literal.extend(chars.next()),
                    c => literal.push(c),
                }
            }
            if !literal.is_empty() && literal.chars().all(|c| c.is_ascii_lowercase()) {
                words.insert(literal);
            }
        }
    }
    assert!(
        words.contains("play") && words.contains("rescue"),
        "{words:?}"
    );
    let missing: Vec<_> = words
        .iter()
        .filter(|w| !NOT_KEYWORDS.iter().any(|(n, _)| n == w))
        // A keyword is an anonymous token, or a named one (`null`).
        .filter(|w| {
            language.id_for_node_kind(w, false) == 0 && language.id_for_node_kind(w, true) == 0
        })
        .collect();
    assert!(
        missing.is_empty(),
        "pest keywords without a token here: {missing:?}"
    );
}
