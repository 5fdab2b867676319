//! `cloud_nodes`: the one state of the cloud's nodes, on the controller (see `state.rs`).
//! The compute plays call it to add, remove or rejoin a node and read back every node with
//! its alias and VPN slot, from which they render the derived inventories (`current/hosts`,
//! the address book, Enos' `reservation.yaml`, Kolla's `multinode`). Refusals (a bad name,
//! an unknown node, a node that left being added) come before anything is written.

mod state;
mod store;

use indexmap::IndexMap;
use minijinja::Value;

use crate::diff::FileDiff;
use crate::modules::choice::choice;
use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, opt};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};

use state::{Action, CloudState, Request, Role, Seed};

choice!(
    /// What to do with the node.
    NodeAction {
        Read = "read",
        Add = "add",
        Remove = "remove",
        Rejoin = "rejoin",
    }
);

pub const SPEC: ModuleSpec = ModuleSpec {
    args: &[
        opt("path", ArgType::Str),
        opt("action", ArgType::Choice(NodeAction::NAMES)),
        opt("node", ArgType::Str),
        opt("vars", ArgType::Map),
        opt("hostname", ArgType::Str),
        opt("fqdn", ArgType::Str),
        opt("backend", ArgType::Choice(&["packages", "kolla"])),
        opt("groups", ArgType::Map),
        opt("book", ArgType::Str),
        opt("hosts", ArgType::Map),
        opt("apply", ArgType::Bool),
    ],
    free_form: false,
    one_of: &[],
    exclusive: &[],
};

pub const DEF: ModuleDef = ModuleDef::new("cloud_nodes", &SPEC, |args, cx| {
    Box::pin(async move { run(args, cx).await })
})
.on_controller();

const DEFAULT_PATH: &str = "current/cloud/nodes.json";

fn json(args: &Args, name: &str) -> Result<serde_json::Value, ModuleError> {
    match args.get(name) {
        None => Ok(serde_json::Value::Null),
        Some(v) if v.is_undefined() || v.is_none() => Ok(serde_json::Value::Null),
        Some(v) => serde_json::to_value(v).map_err(|e| ModuleError::argument(name, e.to_string())),
    }
}

fn map_of<T: serde::de::DeserializeOwned + Default>(
    args: &Args,
    name: &str,
) -> Result<T, ModuleError> {
    match json(args, name)? {
        serde_json::Value::Null => Ok(T::default()),
        v => serde_json::from_value(v)
            .map_err(|e| ModuleError::argument(name, format!("has the wrong shape: {e}"))),
    }
}

async fn run(args: &Args, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let action = match args.pick("action", NodeAction::Read)? {
        NodeAction::Read => Action::Read,
        NodeAction::Add => Action::Add,
        NodeAction::Remove => Action::Remove,
        NodeAction::Rejoin => Action::Rejoin,
    };
    let node = args.opt_str("node")?.unwrap_or_default();
    if action != Action::Read && node.is_empty() {
        return Err(ModuleError::argument(
            "node",
            "is required to add, remove or rejoin",
        ));
    }
    let path = cx.fetch_root.join(args.str_or("path", DEFAULT_PATH)?);
    let book_path = args.opt_str("book")?.map(|b| cx.fetch_root.join(b));
    let groups: IndexMap<String, Vec<String>> = map_of(args, "groups")?;
    let hosts: IndexMap<String, IndexMap<String, serde_json::Value>> = map_of(args, "hosts")?;
    let request = Request {
        node,
        vars: map_of(args, "vars")?,
        hostname: args.opt_str("hostname")?.filter(|s| !s.is_empty()),
        fqdn: args.opt_str("fqdn")?.filter(|s| !s.is_empty()),
    };
    let backend = args.str_or("backend", "packages")?;
    // `apply = false`: say whether the edit is allowed and what it gives, write nothing.
    let apply = args.bool_or("apply", true)?;
    let check = cx.check || !apply;
    let diff = cx.diff;
    // The lock may wait for another run: off the async workers.
    let edit = tokio::task::spawn_blocking(move || -> Result<Edited, ModuleError> {
        let book = read_book(book_path.as_deref())?;
        let locked = store::Locked::open(&path).map_err(local)?;
        let before = locked.read().map_err(local)?;
        let mut after = before.clone().unwrap_or_else(|| {
            CloudState::seed(&Seed {
                backend,
                groups,
                book: book.clone(),
                hosts,
            })
        });
        let msg = after
            .apply(action, &request, &book)
            .map_err(|e| ModuleError::Usage(e.to_string()))?;
        let before_text = before.as_ref().map(store::render);
        let after_text = store::render(&after);
        // Reading a cloud that has no state yet makes it (recording the backend).
        let changed = before_text.as_deref() != Some(&after_text)
            && (action != Action::Read || before_text.is_none());
        if changed && !check {
            locked.write(&after).map_err(local)?;
        }
        let file_diff = (changed && diff).then(|| FileDiff {
            before: before_text,
            after: Some(after_text),
            ..FileDiff::new(&path.display().to_string())
        });
        Ok(Edited {
            state: after,
            msg,
            changed,
            diff: file_diff,
            path: path.display().to_string(),
        })
    })
    .await
    .map_err(|e| ModuleError::Usage(format!("the state edit stopped: {e}")))??;
    let mut outcome = Outcome::ok().msg(edit.msg.clone());
    // Only checking (`apply = false`) changes nothing, not even in a report.
    outcome.changed = edit.changed && apply;
    if let Some(d) = edit.diff.clone() {
        outcome = outcome.with_diff(d);
    }
    let node_name = args.opt_str("node")?.unwrap_or_default();
    Ok(result(outcome, &edit, &node_name))
}

struct Edited {
    state: CloudState,
    msg: String,
    changed: bool,
    diff: Option<FileDiff>,
    path: String,
}

fn local(e: store::StoreError) -> ModuleError {
    ModuleError::Usage(e.to_string())
}

/// The address book's names, or none when it does not exist yet.
fn read_book(path: Option<&std::path::Path>) -> Result<Vec<String>, ModuleError> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| ModuleError::Local {
            action: "read the address book",
            path: path.display().to_string(),
            error: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(ModuleError::Local {
            action: "read",
            path: path.display().to_string(),
            error: e.to_string(),
        }),
    }
}

/// Registered: `backend`, `nodes` (every record), `members`, `computes` (members that are
/// computes), `book` (names by slot), `node` (the record acted on), `path`, and `edits`
/// (whether the action changes the state: also with `apply = false`, so a play can say what
/// is about to happen before anything does).
fn result(outcome: Outcome, edit: &Edited, node: &str) -> Outcome {
    let state = &edit.state;
    let names = |keep: &dyn Fn(&state::Node) -> bool| -> Vec<String> {
        state
            .nodes
            .iter()
            .filter(|n| keep(n))
            .map(|n| n.name.clone())
            .collect()
    };
    let mut by_slot: Vec<&state::Node> = state.nodes.iter().filter(|n| n.slot.is_some()).collect();
    by_slot.sort_by_key(|n| n.slot);
    let book: Vec<String> = by_slot.iter().map(|n| n.name.clone()).collect();
    let record = state
        .find(node)
        .map(|n| Value::from(minijinja::value::Serde(n)))
        .unwrap_or_default();
    outcome
        .data("path", edit.path.clone())
        .data("backend", state.backend.clone())
        .data("nodes", Value::from(minijinja::value::Serde(&state.nodes)))
        .data("members", names(&|n| n.member))
        .data("computes", names(&|n| n.member && n.role == Role::Compute))
        .data("book", book)
        .data("node", record)
        .data("edits", edit.changed)
}

#[cfg(test)]
mod tests;
