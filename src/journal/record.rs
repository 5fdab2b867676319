//! What a journal line says, and what a journal's lines add up to: the tasks each host
//! finished (by key and inputs) and the handlers notified but not yet run.

use std::collections::HashMap;

use indexmap::{IndexMap, IndexSet};
use serde::{Deserialize, Serialize};

/// The format's version, in the first line; a journal of another version is refused.
pub const VERSION: u32 = 1;

/// The first line of a journal.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Header {
    pub eov_journal: u32,
    /// The play file, as its absolute path.
    pub play: String,
    /// Mixed into every inputs hash (hex), so that a hash says nothing without this journal.
    pub salt: String,
}

/// One line after the header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A task (or one loop item) that ended ok or changed on a host.
    Done {
        host: String,
        task: String,
        /// Salted SHA-256 of the rendered inputs (see `executor/resume.rs`).
        inputs: String,
        changed: bool,
        /// The registered value, when the task registers one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        register: Option<serde_json::Value>,
        /// Facts it set (`set_fact`, `include_vars`).
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        facts: IndexMap<String, serde_json::Value>,
    },
    /// A changed task notified a handler of play number `play`.
    Notified {
        host: String,
        play: usize,
        handler: String,
    },
    /// That handler ran (the notifications before this line are consumed).
    Handled {
        host: String,
        play: usize,
        handler: String,
    },
}

/// A finished task as the journal remembers it.
#[derive(Clone, Debug, PartialEq)]
pub struct Done {
    pub inputs: String,
    pub changed: bool,
    pub register: Option<serde_json::Value>,
    pub facts: IndexMap<String, serde_json::Value>,
}

/// The state a journal's records add up to, in order.
#[derive(Debug, Default)]
pub struct State {
    /// (host, task key): the last record wins (a task run again with other inputs).
    done: HashMap<(String, String), Done>,
    /// (host, play, handler) notified and not run since, in notification order.
    pending: IndexSet<(String, usize, String)>,
}

impl State {
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::Done {
                host,
                task,
                inputs,
                changed,
                register,
                facts,
            } => {
                self.done.insert(
                    (host, task),
                    Done {
                        inputs,
                        changed,
                        register,
                        facts,
                    },
                );
            }
            Record::Notified {
                host,
                play,
                handler,
            } => {
                self.pending.insert((host, play, handler));
            }
            Record::Handled {
                host,
                play,
                handler,
            } => {
                self.pending.shift_remove(&(host, play, handler));
            }
        }
    }

    pub fn done(&self, host: &str, task: &str) -> Option<&Done> {
        self.done.get(&(host.to_string(), task.to_string()))
    }

    /// The handlers of play number `play` notified on `host` and not run since.
    pub fn pending(&self, host: &str, play: usize) -> impl Iterator<Item = &str> {
        self.pending
            .iter()
            .filter(move |(h, p, _)| h == host && *p == play)
            .map(|(_, _, name)| name.as_str())
    }

    pub fn tasks(&self) -> usize {
        self.done.len()
    }

    pub fn handlers(&self) -> usize {
        self.pending.len()
    }

    /// The fewest records that give this state again (what a resumed run starts from).
    pub fn records(&self) -> Vec<Record> {
        let mut done: Vec<_> = self.done.iter().collect();
        // Sorted, so that the same state is always written the same way.
        done.sort_by(|a, b| a.0.cmp(b.0));
        let mut out: Vec<Record> = done
            .into_iter()
            .map(|((host, task), d)| Record::Done {
                host: host.clone(),
                task: task.clone(),
                inputs: d.inputs.clone(),
                changed: d.changed,
                register: d.register.clone(),
                facts: d.facts.clone(),
            })
            .collect();
        out.extend(
            self.pending
                .iter()
                .map(|(host, play, handler)| Record::Notified {
                    host: host.clone(),
                    play: *play,
                    handler: handler.clone(),
                }),
        );
        out
    }
}

/// Why a journal's text cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    Empty,
    Header(String),
    Version(u32),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Empty => write!(f, "it is empty"),
            ParseError::Header(e) => write!(f, "its first line is not a journal header: {e}"),
            ParseError::Version(v) => {
                write!(f, "it is in format {v}, this eov reads format {VERSION}")
            }
        }
    }
}

/// A journal's header and state. A line that does not parse is left out: only the last line
/// can be one (cut by a crash mid-append), since lines are only ever appended whole.
pub fn parse(text: &str) -> Result<(Header, State, usize), ParseError> {
    let mut lines = text.lines();
    let first = lines.next().ok_or(ParseError::Empty)?;
    let header: Header =
        serde_json::from_str(first).map_err(|e| ParseError::Header(e.to_string()))?;
    if header.eov_journal != VERSION {
        return Err(ParseError::Version(header.eov_journal));
    }
    let mut state = State::default();
    let mut torn = 0;
    for line in lines.filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Record>(line) {
            Ok(r) => state.apply(r),
            Err(_) => torn += 1,
        }
    }
    Ok((header, state, torn))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(r: &Record) -> String {
        serde_json::to_string(r).unwrap()
    }

    fn notified(host: &str, handler: &str) -> Record {
        Record::Notified {
            host: host.into(),
            play: 0,
            handler: handler.into(),
        }
    }

    fn handled(host: &str, handler: &str) -> Record {
        Record::Handled {
            host: host.into(),
            play: 0,
            handler: handler.into(),
        }
    }

    fn done(host: &str, task: &str, inputs: &str) -> Record {
        Record::Done {
            host: host.into(),
            task: task.into(),
            inputs: inputs.into(),
            changed: true,
            register: None,
            facts: IndexMap::new(),
        }
    }

    fn header() -> String {
        r#"{"eov_journal":1,"play":"/p.eov","salt":"00"}"#.to_string()
    }

    #[test]
    fn a_handler_is_pending_from_its_notification_until_it_runs() {
        let text = [
            header(),
            line(&notified("h1", "restart")),
            line(&notified("h2", "restart")),
            line(&handled("h1", "restart")),
            line(&notified("h2", "reload")),
        ]
        .join("\n");
        let (_, state, torn) = parse(&text).unwrap();
        assert_eq!(torn, 0);
        assert_eq!(state.pending("h1", 0).count(), 0);
        assert_eq!(
            state.pending("h2", 0).collect::<Vec<_>>(),
            ["restart", "reload"]
        );
        assert_eq!(state.pending("h2", 1).count(), 0);
    }

    #[test]
    fn the_last_record_of_a_task_wins_and_a_torn_last_line_is_left_out() {
        let mut text = [
            header(),
            line(&done("h1", "p0:a#1", "x")),
            line(&done("h1", "p0:a#1", "y")),
        ]
        .join("\n");
        text.push('\n');
        text.push_str(&line(&done("h1", "p0:b#1", "z"))[..20]);
        let (_, state, torn) = parse(&text).unwrap();
        assert_eq!(torn, 1);
        assert_eq!(state.done("h1", "p0:a#1").unwrap().inputs, "y");
        assert!(state.done("h1", "p0:b#1").is_none());
    }

    #[test]
    fn compacted_records_give_the_same_state() {
        let mut state = State::default();
        for r in [
            done("h1", "t", "1"),
            done("h1", "t", "2"),
            notified("h1", "restart"),
            handled("h1", "restart"),
            notified("h1", "reload"),
        ] {
            state.apply(r);
        }
        let records = state.records();
        assert_eq!(records, [done("h1", "t", "2"), notified("h1", "reload")]);
        let mut again = State::default();
        for r in records {
            again.apply(r);
        }
        assert_eq!(again.done("h1", "t"), state.done("h1", "t"));
        assert_eq!(again.handlers(), 1);
    }

    #[test]
    fn other_versions_and_garbage_are_refused() {
        assert_eq!(parse("").unwrap_err(), ParseError::Empty);
        assert!(matches!(parse("nope").unwrap_err(), ParseError::Header(_)));
        assert_eq!(
            parse(r#"{"eov_journal":9,"play":"p","salt":""}"#).unwrap_err(),
            ParseError::Version(9)
        );
    }
}
