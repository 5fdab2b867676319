//! `GET /v1/jobs/{id}/events`: the job's event log as JSON lines, from the start, then each
//! new line as the job writes it, until the job is over (chunked transfer).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::{Body, Bytes};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::jobs::Live;

struct Follower {
    path: PathBuf,
    offset: u64,
    /// None for a job of an earlier server process: its log is complete.
    live: Option<Arc<Live>>,
}

impl Follower {
    /// The complete lines written since the last read.
    async fn read_new(&mut self) -> std::io::Result<Vec<u8>> {
        let mut file = match tokio::fs::File::open(&self.path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        file.seek(std::io::SeekFrom::Start(self.offset)).await?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf).await?;
        let complete = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        buf.truncate(complete);
        self.offset += complete as u64;
        Ok(buf)
    }
}

pub fn body(path: PathBuf, live: Option<Arc<Live>>) -> Body {
    let follower = Follower {
        path,
        offset: 0,
        live,
    };
    let stream = futures_util::stream::unfold(Some(follower), |state| async move {
        let mut f = state?;
        loop {
            // Read `done` before the file: a job done before the read has written everything.
            let done = f
                .live
                .as_ref()
                .is_none_or(|l| l.done.load(Ordering::SeqCst));
            let live = f.live.clone().unwrap_or_default();
            // Registered before the read, so a line written meanwhile still wakes us.
            let wake = live.changed.notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            match f.read_new().await {
                Ok(bytes) if !bytes.is_empty() => {
                    return Some((Ok::<_, std::io::Error>(Bytes::from(bytes)), Some(f)));
                }
                Ok(_) if done => return None,
                Ok(_) => {}
                Err(e) => return Some((Err(e), None)),
            }
            let _ = tokio::time::timeout(Duration::from_millis(500), wake).await;
        }
    });
    Body::from_stream(stream)
}
