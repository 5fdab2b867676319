; Generated from ../highlights.scm by tests/highlights.rs (EOV_TS_WRITE=1 cargo test):
; Helix's capture names.

; Highlights for eov. The capture names are nvim-treesitter's, which Zed and
; tree-sitter-highlight take too (a dotted name falls back to its first part).
; queries/helix/highlights.scm is this file with Helix's names (tests/highlights.rs).

(comment) @comment

[
  "play"
  "on"
  "role"
  "task"
  "handler"
  "block"
  "vars"
  "param"
] @keyword

[
  "rescue"
  "always"
] @keyword.control.exception

"import" @keyword.control.import

[
  "for"
  "in"
] @keyword.control.repeat

"secret" @keyword.storage.modifier

; Names
(role_def
  name: (identifier) @namespace)

(role_use
  name: (identifier) @namespace)

(param
  name: (identifier) @variable.parameter)

(type_name
  (identifier) @type)

(type_name
  "?" @punctuation.special)

(loop_clause
  variable: (identifier) @variable)

(path_expr) @variable

(module_call
  module: (identifier) @function)

(attr
  key: (identifier) @variable.other.member)

(entry
  key: (identifier) @variable.other.member)

; Values
(string) @string

(escape_sequence) @constant.character.escape

(jinja_expression) @embedded

(jinja_statement) @embedded

(jinja_comment) @comment

(jinja_expression
  [
    "{{"
    "}}"
  ] @punctuation.special)

(jinja_statement
  [
    "{%"
    "%}"
  ] @punctuation.special)

(integer) @constant.numeric.integer

(float) @constant.numeric.float

(duration) @constant.numeric.integer

(mode) @constant.numeric.integer

(boolean) @constant.builtin.boolean

(null) @constant.builtin

; Punctuation
[
  "{"
  "}"
  "["
  "]"
] @punctuation.bracket

[
  ","
  ":"
] @punctuation.delimiter

"=" @operator
