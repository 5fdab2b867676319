//! Property tests: no input, random or mutated from valid plays, makes the parser or the
//! checker panic. (For longer runs: `PROPTEST_CASES=100000 cargo test --test integration fuzz`.)

use proptest::prelude::*;

const SEED: &str = r#"# a play
play "p" on "all" {   # its hosts
  vars { a = 1, m = 0o644, d = 30s, l = [1, "x"], s = secret "pw" }  # values

  # a role
  role hello { root = "/tmp/x" }
  task "t" for i in groups.all { command { cmd = "echo {{ i }}" } when = "a > 0" register = "r" }
  block "b" { task "u" { debug { msg = """
    multi
    """ } } } rescue { task "v" { fail { msg = "x" } } }
  handler "h" { debug { msg = "h" } }
}
"#;

fn check_text(text: &str) {
    let _ = eov::syntax::parse(0, text);
    format_text(text);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.eov");
    std::fs::write(&path, text).unwrap();
    let mut checker = eov::check::Checker::new(Vec::new());
    checker.check_path(&path);
    let errors = checker.take_errors();
    let _ = eov::report::render_diagnostics(&errors, &checker.sources);
}

/// `eov fmt` on any text: no panic; what it accepts it lays out once and for all, and its own
/// guard (tree, tokens and comments unchanged) never fires.
fn format_text(text: &str) {
    match eov::syntax::format::format(0, text) {
        Ok(out) => {
            let again = eov::syntax::format::format(0, &out);
            assert_eq!(again.as_ref().ok(), Some(&out), "not idempotent: {text:?}");
        }
        Err(d) => assert!(
            !d.kind.to_string().contains("a bug in eov fmt"),
            "eov fmt changed the meaning of {text:?}"
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = eov::syntax::parse(0, &text);
    }

    #[test]
    fn token_soup_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("play"), Just("role"), Just("task"), Just("block"), Just("rescue"), Just("always"), Just("handler"),
        Just("vars"), Just("param"), Just("secret"), Just("for"), Just("in"), Just("on"), Just("{"), Just("}"),
        Just("["), Just("]"), Just("="), Just(","), Just(":"), Just("\"x\""), Just("\"{{ y }}\""), Just("\"\"\"\n a\n\"\"\""),
        Just("0o644"), Just("30s"), Just("-1"), Just("1.5"), Just("true"), Just("null"), Just("name"), Just("#c\n"),
        Just("# a comment\n"), Just("\n\n"),
        Just("\n"), Just(" "), Just("\\"), Just("\"\\u{110000}\""),
    ], 0..40)) {
        let text = parts.join(" ");
        check_text(&text);
    }

    #[test]
    fn mutated_valid_play_never_panics(cut in 0usize..SEED.len(), insert in "\\PC{0,5}", del in 0usize..8) {
        let mut text: String = SEED.to_string();
        let at = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let end = (at + del).min(text.len());
        let end = (end..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
        text.replace_range(at..end, &insert);
        check_text(&text);
    }

    /// Runs of one token thousands long (nesting, operator chains in templates, long lines)
    /// inside a valid play: located errors, never a stack overflow.
    #[test]
    fn long_runs_never_abort(run in prop_oneof![
        Just("["), Just("{"), Just("not "), Just("1 + "), Just("("), Just("{{ "), Just("x."), Just("a = 1, "),
        Just("\\"), Just("é"),
    ], count in 1000usize..6000, at in 0usize..SEED.len()) {
        let mut text: String = SEED.to_string();
        let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        text.insert_str(at, &run.repeat(count));
        check_text(&text);
    }
}
