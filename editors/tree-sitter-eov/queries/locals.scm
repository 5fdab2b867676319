[
  (play)
  (role_def)
  (task)
  (handler)
  (block)
] @local.scope

(param
  name: (identifier) @local.definition.parameter)

(loop_clause
  variable: (identifier) @local.definition.var)

(vars_block
  (map
    (entry
      key: (identifier) @local.definition.var)))
