; nvim-treesitter's indent captures.
[
  (play)
  (role_def)
  (task)
  (handler)
  (block)
  (rescue)
  (always)
  (map)
  (list)
] @indent.begin

"}" @indent.end

[
  "}"
  "]"
] @indent.branch

(string) @indent.auto

(comment) @indent.auto
