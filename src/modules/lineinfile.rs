//! `lineinfile`: make sure one line is (or is not) in a file.

use super::attrs::Attrs;
use super::spec::{ArgType, GROUP, MODE, ModuleSpec, OWNER, opt, req};
use super::text_edit::{Anchor, TextEdit, compile, join_lines, split_lines};
use super::{Args, ModuleError};

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("path", ArgType::Str),
    opt("line", ArgType::Str),
    opt("regexp", ArgType::Str),
    opt("state", ArgType::Choice(&["present", "absent"])),
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
        let state = args.choice("state", &["present", "absent"], "present")?;
        let line = args.opt_str("line")?;
        let regexp = args
            .opt_str("regexp")?
            .map(|r| compile(&r, "regexp"))
            .transpose()?;
        let create = args.bool_or("create", false)?;
        let anchor =
            Anchor::from_args(args.opt_str("insertafter")?, args.opt_str("insertbefore")?)?;
        let present = state == "present";
        if present && line.is_none() {
            return Err(ModuleError::Failed(
                "`state = \"present\"` needs `line`".into(),
            ));
        }
        if !present && line.is_none() && regexp.is_none() {
            return Err(ModuleError::Failed(
                "`state = \"absent\"` needs `line` or `regexp`".into(),
            ));
        }
        let shown = path.clone();
        let edit = move |old: Option<&str>| -> Result<Option<String>, ModuleError> {
            let Some(old) = old else {
                return match (present, create) {
                    (false, _) => Ok(None),
                    (true, true) => Ok(Some(join_lines(&[line.clone().unwrap_or_default()]))),
                    (true, false) => Err(ModuleError::Failed(format!(
                        "`{shown}` does not exist (set `create = true` to create it)"
                    ))),
                };
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
            let new = join_lines(&out);
            // A file that only lacked its final newline is not rewritten for that alone.
            Ok(Some(
                if new.trim_end_matches('\n') == old.trim_end_matches('\n') {
                    old.to_string()
                } else {
                    new
                },
            ))
        };
        Ok(TextEdit {
            path,
            edit: Box::new(edit),
            attrs: Attrs::from_args(args)?,
        })
    }
}
