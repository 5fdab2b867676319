//! The commands for role authors: `eov doc ROLE`, `eov new role NAME`, `eov completions SHELL`.

use std::path::{Path, PathBuf};

use crate::cli::{Cli, DocArgs, NewArgs, exit};
use crate::report;

/// `eov doc ROLE`: its parameters (type, default, the comment beside or above each),
/// handlers and files, read from the role's source.
pub fn doc(args: &DocArgs) -> i32 {
    let search = crate::check::role_search_path(Path::new("."), &args.roles_path);
    let Some(dir) = search
        .iter()
        .map(|d| d.join(&args.role))
        .find(|d| d.join("main.eov").is_file())
    else {
        let dirs: Vec<String> = search.iter().map(|d| d.display().to_string()).collect();
        report::error(&format!(
            "no role `{}` (looked for ROLE/main.eov in {})",
            args.role,
            dirs.join(", ")
        ));
        return exit::USAGE;
    };
    let path = dir.join("main.eov");
    let text = match crate::fsutil::read_text(&path) {
        Ok(t) => t,
        Err(e) => {
            report::error(&format!("cannot read {}: {e}", path.display()));
            return exit::INVALID;
        }
    };
    let mut sources = crate::source::SourceMap::default();
    let id = sources.add(&path, text);
    let file = match crate::syntax::parse(id, sources.text(id)) {
        Ok(f) => f,
        Err(d) => {
            report::stderr(&report::render_diagnostics(&[d], &sources));
            return exit::INVALID;
        }
    };
    let Some(role) = file.roles.first() else {
        report::error(&format!("{} defines no role", path.display()));
        return exit::INVALID;
    };
    let files = |sub: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join(sub))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| format!("{sub}/{}", e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let mut all_files = files("templates");
    all_files.extend(files("files"));
    all_files.extend(files("vars"));
    report::stdout(&report::render_role_doc(
        role,
        &path,
        sources.text(id),
        &all_files,
    ));
    exit::OK
}

const ROLE_TEMPLATE: &str = r#"# ROLE: what it sets up, in a sentence or two.
role ROLE {
  param name: str = "example"   # what this parameter is for

  task "configuration" {
    template { src = "example.conf.j2", dest = "/etc/ROLE/example.conf", mode = 0o644 }
    notify = "restart ROLE"
  }

  handler "restart ROLE" {
    service { name = "ROLE", state = "restarted" }
  }
}
"#;

const TEMPLATE_TEMPLATE: &str = "# Managed by eov (role ROLE).\nname = {{ name }}\n";

const TEST_TEMPLATE: &str = r#"# A scenario for `eov run -i current/lab/NAME/hosts roles/ROLE/tests/default.eov`.
play "ROLE: default" on "all" {
  role ROLE {}
  task "verify" {
    stat { path = "/etc/ROLE/example.conf" }
    register = "conf"
  }
  task "the configuration is there" { assert { that = ["conf.stat.exists"] } }
}
"#;

/// `eov new role NAME`: a role skeleton that `eov check` accepts.
pub fn new(args: &NewArgs) -> i32 {
    let name = &args.name;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        report::error(&format!(
            "`{name}` is not a role name (letters, digits and `_`)"
        ));
        return exit::USAGE;
    }
    let dir: PathBuf = args.dir.join(name);
    if dir.exists() {
        report::error(&format!(
            "{} already exists; nothing written",
            dir.display()
        ));
        return exit::USAGE;
    }
    let files = [
        ("main.eov", ROLE_TEMPLATE),
        ("templates/example.conf.j2", TEMPLATE_TEMPLATE),
        ("tests/default.eov", TEST_TEMPLATE),
    ];
    for (rel, text) in files {
        let path = dir.join(rel);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, text.replace("ROLE", name)));
        if let Err(e) = written {
            report::error(&format!("cannot write {}: {e}", path.display()));
            return exit::INTERNAL;
        }
    }
    report::stdout(&format!(
        "created {}: main.eov, templates/example.conf.j2, tests/default.eov\ncheck it with `eov check {}`\n",
        dir.display(),
        dir.display()
    ));
    exit::OK
}

/// `eov completions SHELL`: a completion script on stdout.
pub fn completions(shell: clap_complete::Shell) -> i32 {
    use clap::CommandFactory as _;
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "eov", &mut out);
    report::stdout(&String::from_utf8_lossy(&out));
    exit::OK
}
