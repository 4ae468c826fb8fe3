//! Building an index from source files: walk, extract, split, index, commit.
//!
//! [`build`] walks the given paths (sorted, hidden entries and the index itself skipped),
//! extracts and splits each supported file on a pool of `threads` threads, and adds one tantivy
//! document per passage plus one record per source document. Ids derive from the display path
//! (`doc_id` = xxh3 of the path; `passage_id` = `doc_id-ordinal`), never from thread scheduling,
//! so identical input gives identical ids.
//!
//! Safety of the user's data: an existing compatible index is replaced within one tantivy
//! commit (delete all, add all, commit), so an interrupted build leaves the previous commit
//! searchable. An index of another schema version is rebuilt in a sibling directory and swapped
//! in only once complete. A directory that holds anything but a quarry index is never written.
//! A file that cannot be read or extracted is reported through the [`Reporter`] and skipped.

use super::{dir_state, BuildInfo, DirState, IndexMeta, FORMAT_MARKER, META_FILE};
use crate::date::{rfc3339_utc, PartialDate};
use crate::document::Document;
use crate::error::{Error, ErrorKind, Result};
use crate::extract::{self, Extractor};
use crate::passage::{self, Passage};
use crate::schema::{self, Fields, REC_DOC, REC_PASSAGE, SCHEMA_VERSION};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tantivy::{DateTime, Index, IndexWriter, TantivyDocument};

/// Options of an index build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Files and directories to index.
    pub paths: Vec<PathBuf>,
    /// Worker threads for extraction and indexing (at least 1).
    pub threads: usize,
    /// The indexing memory budget in megabytes (split between indexing threads).
    pub memory_mb: usize,
    /// Files larger than this many bytes are skipped.
    pub max_file_bytes: u64,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            paths: vec![PathBuf::from("corpus")],
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            memory_mb: 256,
            max_file_bytes: 200_000_000,
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

/// What a build did.
#[derive(Debug, Clone, Default)]
pub struct BuildSummary {
    /// Documents indexed.
    pub documents: u64,
    /// Passages indexed.
    pub passages: u64,
    /// Files skipped (reported through the reporter).
    pub skipped: u64,
    /// Files left alone because no extractor handles their type, by extension.
    pub unsupported: BTreeMap<String, u64>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// A source file found by the walk.
#[derive(Debug)]
struct Source {
    fs_path: PathBuf,
    display: String,
    extractor: &'static Extractor,
}

/// Builds (or rebuilds) the index in `dir` from `options.paths`.
pub fn build(dir: &Path, options: &BuildOptions, reporter: &dyn Reporter) -> Result<BuildSummary> {
    let started = Instant::now();
    let (sources, unsupported) = walk(&options.paths, dir)?;
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
    let total = sources.len();
    let outcomes: Vec<std::result::Result<Indexed, String>> = pool.install(|| {
        sources
            .par_iter()
            .map(|source| {
                let outcome = index_source(source, options, &fields, &writer, reporter);
                if let Err(reason) = &outcome {
                    reporter.skipped(&source.display, reason);
                }
                reporter.progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                outcome
            })
            .collect()
    });

    let mut summary = BuildSummary {
        unsupported,
        ..BuildSummary::default()
    };
    let mut by_format = BTreeMap::new();
    let mut by_publisher = BTreeMap::new();
    let mut dates = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(indexed) => {
                summary.documents += 1;
                summary.passages += indexed.passages;
                *by_format.entry(indexed.format.to_string()).or_insert(0) += 1;
                let publisher = indexed.publisher.unwrap_or_else(|| "(none)".to_string());
                *by_publisher.entry(publisher).or_insert(0) += 1;
                dates.extend(indexed.date.as_deref().and_then(PartialDate::parse));
            }
            Err(_) => summary.skipped += 1,
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    let info = BuildInfo {
        built_at: rfc3339_utc(unix_now()),
        build_seconds: (summary.seconds * 1000.0).round() / 1000.0,
        documents: summary.documents,
        passages: summary.passages,
        skipped: summary.skipped,
        by_format,
        by_publisher,
        date_min: dates.iter().min().map(ToString::to_string),
        date_max: dates.iter().max().map(ToString::to_string),
        undated: summary.documents - dates.len() as u64,
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

/// Finds the files to index under `paths`, in a deterministic order, and counts the files left
/// alone for want of an extractor. Hidden files and directories (name starting with `.`) below
/// a given path, and the index directory itself, are not entered.
fn walk(paths: &[PathBuf], index_dir: &Path) -> Result<(Vec<Source>, BTreeMap<String, u64>)> {
    let index_canon = std::fs::canonicalize(index_dir).ok();
    let mut sources = Vec::new();
    let mut unsupported = BTreeMap::new();
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
            match extract::for_path(root) {
                Some(extractor) => {
                    if seen.insert(display_path(root)) {
                        sources.push(Source {
                            fs_path: root.clone(),
                            display: display_path(root),
                            extractor,
                        });
                    }
                }
                None => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        format!("cannot index {}: unsupported file type", root.display()),
                    )
                    .with_hint("supported: .txt, .md, .markdown, .html, .htm"))
                }
            }
            continue;
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                if e.depth() == 0 {
                    return true;
                }
                let hidden = e.file_name().to_string_lossy().starts_with('.');
                let is_index = e.file_type().is_dir()
                    && index_canon.is_some()
                    && std::fs::canonicalize(e.path()).ok() == index_canon;
                !hidden && !is_index
            });
        for entry in walker {
            // An unreadable directory entry is not worth stopping the build for; the files
            // that can be read are indexed.
            let Ok(entry) = entry else { continue };
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path();
            match extract::for_path(path) {
                Some(extractor) => {
                    let display = display_path(path);
                    if seen.insert(display.clone()) {
                        sources.push(Source {
                            fs_path: path.to_path_buf(),
                            display,
                            extractor,
                        });
                    }
                }
                None => {
                    let ext = path.extension().map_or_else(
                        || "(none)".to_string(),
                        |e| e.to_string_lossy().to_lowercase(),
                    );
                    *unsupported.entry(ext).or_insert(0) += 1;
                }
            }
        }
    }
    Ok((sources, unsupported))
}

/// The document id of a display path: 16 hex digits of its xxh3 hash.
pub fn doc_id_for(display_path: &str) -> String {
    format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(display_path.as_bytes())
    )
}

/// What indexing one source produced, for the build summary.
struct Indexed {
    passages: u64,
    format: &'static str,
    publisher: Option<String>,
    date: Option<String>,
}

/// Extracts, splits and adds one source; returns what it added or why it was skipped.
fn index_source(
    source: &Source,
    options: &BuildOptions,
    fields: &Fields,
    writer: &IndexWriter,
    reporter: &dyn Reporter,
) -> std::result::Result<Indexed, String> {
    let extracted = extract::extract_file(
        source.extractor,
        &source.fs_path,
        &source.display,
        options.max_file_bytes,
    )?;
    for warning in &extracted.warnings {
        reporter.warning(&source.display, warning);
    }
    let doc = extracted.doc;
    if doc.blocks.is_empty() {
        return Err("no text to index".to_string());
    }
    let passages = passage::split(&doc.text, &doc.blocks);
    let doc_id = doc_id_for(&doc.path);
    for p in &passages {
        writer
            .add_document(passage_record(&doc, &doc_id, p, fields))
            .map_err(|e| format!("cannot add to the index: {e}"))?;
    }
    writer
        .add_document(document_record(&doc, &doc_id, passages.len(), fields))
        .map_err(|e| format!("cannot add to the index: {e}"))?;
    Ok(Indexed {
        passages: passages.len() as u64,
        format: doc.format.name(),
        publisher: doc.meta.publisher,
        date: doc.meta.date,
    })
}

fn add_metadata(out: &mut TantivyDocument, doc: &Document, doc_id: &str, f: &Fields) {
    let m = &doc.meta;
    out.add_text(f.doc_id, doc_id);
    out.add_text(f.path, &doc.path);
    out.add_text(f.format, doc.format.name());
    out.add_text(f.title, m.title.as_deref().unwrap_or(""));
    for a in &m.authors {
        out.add_text(f.author, a);
    }
    if let Some(p) = &m.publisher {
        out.add_text(f.publisher, p);
    }
    if let Some(d) = &m.date {
        out.add_text(f.date, d);
        if let Some(pd) = PartialDate::parse(d) {
            out.add_date(
                f.date_value,
                DateTime::from_timestamp_secs(pd.first_day_unix() * 86_400),
            );
        }
    }
    if let Some(u) = &m.url {
        out.add_text(f.url, u);
    }
    for t in &m.tags {
        out.add_text(f.tag, t);
    }
    if let Some(k) = &m.kind {
        out.add_text(f.kind, k);
    }
    if let Some(l) = &m.lang {
        out.add_text(f.lang, l);
    }
    if !m.extra.is_empty() {
        out.add_text(
            f.extra,
            serde_json::Value::Object(m.extra.clone()).to_string(),
        );
    }
}

fn passage_record(doc: &Document, doc_id: &str, p: &Passage, f: &Fields) -> TantivyDocument {
    let mut out = TantivyDocument::default();
    out.add_text(f.rec, REC_PASSAGE);
    out.add_text(f.passage_id, format!("{doc_id}-{}", p.ordinal));
    out.add_u64(f.ordinal, u64::from(p.ordinal));
    add_metadata(&mut out, doc, doc_id, f);
    if let Some(h) = &p.heading {
        out.add_text(f.heading, h);
    }
    out.add_text(f.text, &doc.text[p.byte_start..p.byte_end]);
    if let Some(page) = p.page {
        out.add_u64(f.page, u64::from(page));
    }
    out.add_u64(f.line, u64::from(p.line));
    out.add_u64(f.start, p.start as u64);
    out.add_u64(f.end, p.end as u64);
    out
}

/// The stored description of a whole document, kept in its `doc` record as JSON.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DocumentInfo {
    /// Display path.
    pub path: String,
    /// Source format name.
    pub format: String,
    /// Metadata.
    pub meta: crate::document::Metadata,
    /// Number of passages.
    pub passages: u64,
    /// Number of characters of extracted text.
    pub chars: u64,
}

fn document_record(doc: &Document, doc_id: &str, passages: usize, f: &Fields) -> TantivyDocument {
    let info = DocumentInfo {
        path: doc.path.clone(),
        format: doc.format.name().to_string(),
        meta: doc.meta.clone(),
        passages: passages as u64,
        chars: doc.text.chars().count() as u64,
    };
    let mut out = TantivyDocument::default();
    out.add_text(f.rec, REC_DOC);
    out.add_text(f.doc_id, doc_id);
    out.add_text(f.doc_text, &doc.text);
    out.add_text(
        f.doc_meta,
        serde_json::to_string(&info).unwrap_or_else(|_| "{}".to_string()),
    );
    out
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
    fn doc_ids_are_stable() {
        assert_eq!(doc_id_for("corpus/a.md"), doc_id_for("corpus/a.md"));
        assert_ne!(doc_id_for("corpus/a.md"), doc_id_for("corpus/b.md"));
        assert_eq!(doc_id_for("x").len(), 16);
    }
}
