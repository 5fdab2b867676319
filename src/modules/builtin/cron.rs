//! `cron`: one named job in a user's crontab (through `crontab`), or in a file of
//! `/etc/cron.d` (`cron_file`, through the text-edit engine). The job is the line after a
//! `#eov: NAME` marker, as Ansible's `#Ansible: NAME`, so it is found again by its name.

use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::attrs::Attrs;
use crate::modules::choice::{Presence, choice, name_of};
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::text_edit::TextEdit;
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

choice!(
    /// `@reboot`, `@daily`...: a schedule instead of the five fields.
    SpecialTime {
        Reboot = "reboot",
        Yearly = "yearly",
        Annually = "annually",
        Monthly = "monthly",
        Weekly = "weekly",
        Daily = "daily",
        Hourly = "hourly",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        req("name", ArgType::Str),
        opt("job", ArgType::Str),
        opt("minute", ArgType::Any),
        opt("hour", ArgType::Any),
        opt("day", ArgType::Any),
        opt("month", ArgType::Any),
        opt("weekday", ArgType::Any),
        opt("special_time", ArgType::Choice(SpecialTime::NAMES)),
        opt("user", ArgType::Str),
        opt("cron_file", ArgType::Str),
        opt("state", ArgType::Choice(Presence::NAMES)),
    ],
    free_form: false,
    one_of: &[],
    exclusive: &[
        ("special_time", "minute"),
        ("special_time", "hour"),
        ("special_time", "day"),
        ("special_time", "month"),
        ("special_time", "weekday"),
    ],
};

/// The marker line before a job.
fn marker(name: &str) -> String {
    format!("#eov: {name}")
}

/// The crontab text with the job named `name` set to `job` (or removed, with `None`); the
/// marker and its job line are replaced where they are, else appended.
pub fn edit(old: &str, name: &str, job: Option<&str>) -> String {
    let mark = marker(name);
    let mut out: Vec<String> = Vec::new();
    let mut lines = old.lines();
    let mut done = false;
    while let Some(line) = lines.next() {
        if line == mark {
            // The marker's job line goes with it.
            lines.next();
            if let (Some(j), false) = (job, done) {
                out.push(mark.clone());
                out.push(j.to_string());
            }
            done = true;
        } else {
            out.push(line.to_string());
        }
    }
    if let (Some(j), false) = (job, done) {
        out.push(mark);
        out.push(j.to_string());
    }
    let mut text = out.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text
}

/// One of the five time fields: digits, names, `*`, `/`, `,`, `-`.
fn field(args: &Args, name: &str) -> Result<String, ModuleError> {
    let v = args.opt_str(name)?.unwrap_or_else(|| "*".into());
    if v.is_empty()
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "*/,-".contains(c))
    {
        return Err(ModuleError::argument(
            name,
            format!("`{v}` is not a cron time field (like `*/5`, `1,15`, `mon-fri`)"),
        ));
    }
    Ok(v)
}

pub struct Cron {
    name: String,
    user: String,
    /// The job line; `None` with `state = "absent"`.
    line: Option<String>,
    /// `cron_file`: the file of /etc/cron.d the job lives in, edited as text.
    file: Option<TextEdit>,
}

impl Cron {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let name = args.str("name")?;
        if name.contains('\n') || name.trim().is_empty() {
            return Err(ModuleError::argument("name", "must be one non-empty line"));
        }
        let present = args.pick("state", Presence::Present)? == Presence::Present;
        let user = args.str_or("user", "root")?;
        super::group::account_name("user", &user)?;
        let schedule = match args.opt_str("special_time")? {
            Some(_) => {
                let special = args.pick("special_time", SpecialTime::Daily)?;
                format!("@{}", name_of(special))
            }
            None => ["minute", "hour", "day", "month", "weekday"]
                .iter()
                .map(|f| field(args, f))
                .collect::<Result<Vec<_>, _>>()?
                .join(" "),
        };
        let cron_file = args.opt_str("cron_file")?;
        let line = match (args.opt_str("job")?, present) {
            (Some(job), true) => {
                if job.contains('\n') || job.trim().is_empty() {
                    return Err(ModuleError::argument("job", "must be one non-empty line"));
                }
                // A cron.d file names the user on each line; a user's crontab does not.
                Some(match &cron_file {
                    Some(_) => format!("{schedule} {user} {job}"),
                    None => format!("{schedule} {job}"),
                })
            }
            (None, true) => {
                return Err(ModuleError::Usage(
                    "`state = \"present\"` needs `job`".into(),
                ));
            }
            (_, false) => None,
        };
        let file = match cron_file {
            None => None,
            Some(f) => {
                // Files of /etc/cron.d whose names have dots are ignored by Debian's cron.
                let path = if f.starts_with('/') {
                    f
                } else {
                    if !f
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
                    {
                        return Err(ModuleError::argument(
                            "cron_file",
                            format!(
                                "`{f}`: cron ignores files of /etc/cron.d with other characters than letters, digits, `_` and `-`"
                            ),
                        ));
                    }
                    format!("/etc/cron.d/{f}")
                };
                let (n, l) = (name.clone(), line.clone());
                Some(TextEdit {
                    path,
                    edit: Box::new(move |old: Option<&str>| {
                        Ok(match (old, &l) {
                            (None, None) => None,
                            (old, l) => Some(edit(old.unwrap_or(""), &n, l.as_deref())),
                        })
                    }),
                    attrs: Attrs {
                        mode: Some(crate::modules::mode::FileMode::Octal(0o644)),
                        owner: None,
                        group: None,
                    },
                })
            }
        };
        Ok(Cron {
            name,
            user,
            line,
            file,
        })
    }
}

/// A user's crontab (`None`: the user has none yet).
pub struct Tab(Option<String>);

impl Action for Cron {
    type State = Tab;
    type Change = String;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Tab, ModuleError> {
        let u = quote(&self.user);
        let script = format!(
            "command -v crontab >/dev/null || {{ echo 'crontab not found: install the cron package' >&2; exit 3; }}\n\
             id -u -- {u} >/dev/null 2>&1 || {{ echo 'no user '{u} >&2; exit 4; }}\n\
             if crontab -u {u} -l >/dev/null 2>&1; then echo present; crontab -u {u} -l; else echo absent; fi"
        );
        let out = cx.sh_probe(&script).await?;
        if out.status == Some(4) && cx.check {
            // An earlier task may create the user: a real run decides.
            return Ok(Tab(None));
        }
        if !out.success() {
            return Err(ModuleError::Remote {
                what: format!("cannot read the crontab of `{}`", self.user),
                reason: out.failure_reason(),
            });
        }
        let text = out.stdout_text();
        Ok(Tab(text
            .strip_prefix("present\n")
            .map(str::to_string)
            .or_else(|| (text.trim() == "present").then(String::new))))
    }

    fn decide(&self, tab: Tab, _cx: &ModuleCx<'_>) -> Result<Decision<String>, ModuleError> {
        let old = tab.0.unwrap_or_default();
        let new = edit(&old, &self.name, self.line.as_deref());
        if new == old || (self.line.is_none() && !old.contains(&marker(&self.name))) {
            return Ok(Decision::Keep(Outcome::ok()));
        }
        let mut diff = FileDiff::new(&format!("crontab of {}", self.user));
        diff.before = Some(old);
        diff.after = Some(new.clone());
        Ok(Decision::Change(new, Outcome::ok().with_diff(diff)))
    }

    async fn apply(
        &self,
        text: String,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let script = format!("crontab -u {} -", quote(&self.user));
        let out = cx.sh_in(&script, text.as_bytes()).await?;
        if !out.success() {
            return Err(ModuleError::Remote {
                what: format!("cannot write the crontab of `{}`", self.user),
                reason: out.failure_reason(),
            });
        }
        Ok(planned)
    }
}

pub const DEF: ModuleDef = ModuleDef::new("cron", &SPEC, |args, cx| {
    Box::pin(async move {
        let mut cron = Cron::new(args)?;
        match cron.file.take() {
            Some(file) => drive(file, cx).await,
            None => drive(cron, cx).await,
        }
    })
});

#[cfg(test)]
mod tests {
    use super::edit;

    #[test]
    fn jobs_found_by_their_marker() {
        let tab = "MAILTO=root\n#eov: a\n* * * * * old\n# other\n";
        assert_eq!(
            edit(tab, "a", Some("5 * * * * new")),
            "MAILTO=root\n#eov: a\n5 * * * * new\n# other\n"
        );
        assert_eq!(edit(tab, "a", None), "MAILTO=root\n# other\n");
        assert_eq!(edit(tab, "b", None), tab);
        assert_eq!(
            edit(tab, "b", Some("@daily x")),
            format!("{tab}#eov: b\n@daily x\n")
        );
        assert_eq!(edit("", "b", Some("@daily x")), "#eov: b\n@daily x\n");
        // A name given twice keeps one job.
        let twice = "#eov: a\n1 * * * * x\n#eov: a\n2 * * * * x\n";
        assert_eq!(
            edit(twice, "a", Some("3 * * * * x")),
            "#eov: a\n3 * * * * x\n"
        );
    }
}
