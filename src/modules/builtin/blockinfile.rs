//! `blockinfile`: keep a block of lines between two marker lines.

use crate::modules::action::drive;
use crate::modules::attrs::Attrs;
use crate::modules::choice::Presence;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, GROUP, MODE, ModuleSpec, OWNER, opt, req};
use crate::modules::text_edit::{Anchor, TextEdit, rewritten, split_lines, when_missing};
use crate::modules::{Args, ModuleError};

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("path", ArgType::Str),
    opt("block", ArgType::Str),
    opt("marker", ArgType::Str),
    opt("state", ArgType::Choice(Presence::NAMES)),
    opt("insertafter", ArgType::Str),
    opt("insertbefore", ArgType::Str),
    opt("create", ArgType::Bool),
    MODE,
    OWNER,
    GROUP,
]);

pub struct Blockinfile;

impl Blockinfile {
    #[expect(clippy::new_ret_no_self, reason = "a blockinfile is a text edit")]
    pub fn new(args: &Args) -> Result<TextEdit, ModuleError> {
        let path = args.str("path")?;
        let present = args.pick("state", Presence::Present)? == Presence::Present;
        let block = args.str_or("block", "")?;
        let marker = args.str_or("marker", "# {mark} EOV MANAGED BLOCK")?;
        if !marker.contains("{mark}") {
            return Err(ModuleError::argument("marker", "must contain `{mark}`"));
        }
        let begin = marker.replace("{mark}", "BEGIN");
        let end = marker.replace("{mark}", "END");
        let create = args.bool_or("create", false)?;
        let anchor =
            Anchor::from_args(args.opt_str("insertafter")?, args.opt_str("insertbefore")?)?;
        let shown = path.clone();
        let edit = move |old: Option<&str>| -> Result<Option<String>, ModuleError> {
            let mut wanted: Vec<String> = Vec::new();
            if present && !block.is_empty() {
                wanted.push(begin.clone());
                wanted.extend(block.lines().map(str::to_string));
                wanted.push(end.clone());
            }
            let Some(old) = old else {
                return when_missing(&shown, present, create, &wanted);
            };
            let lines = split_lines(old);
            let start = lines.iter().position(|l| *l == begin);
            let stop = start.and_then(|s| lines[s..].iter().position(|l| *l == end).map(|e| s + e));
            let mut out: Vec<String> = lines.iter().map(|s| (*s).to_string()).collect();
            match (start, stop) {
                (Some(s), Some(e)) => {
                    out.splice(s..=e, wanted);
                }
                _ if wanted.is_empty() => {}
                _ => {
                    let at = anchor.position(&lines);
                    out.splice(at..at, wanted);
                }
            }
            Ok(Some(rewritten(old, &out)))
        };
        Ok(TextEdit {
            path,
            edit: Box::new(edit),
            attrs: Attrs::from_args(args)?,
        })
    }
}

pub const DEF: ModuleDef = ModuleDef::new("blockinfile", &SPEC, |args, cx| {
    Box::pin(async move { drive(Blockinfile::new(args)?, cx).await })
})
.read_ahead(&["path"], crate::modules::text_edit::reads);
