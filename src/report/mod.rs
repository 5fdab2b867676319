//! Reporter: the only code that writes to stdout / stderr. It renders events (human lines or
//! JSON lines), diagnostics, and the inventory listing.

mod diagnostics;
mod human;
mod inventory;
mod role_doc;
mod text;
mod tokens;

use std::io::Write;

use crate::event::Event;

pub use diagnostics::render as render_diagnostics;
pub use inventory::{
    render as render_inventory, render_graph as render_inventory_graph,
    render_host as render_inventory_host,
};
pub use role_doc::render as render_role_doc;
pub use tokens::{render_token_created, render_tokens};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub struct Reporter {
    format: Format,
    human: human::Human,
    out: Box<dyn Write + Send>,
    /// On a terminal: a live line under the output (task results so far, hosts in the play).
    progress: Option<indicatif::ProgressBar>,
    done: u64,
    running: usize,
}

impl Reporter {
    pub fn new(format: Format, verbose: u8, diff: bool, out: Box<dyn Write + Send>) -> Self {
        Reporter {
            format,
            human: human::Human::new(verbose, diff),
            out,
            progress: None,
            done: 0,
            running: 0,
        }
    }

    /// Shows a progress line when stdout is a terminal and the output is for humans.
    #[must_use]
    pub fn with_terminal_progress(mut self) -> Self {
        use std::io::IsTerminal as _;
        if self.format == Format::Human && std::io::stdout().is_terminal() {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stdout(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .expect("a valid template"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            self.progress = Some(bar);
        }
        self
    }

    fn track(&mut self, event: &Event) {
        let mut waiting = None;
        match event {
            Event::PlayStarted { hosts, .. } => self.running = hosts.len(),
            Event::Task(t) if !t.loop_summary => self.done += 1,
            Event::HostLeft { .. } => self.running = self.running.saturating_sub(1),
            Event::Retrying {
                host,
                task,
                attempt,
                of,
                ..
            } => waiting = Some(format!(" — {host} | {task}: attempt {attempt} of {of}")),
            _ => {}
        }
        if let Some(bar) = &self.progress {
            bar.set_message(format!(
                "{} task results, {} host(s) in the play{}",
                self.done,
                self.running,
                waiting.unwrap_or_default()
            ));
        }
    }

    pub fn event(&mut self, event: &Event) {
        self.track(event);
        let text = match self.format {
            Format::Json => serde_json::to_string(event)
                .map(|mut s| {
                    s.push('\n');
                    s
                })
                .unwrap_or_default(),
            // Remote output is data: nothing in it may drive the terminal (JSON escapes it).
            Format::Human => text::escape_controls(&self.human.render(event)).into_owned(),
        };
        if let Some(bar) = &self.progress {
            if matches!(event, Event::RunFinished { .. }) {
                bar.finish_and_clear();
            }
            if !text.is_empty() {
                bar.suspend(|| {
                    let _ = self.out.write_all(text.as_bytes());
                    let _ = self.out.flush();
                });
            }
            return;
        }
        // Output that cannot be written (closed pipe) is dropped; the exit code still tells.
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    /// Reads events until the executor is done.
    pub async fn drain(mut self, mut rx: tokio::sync::mpsc::UnboundedReceiver<Event>) {
        while let Some(event) = rx.recv().await {
            self.event(&event);
            if matches!(event, Event::RunFinished { .. }) {
                break;
            }
        }
    }
}

/// Prints an error that has no source location (bad inventory, bad `-e`, ...).
pub fn error(message: &str) {
    let message = text::shorten_lines(message, text::MAX_MESSAGE);
    stderr(&format!("error: {}\n", text::escape_controls(&message)));
}

// A closed pipe (`eov check | head`) drops the rest: the exit code still tells, and
// `print!` would panic instead.

/// Writes finished text (diagnostics, listings) to stderr.
pub fn stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Writes finished text (listings) to stdout.
pub fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Asks for a secret on the terminal, without echo.
pub fn prompt_secret(prompt: &str) -> std::io::Result<String> {
    use std::io::{BufRead, Write as _};
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::fs::File::open("/dev/tty")?)
            .status()
    };
    write!(tty, "{prompt}")?;
    tty.flush()?;
    stty("-echo")?;
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    stty("echo")?;
    writeln!(tty)?;
    read?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// What `eov lab up` prints: where the inventory is and how to use it.
pub fn render_lab_up(name: &str, inventory: &std::path::Path, count: usize) -> String {
    format!(
        "lab `{name}`: {count} host(s) up\ninventory: {inv}\ntry: eov run -i {inv} PLAY\nremove: eov lab down --name {name}\n",
        inv = inventory.display()
    )
}

/// What `eov lab status` prints.
pub fn render_lab_status(name: &str, hosts: &[crate::lab::LabHost]) -> String {
    if hosts.is_empty() {
        return format!("lab `{name}`: no host\n");
    }
    let mut s = format!("lab `{name}`\n");
    for h in hosts {
        s.push_str(&format!(
            "  {:<5} {:<15} {:<10} {}\n",
            h.name, h.address, h.state, h.container
        ));
    }
    s
}
