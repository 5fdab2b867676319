//! Plan: the checked program against an inventory — which hosts each play runs on, and which
//! steps survive `--tags` / `--skip-tags`. Pure: no connection is opened here.

use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::Value;

use crate::inventory::Inventory;
use crate::program::{Block, Play, Program, Step};
use crate::redact::Secrets;
use crate::template::Templates;

#[derive(Debug)]
pub struct Plan {
    pub plays: Vec<PlannedPlay>,
}

#[derive(Debug)]
pub struct PlannedPlay {
    pub play: Arc<Play>,
    pub hosts: Vec<String>,
    pub steps: Arc<Vec<Step>>,
}

/// What selects hosts and steps.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub limit: Option<String>,
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("play `{play}`: {message}")]
    Hosts { play: String, message: String },
    #[error("--limit: {0}")]
    Limit(String),
}

pub struct Planner<'a> {
    pub inventory: &'a Inventory,
    pub templates: &'a Templates,
    pub extra_vars: &'a IndexMap<String, Value>,
    pub secrets: &'a Secrets,
}

impl Planner<'_> {
    pub fn plan(&self, program: Program, selection: &Selection) -> Result<Plan, PlanError> {
        let limit = match &selection.limit {
            Some(l) => Some(
                self.inventory
                    .select(l)
                    .map_err(|e| PlanError::Limit(e.to_string()))?,
            ),
            None => None,
        };
        let mut vars = self.extra_vars.clone();
        vars.insert("groups".into(), self.inventory.groups_value());
        let ctx = crate::vars::to_value(&vars);
        let mut plays = Vec::new();
        for play in program.plays {
            let err = |message: String| PlanError::Hosts {
                play: play.name.clone(),
                message,
            };
            let pattern = self
                .templates
                .render_value(&play.pattern, &ctx, self.secrets)
                .map_err(|e| err(e.message))?;
            let pattern = pattern
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| pattern.to_string());
            let mut hosts = self
                .inventory
                .select(&pattern)
                .map_err(|e| err(e.to_string()))?;
            if let Some(limit) = &limit {
                hosts.retain(|h| limit.contains(h));
            }
            let steps = filter(&play.body, selection);
            plays.push(PlannedPlay {
                play: Arc::new(Play {
                    body: Vec::new(),
                    ..play
                }),
                hosts,
                steps: Arc::new(steps),
            });
        }
        Ok(Plan { plays })
    }
}

/// Whether a step with these tags runs under the selection (the `always` tag always does,
/// unless skipped explicitly; `never` only when asked for).
pub fn selected(tags: &[String], sel: &Selection) -> bool {
    let has = |t: &str| tags.iter().any(|x| x == t);
    if sel.skip_tags.iter().any(|t| has(t)) {
        return false;
    }
    if has("always") {
        return true;
    }
    if sel.tags.is_empty() {
        return !has("never");
    }
    sel.tags
        .iter()
        .any(|t| t == "all" && !has("never") || has(t))
}

fn filter(steps: &[Step], sel: &Selection) -> Vec<Step> {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Task(t) => selected(&t.tags, sel).then(|| Step::Task(t.clone())),
            Step::Block(b) => {
                let body = filter(&b.body, sel);
                if body.is_empty() {
                    return None;
                }
                Some(Step::Block(Arc::new(Block {
                    name: b.name.clone(),
                    when: b.when.clone(),
                    sudo: b.sudo.clone(),
                    ignore_errors: b.ignore_errors,
                    vars: b.vars.clone(),
                    body,
                    rescue: filter(&b.rescue, sel),
                    always: filter(&b.always, sel),
                    tags: b.tags.clone(),
                    scope: b.scope.clone(),
                })))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(tags: &[&str], skip: &[&str]) -> Selection {
        Selection {
            limit: None,
            tags: tags.iter().map(|s| s.to_string()).collect(),
            skip_tags: skip.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn tag_selection() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(selected(&t(&[]), &sel(&[], &[])));
        assert!(!selected(&t(&["never"]), &sel(&[], &[])));
        assert!(selected(&t(&["never", "x"]), &sel(&["x"], &[])));
        assert!(selected(&t(&["a"]), &sel(&["a"], &[])));
        assert!(!selected(&t(&["a"]), &sel(&["b"], &[])));
        assert!(selected(&t(&["always"]), &sel(&["b"], &[])));
        assert!(!selected(&t(&["always"]), &sel(&[], &["always"])));
        assert!(!selected(&t(&["a"]), &sel(&[], &["a"])));
    }
}
