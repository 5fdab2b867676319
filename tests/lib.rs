//! One integration-test binary: every file here drives the real `eov` binary.

mod support;

mod check_shipped;
mod cloud;
mod diagnostics;
mod dry_run;
mod fuzz;
mod inventory;
mod lab;
mod language;
mod modules;
mod openvpn;
mod read_ahead;
mod run_local;
mod templates;
