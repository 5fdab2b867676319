//! File modes as written in `mode`: octal (`0o644`, `"0644"`) or chmod-style symbolic
//! (`"u+x"`, `"g-w,o=r"`, `"a=rX"`). A symbolic mode is resolved against the mode the path
//! has, on the controller, so a diff shows the exact octal result and a second run sees no
//! change. A path that does not exist yet has no mode to start from: the text itself goes to
//! `chmod` on the host, after the path is created with the host's umask.
//!
//! One difference from chmod(1), on purpose: a clause without a "who" (`+x`) means `a` and
//! does not consult the umask, so the result never depends on the shell eov runs in.

use std::fmt;

/// Who a clause is about: the permission bits it may touch.
const USER: u32 = 0o4700;
const GROUP: u32 = 0o2070;
const OTHER: u32 = 0o1007;
const ALL: u32 = 0o7777;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Remove,
    Set,
}

/// What a clause gives or takes: letters, or a copy of another class's bits (`g=u`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Perms {
    /// Bits of r/w/x/s/t (as masks for every class), and whether `X` was given.
    Letters { bits: u32, cond_x: bool },
    /// The rwx of this class (its shift: 6 user, 3 group, 0 other).
    Copy(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Action {
    op: Op,
    perms: Perms,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Clause {
    who: u32,
    actions: Vec<Action>,
}

/// A parsed symbolic mode; `Display` gives it back with every clause's "who" explicit (the
/// form sent to `chmod` on the host, so that the host's umask plays no part).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbolic {
    clauses: Vec<Clause>,
    text: String,
}

/// A mode argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileMode {
    Octal(u32),
    Symbolic(Symbolic),
}

/// Why a mode text is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a file mode: {reason}")]
pub struct ModeError {
    pub text: String,
    pub reason: String,
}

impl FileMode {
    /// Octal digits (`644`, `0644`, `0o644`) or a symbolic mode.
    pub fn parse(text: &str) -> Result<FileMode, ModeError> {
        let t = text.trim();
        let digits = t.strip_prefix("0o").unwrap_or(t);
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            return match u32::from_str_radix(digits, 8) {
                Ok(m) if m <= 0o7777 => Ok(FileMode::Octal(m)),
                _ => Err(ModeError {
                    text: text.into(),
                    reason: "an octal mode has digits 0-7 and is at most 0o7777".into(),
                }),
            };
        }
        Symbolic::parse(t).map(FileMode::Symbolic)
    }

    /// The mode the path ends with, from the mode it has (`is_dir` for `X`).
    pub fn resolve(&self, current: u32, is_dir: bool) -> u32 {
        match self {
            FileMode::Octal(m) => *m,
            FileMode::Symbolic(s) => s.apply(current, is_dir),
        }
    }

    /// The octal mode when it does not depend on what is there.
    pub fn octal(&self) -> Option<u32> {
        match self {
            FileMode::Octal(m) => Some(*m),
            FileMode::Symbolic(_) => None,
        }
    }

    /// The argument for `chmod` (octal digits, or the symbolic text with explicit "who").
    pub fn chmod_arg(&self) -> String {
        match self {
            FileMode::Octal(m) => format!("{m:o}"),
            FileMode::Symbolic(s) => s.to_string(),
        }
    }
}

impl fmt::Display for FileMode {
    /// As a diff shows a mode still to be resolved: `0644`, or the symbolic text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileMode::Octal(m) => write!(f, "{m:04o}"),
            FileMode::Symbolic(s) => f.write_str(&s.text),
        }
    }
}

impl Symbolic {
    fn parse(text: &str) -> Result<Symbolic, ModeError> {
        let err = |reason: &str| ModeError {
            text: text.into(),
            reason: reason.into(),
        };
        if text.is_empty() {
            return Err(err("it is empty"));
        }
        let mut clauses = Vec::new();
        for part in text.split(',') {
            let mut chars = part.chars().peekable();
            let mut who = 0;
            while let Some(&c) = chars.peek() {
                who |= match c {
                    'u' => USER,
                    'g' => GROUP,
                    'o' => OTHER,
                    'a' => ALL,
                    _ => break,
                };
                chars.next();
            }
            let mut actions = Vec::new();
            while let Some(c) = chars.next() {
                let op = match c {
                    '+' => Op::Add,
                    '-' => Op::Remove,
                    '=' => Op::Set,
                    _ => {
                        return Err(err(&format!(
                            "expected `+`, `-` or `=` in `{part}`, found `{c}` \
                             (clauses look like `u+x`, `g-w`, `o=r`, joined by commas)"
                        )));
                    }
                };
                let mut bits = 0;
                let mut cond_x = false;
                let mut copy = None;
                while let Some(&c) = chars.peek() {
                    if matches!(c, '+' | '-' | '=') {
                        break;
                    }
                    let letter_after_copy = copy.is_some();
                    match c {
                        'r' => bits |= 0o444,
                        'w' => bits |= 0o222,
                        'x' => bits |= 0o111,
                        'X' => cond_x = true,
                        's' => bits |= 0o6000,
                        't' => bits |= 0o1000,
                        'u' | 'g' | 'o' if bits == 0 && !cond_x && copy.is_none() => {
                            copy = Some(match c {
                                'u' => 6,
                                'g' => 3,
                                _ => 0,
                            });
                        }
                        _ => {
                            return Err(err(&format!(
                                "`{c}` is not a permission in `{part}` (use r, w, x, X, s, t, \
                                 or one of u, g, o to copy)"
                            )));
                        }
                    }
                    if letter_after_copy {
                        return Err(err(&format!(
                            "`{part}` mixes a copied class with permission letters"
                        )));
                    }
                    chars.next();
                }
                let perms = match copy {
                    Some(shift) => Perms::Copy(shift),
                    None => Perms::Letters { bits, cond_x },
                };
                actions.push(Action { op, perms });
            }
            if actions.is_empty() {
                return Err(err(&format!(
                    "`{part}` has no `+`, `-` or `=` (write `u+x`, not `{part}`)"
                )));
            }
            clauses.push(Clause {
                who: if who == 0 { ALL } else { who },
                actions,
            });
        }
        Ok(Symbolic {
            clauses,
            text: text.into(),
        })
    }

    /// The mode after every clause, in order, starting from `mode`.
    pub fn apply(&self, mut mode: u32, is_dir: bool) -> u32 {
        for clause in &self.clauses {
            for action in &clause.actions {
                let bits = match action.perms {
                    Perms::Letters { bits, cond_x } => {
                        // `X`: execute only for a directory or what is executable already.
                        let x = if cond_x && (is_dir || mode & 0o111 != 0) {
                            0o111
                        } else {
                            0
                        };
                        bits | x
                    }
                    Perms::Copy(shift) => ((mode >> shift) & 0o7) * 0o111,
                };
                let bits = bits & clause.who;
                mode = match action.op {
                    Op::Add => mode | bits,
                    Op::Remove => mode & !bits,
                    Op::Set => (mode & !clause.who) | bits,
                };
            }
        }
        mode & 0o7777
    }
}

impl fmt::Display for Symbolic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if clause.who == ALL {
                f.write_str("a")?;
            } else {
                for (mask, c) in [(USER, 'u'), (GROUP, 'g'), (OTHER, 'o')] {
                    if clause.who & mask == mask {
                        write!(f, "{c}")?;
                    }
                }
            }
            for action in &clause.actions {
                f.write_str(match action.op {
                    Op::Add => "+",
                    Op::Remove => "-",
                    Op::Set => "=",
                })?;
                match action.perms {
                    Perms::Copy(shift) => f.write_str(match shift {
                        6 => "u",
                        3 => "g",
                        _ => "o",
                    })?,
                    Perms::Letters { bits, cond_x } => {
                        for (mask, c) in [
                            (0o444, 'r'),
                            (0o222, 'w'),
                            (0o111, 'x'),
                            (0o6000, 's'),
                            (0o1000, 't'),
                        ] {
                            if bits & mask != 0 {
                                write!(f, "{c}")?;
                            }
                        }
                        if cond_x {
                            f.write_str("X")?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::FileMode;

    fn sym(text: &str, from: u32, is_dir: bool) -> u32 {
        FileMode::parse(text).unwrap().resolve(from, is_dir)
    }

    #[test]
    fn symbolic_modes_resolve_like_chmod_with_an_explicit_who() {
        let cases: &[(&str, u32, bool, u32)] = &[
            ("u+x", 0o644, false, 0o744),
            ("g-w,o=r", 0o664, false, 0o644),
            ("go-rwx", 0o755, false, 0o700),
            ("a=rX", 0o640, true, 0o555),
            ("a=rX", 0o640, false, 0o444),
            ("a=rX", 0o740, false, 0o555),
            ("+x", 0o600, false, 0o711),
            ("u=rw,go=", 0o777, false, 0o600),
            ("ug+s", 0o755, false, 0o6755),
            ("o+t", 0o777, true, 0o1777),
            ("u+t", 0o755, false, 0o755),
            ("g=u", 0o640, false, 0o660),
            ("o=g-w", 0o664, false, 0o664 & !0o002 | 0o004),
            ("u+x-w", 0o644, false, 0o544),
            ("a-x", 0o4755, false, 0o4644),
        ];
        for (text, from, dir, want) in cases {
            assert_eq!(
                sym(text, *from, *dir),
                *want,
                "{text} from {from:o}: got {:o}",
                sym(text, *from, *dir)
            );
        }
    }

    #[test]
    fn octal_forms_and_bad_modes() {
        assert_eq!(FileMode::parse("0644"), Ok(FileMode::Octal(0o644)));
        assert_eq!(FileMode::parse("0o755"), Ok(FileMode::Octal(0o755)));
        assert!(FileMode::parse("0899").is_err());
        assert!(FileMode::parse("17777").is_err());
        for bad in ["", "u", "u+y", "x+u", "u+rg", "u+x,,g-w", "rwx"] {
            let e = FileMode::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("is not a file mode"), "{e}");
        }
    }

    #[test]
    fn chmod_text_names_every_class() {
        let m = FileMode::parse("+x,g-w,o=u").unwrap();
        assert_eq!(m.chmod_arg(), "a+x,g-w,o=u");
        assert_eq!(m.to_string(), "+x,g-w,o=u");
        assert_eq!(FileMode::Octal(0o640).chmod_arg(), "640");
    }
}
