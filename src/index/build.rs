//! Building an index from source files: walk, compare with the manifest, extract, split,
//! index, commit.
//!
//! [`build`] is incremental by default: it walks the given paths ([`super::walk`]), compares
//! every file with the manifest of the last commit ([`super::manifest::plan`]), deletes the
//! passages of changed and removed files, ingests new and changed files on a pool of `threads`
//! threads ([`super::ingest`]: extraction, in a worker process for risky formats, metadata,
//! passages), and commits once, naming the new manifest and the build summary in the commit's
//! payload. With nothing to do it does not commit at all. `rebuild` starts from scratch. Ids
//! derive from the display path (`doc_id` = xxh3 of the path, of path and row for records;
//! `passage_id` = `doc_id-ordinal`), never from thread scheduling or file order, so identical
//! input gives identical ids, ranks and scores.
//!
//! Safety of the user's data: one writer at a time ([`super::lock`]: a second `quarry index`
//! fails at once with the holder's pid); every change lands in a single tantivy commit, so an
//! interrupted build leaves the previous commit searchable and the next build redoes what was
//! lost. An index of another schema version is rebuilt in a sibling directory and swapped in
//! only once complete. A directory that holds anything but a quarry index is never written.
//! A file that cannot be read or extracted is reported through the [`Reporter`] and skipped.

use super::ingest::{self, Context, Ingested};
use super::lock::WriteLock;
use super::manifest::{self, Change, Entry, FileStats, Manifest, Planned};
use super::walk::{display_path, walk, Source};
use super::{dir_state, DirState, IndexMeta, FORMAT_MARKER, META_FILE};
use crate::date::rfc3339_utc;
use crate::error::{Error, ErrorKind, Result};
use crate::extract::worker::Isolation;
use crate::schema::{self, SCHEMA_VERSION};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tantivy::{Index, IndexWriter, Term};

/// The size limit for files when neither the command line nor the corpus config sets one.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 200_000_000;

/// Options of an index build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Files and directories to index.
    pub paths: Vec<PathBuf>,
    /// Worker threads for extraction and indexing (at least 1).
    pub threads: usize,
    /// The indexing memory budget in megabytes (split between indexing threads).
    pub memory_mb: usize,
    /// Files larger than this many bytes are skipped (record files excepted). `None`: the corpus
    /// config's `max_file_mb`, else [`DEFAULT_MAX_FILE_BYTES`].
    pub max_file_bytes: Option<u64>,
    /// How to run risky extractors (PDF, DOCX) in worker processes. `None` runs them in this
    /// process, where a crafted file can crash it: only for trusted input.
    pub isolation: Option<Isolation>,
    /// Start from scratch instead of updating the index incrementally.
    pub rebuild: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            paths: vec![PathBuf::from("corpus")],
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            memory_mb: 256,
            max_file_bytes: None,
            isolation: None,
            rebuild: false,
        }
    }
}

/// Receives what happens to individual files during a build. Called from worker threads.
pub trait Reporter: Sync {
    /// A file was skipped: it could not be read or extracted.
    fn skipped(&self, path: &str, reason: &str);
    /// A file was indexed, but something in it was not understood.
    fn warning(&self, path: &str, message: &str);
    /// `done` of `total` files have been processed.
    fn progress(&self, _done: usize, _total: usize) {}
}

/// A [`Reporter`] that ignores everything.
#[derive(Debug, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn skipped(&self, _: &str, _: &str) {}
    fn warning(&self, _: &str, _: &str) {}
}

/// What happened to one file (the rows of `quarry index --report`).
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file's display path.
    pub path: String,
    /// `indexed` or `skipped`.
    pub status: &'static str,
    /// `added`, `changed` or `unchanged` since the previous build (an unchanged file keeps the
    /// outcome it had then).
    pub change: &'static str,
    /// Source format.
    pub format: String,
    /// Why it was skipped, for people.
    pub reason: Option<String>,
    /// The class of reason it was skipped (`binary`, `no-text-layer`, `encrypted`, ...).
    pub reason_kind: Option<crate::extract::FailureKind>,
    /// Pages, for paged formats.
    pub pages: Option<u32>,
    /// Records, for record files.
    pub records: Option<u64>,
    /// Passages added.
    pub passages: u64,
    /// Non-fatal problems.
    pub warnings: Vec<String>,
}

/// What a build did.
#[derive(Debug, Clone, Default)]
pub struct BuildSummary {
    /// Files indexed.
    pub documents: u64,
    /// Of those, record files.
    pub record_files: u64,
    /// Rows of record files indexed as documents.
    pub records: u64,
    /// Passages indexed.
    pub passages: u64,
    /// Files skipped (reported through the reporter; unchanged files skipped before are counted
    /// but not reported again).
    pub skipped: u64,
    /// Files new since the previous build.
    pub added: u64,
    /// Files whose content, extractor or configuration changed.
    pub changed: u64,
    /// Files gone since the previous build.
    pub removed: u64,
    /// Files left as they were.
    pub unchanged: u64,
    /// Whether the index was already up to date (nothing was committed).
    pub up_to_date: bool,
    /// The index fingerprint after the build.
    pub fingerprint: String,
    /// Files skipped, by reason (`binary`, `no text layer`, ...).
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Files left alone because no extractor handles their type, by extension.
    pub unsupported: BTreeMap<String, u64>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// One report per file, in walk order.
    pub files: Vec<FileReport>,
}

/// Builds or updates the index in `dir` from `options.paths`.
pub fn build(dir: &Path, options: &BuildOptions, reporter: &dyn Reporter) -> Result<BuildSummary> {
    let started = Instant::now();
    // Never create anything (not even the lock file) in a directory that is not ours.
    if let DirState::Foreign = dir_state(dir) {
        return Err(foreign(dir));
    }
    let _lock = WriteLock::acquire(dir)?;
    let walked = walk(&options.paths, dir)?;
    let source_names: Vec<String> = options.paths.iter().map(|p| display_path(p)).collect();

    let target = prepare_target(dir)?;
    let previous = match (&target, options.rebuild) {
        // A manifest that cannot be read means starting over, not failing.
        (Target::Reuse(_), false) => super::QuarryIndex::open(dir)
            .ok()
            .and_then(|index| index.manifest().ok().flatten()),
        _ => None,
    };
    let config_of = |source: &Source| config_hash(source, options.max_file_bytes);
    let planned = manifest::plan(&walked.sources, previous.as_ref(), &config_of);
    let walked_paths: std::collections::HashSet<&str> =
        walked.sources.iter().map(|s| s.display.as_str()).collect();
    let removed: Vec<&Entry> = previous
        .iter()
        .flat_map(|m| m.files.iter())
        .filter(|e| !walked_paths.contains(e.path.as_str()))
        .collect();
    let count = |c: Change| planned.iter().filter(|p| p.change == c).count() as u64;
    let (added, changed, unchanged) = (
        count(Change::Added),
        count(Change::Changed),
        count(Change::Unchanged),
    );

    if let Some(prev) = &previous {
        if added == 0 && changed == 0 && removed.is_empty() {
            let mut summary = summary_of(prev, &planned, &walked.unsupported, started);
            summary.up_to_date = true;
            return Ok(summary);
        }
    }

    let build_dir = target.build_dir();
    let (schema, fields) = schema::build();
    std::fs::create_dir_all(build_dir)
        .map_err(|e| Error::io("create the index directory", build_dir, &e))?;
    // quarry.json first: a directory holding it is recognised as ours even if this build is
    // interrupted before its first commit.
    write_meta(
        build_dir,
        &IndexMeta {
            format: FORMAT_MARKER.to_string(),
            schema_version: SCHEMA_VERSION,
            quarry_version: env!("CARGO_PKG_VERSION").to_string(),
            analysis: schema::ANALYSIS.to_string(),
            sources: source_names,
        },
    )?;
    let index = match &target {
        Target::Reuse(_) => Index::open_in_dir(build_dir),
        Target::Fresh(_) | Target::Swap { .. } => Index::create_in_dir(build_dir, schema),
    }
    .map_err(|e| Error::engine(&format!("cannot open the index at {}", dir.display()), e))?;
    schema::register_analyzers(index.tokenizers());

    let threads = options.threads.max(1);
    // tantivy wants at least 15 MB per indexing thread.
    let writer_threads = threads.min((options.memory_mb / 15).max(1)).min(8);
    let budget = options.memory_mb.max(15 * writer_threads) * 1_000_000;
    let mut writer: IndexWriter = index
        .writer_with_num_threads(writer_threads, budget)
        .map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => Error::new(
                ErrorKind::IndexLocked,
                format!(
                    "index {} is being written by another quarry process",
                    dir.display()
                ),
            )
            .with_hint("wait for it to finish, then run this again"),
            other => Error::engine("cannot start the index writer", other),
        })?;
    if previous.is_none() {
        writer
            .delete_all_documents()
            .map_err(|e| Error::engine("cannot clear the previous index", e))?;
    } else {
        // Everything of a changed or removed file goes: its passages and its document record
        // (or all its rows).
        let gone = planned
            .iter()
            .filter(|p| p.change == Change::Changed)
            .map(|p| p.source.display.as_str())
            .chain(removed.iter().map(|e| e.path.as_str()));
        for path in gone {
            writer.delete_term(Term::from_field_text(fields.path_raw, path));
        }
    }

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::engine("cannot start worker threads", e))?;
    let done = AtomicUsize::new(0);
    let todo: Vec<&Planned> = planned
        .iter()
        .filter(|p| p.change != Change::Unchanged)
        .collect();
    let total = todo.len();
    let outcomes: Vec<_> = pool.install(|| {
        todo.par_iter()
            .map(|planned| {
                let source = planned.source;
                let ctx = Context {
                    fields: &fields,
                    writer: &writer,
                    max_file_bytes: max_file_bytes(source, options.max_file_bytes),
                    isolation: options.isolation.as_ref(),
                };
                let outcome = ingest::ingest(source, &ctx);
                match &outcome {
                    Ok(ingested) => {
                        for w in &ingested.warnings {
                            reporter.warning(&source.display, w);
                        }
                    }
                    Err(failure) => reporter.skipped(&source.display, &failure.message),
                }
                reporter.progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                outcome
            })
            .collect()
    });
    let mut fresh: std::collections::HashMap<&str, Entry> = std::collections::HashMap::new();
    for (planned, outcome) in todo.iter().zip(outcomes) {
        fresh.insert(planned.source.display.as_str(), entry_of(planned, outcome));
    }
    let files: Vec<Entry> = planned
        .iter()
        .filter_map(|p| match p.change {
            Change::Unchanged => p.entry.clone(),
            _ => fresh.remove(p.source.display.as_str()),
        })
        .collect();
    let new_manifest = Manifest::new(files);
    let mut summary = summary_of(&new_manifest, &planned, &walked.unsupported, started);
    summary.removed = removed.len() as u64;

    let mut info = new_manifest.build_info();
    info.built_at = rfc3339_utc(unix_now());
    info.build_seconds = (summary.seconds * 1000.0).round() / 1000.0;
    info.fingerprint = Some(summary.fingerprint.clone()); // computed by summary_of
    info.manifest = Some(new_manifest.write(build_dir)?);
    info.added = added;
    info.changed = changed;
    info.removed = summary.removed;
    info.unchanged = unchanged;
    let payload = serde_json::to_string(&info)
        .map_err(|e| Error::engine("cannot serialise the build summary", e))?;
    let mut commit = writer
        .prepare_commit()
        .map_err(|e| Error::engine("cannot commit the index", e))?;
    commit.set_payload(&payload);
    commit
        .commit()
        .map_err(|e| Error::engine("cannot commit the index", e))?;
    if let Some(name) = &info.manifest {
        manifest::remove_stale(build_dir, name);
    }
    if previous.is_some() {
        // Deleted passages still count in BM25 statistics until their segments are merged (an
        // update of a small corpus could move scores by a fifth): merge those segments now.
        // Merging estimates the lengths of the passages it keeps from their quantised norms, so
        // scores come within about 0.5% of a fresh build's, not bit-identical. A merge keeps the
        // commit's payload; if it is interrupted, the commit stands as it is.
        let with_deletes: Vec<tantivy::index::SegmentId> = index
            .searchable_segment_metas()
            .map_err(|e| Error::engine("cannot read the index segments", e))?
            .into_iter()
            .filter(|m| m.has_deletes())
            .map(|m| m.id())
            .collect();
        if !with_deletes.is_empty() {
            writer
                .merge(&with_deletes)
                .wait()
                .map_err(|e| Error::engine("cannot merge the index segments", e))?;
        }
    }
    writer
        .wait_merging_threads()
        .map_err(|e| Error::engine("cannot finish merging the index", e))?;
    target.finish(dir)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The size limit for a source: the command line's, else its corpus config's, else the default.
fn max_file_bytes(source: &Source, limit: Option<u64>) -> u64 {
    limit
        .or(source.corpus.max_file_bytes)
        .unwrap_or(DEFAULT_MAX_FILE_BYTES)
}

/// The hash of everything besides the file's bytes that decides what it becomes in the index:
/// the metadata configuration that applies to it, its sidecar, and the size limit.
pub(crate) fn config_hash(source: &Source, limit: Option<u64>) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(source.corpus.config_key(&source.rel).as_bytes());
    h.update(format!("\nlimit {}\n", max_file_bytes(source, limit)).as_bytes());
    let mut sidecar = source.fs_path.as_os_str().to_os_string();
    sidecar.push(crate::corpus::SIDECAR_SUFFIX);
    if let Ok(bytes) = std::fs::read(std::path::PathBuf::from(sidecar)) {
        h.update(&bytes);
    }
    format!("{:016x}", h.digest())
}

/// The manifest entry of a file just ingested (or skipped).
fn entry_of(planned: &Planned, outcome: std::result::Result<Ingested, crate::Failure>) -> Entry {
    let source = planned.source;
    let mut entry = Entry {
        path: source.display.clone(),
        format: source.extractor.format.name().to_string(),
        size: planned.size,
        mtime_ns: planned.mtime_ns,
        hash: planned.hash.clone(),
        extractor: source.extractor.name.to_string(),
        extractor_version: source.extractor.version,
        config: planned.config.clone(),
        doc_id: ingest::doc_id_for(&source.display),
        indexed: false,
        passages: 0,
        pages: None,
        records: None,
        reason: None,
        reason_kind: None,
        warnings: Vec::new(),
        stats: FileStats::default(),
    };
    match outcome {
        Ok(ing) => {
            entry.indexed = true;
            entry.passages = ing.passages;
            entry.pages = ing.pages;
            entry.records = ing.records;
            entry.warnings = ing.warnings;
            entry.stats = FileStats {
                publisher: ing.publisher,
                kind: ing.kind,
                langs: ing.langs,
                years: ing.years,
                earliest: ing.earliest.map(|d| d.to_string()),
                latest: ing.latest.map(|d| d.to_string()),
                undated: ing.undated,
            };
        }
        Err(failure) => {
            entry.reason = Some(failure.message);
            entry.reason_kind = Some(failure.kind);
        }
    }
    entry
}

/// The summary of a build whose result is `manifest`.
fn summary_of(
    manifest: &Manifest,
    planned: &[Planned],
    unsupported: &BTreeMap<String, u64>,
    started: Instant,
) -> BuildSummary {
    let info = manifest.build_info();
    let change_of: std::collections::HashMap<&str, Change> = planned
        .iter()
        .map(|p| (p.source.display.as_str(), p.change))
        .collect();
    let mut summary = BuildSummary {
        documents: info.documents,
        record_files: manifest
            .files
            .iter()
            .filter(|e| e.indexed && e.records.is_some())
            .count() as u64,
        records: info.records,
        passages: info.passages,
        skipped: info.skipped,
        unsupported: unsupported.clone(),
        added: planned.iter().filter(|p| p.change == Change::Added).count() as u64,
        changed: planned
            .iter()
            .filter(|p| p.change == Change::Changed)
            .count() as u64,
        unchanged: planned
            .iter()
            .filter(|p| p.change == Change::Unchanged)
            .count() as u64,
        fingerprint: manifest.fingerprint(),
        seconds: started.elapsed().as_secs_f64(),
        ..BuildSummary::default()
    };
    for e in &manifest.files {
        if let Some(kind) = e.reason_kind {
            *summary
                .skipped_by_reason
                .entry(kind.label().to_string())
                .or_insert(0) += 1;
        }
    }
    // Reports in walk order.
    let by_path: std::collections::HashMap<&str, &Entry> = manifest
        .files
        .iter()
        .map(|e| (e.path.as_str(), e))
        .collect();
    for p in planned {
        if let Some(e) = by_path.get(p.source.display.as_str()) {
            let change = change_of
                .get(e.path.as_str())
                .copied()
                .unwrap_or(Change::Unchanged);
            summary.files.push(e.report(change));
        }
    }
    summary
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Where the build writes.
enum Target {
    /// A new index in an empty or missing directory.
    Fresh(PathBuf),
    /// The existing compatible index, replaced in one commit.
    Reuse(PathBuf),
    /// An incompatible or damaged index: build beside it, then swap.
    Swap { temp: PathBuf },
}

impl Target {
    fn build_dir(&self) -> &Path {
        match self {
            Target::Fresh(dir) | Target::Reuse(dir) => dir,
            Target::Swap { temp } => temp,
        }
    }

    fn finish(&self, dir: &Path) -> Result<()> {
        let Target::Swap { temp } = self else {
            return Ok(());
        };
        let old = sibling(dir, "old");
        std::fs::rename(dir, &old).map_err(|e| Error::io("move aside the old index", dir, &e))?;
        std::fs::rename(temp, dir).map_err(|e| Error::io("move the new index into", dir, &e))?;
        // The old index was unreadable by this version; failing to delete it is not an error.
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }
}

fn sibling(dir: &Path, tag: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map_or_else(|| "index".into(), |n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

fn prepare_target(dir: &Path) -> Result<Target> {
    match dir_state(dir) {
        DirState::Empty => Ok(Target::Fresh(dir.to_path_buf())),
        DirState::Quarry(meta)
            if meta.schema_version == SCHEMA_VERSION && super::QuarryIndex::open(dir).is_ok() =>
        {
            Ok(Target::Reuse(dir.to_path_buf()))
        }
        DirState::Quarry(_) | DirState::BrokenMeta(_) => {
            let temp = sibling(dir, "new");
            if temp.exists() {
                std::fs::remove_dir_all(&temp)
                    .map_err(|e| Error::io("remove the stale directory", &temp, &e))?;
            }
            Ok(Target::Swap { temp })
        }
        DirState::Foreign => Err(foreign(dir)),
    }
}

fn foreign(dir: &Path) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!(
            "{} exists and is not a quarry index; not writing there",
            dir.display()
        ),
    )
    .with_hint("choose an empty or new directory with --index")
}

fn write_meta(dir: &Path, meta: &IndexMeta) -> Result<()> {
    let path = dir.join(META_FILE);
    let temp = dir.join(format!("{META_FILE}.tmp"));
    let mut bytes = serde_json::to_vec_pretty(meta)
        .map_err(|e| Error::engine("cannot serialise the index metadata", e))?;
    bytes.push(b'\n');
    std::fs::write(&temp, bytes).map_err(|e| Error::io("write", &temp, &e))?;
    std::fs::rename(&temp, &path).map_err(|e| Error::io("write", &path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine.txt"), "keep").unwrap();
        assert!(
            matches!(prepare_target(dir.path()), Err(e) if e.kind() == ErrorKind::InvalidInput)
        );
    }
}
