//! `stat`: what is at a path, for `register` and later conditions. Never changes anything.

use indexmap::IndexMap;
use minijinja::Value;

use crate::modules::def::{ModuleDef, ReadMode};
use crate::modules::path_state::PathQuery;
use crate::modules::path_state::{self, PathKind};
use crate::modules::spec::{ArgType, ModuleSpec, opt, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};

pub const SPEC: ModuleSpec =
    ModuleSpec::new(&[req("path", ArgType::Str), opt("checksum", ArgType::Bool)]);

pub async fn run(args: &Args, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let path = args.str("path")?;
    args.bool_or("checksum", true)?;
    let queries = reads(args, ReadMode { diff: cx.diff }).unwrap_or_default();
    let st = path_state::probe_all(cx, &queries).await?.remove(0);
    let mut m: IndexMap<&str, Value> = IndexMap::new();
    m.insert("path", Value::from(path.as_str()));
    m.insert("exists", Value::from(st.kind != PathKind::Absent));
    if st.kind != PathKind::Absent {
        m.insert("isreg", Value::from(st.kind == PathKind::File));
        m.insert("isdir", Value::from(st.kind == PathKind::Directory));
        m.insert("islnk", Value::from(st.kind == PathKind::Link));
        m.insert("mode", Value::from(format!("{:04o}", st.mode)));
        m.insert("owner", Value::from(st.owner.as_str()));
        m.insert("group", Value::from(st.group.as_str()));
        m.insert("uid", Value::from(st.uid));
        m.insert("gid", Value::from(st.gid));
        m.insert("size", Value::from(st.size));
        if let Some(target) = &st.link_target {
            m.insert("lnk_target", Value::from(target.as_str()));
        }
        if let Some(sum) = &st.sha256 {
            m.insert("checksum", Value::from(sum.as_str()));
        }
    }
    let map: IndexMap<Value, Value> = m.into_iter().map(|(k, v)| (Value::from(k), v)).collect();
    Ok(Outcome::ok().data("stat", Value::from_object(map)))
}

pub const DEF: ModuleDef = ModuleDef::new("stat", &SPEC, |args, cx| Box::pin(run(args, cx)))
    .read_ahead(&["path", "checksum"], reads);

/// What `stat` probes: the path, with its checksum unless `checksum = false`.
fn reads(args: &Args, _: ReadMode) -> Option<Vec<PathQuery>> {
    let path = args.opt_str("path").ok()??;
    let hash = args.bool_or("checksum", true).ok()?;
    Some(vec![PathQuery::new(&path, hash, false)])
}
