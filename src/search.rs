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
}

impl SearchRequest {
    /// A request for `query` with the default limit (10) and snippet length (240).
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            limit: 10,
            snippet_chars: 240,
            lang: None,
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
    let searcher = index.searcher();
    // Fetch a margin beyond the limit so that ties at the cut are broken by path, not by
    // segment order.
    let fetch = request.limit.saturating_add(32).max(1);
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
    scored.truncate(request.limit);

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
                rank: i + 1,
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
