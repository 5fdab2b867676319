//! Table tests of `eov fmt`'s layout: each input, what it becomes, and that formatting the
//! result again changes nothing.

use super::format::format;

fn fmt(text: &str) -> String {
    match format(0, text) {
        Ok(out) => {
            assert_eq!(
                format(0, &out).ok().as_deref(),
                Some(out.as_str()),
                "not idempotent:\n{out}"
            );
            out
        }
        Err(d) => panic!("{}", d.kind),
    }
}

#[test]
fn layouts() {
    let table: &[(&str, &str, &str)] = &[
        (
            "indentation and one item per line",
            "play \"p\" on \"all\" {\ntask \"t\" { debug { msg = \"x\" }   register = \"r\" }\n}",
            "play \"p\" on \"all\" {\n  task \"t\" {\n    debug { msg = \"x\" }\n    register = \"r\"\n  }\n}\n",
        ),
        (
            "an inline map keeps its line, commas normalised",
            "play \"p\" on \"all\" {\n  vars { a = 1 ,b=[1,2 ,3], c = {} }\n}\n",
            "play \"p\" on \"all\" {\n  vars { a = 1, b = [1, 2, 3], c = {} }\n}\n",
        ),
        (
            "a map written over lines stays one entry per line, without commas",
            "play \"p\" on \"all\" {\n  vars {\n    a = 1,\n    b = 2\n  }\n}\n",
            "play \"p\" on \"all\" {\n  vars {\n    a = 1\n    b = 2\n  }\n}\n",
        ),
        (
            "a list written over lines gets trailing commas",
            "play \"p\" on \"all\" {\n  vars { l = [\n 1,\n 2\n] }\n}\n",
            "play \"p\" on \"all\" {\n  vars {\n    l = [\n      1,\n      2,\n    ]\n  }\n}\n",
        ),
        (
            "too wide for one line",
            "play \"p\" on \"all\" {\n  task \"t\" { command { cmd = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", chdir = \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\" } }\n}\n",
            "play \"p\" on \"all\" {\n  task \"t\" {\n    command {\n      cmd = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n      chdir = \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"\n    }\n  }\n}\n",
        ),
        (
            "comments: own lines, trailing ones aligned, after an opening brace, at the end",
            "# file\nrole r {   # the role\n  param a: str # one\n  param bbb: int = 3   # two\n\n\n  # a task\n  task \"t\" { debug { msg = \"x\" } }\n  # last\n}\n# end\n",
            "# file\nrole r {  # the role\n  param a: str        # one\n  param bbb: int = 3  # two\n\n  # a task\n  task \"t\" {\n    debug { msg = \"x\" }\n  }\n  # last\n}\n# end\n",
        ),
        (
            "a comment inside a map makes it one entry per line",
            "play \"p\" on \"all\" {\n  vars { a = 1 # why\n b = 2 }\n}\n",
            "play \"p\" on \"all\" {\n  vars {\n    a = 1  # why\n    b = 2\n  }\n}\n",
        ),
        (
            "blocks with rescue and always, loops, handlers, roles, imports",
            "import \"x.eov\"\nplay \"p\" on \"all\" {\nrole hello\nrole hello { root = \"/tmp\" }\nblock \"b\" { task \"t\" for i in [1, 2] { debug { msg = \"{{ i }}\" } } } rescue { task \"r\" { fail { msg = \"x\" } } } always { }\nhandler \"h\" { debug { msg = \"h\" } }\n}\n",
            "import \"x.eov\"\n\nplay \"p\" on \"all\" {\n  role hello\n  role hello { root = \"/tmp\" }\n  block \"b\" {\n    task \"t\" for i in [1, 2] {\n      debug { msg = \"{{ i }}\" }\n    }\n  } rescue {\n    task \"r\" {\n      fail { msg = \"x\" }\n    }\n  } always {}\n  handler \"h\" {\n    debug { msg = \"h\" }\n  }\n}\n",
        ),
        (
            "plays stand apart; strings, numbers, modes and durations as written",
            "play \"a\" on \"all\" { vars { m = 0o644, d = 30s, f = 1.50, s = secret \"pw\", e = \"a\\tb\" } }\nplay \"b\" on \"all\" {}\n",
            "play \"a\" on \"all\" {\n  vars { m = 0o644, d = 30s, f = 1.50, s = secret \"pw\", e = \"a\\tb\" }\n}\n\nplay \"b\" on \"all\" {}\n",
        ),
        (
            "a long string keeps its text; its map is written over lines",
            "play \"p\" on \"all\" {\n  task \"t\" { shell { cmd = \"\"\"\n      echo a\n      \"\"\" } }\n}\n",
            "play \"p\" on \"all\" {\n  task \"t\" {\n    shell {\n      cmd = \"\"\"\n      echo a\n      \"\"\"\n    }\n  }\n}\n",
        ),
    ];
    for (what, input, expected) in table {
        eprintln!("case: {what}");
        assert_eq!(fmt(input), *expected, "{what}");
    }
}

#[test]
fn a_comment_inside_a_line_is_refused_and_located() {
    let text = "play \"p\" on \"all\" {\n  vars { a = # here\n 1 }\n}\n";
    let d = format(0, text).unwrap_err();
    assert!(
        d.kind.to_string().contains("cannot keep this comment"),
        "{}",
        d.kind
    );
    assert_eq!(d.span.map(|s| s.start), Some(text.find('#').unwrap()));
}

#[test]
fn a_syntax_error_is_the_parser_s() {
    let d = format(0, "play \"p\" \"all\" {}").unwrap_err();
    assert!(d.kind.to_string().contains("expected `on`"), "{}", d.kind);
}
