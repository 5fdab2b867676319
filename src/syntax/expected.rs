//! Turns pest's rule names into the words a user understands, so "expected `{` or string"
//! appears instead of grammar internals.

use super::Rule;

pub(super) fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::file => "a play or role",
        Rule::play => "`play`",
        Rule::role_def => "`role`",
        Rule::play_item => "a task, block, handler, role or setting",
        Rule::vars_block => "`vars`",
        Rule::role_use => "`role`",
        Rule::role_item => "`param`, a task, block or handler",
        Rule::param => "`param`",
        Rule::secret_kw => "`secret`",
        Rule::type_name => "a type name",
        Rule::task => "`task`",
        Rule::loop_clause => "`for`",
        Rule::loop_source | Rule::path_expr => "a list, a quoted expression or a variable name",
        Rule::task_item => "a module call or setting",
        Rule::module_call => "a module call",
        Rule::handler => "`handler`",
        Rule::block => "`block`",
        Rule::block_item => "a task, block or setting",
        Rule::rescue => "`rescue`",
        Rule::always => "`always`",
        Rule::attr => "a setting (`name = value`)",
        Rule::value => "a value",
        Rule::secret => "`secret`",
        Rule::map => "`{`",
        Rule::entry => "`name = value`",
        Rule::key => "a name",
        Rule::list => "`[`",
        Rule::string | Rule::short_string | Rule::long_string => "a string",
        Rule::long_body | Rule::short_body => "string text",
        Rule::escape => "an escape (\\\" \\\\ \\n \\t \\r \\0 \\u{...})",
        Rule::duration => "a duration",
        Rule::mode => "a file mode",
        Rule::float => "a number",
        Rule::int => "an integer",
        Rule::boolean => "`true` or `false`",
        Rule::null => "`null`",
        Rule::ident | Rule::ident_char => "a name",
        Rule::WHITESPACE | Rule::COMMENT | Rule::kw_on => "`on`",
    }
}
