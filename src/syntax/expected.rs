//! Turns pest's rule names into the words a user understands, so "expected `{` or string"
//! appears instead of grammar internals.

use super::Rule;

pub(super) fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::file => "end of file",
        Rule::play => "`play`",
        Rule::import | Rule::tasks_import => "`import`",
        Rule::role_def => "`role`",
        Rule::play_item => "a task, block, handler, role or setting",
        Rule::vars_block => "`vars`",
        Rule::role_use => "`role`",
        Rule::role_item => "`param`, a task, block, handler, role or import",
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
        Rule::kw_role => "`role`",
        Rule::kw_param => "`param`",
        Rule::kw_for => "`for`",
        Rule::kw_in => "`in`",
    }
}

/// Sorts and dedups the expected words, and says "a value" instead of listing every literal.
pub(super) fn collapse(words: &mut Vec<String>) {
    const VALUE_WORDS: &[&str] = &[
        "a string",
        "an integer",
        "a number",
        "a duration",
        "a file mode",
        "`true` or `false`",
        "`true`",
        "`false`",
        "`null`",
        "`secret`",
        "`[`",
        "`{`",
        "`-`",
        "`0o`",
        "a value",
    ];
    if words.iter().any(|w| w == "a value")
        || (words.iter().any(|w| w == "a string") && words.iter().any(|w| w == "an integer"))
    {
        words.retain(|w| !VALUE_WORDS.contains(&w.as_str()));
        words.push("a value".into());
    }
    if words.iter().any(|w| w == "a name") {
        words.retain(|w| w != "`_`");
    }
    words.sort();
    words.dedup();
}
