//! Finding the files to index under the paths given to `quarry index`.
//!
//! Each path is a corpus root with its own configuration ([`Corpus`]). Directories are walked
//! in sorted order (so runs are reproducible), without following links; hidden entries (names
//! starting with `.`), the index directory itself, and whatever the corpus config excludes are
//! not entered. Files no extractor claims are counted by extension, not reported one by one.

use crate::corpus::{Corpus, SIDECAR_SUFFIX};
use crate::error::{Error, ErrorKind, Result};
use crate::extract::{self, Extractor};
use std::collections::{BTreeMap, HashSet};
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

/// What the walk found.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    /// The files to index, in walk order.
    pub sources: Vec<Source>,
    /// Files of unsupported types, by extension.
    pub unsupported: BTreeMap<String, u64>,
}

/// A path as users see it: forward slashes, no leading `./`.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
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

/// Walks `paths`, skipping `index_dir`.
pub(crate) fn walk(paths: &[PathBuf], index_dir: &Path) -> Result<Walked> {
    let index_canon = std::fs::canonicalize(index_dir).ok();
    let mut walked = Walked::default();
    let mut seen = HashSet::new();
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
            if seen.insert(display.clone()) {
                let corpus = match root.parent().filter(|p| !p.as_os_str().is_empty()) {
                    Some(parent) => Corpus::load(parent)?,
                    None => Corpus::load(Path::new("."))?,
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
        let corpus = Arc::new(Corpus::load(root)?);
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
            // An unreadable directory entry is not worth stopping the build for; the files
            // that can be read are indexed.
            let Ok(entry) = entry else { continue };
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
                    if seen.insert(display.clone()) {
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
        let walked = walk(&[root.to_path_buf()], &root.join("idx")).unwrap();
        let rels: Vec<&str> = walked.sources.iter().map(|s| s.rel.as_str()).collect();
        assert_eq!(rels, ["a.md", "b.txt"]);
        assert_eq!(walked.unsupported.get("xyz"), Some(&1));
        assert_eq!(walked.unsupported.get("toml"), None);
    }
}
