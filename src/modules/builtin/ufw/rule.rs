//! The words of one ufw rule from a task's arguments.

use super::{Direction, Proto, RuleAction};
use crate::modules::choice::name_of;
use crate::modules::{Args, ModuleError};

/// A word of a rule: an address, a port, an interface. No spaces, nothing like an option.
pub(super) fn word(args: &Args, name: &str) -> Result<Option<String>, ModuleError> {
    match args.opt_str(name)? {
        Some(v) if v.is_empty() || v.starts_with('-') || v.contains(char::is_whitespace) => Err(
            ModuleError::argument(name, format!("`{v}` is not a valid {name}")),
        ),
        other => Ok(other),
    }
}

/// `[route] [delete] [insert N] ACTION [in|out] [on IF | in on IF out on IF] [log] from FROM
/// [port P] to TO [port P] [proto P] [app NAME] [comment C]`: Ansible's order, which ufw's
/// parser accepts.
pub(super) fn rule_words(
    args: &Args,
    direction: Option<Direction>,
) -> Result<Vec<String>, ModuleError> {
    let action = args.pick("rule", RuleAction::Allow)?;
    let route = args.bool_or("route", false)?;
    let mut w: Vec<String> = Vec::new();
    if route {
        w.push("route".into());
    }
    if args.bool_or("delete", false)? {
        w.push("delete".into());
    }
    if let Some(n) = args.opt_int("insert")? {
        if n < 1 {
            return Err(ModuleError::argument(
                "insert",
                "must be a rule number from 1",
            ));
        }
        w.extend(["insert".into(), n.to_string()]);
    }
    w.push(name_of(action).into());
    let dir = match direction {
        None => None,
        Some(Direction::In | Direction::Incoming) => Some("in"),
        Some(Direction::Out | Direction::Outgoing) => Some("out"),
        Some(Direction::Routed) => {
            return Err(ModuleError::Usage(
                "a rule's `direction` is `in` or `out`; a routed rule is `route = true`".into(),
            ));
        }
    };
    let (interface, iface_in, iface_out) = (
        word(args, "interface")?,
        word(args, "interface_in")?,
        word(args, "interface_out")?,
    );
    if iface_in.is_some() && iface_out.is_some() && !route {
        return Err(ModuleError::Usage(
            "only a routed rule (`route = true`) has both `interface_in` and `interface_out`"
                .into(),
        ));
    }
    if (iface_in.is_some() || iface_out.is_some()) && dir.is_some() {
        return Err(ModuleError::Usage(
            "`interface_in` / `interface_out` say the direction: leave out `direction`".into(),
        ));
    }
    match (dir, interface) {
        (Some(d), Some(i)) => w.extend([d.into(), "on".into(), i]),
        (Some(d), None) => w.push(d.into()),
        (None, Some(_)) => {
            return Err(ModuleError::Usage(
                "`interface` needs `direction` = \"in\" or \"out\"".into(),
            ));
        }
        (None, None) => {}
    }
    if let Some(i) = iface_in {
        w.extend(["in".into(), "on".into(), i]);
    }
    if let Some(i) = iface_out {
        w.extend(["out".into(), "on".into(), i]);
    }
    if args.bool_or("log", false)? {
        w.push("log".into());
    }
    w.extend([
        "from".into(),
        word(args, "from_ip")?.unwrap_or_else(|| "any".into()),
    ]);
    if let Some(p) = word(args, "from_port")? {
        w.extend(["port".into(), p]);
    }
    w.extend([
        "to".into(),
        word(args, "to_ip")?.unwrap_or_else(|| "any".into()),
    ]);
    let to_port = match word(args, "to_port")? {
        Some(p) => Some(p),
        None => word(args, "port")?,
    };
    let app = args.opt_str("name")?;
    if let Some(p) = to_port {
        if app.is_some() {
            return Err(ModuleError::Usage(
                "`name` (an application profile) gives the ports: leave out `port`".into(),
            ));
        }
        w.extend(["port".into(), p]);
    }
    if args.get("proto").is_some() {
        w.extend([
            "proto".into(),
            name_of(args.pick("proto", Proto::Any)?).into(),
        ]);
    }
    if let Some(a) = app {
        if a.trim().is_empty() || a.contains('\n') {
            return Err(ModuleError::argument(
                "name",
                "must name an application profile",
            ));
        }
        w.extend(["app".into(), a]);
    }
    if let Some(c) = args.opt_str("comment")? {
        if c.contains('\n') {
            return Err(ModuleError::argument("comment", "cannot hold a line break"));
        }
        w.extend(["comment".into(), c]);
    }
    Ok(w)
}
