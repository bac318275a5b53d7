//! Backups: the database exported as SurrealQL, behind a header that carries the body's SHA-256,
//! so a damaged or truncated file is refused before anything is written; a restore goes only
//! into an empty database.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::store::{Store, StoreConfig, StoreError};

const MAGIC: &str = "-- pilotgov backup 1";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a backup of `store` to `file` (atomically: a temporary file renamed at the end).
/// Returns the size of the export in bytes.
pub async fn backup(store: &Store, file: &Path) -> Result<usize, StoreError> {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let io = |e: std::io::Error| StoreError::Config(format!("backup file {}: {e}", file.display()));
    let export = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    store.export_to(export.path()).await?;
    let body = std::fs::read(export.path()).map_err(io)?;
    let mut out = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    writeln!(out, "{MAGIC} sha256:{} bytes:{}", hex(&Sha256::digest(&body)), body.len()).map_err(io)?;
    out.write_all(&body).map_err(io)?;
    out.as_file().sync_all().map_err(io)?;
    out.persist(file).map_err(|e| io(e.error))?;
    Ok(body.len())
}

/// Checks a backup file and returns its body, or says what is wrong with it.
pub fn verify(file: &Path) -> Result<Vec<u8>, StoreError> {
    let bad = |why: &str| StoreError::Config(format!("{} is not a usable pilotgov backup: {why}", file.display()));
    let bytes = std::fs::read(file).map_err(|e| StoreError::Config(format!("backup file {}: {e}", file.display())))?;
    let newline = bytes.iter().position(|b| *b == b'\n').ok_or_else(|| bad("no header line"))?;
    let header = std::str::from_utf8(&bytes[..newline]).map_err(|_| bad("the header is not text"))?;
    let rest =
        header.strip_prefix(MAGIC).ok_or_else(|| bad("the header is missing (was it made by `pilotgov backup`?)"))?;
    let mut sha = None;
    let mut len = None;
    for part in rest.split_whitespace() {
        if let Some(h) = part.strip_prefix("sha256:") {
            sha = Some(h.to_owned());
        } else if let Some(n) = part.strip_prefix("bytes:") {
            len = n.parse::<usize>().ok();
        }
    }
    let body = bytes[newline + 1..].to_vec();
    if len != Some(body.len()) {
        return Err(bad(&format!("{} bytes of content where the header promises {len:?} (truncated?)", body.len())));
    }
    if sha.as_deref() != Some(hex(&Sha256::digest(&body)).as_str()) {
        return Err(bad("the content does not match its checksum (damaged)"));
    }
    Ok(body)
}

/// Restores a verified backup into the (empty) database `config` names.
pub async fn restore(config: &StoreConfig, file: &Path) -> Result<Store, StoreError> {
    let body = verify(file)?;
    let mut export = tempfile::NamedTempFile::new().map_err(|e| StoreError::Config(format!("temporary file: {e}")))?;
    export.write_all(&body).map_err(|e| StoreError::Config(format!("temporary file: {e}")))?;
    Store::restore(config, export.path()).await
}
