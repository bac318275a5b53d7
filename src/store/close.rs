//! Closing the embedded store cleanly.
//!
//! surrealkv keeps what was written since its last flush in a memory table, and in its
//! write-ahead log on disk. Closed cleanly, it writes that table to disk; stopped without a
//! close, the next start replays the log into memory — after a day of filings, up to a memory
//! table's worth (1 GiB on a 16–64 GiB machine), which the server then holds while idle. The SDK
//! closes the engine when the last handle drops, on a task of its own that the runtime must
//! outlive; nothing tells when it is done but the engine's lock on its folder, released last.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Store;

/// The folder of a `surrealkv://` URL (none for `mem://` and servers): what the engine locks,
/// and what `App::build` creates the parent of.
pub fn folder(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("surrealkv://")?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty()).then(|| PathBuf::from(path))
}

impl Store {
    /// Drops this handle and waits, at most `wait`, until the embedded engine has closed: its
    /// memory table written out and its lock released. Every other clone of this store must be
    /// gone first (the server's, the scheduler's); otherwise the engine stays open and this
    /// reports `false` when `wait` is over. In memory or on a server there is nothing to close.
    pub async fn close(self, wait: Duration) -> bool {
        let Some(folder) = self.disk.clone() else { return true };
        let others = std::sync::Arc::strong_count(&self.db) - 1;
        if others > 0 {
            tracing::warn!(others, "closing the store while other handles hold it open");
        }
        drop(self);
        let deadline = Instant::now() + wait;
        loop {
            if unlocked(&folder.join("LOCK")) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Whether nobody holds the engine's lock file (a `flock`, as surrealkv takes it): taken and
/// given back at once. (rustix, not `File::try_lock`: that needs Rust 1.89, above our MSRV.)
fn unlocked(lock: &Path) -> bool {
    use rustix::fs::{FlockOperation, flock};
    match std::fs::OpenOptions::new().read(true).write(true).open(lock) {
        Ok(file) => match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {
                let _ = flock(&file, FlockOperation::Unlock);
                true
            }
            Err(_) => false,
        },
        // No lock file: the engine never opened here.
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::folder;

    #[test]
    fn the_folder_is_the_url_path_without_its_options() {
        assert_eq!(folder("surrealkv://data/pilotgov.db").unwrap().to_str(), Some("data/pilotgov.db"));
        assert_eq!(
            folder("surrealkv:///var/lib/pilotgov/pilotgov.db?sync=every").unwrap().to_str(),
            Some("/var/lib/pilotgov/pilotgov.db")
        );
        assert_eq!(folder("mem://"), None);
        assert_eq!(folder("ws://127.0.0.1:8000"), None);
    }
}
