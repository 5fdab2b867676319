//! Table tests for the parser: inputs it accepts (with what they mean) and inputs it rejects
//! (with the message and the exact position).

use super::parse;
use crate::ast::{File, Item, ValueKind};

fn ok(src: &str) -> File {
    parse(0, src).unwrap_or_else(|d| panic!("rejected {src:?}: {}", d.kind))
}

fn first_task(file: &File) -> &crate::ast::Task {
    match &file.plays[0].body[0] {
        Item::Task(t) => t,
        other => panic!("not a task: {other:?}"),
    }
}

macro_rules! accept {
    ($($name:ident: $src:expr => |$f:ident| $check:expr;)*) => {$(
        #[test]
        fn $name() {
            let $f = ok($src);
            assert!($check, "{:#?}", $f);
        }
    )*};
}

macro_rules! reject {
    ($($name:ident: $src:expr => ($offset:expr, $message:expr);)*) => {$(
        #[test]
        fn $name() {
            let d = parse(0, $src).expect_err("should be rejected");
            assert_eq!(d.span.map(|s| s.start), Some($offset), "position for {:?}", $src);
            assert_eq!(d.kind.to_string(), $message);
        }
    )*};
}

accept! {
    empty_file: "" => |f| f.plays.is_empty() && f.roles.is_empty();
    only_comments: "# nothing\n  # here\n" => |f| f.plays.is_empty();
    empty_play: r#"play "p" on "all" {}"# => |f| f.plays[0].name == "p";
    play_pattern_template: r#"play "p" on "{{ node }}" {}"# =>
        |f| matches!(&f.plays[0].pattern.kind, ValueKind::Str(s) if s == "{{ node }}");
    task_with_module: r#"play "p" on "all" { task "t" { command { cmd = "true" } } }"# =>
        |f| first_task(&f).modules[0].name.name == "command";
    commas_optional: "play \"p\" on \"all\" { task \"t\" { copy { dest = \"/x\"\n content = \"y\" } } }" =>
        |f| first_task(&f).modules[0].args.len() == 2;
    trailing_commas: r#"play "p" on "all" { vars { a = [1, 2,], b = { c = 1, }, } }"# => |f| f.plays[0].vars.len() == 2;
    octal_mode: r#"play "p" on "all" { vars { m = 0o644 } }"# =>
        |f| matches!(f.plays[0].vars[0].value.kind, ValueKind::Mode(0o644));
    durations: r#"play "p" on "all" { vars { a = 30s, b = 5m, c = 250ms, d = 2h, e = 1d } }"# =>
        |f| matches!(f.plays[0].vars[1].value.kind, ValueKind::Duration(d) if d.as_secs() == 300);
    ints_floats_bools_null: r#"play "p" on "all" { vars { a = -3, b = 1.5, c = true, d = null } }"# =>
        |f| matches!(f.plays[0].vars[0].value.kind, ValueKind::Int(-3)) && matches!(f.plays[0].vars[3].value.kind, ValueKind::Null);
    secret_value: r#"play "p" on "all" { vars { pw = secret "hunter2" } }"# =>
        |f| matches!(&f.plays[0].vars[0].value.kind, ValueKind::Secret(s) if s == "hunter2");
    escapes: r#"play "p\"q\\\n\u{41}" on "all" {}"# => |f| f.plays[0].name == "p\"q\\\nA";
    long_string_dedent: "play \"p\" on \"all\" { vars { s = \"\"\"\n    line 1\n      line 2\n    \"\"\" } }" =>
        |f| matches!(&f.plays[0].vars[0].value.kind, ValueKind::Str(s) if s == "line 1\n  line 2\n");
    quoted_map_key: r#"play "p" on "all" { vars { "with-dash" = 1 } }"# => |f| f.plays[0].vars[0].key.name == "with-dash";
    loop_over_path: r#"play "p" on "all" { task "t" for c in groups.compute { debug { msg = "{{ c }}" } } }"# =>
        |f| matches!(&first_task(&f).looping.as_ref().unwrap().source.kind, ValueKind::Path(p) if p == "groups.compute");
    loop_over_indexed_path: r#"play "p" on "all" { task "t" for c in groups.all[0] { debug { msg = "x" } } }"# =>
        |f| matches!(&first_task(&f).looping.as_ref().unwrap().source.kind, ValueKind::Path(p) if p == "groups.all[0]");
    loop_over_list: r#"play "p" on "all" { task "t" for c in ["a", "b"] { debug { msg = "x" } } }"# =>
        |f| matches!(&first_task(&f).looping.as_ref().unwrap().source.kind, ValueKind::List(l) if l.len() == 2);
    loop_over_expression: r#"play "p" on "all" { task "t" for c in "range(3)" { debug { msg = "x" } } }"# =>
        |f| first_task(&f).looping.is_some();
    task_settings: r#"play "p" on "all" { task "t" { shell { cmd = "x" } register = "r" when = "a > 1" } }"# =>
        |f| first_task(&f).attrs.len() == 2;
    block_rescue_always: r#"play "p" on "all" { block "b" { task "t" { fail {} } } rescue { task "r" { debug { msg = "x" } } } always { task "a" { debug { msg = "y" } } } }"# =>
        |f| matches!(&f.plays[0].body[0], Item::Block(b) if b.rescue.len() == 1 && b.always.len() == 1);
    nested_blocks: r#"play "p" on "all" { block { block { task "t" { debug { msg = "x" } } } } }"# =>
        |f| matches!(&f.plays[0].body[0], Item::Block(b) if matches!(&b.body[0], Item::Block(_)));
    handler: r#"play "p" on "all" { handler "h" { service { name = "x", state = "restarted" } } }"# => |f| f.plays[0].handlers.len() == 1;
    role_use_bare_and_with_args: r#"play "p" on "all" { role base role vpn { port = 443 } }"# =>
        |f| f.plays[0].body.len() == 2;
    role_definition: r#"role vpn { param port: int = 443 secret param key: str task "t" { debug { msg = "x" } } }"# =>
        |f| f.roles[0].params.len() == 2 && f.roles[0].params[1].secret;
    keyword_like_names: r#"play "p" on "all" { vars { task_count = 1, played = 2, online = 3 } }"# => |f| f.plays[0].vars.len() == 3;
    two_plays: r#"play "a" on "all" {} play "b" on "web" {}"# => |f| f.plays.len() == 2;
    role_use_in_role: r#"role r { role other { a = 1 } }"# => |f| matches!(&f.roles[0].body[0], Item::Role(u) if u.name.name == "other");
    task_file: "task \"a\" { debug { msg = \"x\" } }\nblock { }" => |f| f.tasks.len() == 2 && f.plays.is_empty();
    tasks_import_in_bodies: r#"role r { import "tasks/a.eov" block { import "b.eov" } rescue { import "c.eov" } }"# => |f| matches!(&f.roles[0].body[0], Item::Import(i) if i.path == "tasks/a.eov");
}

accept! {
    // A keyword is a word: `roles` is a setting's name, not `role s`.
    keyword_prefix_is_a_name: r#"play "p" on "all" { roles = [] }"# => |f| f.plays[0].attrs[0].key.name == "roles";
}

reject! {
    keyword_needs_a_space_role: r#"play "p" on "all" { rolex }"# => (26, "syntax error: expected `=`, found `}`");
    keyword_needs_a_space_param: r#"role r { paramp: str }"# => (9, "syntax error: expected `block`, `handler`, `import`, `param`, `role`, `task` or `vars`, found `paramp`");
    keyword_needs_a_space_for: r#"play "p" on "all" { task "t" forx in y { } }"# => (29, "syntax error: expected `for`, found `forx`");
    keyword_needs_a_space_in: r#"play "p" on "all" { task "t" for x iny { } }"# => (35, "syntax error: expected `in`, found `iny`");
    unclosed_play: r#"play "p" on "all" {"# => (19, "syntax error: expected `block`, `handler`, `import`, `role`, `task`, `vars`, `}` or a name, found end of file");
    missing_on: r#"play "p" "all" {}"# => (9, "syntax error: expected `on`, found `\"`");
    unknown_top_level: "plya \"p\" on \"all\" {}" => (0, "syntax error: expected `block`, `import`, `play`, `role`, `task` or end of file, found `plya`");
    unterminated_string: "play \"p on \"all\" {}" => (12, "syntax error: expected `on`, found `all`");
    bad_escape: r#"play "a\q" on "all" {}"# => (8, "syntax error: expected `0`, `\\`, `n`, `r`, `t` or `u{`, found `q`");
    missing_equals: r#"play "p" on "all" { vars { a 1 } }"# => (29, "syntax error: expected `=`, found `1`");
    bad_value: r#"play "p" on "all" { vars { a = @ } }"# => (31, "syntax error: expected a value, found `@`");
    decimal_mode_digit: r#"play "p" on "all" { vars { m = 0o648 } }"# => (31, "syntax error: expected a value, found `0o648`");
    mode_too_large: r#"play "p" on "all" { vars { m = 0o77777 } }"# => (31, "invalid file mode `0o77777`: a mode is at most 0o7777");
    duration_unit_unknown: r#"play "p" on "all" { vars { d = 30y } }"# => (33, "syntax error: expected `.`, `d`, `h`, `m`, `ms` or `s`, found `y`");
    task_without_name: r#"play "p" on "all" { task { } }"# => (25, "syntax error: expected `=` or a string, found `{`");
    loop_missing_in: r#"play "p" on "all" { task "t" for x groups { } }"# => (35, "syntax error: expected `in`, found `groups`");
    unclosed_list: r#"play "p" on "all" { vars { l = [1, 2 } }"# => (37, "syntax error: expected `,` or `]`, found `}`");
    rescue_without_block: r#"play "p" on "all" { rescue { } }"# => (27, "syntax error: expected `=`, found `{`");
    param_in_play: r#"play "p" on "all" { param x: int }"# => (26, "syntax error: expected `=`, found `x`");
    import_without_file: r#"role r { import }"# => (16, "syntax error: expected a string, found `}`");
    int_overflow: r#"play "p" on "all" { vars { n = 99999999999999999999 } }"# => (31, "invalid integer `99999999999999999999`: number too large to fit in target type");
}
