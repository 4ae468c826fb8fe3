//! The tantivy `Directory` quarry opens an index through: tantivy's memory-mapped directory,
//! with two changes.
//!
//! - **Read-only opening** ([`IndexDirectory::read_only`]): searching needs nothing but read
//!   access. tantivy's own reader takes its meta lock by opening `.tantivy-meta.lock` for writing
//!   (creating it if need be), which fails on a read-only mount, for another user, or after
//!   `chmod -R a-w`. Here the lock is a *shared* `flock` on that file opened read-only — it still
//!   keeps a concurrent build's clean-up from deleting segments while they are being opened — and
//!   is skipped when the file cannot be opened at all. Every write is refused.
//! - **Ordinary permissions** for the files tantivy writes atomically (`meta.json`,
//!   `.managed.json`): tantivy writes them through a temporary file created with mode 0600, so
//!   an index built by CI was unreadable to anyone else. Here they are written to
//!   `.NAME.quarry-tmp` created like any other file (mode 0666 less the umask), synced, and
//!   renamed into place.

use super::files::TEMP_SUFFIX;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};

/// An index directory on disk, writable or read-only.
#[derive(Debug, Clone)]
pub struct IndexDirectory {
    inner: MmapDirectory,
    root: PathBuf,
    writable: bool,
}

impl IndexDirectory {
    /// Opens `root` for reading only.
    pub fn read_only(root: &Path) -> tantivy::Result<IndexDirectory> {
        Self::open(root, false)
    }

    /// Opens `root` for building.
    pub fn writable(root: &Path) -> tantivy::Result<IndexDirectory> {
        Self::open(root, true)
    }

    fn open(root: &Path, writable: bool) -> tantivy::Result<IndexDirectory> {
        Ok(IndexDirectory {
            inner: MmapDirectory::open(root)?,
            root: root.to_path_buf(),
            writable,
        })
    }

    fn refuse(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is opened read-only", self.root.display()),
        )
    }
}

/// A shared lock held on a read-only descriptor; released when dropped.
struct SharedLock {
    _file: std::fs::File,
}

#[cfg(unix)]
fn lock_shared(file: &std::fs::File, blocking: bool) -> bool {
    use std::os::unix::io::AsRawFd;
    let flags = libc::LOCK_SH | if blocking { 0 } else { libc::LOCK_NB };
    // SAFETY: flock on a descriptor we own; no memory is passed.
    unsafe { libc::flock(file.as_raw_fd(), flags) == 0 }
}

#[cfg(not(unix))]
fn lock_shared(_file: &std::fs::File, _blocking: bool) -> bool {
    true
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn open_read(&self, path: &Path) -> Result<tantivy::directory::FileSlice, OpenReadError> {
        self.inner.open_read(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        if !self.writable {
            return Err(DeleteError::IoError {
                io_error: Arc::new(self.refuse()),
                filepath: path.to_path_buf(),
            });
        }
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        if !self.writable {
            return Err(OpenWriteError::wrap_io_error(
                self.refuse(),
                path.to_path_buf(),
            ));
        }
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        if !self.writable {
            return Err(self.refuse());
        }
        let target = self.root.join(path);
        let name = path
            .file_name()
            .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
        let temp = target.with_file_name(format!(".{name}{TEMP_SUFFIX}"));
        // A stale temporary (or anything planted under its name) goes; the new one is created
        // afresh, never opened through a link.
        match std::fs::remove_file(&temp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        let written = file.write_all(data).and_then(|()| file.sync_data());
        if let Err(e) = written.and_then(|()| std::fs::rename(&temp, &target)) {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        self.inner.sync_directory()
    }

    fn sync_directory(&self) -> io::Result<()> {
        if !self.writable {
            return Ok(());
        }
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        if self.writable {
            return self.inner.acquire_lock(lock);
        }
        // Readers only ever take the meta lock; without write access they cannot have another.
        match std::fs::File::open(self.root.join(&lock.filepath)) {
            Ok(file) => {
                if !lock_shared(&file, lock.is_blocking) && !lock.is_blocking {
                    return Err(LockError::LockBusy);
                }
                Ok(DirectoryLock::from(Box::new(SharedLock { _file: file })))
            }
            // No lock file means no build has run here since the index was copied: nothing to
            // wait for.
            Err(_) => Ok(DirectoryLock::from(Box::new(()))),
        }
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn atomic_writes_get_ordinary_permissions_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = IndexDirectory::writable(dir.path()).unwrap();
        d.atomic_write(Path::new("meta.json"), b"{}").unwrap();
        let mode = std::fs::metadata(dir.path().join("meta.json"))
            .unwrap()
            .permissions()
            .mode();
        let probe = dir.path().join("probe");
        std::fs::write(&probe, "").unwrap();
        let ordinary = std::fs::metadata(&probe).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, ordinary & 0o777);
        assert_eq!(std::fs::read(dir.path().join("meta.json")).unwrap(), b"{}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_read_only_directory_refuses_writes_and_locks_without_creating_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = IndexDirectory::read_only(dir.path()).unwrap();
        assert!(d.atomic_write(Path::new("meta.json"), b"{}").is_err());
        assert!(d.open_write(Path::new("x.idx")).is_err());
        let lock = d
            .acquire_lock(&tantivy::directory::META_LOCK)
            .expect("a reader's lock");
        drop(lock);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
