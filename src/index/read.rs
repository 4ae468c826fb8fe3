//! Reading stored passages and documents back out of the index.
//!
//! [`PassageRecord`] is a passage with its provenance as stored; it is what search hits,
//! `quarry show` and every output format are made from. [`DocumentRecord`] is a whole source
//! document: its metadata and full extracted text.

use super::ingest::DocumentInfo;
use super::QuarryIndex;
use crate::error::{Error, ErrorKind, Result};
use crate::schema::Fields;
use serde::Serialize;
use tantivy::collector::DocSetCollector;
use tantivy::query::TermQuery;
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, TantivyDocument, Term};

/// A stored passage with its document's metadata and its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassageRecord {
    /// Id of the source document (16 hex digits).
    pub doc_id: String,
    /// Id of the passage: `doc_id-ordinal`.
    pub passage_id: String,
    /// 0-based position of the passage in its document.
    pub ordinal: u64,
    /// Path of the source file, as indexed.
    pub path: String,
    /// Source format.
    pub format: String,
    /// Document title.
    pub title: String,
    /// Publisher of the original source.
    pub publisher: Option<String>,
    /// Authors.
    pub authors: Vec<String>,
    /// Date of the original (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    pub date: Option<String>,
    /// URL of the original.
    pub url: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Kind of source.
    pub kind: Option<String>,
    /// Declared language.
    pub lang: Option<String>,
    /// 1-based page, or null.
    pub page: Option<u64>,
    /// Whether its text was read by OCR (from an image or a scanned page).
    pub ocr: bool,
    /// For text read by OCR, the mean confidence of its words, 0 to 100; else null.
    pub ocr_confidence: Option<u64>,
    /// For rows of record files (CSV, TSV, JSON Lines, JSON): the 1-based row, else null.
    pub row: Option<u64>,
    /// 1-based line of the passage's start.
    pub line: u64,
    /// Character offset of the passage in the document's extracted text.
    pub start: u64,
    /// Character offset just past the passage's end.
    pub end: u64,
    /// The nearest heading.
    pub heading: Option<String>,
    /// The passage text.
    pub text: String,
    /// Other metadata from the source (front-matter keys quarry does not interpret).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// The indicators it names (domains, URLs, addresses, handles, hashtags, channels,
    /// hashes), by kind; kinds without any are left out.
    pub indicators: crate::indicators::Indicators,
    /// The whitespace between the previous passage (or the document's start) and this one, for
    /// rebuilding the whole text; not part of the output.
    #[serde(skip)]
    pub gap: String,
}

/// A whole source document.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentRecord {
    /// Document id.
    pub doc_id: String,
    /// Path, format, metadata and counts.
    #[serde(flatten)]
    pub info: DocumentInfo,
    /// The whole extracted text (passage offsets point into it).
    pub text: String,
}

fn first_str(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| v.as_str().map(str::to_string))
}

fn all_str(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn first_u64(doc: &TantivyDocument, field: Field) -> Option<u64> {
    doc.get_first(field).and_then(|v| v.as_u64())
}

/// The indicators stored with a passage.
fn indicators_of(doc: &TantivyDocument, f: &Fields) -> crate::indicators::Indicators {
    let mut out = crate::indicators::Indicators::default();
    for url in all_str(doc, f.indicator_url) {
        out.add(crate::indicators::Kind::Url, url);
    }
    for term in all_str(doc, f.indicator) {
        if let Some((kind, value)) = term.split_once(crate::schema::EXTRA_SEP) {
            if let Some(kind) = crate::indicators::Kind::from_name(kind) {
                out.add(kind, value.to_string());
            }
        }
    }
    out
}

impl PassageRecord {
    /// Reads a passage record from a stored tantivy document.
    pub fn from_stored(doc: &TantivyDocument, f: &Fields) -> PassageRecord {
        let extra = first_str(doc, f.extra)
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        PassageRecord {
            doc_id: first_str(doc, f.doc_id).unwrap_or_default(),
            passage_id: first_str(doc, f.passage_id).unwrap_or_default(),
            ordinal: first_u64(doc, f.ordinal).unwrap_or(0),
            path: first_str(doc, f.path).unwrap_or_default(),
            format: first_str(doc, f.format).unwrap_or_default(),
            title: first_str(doc, f.title)
                .or_else(|| first_str(doc, f.title_shown))
                .unwrap_or_default(),
            publisher: first_str(doc, f.publisher),
            authors: all_str(doc, f.author),
            date: first_str(doc, f.date),
            url: first_str(doc, f.url),
            tags: all_str(doc, f.tag),
            kind: first_str(doc, f.kind),
            lang: first_str(doc, f.lang),
            page: first_u64(doc, f.page),
            ocr: first_u64(doc, f.ocr_confidence).is_some(),
            ocr_confidence: first_u64(doc, f.ocr_confidence),
            row: first_u64(doc, f.row),
            line: first_u64(doc, f.line).unwrap_or(1),
            start: first_u64(doc, f.start).unwrap_or(0),
            end: first_u64(doc, f.end).unwrap_or(0),
            heading: first_str(doc, f.heading),
            text: f
                .text
                .iter()
                .find_map(|&field| first_str(doc, field))
                .unwrap_or_default(),
            extra,
            indicators: indicators_of(doc, f),
            gap: first_str(doc, f.gap).unwrap_or_default(),
        }
    }
}

/// A document's text rebuilt from its passages, in order, with the whitespace between them.
fn joined(passages: &[PassageRecord]) -> String {
    let mut text = String::with_capacity(passages.iter().map(|p| p.gap.len() + p.text.len()).sum());
    for p in passages {
        text.push_str(&p.gap);
        text.push_str(&p.text);
    }
    text
}

impl QuarryIndex {
    /// Every path in the raw path index of `searcher`'s segments, sorted (deleted documents'
    /// paths included until their segments are merged).
    pub(crate) fn indexed_paths(
        &self,
        searcher: &tantivy::Searcher,
    ) -> Result<std::collections::BTreeSet<String>> {
        let mut paths = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment
                .inverted_index(self.fields().path_raw)
                .map_err(|e| Error::engine("cannot read the path index", e))?;
            let mut stream = inverted
                .terms()
                .stream()
                .map_err(|e| Error::engine("cannot read the path index", e))?;
            while stream.advance() {
                if let Ok(path) = std::str::from_utf8(stream.key()) {
                    paths.insert(path.to_string());
                }
            }
        }
        Ok(paths)
    }

    /// Loads a stored document by address.
    pub(crate) fn stored(
        &self,
        searcher: &tantivy::Searcher,
        addr: DocAddress,
    ) -> Result<TantivyDocument> {
        searcher
            .doc::<TantivyDocument>(addr)
            .map_err(|e| Error::engine("cannot read a stored passage", e))
    }

    fn addresses(&self, field: Field, value: &str) -> Result<Vec<DocAddress>> {
        let query = TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        );
        let mut found: Vec<DocAddress> = self
            .searcher()
            .search(&query, &DocSetCollector)
            .map_err(|e| Error::engine("cannot look up the index", e))?
            .into_iter()
            .collect();
        found.sort();
        Ok(found)
    }

    /// The passage with this id, if any.
    pub fn passage(&self, passage_id: &str) -> Result<Option<PassageRecord>> {
        self.guard(|| {
            let searcher = self.searcher();
            match self
                .addresses(self.fields().passage_id, passage_id)?
                .first()
            {
                Some(&addr) => Ok(Some(PassageRecord::from_stored(
                    &self.stored(&searcher, addr)?,
                    self.fields(),
                ))),
                None => Ok(None),
            }
        })
    }

    /// The passages of a document with ordinals in `first..=last`, in order.
    pub fn passages_of(&self, doc_id: &str, first: u64, last: u64) -> Result<Vec<PassageRecord>> {
        self.guard(|| {
            use std::ops::Bound;
            use tantivy::query::{BooleanQuery, Occur, RangeQuery};
            let searcher = self.searcher();
            let f = self.fields();
            let query = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.doc_id, doc_id),
                        IndexRecordOption::Basic,
                    )) as Box<dyn tantivy::query::Query>,
                ),
                (
                    Occur::Must,
                    Box::new(RangeQuery::new(
                        Bound::Included(Term::from_field_u64(f.ordinal, first)),
                        Bound::Included(Term::from_field_u64(f.ordinal, last)),
                    )),
                ),
            ]);
            let mut addresses: Vec<DocAddress> = searcher
                .search(&query, &DocSetCollector)
                .map_err(|e| Error::engine("cannot look up the index", e))?
                .into_iter()
                .collect();
            addresses.sort();
            let mut out = Vec::new();
            for addr in addresses {
                let stored = self.stored(&searcher, addr)?;
                if first_str(&stored, f.passage_id).is_none() {
                    continue; // the document record
                }
                out.push(PassageRecord::from_stored(&stored, f));
            }
            out.sort_by_key(|p| p.ordinal);
            Ok(out)
        })
    }

    /// Calls `each` with every passage of the source file `path` (as the manifest names it:
    /// an archive's members and a dataset's rows included), in index order, reading one stored
    /// passage at a time. Stops at the first error `each` returns.
    pub fn for_each_passage_of_file(
        &self,
        path: &str,
        mut each: impl FnMut(PassageRecord) -> Result<()>,
    ) -> Result<()> {
        self.guard(|| {
            let searcher = self.searcher();
            let f = self.fields();
            for addr in self.addresses(f.path_raw, path)? {
                let stored = self.stored(&searcher, addr)?;
                if first_str(&stored, f.passage_id).is_none() {
                    continue; // the document record
                }
                each(PassageRecord::from_stored(&stored, f))?;
            }
            Ok(())
        })
    }

    /// The address of the passage with this id, if any.
    pub fn passage_address(&self, passage_id: &str) -> Result<Option<DocAddress>> {
        self.guard(|| {
            Ok(self
                .addresses(self.fields().passage_id, passage_id)?
                .first()
                .copied())
        })
    }

    /// The whole document with this id, if any.
    pub fn document(&self, doc_id: &str) -> Result<Option<DocumentRecord>> {
        self.guard(|| {
            let searcher = self.searcher();
            let f = self.fields();
            for addr in self.addresses(f.doc_id, doc_id)? {
                let stored = self.stored(&searcher, addr)?;
                if let Some(meta) = first_str(&stored, f.doc_meta) {
                    let info: DocumentInfo = serde_json::from_str(&meta).map_err(|e| {
                        Error::new(
                            ErrorKind::IncompatibleIndex,
                            format!("unreadable document record for {doc_id}: {e}"),
                        )
                    })?;
                    let mut text = joined(&self.passages_of(doc_id, 0, u64::MAX)?);
                    text.push_str(&first_str(&stored, f.doc_tail).unwrap_or_default());
                    return Ok(Some(DocumentRecord {
                        doc_id: doc_id.to_string(),
                        info,
                        text,
                    }));
                }
            }
            // Rows of record files have no document record: their passages are their text.
            let passages = self.passages_of(doc_id, 0, u64::MAX)?;
            let Some(first) = passages.first() else {
                return Ok(None);
            };
            let meta = crate::document::Metadata {
                title: Some(first.title.clone()),
                authors: first.authors.clone(),
                publisher: first.publisher.clone(),
                date: first.date.clone(),
                url: first.url.clone(),
                tags: first.tags.clone(),
                kind: first.kind.clone(),
                lang: first.lang.clone(),
                description: None,
                extra: first.extra.clone(),
                guessed: Vec::new(),
            };
            let text = joined(&passages);
            Ok(Some(DocumentRecord {
                doc_id: doc_id.to_string(),
                info: DocumentInfo {
                    path: first.path.clone(),
                    format: first.format.clone(),
                    row: first.row,
                    meta,
                    passages: passages.len() as u64,
                    chars: text.chars().count() as u64,
                },
                text,
            }))
        })
    }
}
