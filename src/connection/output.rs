//! What a finished remote command left behind.

/// Exit status and captured output of one command.
#[derive(Clone, Debug, Default)]
pub struct ExecOutput {
    /// `None` when the command was killed by a signal.
    pub status: Option<i32>,
    pub signal: Option<String>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// A one-line reason for a failure: stderr's last line, or the status.
    pub fn failure_reason(&self) -> String {
        let stderr = self.stderr_text();
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        match (&self.signal, self.status) {
            (Some(sig), _) => format!("killed by signal {sig}"),
            (None, Some(code)) if last.is_empty() => format!("exit status {code}"),
            (None, Some(code)) => format!("{last} (exit status {code})"),
            (None, None) => "no exit status".into(),
        }
    }
}
