//! Searching: a query in, ranked passages with provenance, highlights and snippets out.
//!
//! Ranking is BM25 over passage text and title. Ties are broken deterministically (score, then
//! path, then ordinal), never by segment order, so the same index always gives the same list.
//! Stored fields, highlights and snippets are computed only for the hits returned.

use crate::error::{Error, Result};
use crate::highlight::{self, CharRange};
use crate::index::read::PassageRecord;
use crate::index::QuarryIndex;
use crate::query;
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

/// What to search for and how many hits to return.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The query, in quarry's query syntax.
    pub query: String,
    /// The most hits to return.
    pub limit: usize,
    /// The snippet length, in characters.
    pub snippet_chars: usize,
    /// Only passages of documents in this language (a code such as `ru`, or a name).
    pub lang: Option<String>,
    /// Metadata and date filters; all must hold.
    pub filters: Filters,
    /// At most this many passages per document (`None`: no cap).
    pub per_doc: Option<usize>,
    /// Skip this many hits (for paging); ranks continue from it.
    pub offset: usize,
}

/// Filters on document metadata. Text values match as phrases in their field (case and accents
/// ignored); dates compare the first day of a document's date with the periods given, so
/// undated documents never pass a date filter.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Publisher (words of it, in order).
    pub publisher: Option<String>,
    /// An author.
    pub author: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    /// Kind of source.
    pub kind: Option<String>,
    /// Source format: a format name (`pdf`, `html`, `markdown`/`md`, `text`/`txt`, `docx`, `odt`,
    /// `csv`, `tsv`, `jsonl`, `json`) or `record` for any record format.
    pub format: Option<String>,
    /// Dated on or after the start of this period.
    pub since: Option<crate::date::PartialDate>,
    /// Dated before the end of this period.
    pub until: Option<crate::date::PartialDate>,
}

impl SearchRequest {
    /// A request for `query` with the default limit (10) and snippet length (240).
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            limit: 10,
            snippet_chars: 240,
            lang: None,
            filters: Filters::default(),
            per_doc: None,
            offset: 0,
        }
    }
}

/// One ranked passage.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// 1-based rank.
    pub rank: usize,
    /// BM25 score (higher is better; comparable only within one query).
    pub score: f32,
    /// The passage and its provenance.
    #[serde(flatten)]
    pub passage: PassageRecord,
    /// A short extract of the text around the matches.
    pub snippet: String,
    /// Matched terms in `text`, as character ranges `[start, end)`.
    pub highlights: Vec<CharRange>,
    /// Matched terms in `snippet`, as character ranges `[start, end)`.
    pub snippet_highlights: Vec<CharRange>,
}

/// The hits of a search and the number of passages that matched in all.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// The returned hits, best first.
    pub hits: Vec<Hit>,
    /// How many passages matched the query.
    pub total: usize,
}

/// Runs a search.
pub fn search(index: &QuarryIndex, request: &SearchRequest) -> Result<SearchResults> {
    let mut parsed = query::parse(index, &request.query)?;
    if let Some(lang) = &request.lang {
        let code = crate::analysis::detect::normalise(lang).ok_or_else(|| {
            crate::error::Error::new(
                crate::error::ErrorKind::Query,
                format!("unknown language '{lang}'"),
            )
            .with_hint("give a language code such as en, ru, zh, ar, de")
        })?;
        let filter = TermQuery::new(
            Term::from_field_text(index.fields().lang, &code),
            IndexRecordOption::Basic,
        );
        parsed.query = Box::new(BooleanQuery::new(vec![
            (Occur::Must, parsed.query),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(filter), 0.0)),
            ),
        ]));
    }
    let filters = filter_queries(index, &request.filters)?;
    if !filters.is_empty() {
        let mut clauses = vec![(Occur::Must, parsed.query)];
        clauses.extend(filters.into_iter().map(|q| {
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn tantivy::query::Query>,
            )
        }));
        parsed.query = Box::new(BooleanQuery::new(clauses));
    }
    let searcher = index.searcher();
    // Fetch a margin beyond what is shown so that ties at the cut are broken by path, not by
    // segment order, and so that capping passages per document still fills the page.
    let wanted = request.offset.saturating_add(request.limit);
    let fetch = match request.per_doc {
        Some(_) => wanted.saturating_mul(4).saturating_add(64),
        None => wanted.saturating_add(32),
    }
    .max(1);
    let (top, total) = searcher
        .search(
            &parsed.query,
            &(TopDocs::with_limit(fetch).order_by_score(), Count),
        )
        .map_err(|e| Error::engine("search failed", e))?;

    let mut scored = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let stored = index.stored(&searcher, addr)?;
        scored.push((score, PassageRecord::from_stored(&stored, index.fields())));
    }
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.path.cmp(&b.1.path))
            .then_with(|| a.1.ordinal.cmp(&b.1.ordinal))
    });
    if let Some(cap) = request.per_doc {
        let mut per_doc: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        scored.retain(|(_, p)| {
            let n = per_doc.entry(p.doc_id.clone()).or_insert(0);
            *n += 1;
            *n <= cap.max(1)
        });
    }
    let scored: Vec<_> = scored
        .into_iter()
        .skip(request.offset)
        .take(request.limit)
        .collect();

    let hits = scored
        .into_iter()
        .enumerate()
        .map(|(i, (score, passage))| {
            let highlights = highlight::highlight_ranges(
                &passage.text,
                passage.lang.as_deref(),
                &parsed.text_terms,
                &parsed.translit_terms,
            );
            let (snippet, snippet_highlights) =
                highlight::snippet(&passage.text, &highlights, request.snippet_chars);
            Hit {
                rank: request.offset + i + 1,
                score,
                passage,
                snippet,
                highlights,
                snippet_highlights,
            }
        })
        .collect();
    Ok(SearchResults { hits, total })
}

/// The queries for `filters`, each to be required.
fn filter_queries(
    index: &QuarryIndex,
    filters: &Filters,
) -> Result<Vec<Box<dyn tantivy::query::Query>>> {
    use crate::error::{Error, ErrorKind};
    use std::ops::Bound;
    let f = index.fields();
    let parser = tantivy::query::QueryParser::for_index(index.tantivy(), Vec::new());
    let mut out: Vec<Box<dyn tantivy::query::Query>> = Vec::new();
    let mut phrase = |field: &str, value: &str| -> Result<()> {
        let words: String = value
            .chars()
            .map(|c| if c == '"' || c == '\\' { ' ' } else { c })
            .collect();
        if words.trim().is_empty() {
            return Ok(());
        }
        let q = parser
            .parse_query(&format!("{field}:\"{}\"", words.trim()))
            .map_err(|e| {
                Error::new(
                    ErrorKind::Query,
                    format!("cannot filter on {field} '{value}': {e}"),
                )
            })?;
        out.push(q);
        Ok(())
    };
    if let Some(v) = &filters.publisher {
        phrase("publisher", v)?;
    }
    if let Some(v) = &filters.author {
        phrase("author", v)?;
    }
    if let Some(v) = &filters.tag {
        phrase("tag", v)?;
    }
    if let Some(v) = &filters.kind {
        phrase("kind", v)?;
    }
    if let Some(v) = &filters.format {
        let names: Vec<&str> = match v.to_ascii_lowercase().as_str() {
            "record" | "records" => vec!["csv", "tsv", "jsonl", "json"],
            "md" => vec!["markdown"],
            "txt" => vec!["text"],
            "htm" => vec!["html"],
            other => match crate::document::Format::from_name(other) {
                Some(format) => vec![format.name()],
                None => {
                    return Err(Error::new(ErrorKind::Query, format!("unknown source type '{v}'"))
                        .with_hint("types are pdf, html, markdown (md), text (txt), docx, odt, csv, tsv, jsonl, json, or record"))
                }
            },
        };
        let alternatives = names
            .into_iter()
            .map(|n| {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.format, n),
                        IndexRecordOption::Basic,
                    )) as Box<dyn tantivy::query::Query>,
                )
            })
            .collect();
        out.push(Box::new(BooleanQuery::new(alternatives)));
    }
    if filters.since.is_some() || filters.until.is_some() {
        let day = |d: i64| {
            Term::from_field_date(
                f.date_value,
                tantivy::DateTime::from_timestamp_secs(d * 86_400),
            )
        };
        let lower = filters.since.map_or(Bound::Unbounded, |d| {
            Bound::Included(day(d.first_day_unix()))
        });
        let upper = filters
            .until
            .map_or(Bound::Unbounded, |d| Bound::Excluded(day(d.end_unix())));
        out.push(Box::new(tantivy::query::RangeQuery::new(lower, upper)));
    }
    Ok(out)
}
