use std::path::{Path, PathBuf};

use tree_sitter::{Node, Parser, Tree};

/// This crate's directory.
pub fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The eov repository this grammar lives in.
pub fn repo() -> PathBuf {
    here().join("../..").canonicalize().unwrap()
}

pub fn language() -> tree_sitter::Language {
    tree_sitter_eov::LANGUAGE.into()
}

pub fn parse(text: &str) -> Tree {
    let mut parser = Parser::new();
    parser.set_language(&language()).unwrap();
    parser.parse(text, None).unwrap()
}

/// The first ERROR or MISSING node, as `line:column kind`, if the tree has one.
pub fn first_error(tree: &Tree) -> Option<String> {
    fn walk(node: Node) -> Option<String> {
        if node.is_error() || node.is_missing() {
            let p = node.start_position();
            return Some(format!("{}:{} {}", p.row + 1, p.column + 1, node.to_sexp()));
        }
        let mut cursor = node.walk();
        node.children(&mut cursor).find_map(walk)
    }
    if !tree.root_node().has_error() {
        return None;
    }
    Some(walk(tree.root_node()).unwrap_or_else(|| "an error".to_string()))
}

/// Every `.eov` file under these directories of the repository, sorted.
pub fn eov_files(dirs: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "eov") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    for dir in dirs {
        walk(&repo().join(dir), &mut found);
    }
    found.sort();
    found
}

/// `path` relative to the repository, with `/` separators.
pub fn relative(path: &Path) -> String {
    let rel = path.strip_prefix(repo()).unwrap_or(path);
    rel.to_string_lossy().replace('\\', "/")
}
