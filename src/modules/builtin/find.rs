//! `find`: the files under some directories that match name patterns, a type, an age and a
//! size, registered as `files` (Ansible's `find`). Only reads, so it runs in check mode too.
//! GNU `find` walks and matches the names (its globs are fnmatch's, as Ansible's); age and
//! size are compared here, against the host's clock, so their rules are exactly Ansible's.

use indexmap::IndexMap;
use minijinja::Value;

use crate::modules::choice::choice;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

choice!(
    /// Which kind of entry is looked for.
    FileType {
        File = "file",
        Directory = "directory",
        Link = "link",
        Any = "any",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec::new(&[
    req("paths", ArgType::StrOrList),
    opt("patterns", ArgType::StrOrList),
    opt("file_type", ArgType::Choice(FileType::NAMES)),
    opt("recurse", ArgType::Bool),
    opt("hidden", ArgType::Bool),
    opt("age", ArgType::Any),
    opt("size", ArgType::Any),
]);

/// A bound with Ansible's sign rule: positive means "at least", negative "at most".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    value: f64,
    at_most: bool,
}

impl Bound {
    fn admits(self, x: f64) -> bool {
        if self.at_most {
            x <= self.value
        } else {
            x >= self.value
        }
    }
}

/// `-?digits` then one unit letter from `units` (with its factor); no letter: factor 1.
fn bound(
    arg: &str,
    text: &str,
    units: &[(char, f64)],
    example: &str,
) -> Result<Bound, ModuleError> {
    let t = text.trim().to_ascii_lowercase();
    let (at_most, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.as_str()),
    };
    let split = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (digits, unit) = rest.split_at(split);
    let factor = match unit.chars().next() {
        None => Some(1.0),
        Some(u) => units
            .iter()
            .find(|(c, _)| *c == u)
            .map(|(_, f)| *f)
            .filter(|_| unit.len() == 1),
    };
    match (digits.parse::<f64>(), factor) {
        (Ok(n), Some(f)) => Ok(Bound {
            value: n * f,
            at_most,
        }),
        _ => Err(ModuleError::argument(
            arg,
            format!("`{text}` is not {example}"),
        )),
    }
}

const AGE_UNITS: &[(char, f64)] = &[
    ('s', 1.0),
    ('m', 60.0),
    ('h', 3600.0),
    ('d', 86400.0),
    ('w', 604_800.0),
];
const SIZE_UNITS: &[(char, f64)] = &[
    ('b', 1.0),
    ('k', 1024.0),
    ('m', 1_048_576.0),
    ('g', 1_073_741_824.0),
    ('t', 1_099_511_627_776.0),
];

pub struct Find {
    paths: Vec<String>,
    patterns: Vec<String>,
    file_type: FileType,
    recurse: bool,
    hidden: bool,
    age: Option<Bound>,
    size: Option<Bound>,
}

/// A list argument, Ansible's comma-separated string accepted too.
fn list(args: &Args, name: &str) -> Result<Vec<String>, ModuleError> {
    Ok(args
        .str_list(name)?
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

impl Find {
    pub fn new(args: &Args) -> Result<Self, ModuleError> {
        let paths = list(args, "paths")?;
        if paths.is_empty() {
            return Err(ModuleError::argument("paths", "names no directory"));
        }
        Ok(Find {
            paths,
            patterns: list(args, "patterns")?,
            file_type: args.pick("file_type", FileType::File)?,
            recurse: args.bool_or("recurse", false)?,
            hidden: args.bool_or("hidden", false)?,
            age: match args.opt_str("age")? {
                Some(t) => Some(bound(
                    "age",
                    &t,
                    AGE_UNITS,
                    "an age like `2d`, `-30m`, `1w`",
                )?),
                None => None,
            },
            size: match args.opt_str("size")? {
                Some(t) => Some(bound(
                    "size",
                    &t,
                    SIZE_UNITS,
                    "a size like `10m`, `-1k`, `512`",
                )?),
                None => None,
            },
        })
    }

    /// One script for every path: the host's time, then each entry NUL-terminated.
    fn script(&self) -> String {
        let mut filter = String::new();
        if !self.recurse {
            filter.push_str(" -maxdepth 1");
        }
        filter.push_str(match self.file_type {
            FileType::File => " -type f",
            FileType::Directory => " -type d",
            FileType::Link => " -type l",
            FileType::Any => "",
        });
        if !self.patterns.is_empty() {
            let names: Vec<String> = self
                .patterns
                .iter()
                .map(|p| format!("-name {}", quote(p)))
                .collect();
            filter.push_str(&format!(" \\( {} \\)", names.join(" -o ")));
        }
        let mut s = String::from("printf 'now %s\\0' \"$(date +%s)\"\n");
        for p in &self.paths {
            let q = quote(p);
            s.push_str(&format!(
                "if [ -d {q} ]; then find {q} -mindepth 1{filter} -printf '%y\\t%s\\t%m\\t%T@\\t%u\\t%g\\t%p\\0'; \
                 else printf 'skip %s\\0' {q}; fi\n"
            ));
        }
        s
    }
}

/// One entry as `find -printf` gave it.
#[derive(Debug, PartialEq)]
pub struct Entry {
    kind: char,
    size: u64,
    mode: u32,
    mtime: f64,
    owner: String,
    group: String,
    path: String,
}

/// The host's time, the entries, and the paths skipped (not directories).
fn parse(out: &[u8]) -> Result<(f64, Vec<Entry>, Vec<String>), ModuleError> {
    let mut now = None;
    let (mut entries, mut skipped) = (Vec::new(), Vec::new());
    for rec in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let rec = String::from_utf8_lossy(rec);
        if let Some(t) = rec.strip_prefix("now ") {
            now = t.trim().parse().ok();
        } else if let Some(p) = rec.strip_prefix("skip ") {
            skipped.push(p.to_string());
        } else {
            let f: Vec<&str> = rec.splitn(7, '\t').collect();
            let bad = || ModuleError::State(format!("cannot read find's `{rec}`"));
            if f.len() != 7 {
                return Err(bad());
            }
            entries.push(Entry {
                kind: f[0].chars().next().ok_or_else(bad)?,
                size: f[1].parse().map_err(|_| bad())?,
                mode: u32::from_str_radix(f[2], 8).map_err(|_| bad())?,
                mtime: f[3].parse().map_err(|_| bad())?,
                owner: f[4].to_string(),
                group: f[5].to_string(),
                path: f[6].to_string(),
            });
        }
    }
    let now = now.ok_or_else(|| ModuleError::State("the host did not tell its time".into()))?;
    Ok((now, entries, skipped))
}

impl Find {
    fn keeps(&self, e: &Entry, now: f64) -> bool {
        let name = e.path.rsplit('/').next().unwrap_or_default();
        (self.hidden || !name.starts_with('.'))
            && self.age.is_none_or(|a| a.admits(now - e.mtime))
            && self.size.is_none_or(|s| s.admits(e.size as f64))
    }
}

fn entry_value(e: &Entry) -> Value {
    let mut m: IndexMap<Value, Value> = IndexMap::new();
    let mut put = |k: &str, v: Value| {
        m.insert(Value::from(k), v);
    };
    put("path", Value::from(e.path.as_str()));
    put("size", Value::from(e.size));
    put("mode", Value::from(format!("{:04o}", e.mode)));
    put("mtime", Value::from(e.mtime));
    put("owner", Value::from(e.owner.as_str()));
    put("group", Value::from(e.group.as_str()));
    put("isreg", Value::from(e.kind == 'f'));
    put("isdir", Value::from(e.kind == 'd'));
    put("islnk", Value::from(e.kind == 'l'));
    Value::from_object(m)
}

pub async fn run(args: &Args, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let find = Find::new(args)?;
    let out = cx.sh_probe(&find.script()).await?;
    if !out.success() {
        return Err(ModuleError::Remote {
            what: "cannot search".into(),
            reason: out.failure_reason(),
        });
    }
    let (now, entries, skipped) = parse(&out.stdout)?;
    let mut files: Vec<&Entry> = entries.iter().filter(|e| find.keeps(e, now)).collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let values: Vec<Value> = files.iter().map(|e| entry_value(e)).collect();
    let mut outcome = Outcome::ok()
        .data("matched", values.len())
        .data("examined", entries.len())
        .data("files", Value::from(values));
    if !skipped.is_empty() {
        outcome = outcome.msg(format!("not directories, skipped: {}", skipped.join(", ")));
    }
    Ok(outcome)
}

pub const DEF: ModuleDef = ModuleDef::new("find", &SPEC, |args, cx| Box::pin(run(args, cx)));

#[cfg(test)]
mod tests {
    use super::{AGE_UNITS, Bound, SIZE_UNITS, bound, parse};

    #[test]
    fn ages_and_sizes_as_ansible_writes_them() {
        let b = |t: &str, u| bound("x", t, u, "x").unwrap();
        assert_eq!(
            b("2d", AGE_UNITS),
            Bound {
                value: 172_800.0,
                at_most: false
            }
        );
        assert_eq!(
            b("-30m", AGE_UNITS),
            Bound {
                value: 1800.0,
                at_most: true
            }
        );
        assert_eq!(b("90", AGE_UNITS).value, 90.0);
        assert_eq!(b("10k", SIZE_UNITS).value, 10240.0);
        assert!(b("-1m", SIZE_UNITS).admits(1_048_576.0));
        assert!(!b("-1m", SIZE_UNITS).admits(1_048_577.0));
        for bad in ["", "d", "2x", "2dd", "1.5d"] {
            assert!(bound("age", bad, AGE_UNITS, "an age").is_err(), "{bad}");
        }
    }

    #[test]
    fn find_output() {
        let out = b"now 1000\0f\t12\t644\t990.5\troot\troot\t/d/a\tb\0skip /nope\0";
        let (now, entries, skipped) = parse(out).unwrap();
        assert_eq!(now, 1000.0);
        assert_eq!(entries[0].path, "/d/a\tb");
        assert_eq!(entries[0].mode, 0o644);
        assert_eq!(skipped, vec!["/nope".to_string()]);
        assert!(parse(b"f\t1\0").is_err());
    }
}
