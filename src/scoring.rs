//! BM25 statistics over passages only.
//!
//! An index holds two kinds of records: passages, which carry the text fields, and one record
//! per document, which carries none. tantivy's own statistics count every record, so the
//! average passage length would come out at about half its true value (longer passages then
//! lose too much to length normalisation) and every idf would be computed over the wrong
//! total. [`PassageStatistics`] counts passages only; every scored search goes through it
//! ([`top`], [`scoring`]).
//!
//! Scores of passages shorter than [`LENGTH_FLOOR`] are scaled down to what BM25's length
//! normalisation gives a passage of that length ([`length_floor_factor`], applied by
//! [`top`] per passage from the fieldnorms of the text fields).
//!
//! [`top`] scores every match by the whole query. For a query of plain words in a list of
//! passages, [`reranked`] scores every match by the words alone (cheap) and only the best
//! [`crate::query::RERANK_DEPTH`] of them by the whole query (proximity, context, length
//! floor), whose scores they then carry.

use crate::schema::REC_PASSAGE;
use tantivy::collector::{Count, TopDocs};
use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Query};
use tantivy::schema::Field;
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, Term};

/// BM25 statistics in which only passage records count as documents.
pub struct PassageStatistics<'a> {
    searcher: &'a Searcher,
    passages: u64,
    /// Document frequencies already looked up: the words' query and the whole query of one
    /// search share their terms, and each lookup visits every segment's dictionary.
    known: std::sync::Mutex<std::collections::HashMap<Term, u64>>,
}

impl<'a> PassageStatistics<'a> {
    /// The statistics of `searcher`'s index, with `rec_field` telling passages apart.
    pub fn new(searcher: &'a Searcher, rec_field: Field) -> PassageStatistics<'a> {
        let passages = searcher
            .doc_freq(&Term::from_field_text(rec_field, REC_PASSAGE))
            .unwrap_or(0);
        PassageStatistics {
            searcher,
            passages,
            known: Default::default(),
        }
    }
}

impl PassageStatistics<'_> {
    /// The number of passage records (deleted ones included until a merge, as in every
    /// tantivy statistic).
    pub fn passages(&self) -> u64 {
        self.passages
    }
}

impl Bm25StatisticsProvider for PassageStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Bm25StatisticsProvider::total_num_tokens(self.searcher, field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        // An index being emptied may briefly count no passage; never divide by zero.
        Ok(self.passages.max(1))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        // A poisoned map still holds correct frequencies.
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&n) = known.get(term) {
            return Ok(n);
        }
        let n = self.searcher.doc_freq(term)?;
        known.insert(term.clone(), n);
        Ok(n)
    }
}

/// The best `limit` passages of `query` by score, with BM25 statistics over passages and the
/// length floor, and the number of matches.
pub fn top(
    searcher: &Searcher,
    rec_field: Field,
    text_fields: &[Field],
    query: &dyn Query,
    limit: usize,
) -> tantivy::Result<(Vec<(Score, DocAddress)>, usize)> {
    let stats = PassageStatistics::new(searcher, rec_field);
    let fields = text_fields.to_vec();
    let avg = average_length(searcher, &fields, &stats);
    let collector = TopDocs::with_limit(limit).tweak_score(move |segment: &SegmentReader| {
        let norms: Vec<FieldNormReader> = fields
            .iter()
            .filter_map(|f| segment.get_fieldnorms_reader(*f).ok())
            .collect();
        move |doc: DocId, score: Score| score * length_factor(&norms, doc, avg)
    });
    searcher.search_with_statistics_provider(query, &(collector, Count), &stats)
}

/// For a query of plain words: the best `depth` passages of `core` (the words alone, by BM25
/// over passages), each then scored by `full` (the whole query: proximity, context) with the
/// length floor; the number of passages `core` matches (the same as `full`'s); and how many
/// candidates `core` gave (fewer than `depth` when every match is among them).
///
/// `core` alone is cheap to score over every match; `full` costs several times more per
/// passage (a filter to intersect, phrase positions to read, the context field), so only the
/// candidates pay for it. Every score returned is exactly what `full` gives that passage, as
/// [`top`] would; what may differ from [`top`] is which passages are candidates: one beyond
/// the words' first `depth` that proximity or context would have lifted into the page.
pub fn reranked(
    searcher: &Searcher,
    rec_field: Field,
    text_fields: &[Field],
    core: &dyn Query,
    full: &dyn Query,
    depth: usize,
) -> tantivy::Result<Reranked> {
    reranked_with(
        searcher,
        rec_field,
        text_fields,
        core,
        full,
        depth,
        PRUNE_FROM,
    )
}

/// [`reranked`], pruning from `prune_from` postings.
fn reranked_with(
    searcher: &Searcher,
    rec_field: Field,
    text_fields: &[Field],
    core: &dyn Query,
    full: &dyn Query,
    depth: usize,
    prune_from: u64,
) -> tantivy::Result<Reranked> {
    let stats = PassageStatistics::new(searcher, rec_field);
    // The best by the words alone. When the words are found in many passages, tantivy prunes
    // them (block-max WAND, where `core` is a flat disjunction of terms) and they are counted
    // apart, without scores; when in few, one pass that scores and counts every match is
    // cheaper than two.
    let mut postings = 0u64;
    let mut failed = None;
    core.query_terms(&mut |term, _| match stats.doc_freq(term) {
        Ok(n) => postings = postings.saturating_add(n),
        Err(e) => failed = Some(e),
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let limit = TopDocs::with_limit(depth.max(1)).order_by_score();
    let (mut found, total) = if postings <= prune_from {
        searcher.search_with_statistics_provider(core, &(limit, Count), &stats)?
    } else {
        let found = searcher.search_with_statistics_provider(core, &limit, &stats)?;
        let total = if found.len() < depth.max(1) {
            found.len()
        } else {
            core.count(searcher)?
        };
        (found, total)
    };
    let candidates = found.len();
    let avg = average_length(searcher, text_fields, &stats);
    let weight = full.weight(scoring(&stats, searcher))?;
    found.sort_by_key(|(_, addr)| (addr.segment_ord, addr.doc_id));
    let mut out = Vec::with_capacity(found.len());
    let mut i = 0;
    while i < found.len() {
        let segment_ord = found[i].1.segment_ord;
        let segment = searcher.segment_reader(segment_ord);
        let norms: Vec<FieldNormReader> = text_fields
            .iter()
            .filter_map(|f| segment.get_fieldnorms_reader(*f).ok())
            .collect();
        let mut scorer = weight.scorer(segment, 1.0)?;
        while let Some(&(_, addr)) = found.get(i).filter(|(_, a)| a.segment_ord == segment_ord) {
            i += 1;
            let at = if scorer.doc() < addr.doc_id {
                scorer.seek(addr.doc_id)
            } else {
                scorer.doc()
            };
            // The whole query matches whatever its words match; a passage it does not match
            // (none should) is left out rather than given a score it does not have.
            if at == addr.doc_id {
                let score = scorer.score() * length_factor(&norms, addr.doc_id, avg);
                out.push((score, addr));
            }
        }
    }
    Ok(Reranked {
        top: out,
        total,
        candidates,
    })
}

/// Above this many postings of a query's terms (summed), [`reranked`] prunes its first pass
/// and counts apart; at or below it, one pass scores and counts every match.
const PRUNE_FROM: u64 = 20_000;

/// What [`reranked`] gives.
pub struct Reranked {
    /// The candidates with the whole query's scores, by segment and document.
    pub top: Vec<(Score, DocAddress)>,
    /// How many passages the words match.
    pub total: usize,
    /// How many candidates the words gave (fewer than asked when every match is among them).
    pub candidates: usize,
}

/// The length-floor factor of one passage of a segment, from its text fields' fieldnorms.
fn length_factor(norms: &[FieldNormReader], doc: DocId, avg: f32) -> f32 {
    let len: u32 = norms.iter().map(|n| n.fieldnorm(doc)).sum();
    length_floor_factor(len as f32, avg, LENGTH_FLOOR)
}

/// The length-floor factor of the passage at `addr` (for explanations).
pub fn length_factor_of(
    searcher: &Searcher,
    rec_field: Field,
    text_fields: &[Field],
    addr: DocAddress,
) -> f32 {
    let stats = PassageStatistics::new(searcher, rec_field);
    let avg = average_length(searcher, text_fields, &stats);
    let segment = searcher.segment_reader(addr.segment_ord);
    let norms: Vec<FieldNormReader> = text_fields
        .iter()
        .filter_map(|f| segment.get_fieldnorms_reader(*f).ok())
        .collect();
    length_factor(&norms, addr.doc_id, avg)
}

/// BM25's k1 and b as tantivy uses them.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// The factor that gives a passage of `len` words the BM25 length normalisation of one of
/// `floor` words (1 for passages at least that long), for a term found once; `avg` is the
/// average passage length.
pub fn length_floor_factor(len: f32, avg: f32, floor: f32) -> f32 {
    if len >= floor || avg <= 0.0 {
        return 1.0;
    }
    let norm = |l: f32| 1.0 + K1 * (1.0 - B + B * l / avg);
    norm(len) / norm(floor)
}

/// Passages shorter than this (in tokens) are scored as if they had this length: the
/// splitter's smallest regular passage ([`crate::passage::MIN_WORDS`]). A one-line record row
/// or a five-word heading no longer outranks a full passage holding the same words merely for
/// being short (docs/ranking.md measures it).
pub const LENGTH_FLOOR: f32 = crate::passage::MIN_WORDS as f32;

/// The average passage length in tokens, over every text field.
fn average_length(searcher: &Searcher, text_fields: &[Field], stats: &PassageStatistics) -> f32 {
    let tokens: u64 = text_fields
        .iter()
        .filter_map(|f| Bm25StatisticsProvider::total_num_tokens(searcher, *f).ok())
        .sum();
    tokens as f32 / stats.passages().max(1) as f32
}

/// Scoring settings for building a weight by hand (for explanations), over passages.
pub fn scoring<'a>(stats: &'a PassageStatistics<'a>, searcher: &'a Searcher) -> EnableScoring<'a> {
    EnableScoring::enabled_from_statistics_provider(stats, searcher)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, STRING, TEXT};
    use tantivy::{doc, Index};

    #[test]
    fn short_passages_score_as_if_they_had_the_floor_length() {
        let avg = 120.0;
        assert_eq!(length_floor_factor(40.0, avg, 40.0), 1.0);
        assert_eq!(length_floor_factor(200.0, avg, 40.0), 1.0);
        let tiny = length_floor_factor(5.0, avg, 40.0);
        assert!(tiny < 1.0 && tiny > 0.5, "{tiny}");
        // Shorter passages are scaled down more, and a five-word passage holding a word once
        // then scores like a 40-word one: (k1 + 1) / norm(40).
        assert!(length_floor_factor(20.0, avg, 40.0) > tiny);
        let norm = |l: f32| 1.0 + K1 * (1.0 - B + B * l / avg);
        let bm25 = |l: f32| (K1 + 1.0) / norm(l);
        assert!((bm25(5.0) * tiny - bm25(40.0)).abs() < 1e-6);
    }

    /// Pruned (the best by WAND, then a count) or not (one pass scoring every match), the
    /// candidates, their scores and the count are the same.
    #[test]
    fn pruning_the_first_pass_changes_nothing_it_gives() {
        let corpus = tempfile::tempdir().unwrap();
        for i in 0..60 {
            let extra = ["network", "accounts network", "state media network"][i % 3];
            let text = format!(
                "Report {i} on the {extra}: the accounts of the network posted {} times.\n",
                i * 7
            );
            std::fs::write(corpus.path().join(format!("{i:02}.txt")), text).unwrap();
        }
        let dir = corpus.path().join(".quarry");
        let options = crate::BuildOptions {
            paths: vec![corpus.path().to_path_buf()],
            threads: 1,
            ..Default::default()
        };
        crate::build(&dir, &options, &crate::Silent).unwrap();
        let index = crate::QuarryIndex::open(&dir).unwrap();
        let searcher = index.searcher();
        let f = index.fields();
        for q in ["network", "state media network", "accounts times"] {
            let parsed = crate::query::parse(&index, q).unwrap();
            let core = parsed.core.as_deref().unwrap();
            let run = |prune_from, depth| {
                let mut r = reranked_with(
                    &searcher,
                    f.rec,
                    &f.text,
                    core,
                    parsed.query.as_ref(),
                    depth,
                    prune_from,
                )
                .unwrap();
                r.top.sort_by_key(|(_, a)| (a.segment_ord, a.doc_id));
                r
            };
            let (_, all) = top(&searcher, f.rec, &f.text, parsed.query.as_ref(), 1000).unwrap();
            for depth in [5, 100] {
                let (pruned, whole) = (run(0, depth), run(u64::MAX, depth));
                assert_eq!(pruned.total, whole.total, "{q}");
                assert_eq!(pruned.total, all, "{q}");
                assert_eq!(pruned.candidates, whole.candidates, "{q}");
                assert_eq!(pruned.top, whole.top, "{q}");
            }
        }
    }

    #[test]
    fn only_passages_count_as_documents() {
        let mut builder = Schema::builder();
        let rec = builder.add_text_field("rec", STRING);
        let text = builder.add_text_field("text", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer
            .add_document(doc!(rec => REC_PASSAGE, text => "one two three four"))
            .unwrap();
        writer
            .add_document(doc!(rec => REC_PASSAGE, text => "five six"))
            .unwrap();
        writer.add_document(doc!(rec => "doc")).unwrap();
        writer.add_document(doc!(rec => "doc")).unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let stats = PassageStatistics::new(&searcher, rec);
        assert_eq!(stats.total_num_docs().unwrap(), 2);
        assert_eq!(stats.total_num_tokens(text).unwrap(), 6);
        // tantivy's own statistics count the document records too.
        assert_eq!(
            Bm25StatisticsProvider::total_num_docs(&searcher).unwrap(),
            4
        );
        let term = Term::from_field_text(text, "five");
        assert_eq!(stats.doc_freq(&term).unwrap(), 1);
    }
}
