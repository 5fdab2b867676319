//! One integration-test binary: every file here drives the real `eov` binary.

mod support;

mod check_shipped;
mod cloud;
mod computes;
mod diagnostics;
mod dry_run;
mod enos_pypi;
mod fuzz;
mod g5k;
mod g5k_double;
mod hardening;
mod http;
mod http_server;
mod inventory;
mod inventory_dynamic;
mod inventory_formats;
mod inventory_types;
mod inventory_vars_dirs;
mod lab;
mod language;
mod modules;
mod modules_lab;
mod openvpn;
mod read_ahead;
mod role_authors;
mod run_api;
mod run_local;
mod serve;
mod serve_lab;
mod serve_support;
mod templates;
