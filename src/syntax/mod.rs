//! Syntax: `.eov` text -> [`ast::File`], through the pest grammar in `grammar/eov.pest`.
//!
//! Entry point: [`parse`]. Pest errors are converted here, at the boundary, into
//! [`Diagnostic`]s that speak of the language, never of grammar rules.

mod depth;
mod expected;
pub mod format;
#[cfg(test)]
mod format_tests;
mod string;
#[cfg(test)]
mod tests;

use pest::Parser as _;
use pest::iterators::Pair;

use crate::ast::{
    Attr, Block, Entry, File, Ident, Import, Item, Loop, ModuleCall, Param, Play, RoleDef, RoleUse,
    Task, TasksImport, Value, ValueKind,
};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/eov.pest"]
struct Grammar;

/// Parses one source file.
pub fn parse(file: FileId, text: &str) -> Result<File, Diagnostic> {
    // Record literal tokens too, so errors can say "expected `=`" and point at the right place.
    pest::set_error_detail(true);
    if let Some(at) = depth::too_deep(text) {
        return Err(Diagnostic::new(
            DiagnosticKind::TooDeep {
                limit: depth::MAX_DEPTH,
            },
            Span::new(file, at..at + 1),
        ));
    }
    let mut pairs = Grammar::parse(Rule::file, text).map_err(|e| convert_error(file, text, &e))?;
    let top = pairs.next().expect("the file rule always yields one pair");
    let cx = Cx { file };
    let mut out = File::default();
    for pair in top.into_inner() {
        match pair.as_rule() {
            Rule::play => out.plays.push(cx.play(pair)?),
            Rule::import => {
                let string = pair.into_inner().next().expect("the import's file name");
                let span = cx.span(&string);
                out.imports.push(Import {
                    path: cx.string_text(string)?,
                    span,
                    before: out.plays.len(),
                });
            }
            Rule::role_def => out.roles.push(cx.role_def(pair)?),
            Rule::task | Rule::block => out.tasks.push(cx.item(pair)?),
            Rule::EOI => {}
            other => unreachable!("grammar: unexpected {other:?} at top level"),
        }
    }
    Ok(out)
}

fn convert_error(file: FileId, text: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let rule_pos = match error.location {
        InputLocation::Pos(p) | InputLocation::Span((p, _)) => p,
    };
    let mut words: Vec<String> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .map(|r| expected::describe(*r).to_string())
            .collect(),
        ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    let mut pos = rule_pos;
    if let Some(attempts) = error.parse_attempts() {
        let tokens: Vec<String> = attempts
            .expected_tokens()
            .iter()
            .map(ToString::to_string)
            .filter(|t| {
                !matches!(t.as_str(), "#" | " " | "\t" | "\r" | "\n" | "\"" | "\"\"\"")
                    && !t.contains("..")
            })
            .map(|t| format!("`{t}`"))
            .collect();
        if attempts.max_position > rule_pos && !tokens.is_empty() {
            pos = attempts.max_position;
            words = tokens;
        } else if attempts.max_position == rule_pos {
            words.extend(tokens);
        }
    }
    expected::collapse(&mut words);
    let found = found_token(&text[pos..]);
    let message = format!("expected {}, found {found}", join_or(&words));
    let len = if found == "end of file" {
        0
    } else {
        text[pos..].chars().next().map_or(0, char::len_utf8)
    };
    Diagnostic::new(
        DiagnosticKind::Syntax { message },
        Span::new(file, pos..pos + len),
    )
}

fn found_token(rest: &str) -> String {
    let Some(first) = rest.chars().next() else {
        return "end of file".into();
    };
    if first.is_alphanumeric() || first == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        return format!("`{word}`");
    }
    if first == '\n' {
        return "end of line".into();
    }
    format!("`{first}`")
}

fn join_or(words: &[String]) -> String {
    match words {
        [] => "something else".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

struct Cx {
    file: FileId,
}

impl Cx {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start()..s.end())
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn play(&self, pair: Pair<'_, Rule>) -> Result<Play, Diagnostic> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_on);
        let name_pair = inner.next().expect("play name");
        let name_span = self.span(&name_pair);
        let name = self.string_text(name_pair)?;
        let pattern = self.value(inner.next().expect("play pattern"))?;
        let mut play = Play {
            name,
            name_span,
            pattern,
            vars: Vec::new(),
            attrs: Vec::new(),
            body: Vec::new(),
            handlers: Vec::new(),
            span,
        };
        for item in inner {
            match item.as_rule() {
                Rule::vars_block => play.vars.extend(self.vars(item)?),
                Rule::attr => play.attrs.push(self.entry(item)?),
                Rule::handler => play.handlers.push(self.task(item)?),
                _ => play.body.push(self.item(item)?),
            }
        }
        Ok(play)
    }

    fn item(&self, pair: Pair<'_, Rule>) -> Result<Item, Diagnostic> {
        Ok(match pair.as_rule() {
            Rule::task => Item::Task(self.task(pair)?),
            Rule::block => Item::Block(self.block(pair)?),
            Rule::role_use => Item::Role(self.role_use(pair)?),
            Rule::tasks_import => {
                let string = pair.into_inner().next().expect("the import's file name");
                let span = self.span(&string);
                Item::Import(TasksImport {
                    path: self.string_text(string)?,
                    span,
                })
            }
            other => unreachable!("grammar: {other:?} is not a body item"),
        })
    }

    fn role_use(&self, pair: Pair<'_, Rule>) -> Result<RoleUse, Diagnostic> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(inner.next().expect("role name"));
        let args = match inner.next() {
            Some(map) => self.entries(map)?,
            None => Vec::new(),
        };
        Ok(RoleUse { name, args, span })
    }

    fn role_def(&self, pair: Pair<'_, Rule>) -> Result<RoleDef, Diagnostic> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(inner.next().expect("role name"));
        let mut role = RoleDef {
            name,
            params: Vec::new(),
            vars: Vec::new(),
            body: Vec::new(),
            handlers: Vec::new(),
            span,
        };
        for item in inner {
            match item.as_rule() {
                Rule::param => role.params.push(self.param(item)?),
                Rule::vars_block => role.vars.extend(self.vars(item)?),
                Rule::handler => role.handlers.push(self.task(item)?),
                _ => role.body.push(self.item(item)?),
            }
        }
        Ok(role)
    }

    fn param(&self, pair: Pair<'_, Rule>) -> Result<Param, Diagnostic> {
        let mut inner = pair.into_inner().peekable();
        let secret = inner.peek().is_some_and(|p| p.as_rule() == Rule::secret_kw);
        if secret {
            inner.next();
        }
        let name = self.ident(inner.next().expect("param name"));
        let ty = self.ident(inner.next().expect("param type"));
        let default = inner.next().map(|v| self.value(v)).transpose()?;
        Ok(Param {
            name,
            ty,
            default,
            secret,
        })
    }

    fn vars(&self, pair: Pair<'_, Rule>) -> Result<Vec<Entry>, Diagnostic> {
        self.entries(pair.into_inner().next().expect("vars map"))
    }

    fn task(&self, pair: Pair<'_, Rule>) -> Result<Task, Diagnostic> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name_pair = inner.next().expect("task name");
        let name_span = self.span(&name_pair);
        let name = self.string_text(name_pair)?;
        let mut task = Task {
            name,
            name_span,
            looping: None,
            modules: Vec::new(),
            vars: Vec::new(),
            attrs: Vec::new(),
            span,
        };
        for item in inner {
            match item.as_rule() {
                Rule::loop_clause => {
                    let mut parts = item.into_inner();
                    let var = self.ident(parts.next().expect("loop variable"));
                    let source = self.value(parts.next().expect("loop source"))?;
                    task.looping = Some(Loop { var, source });
                }
                Rule::vars_block => task.vars.extend(self.vars(item)?),
                Rule::attr => task.attrs.push(self.entry(item)?),
                Rule::module_call => {
                    let span = self.span(&item);
                    let mut parts = item.into_inner();
                    let name = self.ident(parts.next().expect("module name"));
                    let args = self.entries(parts.next().expect("module args"))?;
                    task.modules.push(ModuleCall { name, args, span });
                }
                other => unreachable!("grammar: {other:?} in a task"),
            }
        }
        Ok(task)
    }

    fn block(&self, pair: Pair<'_, Rule>) -> Result<Block, Diagnostic> {
        let span = self.span(&pair);
        let mut block = Block {
            name: None,
            vars: Vec::new(),
            attrs: Vec::new(),
            body: Vec::new(),
            rescue: Vec::new(),
            always: Vec::new(),
            span,
        };
        for item in pair.into_inner() {
            match item.as_rule() {
                Rule::string => block.name = Some(self.string_text(item)?),
                Rule::vars_block => block.vars.extend(self.vars(item)?),
                Rule::attr => block.attrs.push(self.entry(item)?),
                Rule::rescue => block.rescue = self.items(item)?,
                Rule::always => block.always = self.items(item)?,
                _ => block.body.push(self.item(item)?),
            }
        }
        Ok(block)
    }

    fn items(&self, pair: Pair<'_, Rule>) -> Result<Vec<Item>, Diagnostic> {
        pair.into_inner().map(|p| self.item(p)).collect()
    }

    fn entries(&self, map: Pair<'_, Rule>) -> Result<Vec<Entry>, Diagnostic> {
        map.into_inner().map(|e| self.entry(e)).collect()
    }

    fn entry(&self, pair: Pair<'_, Rule>) -> Result<Attr, Diagnostic> {
        let mut inner = pair.into_inner();
        let key_pair = inner.next().expect("entry key");
        let key = if key_pair.as_rule() == Rule::string {
            let span = self.span(&key_pair);
            Ident {
                name: self.string_text(key_pair)?,
                span,
            }
        } else {
            self.ident(key_pair)
        };
        let value = self.value(inner.next().expect("entry value"))?;
        Ok(Entry { key, value })
    }

    fn string_text(&self, pair: Pair<'_, Rule>) -> Result<String, Diagnostic> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().expect("string has a body");
        match inner.as_rule() {
            Rule::short_string => {
                let body = inner.into_inner().next().map_or("", |b| b.as_str());
                string::unescape(body).map_err(|reason| {
                    Diagnostic::new(
                        DiagnosticKind::BadLiteral {
                            what: "string",
                            text: body.to_string(),
                            reason,
                        },
                        span,
                    )
                })
            }
            Rule::long_string => Ok(string::dedent(
                inner.into_inner().next().map_or("", |b| b.as_str()),
            )),
            other => unreachable!("grammar: {other:?} in a string"),
        }
    }

    fn value(&self, pair: Pair<'_, Rule>) -> Result<Value, Diagnostic> {
        let span = self.span(&pair);
        let text = pair.as_str();
        let bad = |what: &'static str, reason: String| {
            Diagnostic::new(
                DiagnosticKind::BadLiteral {
                    what,
                    text: text.to_string(),
                    reason,
                },
                span,
            )
        };
        let kind = match pair.as_rule() {
            Rule::string => ValueKind::Str(self.string_text(pair)?),
            Rule::secret => ValueKind::Secret(
                self.string_text(pair.into_inner().next().expect("secret string"))?,
            ),
            Rule::int => ValueKind::Int(text.parse().map_err(|e| bad("integer", format!("{e}")))?),
            Rule::float => {
                ValueKind::Float(text.parse().map_err(|e| bad("number", format!("{e}")))?)
            }
            Rule::boolean => ValueKind::Bool(text == "true"),
            Rule::null => ValueKind::Null,
            Rule::mode => {
                let mode = u32::from_str_radix(&text[2..], 8)
                    .map_err(|e| bad("file mode", format!("{e}")))?;
                if mode > 0o7777 {
                    return Err(bad("file mode", "a mode is at most 0o7777".into()));
                }
                ValueKind::Mode(mode)
            }
            Rule::duration => ValueKind::Duration(
                crate::duration::parse(text).ok_or_else(|| bad("duration", "too large".into()))?,
            ),
            Rule::list => ValueKind::List(
                pair.into_inner()
                    .map(|v| self.value(v))
                    .collect::<Result<_, _>>()?,
            ),
            Rule::map => ValueKind::Map(self.entries(pair)?),
            Rule::path_expr => ValueKind::Path(text.to_string()),
            other => unreachable!("grammar: {other:?} is not a value"),
        };
        Ok(Value { kind, span })
    }
}
