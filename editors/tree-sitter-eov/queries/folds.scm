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
  (string)
] @fold
