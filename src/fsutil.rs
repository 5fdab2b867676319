//! Controller-side files: writes are atomic (temp file in the same directory, then rename);
//! text read says where it is not UTF-8.

use std::io::Write as _;
use std::path::Path;

pub fn write_atomic(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    // Unique per write, so two tasks of one process (a server) never share a temp file.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.eov-{}-{n}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dest)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A file's text; one that is not UTF-8 is an error that says where (line, column, byte),
/// where `std::fs::read_to_string` only says "stream did not contain valid UTF-8".
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let before = String::from_utf8_lossy(&bytes[..at]);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text: line {line}, column {column} has the byte 0x{:02x}",
                bytes[at]
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_that_is_not_utf8_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"ok\ncaf\xe9\n").unwrap();
        assert_eq!(
            super::read_text(&path).unwrap_err().to_string(),
            "not UTF-8 text: line 2, column 4 has the byte 0xe9"
        );
        std::fs::write(&path, "caf\u{e9}\n").unwrap();
        assert_eq!(super::read_text(&path).unwrap(), "caf\u{e9}\n");
    }
}
