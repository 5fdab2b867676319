//! `sysctl`: a kernel parameter set now (`reload`) and kept in a sysctl.d file.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::attrs::Attrs;
use crate::modules::choice::Presence;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::text_edit::{TextEdit, join_lines, read_text, split_lines};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("name", ArgType::Str),
    opt("value", ArgType::Any),
    opt("state", ArgType::Choice(Presence::NAMES)),
    opt("sysctl_file", ArgType::Str),
    opt("reload", ArgType::Bool),
]);

pub struct Sysctl {
    name: String,
    value: Option<String>,
    reload: bool,
    file: TextEdit,
}

impl Sysctl {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let name = args.str("name")?;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
        {
            return Err(ModuleError::Usage(format!("`{name}` is not a sysctl name")));
        }
        let present = args.pick("state", Presence::Present)? == Presence::Present;
        let value = args.opt_str("value")?;
        if present && value.is_none() {
            return Err(ModuleError::Usage(
                "`state = \"present\"` needs `value`".into(),
            ));
        }
        let path = args.str_or("sysctl_file", "/etc/sysctl.d/99-eov.conf")?;
        let (key, wanted) = (name.clone(), value.clone());
        let edit = move |old: Option<&str>| -> Result<Option<String>, ModuleError> {
            let old_text = old.unwrap_or("");
            let lines = split_lines(old_text);
            let is_key = |l: &str| l.split_once('=').is_some_and(|(k, _)| k.trim() == key);
            let mut out: Vec<String> = lines
                .iter()
                .filter(|l| !is_key(l) || present)
                .map(|s| (*s).to_string())
                .collect();
            if let Some(v) = wanted.as_ref().filter(|_| present) {
                let line = format!("{key} = {v}");
                match out.iter().rposition(|l| is_key(l)) {
                    Some(i) => out[i] = line,
                    None => out.push(line),
                }
            }
            if old.is_none() && !present {
                return Ok(None);
            }
            let new = join_lines(&out);
            Ok(Some(
                if new.trim_end() == old_text.trim_end() && old.is_some() {
                    old_text.to_string()
                } else {
                    new
                },
            ))
        };
        Ok(Sysctl {
            name,
            value: value.filter(|_| present),
            reload: args.bool_or("reload", true)?,
            file: TextEdit {
                path,
                edit: Box::new(edit),
                attrs: Attrs {
                    mode: None,
                    owner: None,
                    group: None,
                },
            },
        })
    }

    fn proc_path(&self) -> String {
        format!("/proc/sys/{}", self.name.replace('.', "/"))
    }
}

pub struct Current {
    runtime: Option<String>,
    file: Decision<<TextEdit as Action>::Change>,
}

impl Action for Sysctl {
    type State = Current;
    type Change = (Option<<TextEdit as Action>::Change>, bool);

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Current, ModuleError> {
        let runtime = if self.reload && self.value.is_some() {
            let (st, text) = read_text(cx, &self.proc_path()).await?;
            if st.kind == crate::modules::path_state::PathKind::Absent {
                return Err(ModuleError::State(format!(
                    "unknown sysctl `{}` ({} does not exist)",
                    self.name,
                    self.proc_path()
                )));
            }
            text.map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        } else {
            None
        };
        let probed = self.file.probe(cx).await?;
        Ok(Current {
            runtime,
            file: self.file.decide(probed, cx)?,
        })
    }

    fn decide(
        &self,
        cur: Current,
        _cx: &ModuleCx<'_>,
    ) -> Result<Decision<Self::Change>, ModuleError> {
        let wanted = self
            .value
            .as_ref()
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "));
        let set_now = self.reload && wanted.is_some() && cur.runtime != wanted;
        let (file_text, mut outcome) = match cur.file {
            Decision::Change(text, o) => (Some(text), o),
            Decision::Keep(o) | Decision::Quiet(_, o) => (None, o),
        };
        if !set_now && file_text.is_none() {
            return Ok(Decision::Keep(Outcome::ok()));
        }
        if set_now {
            let d = FileDiff::new(&self.proc_path()).attr(
                "value",
                cur.runtime.unwrap_or_default(),
                wanted.unwrap_or_default(),
            );
            outcome = outcome.with_diff(d);
        }
        Ok(Decision::Change((file_text, set_now), outcome))
    }

    async fn apply(
        &self,
        (file_text, set_now): Self::Change,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        if let Some(text) = file_text {
            self.file.apply(text, planned.clone(), cx).await?;
        }
        if set_now {
            let v = self.value.clone().unwrap_or_default();
            cx.sh_ok(
                &format!("sysctl -q -w {}", quote(&format!("{}={v}", self.name))),
                &format!("cannot set `{}`", self.name),
            )
            .await?;
        }
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("sysctl", &SPEC, |args, cx| {
    Box::pin(async move { drive(Sysctl::new(args)?, cx).await })
});
