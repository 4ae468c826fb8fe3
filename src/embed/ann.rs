//! Approximate nearest neighbours for large indexes: an HNSW graph over the passage vectors,
//! built and searched by the `usearch` crate, kept in a file beside `vectors.bin`.
//!
//! Below [`MIN_VECTORS`] passages every vector is scanned (exact, and fast enough: see
//! docs/ranking.md, "Nearest neighbours at scale"). From there on `quarry index --embed` also
//! writes `vectors-<hash>.usearch`, named by a hash of the passage ids and text hashes it
//! covers, and `vectors.bin`'s header names it; a search maps it (usearch's view: nothing is
//! read until touched), takes the graph's nearest candidates, and scores them exactly from
//! `vectors.bin`, so the scores and order are those of an exact search over the candidates.
//! A missing or unreadable graph file means an exact scan, never an error.

use super::store::Vectors;
use crate::error::{Error, ErrorKind, Result};
use std::path::Path;
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

/// The fewest vectors for which a graph is built. Measured with `cargo bench --bench vectors`
/// (docs/ranking.md): an exact scan for the 400 nearest of 384-dimensional vectors takes 3 ms
/// at 10,000, 30 ms at 100,000 and 88 ms at 300,000, growing with the count; the graph answers
/// in 2–3 ms at every size. At 50,000 the scan reaches about 15 ms, several BM25 searches'
/// worth, so a graph is built from there on (15 s per 100,000 vectors on 2 cores, against
/// about an hour to embed them).
pub const MIN_VECTORS: usize = 50_000;

/// Candidates asked of the graph per result wanted, before exact scoring.
const OVERSAMPLE: usize = 2;

/// How widely the graph is searched (usearch's `expansion_search`): at least this many
/// candidates are kept while walking it.
const EXPANSION_SEARCH: usize = 256;

/// The file name of the graph over vectors with this `key` (a hash of what they cover).
pub fn file_name(key: u64) -> String {
    format!("vectors-{key:016x}.usearch")
}

/// Whether `name` is a graph file's name (to remove those no longer named).
pub fn is_graph_file(name: &str) -> bool {
    name.starts_with("vectors-") && name.ends_with(".usearch")
}

/// The graph stores its vectors as 8-bit integers (a third of the file of 32-bit floats,
/// measured: 53 against 168 MB for 100,000 vectors, built as fast): they only choose the
/// candidates, which are then scored exactly from `vectors.bin` (recall@100 of 0.999 on the
/// passage-QA vectors).
fn options(dim: usize) -> IndexOptions {
    IndexOptions {
        dimensions: dim,
        metric: MetricKind::IP,
        quantization: ScalarKind::I8,
        connectivity: 0,
        expansion_add: 0,
        expansion_search: EXPANSION_SEARCH,
        multi: false,
    }
}

fn engine(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Engine, format!("{what}: {e}"))
}

/// An HNSW graph over a set of vectors; keys are the vectors' positions in `vectors.bin`.
pub struct Graph {
    // Declared before `_map`, so dropped first: the index reads the mapped bytes until then.
    index: Index,
    /// The graph file, mapped by us when the graph was opened (`None` for one just built).
    _map: Option<memmap2::Mmap>,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field("size", &self.index.size())
            .finish()
    }
}

impl Graph {
    /// Builds the graph of `vectors`, adding them on `threads` threads.
    pub fn build(vectors: &Vectors, threads: usize) -> Result<Graph> {
        let dim = vectors.model().dim;
        let index =
            Index::new(&options(dim)).map_err(|e| engine("cannot make the vector graph", e))?;
        let threads = threads.max(1);
        index
            .reserve_capacity_and_threads(vectors.len(), threads)
            .map_err(|e| engine("cannot make the vector graph", e))?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| engine("cannot start threads", e))?;
        let failed = std::sync::Mutex::new(None);
        pool.install(|| {
            use rayon::prelude::*;
            (0..vectors.len()).into_par_iter().for_each(|i| {
                if let Err(e) = index.add(i as u64, &vectors.vector(i)) {
                    if let Ok(mut f) = failed.lock() {
                        f.get_or_insert_with(|| e.to_string());
                    }
                }
            });
        });
        if let Some(e) = failed.into_inner().ok().flatten() {
            return Err(engine("cannot add a vector to the graph", e));
        }
        Ok(Graph { index, _map: None })
    }

    /// Writes the graph to `path` (a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("usearch.tmp");
        let as_str = |p: &Path| {
            p.to_str().map(str::to_string).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("the index path {} is not UTF-8", p.display()),
                )
            })
        };
        self.index
            .save(&as_str(&tmp)?)
            .map_err(|e| engine(&format!("cannot write {}", tmp.display()), e))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io("write", path, &e)
        })
    }

    /// Maps the graph in `path` for searching vectors of `dim` dimensions; `None` when it is
    /// missing, unreadable, or of another dimension.
    ///
    /// The file is mapped here and handed to usearch as a buffer, not by path: usearch 2.26's
    /// own file view closes descriptor 0 when it is dropped or fails to open (`::close` of a
    /// reset descriptor), which in a process that answers many requests closes someone else's
    /// file.
    pub fn open(path: &Path, dim: usize, count: usize) -> Option<Graph> {
        let file = std::fs::File::open(path).ok()?;
        // SAFETY: graph files are written beside and renamed into place, never in place
        // ([`Graph::save`]), so the mapped bytes do not change while mapped.
        let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        let index = Index::new(&options(dim)).ok()?;
        // SAFETY: `map` lives in the returned graph, which drops `index` before it.
        unsafe { index.view_from_buffer(&map) }.ok()?;
        (index.dimensions() == dim && index.size() == count).then_some(Graph {
            index,
            _map: Some(map),
        })
    }

    /// The positions of about the `k` vectors nearest `query`, to be scored exactly.
    pub fn candidates(&self, query: &[f32], k: usize) -> Option<Vec<usize>> {
        let want = k.saturating_mul(OVERSAMPLE).max(k);
        let found = self.index.search(query, want).ok()?;
        Some(found.keys.into_iter().map(|k| k as usize).collect())
    }
}
