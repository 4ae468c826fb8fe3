//! Counting over everything a query matches: totals (`--count`), counts by metadata value
//! (`--facet FIELD`) and by period (`--timeline --by year|month`).
//!
//! One collector reads fast columns (document id, raw metadata values, date) for every matching
//! passage, so no stored text is read and nothing proportional to the corpus is loaded beyond
//! the sets of matching document ids. Every count is given twice: passages and documents (a
//! row of a record file is a document).

use crate::date::civil_from_days;
use crate::error::{Error, Result};
use crate::index::QuarryIndex;
use crate::schema::FacetField;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::Query;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Passages and documents counted together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Matching passages.
    pub passages: u64,
    /// Documents with at least one matching passage.
    pub documents: u64,
}

/// The count of one facet value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    /// The value (a publisher, a year...).
    pub value: String,
    /// Matching passages with this value.
    pub passages: u64,
    /// Documents with this value and a matching passage.
    pub documents: u64,
}

/// The counts of one facet, most documents first.
#[derive(Debug, Clone, Serialize)]
pub struct Facet {
    /// The facet's name (`publisher`, `year`...).
    pub field: String,
    /// Its values, most documents first, then by value.
    pub values: Vec<FacetValue>,
    /// Matching passages and documents without a value for it.
    pub missing: Counts,
}

/// The length of a timeline's periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Calendar years (`2021`).
    Year,
    /// Calendar months (`2021-06`).
    Month,
}

/// One period of a timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// The period: `YYYY` or `YYYY-MM`.
    pub period: String,
    /// Matching passages dated in it.
    pub passages: u64,
    /// Documents dated in it with a matching passage.
    pub documents: u64,
}

/// Matches over time: every period from the first to the last dated match, empty ones included.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// The length of the periods.
    pub by: Period,
    /// The periods, in time order.
    pub buckets: Vec<Bucket>,
    /// Matching passages and documents without a date.
    pub undated: Counts,
}

/// What to aggregate besides the totals.
#[derive(Debug, Clone, Default)]
pub struct AggregateRequest {
    /// Facets to count.
    pub facets: Vec<FacetField>,
    /// A timeline with periods of this length.
    pub timeline: Option<Period>,
}

/// The aggregates of a query.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregates {
    /// Total matching passages and documents.
    pub total: Counts,
    /// The facets asked for, in the order asked.
    pub facets: Vec<Facet>,
    /// The timeline, if asked for.
    pub timeline: Option<Timeline>,
    /// The engine that answered (`quarry`, or `opensearch`).
    #[serde(skip)]
    pub engine: &'static str,
}

/// Computes aggregates over everything `query` matches.
pub fn aggregate(
    index: &QuarryIndex,
    query: &dyn Query,
    request: &AggregateRequest,
) -> Result<Aggregates> {
    index.guard(|| {
        let searcher = index.searcher();
        let collector = StatsCollector {
            facets: request.facets.clone(),
            schema: index.tantivy().schema(),
            fields: index.fields().facets.clone(),
            timeline: request.timeline,
        };
        let tally = searcher
            .search(query, &collector)
            .map_err(|e| Error::engine("counting failed", e))?;
        let total = tally.all.counts();
        let facets = request
            .facets
            .iter()
            .zip(tally.facets)
            .map(|(facet, (values, missing))| {
                let mut values: Vec<FacetValue> = values
                    .into_iter()
                    .map(|(value, t)| {
                        let c = t.counts();
                        FacetValue {
                            value,
                            passages: c.passages,
                            documents: c.documents,
                        }
                    })
                    .collect();
                values.sort_by(|a, b| {
                    b.documents
                        .cmp(&a.documents)
                        .then_with(|| b.passages.cmp(&a.passages))
                        .then_with(|| a.value.cmp(&b.value))
                });
                Facet {
                    field: facet.name().to_string(),
                    values,
                    missing: missing.counts(),
                }
            })
            .collect();
        let timeline = request.timeline.map(|by| Timeline {
            by,
            buckets: fill_periods(by, &tally.periods),
            undated: tally.undated.counts(),
        });
        Ok(Aggregates {
            total,
            facets,
            timeline,
            engine: crate::search::LOCAL_ENGINE,
        })
    })
}

/// Every period from the first to the last key, with zero counts where nothing matched.
fn fill_periods(by: Period, periods: &BTreeMap<(i64, u32), Tally>) -> Vec<Bucket> {
    let (Some((&first, _)), Some((&last, _))) = (periods.iter().next(), periods.iter().next_back())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut key = first;
    while key <= last {
        let c = periods.get(&key).map(Tally::counts).unwrap_or_default();
        out.push(Bucket {
            period: match by {
                Period::Year => format!("{:04}", key.0),
                Period::Month => format!("{:04}-{:02}", key.0, key.1),
            },
            passages: c.passages,
            documents: c.documents,
        });
        key = match by {
            Period::Year => (key.0 + 1, 0),
            Period::Month if key.1 >= 12 => (key.0 + 1, 1),
            Period::Month => (key.0, key.1 + 1),
        };
    }
    out
}

/// Passages counted and the set of their documents.
#[derive(Debug, Default)]
struct Tally {
    passages: u64,
    documents: HashSet<String>,
}

impl Tally {
    fn counts(&self) -> Counts {
        Counts {
            passages: self.passages,
            documents: self.documents.len() as u64,
        }
    }

    fn merge(&mut self, other: Tally) {
        self.passages += other.passages;
        self.documents.extend(other.documents);
    }
}

/// Per segment: passages counted and document ordinals seen.
#[derive(Debug, Default)]
struct OrdTally {
    passages: u64,
    documents: HashSet<u64>,
}

impl OrdTally {
    fn add(&mut self, doc: Option<u64>) {
        self.passages += 1;
        if let Some(d) = doc {
            self.documents.insert(d);
        }
    }
}

struct StatsCollector {
    facets: Vec<FacetField>,
    schema: tantivy::schema::Schema,
    fields: crate::schema::FacetFields,
    timeline: Option<Period>,
}

#[derive(Debug, Default)]
struct Fruit {
    all: Tally,
    /// Per facet: values and the tally of passages without one.
    facets: Vec<(HashMap<String, Tally>, Tally)>,
    periods: BTreeMap<(i64, u32), Tally>,
    undated: Tally,
}

struct StatsSegment {
    doc_ids: Option<StrColumn>,
    facet_columns: Vec<FacetColumn>,
    dates: Option<Column<tantivy::DateTime>>,
    timeline: Option<Period>,
    all: OrdTally,
    facets: Vec<(HashMap<u64, OrdTally>, OrdTally)>,
    periods: HashMap<(i64, u32), OrdTally>,
    undated: OrdTally,
}

enum FacetColumn {
    Str(Option<StrColumn>),
    /// The values of one `extra` key: the ordinals of the extra column's terms that start with
    /// `key` and the separator (a contiguous range, terms being sorted), and that prefix's
    /// length.
    Extra(Option<StrColumn>, std::ops::Range<u64>, usize),
    Year,
}

/// The ordinals of the terms of `column` that start with `prefix`.
pub(crate) fn prefix_range(
    column: &StrColumn,
    prefix: &str,
) -> std::io::Result<std::ops::Range<u64>> {
    let mut upper = prefix.as_bytes().to_vec();
    // The separator is the last byte of the prefix; the next byte value bounds the range.
    if let Some(last) = upper.last_mut() {
        *last += 1;
    }
    let mut stream = column
        .dictionary()
        .range()
        .ge(prefix.as_bytes())
        .lt(&upper)
        .into_stream()?;
    let mut range: Option<std::ops::Range<u64>> = None;
    while stream.advance() {
        let ord = stream.term_ord();
        range = Some(match range {
            None => ord..ord + 1,
            Some(r) => r.start..ord + 1,
        });
    }
    Ok(range.unwrap_or(0..0))
}

impl Collector for StatsCollector {
    type Fruit = Fruit;
    type Child = StatsSegment;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<StatsSegment> {
        let ff = segment.fast_fields();
        let facet_columns = self
            .facets
            .iter()
            .map(|facet| match (facet, facet.column(&self.fields)) {
                (FacetField::Extra(_) | FacetField::Indicator(_), Some(field)) => {
                    let column = ff.str(self.schema.get_field_name(field))?;
                    let key = match facet {
                        FacetField::Indicator(kind) => kind.name().to_string(),
                        FacetField::Extra(key) => key.clone(),
                        _ => String::new(),
                    };
                    let prefix = format!("{key}{}", crate::schema::EXTRA_SEP);
                    let range = match &column {
                        Some(c) => prefix_range(c, &prefix)?,
                        None => 0..0,
                    };
                    Ok(FacetColumn::Extra(column, range, prefix.len()))
                }
                (_, Some(field)) => ff
                    .str(self.schema.get_field_name(field))
                    .map(FacetColumn::Str),
                (_, None) => Ok(FacetColumn::Year),
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        let needs_dates = self.timeline.is_some() || self.facets.contains(&FacetField::Year);
        Ok(StatsSegment {
            doc_ids: ff.str("doc_id")?,
            dates: if needs_dates {
                Some(ff.date("date_value")?)
            } else {
                None
            },
            facets: self.facets.iter().map(|_| Default::default()).collect(),
            facet_columns,
            timeline: self.timeline,
            all: OrdTally::default(),
            periods: HashMap::new(),
            undated: OrdTally::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Fruit>) -> tantivy::Result<Fruit> {
        let mut out = Fruit {
            facets: self.facets.iter().map(|_| Default::default()).collect(),
            ..Fruit::default()
        };
        for fruit in fruits {
            out.all.merge(fruit.all);
            for (mine, theirs) in out.facets.iter_mut().zip(fruit.facets) {
                for (value, tally) in theirs.0 {
                    mine.0.entry(value).or_default().merge(tally);
                }
                mine.1.merge(theirs.1);
            }
            for (key, tally) in fruit.periods {
                out.periods.entry(key).or_default().merge(tally);
            }
            out.undated.merge(fruit.undated);
        }
        Ok(out)
    }
}

/// The (year, month) of a date column value.
fn year_month(date: tantivy::DateTime) -> (i64, u32) {
    let days = date.into_timestamp_secs().div_euclid(86_400);
    let (y, m, _) = civil_from_days(days);
    (y, m)
}

impl SegmentCollector for StatsSegment {
    type Fruit = Fruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let doc_ord = self.doc_ids.as_ref().and_then(|c| c.term_ords(doc).next());
        self.all.add(doc_ord);
        let date = self.dates.as_ref().and_then(|c| c.first(doc));
        for (column, (values, missing)) in self.facet_columns.iter().zip(&mut self.facets) {
            match column {
                FacetColumn::Str(col) => {
                    let mut any = false;
                    if let Some(col) = col {
                        for ord in col.term_ords(doc) {
                            any = true;
                            values.entry(ord).or_default().add(doc_ord);
                        }
                    }
                    if !any {
                        missing.add(doc_ord);
                    }
                }
                FacetColumn::Extra(col, range, _) => {
                    let mut any = false;
                    if let Some(col) = col {
                        for ord in col.term_ords(doc).filter(|o| range.contains(o)) {
                            any = true;
                            values.entry(ord).or_default().add(doc_ord);
                        }
                    }
                    if !any {
                        missing.add(doc_ord);
                    }
                }
                FacetColumn::Year => match date {
                    // Years are kept as numbers in the same map; resolved in `harvest`.
                    Some(d) => values
                        .entry(year_month(d).0 as u64)
                        .or_default()
                        .add(doc_ord),
                    None => missing.add(doc_ord),
                },
            }
        }
        if let Some(by) = self.timeline {
            match date {
                Some(d) => {
                    let (y, m) = year_month(d);
                    let key = match by {
                        Period::Year => (y, 0),
                        Period::Month => (y, m),
                    };
                    self.periods.entry(key).or_default().add(doc_ord);
                }
                None => self.undated.add(doc_ord),
            }
        }
    }

    fn harvest(self) -> Fruit {
        let mut buf = String::new();
        let doc_ids = self.doc_ids;
        let mut doc_name = |ord: u64| -> String {
            buf.clear();
            if let Some(col) = &doc_ids {
                let _ = col.ord_to_str(ord, &mut buf);
            }
            buf.clone()
        };
        let mut resolve = |t: OrdTally| Tally {
            passages: t.passages,
            documents: t.documents.into_iter().map(&mut doc_name).collect(),
        };
        let mut value_buf = String::new();
        let facets = self
            .facet_columns
            .iter()
            .zip(self.facets)
            .map(|(column, (values, missing))| {
                let values = values
                    .into_iter()
                    .map(|(ord, tally)| {
                        let value = match column {
                            FacetColumn::Str(Some(col)) => {
                                value_buf.clear();
                                let _ = col.ord_to_str(ord, &mut value_buf);
                                value_buf.clone()
                            }
                            FacetColumn::Extra(Some(col), _, prefix) => {
                                value_buf.clear();
                                let _ = col.ord_to_str(ord, &mut value_buf);
                                value_buf.get(*prefix..).unwrap_or("").to_string()
                            }
                            FacetColumn::Str(None) | FacetColumn::Extra(None, _, _) => {
                                String::new()
                            }
                            FacetColumn::Year => format!("{:04}", ord as i64),
                        };
                        (value, resolve(tally))
                    })
                    .collect();
                (values, resolve(missing))
            })
            .collect();
        Fruit {
            all: resolve(self.all),
            facets,
            periods: self
                .periods
                .into_iter()
                .map(|(k, t)| (k, resolve(t)))
                .collect(),
            undated: resolve(self.undated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timelines_include_empty_periods() {
        let mut periods = BTreeMap::new();
        periods.insert(
            (2019, 11),
            Tally {
                passages: 2,
                documents: ["a".to_string()].into_iter().collect(),
            },
        );
        periods.insert((2020, 2), Tally::default());
        let buckets = fill_periods(Period::Month, &periods);
        let names: Vec<&str> = buckets.iter().map(|b| b.period.as_str()).collect();
        assert_eq!(names, ["2019-11", "2019-12", "2020-01", "2020-02"]);
        assert_eq!(buckets[0].passages, 2);
        assert_eq!(buckets[0].documents, 1);
        assert_eq!(buckets[1].passages, 0);
        let mut years = BTreeMap::new();
        years.insert((2018, 0), Tally::default());
        years.insert((2020, 0), Tally::default());
        let names: Vec<String> = fill_periods(Period::Year, &years)
            .into_iter()
            .map(|b| b.period)
            .collect();
        assert_eq!(names, ["2018", "2019", "2020"]);
    }
}
