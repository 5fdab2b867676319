//! The tree-sitter grammar against the repository: its corpus, its highlights, and the pest
//! grammar eov parses with (grammar/eov.pest).

mod corpus;
mod drift;
mod highlights;
mod support;
