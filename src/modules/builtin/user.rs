//! `user`: a local account present (uid, primary group, supplementary groups, shell, home,
//! comment, password hash) or absent, through `getent`, `useradd`, `usermod`, `userdel`.
//! The password hash is masked in every output and goes to `chpasswd -e` on stdin, never on
//! a command line (which every user of the host can read in `ps`).

use super::group::{account_id, account_name};
use crate::diff::FileDiff;
use crate::modules::action::drive;
use crate::modules::action::{Action, Decision};
use crate::modules::choice::Presence;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("name", ArgType::Str),
    opt("uid", ArgType::Int),
    opt("group", ArgType::Str),
    opt("groups", ArgType::StrOrList),
    opt("append", ArgType::Bool),
    opt("shell", ArgType::Str),
    opt("home", ArgType::Str),
    opt("comment", ArgType::Str),
    opt("create_home", ArgType::Bool),
    opt("system", ArgType::Bool),
    opt("password", ArgType::Str),
    opt("remove", ArgType::Bool),
    opt("state", ArgType::Choice(Presence::NAMES)),
]);

pub struct User {
    name: String,
    uid: Option<u32>,
    group: Option<String>,
    /// `None`: supplementary groups not managed.
    groups: Option<Vec<String>>,
    append: bool,
    shell: Option<String>,
    home: Option<String>,
    comment: Option<String>,
    create_home: bool,
    system: bool,
    password: Option<String>,
    remove: bool,
    present: bool,
}

/// Text that goes into /etc/passwd: no `:` (the field separator) and no line break.
fn passwd_field(arg: &str, v: Option<String>) -> Result<Option<String>, ModuleError> {
    match v {
        Some(s) if s.contains([':', '\n']) => Err(ModuleError::argument(
            arg,
            format!("`{s}` cannot hold `:` or a line break"),
        )),
        other => Ok(other),
    }
}

impl User {
    pub fn new(args: &Args, cx: &ModuleCx<'_>) -> Result<Self, ModuleError> {
        let name = args.str("name")?;
        account_name("name", &name)?;
        let group = args.opt_str("group")?;
        if let Some(g) = group
            .as_deref()
            .filter(|g| !g.chars().all(|c| c.is_ascii_digit()))
        {
            account_name("group", g)?;
        }
        let groups = match args.get("groups") {
            None => None,
            Some(_) => {
                let mut list = Vec::new();
                // Ansible's comma-separated string is accepted too.
                for item in args.str_list("groups")? {
                    for g in item.split(',').map(str::trim).filter(|g| !g.is_empty()) {
                        account_name("groups", g)?;
                        list.push(g.to_string());
                    }
                }
                list.sort();
                list.dedup();
                Some(list)
            }
        };
        let password = passwd_field("password", args.opt_str("password")?)?;
        if let Some(p) = &password {
            if !p.starts_with('$') && p != "!" && p != "*" && !p.starts_with('!') {
                return Err(ModuleError::argument(
                    "password",
                    "must be a crypt hash (`$6$...`, `$y$...`, from `mkpasswd`), or `!` to lock: \
                     eov never hashes a clear password",
                ));
            }
            cx.secrets.add(p);
        }
        Ok(User {
            name,
            uid: account_id(args, "uid")?,
            group,
            groups,
            append: args.bool_or("append", false)?,
            shell: passwd_field("shell", args.opt_str("shell")?)?,
            home: passwd_field("home", args.opt_str("home")?)?,
            comment: passwd_field("comment", args.opt_str("comment")?)?,
            create_home: args.bool_or("create_home", true)?,
            system: args.bool_or("system", false)?,
            password,
            remove: args.bool_or("remove", false)?,
            present: args.pick("state", Presence::Present)? == Presence::Present,
        })
    }
}

/// The account as the host has it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Account {
    uid: u32,
    gid: u32,
    group: String,
    groups: Vec<String>,
    comment: String,
    home: String,
    shell: String,
    hash: Option<String>,
}

/// Parses the probe's lines; `None` when the account does not exist.
fn parse(out: &str) -> Result<Option<Account>, ModuleError> {
    let mut acc = Account::default();
    let mut found = false;
    for line in out.lines() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "passwd" => {
                let f: Vec<&str> = rest.split(':').collect();
                if f.len() < 7 {
                    return Err(ModuleError::State(format!(
                        "cannot read passwd entry `{rest}`"
                    )));
                }
                let id = |s: &str| {
                    s.parse()
                        .map_err(|_| ModuleError::State(format!("bad id in `{rest}`")))
                };
                found = true;
                acc.uid = id(f[2])?;
                acc.gid = id(f[3])?;
                acc.comment = f[4].to_string();
                acc.home = f[5].to_string();
                acc.shell = f[6].to_string();
            }
            "primary" => acc.group = rest.trim().to_string(),
            "groups" => {
                acc.groups = rest.split_whitespace().map(str::to_string).collect();
            }
            "shadow" => acc.hash = Some(rest.to_string()),
            _ => {}
        }
    }
    // `id -Gn` lists the primary group too: it is not a supplementary one.
    let primary = acc.group.clone();
    acc.groups.retain(|g| *g != primary);
    acc.groups.sort();
    Ok(found.then_some(acc))
}

pub enum Change {
    Add { password: bool },
    Modify { args: Vec<String>, password: bool },
    Delete,
}

impl Action for User {
    type State = Option<Account>;
    type Change = Change;

    async fn probe(&self, cx: &ModuleCx<'_>) -> Result<Option<Account>, ModuleError> {
        let n = quote(&self.name);
        let shadow = if self.password.is_some() {
            format!("s=$(getent shadow -- {n}) && echo \"shadow $(echo \"$s\" | cut -d: -f2)\"\n")
        } else {
            String::new()
        };
        // `getent` exits 2 for "no such user": anything else is a failure to look.
        let script = format!(
            "if p=$(getent passwd -- {n}); then\n\
             echo \"passwd $p\"\necho \"primary $(id -gn -- {n})\"\necho \"groups $(id -Gn -- {n})\"\n{shadow}\
             else r=$?; [ $r -eq 2 ] || exit $r; fi"
        );
        let out = cx
            .probe_ok(&script, &format!("cannot look up user `{}`", self.name))
            .await?;
        parse(&out)
    }

    fn decide(
        &self,
        cur: Option<Account>,
        _cx: &ModuleCx<'_>,
    ) -> Result<Decision<Change>, ModuleError> {
        let mut diff = FileDiff::new(&format!("user {}", self.name));
        let Some(acc) = cur else {
            if !self.present {
                return Ok(Decision::Keep(Outcome::ok()));
            }
            diff = diff.attr("state", "absent", "present");
            for (k, v) in [
                ("uid", self.uid.map(|u| u.to_string())),
                ("group", self.group.clone()),
                ("groups", self.groups.as_ref().map(|g| g.join(","))),
                ("shell", self.shell.clone()),
                ("home", self.home.clone()),
                ("comment", self.comment.clone()),
            ] {
                if let Some(v) = v {
                    diff = diff.attr(k, "", v);
                }
            }
            // The uid is known now only if it was asked for; `apply` reads the one given.
            let planned = match self.uid {
                Some(u) => Outcome::ok().data("uid", u),
                None => Outcome::ok(),
            };
            return Ok(Decision::Change(
                Change::Add {
                    password: self.password.is_some(),
                },
                planned.with_diff(diff),
            ));
        };
        let found = Outcome::ok()
            .data("uid", acc.uid)
            .data("group", acc.group.as_str())
            .data("home", acc.home.as_str());
        if !self.present {
            diff = diff.attr("state", format!("present (uid {})", acc.uid), "absent");
            return Ok(Decision::Change(Change::Delete, found.with_diff(diff)));
        }
        let mut args = Vec::new();
        if let Some(u) = self.uid.filter(|u| *u != acc.uid) {
            diff = diff.attr("uid", acc.uid.to_string(), u.to_string());
            args.extend(["-u".into(), u.to_string()]);
        }
        if let Some(g) = self
            .group
            .as_ref()
            .filter(|g| **g != acc.group && **g != acc.gid.to_string())
        {
            diff = diff.attr("group", acc.group.clone(), g.clone());
            args.extend(["-g".into(), g.clone()]);
        }
        if let Some(want) = &self.groups {
            let missing = want.iter().any(|g| !acc.groups.contains(g));
            let extra = !self.append && acc.groups.iter().any(|g| !want.contains(g));
            if missing || extra {
                let mut after = want.clone();
                if self.append {
                    after.extend(acc.groups.iter().cloned());
                    after.sort();
                    after.dedup();
                }
                diff = diff.attr("groups", acc.groups.join(","), after.join(","));
                args.extend(["-G".into(), after.join(",")]);
            }
        }
        for (flag, name, want, have) in [
            ("-s", "shell", &self.shell, &acc.shell),
            ("-d", "home", &self.home, &acc.home),
            ("-c", "comment", &self.comment, &acc.comment),
        ] {
            if let Some(w) = want.as_ref().filter(|w| *w != have) {
                diff = diff.attr(name, have.clone(), w.clone());
                args.extend([flag.to_string(), w.clone()]);
            }
        }
        let password = self
            .password
            .as_ref()
            .is_some_and(|p| acc.hash.as_ref() != Some(p));
        if password {
            // Never the hash itself: it is a secret.
            diff = diff.attr("password", "(hash)", "(another hash)");
        }
        if args.is_empty() && !password {
            return Ok(Decision::Keep(found));
        }
        Ok(Decision::Change(
            Change::Modify { args, password },
            found.with_diff(diff),
        ))
    }

    async fn apply(
        &self,
        change: Change,
        planned: Outcome,
        cx: &ModuleCx<'_>,
    ) -> Result<Outcome, ModuleError> {
        let n = quote(&self.name);
        let mut script = String::from("set -e\n");
        let added = matches!(change, Change::Add { .. });
        let password = match change {
            Change::Add { password } => {
                let mut cmd = vec!["useradd".to_string()];
                if let Some(u) = self.uid {
                    cmd.extend(["-u".into(), u.to_string()]);
                }
                if let Some(g) = &self.group {
                    cmd.extend(["-g".into(), quote(g)]);
                }
                if let Some(gs) = self.groups.as_ref().filter(|g| !g.is_empty()) {
                    cmd.extend(["-G".into(), quote(&gs.join(","))]);
                }
                for (flag, v) in [
                    ("-s", &self.shell),
                    ("-d", &self.home),
                    ("-c", &self.comment),
                ] {
                    if let Some(v) = v {
                        cmd.extend([flag.into(), quote(v)]);
                    }
                }
                cmd.push(if self.create_home { "-m" } else { "-M" }.into());
                if self.system {
                    cmd.push("-r".into());
                }
                script.push_str(&format!("{} -- {n}\n", cmd.join(" ")));
                password
            }
            Change::Modify { args, password } => {
                if !args.is_empty() {
                    let args: Vec<String> = args.iter().map(|a| quote(a)).collect();
                    script.push_str(&format!("usermod {} -- {n}\n", args.join(" ")));
                }
                password
            }
            Change::Delete => {
                let r = if self.remove { " -r" } else { "" };
                script.push_str(&format!("userdel{r} -- {n}\n"));
                false
            }
        };
        if password {
            script.push_str("chpasswd -e\n");
        }
        if added {
            script.push_str(&format!("echo \"uid $(id -u -- {n})\"\n"));
        }
        let stdin = self
            .password
            .as_ref()
            .filter(|_| password)
            .map(|hash| format!("{}:{hash}\n", self.name));
        let out = match &stdin {
            Some(line) => cx.sh_in(&script, line.as_bytes()).await?,
            None => cx.sh(&script).await?,
        };
        if !out.success() {
            return Err(ModuleError::Remote {
                what: format!("cannot change user `{}`", self.name),
                reason: out.failure_reason(),
            });
        }
        let uid = out.stdout_text().lines().find_map(|l| {
            l.strip_prefix("uid ")
                .and_then(|u| u.trim().parse::<u32>().ok())
        });
        Ok(match uid {
            Some(u) => planned.data("uid", u),
            None => planned,
        })
    }
}

pub const DEF: ModuleDef = ModuleDef::new("user", &SPEC, |args, cx| {
    Box::pin(async move { drive(User::new(args, cx)?, cx).await })
});

#[cfg(test)]
mod tests {
    use super::{Account, parse};

    #[test]
    fn probe_answers() {
        let out = "passwd eov:x:1001:1001:Eov Test:/home/eov:/bin/bash\nprimary eov\ngroups eov sudo adm\nshadow $6$salt$hash\n";
        assert_eq!(
            parse(out).unwrap(),
            Some(Account {
                uid: 1001,
                gid: 1001,
                group: "eov".into(),
                groups: vec!["adm".into(), "sudo".into()],
                comment: "Eov Test".into(),
                home: "/home/eov".into(),
                shell: "/bin/bash".into(),
                hash: Some("$6$salt$hash".into()),
            })
        );
        assert_eq!(parse("").unwrap(), None);
        assert!(parse("passwd broken:x").is_err());
    }
}
