//! Which files in an index directory quarry wrote, and the operations that remove or replace
//! them: nothing else in the directory is ever touched.
//!
//! An index directory holds quarry's own files (`quarry.json`, `quarry.lock`, `manifest-*.json`
//! and their temporary spellings) and tantivy's (`meta.json`, `.managed.json`, its two lock files
//! and segment files named `<32 hex digits>.<component>`). [`is_ours`] recognises exactly these
//! names; a user's notes kept in the same folder are never deleted, moved or overwritten.
//!
//! - [`remove_orphans`] deletes segment files no commit refers to (left by a build that was
//!   killed or ran out of disk space), so they neither fill the disk nor linger.
//! - [`swap_in`] moves a complete index built in a subdirectory (a rebuild after a schema change
//!   or damage) over the old one file by file: new segments first, then `meta.json` (tantivy's
//!   commit point), then `quarry.json`, and only then removes the old index's files. Stopped at
//!   any point, the directory is either the old index, or an index the next `quarry index`
//!   recognises and rebuilds again.

use super::{lock::LOCK_FILE, META_FILE};
use crate::error::{Error, Result};
use std::collections::HashSet;
use std::path::Path;

/// The subdirectory of an index directory where a replacement index is built.
pub const REBUILD_DIR: &str = ".quarry-rebuild";

/// tantivy's commit file.
const TANTIVY_META: &str = "meta.json";
/// tantivy's list of the files it manages.
const TANTIVY_MANAGED: &str = ".managed.json";
/// tantivy's lock files.
const TANTIVY_LOCKS: [&str; 2] = [".tantivy-meta.lock", ".tantivy-writer.lock"];
/// The components of a tantivy segment, as file-name endings after the segment id.
const SEGMENT_COMPONENTS: [&str; 7] = [
    "idx",
    "pos",
    "term",
    "store",
    "fast",
    "fieldnorm",
    "store.temp",
];

/// The suffix of a file being written atomically (see [`super::directory`]).
pub(crate) const TEMP_SUFFIX: &str = ".quarry-tmp";

/// The segment id of a tantivy segment file name, if it is one: 32 lower-case hex digits, a dot,
/// and a known component (or `<opstamp>.del`).
fn segment_of(name: &str) -> Option<&str> {
    let (id, rest) = name.split_at_checked(32)?;
    if !id
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let rest = rest.strip_prefix('.')?;
    let known = SEGMENT_COMPONENTS.contains(&rest)
        || rest
            .strip_suffix(".del")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    known.then_some(id)
}

/// Whether a quarry manifest file name: `manifest-<digits>-<digits>.json`.
fn is_manifest(name: &str) -> bool {
    name.strip_prefix("manifest-")
        .and_then(|r| r.strip_suffix(".json"))
        .and_then(|r| r.split_once('-'))
        .is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        })
}

/// Whether `name` is a file quarry or tantivy writes in an index directory.
pub fn is_ours(name: &str) -> bool {
    if let Some(base) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
    {
        return is_ours(base);
    }
    [
        META_FILE,
        "quarry.json.tmp",
        LOCK_FILE,
        TANTIVY_META,
        TANTIVY_MANAGED,
    ]
    .contains(&name)
        || TANTIVY_LOCKS.contains(&name)
        || is_manifest(name)
        || segment_of(name).is_some()
}

/// Whether a lock file (never moved or removed: another process may hold it).
fn is_lock(name: &str) -> bool {
    name == LOCK_FILE || TANTIVY_LOCKS.contains(&name)
}

/// The segment ids and per-segment delete files `meta.json` in `dir` refers to: none when there
/// is no commit yet, `None` when it cannot be read (then nothing counts as an orphan).
fn living(dir: &Path) -> Option<(HashSet<String>, HashSet<String>)> {
    let bytes = match std::fs::read(dir.join(TANTIVY_META)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some((HashSet::new(), HashSet::new()))
        }
        Err(_) => return None,
    };
    let meta: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let mut ids = HashSet::new();
    let mut deletes = HashSet::new();
    for seg in meta.get("segments")?.as_array()? {
        let id = seg.get("segment_id")?.as_str()?.replace('-', "");
        // Only ids spelled as tantivy names files count; anything else and nothing is an orphan.
        if id.len() != 32
            || !id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return None;
        }
        if let Some(opstamp) = seg
            .get("deletes")
            .and_then(|d| d.get("opstamp"))
            .and_then(|o| o.as_u64())
        {
            deletes.insert(format!("{id}.{opstamp}.del"));
        }
        ids.insert(id);
    }
    Some((ids, deletes))
}

/// Deletes segment files in `dir` that the current commit does not use, and temporary files of
/// interrupted writes. Returns how many.
/// Call only while holding the write lock.
pub(crate) fn remove_orphans(dir: &Path) -> usize {
    let Some((ids, deletes)) = living(dir) else {
        return 0;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let temporary =
            is_ours(name) && (name.ends_with(TEMP_SUFFIX) || name == format!("{META_FILE}.tmp"));
        if temporary && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
            continue;
        }
        let Some(id) = segment_of(name) else { continue };
        let orphan = !ids.contains(id) || (name.ends_with(".del") && !deletes.contains(name));
        if orphan && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        prune_managed(dir);
    }
    removed
}

/// Drops the names of files that no longer exist from tantivy's list of managed files, so the
/// list is as it was before a failed build added them.
fn prune_managed(dir: &Path) {
    let path = dir.join(TANTIVY_MANAGED);
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    let Ok(mut names) = serde_json::from_slice::<Vec<String>>(&bytes) else {
        return;
    };
    let before = names.len();
    names.retain(|n| segment_of(n).is_none() || dir.join(n).exists());
    if names.len() == before {
        return;
    }
    let Ok(json) = serde_json::to_vec(&names) else {
        return;
    };
    let temp = dir.join(format!(".{TANTIVY_MANAGED}{TEMP_SUFFIX}"));
    if std::fs::write(&temp, json).is_ok() && std::fs::rename(&temp, &path).is_err() {
        let _ = std::fs::remove_file(&temp);
    }
}

/// The names of the files of ours in `dir` (see [`is_ours`]).
fn our_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| is_ours(n))
        .collect()
}

/// Removes a rebuild directory left by an earlier, interrupted rebuild: only our files in it,
/// then the directory if that leaves it empty.
pub(crate) fn remove_rebuild_dir(dir: &Path) -> Result<()> {
    match std::fs::symlink_metadata(dir) {
        Err(_) => return Ok(()),
        Ok(m) if !m.is_dir() => {
            return Err(Error::new(
                crate::error::ErrorKind::InvalidInput,
                format!(
                    "{} is not a folder quarry made; not touching it",
                    dir.display()
                ),
            )
            .with_hint("move it out of the index directory, then run this again"))
        }
        Ok(_) => {}
    }
    for name in our_files(dir) {
        let path = dir.join(&name);
        std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, &e))?;
    }
    std::fs::remove_dir(dir).map_err(|e| {
        Error::io("remove", dir, &e).with_hint(
            "it holds files quarry did not write; move them elsewhere, then run this again",
        )
    })
}

/// What identifies the commit the index in `dir` holds now: the inode, length and modification
/// time of each file a commit renames into place (every commit writes them anew). A process
/// that keeps an index open compares stamps to notice a commit made by another process.
pub fn commit_stamp(dir: &Path) -> Vec<Option<(u64, u64, Option<std::time::SystemTime>)>> {
    use std::os::unix::fs::MetadataExt;
    [TANTIVY_META, META_FILE]
        .iter()
        .map(|name| {
            std::fs::metadata(dir.join(name))
                .ok()
                .map(|m| (m.ino(), m.len(), m.modified().ok()))
        })
        .collect()
}

/// Moves the complete index in `new` over the index in `dir` (see the module docs), then
/// removes `new`. Files of `dir` that are not ours stay where they are.
pub(crate) fn swap_in(new: &Path, dir: &Path) -> Result<()> {
    let old: Vec<String> = our_files(dir).into_iter().filter(|n| !is_lock(n)).collect();
    let incoming: Vec<String> = our_files(new).into_iter().filter(|n| !is_lock(n)).collect();
    let commit_points = [TANTIVY_META, TANTIVY_MANAGED, META_FILE];
    let mv = |name: &str| -> Result<()> {
        let (from, to) = (new.join(name), dir.join(name));
        std::fs::rename(&from, &to).map_err(|e| Error::io("move the new index file into", &to, &e))
    };
    // Segments and the manifest first: new names, invisible to the old index.
    for name in incoming
        .iter()
        .filter(|n| !commit_points.contains(&n.as_str()))
    {
        mv(name)?;
    }
    // Then the commit points, in order.
    // Then the commit points, in order, and the old files, while no reader is between reading
    // `meta.json` and opening its segments.
    let _readers_wait = super::lock::meta_exclusive(dir)?;
    for name in commit_points {
        if incoming.iter().any(|n| n == name) {
            mv(name)?;
        }
    }
    for name in old.iter().filter(|n| !incoming.contains(n)) {
        // A file left behind is harmless: the next build removes orphaned segments.
        let _ = std::fs::remove_file(dir.join(name));
    }
    for name in our_files(new).iter().filter(|n| is_lock(n)) {
        let _ = std::fs::remove_file(new.join(name));
    }
    remove_rebuild_dir(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_names_are_recognised_and_others_are_not() {
        for name in [
            "quarry.json",
            "quarry.json.tmp",
            "quarry.lock",
            "manifest-1796193646790433474-8573.json",
            "meta.json",
            ".managed.json",
            ".meta.json.quarry-tmp",
            ".tantivy-meta.lock",
            ".tantivy-writer.lock",
            "3bc5812a5acb4c6b9d8281be345e9dd2.term",
            "3bc5812a5acb4c6b9d8281be345e9dd2.store.temp",
            "3bc5812a5acb4c6b9d8281be345e9dd2.12.del",
        ] {
            assert!(is_ours(name), "{name}");
        }
        for name in [
            "draft.txt",
            "notes.json",
            "manifest.json",
            "manifest-a-b.json",
            "meta.json.bak",
            "3bc5812a5acb4c6b9d8281be345e9dd2.txt",
            "3BC5812A5ACB4C6B9D8281BE345E9DD2.term",
            "3bc5812a5acb4c6b9d8281be345e9dd.term",
            "3bc5812a5acb4c6b9d8281be345e9dd2..del",
            "corpus",
        ] {
            assert!(!is_ours(name), "{name}");
        }
    }

    #[test]
    fn orphans_go_and_living_segments_and_user_files_stay() {
        let dir = tempfile::tempdir().unwrap();
        let live = "0123456789abcdef0123456789abcdef";
        let dead = "fedcba9876543210fedcba9876543210";
        let meta = r#"{"segments":[{"segment_id":"01234567-89ab-cdef-0123-456789abcdef","max_doc":3,"deletes":{"num_deleted_docs":1,"opstamp":7}}]}"#;
        std::fs::write(dir.path().join("meta.json"), meta).unwrap();
        for name in [
            format!("{live}.idx"),
            format!("{live}.7.del"),
            format!("{live}.5.del"),
            format!("{dead}.idx"),
            format!("{dead}.term"),
            "draft.txt".to_string(),
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        assert_eq!(remove_orphans(dir.path()), 3);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                format!("{live}.7.del"),
                format!("{live}.idx"),
                "draft.txt".to_string(),
                "meta.json".to_string()
            ]
        );
    }
}
