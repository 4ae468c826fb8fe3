//! The manifest: what the index holds, source file by source file.
//!
//! For each file the last build saw it records the size, modification time and content hash,
//! the extractor (name and version) and a hash of the metadata configuration that applies to
//! it (folder defaults, catalog row, sidecar, record mapping, size limit), whether it was indexed
//! or skipped and why, its passage count, and the per-file statistics `stats` sums. That is what
//! makes builds incremental ([`plan`]: only new or changed files are extracted again, removed
//! ones deleted) and what `quarry verify` checks the corpus and the index against.
//!
//! Each build writes a new manifest file (`manifest-*.json`) *before* its commit and names it in
//! the commit's payload, so the manifest a reader finds always matches the commit it sees; files
//! no commit names any more are removed after the commit. The index fingerprint is a hash over
//! the manifest's content (paths, content hashes, extractor versions, configuration, outcomes),
//! the schema version and the analysis settings — not over times — so two builds of the same
//! corpus by the same quarry have the same fingerprint.

use super::build::FileReport;
use super::walk::Source;
use super::BuildInfo;
use crate::date::PartialDate;
use crate::error::{Error, Result};
use crate::extract::FailureKind;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::Path;

/// The version of the manifest format.
pub const MANIFEST_VERSION: u32 = 1;

/// The prefix of manifest file names.
const PREFIX: &str = "manifest-";

/// What one file contributed, for the index statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileStats {
    /// Publisher (of the first row, for record files).
    pub publisher: Option<String>,
    /// Kind of source (of the first row, for record files).
    pub kind: Option<String>,
    /// Documents or rows per language.
    pub langs: BTreeMap<String, u64>,
    /// Dated documents or rows per year.
    pub years: BTreeMap<String, u64>,
    /// The earliest date.
    pub earliest: Option<String>,
    /// The latest date.
    pub latest: Option<String>,
    /// Documents or rows without a date.
    pub undated: u64,
}

/// One source file as the last build saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Display path (the key).
    pub path: String,
    /// Source format.
    pub format: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 when unknown).
    pub mtime_ns: u64,
    /// xxh3-128 of the content, 32 hex digits (empty when the file could not be read).
    pub hash: String,
    /// The extractor's name.
    pub extractor: String,
    /// The extractor's version.
    pub extractor_version: u32,
    /// Hash of the metadata configuration that applies to the file.
    pub config: String,
    /// The document id (for record files, the file's own id; rows derive theirs from it).
    pub doc_id: String,
    /// Whether it was indexed.
    pub indexed: bool,
    /// Passages it added.
    pub passages: u64,
    /// Pages, for paged formats.
    pub pages: Option<u32>,
    /// Rows indexed, for record files.
    pub records: Option<u64>,
    /// Parts read (messages, attachments, members), for mailboxes and archives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<u64>,
    /// Why it was skipped.
    pub reason: Option<String>,
    /// The class of that reason.
    pub reason_kind: Option<FailureKind>,
    /// Problems that did not stop it.
    pub warnings: Vec<String>,
    /// Its part of the index statistics.
    pub stats: FileStats,
    /// What OCR did for it, when it needed OCR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<crate::ocr::pass::Counts>,
}

impl Entry {
    /// The report line of this file, as of the build that recorded it.
    pub fn report(&self, change: Change) -> FileReport {
        FileReport {
            path: self.path.clone(),
            status: if self.indexed { "indexed" } else { "skipped" },
            change: change.name(),
            format: self.format.clone(),
            reason: self.reason.clone(),
            reason_kind: self.reason_kind,
            pages: self.pages,
            records: self.records,
            passages: self.passages,
            warnings: self.warnings.clone(),
            ocr: self.ocr,
        }
    }
}

/// The manifest of one commit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// The files, sorted by path.
    pub files: Vec<Entry>,
}

impl Manifest {
    /// A manifest of `files` (sorted here).
    pub fn new(mut files: Vec<Entry>) -> Manifest {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Manifest {
            version: MANIFEST_VERSION,
            files,
        }
    }

    /// Reads the manifest file `name` in `dir`.
    pub fn load(dir: &Path, name: &str) -> Result<Manifest> {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(|e| Error::io("read the manifest", &path, &e))?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                crate::error::ErrorKind::IncompatibleIndex,
                format!("unreadable manifest {}: {e}", path.display()),
            )
            .with_hint("rebuild the index with quarry index --rebuild")
        })?;
        if manifest.version != MANIFEST_VERSION {
            return Err(Error::new(
                crate::error::ErrorKind::IncompatibleIndex,
                format!(
                    "manifest {} has version {}; this quarry reads version {MANIFEST_VERSION}",
                    path.display(),
                    manifest.version
                ),
            )
            .with_hint("rebuild the index with quarry index --rebuild"));
        }
        Ok(manifest)
    }

    /// Writes the manifest as a new file in `dir`, synced to disk; returns its name.
    pub fn write(&self, dir: &Path) -> Result<String> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("{PREFIX}{stamp}-{}.json", std::process::id());
        let path = dir.join(&name);
        let bytes = serde_json::to_vec(self)
            .map_err(|e| Error::engine("cannot serialise the manifest", e))?;
        let mut file =
            std::fs::File::create(&path).map_err(|e| Error::io("write the manifest", &path, &e))?;
        if let Err(e) = file.write_all(&bytes).and_then(|()| file.sync_all()) {
            // A partial manifest must not stay behind (on a full disk, say).
            let _ = std::fs::remove_file(&path);
            return Err(Error::io("write the manifest", &path, &e));
        }
        Ok(name)
    }

    /// The index fingerprint: 16 hex digits over the manifest's content, the schema version
    /// and the analysis.
    pub fn fingerprint(&self) -> String {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(format!("schema {}\n", crate::schema::SCHEMA_VERSION).as_bytes());
        h.update(crate::schema::ANALYSIS.as_bytes());
        for e in &self.files {
            let line = format!(
                "\n{}\t{}\t{}\t{}\t{}\t{}\t{}",
                e.path, e.hash, e.extractor, e.extractor_version, e.config, e.indexed, e.passages
            );
            h.update(line.as_bytes());
        }
        format!("{:016x}", h.digest())
    }

    /// The index statistics the manifest adds up to.
    pub fn build_info(&self) -> BuildInfo {
        let mut info = BuildInfo::default();
        let (mut earliest, mut latest): (Option<PartialDate>, Option<PartialDate>) = (None, None);
        for e in &self.files {
            if !e.indexed {
                info.skipped += 1;
                continue;
            }
            info.documents += 1;
            info.passages += e.passages;
            info.records += e.records.unwrap_or(0);
            *info.by_format.entry(e.format.clone()).or_insert(0) += 1;
            let s = &e.stats;
            let publisher = s.publisher.clone().unwrap_or_else(|| "(none)".to_string());
            *info.by_publisher.entry(publisher).or_insert(0) += 1;
            let kind = s.kind.clone().unwrap_or_else(|| "(none)".to_string());
            *info.by_kind.entry(kind).or_insert(0) += 1;
            for (year, n) in &s.years {
                *info.by_year.entry(year.clone()).or_insert(0) += n;
            }
            for (lang, n) in &s.langs {
                *info.by_lang.entry(lang.clone()).or_insert(0) += n;
            }
            let parse = |d: &Option<String>| d.as_deref().and_then(PartialDate::parse);
            earliest = earliest.into_iter().chain(parse(&s.earliest)).min();
            latest = latest.into_iter().chain(parse(&s.latest)).max();
            info.undated += s.undated;
            info.ocr_pages += e.ocr.map_or(0, |o| u64::from(o.pages));
        }
        info.date_min = earliest.map(|d| d.to_string());
        info.date_max = latest.map(|d| d.to_string());
        info
    }
}

/// Removes manifest files in `dir` other than `keep` (those of earlier commits); files that
/// only look like manifests are left alone.
pub fn remove_stale(dir: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && super::files::is_ours(&name) && name != keep {
            // A file that cannot be removed now is removed by a later build.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// How a file compares with the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Not in the manifest.
    Added,
    /// In the manifest, but its content, extractor or configuration differs.
    Changed,
    /// As the manifest records it.
    Unchanged,
}

impl Change {
    /// `added`, `changed` or `unchanged`.
    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
        }
    }
}

/// A walked file with what the manifest says about it.
#[derive(Debug)]
pub(crate) struct Planned<'a> {
    /// The file.
    pub source: &'a Source,
    /// Its size, modification time, content hash and configuration hash now.
    pub size: u64,
    pub mtime_ns: u64,
    pub hash: String,
    pub config: String,
    /// How it compares with the manifest.
    pub change: Change,
    /// Its manifest entry, for unchanged files (with size and time brought up to date).
    pub entry: Option<Entry>,
    /// Why it cannot be read now, if it cannot. A file the manifest lists is then kept as it
    /// was indexed (`Unchanged`, with its old entry), not removed: the build reports it.
    pub unreadable: Option<String>,
}

/// The files of `sources` compared with `previous`: a file whose size, time, extractor and
/// configuration match its entry is unchanged without being read; otherwise its content hash
/// decides. `config_of` gives the configuration hash of a source. A file that cannot be opened
/// or read is marked [`Planned::unreadable`]; if the manifest lists it, it keeps its entry.
pub(crate) fn plan<'a>(
    sources: &'a [Source],
    previous: Option<&Manifest>,
    config_of: &(dyn Fn(&Source) -> String + Sync),
) -> Vec<Planned<'a>> {
    let by_path: HashMap<&str, &Entry> = previous
        .map(|m| m.files.iter().map(|e| (e.path.as_str(), e)).collect())
        .unwrap_or_default();
    sources
        .par_iter()
        .map(|source| {
            let (size, mtime_ns) = stat(&source.fs_path);
            let config = config_of(source);
            let old = by_path.get(source.display.as_str()).copied();
            let same_setup = |e: &Entry| {
                e.extractor == source.extractor.name
                    && e.extractor_version == source.extractor.version
                    && e.config == config
            };
            if let Some(e) = old {
                if same_setup(e) && e.size == size && e.mtime_ns == mtime_ns && mtime_ns != 0 {
                    // Not read, but it must still be readable.
                    let unreadable = std::fs::File::open(&source.fs_path)
                        .err()
                        .map(|err| crate::error::io_reason(&err));
                    return Planned {
                        source,
                        size,
                        mtime_ns,
                        hash: e.hash.clone(),
                        config,
                        change: Change::Unchanged,
                        entry: Some(e.clone()),
                        unreadable,
                    };
                }
            }
            let hash = match content_hash(&source.fs_path) {
                Ok(hash) => hash,
                Err(reason) => {
                    return Planned {
                        source,
                        size,
                        mtime_ns,
                        hash: old.map(|e| e.hash.clone()).unwrap_or_default(),
                        config,
                        change: if old.is_some() {
                            Change::Unchanged
                        } else {
                            Change::Added
                        },
                        entry: old.cloned(),
                        unreadable: Some(reason),
                    }
                }
            };
            let (change, entry) = match old {
                None => (Change::Added, None),
                Some(e) if same_setup(e) && !hash.is_empty() && e.hash == hash => {
                    let mut e = e.clone();
                    e.size = size;
                    e.mtime_ns = mtime_ns;
                    (Change::Unchanged, Some(e))
                }
                Some(_) => (Change::Changed, None),
            };
            Planned {
                source,
                size,
                mtime_ns,
                hash,
                config,
                change,
                entry,
                unreadable: None,
            }
        })
        .collect()
}

/// Size and modification time (nanoseconds since the epoch); zeros when unknown.
fn stat(path: &Path) -> (u64, u64) {
    match std::fs::metadata(path) {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
            (m.len(), mtime)
        }
        Err(_) => (0, 0),
    }
}

/// xxh3-128 of a file's content, streamed; why not when it cannot be read.
pub(crate) fn content_hash(path: &Path) -> std::result::Result<String, String> {
    let reason = |e: &std::io::Error| crate::error::io_reason(e);
    let mut file = std::fs::File::open(path).map_err(|e| reason(&e))?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(reason(&e)),
        }
    }
    Ok(format!("{:032x}", h.digest128()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, hash: &str) -> Entry {
        Entry {
            path: path.into(),
            format: "markdown".into(),
            size: 1,
            mtime_ns: 1,
            hash: hash.into(),
            extractor: "markdown".into(),
            extractor_version: 1,
            config: "c".into(),
            doc_id: "d".into(),
            indexed: true,
            passages: 2,
            pages: None,
            records: None,
            parts: None,
            reason: None,
            reason_kind: None,
            warnings: vec![],
            ocr: None,
            stats: FileStats {
                publisher: Some("P".into()),
                years: [("2020".to_string(), 1)].into_iter().collect(),
                earliest: Some("2020-05".into()),
                latest: Some("2020-05".into()),
                ..FileStats::default()
            },
        }
    }

    #[test]
    fn the_fingerprint_follows_content_not_times_or_order() {
        let a = Manifest::new(vec![entry("a.md", "1"), entry("b.md", "2")]);
        let mut b = Manifest::new(vec![entry("b.md", "2"), entry("a.md", "1")]);
        b.files[0].mtime_ns = 99;
        assert_eq!(a.fingerprint(), b.fingerprint());
        let c = Manifest::new(vec![entry("a.md", "1"), entry("b.md", "3")]);
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn statistics_add_up_over_files() {
        let mut skipped = entry("c.pdf", "3");
        skipped.indexed = false;
        let info =
            Manifest::new(vec![entry("a.md", "1"), entry("b.md", "2"), skipped]).build_info();
        assert_eq!((info.documents, info.passages, info.skipped), (2, 4, 1));
        assert_eq!(info.by_publisher["P"], 2);
        assert_eq!(info.by_year["2020"], 2);
        assert_eq!(info.date_min.as_deref(), Some("2020-05"));
    }

    #[test]
    fn manifests_round_trip_and_stale_files_go() {
        let dir = tempfile::tempdir().unwrap();
        let m = Manifest::new(vec![entry("a.md", "1")]);
        let old = m.write(dir.path()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let new = m.write(dir.path()).unwrap();
        assert_ne!(old, new);
        assert_eq!(Manifest::load(dir.path(), &new).unwrap(), m);
        remove_stale(dir.path(), &new);
        assert!(!dir.path().join(&old).exists());
        assert!(dir.path().join(&new).exists());
        assert!(content_hash(&dir.path().join(&new)).is_ok());
        assert!(content_hash(&dir.path().join("missing")).is_err());
    }
}
