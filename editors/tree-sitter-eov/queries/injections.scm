; The Jinja parts of strings, for editors that have a Jinja parser (nvim-treesitter's
; `jinja`); without one they keep the highlights of highlights.scm.
((jinja_expression) @injection.content
  (#set! injection.language "jinja"))

((jinja_statement) @injection.content
  (#set! injection.language "jinja"))
