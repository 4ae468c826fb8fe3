//! Related passages: `quarry similar PASSAGE_ID` finds the passages of *other* documents most
//! like a given one, so a talking point can be followed across sources.
//!
//! A more-like-this query is built from the passage's own text: its most distinctive terms (by
//! frequency in the passage times rarity in the index, up to [`MAX_TERMS`]; terms found in no
//! other passage are useless and left out), each scored by BM25 and weighted by that
//! distinctiveness. The passage's own document is excluded. Scores are relative to the
//! passage itself: 1.0 means as similar to it as it is to itself, so `--min-score 0.5` keeps
//! strong matches on any corpus.

use crate::error::{Error, ErrorKind, Result};
use crate::index::QuarryIndex;
use crate::query::ParsedQuery;
use crate::schema::REC_PASSAGE;
use crate::search::{self, Mode, SearchRequest, SearchResults};
use std::collections::HashSet;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TokenStream;
use tantivy::Term;

/// The most terms of the passage the query uses.
pub const MAX_TERMS: usize = 30;

/// Passages of other documents most like passage `passage_id`. The request's query is ignored;
/// its limit, offset, filters, cap per document, minimum score (on the relative scale), snippet
/// length, context and explanation apply. Its mode chooses the likeness: shared distinctive
/// words ([`Mode::Bm25`]), nearness of the passages' vectors ([`Mode::Semantic`], scored by
/// cosine, so 1.0 is again the passage itself; no model is needed, the passage's own vector is
/// stored), or both fused ([`Mode::Hybrid`], among passages sharing a distinctive word).
pub fn similar(
    index: &QuarryIndex,
    passage_id: &str,
    request: &SearchRequest,
) -> Result<SearchResults> {
    index.guard(|| {
        let not_found = || {
            Error::new(
                ErrorKind::InvalidInput,
                format!("no passage with id '{passage_id}'"),
            )
            .with_hint(
                "take a passage id from search results (the 'id' line, or passage_id in JSON)",
            )
        };
        let source = index.passage(passage_id)?.ok_or_else(not_found)?;
        let addr = index.passage_address(passage_id)?.ok_or_else(not_found)?;
        let f = index.fields();
        let field = f.text[crate::analysis::text_field_for(source.lang.as_deref())];
        let searcher = index.searcher();
        let weighted = distinctive_terms(index, &searcher, field, &source.text)?;
        let best = weighted.first().map_or(1.0, |(_, w)| *w);
        let clauses: Vec<(Occur, Box<dyn Query>)> = weighted
            .iter()
            .map(|(term, w)| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                ));
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(q, w / best)) as Box<dyn Query>,
                )
            })
            .collect();
        let like: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        // The passage's score against its own terms sets the scale.
        let stats = crate::scoring::PassageStatistics::new(&searcher, f.rec);
        let self_score = like
            .weight(crate::scoring::scoring(&stats, &searcher))
            .and_then(|w| w.explain(searcher.segment_reader(addr.segment_ord), addr.doc_id))
            .map(|e| e.value())
            .unwrap_or(0.0);
        let nothing_shared = weighted.is_empty() || self_score <= 0.0;
        if nothing_shared && request.mode != Mode::Semantic {
            return Ok(SearchResults {
                query: passage_id.to_string(),
                hits: Vec::new(),
                total: 0,
                offset: request.offset,
                fingerprint: index.fingerprint().map(str::to_string),
                engine: crate::search::LOCAL_ENGINE,
            });
        }
        // (By meaning alone, a passage of no shared word still has neighbours.)
        let self_score = if nothing_shared { 1.0 } else { self_score };
        let scaled: Box<dyn Query> = Box::new(BoostQuery::new(like, 1.0 / self_score));
        let terms: HashSet<String> = weighted.iter().map(|(t, _)| t.clone()).collect();
        let scoring_terms = weighted
            .iter()
            .map(|(t, w)| (Term::from_field_text(field, t), w / best / self_score))
            .collect();
        let text_index = f.text.iter().position(|&t| t == field).unwrap_or(0);
        let mut text_terms = vec![HashSet::new(); f.text.len()];
        text_terms[text_index] = terms;
        let query = BooleanQuery::new(vec![
            (Occur::Must, scaled),
            (
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.doc_id, &source.doc_id),
                    IndexRecordOption::Basic,
                )),
            ),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.rec, REC_PASSAGE),
                        IndexRecordOption::Basic,
                    )),
                    0.0,
                )),
            ),
        ]);
        let parsed = ParsedQuery {
            query: Box::new(query),
            text_terms,
            translit_terms: HashSet::new(),
            scoring_terms,
            content_words: 0,
            core: None,
        };
        let mut request = request.clone();
        if request.mode != Mode::Bm25 {
            let vectors = index.vectors()?.ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("the index {} has no passage vectors", index.dir().display()),
                )
                .with_hint("make them with quarry index --embed --model DIR")
            })?;
            let vector = vectors.vector_of(passage_id).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("the passage '{passage_id}' has no vector"),
                )
                .with_hint("bring the vectors up to date with quarry index --embed")
            })?;
            request.near = Some(vector);
            request.filters.not_doc = Some(source.doc_id.clone());
        }
        let parsed = search::with_filters(index, parsed, &request.filters)?;
        let mut results = search::run(index, &parsed, &request)?;
        results.query = passage_id.to_string();
        Ok(results)
    })
}

/// The passage's most distinctive terms with their weights (term frequency × idf), best first.
fn distinctive_terms(
    index: &QuarryIndex,
    searcher: &tantivy::Searcher,
    field: Field,
    text: &str,
) -> Result<Vec<(String, f32)>> {
    let mut analyzer = index
        .tantivy()
        .tokenizer_for_field(field)
        .map_err(|e| Error::engine("cannot analyse the passage", e))?;
    let mut tf: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        if token.text.chars().count() >= 2 {
            *tf.entry(token.text.clone()).or_insert(0) += 1;
        }
    }
    let n = searcher.num_docs() as f32;
    let mut weighted = Vec::with_capacity(tf.len());
    for (term, count) in tf {
        let df = searcher
            .doc_freq(&Term::from_field_text(field, &term))
            .map_err(|e| Error::engine("cannot read term statistics", e))? as f32;
        if df < 2.0 {
            continue; // only in this passage: it cannot lead anywhere
        }
        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        weighted.push((term, count as f32 * idf));
    }
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    weighted.truncate(MAX_TERMS);
    Ok(weighted)
}
