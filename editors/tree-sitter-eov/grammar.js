/**
 * @file Tree-sitter grammar for eov playbooks and roles (`.eov` files).
 * @license Apache-2.0
 *
 * It follows grammar/eov.pest (the grammar eov itself parses with) rule by rule;
 * tests/drift.rs maps every pest rule to a node here and parses the repository's
 * files with both. After changing this file, regenerate src/ with
 * `tree-sitter generate` (see README.md) and commit the result.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/;

// The keywords that start an item in a body, where a setting or module call may also be.
const ITEM_KEYWORDS = ['vars', 'role', 'task', 'block', 'handler', 'import'];

// Tokens inside a string: nothing may come between them, and they win over a comment
// (`"# not a comment"`) by their precedence. Inside a Jinja part (level JINJA) its text wins
// over the string's (an unclosed `{{` runs to the end of the string), and the string's
// closing quote wins over both.
const TEXT = 1;
const JINJA = 2;
const CLOSE = 3;
const inside = (rule, level = TEXT) => token.immediate(prec(level, rule));

module.exports = grammar({
  name: 'eov',

  // pest: WHITESPACE and COMMENT
  extras: ($) => [/[ \t\r\n]/, $.comment],

  word: ($) => $.identifier,

  supertypes: ($) => [$._value],

  rules: {
    // pest: file. A task file holds tasks and blocks only; `eov check` says where each kind may be.
    source_file: ($) =>
      repeat(choice($.import, $.play, $.role_def, $.task, $.block)),

    // `import "other.eov"` at the top of a file: that file's plays, run here.
    import: ($) => seq('import', field('path', $.string)),

    // ------------------------------------------------------------------ plays

    play: ($) =>
      seq(
        'play',
        field('name', $.string),
        'on',
        field('hosts', $.string),
        '{',
        repeat($._play_item),
        '}',
      ),

    _play_item: ($) =>
      choice(
        $.vars_block,
        $.role_use,
        $.task,
        $.block,
        $.handler,
        $.tasks_import,
        $.attr,
      ),

    vars_block: ($) => seq('vars', field('variables', $.map)),

    // `import "tasks/x.eov"` in a body: the tasks of a task file, as if written here.
    tasks_import: ($) => seq('import', field('path', $.string)),

    // `role name` or `role name { param = value ... }` applies a role.
    role_use: ($) =>
      seq('role', field('name', $.identifier), optional(field('arguments', $.map))),

    // ------------------------------------------------------------------ roles

    role_def: ($) =>
      seq('role', field('name', $.identifier), '{', repeat($._role_item), '}'),

    _role_item: ($) =>
      choice(
        $.param,
        $.vars_block,
        $.role_use,
        $.task,
        $.block,
        $.handler,
        $.tasks_import,
      ),

    // `param name: type = default`, `secret param name: type`.
    param: ($) =>
      seq(
        optional(field('secret', 'secret')),
        'param',
        field('name', $.identifier),
        ':',
        field('type', $.type_name),
        optional(seq('=', field('default', $._value))),
      ),

    // `str`, `int?`: no space before the `?`.
    type_name: ($) => seq($.identifier, optional(token.immediate('?'))),

    // ------------------------------------------------------------------ tasks

    task: ($) =>
      seq(
        'task',
        field('name', $.string),
        optional(field('loop', $.loop_clause)),
        '{',
        repeat($._task_item),
        '}',
      ),

    // `for item in clients`, `for u in ["a", "b"]`, `for l in "out.stdout_lines"`.
    loop_clause: ($) =>
      seq(
        'for',
        field('variable', $.identifier),
        'in',
        field('source', choice($.list, $.string, $.path_expr)),
      ),

    // `groups.compute`, `hostvars.h1.facts`, `results[0].stdout`: one token, no spaces.
    path_expr: (_) =>
      token(seq(IDENT, repeat(choice(seq('.', IDENT), seq('[', /[0-9]+/, ']'))))),

    _task_item: ($) => choice($.vars_block, $.attr, $.module_call),

    // `vars { ... }` is a vars block, never a module call (pest tries it first).
    module_call: ($) =>
      seq(
        field('module', nameOrKeyword($, ITEM_KEYWORDS.filter((k) => k !== 'vars'))),
        field('arguments', $.map),
      ),

    handler: ($) =>
      seq(
        'handler',
        field('name', $.string),
        optional(field('loop', $.loop_clause)),
        '{',
        repeat($._task_item),
        '}',
      ),

    // `block "name" { ... } rescue { ... } always { ... }`
    block: ($) =>
      seq(
        'block',
        optional(field('name', $.string)),
        '{',
        repeat($._block_item),
        '}',
        optional(field('rescue', $.rescue)),
        optional(field('always', $.always)),
      ),

    _block_item: ($) =>
      choice($.vars_block, $.task, $.block, $.tasks_import, $.attr),

    rescue: ($) =>
      seq('rescue', '{', repeat(choice($.task, $.block, $.tasks_import)), '}'),

    always: ($) =>
      seq('always', '{', repeat(choice($.task, $.block, $.tasks_import)), '}'),

    // `name = value`: a setting of the enclosing play, block or task.
    // A keyword that starts an item where the setting is may name it too, as in pest,
    // which tries the item first (`vars = 1` is a setting; `eov check` then refuses it).
    attr: ($) =>
      seq(
        field('key', nameOrKeyword($, ITEM_KEYWORDS)),
        '=',
        field('value', $._value),
      ),

    // ------------------------------------------------------------------ values

    _value: ($) =>
      choice(
        $.secret,
        $.string,
        $.duration,
        $.mode,
        $.float,
        $.integer,
        $.boolean,
        $.null,
        $.list,
        $.map,
      ),

    secret: ($) => seq('secret', field('value', $.string)),

    // Commas between entries are optional.
    map: ($) => seq('{', repeat(seq($.entry, optional(','))), '}'),

    entry: ($) =>
      seq(
        field('key', choice($.identifier, $.string)),
        '=',
        field('value', $._value),
      ),

    list: ($) =>
      seq(
        '[',
        optional(seq($._value, repeat(seq(',', $._value)), optional(','))),
        ']',
      ),

    // "..." with escapes (no line break), or """...""" over lines (no escapes).
    // Jinja's {{ }}, {% %} and {# #} are children; an unclosed one runs to the end of
    // the string, as eov's parser accepts it (minijinja reports it later).
    string: ($) =>
      choice(
        seq(
          '"',
          repeat(
            choice(
              $.string_content,
              alias(inside(/[ \t\r]+/), $.string_content),
              alias(inside('{'), $.string_content),
              alias(inside('#'), $.string_content),
              $.escape_sequence,
              alias($._short_jinja_expression, $.jinja_expression),
              alias($._short_jinja_statement, $.jinja_statement),
              alias($._short_jinja_comment, $.jinja_comment),
            ),
          ),
          inside('"', CLOSE),
        ),
        seq(
          '"""',
          repeat(
            choice(
              alias($._long_string_content, $.string_content),
              alias(inside(/[ \t\r\n]+/), $.string_content),
              alias(inside('{'), $.string_content),
              alias(inside('#'), $.string_content),
              alias(inside('"'), $.string_content),
              alias(inside('""'), $.string_content),
              alias($._long_jinja_expression, $.jinja_expression),
              alias($._long_jinja_statement, $.jinja_statement),
              alias($._long_jinja_comment, $.jinja_comment),
            ),
          ),
          inside('"""', CLOSE),
        ),
      ),

    // A run of text. A `{` joins it unless it opens a Jinja part; so do `"` and `""` in a
    // """...""" string, never `"""`. A run never starts with white space or `#` (they come
    // as tokens of their own there): the lexer, whose regexes cannot look ahead, would take
    // a comment instead of a run that reads `{` or `"` and then fails to go on.
    string_content: (_) =>
      inside(/([^"\\{\n# \t\r]|\{[^{%#"\\\n])([^"\\{\n]|\{[^{%#"\\\n])*/),
    _long_string_content: (_) =>
      inside(
        /([^"{# \t\r\n]|\{[^{%#"]|"[^"{]|""[^"{])([^"{]|\{[^{%#"]|"[^"{]|""[^"{])*/,
      ),

    escape_sequence: (_) =>
      inside(seq('\\', choice(/["\\ntr0]/, /u\{[0-9a-fA-F]{1,6}\}/))),

    // The text of a Jinja part is a run of plain characters, every prefix of which is a
    // token too: that keeps its precedence over the string's runs and over a comment in
    // the lexer. The characters that may end the part come one token each.
    _short_jinja_expression: ($) => shortJinja($, '{{', '}}', /[^}"\\\n]+/, '}'),
    _short_jinja_statement: ($) => shortJinja($, '{%', '%}', /[^%"\\\n]+/, '%'),
    _short_jinja_comment: ($) => shortJinja($, '{#', '#}', /[^#"\\\n]+/, '#'),
    _long_jinja_expression: ($) => longJinja($, '{{', '}}', /[^}"]+/, '}'),
    _long_jinja_statement: ($) => longJinja($, '{%', '%}', /[^%"]+/, '%'),
    _long_jinja_comment: ($) => longJinja($, '{#', '#}', /[^#"]+/, '#'),

    // 30s, 5m, 2h, 1d, 250ms
    duration: (_) => token(/[0-9]+(ms|s|m|h|d)/),
    // 0o644
    mode: (_) => token(/0o[0-7]+/),
    float: (_) => token(/-?[0-9]+\.[0-9]+/),
    integer: (_) => token(/-?[0-9]+/),
    boolean: (_) => choice('true', 'false'),
    null: (_) => 'null',

    identifier: (_) => IDENT,

    comment: (_) => token(seq('#', /[^\n]*/)),
  },
});

/**
 * A Jinja part of a "..." string: `open`, text (escapes resolved by eov first), `close`.
 * The close is optional: eov's parser takes `"{{ x"` (minijinja reports it later).
 */
function shortJinja($, open, close, text, lone) {
  // An escape after `{{` belongs to the Jinja part (right associativity), as its text does.
  return prec.right(seq(
    alias(inside(open, JINJA), open),
    repeat(
      choice(
        alias(inside(text, JINJA), $.jinja_text),
        alias(inside(lone, JINJA), $.jinja_text),
        $.escape_sequence,
      ),
    ),
    optional(alias(inside(close, JINJA), close)),
  ));
}

/** A Jinja part of a """...""" string: its text may hold `"` and `""`, never `"""`. */
function longJinja($, open, close, text, lone) {
  return seq(
    alias(inside(open, JINJA), open),
    repeat(
      choice(
        alias(inside(text, JINJA), $.jinja_text),
        alias(inside(lone, JINJA), $.jinja_text),
        alias(inside('"', JINJA), $.jinja_text),
        alias(inside('""', JINJA), $.jinja_text),
      ),
    ),
    optional(alias(inside(close, JINJA), close)),
  );
}

/** A name, or one of `words` (a keyword where it is not followed by what the keyword needs). */
function nameOrKeyword($, words) {
  return choice($.identifier, alias(choice(...words), $.identifier));
}
