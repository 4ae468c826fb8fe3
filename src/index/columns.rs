//! The fast-field columns every search reads, opened once per segment.
//!
//! Opening a column is not free: a string column loads its dictionary's index and a numeric one
//! the metadata of every block (for a segment of 600,000 passages, over a thousand blocks). A
//! search reads a handful of columns for each segment its candidates come from, so opening them
//! per search cost more than the rest of a search for a rare word (measured on the 1 GB
//! benchmark index: `bench/RESULTS-serve.md`). [`ColumnCache`] keeps each segment's columns for
//! the life of the open index (a long-running `quarry serve` opens one per commit). Segments are
//! immutable, so a segment's columns never change; the cache forgets segments the current
//! searcher no longer has. Each segment also remembers the document ids and paths it has read
//! from its string columns (bounded; see [`SegmentColumns::doc_id_of`]).

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentId;
use tantivy::SegmentReader;

/// The columns of one segment that ranking and hits read.
pub struct SegmentColumns {
    /// The document id of each record.
    pub doc_id: Option<StrColumn>,
    /// The walked file each record comes from.
    pub path_raw: Option<StrColumn>,
    /// A passage's place in its document.
    pub ordinal: Column<u64>,
    /// The format's name (for choosing which copy of a text to show).
    pub format: Option<StrColumn>,
    /// The near-duplicate signature of a passage's text.
    pub signature: Column<u64>,
    /// A passage's PDF page.
    pub page: Column<u64>,
    /// A record's row.
    pub row: Column<u64>,
    /// A passage's first line.
    pub line: Column<u64>,
    doc_ids: Memo,
    paths: Memo,
}

/// How many strings each column's memo of [`SegmentColumns`] keeps before it starts over: one
/// per file or document at most, so a few megabytes.
const MEMO_LIMIT: usize = 100_000;

/// The strings of a dictionary-encoded column already read, by term ordinal. A string is one
/// per document (its id) or per file (its path), read from the column's dictionary by decoding
/// a block up to it: a few microseconds each, for each of a search's candidates.
#[derive(Default)]
struct Memo(Mutex<HashMap<u64, Arc<str>>>);

impl Memo {
    fn get(&self, column: Option<&StrColumn>, doc: tantivy::DocId) -> String {
        let Some(column) = column else {
            return String::new();
        };
        let Some(ord) = column.term_ords(doc).next() else {
            return String::new();
        };
        if let Some(known) = self.lock().get(&ord) {
            return known.to_string();
        }
        let mut out = String::new();
        if column.ord_to_str(ord, &mut out).unwrap_or(false) {
            let mut memo = self.lock();
            if memo.len() >= MEMO_LIMIT {
                memo.clear();
            }
            memo.insert(ord, Arc::from(out.as_str()));
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<str>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SegmentColumns {
    /// The document id of record `doc` ("" for none).
    pub fn doc_id_of(&self, doc: tantivy::DocId) -> String {
        self.doc_ids.get(self.doc_id.as_ref(), doc)
    }

    /// The path of the walked file record `doc` comes from ("" for none).
    pub fn path_of(&self, doc: tantivy::DocId) -> String {
        self.paths.get(self.path_raw.as_ref(), doc)
    }

    fn open(segment: &SegmentReader) -> Result<SegmentColumns> {
        let engine = |e: tantivy::TantivyError| Error::engine("cannot read fast fields", e);
        let ff = segment.fast_fields();
        Ok(SegmentColumns {
            doc_id: ff.str("doc_id").map_err(engine)?,
            path_raw: ff.str("path_raw").map_err(engine)?,
            ordinal: ff.u64("ordinal").map_err(engine)?,
            format: ff.str("facet_format").map_err(engine)?,
            signature: ff.u64("signature").map_err(engine)?,
            page: ff.u64("page").map_err(engine)?,
            row: ff.u64("row").map_err(engine)?,
            line: ff.u64("line").map_err(engine)?,
            doc_ids: Memo::default(),
            paths: Memo::default(),
        })
    }
}

/// Each segment's [`SegmentColumns`], opened on first use.
#[derive(Default)]
pub struct ColumnCache {
    segments: Mutex<HashMap<SegmentId, Arc<SegmentColumns>>>,
}

impl ColumnCache {
    /// The columns of `segment` of `searcher`.
    pub fn get(&self, searcher: &tantivy::Searcher, segment: u32) -> Result<Arc<SegmentColumns>> {
        let reader = searcher.segment_reader(segment);
        let id = reader.segment_id();
        if let Some(columns) = self.lock().get(&id) {
            return Ok(Arc::clone(columns));
        }
        // Opened outside the lock: two searches may open the same segment at once, and one of
        // the two copies is kept.
        let columns = Arc::new(SegmentColumns::open(reader)?);
        let mut map = self.lock();
        if map.len() >= searcher.segment_readers().len() {
            let live: std::collections::HashSet<SegmentId> = searcher
                .segment_readers()
                .iter()
                .map(|r| r.segment_id())
                .collect();
            map.retain(|id, _| live.contains(id));
        }
        Ok(Arc::clone(map.entry(id).or_insert(columns)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentColumns>>> {
        // A panic while holding the lock leaves a map that is still whole: use it.
        self.segments.lock().unwrap_or_else(|e| e.into_inner())
    }
}
