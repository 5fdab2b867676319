//! PEP 440 versions and PEP 508 requirements, as far as `pip` needs them to tell whether an
//! installed version satisfies `name==1.0`, `name>=2,<3` or `name~=1.4` without asking pip.
//!
//! Versions: epoch, release, pre (`a`/`b`/`rc` and their spellings), post, dev and local
//! segments, normalized and ordered as PEP 440 says (`1.0.dev1 < 1.0a1 < 1.0 < 1.0.post1`,
//! `1.0 == 1.0.0`). Specifiers: `==` (with `.*` on a release prefix), `!=`, `<=`, `>=`, `<`,
//! `>`, `~=`, `===`, joined by commas. An installed pre-release satisfies a specifier that
//! admits it, as pip decides for what is already installed. Limits: a `.*` prefix holds
//! release numbers only; a requirement is `name[extras] specifiers`: URLs (`name @ url`),
//! paths and environment markers (`; python_version < "3.9"`) are refused, and go in a
//! requirements file, which pip itself reads.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

/// A bound that sorts below or above every value, for PEP 440's ordering of missing parts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key<T> {
    Below,
    Value(T),
    Above,
}

/// One part of a local version (`+ubuntu.1`): words sort before numbers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Local {
    Word(String),
    Number(u64),
}

#[derive(Clone, Debug)]
pub struct Version {
    epoch: u64,
    release: Vec<u64>,
    /// (0 = a, 1 = b, 2 = rc, number)
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Option<Vec<Local>>,
}

static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*v?
        (?:(?P<epoch>[0-9]+)!)?
        (?P<release>[0-9]+(?:\.[0-9]+)*)
        (?:[-_.]?(?P<pre_l>alpha|beta|preview|pre|rc|a|b|c)[-_.]?(?P<pre_n>[0-9]+)?)?
        (?:-(?P<post_n1>[0-9]+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)?
        (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
        (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
        \s*$",
    )
    .expect("the version pattern")
});

fn number(s: &str) -> Option<u64> {
    s.parse().ok()
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let c = VERSION.captures(text)?;
        let num = |name: &str| c.name(name).map_or(Some(0), |m| number(m.as_str()));
        let release = c["release"]
            .split('.')
            .map(number)
            .collect::<Option<Vec<u64>>>()?;
        let pre = match c.name("pre_l") {
            None => None,
            Some(l) => {
                let kind = match l.as_str().to_ascii_lowercase().as_str() {
                    "a" | "alpha" => 0,
                    "b" | "beta" => 1,
                    _ => 2,
                };
                Some((kind, num("pre_n")?))
            }
        };
        let post = if let Some(n) = c.name("post_n1") {
            Some(number(n.as_str())?)
        } else if c.name("post_l").is_some() {
            Some(num("post_n2")?)
        } else {
            None
        };
        let dev = match c.name("dev_l") {
            None => None,
            Some(_) => Some(num("dev_n")?),
        };
        let local = c.name("local").map(|l| {
            l.as_str()
                .split(['-', '_', '.'])
                .map(|p| match number(p) {
                    Some(n) if p.bytes().all(|b| b.is_ascii_digit()) => Local::Number(n),
                    _ => Local::Word(p.to_ascii_lowercase()),
                })
                .collect()
        });
        Some(Version {
            epoch: num("epoch")?,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// Epoch and release only (`1!2.0` of `1!2.0rc1.post3+x`).
    fn base(&self) -> Version {
        Version {
            epoch: self.epoch,
            release: self.release.clone(),
            pre: None,
            post: None,
            dev: None,
            local: None,
        }
    }

    /// Without its local part.
    fn public(&self) -> Version {
        Version {
            local: None,
            ..self.clone()
        }
    }

    /// The release without its trailing zeros (`1.0.0` orders as `1`).
    fn trimmed(&self) -> &[u64] {
        let end = self
            .release
            .iter()
            .rposition(|n| *n != 0)
            .map_or(0, |i| i + 1);
        &self.release[..end]
    }

    #[allow(clippy::type_complexity)]
    fn key(
        &self,
    ) -> (
        u64,
        &[u64],
        Key<(u8, u64)>,
        Key<u64>,
        Key<u64>,
        Key<&[Local]>,
    ) {
        let pre = match (self.pre, self.post, self.dev) {
            // A dev release of a final version sorts before its pre-releases.
            (None, None, Some(_)) => Key::Below,
            (None, _, _) => Key::Above,
            (Some(p), _, _) => Key::Value(p),
        };
        let post = self.post.map_or(Key::Below, Key::Value);
        let dev = self.dev.map_or(Key::Above, Key::Value);
        let local = self.local.as_deref().map_or(Key::Below, Key::Value);
        (self.epoch, self.trimmed(), pre, post, dev, local)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Compatible,
    Equal,
    NotEqual,
    LessEqual,
    GreaterEqual,
    Less,
    Greater,
    Arbitrary,
}

/// One clause of a specifier (`>=2.0`, `==1.4.*`).
#[derive(Clone, Debug)]
struct Clause {
    op: Op,
    text: String,
    version: Option<Version>,
    /// `==1.4.*` / `!=1.4.*`: the release prefix.
    prefix: Option<(u64, Vec<u64>)>,
}

impl Clause {
    fn parse(text: &str) -> Result<Clause, String> {
        let t = text.trim();
        let (op, rest) = [
            ("===", Op::Arbitrary),
            ("~=", Op::Compatible),
            ("==", Op::Equal),
            ("!=", Op::NotEqual),
            ("<=", Op::LessEqual),
            (">=", Op::GreaterEqual),
            ("<", Op::Less),
            (">", Op::Greater),
        ]
        .iter()
        .find_map(|(s, op)| t.strip_prefix(s).map(|rest| (*op, rest.trim())))
        .ok_or_else(|| format!("`{t}` is not a version specifier like `>=1.0`"))?;
        let bad = || format!("`{t}`: `{rest}` is not a version");
        let mut clause = Clause {
            op,
            text: rest.to_string(),
            version: None,
            prefix: None,
        };
        if op == Op::Arbitrary {
            if rest.is_empty() || rest.contains(char::is_whitespace) {
                return Err(bad());
            }
            return Ok(clause);
        }
        if let Some(head) = rest.strip_suffix(".*") {
            if !matches!(op, Op::Equal | Op::NotEqual) {
                return Err(format!("`{t}`: `.*` goes only with `==` and `!=`"));
            }
            let v = Version::parse(head).ok_or_else(bad)?;
            if v.pre.is_some() || v.post.is_some() || v.dev.is_some() || v.local.is_some() {
                return Err(format!(
                    "`{t}`: eov compares a `.*` prefix of release numbers only"
                ));
            }
            clause.prefix = Some((v.epoch, v.release));
            return Ok(clause);
        }
        let v = Version::parse(rest).ok_or_else(bad)?;
        if op == Op::Compatible && v.release.len() < 2 {
            return Err(format!("`{t}`: `~=` needs at least two release numbers"));
        }
        if v.local.is_some() && !matches!(op, Op::Equal | Op::NotEqual) {
            return Err(format!(
                "`{t}`: a local version (`+...`) goes only with `==` and `!=`"
            ));
        }
        clause.version = Some(v);
        Ok(clause)
    }

    fn admits(&self, have: &Version, have_text: &str) -> bool {
        if let Some((epoch, prefix)) = &self.prefix {
            let mut release = have.release.clone();
            if release.len() < prefix.len() {
                release.resize(prefix.len(), 0);
            }
            let matches = have.epoch == *epoch && release.starts_with(prefix);
            return matches == (self.op == Op::Equal);
        }
        let Some(want) = &self.version else {
            return have_text.trim().eq_ignore_ascii_case(&self.text);
        };
        match self.op {
            Op::Equal => equal(have, want),
            Op::NotEqual => !equal(have, want),
            Op::LessEqual => have.public() <= *want,
            Op::GreaterEqual => have.public() >= *want,
            Op::Less => {
                *have < *want
                    && !(!want.is_prerelease()
                        && have.is_prerelease()
                        && have.base() == want.base())
            }
            Op::Greater => {
                *have > *want
                    && !(want.post.is_none() && have.post.is_some() && have.base() == want.base())
                    && !(have.local.is_some() && have.base() == want.base())
            }
            Op::Compatible => {
                let prefix = &want.release[..want.release.len() - 1];
                let mut release = have.release.clone();
                if release.len() < prefix.len() {
                    release.resize(prefix.len(), 0);
                }
                *have >= *want && have.epoch == want.epoch && release.starts_with(prefix)
            }
            Op::Arbitrary => unreachable!("handled above"),
        }
    }
}

/// `==`: a spec without a local part ignores the candidate's.
fn equal(have: &Version, want: &Version) -> bool {
    if want.local.is_none() {
        have.public() == *want
    } else {
        have == want
    }
}

/// A requirement as `pip` accepts it from a play: `name`, `name[extra]`, `name>=1,<2`.
#[derive(Clone, Debug)]
pub struct Requirement {
    /// As written, trimmed: what pip is given.
    pub text: String,
    pub name: String,
    /// The name as PEP 503 compares names: lower case, runs of `-_.` as one `-`.
    pub key: String,
    clauses: Vec<Clause>,
}

/// PEP 503's normalized name.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[A-Za-z0-9._,\s-]*\])?\s*(.*)$")
        .expect("the name pattern")
});

impl Requirement {
    pub fn parse(text: &str) -> Result<Requirement, String> {
        let t = text.trim();
        let refuse = || {
            format!(
                "`{t}` is not a requirement like `name`, `name==1.0` or `name>=2,<3` (a URL, a path or a marker goes in a requirements file)"
            )
        };
        let c = NAME.captures(t).ok_or_else(refuse)?;
        let name = c[1].to_string();
        let rest = c[3].trim();
        let clauses = if rest.is_empty() {
            Vec::new()
        } else {
            if rest.contains([';', '@', '/']) || rest.starts_with('(') {
                return Err(refuse());
            }
            rest.split(',')
                .map(Clause::parse)
                .collect::<Result<Vec<_>, _>>()?
        };
        Ok(Requirement {
            text: t.to_string(),
            key: normalize(&name),
            name,
            clauses,
        })
    }

    /// Whether an installed version satisfies every clause.
    pub fn admits(&self, installed: &str) -> bool {
        let Some(have) = Version::parse(installed) else {
            // Not a PEP 440 version (an old legacy one): only `===` can match it.
            return self
                .clauses
                .iter()
                .all(|c| c.op == Op::Arbitrary && c.admits(&Version::zero(), installed));
        };
        self.clauses.iter().all(|c| c.admits(&have, installed))
    }
}

impl Version {
    fn zero() -> Version {
        Version {
            epoch: 0,
            release: vec![0],
            pre: None,
            post: None,
            dev: None,
            local: None,
        }
    }
}

/// The package a requirements-file line names, if it names one (not an option, an include,
/// an editable, a comment); the name of `name @ url` and of a line with a marker.
pub fn requirement_name(line: &str) -> Option<String> {
    let line = match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    };
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') || t.starts_with('-') {
        return None;
    }
    let c = NAME.captures(t)?;
    let name = c[1].to_string();
    // A URL or path written alone (`./pkg`, `https://...`) has no name before it.
    let rest = c[3].trim_start();
    if rest.starts_with(['/', ':']) {
        return None;
    }
    Some(name)
}
