//! Finding the files to index under the paths given to `quarry index`.
//!
//! Each path is a corpus root with its own configuration ([`Corpus`]). Directories are walked
//! in sorted order (so runs are reproducible), without following links; hidden entries (names
//! starting with `.`), the index directory itself, and whatever the corpus config excludes are
//! not entered. Files no extractor claims are counted by extension, not reported one by one.
//!
//! What cannot be walked — a folder without read permission, an I/O error, a name that collides
//! with another once made readable — is returned as a [`WalkError`], never dropped: the build
//! reports it like a skipped file (it counts for `--strict`) and keeps what the index already
//! holds from there. Paths are compared as raw bytes; a name that is not valid UTF-8 is shown
//! with its odd bytes escaped as `\xNN` (see [`display_path`]), so two such files stay distinct.

use crate::corpus::{Corpus, SIDECAR_SUFFIX};
use crate::error::{Error, ErrorKind, Result};
use crate::extract::{self, Extractor};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file to index.
#[derive(Debug)]
pub(crate) struct Source {
    /// Where it is on disk.
    pub fs_path: PathBuf,
    /// Its path as users see it (see [`display_path`]).
    pub display: String,
    /// Its path relative to its corpus root, `/`-separated.
    pub rel: String,
    /// The extractor for its type.
    pub extractor: &'static Extractor,
    /// The corpus it belongs to.
    pub corpus: Arc<Corpus>,
}

/// A place the walk could not read.
#[derive(Debug, Clone)]
pub(crate) struct WalkError {
    /// Its display path.
    pub path: String,
    /// Why, for people.
    pub reason: String,
    /// Whether it is a folder (whose files already in the index are then kept).
    pub dir: bool,
}

/// What the walk found.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    /// The files to index, in walk order.
    pub sources: Vec<Source>,
    /// Files of unsupported types, by extension.
    pub unsupported: BTreeMap<String, u64>,
    /// What could not be walked.
    pub errors: Vec<WalkError>,
}

impl Walked {
    /// Whether `path` (a display path) lies in a folder the walk could not read.
    pub fn in_unreadable_dir(&self, path: &str) -> bool {
        self.errors
            .iter()
            .any(|e| e.dir && is_inside(path, &e.path))
    }
}

/// Whether display path `path` lies inside folder `dir` (`corpus`, `corpus/` or `.`).
pub(crate) fn is_inside(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() || dir == "." {
        return !path.starts_with('/');
    }
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// A path's text, with bytes that are not UTF-8 escaped as `\xNN` (so distinct names stay
/// distinct).
fn path_text(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let mut out = String::with_capacity(bytes.len());
        for chunk in bytes.utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().replace('\\', "/")
    }
}

/// A path as users see it: forward slashes, no leading `./`, and bytes that are not UTF-8
/// escaped as `\xNN`.
pub fn display_path(path: &Path) -> String {
    let s = path_text(path);
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    if s.is_empty() {
        ".".to_string()
    } else {
        s.to_string()
    }
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .map(display_path)
        .unwrap_or_else(|_| display_path(path))
}

/// Walks `paths`, skipping `index_dir`; `config` replaces each root's own `quarry.toml`.
pub(crate) fn walk(paths: &[PathBuf], index_dir: &Path, config: Option<&Path>) -> Result<Walked> {
    let index_canon = std::fs::canonicalize(index_dir).ok();
    let mut walked = Walked::default();
    // Display paths taken, with the raw path that took each.
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for root in paths {
        let root_meta = std::fs::metadata(root).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "cannot index {}: {}",
                    root.display(),
                    crate::error::io_reason(&e)
                ),
            )
            .with_hint("give the folders or files of documents to index: quarry index PATH...")
        })?;
        if root_meta.is_file() {
            let extractor = extract::for_path(root).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("cannot index {}: unsupported file type", root.display()),
                )
                .with_hint(format!("supported: {}", extract::supported_extensions()))
            })?;
            let display = display_path(root);
            if claim(&mut seen, &mut walked.errors, root, &display) {
                let corpus = match root.parent().filter(|p| !p.as_os_str().is_empty()) {
                    Some(parent) => Corpus::load_with(parent, config)?,
                    None => Corpus::load_with(Path::new("."), config)?,
                };
                let rel = root
                    .file_name()
                    .map_or_else(|| display.clone(), |n| n.to_string_lossy().into_owned());
                walked.sources.push(Source {
                    fs_path: root.clone(),
                    display,
                    rel,
                    extractor,
                    corpus: Arc::new(corpus),
                });
            }
            continue;
        }
        let corpus = Arc::new(Corpus::load_with(root, config)?);
        let entries = walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                if e.depth() == 0 {
                    return true;
                }
                if e.file_name().to_string_lossy().starts_with('.') {
                    return false;
                }
                if !e.file_type().is_dir() {
                    return true;
                }
                let is_index =
                    index_canon.is_some() && std::fs::canonicalize(e.path()).ok() == index_canon;
                !is_index && corpus.wants_dir(&relative(e.path(), root))
            });
        for entry in entries {
            // An unreadable entry is not worth stopping the build for; the files that can be
            // read are indexed, and the error is reported.
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    walked.errors.push(walk_error(&e, root));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path();
            let rel = relative(path, root);
            if !corpus.wants_file(&rel) || rel.ends_with(SIDECAR_SUFFIX) {
                continue;
            }
            match extract::for_path(path) {
                Some(extractor) => {
                    let display = display_path(path);
                    if claim(&mut seen, &mut walked.errors, path, &display) {
                        walked.sources.push(Source {
                            fs_path: path.to_path_buf(),
                            display,
                            rel,
                            extractor,
                            corpus: corpus.clone(),
                        });
                    }
                }
                None => {
                    let ext = path.extension().map_or_else(
                        || "(none)".to_string(),
                        |e| e.to_string_lossy().to_lowercase(),
                    );
                    *walked.unsupported.entry(ext).or_insert(0) += 1;
                }
            }
        }
    }
    Ok(walked)
}

/// Takes `display` for `path`; false when it is taken already (by the same file given twice,
/// silently, or by another whose name only differs in how it shows, as an error).
fn claim(
    seen: &mut HashMap<String, PathBuf>,
    errors: &mut Vec<WalkError>,
    path: &Path,
    display: &str,
) -> bool {
    match seen.get(display) {
        None => {
            seen.insert(display.to_string(), path.to_path_buf());
            true
        }
        Some(first) if first == path || same_file(first, path) => false,
        Some(_) => {
            errors.push(WalkError {
                path: display.to_string(),
                reason: "another file's name reads the same; rename one of them".to_string(),
                dir: false,
            });
            false
        }
    }
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(a: &Path, b: &Path) -> bool {
    std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok()
}

fn walk_error(e: &walkdir::Error, root: &Path) -> WalkError {
    let path = e.path().unwrap_or(root);
    let reason = match e.io_error() {
        Some(io) => crate::error::io_reason(io),
        None => "a link loop".to_string(),
    };
    // An error reading a folder names the folder itself.
    let dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    WalkError {
        path: display_path(path),
        reason: if dir {
            format!("cannot read this folder: {reason}")
        } else {
            format!("cannot read: {reason}")
        },
        dir,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_normalised() {
        assert_eq!(display_path(Path::new("./corpus/a.md")), "corpus/a.md");
        assert_eq!(display_path(Path::new("corpus")), "corpus");
        assert_eq!(display_path(Path::new("./")), ".");
    }

    #[test]
    fn paths_inside_a_folder_however_it_was_named() {
        assert!(is_inside("corpus/a.md", "corpus"));
        assert!(is_inside("corpus/a.md", "corpus/"));
        assert!(is_inside("corpus/sub/a.md", "corpus/sub"));
        assert!(is_inside("a.md", "."));
        assert!(!is_inside("corpus2/a.md", "corpus"));
        assert!(!is_inside("corpus", "corpus"));
        assert!(!is_inside("/abs/a.md", "."));
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_stay_distinct() {
        use std::os::unix::ffi::OsStrExt;
        let a = Path::new(std::ffi::OsStr::from_bytes(b"corpus/r\xff.md"));
        let b = Path::new(std::ffi::OsStr::from_bytes(b"corpus/r\xfe.md"));
        assert_eq!(display_path(a), "corpus/r\\xFF.md");
        assert_ne!(display_path(a), display_path(b));

        let dir = tempfile::tempdir().unwrap();
        for name in [&b"r\xff.md"[..], b"r\xfe.md", b"r.md"] {
            std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(name)), "x").unwrap();
        }
        let walked = walk(&[dir.path().to_path_buf()], &dir.path().join("idx"), None).unwrap();
        assert_eq!(walked.sources.len(), 3);
        assert!(walked.errors.is_empty());
    }

    #[test]
    fn walk_honours_config_hidden_files_and_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (name, body) in [
            ("a.md", "a"),
            ("b.txt", "b"),
            ("drafts/c.md", "c"),
            (".git/d.md", "d"),
            ("idx/quarry.json", "{}"),
            ("e.pdf.meta.toml", "title = \"x\""),
            ("f.xyz", "f"),
            ("quarry.toml", "exclude = [\"drafts/\"]"),
        ] {
            let p = root.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        let walked = walk(&[root.to_path_buf()], &root.join("idx"), None).unwrap();
        let rels: Vec<&str> = walked.sources.iter().map(|s| s.rel.as_str()).collect();
        assert_eq!(rels, ["a.md", "b.txt"]);
        assert_eq!(walked.unsupported.get("xyz"), Some(&1));
        assert_eq!(walked.unsupported.get("toml"), None);
    }
}
