//! Building an index from source files: walk, extract, split, index, commit.
//!
//! [`build`] walks the given paths ([`super::walk`]), ingests each file on a pool of `threads`
//! threads ([`super::ingest`]: extraction, in a worker process for risky formats, metadata,
//! passages), and commits once, with the build summary as the commit's payload. Ids derive from
//! the display path (`doc_id` = xxh3 of the path, of path and row for records; `passage_id` =
//! `doc_id-ordinal`), never from thread scheduling, so identical input gives identical ids.
//!
//! Safety of the user's data: an existing compatible index is replaced within one tantivy
//! commit (delete all, add all, commit), so an interrupted build leaves the previous commit
//! searchable. An index of another schema version is rebuilt in a sibling directory and swapped
//! in only once complete. A directory that holds anything but a quarry index is never written.
//! A file that cannot be read or extracted is reported through the [`Reporter`] and skipped.

use super::ingest::{self, Context};
use super::walk::{display_path, walk};
use super::{dir_state, BuildInfo, DirState, IndexMeta, FORMAT_MARKER, META_FILE};
use crate::date::{rfc3339_utc, PartialDate};
use crate::error::{Error, ErrorKind, Result};
use crate::extract::worker::Isolation;
use crate::schema::{self, SCHEMA_VERSION};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tantivy::{Index, IndexWriter};

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
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            paths: vec![PathBuf::from("corpus")],
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            memory_mb: 256,
            max_file_bytes: None,
            isolation: None,
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
    /// Source format.
    pub format: &'static str,
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
    /// Files skipped (reported through the reporter).
    pub skipped: u64,
    /// Files skipped, by reason (`binary`, `no text layer`, ...).
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Files left alone because no extractor handles their type, by extension.
    pub unsupported: BTreeMap<String, u64>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// One report per file, in walk order.
    pub files: Vec<FileReport>,
}

/// Builds (or rebuilds) the index in `dir` from `options.paths`.
pub fn build(dir: &Path, options: &BuildOptions, reporter: &dyn Reporter) -> Result<BuildSummary> {
    let started = Instant::now();
    let walked = walk(&options.paths, dir)?;
    let source_names: Vec<String> = options.paths.iter().map(|p| display_path(p)).collect();

    let target = prepare_target(dir)?;
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
    writer
        .delete_all_documents()
        .map_err(|e| Error::engine("cannot clear the previous index", e))?;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::engine("cannot start worker threads", e))?;
    let done = AtomicUsize::new(0);
    let total = walked.sources.len();
    let outcomes: Vec<_> = pool.install(|| {
        walked
            .sources
            .par_iter()
            .map(|source| {
                let ctx = Context {
                    fields: &fields,
                    writer: &writer,
                    max_file_bytes: options
                        .max_file_bytes
                        .or(source.corpus.max_file_bytes)
                        .unwrap_or(DEFAULT_MAX_FILE_BYTES),
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

    let mut summary = BuildSummary {
        unsupported: walked.unsupported,
        ..BuildSummary::default()
    };
    let mut by_format = BTreeMap::new();
    let mut by_publisher = BTreeMap::new();
    let mut by_kind = BTreeMap::new();
    let mut by_year: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_lang: BTreeMap<String, u64> = BTreeMap::new();
    let (mut earliest, mut latest): (Option<PartialDate>, Option<PartialDate>) = (None, None);
    let mut undated = 0;
    for (source, outcome) in walked.sources.iter().zip(outcomes) {
        let format = source.extractor.format.name();
        let report = match outcome {
            Ok(ing) => {
                summary.documents += 1;
                summary.passages += ing.passages;
                if let Some(n) = ing.records {
                    summary.record_files += 1;
                    summary.records += n;
                }
                *by_format.entry(format.to_string()).or_insert(0) += 1;
                let publisher = ing.publisher.unwrap_or_else(|| "(none)".to_string());
                *by_publisher.entry(publisher).or_insert(0) += 1;
                let kind = ing.kind.unwrap_or_else(|| "(none)".to_string());
                *by_kind.entry(kind).or_insert(0) += 1;
                for (year, n) in ing.years {
                    *by_year.entry(year).or_insert(0) += n;
                }
                for (lang, n) in ing.langs {
                    *by_lang.entry(lang).or_insert(0) += n;
                }
                earliest = earliest.into_iter().chain(ing.earliest).min();
                latest = latest.into_iter().chain(ing.latest).max();
                undated += ing.undated;
                FileReport {
                    path: source.display.clone(),
                    status: "indexed",
                    format,
                    reason: None,
                    reason_kind: None,
                    pages: ing.pages,
                    records: ing.records,
                    passages: ing.passages,
                    warnings: ing.warnings,
                }
            }
            Err(failure) => {
                summary.skipped += 1;
                *summary
                    .skipped_by_reason
                    .entry(failure.kind.label().to_string())
                    .or_insert(0) += 1;
                FileReport {
                    path: source.display.clone(),
                    status: "skipped",
                    format,
                    reason: Some(failure.message),
                    reason_kind: Some(failure.kind),
                    pages: None,
                    records: None,
                    passages: 0,
                    warnings: Vec::new(),
                }
            }
        };
        summary.files.push(report);
    }
    summary.seconds = started.elapsed().as_secs_f64();
    let info = BuildInfo {
        built_at: rfc3339_utc(unix_now()),
        build_seconds: (summary.seconds * 1000.0).round() / 1000.0,
        documents: summary.documents,
        records: summary.records,
        passages: summary.passages,
        skipped: summary.skipped,
        by_format,
        by_publisher,
        by_kind,
        by_year,
        by_lang,
        date_min: earliest.map(|d| d.to_string()),
        date_max: latest.map(|d| d.to_string()),
        undated,
    };
    let payload = serde_json::to_string(&info)
        .map_err(|e| Error::engine("cannot serialise the build summary", e))?;
    let mut commit = writer
        .prepare_commit()
        .map_err(|e| Error::engine("cannot commit the index", e))?;
    commit.set_payload(&payload);
    commit
        .commit()
        .map_err(|e| Error::engine("cannot commit the index", e))?;
    writer
        .wait_merging_threads()
        .map_err(|e| Error::engine("cannot finish merging the index", e))?;
    target.finish(dir)?;
    Ok(summary)
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
        DirState::Foreign => Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} exists and is not a quarry index; not writing there",
                dir.display()
            ),
        )
        .with_hint("choose an empty or new directory with --index")),
    }
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
