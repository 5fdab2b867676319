//! `lab = { hosts = 2, image = "openstack", groups = { control = ["h1"] } }` on a play: the
//! throwaway hosts `eov test` starts for a role's scenario, the inventory groups they are in
//! besides `lab`, and `restart = true` for roles that reboot hosts. Other commands check it
//! and otherwise ignore it.

use crate::ast::ValueKind;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::program::LabNeeds;

use super::settings::Settings;

/// The most hosts a scenario may ask for: each is a container with its own sshd.
const MAX_HOSTS: i64 = 16;

pub(super) fn lab_needs(s: &Settings, out: &mut Vec<Diagnostic>) -> Option<LabNeeds> {
    let v = s.value("lab")?;
    let ValueKind::Map(entries) = &v.kind else {
        return None;
    };
    let mut needs = LabNeeds::default();
    for e in entries {
        match (e.key.name.as_str(), &e.value.kind) {
            ("hosts", ValueKind::Int(n)) if (1..=MAX_HOSTS).contains(n) => {
                needs.hosts = usize::try_from(*n).ok();
            }
            ("image", ValueKind::Str(name)) if variant(name).is_some() => {
                needs.image = variant(name);
            }
            ("restart", ValueKind::Bool(b)) => needs.restart = *b,
            ("groups", ValueKind::Map(groups)) => {
                for g in groups {
                    match host_names(&g.value.kind) {
                        Some(hosts) => needs.groups.push((g.key.name.clone(), hosts)),
                        None => out.push(Diagnostic::new(
                            DiagnosticKind::WrongType {
                                what: format!("lab.groups.{}", g.key.name),
                                expected: "a list of lab host names (\"h1\", \"h2\", ...)".into(),
                                found: g.value.kind.describe().into(),
                            },
                            g.value.span,
                        )),
                    }
                }
            }
            ("hosts" | "image" | "groups" | "restart", _) => out.push(Diagnostic::new(
                DiagnosticKind::WrongType {
                    what: format!("lab.{}", e.key.name),
                    expected: match e.key.name.as_str() {
                        "hosts" => format!("a whole number of hosts from 1 to {MAX_HOSTS}"),
                        "image" => "\"base\" or \"openstack\"".into(),
                        "restart" => "true or false".into(),
                        _ => "a map of group names to lists of lab host names".into(),
                    },
                    found: e.value.kind.describe().into(),
                },
                e.value.span,
            )),
            (other, _) => out.push(
                Diagnostic::new(
                    DiagnosticKind::UnknownAttribute {
                        context: "lab",
                        name: other.to_string(),
                    },
                    e.key.span,
                )
                .help(Some(
                    "lab takes `hosts` (how many), `image` (\"base\" or \"openstack\"), \
                     `groups` (group = [\"h1\", ...]) and `restart` (hosts started again when \
                     they stop, for roles that reboot)"
                        .into(),
                )),
            ),
        }
    }
    Some(needs)
}

/// `["h1", "h3"]`: the lab names its hosts h1, h2, ...
fn host_names(kind: &ValueKind) -> Option<Vec<String>> {
    let ValueKind::List(items) = kind else {
        return None;
    };
    items
        .iter()
        .map(|v| match &v.kind {
            ValueKind::Str(h)
                if h.len() > 1
                    && h.starts_with('h')
                    && h[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some(h.clone())
            }
            _ => None,
        })
        .collect()
}

/// An image by its name on the command line (`eov lab up --image NAME`).
fn variant(name: &str) -> Option<crate::lab::Variant> {
    <crate::lab::Variant as clap::ValueEnum>::from_str(name, false).ok()
}
