//! Index statistics: what is in an index and how it was built.

use crate::index::QuarryIndex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Statistics of an index.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// The index directory.
    pub index: String,
    /// Files indexed.
    pub documents: u64,
    /// Rows of record files indexed as documents.
    pub records: u64,
    /// Passages indexed.
    pub passages: u64,
    /// Files skipped at the last build.
    pub skipped: u64,
    /// Documents per format.
    pub by_format: BTreeMap<String, u64>,
    /// Files per publisher.
    pub by_publisher: BTreeMap<String, u64>,
    /// Files per kind of source.
    pub by_kind: BTreeMap<String, u64>,
    /// Dated documents and records per year.
    pub by_year: BTreeMap<String, u64>,
    /// Documents and records per language.
    pub by_lang: BTreeMap<String, u64>,
    /// Earliest document date.
    pub date_min: Option<String>,
    /// Latest document date.
    pub date_max: Option<String>,
    /// Documents without a date.
    pub undated: u64,
    /// Bytes the index occupies on disk.
    pub size_bytes: u64,
    /// When the last build finished (RFC 3339).
    pub built_at: String,
    /// How long it took, in seconds.
    pub build_seconds: f64,
    /// The paths it was built from.
    pub sources: Vec<String>,
    /// The quarry version that built it.
    pub quarry_version: String,
    /// Its schema version.
    pub schema_version: u32,
    /// The index fingerprint: a hash over the manifest (paths, content hashes, extractor
    /// versions, configuration), the schema version and the analysis settings; the same corpus
    /// indexed by the same quarry always has the same one.
    pub fingerprint: Option<String>,
    /// Files the last build added, changed, removed and left unchanged.
    pub last_build: LastBuild,
    /// What OCR did.
    pub ocr: OcrStats,
    /// The passage vectors for semantic and hybrid search, if the index has them.
    pub vectors: Option<VectorStats>,
}

/// What the passage vectors of an index are.
#[derive(Debug, Clone, Serialize)]
pub struct VectorStats {
    /// Passages with a vector.
    pub passages: usize,
    /// The model's name.
    pub model: String,
    /// The hash of its configuration, tokenizer and weights.
    pub model_hash: String,
    /// The length of each vector.
    pub dimensions: usize,
    /// Whether searches find the nearest through a graph (from 50,000 vectors) rather than a
    /// scan of every vector.
    pub graph: bool,
}

/// What OCR did for the index.
#[derive(Debug, Clone, Serialize)]
pub struct OcrStats {
    /// Pages of the index whose text was read by OCR.
    pub pages: u64,
    /// What OCR did in the last build: pages Tesseract read, pages taken from the page cache,
    /// pages it could not read.
    pub last_build: crate::ocr::pass::Counts,
    /// Entries in the page cache (`ocr-cache/` in the index directory).
    pub cache_entries: u64,
    /// Their size on disk, in bytes.
    pub cache_bytes: u64,
}

/// What the last build changed.
#[derive(Debug, Clone, Serialize)]
pub struct LastBuild {
    /// Files added.
    pub added: u64,
    /// Files changed.
    pub changed: u64,
    /// Files removed.
    pub removed: u64,
    /// Files left as they were.
    pub unchanged: u64,
}

/// Gathers the statistics of an open index.
pub fn stats(index: &QuarryIndex) -> Stats {
    let m = index.meta();
    let b = index.build_info();
    Stats {
        index: index.dir().display().to_string(),
        documents: b.documents,
        records: b.records,
        passages: b.passages,
        skipped: b.skipped,
        by_format: b.by_format.clone(),
        by_publisher: b.by_publisher.clone(),
        by_kind: b.by_kind.clone(),
        by_year: b.by_year.clone(),
        by_lang: b.by_lang.clone(),
        date_min: b.date_min.clone(),
        date_max: b.date_max.clone(),
        undated: b.undated,
        size_bytes: dir_size(index.dir()),
        built_at: b.built_at.clone(),
        build_seconds: b.build_seconds,
        sources: m.sources.clone(),
        quarry_version: m.quarry_version.clone(),
        schema_version: m.schema_version,
        fingerprint: b.fingerprint.clone(),
        last_build: LastBuild {
            added: b.added,
            changed: b.changed,
            removed: b.removed,
            unchanged: b.unchanged,
        },
        ocr: {
            let (cache_entries, cache_bytes) = crate::ocr::cache::Cache::new(index.dir()).size();
            OcrStats {
                pages: b.ocr_pages,
                last_build: b.ocr_build,
                cache_entries,
                cache_bytes,
            }
        },
        vectors: crate::embed::Vectors::summary(index.dir()).map(|v| VectorStats {
            passages: v.count,
            model: v.model.name,
            model_hash: v.model.hash,
            dimensions: v.model.dim,
            graph: v.graph.is_some_and(|g| {
                crate::embed::ann::is_graph_file(&g) && index.dir().join(g).is_file()
            }),
        }),
    }
}

fn dir_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
