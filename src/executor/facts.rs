//! Facts about a host (OS, names, addresses, init system, package manager, CPU, memory),
//! gathered on demand: only for the plays that mention them, once per host per run, in one
//! round trip. Tasks see them as `facts.*` and under Ansible's `ansible_*` names, for ported roles.

use indexmap::IndexMap;
use minijinja::Value;

use crate::plan::Plan;
use crate::program::{Cond, LoopSource, Step, Task, Value as Checked};

/// The `ansible_*` names eov provides; a template naming one of them (or `facts`) makes the
/// run gather facts.
const ANSIBLE_NAMES: &[&str] = &[
    "ansible_all_ipv4_addresses",
    "ansible_architecture",
    "ansible_default_ipv4",
    "ansible_distribution",
    "ansible_distribution_major_version",
    "ansible_distribution_release",
    "ansible_distribution_version",
    "ansible_fqdn",
    "ansible_hostname",
    "ansible_interfaces",
    "ansible_kernel",
    "ansible_memtotal_mb",
    "ansible_nodename",
    "ansible_os_family",
    "ansible_pkg_mgr",
    "ansible_processor_vcpus",
    "ansible_service_mgr",
];

/// One script, POSIX `sh`, nothing to install: `key=value` lines.
pub(super) const SCRIPT: &str = r#"[ -r /etc/os-release ] && . /etc/os-release
printf 'os_id=%s\nos_like=%s\nos_version=%s\nos_codename=%s\nos_name=%s\n' "${ID:-}" "${ID_LIKE:-}" "${VERSION_ID:-}" "${VERSION_CODENAME:-}" "${PRETTY_NAME:-}"
h=$(hostname 2>/dev/null || uname -n)
printf 'hostname=%s\nfqdn=%s\nkernel=%s\narch=%s\n' "${h%%.*}" "$(hostname -f 2>/dev/null || echo "$h")" "$(uname -r)" "$(uname -m)"
printf 'route=%s\n' "$(ip -4 route show default 2>/dev/null | head -n 1)"
ip -4 -o addr show 2>/dev/null | while read -r _ dev _ addr _; do printf 'addr4=%s %s\n' "$dev" "$addr"; done
if [ -d /run/systemd/system ]; then echo init=systemd; else echo init=sysv; fi
for m in apt dnf yum zypper apk pacman; do if command -v "$m" >/dev/null 2>&1; then echo "pkg=$m"; break; fi; done
printf 'cpus=%s\n' "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null)"
sed -n 's/^MemTotal: *\([0-9]*\).*/mem_kb=\1/p' /proc/meminfo 2>/dev/null
"#;

/// For each play of the plan, whether one of its tasks, conditions or templates names facts:
/// a host's facts are gathered before the first such play it runs in (a host that only runs
/// plays without facts, say one that is down and only named by a later play, is never asked).
pub(super) fn wanted(plan: &Plan) -> Vec<bool> {
    let re = regex::Regex::new(&format!(r"\b(facts|{})\b", ANSIBLE_NAMES.join("|")))
        .expect("a valid regex");
    plan.plays
        .iter()
        .map(|p| {
            let mut texts = Vec::new();
            collect_vars(&p.play.vars, &mut texts);
            collect_steps(&p.steps, &mut texts);
            for h in &p.play.handlers {
                collect_task(h, &mut texts);
            }
            texts.iter().any(|t| re.is_match(t))
        })
        .collect()
}

fn collect_steps(steps: &[Step], out: &mut Vec<String>) {
    for s in steps {
        match s {
            Step::Task(t) => collect_task(t, out),
            Step::Block(b) => {
                collect_cond(b.when.as_ref(), out);
                collect_vars(&b.vars, out);
                collect_steps(&b.body, out);
                collect_steps(&b.rescue, out);
                collect_steps(&b.always, out);
            }
        }
    }
}

fn collect_task(t: &Task, out: &mut Vec<String>) {
    collect_vars(&t.args, out);
    collect_vars(&t.vars, out);
    for c in [&t.when, &t.changed_when, &t.failed_when, &t.until] {
        collect_cond(c.as_ref(), out);
    }
    match t.looping.as_ref().map(|l| &l.source) {
        Some(LoopSource::Expr(e)) => out.push(e.clone()),
        Some(LoopSource::Value(v)) => collect_value(v, out),
        None => {}
    }
    // The role's variables, and those of the roles it is applied in.
    let mut role = t.scope.role.as_deref();
    while let Some(r) = role {
        collect_vars(&r.defaults, out);
        collect_vars(&r.args, out);
        collect_vars(&r.vars, out);
        role = r.parent.as_deref();
    }
    // A template file the task renders.
    if let Some(source) = t.module.source()
        && source.kind == crate::modules::SourceKind::Template
        && let Some(name) = t.args.iter().find(|a| a.name == source.arg)
        && let Some(name) = name.value.literal_text()
        && let Some(path) = crate::modules::context::find_source(&t.scope.search, name, source.kind)
        && let Ok(text) = std::fs::read_to_string(path)
    {
        out.push(code_of(&text));
    }
}

/// The code parts of a template (`{{ }}` and `{% %}`): the text around them names nothing.
fn code_of(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find(['{']) {
        let after = &rest[start..];
        let close = if after.starts_with("{{") {
            "}}"
        } else if after.starts_with("{%") {
            "%}"
        } else {
            rest = &after[1..];
            continue;
        };
        let end = after.find(close).map_or(after.len(), |e| e + 2);
        out.push_str(&after[..end]);
        out.push('\n');
        rest = &after[end..];
    }
    out
}

fn collect_cond(c: Option<&Cond>, out: &mut Vec<String>) {
    if let Some(Cond::Expr(e)) = c {
        out.push(e.clone());
    }
}

fn collect_vars(vars: &[crate::program::Var], out: &mut Vec<String>) {
    for v in vars {
        collect_value(&v.value, out);
    }
}

fn collect_value(v: &Checked, out: &mut Vec<String>) {
    match v {
        Checked::Text(s) | Checked::Secret(s) => out.push(code_of(s)),
        Checked::Expr(s) => out.push(s.clone()),
        Checked::List(items) => items.iter().for_each(|i| collect_value(i, out)),
        Checked::Map(entries) => collect_vars(entries, out),
        _ => {}
    }
}

/// The gathered facts as the variables a task sees: `facts` and the `ansible_*` names.
pub(super) fn parse(out: &str) -> IndexMap<String, Value> {
    let mut kv: IndexMap<&str, &str> = IndexMap::new();
    let mut addresses: Vec<(String, String)> = Vec::new();
    for line in out.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k == "addr4" {
            if let Some((dev, addr)) = v.split_once(' ') {
                addresses.push((dev.to_string(), addr.to_string()));
            }
        } else {
            kv.insert(k, v.trim());
        }
    }
    let get = |k: &str| kv.get(k).copied().unwrap_or_default();
    let id = get("os_id");
    let like = get("os_like");
    let family = os_family(id, like);
    let distribution = capitalize(id);
    let version = get("os_version");
    // `default via 10.0.0.1 dev eth0 ...`
    let route: Vec<&str> = get("route").split_whitespace().collect();
    let after = |w: &str| {
        route
            .iter()
            .position(|x| *x == w)
            .and_then(|i| route.get(i + 1))
            .map(|s| (*s).to_string())
    };
    let default_dev = after("dev");
    let default_cidr = default_dev
        .as_ref()
        .and_then(|d| addresses.iter().find(|(dev, _)| dev == d))
        .map(|(_, a)| a.clone());
    let default_ipv4 = match (&default_dev, &default_cidr) {
        (Some(dev), Some(cidr)) => {
            let (addr, prefix) = cidr.split_once('/').unwrap_or((cidr, "32"));
            let netmask =
                prefix.parse::<u32>().ok().filter(|p| *p <= 32).map(|p| {
                    std::net::Ipv4Addr::from(if p == 0 { 0 } else { u32::MAX << (32 - p) })
                });
            Value::from_pairs(vec![
                ("address", Value::from(addr)),
                ("interface", Value::from(dev.as_str())),
                ("gateway", Value::from(after("via").unwrap_or_default())),
                ("prefix", Value::from(prefix)),
                (
                    "netmask",
                    Value::from(netmask.map(|m| m.to_string()).unwrap_or_default()),
                ),
            ])
        }
        _ => Value::from_pairs(Vec::<(&str, Value)>::new()),
    };
    let all_v4: Vec<Value> = addresses
        .iter()
        .filter(|(dev, _)| dev != "lo")
        .map(|(_, a)| Value::from(a.split('/').next().unwrap_or(a)))
        .collect();
    let mut interfaces: Vec<String> = addresses.iter().map(|(d, _)| d.clone()).collect();
    interfaces.dedup();
    let cpus = get("cpus").parse::<u64>().unwrap_or(0);
    let mem_mb = get("mem_kb").parse::<u64>().unwrap_or(0) / 1024;
    let hostname = get("hostname");
    let fqdn = get("fqdn");
    let pkg = get("pkg");
    let init = get("init");
    let facts = Value::from_pairs(vec![
        (
            "os",
            Value::from_pairs(vec![
                ("id", Value::from(id)),
                ("family", Value::from(family.as_str())),
                ("version", Value::from(version)),
                ("codename", Value::from(get("os_codename"))),
                ("name", Value::from(get("os_name"))),
            ]),
        ),
        ("hostname", Value::from(hostname)),
        ("fqdn", Value::from(fqdn)),
        ("kernel", Value::from(get("kernel"))),
        ("arch", Value::from(get("arch"))),
        ("default_ipv4", default_ipv4.clone()),
        ("ipv4_addresses", Value::from(all_v4.clone())),
        ("interfaces", Value::from(interfaces.clone())),
        ("init", Value::from(init)),
        ("pkg_mgr", Value::from(pkg)),
        ("cpus", Value::from(cpus)),
        ("memory_mb", Value::from(mem_mb)),
    ]);
    let mut m = IndexMap::new();
    m.insert("facts".to_string(), facts);
    let mut ansible = |k: &str, v: Value| {
        m.insert(format!("ansible_{k}"), v);
    };
    ansible("hostname", Value::from(hostname));
    ansible("nodename", Value::from(hostname));
    ansible("fqdn", Value::from(fqdn));
    ansible("os_family", Value::from(family));
    ansible("distribution", Value::from(distribution));
    ansible("distribution_version", Value::from(version));
    ansible(
        "distribution_major_version",
        Value::from(version.split('.').next().unwrap_or_default()),
    );
    ansible("distribution_release", Value::from(get("os_codename")));
    ansible("kernel", Value::from(get("kernel")));
    ansible("architecture", Value::from(get("arch")));
    ansible("default_ipv4", default_ipv4);
    ansible("all_ipv4_addresses", Value::from(all_v4));
    ansible("interfaces", Value::from(interfaces));
    ansible("service_mgr", Value::from(init));
    ansible("pkg_mgr", Value::from(pkg));
    ansible("processor_vcpus", Value::from(cpus));
    ansible("memtotal_mb", Value::from(mem_mb));
    m
}

/// Ansible's `os_family`: Debian for Debian and its derivatives, RedHat for Fedora's.
fn os_family(id: &str, like: &str) -> String {
    let words: Vec<&str> = std::iter::once(id).chain(like.split_whitespace()).collect();
    if words.iter().any(|w| matches!(*w, "debian" | "ubuntu")) {
        "Debian".into()
    } else if words
        .iter()
        .any(|w| matches!(*w, "rhel" | "fedora" | "centos"))
    {
        "RedHat".into()
    } else if words.iter().any(|w| w.starts_with("suse")) {
        "Suse".into()
    } else if id == "alpine" {
        "Alpine".into()
    } else {
        capitalize(id)
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_from_the_script_output() {
        let out = "os_id=debian\nos_like=\nos_version=12\nos_codename=bookworm\nos_name=Debian GNU/Linux 12 (bookworm)\n\
                   hostname=h1\nfqdn=h1.lab\nkernel=6.1.0\narch=x86_64\n\
                   route=default via 198.18.5.1 dev eth0 proto static\n\
                   addr4=lo 127.0.0.1/8\naddr4=eth0 198.18.5.11/24\naddr4=tap0 11.8.0.10/24\n\
                   init=sysv\npkg=apt\ncpus=2\nmem_kb=2048000\n";
        let m = parse(out);
        assert_eq!(m["ansible_os_family"].as_str(), Some("Debian"));
        assert_eq!(m["ansible_distribution"].as_str(), Some("Debian"));
        assert_eq!(m["ansible_distribution_major_version"].as_str(), Some("12"));
        let d = &m["ansible_default_ipv4"];
        assert_eq!(d.get_attr("address").unwrap().as_str(), Some("198.18.5.11"));
        assert_eq!(d.get_attr("interface").unwrap().as_str(), Some("eth0"));
        assert_eq!(d.get_attr("gateway").unwrap().as_str(), Some("198.18.5.1"));
        assert_eq!(
            d.get_attr("netmask").unwrap().as_str(),
            Some("255.255.255.0")
        );
        assert_eq!(
            m["ansible_all_ipv4_addresses"].to_string(),
            "['198.18.5.11', '11.8.0.10']"
        );
        let f = &m["facts"];
        assert_eq!(f.get_attr("memory_mb").unwrap().as_i64(), Some(2000));
        assert_eq!(
            f.get_attr("os")
                .unwrap()
                .get_attr("codename")
                .unwrap()
                .as_str(),
            Some("bookworm")
        );
        assert_eq!(os_family("rocky", "rhel centos fedora"), "RedHat");
        assert_eq!(os_family("ubuntu", "debian"), "Debian");
    }
}
