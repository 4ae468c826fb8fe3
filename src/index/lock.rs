//! The write lock of an index: one `quarry index` at a time per index directory.
//!
//! The lock is an advisory `flock` on `quarry.lock` inside the index directory, which holds the
//! pid of the process that has it. The operating system releases it when that process ends, even
//! when it is killed, so a crashed build never leaves a stale lock behind. A second writer fails
//! at once with the holder's pid. Readers (`search`, `show`, `stats`) never take it: they see the
//! last commit while a build runs.

use crate::error::{Error, ErrorKind, Result};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

/// The name of the lock file inside the index directory.
pub const LOCK_FILE: &str = "quarry.lock";

/// A held write lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

impl WriteLock {
    /// Takes the write lock of the index in `dir`, creating the directory if needed.
    pub fn acquire(dir: &Path) -> Result<WriteLock> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io("create the index directory", dir, &e))?;
        let path = dir.join(LOCK_FILE);
        let mut file = open_lock_file(&path)?;
        if !try_lock(&file) {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                String::new()
            } else {
                format!(" (pid {holder})")
            };
            return Err(Error::new(
                ErrorKind::IndexLocked,
                format!(
                    "index {} is being written by another quarry process{who}",
                    dir.display()
                ),
            )
            .with_hint("wait for it to finish; searching works meanwhile"));
        }
        // Ours now: record who holds it.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = writeln!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(WriteLock { _file: file })
    }
}

/// An exclusive lock on tantivy's meta lock file in `dir`, held while a rebuilt index replaces
/// the old one: readers take that lock (shared) while they read `meta.json` and open its
/// segments, so none sees a commit whose files are being removed. Waits for readers; released
/// when dropped.
pub(crate) fn meta_exclusive(dir: &Path) -> Result<File> {
    let path = dir.join(".tantivy-meta.lock");
    let file = open_lock_file(&path)?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a file descriptor we own; no memory is passed.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(Error::io("lock", &path, &std::io::Error::last_os_error()));
        }
    }
    Ok(file)
}

/// Opens (creating it if need be) a lock file for reading and writing, keeping its content.
fn open_lock_file(path: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Error::io("open the lock file", path, &e))
}

#[cfg(unix)]
fn try_lock(file: &File) -> bool {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a file descriptor we own; no memory is passed.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> bool {
    // Elsewhere tantivy's own writer lock still stops a second writer, without the pid.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = WriteLock::acquire(dir.path()).unwrap();
        let err = WriteLock::acquire(dir.path()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::IndexLocked);
        assert!(
            err.to_string()
                .contains(&format!("(pid {})", std::process::id())),
            "{err}"
        );
        drop(first);
        WriteLock::acquire(dir.path()).unwrap();
    }
}
