//! `lineinfile`: make sure one line is (or is not) in a file.

use crate::modules::action::drive;
use crate::modules::attrs::Attrs;
use crate::modules::choice::Presence;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, GROUP, MODE, ModuleSpec, OWNER, opt, req};
use crate::modules::text_edit::{Anchor, TextEdit, compile, rewritten, split_lines, when_missing};
use crate::modules::{Args, ModuleError};

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("path", ArgType::Str),
    opt("line", ArgType::Str),
    opt("regexp", ArgType::Str),
    opt("state", ArgType::Choice(Presence::NAMES)),
    opt("insertafter", ArgType::Str),
    opt("insertbefore", ArgType::Str),
    opt("create", ArgType::Bool),
    MODE,
    OWNER,
    GROUP,
]);

pub struct Lineinfile;

impl Lineinfile {
    #[expect(clippy::new_ret_no_self, reason = "a lineinfile is a text edit")]
    pub fn new(args: &Args) -> Result<TextEdit, ModuleError> {
        let path = args.str("path")?;
        let present = args.pick("state", Presence::Present)? == Presence::Present;
        let line = args.opt_str("line")?;
        let regexp = args
            .opt_str("regexp")?
            .map(|r| compile(&r, "regexp"))
            .transpose()?;
        let create = args.bool_or("create", false)?;
        let anchor =
            Anchor::from_args(args.opt_str("insertafter")?, args.opt_str("insertbefore")?)?;
        if present && line.is_none() {
            return Err(ModuleError::Usage(
                "`state = \"present\"` needs `line`".into(),
            ));
        }
        if !present && line.is_none() && regexp.is_none() {
            return Err(ModuleError::Usage(
                "`state = \"absent\"` needs `line` or `regexp`".into(),
            ));
        }
        let shown = path.clone();
        let edit = move |old: Option<&str>| -> Result<Option<String>, ModuleError> {
            let Some(old) = old else {
                return when_missing(&shown, present, create, &[line.clone().unwrap_or_default()]);
            };
            let lines = split_lines(old);
            let matches = |l: &str| match (&regexp, &line) {
                (Some(re), _) => re.is_match(l),
                (None, Some(want)) => l == want,
                (None, None) => false,
            };
            let mut out: Vec<String> = lines.iter().map(|s| (*s).to_string()).collect();
            if present {
                let want = line.clone().unwrap_or_default();
                match lines.iter().rposition(|l| matches(l)) {
                    Some(i) => out[i] = want,
                    None if lines.contains(&want.as_str()) => {}
                    None => out.insert(anchor.position(&lines), want),
                }
            } else {
                out.retain(|l| !matches(l));
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

pub const DEF: ModuleDef = ModuleDef::new("lineinfile", &SPEC, |args, cx| {
    Box::pin(async move { drive(Lineinfile::new(args)?, cx).await })
})
.read_ahead(&["path"], crate::modules::text_edit::reads);
