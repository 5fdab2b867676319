//! Appends journal lines from a thread of its own: whatever lines are waiting go out at once
//! in one `write`, and an `fdatasync` follows within [`SYNC_EVERY`] (group commit), so a
//! hundred hosts finishing tasks at once cost a few syncs, and no executor thread ever waits
//! on the disk.

use std::fs::File;
use std::io::Write as _;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct Writer {
    tx: Option<Sender<String>>,
    thread: Option<JoinHandle<Option<String>>>,
}

impl Writer {
    /// Appends to `file` (opened for appending, after the header) until [`Writer::close`].
    pub fn start(file: File) -> std::io::Result<Writer> {
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("eov-journal".into())
            .spawn(move || append(file, &rx))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues one line (without its newline).
    pub fn send(&self, line: String) {
        if let Some(tx) = &self.tx {
            // The thread only ends once `close` dropped the sender.
            let _ = tx.send(line);
        }
    }

    /// Writes what is queued, waits for the last sync; the first write error, if any.
    pub fn close(&mut self) -> Option<String> {
        self.tx = None;
        self.thread.take().and_then(|t| {
            t.join()
                .unwrap_or_else(|_| Some("the writer panicked".into()))
        })
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// How long a written line may wait for its `fdatasync`: a killed eov loses nothing written
/// (the kernel has it), only a crash of the machine can lose these last milliseconds, and
/// syncing at most this often keeps a run of quick tasks from waiting on the disk.
const SYNC_EVERY: Duration = Duration::from_millis(20);

/// The writer's loop; after a failed write it stops writing (a hole in the middle would let
/// a later line say a handler ran when its notification was lost) and reports the error.
fn append(mut file: File, rx: &Receiver<String>) -> Option<String> {
    let mut error: Option<String> = None;
    let mut synced = Instant::now();
    let mut dirty = false;
    let sync = |file: &File, error: &mut Option<String>, dirty: &mut bool| {
        if *dirty
            && error.is_none()
            && let Err(e) = file.sync_data()
        {
            *error = Some(e.to_string());
        }
        *dirty = false;
    };
    loop {
        let first = if dirty {
            match rx.recv_timeout(SYNC_EVERY.saturating_sub(synced.elapsed())) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => {
                    sync(&file, &mut error, &mut dirty);
                    synced = Instant::now();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(line) => line,
                Err(_) => break,
            }
        };
        let mut batch = first;
        batch.push('\n');
        while let Ok(more) = rx.try_recv() {
            batch.push_str(&more);
            batch.push('\n');
        }
        if error.is_none() {
            match file.write_all(batch.as_bytes()) {
                Ok(()) => dirty = true,
                Err(e) => error = Some(e.to_string()),
            }
        }
        if synced.elapsed() >= SYNC_EVERY {
            sync(&file, &mut error, &mut dirty);
            synced = Instant::now();
        }
    }
    sync(&file, &mut error, &mut dirty);
    error
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_line_is_written_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        let mut w = super::Writer::start(file).unwrap();
        for i in 0..500 {
            w.send(format!("line {i}"));
        }
        assert_eq!(w.close(), None);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 500);
        assert_eq!(lines[499], "line 499");
        assert!(text.ends_with('\n'));
    }
}
