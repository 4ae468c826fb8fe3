//! Damaged indexes: finding them, and turning what a damaged index does to tantivy (errors with
//! Rust debug text, or panics deep in its readers) into one line naming the index and the fix.
//!
//! Every file of a tantivy segment ends with a CRC32 of its content. [`check`] reads each file
//! the current commit uses and compares: a flipped bit, a truncated or missing file is found
//! without trusting any of the data. `quarry verify` reports what it finds and `quarry index`
//! rebuilds a damaged index. Reading an index never checks sums (that would read the whole index
//! for every query); instead [`guard`] runs each read under `catch_unwind` and, when tantivy
//! fails or panics, checks the sums to say what is wrong.

use super::{rebuild_command_for, IndexMeta, QuarryIndex};
use crate::error::{io_reason, Error, ErrorKind, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use tantivy::directory::error::OpenReadError;
use tantivy::{Directory, Index, TantivyError};

/// One damaged file of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The file's name inside the index directory.
    pub file: String,
    /// What is wrong with it, for people.
    pub problem: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.file, self.problem)
    }
}

/// Checks every file of the current commit against its checksum. An empty list means none is
/// damaged. A commit that cannot be read at all is one damage, of `meta.json`.
pub fn check(index: &Index) -> Vec<Damage> {
    let metas = match index.load_metas() {
        Ok(m) => m,
        Err(e) => {
            return vec![Damage {
                file: "meta.json".into(),
                problem: format!("cannot be read: {}", tantivy_reason(&e)),
            }]
        }
    };
    let directory = index.directory();
    use tantivy::index::SegmentComponent as C;
    let mut files: Vec<std::path::PathBuf> = metas
        .segments
        .iter()
        .flat_map(|seg| {
            let mut components = vec![
                C::Postings,
                C::Positions,
                C::Terms,
                C::Store,
                C::FastFields,
                C::FieldNorms,
            ];
            if seg.has_deletes() {
                components.push(C::Delete);
            }
            components
                .into_iter()
                .map(|c| seg.relative_path(c))
                .collect::<Vec<_>>()
        })
        .collect();
    files.sort();
    files.dedup();
    let mut damaged = Vec::new();
    for file in files {
        let name = file.display().to_string();
        // Opening checks the footer's format version; the checksum covers the rest.
        let opened = directory.open_read(&file).map(|_| ());
        let problem = match opened.and_then(|()| directory.validate_checksum(&file)) {
            Ok(true) => continue,
            Ok(false) => "fails its checksum".to_string(),
            Err(OpenReadError::FileDoesNotExist(_)) => "is missing".to_string(),
            Err(OpenReadError::IoError { io_error, .. }) => {
                format!("cannot be read ({})", io_reason(&io_error))
            }
            Err(OpenReadError::IncompatibleIndex(_)) => "has a damaged footer".to_string(),
        };
        damaged.push(Damage {
            file: name,
            problem,
        });
    }
    damaged
}

/// The error for an index with damaged files.
pub fn damaged_error(dir: &Path, meta: &IndexMeta, damage: &[Damage]) -> Error {
    let shown: Vec<String> = damage.iter().take(3).map(Damage::to_string).collect();
    let more = match damage.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    Error::new(
        ErrorKind::DamagedIndex,
        format!(
            "the index at {} is damaged: {}{more}",
            dir.display(),
            shown.join(", ")
        ),
    )
    .with_hint(format!(
        "rebuild it with: {}, or fetch a good copy",
        rebuild_command_for(dir, meta)
    ))
}

/// Runs `read` (a read of `index`) so that neither a tantivy error nor a panic caused by a
/// damaged index reaches the caller as anything but one clear [`Error`]. Errors that are not
/// about the index (a bad query, say) pass through unchanged.
pub fn guard<T>(index: &QuarryIndex, read: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(read)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) if e.kind() == ErrorKind::Engine => Err(diagnose(index, Some(e), None)),
        Ok(Err(e)) => Err(e),
        Err(payload) => Err(diagnose(index, None, Some(panic_message(&*payload)))),
    }
}

/// The text of a panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_string())
}

fn diagnose(index: &QuarryIndex, error: Option<Error>, panic: Option<String>) -> Error {
    let damage = catch_unwind(AssertUnwindSafe(|| check(index.tantivy()))).unwrap_or_default();
    if !damage.is_empty() {
        return damaged_error(index.dir(), index.meta(), &damage);
    }
    match (error, panic) {
        (Some(e), _) => Error::new(
            ErrorKind::Engine,
            format!(
                "reading the index at {} failed: {}",
                index.dir().display(),
                e.message()
            ),
        )
        .with_hint(format!(
            "its checksums are intact; check it with quarry verify, or rebuild it with: {}",
            rebuild_command_for(index.dir(), index.meta())
        )),
        (None, panic) => Error::new(
            ErrorKind::Engine,
            format!(
                "reading the index at {} failed: {}",
                index.dir().display(),
                one_line(&panic.unwrap_or_default())
            ),
        )
        .with_hint(format!(
            "its checksums are intact; run quarry verify, or rebuild it with: {}",
            rebuild_command_for(index.dir(), index.meta())
        )),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A tantivy error as a short, lower-case reason without Rust debug text.
pub fn tantivy_reason(e: &TantivyError) -> String {
    use tantivy::directory::error::OpenWriteError;
    match e {
        TantivyError::IoError(io) => io_reason(io),
        TantivyError::OpenReadError(OpenReadError::FileDoesNotExist(p)) => {
            format!("{} is missing", p.display())
        }
        TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath }) => {
            format!(
                "cannot read {}: {}",
                filepath.display(),
                io_reason(io_error)
            )
        }
        TantivyError::OpenWriteError(OpenWriteError::IoError { io_error, filepath }) => {
            format!(
                "cannot write {}: {}",
                filepath.display(),
                io_reason(io_error)
            )
        }
        TantivyError::LockFailure(tantivy::directory::error::LockError::IoError(io), _) => {
            format!("cannot take the index lock: {}", io_reason(io))
        }
        TantivyError::DataCorruption(d) => corruption(&format!("{d:?}")),
        TantivyError::OpenReadError(OpenReadError::IncompatibleIndex(_))
        | TantivyError::IncompatibleIndex(_) => {
            "a file of it has a format version this quarry does not read".to_string()
        }
        other => one_line(&other.to_string()),
    }
}

/// A data-corruption report as "FILE cannot be decoded": tantivy only offers its debug text,
/// which quotes the damaged bytes.
fn corruption(debug: &str) -> String {
    let file = debug
        .split_once("(in file `\"")
        .and_then(|(_, rest)| rest.split_once("\"`"))
        .map(|(file, _)| file);
    match file {
        Some(file) => format!("{file} cannot be decoded"),
        None => "a file of it cannot be decoded".to_string(),
    }
}

/// The operating-system error behind a tantivy error, if any (to tell a full disk from a bug).
pub fn io_error_of(e: &TantivyError) -> Option<&std::io::Error> {
    use tantivy::directory::error::OpenWriteError;
    match e {
        TantivyError::IoError(io) => Some(io),
        TantivyError::OpenReadError(OpenReadError::IoError { io_error, .. }) => Some(io_error),
        TantivyError::OpenWriteError(OpenWriteError::IoError { io_error, .. }) => Some(io_error),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corruption_reports_name_the_file_without_quoting_its_bytes() {
        let e = TantivyError::DataCorruption(tantivy::error::DataCorruption::new(
            "meta.json".into(),
            "Meta file cannot be deserialized. Content: \"{}\"".into(),
        ));
        assert_eq!(tantivy_reason(&e), "meta.json cannot be decoded");
        let e = TantivyError::DataCorruption(tantivy::error::DataCorruption::comment_only("x"));
        assert_eq!(tantivy_reason(&e), "a file of it cannot be decoded");
    }
}
