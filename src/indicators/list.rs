//! The indicators of everything a query matches, as a table (`quarry indicators`): each value
//! with the passages and documents that name it, the first and last date among them, and the
//! publishers.
//!
//! One collector reads fast columns only (indicator terms, document id, date, publisher), as
//! [`crate::aggregate`] does; per segment it keeps, for each indicator seen, its passage count,
//! the set of its documents and publishers (as column ordinals) and its date range.

use super::Kind;
use crate::date::iso_day;
use crate::error::{Error, Result};
use crate::index::QuarryIndex;
use crate::schema::EXTRA_SEP;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::Query;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// One indicator of the matching set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Its kind.
    pub kind: Kind,
    /// Its value (normalised as stored).
    pub value: String,
    /// Matching passages that name it.
    pub passages: u64,
    /// Documents with such a passage.
    pub documents: u64,
    /// The earliest date of those documents (`YYYY-MM-DD`, the first day of a partial date).
    pub first: Option<String>,
    /// The latest.
    pub last: Option<String>,
    /// The publishers of those documents, sorted.
    pub publishers: Vec<String>,
}

/// Which indicators to list.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Only these kinds (all when empty).
    pub kinds: Vec<Kind>,
    /// At most this many rows (all when 0), the most documents first.
    pub limit: usize,
}

/// The table of the indicators of the passages `query` matches, the most documents first
/// (then the most passages, then kind and value).
pub fn list(index: &QuarryIndex, query: &dyn Query, request: &Request) -> Result<Vec<Row>> {
    index.guard(|| {
        let searcher = index.searcher();
        let kinds = if request.kinds.is_empty() {
            Kind::ALL.into_iter().filter(|k| k.is_indexed()).collect()
        } else {
            request.kinds.clone()
        };
        let collector = ListCollector { kinds };
        let tallies = searcher
            .search(query, &collector)
            .map_err(|e| Error::engine("listing indicators failed", e))?;
        let mut rows: Vec<Row> = tallies
            .into_iter()
            .map(|((kind, value), t)| Row {
                kind,
                value,
                passages: t.passages,
                documents: t.documents.len() as u64,
                first: t.first.map(iso_day),
                last: t.last.map(iso_day),
                publishers: t.publishers.into_iter().collect(),
            })
            .collect();
        rows.sort_by(|a, b| {
            b.documents
                .cmp(&a.documents)
                .then_with(|| b.passages.cmp(&a.passages))
                .then_with(|| a.kind.cmp(&b.kind))
                .then_with(|| a.value.cmp(&b.value))
        });
        if request.limit > 0 {
            rows.truncate(request.limit);
        }
        Ok(rows)
    })
}

/// What is known of one indicator, across segments.
#[derive(Debug, Default)]
struct Tally {
    passages: u64,
    documents: HashSet<String>,
    first: Option<i64>,
    last: Option<i64>,
    publishers: BTreeSet<String>,
}

/// The same within one segment, by column ordinals.
#[derive(Debug, Default)]
struct OrdTally {
    passages: u64,
    documents: HashSet<u64>,
    first: Option<i64>,
    last: Option<i64>,
    publishers: HashSet<u64>,
}

type Fruit = HashMap<(Kind, String), Tally>;

struct ListCollector {
    kinds: Vec<Kind>,
}

struct ListSegment {
    indicators: Option<StrColumn>,
    /// The ordinal range of each wanted kind's terms (sorted terms: `kind␟value`).
    ranges: Vec<(Kind, std::ops::Range<u64>)>,
    doc_ids: Option<StrColumn>,
    publishers: Option<StrColumn>,
    dates: Option<Column<tantivy::DateTime>>,
    seen: HashMap<u64, OrdTally>,
}

impl Collector for ListCollector {
    type Fruit = Fruit;
    type Child = ListSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<ListSegment> {
        let ff = segment.fast_fields();
        let indicators = ff.str("indicator")?;
        let mut ranges = Vec::new();
        if let Some(column) = &indicators {
            for kind in &self.kinds {
                let prefix = format!("{}{EXTRA_SEP}", kind.name());
                ranges.push((*kind, crate::aggregate::prefix_range(column, &prefix)?));
            }
        }
        Ok(ListSegment {
            indicators,
            ranges,
            doc_ids: ff.str("doc_id")?,
            publishers: ff.str("facet_publisher")?,
            dates: ff.date("date_value").ok(),
            seen: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Fruit>) -> tantivy::Result<Fruit> {
        let mut all = Fruit::new();
        for fruit in fruits {
            for (key, t) in fruit {
                let into = all.entry(key).or_default();
                into.passages += t.passages;
                into.documents.extend(t.documents);
                into.publishers.extend(t.publishers);
                into.first = into.first.into_iter().chain(t.first).min();
                into.last = into.last.into_iter().chain(t.last).max();
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for ListSegment {
    type Fruit = Fruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let Some(column) = &self.indicators else {
            return;
        };
        let mut ords = column
            .term_ords(doc)
            .filter(|o| self.ranges.iter().any(|(_, r)| r.contains(o)))
            .peekable();
        if ords.peek().is_none() {
            return;
        }
        let doc_ord = self.doc_ids.as_ref().and_then(|c| c.term_ords(doc).next());
        let day = self
            .dates
            .as_ref()
            .and_then(|c| c.first(doc))
            .map(|d| d.into_timestamp_secs().div_euclid(86_400));
        let publishers: Vec<u64> = self
            .publishers
            .as_ref()
            .map(|c| c.term_ords(doc).collect())
            .unwrap_or_default();
        for ord in ords {
            let t = self.seen.entry(ord).or_default();
            t.passages += 1;
            t.documents.extend(doc_ord);
            if let Some(day) = day {
                t.first = Some(t.first.map_or(day, |f| f.min(day)));
                t.last = Some(t.last.map_or(day, |l| l.max(day)));
            }
            t.publishers.extend(publishers.iter().copied());
        }
    }

    fn harvest(self) -> Fruit {
        let mut out = Fruit::new();
        let (Some(column), mut buf) = (&self.indicators, String::new()) else {
            return out;
        };
        let name = |col: &Option<StrColumn>, ord: u64| {
            let mut s = String::new();
            if let Some(c) = col {
                let _ = c.ord_to_str(ord, &mut s);
            }
            s
        };
        for (ord, t) in self.seen {
            buf.clear();
            if column.ord_to_str(ord, &mut buf).is_err() {
                continue;
            }
            let Some((kind, value)) = buf.split_once(EXTRA_SEP) else {
                continue;
            };
            let Some(kind) = Kind::from_name(kind) else {
                continue;
            };
            out.insert(
                (kind, value.to_string()),
                Tally {
                    passages: t.passages,
                    documents: t
                        .documents
                        .iter()
                        .map(|&o| name(&self.doc_ids, o))
                        .collect(),
                    first: t.first,
                    last: t.last,
                    publishers: t
                        .publishers
                        .iter()
                        .map(|&o| name(&self.publishers, o))
                        .collect(),
                },
            );
        }
        out
    }
}
