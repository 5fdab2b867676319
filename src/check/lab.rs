//! `lab = { hosts = 2, image = "openstack" }` on a play: the throwaway hosts `eov test` starts
//! for a role's scenario. Other commands check it and otherwise ignore it.

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
            ("hosts" | "image", _) => out.push(Diagnostic::new(
                DiagnosticKind::WrongType {
                    what: format!("lab.{}", e.key.name),
                    expected: if e.key.name == "hosts" {
                        format!("a whole number of hosts from 1 to {MAX_HOSTS}")
                    } else {
                        "\"base\" or \"openstack\"".into()
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
                    "lab takes `hosts` (how many) and `image` (\"base\" or \"openstack\")".into(),
                )),
            ),
        }
    }
    Some(needs)
}

fn variant(name: &str) -> Option<crate::lab::Variant> {
    match name {
        "base" => Some(crate::lab::Variant::Base),
        "openstack" => Some(crate::lab::Variant::Openstack),
        _ => None,
    }
}
