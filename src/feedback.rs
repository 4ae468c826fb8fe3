//! Pseudo-relevance feedback: a long plain-word query is run once, the words that characterise
//! its best passages are added to it, and it is run again (RM3, Lavrenko and Croft's relevance
//! model interpolated with the query).
//! By default ([`Feedback::Auto`]) only document rankings use it; passage lists do not.
//!
//! The added words only re-rank: every hit still matches the query as typed (the original
//! query stays required), filters still hold, and only the typed words are highlighted. The
//! measurements behind the settings are in docs/ranking.md.
//!
//! The steps:
//! 1. rank the query's passages; take the first [`FEEDBACK_DOCUMENTS`] documents and their
//!    passages among the first candidates (a document's best passage always, others as far
//!    as they rank);
//! 2. weigh each term of those passages (analysed as they were indexed, stop words dropped) by
//!    its share of the passage's terms times the passage's score, summed over the passages;
//! 3. keep the [`FEEDBACK_TERMS`] heaviest;
//! 4. score `ORIGINAL_WEIGHT × query / words + (1 − ORIGINAL_WEIGHT) × Σ weight × BM25(term)`,
//!    the added terms' weights normalised to sum to one, as the original words' do.

use crate::analysis::{text_field_for, TEXT_FIELDS};
use crate::error::{Error, Result};
use crate::index::read::PassageRecord;
use crate::index::QuarryIndex;
use crate::query::ParsedQuery;
use std::collections::{BTreeMap, HashMap, HashSet};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TokenStream;
use tantivy::{DocAddress, Term};

/// How many top documents the added words are drawn from (each of their passages that ranks
/// among the first candidates, weighted by its score; their best passages only measured
/// 0.001–0.004 lower, docs/ranking.md).
pub const FEEDBACK_DOCUMENTS: usize = 10;
/// How many words are added.
pub const FEEDBACK_TERMS: usize = 20;
/// The weight of the query as typed; the added words share the rest.
pub const ORIGINAL_WEIGHT: f32 = 0.5;
/// Feedback is used by default for plain-word queries of at least this many words (stop words
/// not counted): short queries often name what they want ("rapid alert system"), and feedback
/// drawn from a few documents can then favour one that merely shares their vocabulary; long
/// ones describe it. Below this, proximity counts instead
/// ([`crate::query::PROXIMITY_MAX_WORDS`]).
pub const MIN_QUERY_WORDS: usize = 5;

/// Terms found in more than this share of all passages are not added: they say little about
/// any passage (a guard for languages without a stop-word list). Lower limits cost Cranfield
/// 0.003 nDCG@10 (docs/ranking.md).
pub const MAX_TERM_SHARE: f32 = 0.5;

/// When pseudo-relevance feedback is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Feedback {
    /// When ranking documents (`--group doc`, `quarry eval`, `quarry check`), for plain-word
    /// queries of at least [`MIN_QUERY_WORDS`] words; never for a list of passages, where it
    /// was measured to cost passage questions a fifth of their answers (docs/ranking.md).
    #[default]
    Auto,
    /// For every query with words to score.
    Always,
    /// Never.
    Never,
}

/// A first-pass hit the feedback draws on.
pub(crate) struct Seed {
    /// The passage's address.
    pub addr: DocAddress,
    /// Its first-pass score.
    pub score: f32,
}

/// `parsed` with the feedback words added, or unchanged when the seeds give no words.
pub(crate) fn expand(
    index: &QuarryIndex,
    searcher: &tantivy::Searcher,
    parsed: ParsedQuery,
    seeds: &[Seed],
    query_words: usize,
) -> Result<ParsedQuery> {
    let f = index.fields();
    let mut analyzers = HashMap::new();
    let mut stops: HashMap<usize, HashSet<String>> = HashMap::new();
    // Relevance model: term -> weight, summed over the seeds.
    let mut model: BTreeMap<(usize, String), f32> = BTreeMap::new();
    for seed in seeds {
        if seed.score <= 0.0 {
            continue;
        }

        let doc = index.stored(searcher, seed.addr)?;
        let passage = PassageRecord::from_stored(&doc, f);
        let field = text_field_for(passage.lang.as_deref());
        let analyzer = match analyzers.entry(field) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let analyzer = index
                    .tantivy()
                    .tokenizer_for_field(f.text[field])
                    .map_err(|e| Error::engine("cannot analyse a passage", e))?;
                e.insert(analyzer)
            }
        };
        let stop = stops
            .entry(field)
            .or_insert_with(|| stop_terms(analyzer, TEXT_FIELDS[field].lang));
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut length = 0u32;
        let mut stream = analyzer.token_stream(&passage.text);
        while let Some(token) = stream.next() {
            length += 1;
            if token.text.chars().count() >= 2 && !stop.contains(&token.text) {
                *counts.entry(token.text.clone()).or_insert(0) += 1;
            }
        }
        if length == 0 {
            continue;
        }
        for (term, n) in counts {
            *model.entry((field, term)).or_insert(0.0) += seed.score * n as f32 / length as f32;
        }
    }
    let mut best: Vec<((usize, String), f32)> = model.into_iter().collect();
    // Heaviest first; equal weights in term order, so the choice never depends on hash order.
    best.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    // Terms in most passages say little about these ones, and their long posting lists make
    // the second pass slow.
    let passages = crate::scoring::PassageStatistics::new(searcher, f.rec).passages() as f32;
    let mut kept = Vec::with_capacity(FEEDBACK_TERMS);
    for ((field, term), w) in best {
        if kept.len() == FEEDBACK_TERMS {
            break;
        }
        let df = searcher
            .doc_freq(&Term::from_field_text(f.text[field], &term))
            .map_err(|e| Error::engine("cannot read the term dictionary", e))?;
        if df as f32 <= MAX_TERM_SHARE * passages {
            kept.push(((field, term), w));
        }
    }
    let best = kept;
    let total: f32 = best.iter().map(|(_, w)| w).sum();
    if best.is_empty() || total <= 0.0 {
        return Ok(parsed);
    }
    let original = ORIGINAL_WEIGHT / query_words.max(1) as f32;
    // Each added term is its own optional clause around the query so far: tantivy then seeks
    // the term's postings to each matching passage (skip lists), where one union of all the
    // terms would scan their postings window by window, slow for frequent terms.
    let mut query: Box<dyn Query> = Box::new(BoostQuery::new(parsed.query, original));
    let mut scoring_terms: Vec<(Term, f32)> = parsed
        .scoring_terms
        .into_iter()
        .map(|(t, w)| (t, w * original))
        .collect();
    for ((field, term), w) in best {
        let weight = (1.0 - ORIGINAL_WEIGHT) * w / total;
        let term = Term::from_field_text(f.text[field], &term);
        let added: Box<dyn Query> = Box::new(BoostQuery::new(
            Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
            weight,
        ));
        query = Box::new(BooleanQuery::new(vec![
            (Occur::Must, query),
            (Occur::Should, added),
        ]));
        match scoring_terms.iter_mut().find(|(t, _)| *t == term) {
            Some((_, existing)) => *existing += weight,
            None => scoring_terms.push((term, weight)),
        }
    }
    Ok(ParsedQuery {
        query,
        text_terms: parsed.text_terms,
        translit_terms: parsed.translit_terms,
        scoring_terms,
        content_words: parsed.content_words,
        // Feedback scores every match by its added terms: no re-ranking of the words' best.
        core: None,
    })
}

/// The stop words of `lang`, analysed as the field analyses text (so `was` becomes the stem
/// the index holds).
fn stop_terms(analyzer: &mut tantivy::tokenizer::TextAnalyzer, lang: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for word in crate::query::stop_words(lang) {
        let mut stream = analyzer.token_stream(word);
        while let Some(token) = stream.next() {
            out.insert(token.text.clone());
        }
    }
    out
}
