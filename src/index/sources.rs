//! Which folders and files an index is built from, and how a `quarry index` run may change
//! that list.
//!
//! An index remembers its sources (`quarry.json`). A build indexes exactly the paths it is
//! given and drops what lies outside them, so a run that names other paths than the index's own
//! would silently shrink it. [`resolve`] turns what the user asked for into the paths to build
//! from, and refuses a change that would drop indexed files unless it was asked for:
//!
//! - no paths: the index's own sources (`corpus/` for a new index);
//! - paths equal to, or covering, the index's sources: those paths;
//! - other paths: refused, saying how many files they would drop, unless `--replace`;
//! - `--add PATH`: the sources plus `PATH`; `--remove PATH`: the sources less `PATH`.

use super::walk::{display_path, is_inside};
use super::{dir_state, DirState, QuarryIndex};
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// The sources of a new index when none are given.
pub const DEFAULT_SOURCE: &str = "corpus/";

/// What a `quarry index` run asks for its sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRequest {
    /// Exactly these paths (the index's own when empty). `replace` allows dropping indexed
    /// files that lie outside them.
    Paths {
        /// The paths given.
        paths: Vec<PathBuf>,
        /// Whether replacing the index's sources was asked for.
        replace: bool,
    },
    /// The index's sources and these.
    Add(Vec<PathBuf>),
    /// The index's sources but these.
    Remove(Vec<PathBuf>),
}

/// A source path as stored and compared: its display form without a trailing slash.
fn key(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        path.to_string()
    } else {
        trimmed.to_string()
    }
}

/// The configuration file the index in `dir` was built with (`--config`), if any: a later
/// `quarry index` without `--config` keeps using it.
pub fn stored_config(dir: &Path) -> Option<PathBuf> {
    match dir_state(dir) {
        DirState::Quarry(meta) => meta.config.map(PathBuf::from),
        _ => None,
    }
}

/// The OCR options (`--ocr`, `--ocr-lang`) the index in `dir` was built with, if it is ours.
pub fn stored_ocr(dir: &Path) -> crate::ocr::Options {
    match dir_state(dir) {
        DirState::Quarry(meta) => meta.ocr_options(),
        _ => crate::ocr::Options::default(),
    }
}

/// The paths to build the index in `dir` from, for `request`.
pub fn resolve(dir: &Path, request: &SourceRequest) -> Result<Vec<PathBuf>> {
    let (current, built_in): (Vec<String>, Option<String>) = match dir_state(dir) {
        DirState::Quarry(meta) => (meta.sources, meta.built_in),
        _ => (Vec::new(), None),
    };
    let current_paths = || current.iter().map(PathBuf::from).collect::<Vec<_>>();
    // Relative sources mean what they meant where the index was built.
    let elsewhere = built_in
        .as_deref()
        .is_some_and(|b| std::env::current_dir().is_ok_and(|here| here != Path::new(b)))
        && current.iter().any(|s| Path::new(s).is_relative());
    if elsewhere && !matches!(request, SourceRequest::Paths { replace: true, .. }) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the index at {} was built in {} from {}, paths relative to that folder",
                dir.display(),
                built_in.as_deref().unwrap_or_default(),
                current.join(" ")
            ),
        )
        .with_hint(format!(
            "run this in {}, or give the sources again with --replace",
            built_in.as_deref().unwrap_or_default()
        )));
    }
    match request {
        SourceRequest::Paths { paths, .. } if paths.is_empty() => Ok(if current.is_empty() {
            vec![PathBuf::from(DEFAULT_SOURCE)]
        } else {
            current_paths()
        }),
        SourceRequest::Paths { paths, replace } => {
            let keys: Vec<String> = paths.iter().map(|p| key(&display_path(p))).collect();
            // Every current source given again, or inside a given path: nothing can drop.
            let covered = current.iter().all(|c| {
                let c = key(c);
                keys.iter().any(|k| *k == c || is_inside(&c, k))
            });
            if !replace && !current.is_empty() && !covered {
                let dropped = match dropped_files(dir, paths) {
                    Some(0) => None,
                    Some(n) => Some(format!("{n} of its files")),
                    None => Some("the files it holds outside them".to_string()),
                };
                if let Some(dropped) = dropped {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        format!(
                            "the index at {} is built from {}; indexing {} instead would drop {dropped}",
                            dir.display(),
                            current.join(" "),
                            names(paths).join(" ")
                        ),
                    )
                    .with_hint(format!(
                        "add them with: quarry index --add {}; or replace the sources with --replace",
                        names(paths).join(" ")
                    )));
                }
            }
            Ok(paths.clone())
        }
        SourceRequest::Add(add) => {
            let mut out = if current.is_empty() {
                Vec::new()
            } else {
                current_paths()
            };
            for p in add {
                if !out
                    .iter()
                    .any(|o| key(&display_path(o)) == key(&display_path(p)))
                {
                    out.push(p.clone());
                }
            }
            Ok(out)
        }
        SourceRequest::Remove(remove) => {
            if current.is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "there is no index at {} to remove sources from",
                        dir.display()
                    ),
                )
                .with_hint("build one with: quarry index PATH"));
            }
            for r in remove {
                if !current.iter().any(|c| key(c) == key(&display_path(r))) {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        format!(
                            "{} is not a source of the index at {} (its sources: {})",
                            display_path(r),
                            dir.display(),
                            current.join(" ")
                        ),
                    )
                    .with_hint("name a source exactly as quarry stats lists it"));
                }
            }
            let out: Vec<PathBuf> = current
                .iter()
                .filter(|c| !remove.iter().any(|r| key(c) == key(&display_path(r))))
                .map(PathBuf::from)
                .collect();
            if out.is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "removing {} would leave the index at {} without sources",
                        names(remove).join(" "),
                        dir.display()
                    ),
                )
                .with_hint("delete the index directory yourself if that is what you want"));
            }
            Ok(out)
        }
    }
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| display_path(p)).collect()
}

/// How many files the index in `dir` holds that lie outside `paths`: none when it has no
/// commit yet, `None` when its manifest cannot be read.
fn dropped_files(dir: &Path, paths: &[PathBuf]) -> Option<u64> {
    if !dir.join("meta.json").exists() {
        return Some(0);
    }
    let keys: Vec<String> = paths.iter().map(|p| key(&display_path(p))).collect();
    let index = QuarryIndex::open(dir).ok()?;
    let Some(manifest) = index.manifest().ok()? else {
        // No build has committed yet: nothing to drop.
        let info = index.build_info();
        return (info.documents == 0 && info.skipped == 0).then_some(0);
    };
    Some(
        manifest
            .files
            .iter()
            .filter(|e| !keys.iter().any(|k| e.path == *k || is_inside(&e.path, k)))
            .count() as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{build, BuildOptions, Silent};

    fn index_of(sources: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for s in sources {
            let dir = tmp.path().join(s);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("a.md"), "# A\n\nSome text here.\n").unwrap();
            paths.push(dir);
        }
        let idx = tmp.path().join("idx");
        let options = BuildOptions {
            paths,
            threads: 1,
            ..BuildOptions::default()
        };
        build(&idx, &options, &Silent).unwrap();
        (tmp, idx)
    }

    #[test]
    fn no_paths_means_the_index_own_sources_or_the_default() {
        let (tmp, idx) = index_of(&["one", "two"]);
        let got = resolve(
            &idx,
            &SourceRequest::Paths {
                paths: vec![],
                replace: false,
            },
        )
        .unwrap();
        assert_eq!(got, [tmp.path().join("one"), tmp.path().join("two")]);
        let fresh = resolve(
            &tmp.path().join("new"),
            &SourceRequest::Paths {
                paths: vec![],
                replace: false,
            },
        )
        .unwrap();
        assert_eq!(fresh, [PathBuf::from(DEFAULT_SOURCE)]);
    }

    #[test]
    fn other_paths_that_drop_files_need_replace() {
        let (tmp, idx) = index_of(&["one", "two"]);
        let other = vec![tmp.path().join("one")];
        let err = resolve(
            &idx,
            &SourceRequest::Paths {
                paths: other.clone(),
                replace: false,
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("would drop 1 of its files"),
            "{err}"
        );
        assert!(err.to_string().contains("--add"), "{err}");
        let ok = resolve(
            &idx,
            &SourceRequest::Paths {
                paths: other.clone(),
                replace: true,
            },
        )
        .unwrap();
        assert_eq!(ok, other);
        // Paths covering the sources drop nothing.
        let wider = vec![tmp.path().to_path_buf()];
        assert!(resolve(
            &idx,
            &SourceRequest::Paths {
                paths: wider,
                replace: false,
            },
        )
        .is_ok());
    }

    #[test]
    fn add_and_remove_change_the_list() {
        let (tmp, idx) = index_of(&["one"]);
        let two = tmp.path().join("two");
        let got = resolve(&idx, &SourceRequest::Add(vec![two.clone()])).unwrap();
        assert_eq!(got, [tmp.path().join("one"), two.clone()]);
        let again = resolve(&idx, &SourceRequest::Add(vec![tmp.path().join("one/")])).unwrap();
        assert_eq!(again, [tmp.path().join("one")]);
        let err = resolve(&idx, &SourceRequest::Remove(vec![two])).unwrap_err();
        assert!(err.to_string().contains("is not a source"), "{err}");
        let err = resolve(&idx, &SourceRequest::Remove(vec![tmp.path().join("one")])).unwrap_err();
        assert!(err.to_string().contains("without sources"), "{err}");
    }
}
