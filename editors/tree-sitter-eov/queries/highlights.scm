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
] @keyword.exception

"import" @keyword.import

[
  "for"
  "in"
] @keyword.repeat

"secret" @keyword.modifier

; Names
(role_def
  name: (identifier) @module)

(role_use
  name: (identifier) @module)

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
  module: (identifier) @function.call)

(attr
  key: (identifier) @property)

(entry
  key: (identifier) @property)

; Values
(string) @string

(escape_sequence) @string.escape

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

(integer) @number

(float) @number.float

(duration) @number

(mode) @number

(boolean) @boolean

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
