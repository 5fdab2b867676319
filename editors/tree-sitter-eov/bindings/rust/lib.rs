//! The eov language (`.eov` playbooks and roles) for the [tree-sitter] parsing library.
//!
//! ```ignore
//! let mut parser = tree_sitter::Parser::new();
//! parser.set_language(&tree_sitter_eov::LANGUAGE.into()).expect("eov grammar");
//! let tree = parser.parse("play \"p\" on \"all\" {}", None).unwrap();
//! assert!(!tree.root_node().has_error());
//! ```
//!
//! The grammar follows `grammar/eov.pest`, the one eov parses with; the tests of this crate
//! keep the two in step (see README.md).
//!
//! [tree-sitter]: https://tree-sitter.github.io/

use tree_sitter_language::LanguageFn;

unsafe extern "C" {
    fn tree_sitter_eov() -> *const ();
}

/// The tree-sitter [`LanguageFn`] for this grammar.
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_eov) };

/// The content of the [`node-types.json`] file for this grammar.
///
/// [`node-types.json`]: https://tree-sitter.github.io/tree-sitter/using-parsers/6-static-node-types
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");

/// The syntax highlighting query for this grammar.
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");

/// The language injection query (Jinja inside strings).
pub const INJECTIONS_QUERY: &str = include_str!("../../queries/injections.scm");

/// The local variable query for this grammar.
pub const LOCALS_QUERY: &str = include_str!("../../queries/locals.scm");

/// The folding query (nvim-treesitter's `@fold`).
pub const FOLDS_QUERY: &str = include_str!("../../queries/folds.scm");

/// The indentation query (nvim-treesitter's `@indent.*`).
pub const INDENTS_QUERY: &str = include_str!("../../queries/indents.scm");

#[cfg(test)]
mod tests {
    #[test]
    fn the_grammar_loads() {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&super::LANGUAGE.into())
            .expect("Error loading eov parser");
    }
}
