//! Searching: a query in, ranked passages (or documents) with provenance, highlights, snippets
//! and citations out.
//!
//! Ranking is BM25 over passage text and title (see [`crate::query`]). The order is
//! total and reproducible: score, then path, then ordinal, never segment order; enough
//! candidates are fetched that ties at the cut are decided the same way on every run. Passages
//! per document are capped ([`SearchRequest::per_doc`]) or grouped ([`search_documents`]). In a
//! list of passages, copies of one text collapse into one hit that names the others
//! ([`Hit::also_in`], see [`crate::collapse`]). Stored
//! fields, highlights, snippets, context and explanations are computed only for what is returned.

pub use crate::collapse::Preference;
pub use crate::filter::Filters;

use crate::collapse;
use crate::embed::{fusion, Embedder};
use crate::error::{Error, ErrorKind, Result};
use crate::feedback::{self, Feedback};
use crate::highlight::{self, CharRange};
use crate::index::columns::SegmentColumns;
use crate::index::read::PassageRecord;
use crate::index::QuarryIndex;
use crate::query::{self, ParsedQuery, QueryOptions};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tantivy::collector::{Count, DocSetCollector};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Term};

/// What to search for and how to return it.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The query, in quarry's query syntax (docs/query.md).
    pub query: String,
    /// Every word is required (`--all`), instead of ranking alternatives.
    pub all_terms: bool,
    /// The most hits (or documents, when grouping) to return.
    pub limit: usize,
    /// Skip this many hits (or documents) first, for paging; ranks continue from it.
    pub offset: usize,
    /// The snippet length, in characters.
    pub snippet_chars: usize,
    /// Metadata and date filters; all must hold.
    pub filters: Filters,
    /// At most this many passages per document (`None`: no cap). When grouping, the most
    /// passages shown per document.
    pub per_doc: Option<usize>,
    /// Hits below this score are dropped.
    pub min_score: Option<f32>,
    /// Neighbouring passages to include before and after each hit.
    pub context: usize,
    /// Explain each hit's score term by term.
    pub explain: bool,
    /// When words from the best passages are added to the query (see [`crate::feedback`]).
    pub feedback: Feedback,
    /// Copies of one text collapse into one hit, showing the copy of the most preferred format
    /// (`None`: every copy is its own hit). Lists of passages only.
    pub collapse: Option<Preference>,
    /// How passages are ranked: by words (BM25, the default), by meaning, or both fused.
    pub mode: Mode,
    /// The sentence-embedding model for [`Mode::Semantic`] and [`Mode::Hybrid`]: the one the
    /// index's vectors were made with.
    pub embedder: Option<Arc<dyn Embedder>>,
    /// Rank by nearness to this vector instead of the query's (`similar`: a passage's own
    /// vector); no model is needed then.
    pub near: Option<Vec<f32>>,
}

/// How a list of passages is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// By the query's words (BM25 with quarry's scoring): the default.
    #[default]
    Bm25,
    /// By nearness of meaning to the query (sentence embeddings, cosine).
    Semantic,
    /// Both rankings fused by reciprocal rank.
    Hybrid,
}

/// How deep each ranking goes before two are fused: the fused list's first page is decided by
/// the first hundred or so of each.
pub const FUSION_DEPTH: usize = 100;

impl SearchRequest {
    /// A request for `query` with the defaults: 10 hits, 240-character snippets, no filters,
    /// no cap per document.
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            all_terms: false,
            limit: 10,
            offset: 0,
            snippet_chars: 240,
            filters: Filters::default(),
            per_doc: None,
            min_score: None,
            context: 0,
            explain: false,
            feedback: Feedback::Auto,
            collapse: Some(Preference::default()),
            mode: Mode::Bm25,
            embedder: None,
            near: None,
        }
    }
}

/// A neighbouring passage shown for context.
#[derive(Debug, Clone, Serialize)]
pub struct ContextPassage {
    /// Its passage id.
    pub passage_id: String,
    /// Its position in the document.
    pub ordinal: u64,
    /// Its page, if any.
    pub page: Option<u64>,
    /// Its text.
    pub text: String,
}

/// One query term's part in a hit's score.
#[derive(Debug, Clone, Serialize)]
pub struct TermScore {
    /// The field it matched in.
    pub field: String,
    /// The analysed term (stemmed, lower case).
    pub term: String,
    /// Its contribution: BM25 times the field's boost.
    pub score: f32,
    /// Occurrences in the field of this passage.
    pub freq: Option<f32>,
    /// Its inverse document frequency (rarer terms weigh more).
    pub idf: Option<f32>,
}

/// Why a hit scored what it did.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The hit's score.
    pub score: f32,
    /// Each matching term's contribution.
    pub terms: Vec<TermScore>,
    /// The rest of the score: the bonus for query words found close together or in order, and
    /// boosts given in the query.
    pub other: f32,
    /// What the whole score was multiplied by for a passage shorter than the length floor
    /// (1 for the rest; see [`crate::scoring::LENGTH_FLOOR`]).
    pub length_factor: f32,
    /// In semantic and hybrid search, where the passage stood in each ranking; then `terms`
    /// explain its words' BM25 alone and `other` is 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranks: Option<Ranks>,
}

/// A passage's places in the rankings that [`Mode::Semantic`] and [`Mode::Hybrid`] use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ranks {
    /// Its 1-based rank by BM25 (hybrid only; `None` beyond the depth fused or not matching).
    pub bm25: Option<usize>,
    /// Its 1-based rank by meaning (`None` beyond the depth fused).
    pub semantic: Option<usize>,
    /// The cosine of its vector and the query's, when it was among the nearest.
    pub cosine: Option<f32>,
}

/// Another place holding a copy of a hit's text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Copy {
    /// Passage id of the copy.
    pub passage_id: String,
    /// Its document's id.
    pub doc_id: String,
    /// Path of its source file.
    pub path: String,
    /// Its source format.
    pub format: String,
    /// Its page, if any.
    pub page: Option<u64>,
    /// For rows of record files, the row.
    pub row: Option<u64>,
    /// The line it starts on.
    pub line: u64,
    /// Its own score.
    pub score: f32,
}

/// One ranked passage.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// 1-based rank.
    pub rank: usize,
    /// Relevance score (higher is better; comparable only within one query).
    pub score: f32,
    /// The passage and its provenance.
    #[serde(flatten)]
    pub passage: PassageRecord,
    /// A ready-to-paste citation of the passage.
    pub cite: String,
    /// A short extract of the text around the matches.
    pub snippet: String,
    /// Matched terms in `text`, as character ranges `[start, end)`.
    pub highlights: Vec<CharRange>,
    /// Matched terms in `snippet`, as character ranges `[start, end)`.
    pub snippet_highlights: Vec<CharRange>,
    /// Passages just before this one (with `--context`), in document order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_before: Option<Vec<ContextPassage>>,
    /// Passages just after this one (with `--context`), in document order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_after: Option<Vec<ContextPassage>>,
    /// The score term by term (with `--explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explanation>,
    /// Other places holding a copy of this text, in rank order (empty when there are none, or
    /// when collapsing is off). A collapsed hit's `score` is the best among its copies.
    pub also_in: Vec<Copy>,
}

/// The hits of a search and how many passages matched in all.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// The query as given.
    pub query: String,
    /// The returned hits, best first.
    pub hits: Vec<Hit>,
    /// How many passages matched the query and filters.
    pub total: usize,
    /// The offset the hits start after.
    pub offset: usize,
    /// The fingerprint of the index searched.
    pub fingerprint: Option<String>,
    /// The engine that answered: [`LOCAL_ENGINE`], or `opensearch` (see
    /// [`crate::opensearch`]).
    pub engine: &'static str,
}

/// The name of quarry's own engine in the `engine` field of results (docs/json.md).
pub const LOCAL_ENGINE: &str = "quarry";

/// A document with its best passages (`--group doc`).
#[derive(Debug, Clone, Serialize)]
pub struct DocumentHit {
    /// 1-based rank among documents.
    pub rank: usize,
    /// The score of its best passage.
    pub score: f32,
    /// Document id.
    pub doc_id: String,
    /// Path of the source file.
    pub path: String,
    /// Source format.
    pub format: String,
    /// For rows of record files, the row.
    pub row: Option<u64>,
    /// Title.
    pub title: String,
    /// Publisher.
    pub publisher: Option<String>,
    /// Authors.
    pub authors: Vec<String>,
    /// Date.
    pub date: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Kind of source.
    pub kind: Option<String>,
    /// Language.
    pub lang: Option<String>,
    /// A ready-to-paste citation of the document.
    pub cite: String,
    /// How many of its passages match.
    pub matches: usize,
    /// Its best passages, best first (ranks count within the document).
    pub passages: Vec<Hit>,
}

impl DocumentHit {
    /// The document of `passages` (its best first), ranked `rank`, with `matches` matching
    /// passages; `None` without passages. Its metadata and score are its best passage's.
    pub fn of(rank: usize, matches: usize, passages: Vec<Hit>) -> Option<DocumentHit> {
        let best = passages.first()?;
        let p = &best.passage;
        Some(DocumentHit {
            rank,
            score: best.score,
            doc_id: p.doc_id.clone(),
            path: p.path.clone(),
            format: p.format.clone(),
            row: p.row,
            title: p.title.clone(),
            publisher: p.publisher.clone(),
            authors: p.authors.clone(),
            date: p.date.clone(),
            url: p.url.clone(),
            kind: p.kind.clone(),
            lang: p.lang.clone(),
            cite: crate::cite::document(p),
            matches,
            passages,
        })
    }
}

/// The documents of a grouped search.
#[derive(Debug, Clone)]
pub struct DocumentResults {
    /// The query as given.
    pub query: String,
    /// The returned documents, best first.
    pub documents: Vec<DocumentHit>,
    /// How many passages matched in all.
    pub total: usize,
    /// The offset the documents start after.
    pub offset: usize,
    /// The fingerprint of the index searched.
    pub fingerprint: Option<String>,
    /// The engine that answered.
    pub engine: &'static str,
}

/// Runs a search for ranked passages.
pub fn search(index: &QuarryIndex, request: &SearchRequest) -> Result<SearchResults> {
    index.guard(|| {
        let parsed = prepare(index, request)?;
        run(index, &parsed, request)
    })
}

/// The query of `request` with its filters, ready to run for a list of passages.
pub fn prepare(index: &QuarryIndex, request: &SearchRequest) -> Result<ParsedQuery> {
    prepare_for(index, request, false)
}

/// The query of `request` with its filters, ready to run; `documents` when it ranks documents
/// (which is where [`Feedback::Auto`] uses feedback).
fn prepare_for(
    index: &QuarryIndex,
    request: &SearchRequest,
    documents: bool,
) -> Result<ParsedQuery> {
    let parsed = query::parse_with(
        index,
        &request.query,
        QueryOptions {
            all_terms: request.all_terms,
        },
    )?;
    let mut parsed = with_filters(index, parsed, &request.filters)?;
    if documents {
        // Documents rank by their best passage over every match, as measured (docs/ranking.md).
        parsed.core = None;
    } else {
        parsed = with_context(index, parsed);
    }
    let wanted = match request.feedback {
        Feedback::Never => false,
        Feedback::Auto => documents && parsed.content_words >= feedback::MIN_QUERY_WORDS,
        Feedback::Always => !parsed.scoring_terms.is_empty(),
    };
    if !wanted {
        return Ok(parsed);
    }
    // The first pass: the first documents, and each of their passages among the candidates.
    let searcher = index.searcher();
    let documents = feedback::FEEDBACK_DOCUMENTS;
    let (candidates, _) = ranked(
        index,
        &searcher,
        parsed.query.as_ref(),
        None,
        documents * 4,
        false,
        |c| document_cut(c, documents),
    )?;
    let top: std::collections::HashSet<&str> = best_per_document(&candidates)
        .take(documents)
        .map(|c| c.doc_id.as_str())
        .collect();
    let seeds: Vec<feedback::Seed> = candidates
        .iter()
        .filter(|c| top.contains(c.doc_id.as_str()))
        .map(|c| feedback::Seed {
            addr: c.addr,
            score: c.score,
        })
        .collect();
    let words = parsed.content_words;
    feedback::expand(index, &searcher, parsed, &seeds, words)
}

/// Lets the query's words in the passages just before and after a passage (the `context`
/// field) add to its score, at [`query::CONTEXT_BOOST`] of their weight. The passage itself
/// must still match: context re-ranks and never adds a hit. Only queries of plain words (no
/// operators, so no excluded word earns a bonus) and words of the default text field count.
fn with_context(index: &QuarryIndex, mut parsed: ParsedQuery) -> ParsedQuery {
    let f = index.fields();
    let boost = query::CONTEXT_BOOST;
    if parsed.content_words == 0 {
        return parsed;
    }
    let extra: Vec<(Term, f32)> = parsed
        .scoring_terms
        .iter()
        .filter(|(t, _)| t.field() == f.text[0])
        .filter_map(|(t, b)| {
            let value = t.value();
            let word = value.as_str()?;
            Some((Term::from_field_text(f.context, word), b * boost))
        })
        .collect();
    if extra.is_empty() {
        return parsed;
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, parsed.query)];
    for (term, b) in &extra {
        clauses.push((
            Occur::Should,
            Box::new(tantivy::query::BoostQuery::new(
                Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                *b,
            )),
        ));
    }
    parsed.query = Box::new(BooleanQuery::new(clauses));
    parsed.scoring_terms.extend(extra);
    parsed
}

/// Adds `filters` to a parsed query as required clauses that do not score.
pub fn with_filters(
    index: &QuarryIndex,
    mut parsed: ParsedQuery,
    filters: &Filters,
) -> Result<ParsedQuery> {
    let filters = filters.queries(index)?;
    if !filters.is_empty() {
        // Filtered: every match is scored (the words' best may not pass the filters).
        parsed.core = None;
        let mut clauses = vec![(Occur::Must, parsed.query)];
        clauses.extend(filters.into_iter().map(|q| {
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>,
            )
        }));
        parsed.query = Box::new(BooleanQuery::new(clauses));
    }
    Ok(parsed)
}

/// A matching passage before its stored fields are read: what ranking needs.
struct Candidate {
    score: f32,
    addr: DocAddress,
    doc_id: String,
    path: String,
    ordinal: u64,
    /// Format and near-duplicate signature, read only when copies collapse.
    copy_key: Option<(&'static str, Option<collapse::Signature>)>,
    /// Its places in the rankings fused, in semantic and hybrid search.
    ranks: Option<Ranks>,
}

/// The best candidates of `query`, sorted by score, path and ordinal, fetching more until
/// `enough` says the list decides the page (no tie at the cut is left out), and the number of
/// matching passages.
fn ranked(
    index: &QuarryIndex,
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    core: Option<&dyn Query>,
    initial: usize,
    copies: bool,
    enough: impl Fn(&[Candidate]) -> Option<f32>,
) -> Result<(Vec<Candidate>, usize)> {
    // Never ask for more than the index holds: a huge --limit or --offset costs nothing.
    let records = usize::try_from(searcher.num_docs())
        .unwrap_or(usize::MAX)
        .max(1);
    let f = index.fields();
    let engine = |e| Error::engine("search failed", e);
    let mut fetch = initial.max(16).min(records);
    loop {
        // With `core`, the words' best passages are re-scored by the whole query; the page is
        // decided once they fill it. Otherwise every match is scored, and the page is decided
        // when no passage left out could tie with its last.
        let (top, total, exhausted, lowest) = match core {
            Some(core) => {
                let depth = fetch.max(query::RERANK_DEPTH).min(records);
                let crate::scoring::Reranked {
                    mut top,
                    total,
                    candidates: found,
                } = crate::scoring::reranked(searcher, f.rec, &f.text, core, query, depth)
                    .map_err(engine)?;
                // Only the best `fetch` of them (and any tied with the last) are read further.
                top.sort_by(|a, b| b.0.total_cmp(&a.0));
                let mut kept = top.len().min(fetch);
                while kept > 0 && kept < top.len() && top[kept].0 == top[kept - 1].0 {
                    kept += 1;
                }
                let every = kept == top.len() && found == total;
                top.truncate(kept);
                (top, total, every, None)
            }
            None => {
                let (top, total) =
                    crate::scoring::top(searcher, f.rec, &f.text, query, fetch).map_err(engine)?;
                let exhausted = top.len() < fetch;
                let lowest = top.last().map(|(s, _)| *s);
                (top, total, exhausted, lowest)
            }
        };
        let mut candidates = candidates(index, searcher, top, copies)?;
        sort_candidates(index, searcher, &mut candidates)?;
        // `enough` gives the score at the cut once the list is long enough.
        let decided = match (enough(&candidates), lowest, core) {
            (Some(_), _, Some(_)) => true,
            (Some(cut), Some(low), None) => low < cut,
            _ => false,
        };
        if exhausted || decided || fetch >= total {
            return Ok((candidates, total));
        }
        fetch = fetch.saturating_mul(4).min(total.max(1));
    }
}

fn candidates(
    index: &QuarryIndex,
    searcher: &tantivy::Searcher,
    top: Vec<(f32, DocAddress)>,
    copies: bool,
) -> Result<Vec<Candidate>> {
    let mut columns: HashMap<u32, Arc<SegmentColumns>> = HashMap::new();
    let mut format_names: HashMap<(u32, u64), &'static str> = HashMap::new();
    let mut out = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let cols = match columns.entry(addr.segment_ord) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(index.columns(searcher, addr.segment_ord)?)
            }
        };
        let doc_id = cols.doc_id_of(addr.doc_id);
        // The path only breaks ties between equal scores: read when needed ([`path_of`]).
        let path = String::new();
        let ordinal = cols.ordinal.first(addr.doc_id).unwrap_or(0);
        let copy_key = if copies {
            let format_col = &cols.format;
            // Few formats: each segment's names are looked up once per term ordinal.
            let format = match format_col
                .as_ref()
                .and_then(|col| col.term_ords(addr.doc_id).next())
            {
                Some(ord) => *format_names
                    .entry((addr.segment_ord, ord))
                    .or_insert_with(|| {
                        let mut name = String::new();
                        let known = format_col
                            .as_ref()
                            .is_some_and(|col| col.ord_to_str(ord, &mut name).unwrap_or(false));
                        known
                            .then(|| crate::document::Format::from_name(&name))
                            .flatten()
                            .map_or("", |f| f.name())
                    }),
                None => "",
            };
            let signature =
                collapse::Signature::from_values(cols.signature.values_for_doc(addr.doc_id));
            Some((format, signature))
        } else {
            None
        };
        out.push(Candidate {
            score,
            addr,
            doc_id,
            path,
            ordinal,
            copy_key,
            ranks: None,
        });
    }
    Ok(out)
}

/// Sorts candidates by score, then (among equal scores) by path and ordinal: the paths of
/// tied candidates are read here, and only theirs.
fn sort_candidates(
    index: &QuarryIndex,
    searcher: &tantivy::Searcher,
    candidates: &mut [Candidate],
) -> Result<()> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut start = 0;
    while start < candidates.len() {
        let score = candidates[start].score;
        let end = start
            + candidates[start..]
                .iter()
                .take_while(|c| c.score.total_cmp(&score).is_eq())
                .count();
        if end - start > 1 {
            for c in &mut candidates[start..end] {
                c.path = path_of(index, searcher, c)?;
            }
            candidates[start..end]
                .sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.ordinal.cmp(&b.ordinal)));
        }
        start = end;
    }
    Ok(())
}

/// The path (of the walked file) a candidate comes from: read from its column unless it was
/// read already (a candidate's path is empty until needed).
fn path_of(index: &QuarryIndex, searcher: &tantivy::Searcher, c: &Candidate) -> Result<String> {
    if !c.path.is_empty() {
        return Ok(c.path.clone());
    }
    Ok(index
        .columns(searcher, c.addr.segment_ord)?
        .path_of(c.addr.doc_id))
}

/// Each document's first (best) candidate, in rank order.
fn best_per_document(candidates: &[Candidate]) -> impl Iterator<Item = &Candidate> {
    let mut seen = std::collections::HashSet::new();
    candidates
        .iter()
        .filter(move |c| seen.insert(c.doc_id.as_str()))
}

/// The cut when ranking documents by their best passage: the best score of the document
/// ranked just beyond the first `n`, once the candidates reach that far.
fn document_cut(candidates: &[Candidate], n: usize) -> Option<f32> {
    best_per_document(candidates).nth(n).map(|c| c.score)
}

/// A hit before its stored fields are read: the candidate shown, the other copies of its text,
/// and its score (the best of its copies).
struct Entry {
    shown: usize,
    copies: Vec<usize>,
    score: f32,
}

/// The first `most` hits of the candidates (in rank order), at most `per_doc` per document
/// and none below `min_score`: each candidate its own, or with `collapse`, copies of one text
/// as one hit showing the preferred copy and naming the rest (see [`collapse::collapse`];
/// the cap counts the shown copy's document). Later hits are never needed, and copies are
/// found by band among many hits: the cost stays linear in the candidates.
fn entries(
    candidates: &[Candidate],
    collapse: Option<&Preference>,
    per_doc: Option<usize>,
    min_score: Option<f32>,
    most: usize,
) -> Vec<Entry> {
    let items: Vec<collapse::Item<'_>> = candidates
        .iter()
        .map(|c| collapse::Item {
            // Without collapsing, no candidate is a copy of another.
            signature: collapse
                .and(c.copy_key.as_ref())
                .and_then(|(_, s)| s.as_ref()),
            format: c.copy_key.as_ref().map_or("", |(f, _)| f),
            doc: c.doc_id.as_str(),
            eligible: min_score.is_none_or(|m| c.score >= m),
        })
        .collect();
    let default = Preference::default();
    collapse::collapse(&items, collapse.unwrap_or(&default), most, per_doc)
        .into_iter()
        .map(|g| Entry {
            score: g.members.first().map_or(0.0, |&m| candidates[m].score),
            copies: g.members.into_iter().filter(|&m| m != g.shown).collect(),
            shown: g.shown,
        })
        .collect()
}

/// Each document in the order of its first entry, with that entry.
fn shown_documents<'c>(
    candidates: &'c [Candidate],
    entries: &'c [Entry],
) -> impl Iterator<Item = (&'c str, &'c Entry)> {
    let mut seen = std::collections::HashSet::new();
    entries.iter().filter_map(move |e| {
        let doc = candidates[e.shown].doc_id.as_str();
        seen.insert(doc).then_some((doc, e))
    })
}

/// Candidates fetched, at the least, when copies collapse: copies of a shown hit are looked
/// for among these.
fn collapse_window(wanted: usize) -> usize {
    wanted.saturating_mul(3).saturating_add(64)
}

/// Runs a prepared query: ranking, collapsing copies, cap per document, paging, then the shown
/// hits.
pub fn run(
    index: &QuarryIndex,
    parsed: &ParsedQuery,
    request: &SearchRequest,
) -> Result<SearchResults> {
    let searcher = index.searcher();
    let wanted = request.offset.saturating_add(request.limit);
    let mut initial = match request.per_doc {
        Some(_) => wanted.saturating_mul(4).saturating_add(64),
        None => wanted.saturating_add(32),
    };
    let collapse = request.collapse.as_ref();
    if collapse.is_some() {
        initial = initial.max(collapse_window(wanted));
    }
    let per_doc = request.per_doc;
    let min_score = request.min_score;
    let (candidates, total) = ranking(
        index,
        &searcher,
        parsed,
        request,
        initial,
        collapse.is_some(),
        |c| {
            if min_score.is_some_and(|m| c.last().is_some_and(|l| l.score < m)) {
                return Some(f32::INFINITY);
            }
            entries(c, collapse, per_doc, None, wanted.saturating_add(1))
                .get(wanted)
                .map(|e| e.score)
        },
    )?;
    let shown: Vec<Entry> = entries(&candidates, collapse, per_doc, min_score, wanted)
        .into_iter()
        .skip(request.offset)
        .collect();
    let mut hits = Vec::with_capacity(shown.len());
    for (i, e) in shown.into_iter().enumerate() {
        let mut hit = make_hit(
            index,
            &searcher,
            parsed,
            request,
            request.offset + i + 1,
            &candidates[e.shown],
        )?;
        hit.score = e.score;
        for &m in &e.copies {
            hit.also_in.push(copy_of(index, &searcher, &candidates[m])?);
        }
        hits.push(hit);
    }
    Ok(SearchResults {
        query: request.query.clone(),
        hits,
        total,
        offset: request.offset,
        fingerprint: index.fingerprint().map(str::to_string),
        engine: LOCAL_ENGINE,
    })
}

/// The candidates of `request`'s mode, best first, and how many passages match: BM25's
/// through [`ranked`] (fetching until `enough` decides the page), or [`by_meaning`]'s.
fn ranking(
    index: &QuarryIndex,
    searcher: &tantivy::Searcher,
    parsed: &ParsedQuery,
    request: &SearchRequest,
    initial: usize,
    copies: bool,
    enough: impl Fn(&[Candidate]) -> Option<f32>,
) -> Result<(Vec<Candidate>, usize)> {
    match request.mode {
        Mode::Bm25 => ranked(
            index,
            searcher,
            parsed.query.as_ref(),
            parsed.core.as_deref(),
            initial,
            copies,
            enough,
        ),
        mode => by_meaning(index, searcher, parsed, request, mode, initial, copies),
    }
}

/// The candidates of [`Mode::Semantic`] (the passages nearest the query's meaning that pass
/// the filters, scored by cosine) or [`Mode::Hybrid`] (those and BM25's, each ranking `depth`
/// deep, fused by reciprocal rank), best first, and how many passages match.
fn by_meaning(
    index: &QuarryIndex,
    searcher: &tantivy::Searcher,
    parsed: &ParsedQuery,
    request: &SearchRequest,
    mode: Mode,
    depth: usize,
    copies: bool,
) -> Result<(Vec<Candidate>, usize)> {
    let depth = depth.max(FUSION_DEPTH);
    let Some(vectors) = index.vectors()? else {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("the index {} has no passage vectors", index.dir().display()),
        )
        .with_hint("make them with quarry index --embed --model DIR"));
    };
    let query: Vec<f32> = match &request.near {
        Some(v) => v.clone(),
        None => {
            let Some(embedder) = request.embedder.as_ref() else {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "semantic and hybrid search need the sentence-embedding model",
                )
                .with_hint("give its folder with --model DIR or QUARRY_MODEL"));
            };
            if vectors.model() != embedder.id() {
                return Err(crate::embed::mismatch(vectors.model(), embedder.id()));
            }
            embedder
                .embed(&[request.query.as_str()])?
                .into_iter()
                .next()
                .unwrap_or_default()
        }
    };
    let query = query.as_slice();
    // Filters may leave out many of the nearest: look further, then keep `depth` that pass.
    let near = vectors.nearest(query, depth.saturating_mul(4));
    let f = index.fields();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::Must,
        Box::new(tantivy::query::TermSetQuery::new(
            near.iter()
                .map(|(id, _)| Term::from_field_text(f.passage_id, id)),
        )),
    )];
    for q in request.filters.queries(index)? {
        clauses.push((Occur::Must, q));
    }
    // Hybrid ranking orders the passages that match the query's words: meaning moves them, it
    // adds none that share no word with the query (so "no match" stays "no match").
    if mode == Mode::Hybrid {
        clauses.push((Occur::Must, parsed.query.box_clone()));
    }
    let found: Vec<(f32, DocAddress)> = searcher
        .search(&BooleanQuery::new(clauses), &DocSetCollector)
        .map_err(|e| Error::engine("search failed", e))?
        .into_iter()
        .map(|addr| (0.0, addr))
        .collect();
    let mut passing: HashMap<String, Candidate> = candidates(index, searcher, found, copies)?
        .into_iter()
        .map(|c| (format!("{}-{}", c.doc_id, c.ordinal), c))
        .collect();
    let dense: Vec<(String, f32)> = near
        .into_iter()
        .filter(|(id, _)| passing.contains_key(*id))
        .take(depth)
        .map(|(id, s)| (id.to_string(), s))
        .collect();
    if mode == Mode::Semantic {
        let total = dense.len();
        let out = dense
            .into_iter()
            .enumerate()
            .filter_map(|(i, (id, cosine))| {
                let mut c = passing.remove(&id)?;
                c.score = cosine;
                c.ranks = Some(Ranks {
                    bm25: None,
                    semantic: Some(i + 1),
                    cosine: Some(cosine),
                });
                Some(c)
            })
            .collect();
        return Ok((out, total));
    }
    let (lexical, lexical_total) = ranked(
        index,
        searcher,
        parsed.query.as_ref(),
        parsed.core.as_deref(),
        depth,
        copies,
        |c| (c.len() >= depth).then_some(f32::INFINITY),
    )?;
    let key = |c: &Candidate| format!("{}-{}", c.doc_id, c.ordinal);
    let lexical: Vec<Candidate> = lexical.into_iter().take(depth).collect();
    let lists = [
        lexical.iter().map(key).collect::<Vec<_>>(),
        dense.iter().map(|(id, _)| id.clone()).collect(),
    ];
    let bm25_rank: HashMap<&str, usize> = lists[0]
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i + 1))
        .collect();
    let semantic_rank: HashMap<&str, (usize, f32)> = dense
        .iter()
        .enumerate()
        .map(|(i, (id, cosine))| (id.as_str(), (i + 1, *cosine)))
        .collect();
    let fused =
        fusion::weighted_reciprocal_rank(&[(&lists[0], 1.0), (&lists[1], fusion::SEMANTIC_WEIGHT)]);
    let total = lexical_total;
    let mut by_id: HashMap<String, Candidate> = lexical.into_iter().map(|c| (key(&c), c)).collect();
    let out = fused
        .into_iter()
        .filter_map(|(id, score)| {
            let mut c = by_id.remove(&id).or_else(|| passing.remove(&id))?;
            c.score = score;
            let near = semantic_rank.get(id.as_str());
            c.ranks = Some(Ranks {
                bm25: bm25_rank.get(id.as_str()).copied(),
                semantic: near.map(|n| n.0),
                cosine: near.map(|n| n.1),
            });
            Some(c)
        })
        .collect();
    Ok((out, total))
}

/// Where a copy is, read from fast columns (its stored text is not needed).
fn copy_of(index: &QuarryIndex, searcher: &tantivy::Searcher, c: &Candidate) -> Result<Copy> {
    let cols = index.columns(searcher, c.addr.segment_ord)?;
    let doc = c.addr.doc_id;
    Ok(Copy {
        passage_id: format!("{}-{}", c.doc_id, c.ordinal),
        doc_id: c.doc_id.clone(),
        path: path_of(index, searcher, c)?,
        format: c.copy_key.as_ref().map_or("", |(f, _)| f).to_string(),
        page: cols.page.first(doc),
        row: cols.row.first(doc),
        line: cols.line.first(doc).unwrap_or(1),
        score: c.score,
    })
}

/// One entry of a bare ranking ([`rank`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Document id.
    pub doc_id: String,
    /// Passage id (of the document's best passage, when ranking documents).
    pub passage_id: String,
    /// Path as indexed.
    pub path: String,
    /// Score.
    pub score: f32,
}

/// The first `depth` documents (each ranked by its best passage) or, with `passages`, the
/// first `depth` passages of `request`'s query, in the order search gives them. Read from
/// fast columns only (no stored text, snippets or counts), for evaluation and other uses that
/// need the ranking alone. The request's filters, feedback, mode and (for passages) collapsing
/// of copies apply; paging and the cap per document do not.
pub fn rank(
    index: &QuarryIndex,
    request: &SearchRequest,
    depth: usize,
    passages: bool,
) -> Result<Vec<Ranked>> {
    index.guard(|| {
        let parsed = prepare_for(index, request, !passages)?;
        let searcher = index.searcher();
        let collapse = request.collapse.as_ref().filter(|_| passages);
        let mut initial = depth
            .saturating_mul(if passages { 1 } else { 4 })
            .saturating_add(64);
        if collapse.is_some() {
            initial = initial.max(collapse_window(depth));
        }
        // In semantic and hybrid search, documents rank by their best passage of the fused
        // list, as with BM25.
        let (candidates, _) = ranking(
            index,
            &searcher,
            &parsed,
            request,
            initial,
            collapse.is_some(),
            |c| {
                if passages {
                    return entries(c, collapse, None, None, depth.saturating_add(1))
                        .get(depth)
                        .map(|e| e.score);
                }
                document_cut(c, depth)
            },
        )?;
        // Candidates are in rank order, so a document's first is its best passage. (Adding a share
        // of its other passages' scores measured worse: docs/ranking.md.)
        let chosen: Vec<(&Candidate, f32)> = if passages {
            entries(&candidates, collapse, None, None, depth)
                .into_iter()
                .map(|e| (&candidates[e.shown], e.score))
                .collect()
        } else {
            best_per_document(&candidates)
                .take(depth)
                .map(|c| (c, c.score))
                .collect()
        };
        chosen
            .into_iter()
            .map(|(c, score)| {
                Ok(Ranked {
                    passage_id: format!("{}-{}", c.doc_id, c.ordinal),
                    doc_id: c.doc_id.clone(),
                    path: path_of(index, &searcher, c)?,
                    score,
                })
            })
            .collect()
    })
}

/// Runs a search grouped by document: each document ranked by its best passage, with up to
/// `per_doc` (default 3) of its best passages. With collapsing, copies of one text are one
/// passage of the document of the shown copy, naming the others in `also_in`, so a document
/// whose passages are all copies of another's (the HTML edition of a PDF) is not listed.
pub fn search_documents(index: &QuarryIndex, request: &SearchRequest) -> Result<DocumentResults> {
    index.guard(|| {
        let parsed = prepare_for(index, request, true)?;
        let searcher = index.searcher();
        let per_doc = request.per_doc.unwrap_or(3).max(1);
        let wanted = request.offset.saturating_add(request.limit);
        let collapse = request.collapse.as_ref();
        let (candidates, total) = ranking(
            index,
            &searcher,
            &parsed,
            request,
            wanted
                .saturating_mul(per_doc)
                .saturating_mul(4)
                .saturating_add(64),
            collapse.is_some(),
            |c| match collapse {
                None => document_cut(c, wanted),
                Some(_) => shown_documents(c, &entries(c, collapse, None, None, usize::MAX))
                    .nth(wanted)
                    .map(|(_, e)| e.score),
            },
        )?;
        // Each passage a hit, or copies of one text one hit in the document of the shown copy
        // (a document whose every passage is a copy of another's shows no more).
        let mut order: Vec<String> = Vec::new();
        let mut groups: HashMap<String, Vec<Entry>> = HashMap::new();
        for e in entries(&candidates, collapse, None, request.min_score, usize::MAX) {
            let doc_id = candidates[e.shown].doc_id.clone();
            let group = groups.entry(doc_id.clone()).or_default();
            if group.is_empty() {
                order.push(doc_id);
            }
            group.push(e);
        }
        let mut documents = Vec::new();
        for (i, doc_id) in order
            .into_iter()
            .skip(request.offset)
            .take(request.limit)
            .enumerate()
        {
            let Some(group) = groups.remove(&doc_id) else {
                continue;
            };
            let matches = count_in_document(&searcher, index, parsed.query.as_ref(), &doc_id)?;
            let mut passages = Vec::new();
            for (j, e) in group.iter().take(per_doc).enumerate() {
                let c = &candidates[e.shown];
                let mut hit = make_hit(index, &searcher, &parsed, request, j + 1, c)?;
                hit.score = e.score;
                for &m in &e.copies {
                    hit.also_in.push(copy_of(index, &searcher, &candidates[m])?);
                }
                passages.push(hit);
            }
            documents.extend(DocumentHit::of(request.offset + i + 1, matches, passages));
        }
        Ok(DocumentResults {
            query: request.query.clone(),
            documents,
            total,
            offset: request.offset,
            fingerprint: index.fingerprint().map(str::to_string),
            engine: LOCAL_ENGINE,
        })
    })
}

fn count_in_document(
    searcher: &tantivy::Searcher,
    index: &QuarryIndex,
    query: &dyn Query,
    doc_id: &str,
) -> Result<usize> {
    let q = BooleanQuery::new(vec![
        (Occur::Must, query.box_clone()),
        (
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_text(index.fields().doc_id, doc_id),
                IndexRecordOption::Basic,
            )),
        ),
    ]);
    searcher
        .search(&q, &Count)
        .map_err(|e| Error::engine("search failed", e))
}

fn make_hit(
    index: &QuarryIndex,
    searcher: &tantivy::Searcher,
    parsed: &ParsedQuery,
    request: &SearchRequest,
    rank: usize,
    c: &Candidate,
) -> Result<Hit> {
    let passage = PassageRecord::from_stored(&index.stored(searcher, c.addr)?, index.fields());
    let highlights = highlight::highlight_ranges(
        &passage.text,
        passage.lang.as_deref(),
        &parsed.text_terms,
        &parsed.translit_terms,
    );
    let (snippet, snippet_highlights) =
        highlight::snippet(&passage.text, &highlights, request.snippet_chars);
    let (context_before, context_after) = if request.context > 0 {
        let n = request.context as u64;
        let around = index.passages_of(
            &passage.doc_id,
            passage.ordinal.saturating_sub(n),
            passage.ordinal.saturating_add(n),
        )?;
        let to_context = |p: &PassageRecord| ContextPassage {
            passage_id: p.passage_id.clone(),
            ordinal: p.ordinal,
            page: p.page,
            text: p.text.clone(),
        };
        (
            Some(
                around
                    .iter()
                    .filter(|p| p.ordinal < passage.ordinal)
                    .map(to_context)
                    .collect(),
            ),
            Some(
                around
                    .iter()
                    .filter(|p| p.ordinal > passage.ordinal)
                    .map(to_context)
                    .collect(),
            ),
        )
    } else {
        (None, None)
    };
    let explain = if request.explain {
        Some(explain(index, searcher, parsed, c)?)
    } else {
        None
    };
    Ok(Hit {
        rank,
        score: c.score,
        cite: crate::cite::passage(&passage),
        passage,
        snippet,
        highlights,
        snippet_highlights,
        context_before,
        context_after,
        explain,
        also_in: Vec::new(),
    })
}

/// Each scoring term's BM25 contribution to a hit.
fn explain(
    index: &QuarryIndex,
    searcher: &tantivy::Searcher,
    parsed: &ParsedQuery,
    c: &Candidate,
) -> Result<Explanation> {
    let schema = index.tantivy().schema();
    let segment = searcher.segment_reader(c.addr.segment_ord);
    let mut terms = Vec::new();
    let stats = crate::scoring::PassageStatistics::new(searcher, index.fields().rec);
    for (term, factor) in &parsed.scoring_terms {
        let query = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
        let weight = query
            .weight(crate::scoring::scoring(&stats, searcher))
            .map_err(|e| Error::engine("cannot explain the score", e))?;
        let Ok(found) = weight.explain(segment, c.addr.doc_id) else {
            continue; // the passage does not contain this term
        };
        let boost = *factor;
        let tree = serde_json::to_value(&found).unwrap_or_default();
        terms.push(TermScore {
            field: schema.get_field_name(term.field()).to_string(),
            term: term.value().as_str().unwrap_or_default().to_string(),
            score: found.value() * boost,
            freq: find_value(&tree, "freq, occurrences"),
            idf: find_value(&tree, "idf"),
        });
    }
    terms.sort_by(|a, b| b.score.total_cmp(&a.score));
    let sum: f32 = terms.iter().map(|t| t.score).sum();
    let length_factor = crate::scoring::length_factor_of(
        searcher,
        index.fields().rec,
        &index.fields().text,
        c.addr,
    );
    Ok(Explanation {
        score: c.score,
        other: match c.ranks {
            Some(_) => 0.0,
            None => c.score / length_factor.max(f32::MIN_POSITIVE) - sum,
        },
        terms,
        length_factor,
        ranks: c.ranks,
    })
}

/// The value of the first node of a tantivy explanation whose description starts with `prefix`.
fn find_value(tree: &serde_json::Value, prefix: &str) -> Option<f32> {
    if tree["description"]
        .as_str()
        .is_some_and(|d| d.starts_with(prefix))
    {
        return tree["value"].as_f64().map(|v| v as f32);
    }
    for key in ["details", "context"] {
        if let Some(children) = tree[key].as_array() {
            if let Some(v) = children.iter().find_map(|c| find_value(c, prefix)) {
                return Some(v);
            }
        }
    }
    None
}
