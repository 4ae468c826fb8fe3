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
//! lost. An older, damaged or unreadable index of ours is rebuilt in a subdirectory and swapped
//! in only once complete ([`super::files::swap_in`]), saying so through [`Reporter::notice`]; an
//! index of a newer quarry is refused. A directory that holds anything but a quarry index is
//! never written, and in our own only files quarry wrote are ever replaced or removed. A file
//! that cannot be read or extracted is reported through the [`Reporter`] and skipped; a folder
//! or file that cannot be read keeps what the index holds from it. When the writer fails (a full
//! disk), the build stops at once with that cause and removes what it had written.

use super::directory::IndexDirectory;
use super::ingest::{self, Context, Ingested};
use super::lock::WriteLock;
use super::manifest::{self, Change, Entry, FileStats, Manifest, Planned};
use super::walk::{display_path, walk, Source};
use super::{damage, dir_state, files, DirState, IndexMeta, FORMAT_MARKER, META_FILE};
use crate::date::rfc3339_utc;
use crate::error::{Error, ErrorKind, Result};
use crate::extract::worker::Isolation;
use crate::schema::{self, SCHEMA_VERSION};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    /// A corpus configuration file to use instead of each path's own `quarry.toml` (for
    /// corpora one cannot write into). Recorded in the index, so `verify` uses it too.
    pub config: Option<PathBuf>,
    /// `--ocr` and `--ocr-lang` (recorded in the index likewise); what they leave open comes
    /// from each corpus's `quarry.toml`.
    pub ocr: crate::ocr::Options,
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
            config: None,
            ocr: crate::ocr::Options::default(),
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
    /// Something about the build as a whole that people should know (a rebuild and why).
    fn notice(&self, _message: &str) {}
    /// `pages` pages have been read by OCR so far (from the cache or not).
    fn ocr_progress(&self, _pages: u64) {}
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
    /// What OCR did for it (pages in the index, read, from the cache, failed), when it needed
    /// OCR.
    pub ocr: Option<crate::ocr::pass::Counts>,
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
    /// Files indexed that hold parts (mailboxes, archives, workbooks, web archives).
    pub container_files: u64,
    /// The parts read from them (messages, attachments, members, rows, captures).
    pub parts: u64,
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
    /// What OCR did in this build (for the files it extracted).
    pub ocr: crate::ocr::pass::Counts,
    /// Pages of the index whose text was read by OCR.
    pub ocr_pages: u64,
}

/// Builds or updates the index in `dir` from `options.paths`.
pub fn build(dir: &Path, options: &BuildOptions, reporter: &dyn Reporter) -> Result<BuildSummary> {
    let started = Instant::now();
    // Never create anything (not even the lock file) in a directory that is not ours, and never
    // replace an index this quarry cannot read because it is newer. Checked again once the lock
    // is held, when no other build can change it.
    refuse_unless_ours(dir, &dir_state(dir))?;
    // OCR settings given that cannot work here fail before anything is made.
    check_ocr(std::iter::empty(), &options.ocr)?;
    let _lock = WriteLock::acquire(dir)?;
    let state = dir_state(dir);
    refuse_unless_ours(dir, &state)?;
    if matches!(state, DirState::Quarry(_) | DirState::BrokenMeta(_)) {
        // Leftovers of a build that was killed or ran out of space.
        files::remove_rebuild_dir(&dir.join(files::REBUILD_DIR))?;
        files::remove_orphans(dir);
        crate::ocr::cache::Cache::new(dir).remove_temporaries();
    }
    let walked = walk(&options.paths, dir, options.config.as_deref())?;
    let source_names: Vec<String> = options.paths.iter().map(|p| display_path(p)).collect();

    let target = prepare_target(dir, state, reporter)?;
    let previous = match (&target, options.rebuild) {
        // A manifest that cannot be read means starting over, not failing.
        (Target::Reuse(_), false) => super::QuarryIndex::open(dir)
            .ok()
            .and_then(|index| index.manifest().ok().flatten()),
        _ => None,
    };
    check_ocr(walked.sources.iter().map(|s| &s.corpus.ocr), &options.ocr)?;
    let config_of = |source: &Source| config_hash(source, options.max_file_bytes, &options.ocr);
    let planned = manifest::plan(&walked.sources, previous.as_ref(), &config_of);
    let walked_paths: std::collections::HashSet<&str> =
        walked.sources.iter().map(|s| s.display.as_str()).collect();
    // Files gone from the walk: removed, unless they sit in a folder that could not be read
    // (then they are kept as they were).
    let (kept, removed): (Vec<&Entry>, Vec<&Entry>) = previous
        .iter()
        .flat_map(|m| m.files.iter())
        .filter(|e| !walked_paths.contains(e.path.as_str()))
        .partition(|e| walked.in_unreadable_dir(&e.path));
    let problems = report_unreadable(&walked, &planned, &kept, reporter);
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
            add_problems(&mut summary, problems);
            return Ok(summary);
        }
    }

    let build_dir = target.build_dir().to_path_buf();
    std::fs::create_dir_all(&build_dir)
        .map_err(|e| Error::io("create the index directory", &build_dir, &e))?;
    // quarry.json first: a directory holding it is recognised as ours even if this build is
    // interrupted before its first commit.
    write_meta(
        &build_dir,
        &IndexMeta {
            format: FORMAT_MARKER.to_string(),
            schema_version: SCHEMA_VERSION,
            quarry_version: env!("CARGO_PKG_VERSION").to_string(),
            analysis: schema::ANALYSIS.to_string(),
            sources: source_names,
            config: options.config.as_deref().map(display_path),
            built_in: std::env::current_dir()
                .ok()
                .map(|d| d.to_string_lossy().into_owned()),
            ocr: options.ocr.mode.map(|m| m.name().to_string()),
            ocr_lang: options.ocr.languages.clone(),
        },
    )?;
    let work = Work {
        dir,
        build_dir: &build_dir,
        target: &target,
        options,
        reporter,
        planned: &planned,
        removed: &removed,
        kept: &kept,
        incremental: previous.is_some(),
        counts: (added, changed, unchanged),
        unsupported: &walked.unsupported,
        started,
    };
    let mut manifest_written = None;
    let mut summary = match write_index(&work, &mut manifest_written) {
        Ok(summary) => summary,
        Err(e) => {
            // Nothing of this run may stay behind: not its segments, not its manifest, not
            // its rebuild directory. The previous commit is untouched.
            match &target {
                Target::Swap { temp } => {
                    let _ = files::remove_rebuild_dir(temp);
                }
                Target::Fresh(d) | Target::Reuse(d) => {
                    files::remove_orphans(d);
                    if let Some(name) = manifest_written {
                        let _ = std::fs::remove_file(d.join(name));
                    }
                }
            }
            return Err(match e.hint() {
                None if e.message().contains("no space left on device") => e.with_hint(NO_SPACE),
                _ => e,
            });
        }
    };
    target.finish(dir)?;
    add_problems(&mut summary, problems);
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn refuse_unless_ours(dir: &Path, state: &DirState) -> Result<()> {
    match state {
        DirState::Foreign(why) => Err(foreign(dir, why.as_deref())),
        DirState::Quarry(meta) if meta.schema_version > SCHEMA_VERSION => {
            Err(super::newer_index(dir, meta))
        }
        _ => Ok(()),
    }
}

/// What [`write_index`] works from.
struct Work<'a> {
    dir: &'a Path,
    build_dir: &'a Path,
    target: &'a Target,
    options: &'a BuildOptions,
    reporter: &'a dyn Reporter,
    planned: &'a [Planned<'a>],
    removed: &'a [&'a Entry],
    kept: &'a [&'a Entry],
    incremental: bool,
    counts: (u64, u64, u64),
    unsupported: &'a BTreeMap<String, u64>,
    started: Instant,
}

/// Ingests, commits and merges; `manifest_written` receives the name of the new manifest once
/// it is on disk (so a failure can remove it).
fn write_index(w: &Work<'_>, manifest_written: &mut Option<String>) -> Result<BuildSummary> {
    let (dir, build_dir, options) = (w.dir, w.build_dir, w.options);
    let (schema, fields) = schema::build();
    let directory = IndexDirectory::writable(build_dir).map_err(|e| open_error(dir, &e))?;
    let index = match w.target {
        Target::Reuse(_) => Index::open(directory),
        Target::Fresh(_) | Target::Swap { .. } => {
            Index::create(directory, schema, tantivy::IndexSettings::default())
        }
    }
    .map_err(|e| open_error(dir, &e))?;
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
            other => write_error(dir, "start the index writer", &other),
        })?;
    if !w.incremental {
        writer
            .delete_all_documents()
            .map_err(|e| write_error(dir, "clear the previous index", &e))?;
    } else {
        // Everything of a changed or removed file goes: its passages and its document record
        // (or all its rows).
        let gone = w
            .planned
            .iter()
            .filter(|p| p.change == Change::Changed)
            .map(|p| p.source.display.as_str())
            .chain(w.removed.iter().map(|e| e.path.as_str()));
        for path in gone {
            writer.delete_term(Term::from_field_text(fields.path_raw, path));
        }
    }

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::engine("cannot start worker threads", e))?;
    let done = AtomicUsize::new(0);
    let writer_failed = AtomicBool::new(false);
    let ocr = ingest::OcrRun {
        options: options.ocr.clone(),
        // In the index directory itself, so that a rebuild in .quarry-rebuild/ finds it too.
        cache: Some(crate::ocr::cache::Cache::new(dir)),
        reporter: w.reporter,
        pages: Default::default(),
        done: Default::default(),
        told_missing: Default::default(),
        told_languages: Default::default(),
    };
    let todo: Vec<&Planned> = w
        .planned
        .iter()
        .filter(|p| p.change != Change::Unchanged)
        .collect();
    let total = todo.len();
    if total > 0 {
        // So that progress told before the first file is done (pages read by OCR) has a total.
        w.reporter.progress(0, total);
    }
    let outcomes: Vec<_> = pool.install(|| {
        todo.par_iter()
            .map(|planned| {
                let source = planned.source;
                if writer_failed.load(Ordering::Relaxed) {
                    // The build is stopping; this file is neither indexed nor reported.
                    return Err(crate::Failure::new(
                        crate::FailureKind::Crashed,
                        "not indexed: the build stopped",
                    ));
                }
                let ctx = Context {
                    fields: &fields,
                    writer: &writer,
                    max_file_bytes: max_file_bytes(source, options.max_file_bytes),
                    isolation: options.isolation.as_ref(),
                    writer_failed: &writer_failed,
                    ocr: &ocr,
                };
                let outcome = ingest::ingest(source, &ctx);
                if !writer_failed.load(Ordering::Relaxed) {
                    match &outcome {
                        Ok(ingested) => {
                            for warning in &ingested.warnings {
                                w.reporter.warning(&source.display, warning);
                            }
                        }
                        Err(failure) => w.reporter.skipped(&source.display, &failure.message),
                    }
                }
                w.reporter
                    .progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                outcome
            })
            .collect()
    });
    if writer_failed.load(Ordering::Relaxed) {
        // The writer's threads have stopped on an error; preparing the commit returns it.
        let cause = match writer.prepare_commit() {
            Err(e) => e,
            Ok(prepared) => {
                let _ = prepared.abort();
                tantivy::TantivyError::SystemError("the index writer stopped".into())
            }
        };
        return Err(write_error(dir, "write the index at", &cause));
    }
    let mut fresh: std::collections::HashMap<&str, Entry> = std::collections::HashMap::new();
    let (ocr_build, mut ocr_of) = ocr
        .done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for (planned, outcome) in todo.iter().zip(outcomes) {
        let mut entry = entry_of(planned, outcome);
        entry.ocr = ocr_of.remove(planned.source.display.as_str());
        fresh.insert(planned.source.display.as_str(), entry);
    }
    let files: Vec<Entry> = w
        .planned
        .iter()
        .filter_map(|p| match p.change {
            Change::Unchanged => p.entry.clone(),
            _ => fresh.remove(p.source.display.as_str()),
        })
        .chain(w.kept.iter().map(|e| (*e).clone()))
        .collect();
    let new_manifest = Manifest::new(files);
    let mut summary = summary_of(&new_manifest, w.planned, w.unsupported, w.started);
    summary.removed = w.removed.len() as u64;
    summary.unchanged += w.kept.len() as u64;
    summary.ocr = ocr_build;
    let (added, changed, unchanged) = w.counts;

    let mut info = new_manifest.build_info();
    info.built_at = rfc3339_utc(unix_now());
    info.build_seconds = (summary.seconds * 1000.0).round() / 1000.0;
    info.fingerprint = Some(summary.fingerprint.clone()); // computed by summary_of
    let name = new_manifest.write(build_dir)?;
    *manifest_written = Some(name.clone());
    info.manifest = Some(name.clone());
    info.added = added;
    info.changed = changed;
    info.removed = summary.removed;
    info.unchanged = unchanged + w.kept.len() as u64;
    info.ocr_build = ocr_build;
    let payload = serde_json::to_string(&info)
        .map_err(|e| Error::engine("cannot serialise the build summary", e))?;
    let mut commit = writer
        .prepare_commit()
        .map_err(|e| write_error(dir, "write the index at", &e))?;
    commit.set_payload(&payload);
    commit
        .commit()
        .map_err(|e| write_error(dir, "commit the index at", &e))?;
    // Committed: from here on a failure must not remove the manifest the commit names.
    *manifest_written = None;
    manifest::remove_stale(build_dir, &name);
    if w.incremental {
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
                .map_err(|e| merge_error(w, &e))?;
        }
    }
    writer
        .wait_merging_threads()
        .map_err(|e| merge_error(w, &e))?;
    Ok(summary)
}

/// Reports what cannot be read (folders, and files the index keeps as they were), and returns
/// the report rows for them.
fn report_unreadable(
    walked: &super::walk::Walked,
    planned: &[Planned],
    kept: &[&Entry],
    reporter: &dyn Reporter,
) -> Vec<FileReport> {
    let mut rows = Vec::new();
    let row = |path: &str, reason: String| FileReport {
        path: path.to_string(),
        status: "skipped",
        change: Change::Unchanged.name(),
        format: String::new(),
        reason: Some(reason),
        reason_kind: Some(crate::FailureKind::Unreadable),
        pages: None,
        records: None,
        passages: 0,
        warnings: Vec::new(),
        ocr: None,
    };
    for e in &walked.errors {
        let inside = kept
            .iter()
            .filter(|k| super::walk::is_inside(&k.path, &e.path))
            .count();
        let reason = if inside > 0 {
            format!(
                "{}; the index keeps the {inside} file{} it holds from there as they were",
                e.reason,
                if inside == 1 { "" } else { "s" }
            )
        } else {
            e.reason.clone()
        };
        reporter.skipped(&e.path, &reason);
        rows.push(row(&e.path, reason));
    }
    for p in planned {
        if let (Some(why), Some(entry)) = (&p.unreadable, &p.entry) {
            let reason = format!("cannot read: {why}; the index keeps the version it holds");
            reporter.skipped(&p.source.display, &reason);
            let mut r = row(&p.source.display, reason);
            r.format = entry.format.clone();
            r.passages = entry.passages;
            rows.push(r);
        }
    }
    rows
}

/// Counts unreadable places as skipped (for `--strict` and the summary) and adds their rows.
fn add_problems(summary: &mut BuildSummary, rows: Vec<FileReport>) {
    if rows.is_empty() {
        return;
    }
    summary.skipped += rows.len() as u64;
    *summary
        .skipped_by_reason
        .entry(crate::FailureKind::Unreadable.label().to_string())
        .or_insert(0) += rows.len() as u64;
    let paths: std::collections::HashSet<String> = rows.iter().map(|r| r.path.clone()).collect();
    summary.files.retain(|f| !paths.contains(&f.path));
    summary.files.extend(rows);
}

fn open_error(dir: &Path, e: &tantivy::TantivyError) -> Error {
    Error::new(
        ErrorKind::Io,
        format!(
            "cannot open the index at {}: {}",
            dir.display(),
            damage::tantivy_reason(e)
        ),
    )
}

/// The hint for a full disk.
const NO_SPACE: &str =
    "free some space, then run quarry index again; the index is as it was before this run";

/// A failure to write the index, with its cause in one line; the previous commit is intact.
fn write_error(dir: &Path, action: &str, e: &tantivy::TantivyError) -> Error {
    // tantivy sometimes carries the operating system's error only as text.
    let space = damage::io_error_of(e).is_some_and(|io| {
        io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(28)
    }) || e.to_string().contains("(os error 28)");
    let reason = if space {
        "no space left on device".to_string()
    } else {
        damage::tantivy_reason(e)
    };
    let action = if action.ends_with(" at") {
        format!("{action} {}", dir.display())
    } else {
        format!("{action} of {}", dir.display())
    };
    let kind = if space || damage::io_error_of(e).is_some() {
        ErrorKind::Io
    } else {
        ErrorKind::Engine
    };
    Error::new(kind, format!("cannot {action}: {reason}")).with_hint(if space {
        "free some space, then run quarry index again; the index is as it was before this run"
    } else {
        "the index is as it was before this run; run quarry index again"
    })
}

/// A merge that failed after the commit. The writer may still be running merges, so nothing is
/// cleaned up here: the build's error path does that once the writer is gone.
fn merge_error(w: &Work<'_>, e: &tantivy::TantivyError) -> Error {
    let reason = damage::tantivy_reason(e);
    match w.target {
        Target::Swap { .. } => Error::new(
            ErrorKind::Io,
            format!(
                "cannot finish rebuilding the index at {}: merging its segments failed: {reason}",
                w.dir.display()
            ),
        )
        .with_hint("the index is as it was before this run; run quarry index again"),
        _ => Error::new(
            ErrorKind::Io,
            format!(
                "the index at {} was updated, but merging its segments failed: {reason}",
                w.dir.display()
            ),
        )
        .with_hint("searching works; run quarry index again to finish the merge"),
    }
}

/// The size limit for a source: the command line's, else its corpus config's, else the default.
fn max_file_bytes(source: &Source, limit: Option<u64>) -> u64 {
    limit
        .or(source.corpus.max_file_bytes)
        .unwrap_or(DEFAULT_MAX_FILE_BYTES)
}

/// The hash of everything besides the file's bytes that decides what it becomes in the index:
/// the metadata configuration that applies to it, its sidecar, and the size limit.
pub(crate) fn config_hash(
    source: &Source,
    limit: Option<u64>,
    ocr: &crate::ocr::Options,
) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(source.corpus.config_key(&source.rel).as_bytes());
    h.update(format!("\nlimit {}\n", max_file_bytes(source, limit)).as_bytes());
    let mut sidecar = source.fs_path.as_os_str().to_os_string();
    sidecar.push(crate::corpus::SIDECAR_SUFFIX);
    if let Ok(bytes) = std::fs::read(std::path::PathBuf::from(sidecar)) {
        h.update(&bytes);
    }
    // What OCR reads changes with its settings and with Tesseract being installed, for the
    // formats that may hold images (files with other settings are not read again).
    if may_need_ocr(source.extractor) {
        let sidecar = crate::corpus::sidecar(&source.fs_path).ok().flatten();
        let (settings, _) = ingest::ocr_settings(source, ocr, sidecar.as_ref());
        h.update(settings.key().as_bytes());
    }
    format!("{:016x}", h.digest())
}

/// Whether files `extractor` reads may need OCR: PDFs, images, and containers (which may hold
/// either).
fn may_need_ocr(extractor: &crate::extract::Extractor) -> bool {
    matches!(
        extractor.format,
        crate::document::Format::Pdf | crate::document::Format::Image
    ) || matches!(extractor.method, crate::extract::Method::Container(_))
}

/// Refuses OCR settings that cannot work here: `always` without Tesseract, and languages given
/// (on the command line, or in the `quarry.toml` of a corpus in `corpora`) that Tesseract
/// lacks.
fn check_ocr<'a>(
    corpora: impl Iterator<Item = &'a crate::ocr::Options>,
    options: &crate::ocr::Options,
) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    static NONE: crate::ocr::Options = crate::ocr::Options {
        mode: None,
        languages: None,
    };
    for corpus in std::iter::once(&NONE).chain(corpora) {
        if !seen.insert((
            options.mode.or(corpus.mode),
            options.languages.as_ref().or(corpus.languages.as_ref()),
        )) {
            continue;
        }
        let mode = options.mode.or(corpus.mode);
        let flag = if options.mode.is_some() {
            "--ocr always"
        } else {
            "ocr = \"always\" (quarry.toml)"
        };
        if mode == Some(crate::ocr::Mode::Always) && !crate::ocr::available() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{flag} needs Tesseract, which is not installed here"),
            )
            .with_hint(crate::ocr::INSTALL_HINT));
        }
        if mode == Some(crate::ocr::Mode::Never) {
            continue;
        }
        if let Some(languages) = options.languages.as_ref().or(corpus.languages.as_ref()) {
            let missing = crate::ocr::languages::missing(languages);
            if !missing.is_empty() && crate::ocr::available() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "Tesseract here cannot read the OCR language{} {}",
                        if missing.len() == 1 { "" } else { "s" },
                        missing.join(", ")
                    ),
                )
                .with_hint(crate::ocr::languages::install_hint(&missing)));
            }
        }
    }
    Ok(())
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
        parts: None,
        reason: None,
        reason_kind: None,
        warnings: Vec::new(),
        stats: FileStats::default(),
        ocr: None,
    };
    match outcome {
        Ok(ing) => {
            entry.indexed = true;
            entry.passages = ing.passages;
            entry.pages = ing.pages;
            entry.records = ing.records;
            entry.parts = ing.parts;
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
        container_files: manifest
            .files
            .iter()
            .filter(|e| e.indexed && e.parts.is_some())
            .count() as u64,
        parts: manifest
            .files
            .iter()
            .filter(|e| e.indexed)
            .filter_map(|e| e.parts)
            .sum(),
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
        ocr_pages: info.ocr_pages,
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
    /// An older, damaged or unreadable index of ours: built in [`files::REBUILD_DIR`] inside it,
    /// then swapped in file by file ([`files::swap_in`]).
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
        match self {
            Target::Swap { temp } => files::swap_in(temp, dir),
            _ => Ok(()),
        }
    }
}

fn prepare_target(dir: &Path, state: DirState, reporter: &dyn Reporter) -> Result<Target> {
    let swap = |reporter: &dyn Reporter, why: String| {
        reporter.notice(&why);
        Target::Swap {
            temp: dir.join(files::REBUILD_DIR),
        }
    };
    match state {
        DirState::Empty => Ok(Target::Fresh(dir.to_path_buf())),
        DirState::Quarry(meta) if meta.schema_version == SCHEMA_VERSION => {
            match super::QuarryIndex::open(dir) {
                Ok(index) => {
                    let damage = index.damage();
                    if damage.is_empty() {
                        return Ok(Target::Reuse(dir.to_path_buf()));
                    }
                    let shown: Vec<String> = damage.iter().map(|d| d.to_string()).collect();
                    Ok(swap(
                        reporter,
                        format!(
                            "the index at {} is damaged ({}); rebuilding it",
                            dir.display(),
                            shown.join(", ")
                        ),
                    ))
                }
                Err(e) => Ok(swap(reporter, format!("{}; rebuilding it", e.message()))),
            }
        }
        DirState::Quarry(meta) => Ok(swap(
            reporter,
            format!(
                "rebuilding index (schema {} -> {SCHEMA_VERSION}): {} was built by quarry {}",
                meta.schema_version,
                dir.display(),
                meta.quarry_version
            ),
        )),
        DirState::BrokenMeta(reason) => Ok(swap(
            reporter,
            format!(
                "the index at {} is damaged ({} cannot be read: {reason}); rebuilding it",
                dir.display(),
                META_FILE
            ),
        )),
        DirState::Foreign(why) => Err(foreign(dir, why.as_deref())),
    }
}

fn foreign(dir: &Path, why: Option<&str>) -> Error {
    let why = why.map_or_else(String::new, |w| format!(" ({w})"));
    Error::new(
        ErrorKind::InvalidInput,
        format!(
            "{} is not a quarry index{why}; not writing there",
            dir.display()
        ),
    )
    .with_hint("choose an empty or new directory with --index")
}

fn write_meta(dir: &Path, meta: &IndexMeta) -> Result<()> {
    let path = dir.join(META_FILE);
    let temp = dir.join(super::META_TEMP);
    let mut bytes = serde_json::to_vec_pretty(meta)
        .map_err(|e| Error::engine("cannot serialise the index metadata", e))?;
    bytes.push(b'\n');
    let written = std::fs::write(&temp, bytes)
        .map_err(|e| Error::io("write", &temp, &e))
        .and_then(|()| std::fs::rename(&temp, &path).map_err(|e| Error::io("write", &path, &e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine.txt"), "keep").unwrap();
        let state = dir_state(dir.path());
        assert!(
            matches!(prepare_target(dir.path(), state, &Silent), Err(e) if e.kind() == ErrorKind::InvalidInput)
        );
    }
}
