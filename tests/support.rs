//! The test harness: a temp directory with files, the real binary run inside it, and
//! redaction of what changes between runs (temp paths, timings).

use std::path::{Path, PathBuf};
use std::process::Command;

pub const EOV: &str = env!("CARGO_BIN_EXE_eov");

/// The repository root (for `plays/`, `roles/`, fixtures).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub struct Test {
    dir: tempfile::TempDir,
}

impl Test {
    pub fn new() -> Self {
        Test {
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating directories); `{root}` in the content becomes the temp dir.
    #[track_caller]
    pub fn file(&self, rel: &str, content: &str) -> &Self {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, content.replace("{root}", &self.root())).expect("write");
        self
    }

    pub fn root(&self) -> String {
        self.dir.path().display().to_string()
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel))
            .unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.dir.path().join(rel).exists()
    }

    /// Runs `eov ARGS` in the temp dir.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    /// Runs eov with these extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let out = Command::new(EOV)
            .args(args)
            .envs(env.iter().copied())
            .current_dir(self.dir.path())
            .env_remove("EOV_INVENTORY")
            .env_remove("EOV_ROLES_PATH")
            .output()
            .expect("run eov");
        let code = out.status.code().unwrap_or(-1);
        assert_ne!(
            code,
            101,
            "eov panicked:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Output {
            code,
            stdout: self.redact(&String::from_utf8_lossy(&out.stdout)),
            stderr: self.redact(&String::from_utf8_lossy(&out.stderr)),
        }
    }

    /// Runs the demo play (`plays/hello.eov`) with its root under this temp dir (`site/`).
    #[track_caller]
    pub fn run_demo(&self, extra: &[&str]) -> Output {
        let play = repo().join("plays/hello.eov");
        let root = format!("root={}/site", self.root());
        let mut args = vec!["run", play.to_str().expect("a UTF-8 path"), "-e", &root];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.replace(&self.root(), "[TMP]");
        if let Ok(canon) = std::fs::canonicalize(self.dir.path()) {
            out = out.replace(&canon.display().to_string(), "[TMP]");
        }
        redact_times(&out)
    }

    /// A content hash of every file, mode and link under `rel`, to prove nothing changed.
    pub fn tree_hash(&self, rel: &str) -> String {
        fn walk(p: &Path, out: &mut Vec<String>) {
            let Ok(meta) = std::fs::symlink_metadata(p) else {
                return;
            };
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode();
            if meta.is_dir() {
                out.push(format!("d {} {mode:o}", p.display()));
                let mut entries: Vec<_> = std::fs::read_dir(p)
                    .unwrap()
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .collect();
                entries.sort();
                for e in entries {
                    walk(&e, out);
                }
            } else if meta.file_type().is_symlink() {
                out.push(format!(
                    "l {} {:?}",
                    p.display(),
                    std::fs::read_link(p).ok()
                ));
            } else {
                let bytes = std::fs::read(p).unwrap_or_default();
                out.push(format!(
                    "f {} {mode:o} {}",
                    p.display(),
                    bytes.iter().fold(0u64, |h, b| h
                        .wrapping_mul(1_099_511_628_211)
                        .wrapping_add(u64::from(*b)))
                ));
            }
        }
        let mut lines = Vec::new();
        walk(&self.dir.path().join(rel), &mut lines);
        lines.join("\n")
    }
}

/// Replaces durations (`elapsed 0.05s`, `"elapsed_ms":12`) with placeholders.
pub fn redact_times(text: &str) -> String {
    let re = regex::Regex::new(r"elapsed \d+\.\d+s").unwrap();
    let out = re.replace_all(text, "elapsed [TIME]");
    let re = regex::Regex::new(r#""elapsed_ms":\d+"#).unwrap();
    re.replace_all(&out, r#""elapsed_ms":0"#).into_owned()
}

/// The recap line of a host, e.g. `ok=3 changed=0 ...` with single spaces.
pub fn recap(stdout: &str, host: &str) -> String {
    let line = stdout
        .lines()
        .skip_while(|l| *l != "RECAP")
        .find(|l| l.split_whitespace().next() == Some(host))
        .unwrap_or_else(|| panic!("no recap for {host} in:\n{stdout}"));
    line.split_whitespace()
        .skip(1)
        .collect::<Vec<_>>()
        .join(" ")
}
