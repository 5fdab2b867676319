//! The built-in modules, one file each; [`ALL`] is the table every other part of eov reads.

mod apt;
mod assert;
mod authorized_key;
mod blockinfile;
mod cloud_nodes;
mod command;
mod copy;
mod cron;
mod debug;
mod fail;
mod fetch;
mod file;
mod find;
mod get_url;
mod git;
mod group;
mod hostname;
mod http;
mod include_vars;
mod ip_link;
mod iptables;
mod lineinfile;
mod meta;
mod package;
mod pause;
mod pip;
mod reboot;
mod service;
mod set_fact;
mod slurp;
mod stat;
mod sysctl;
mod systemd;
mod template;
mod timezone;
mod ufw;
mod unarchive;
mod user;
mod wait_for;

use super::def::ModuleDef;

/// Every built-in module, in alphabetical order.
pub(super) static ALL: &[ModuleDef] = &[
    apt::DEF,
    assert::DEF,
    authorized_key::DEF,
    blockinfile::DEF,
    cloud_nodes::DEF,
    command::COMMAND,
    copy::DEF,
    cron::DEF,
    debug::DEF,
    fail::DEF,
    fetch::DEF,
    file::DEF,
    find::DEF,
    get_url::DEF,
    git::DEF,
    group::DEF,
    hostname::DEF,
    http::DEF,
    include_vars::DEF,
    ip_link::DEF,
    iptables::DEF,
    lineinfile::DEF,
    meta::DEF,
    package::DEF,
    pause::DEF,
    pip::DEF,
    reboot::DEF,
    service::DEF,
    set_fact::DEF,
    command::SHELL,
    slurp::DEF,
    stat::DEF,
    sysctl::DEF,
    systemd::DEF,
    template::DEF,
    timezone::DEF,
    ufw::DEF,
    unarchive::DEF,
    user::DEF,
    wait_for::DEF,
];

#[cfg(test)]
mod tests {
    use super::ALL;

    #[test]
    fn the_table_is_sorted_and_names_are_unique() {
        let names: Vec<&str> = ALL.iter().map(|d| d.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn read_ahead_looks_only_at_declared_arguments() {
        for def in ALL {
            if let Some(r) = def.read_ahead {
                for arg in r.args {
                    assert!(def.spec.arg(arg).is_some(), "{}: `{arg}`", def.name);
                }
            }
        }
    }
}
