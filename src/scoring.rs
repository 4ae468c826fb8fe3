//! BM25 statistics over passages only.
//!
//! An index holds two kinds of records: passages, which carry the text fields, and one record
//! per document, which carries none. tantivy's own statistics count every record, so the
//! average passage length would come out at about half its true value (longer passages then
//! lose too much to length normalisation) and every idf would be computed over the wrong
//! total. [`PassageStatistics`] counts passages only; every scored search goes through it
//! ([`search`], [`scoring`]).

use crate::schema::REC_PASSAGE;
use tantivy::collector::Collector;
use tantivy::query::{Bm25StatisticsProvider, EnableScoring, Query};
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// BM25 statistics in which only passage records count as documents.
pub struct PassageStatistics<'a> {
    searcher: &'a Searcher,
    passages: u64,
}

impl<'a> PassageStatistics<'a> {
    /// The statistics of `searcher`'s index, with `rec_field` telling passages apart.
    pub fn new(searcher: &'a Searcher, rec_field: Field) -> PassageStatistics<'a> {
        let passages = searcher
            .doc_freq(&Term::from_field_text(rec_field, REC_PASSAGE))
            .unwrap_or(0);
        PassageStatistics { searcher, passages }
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
        self.searcher.doc_freq(term)
    }
}

/// Runs `query` with BM25 statistics over passages.
pub fn search<C: Collector>(
    searcher: &Searcher,
    rec_field: Field,
    query: &dyn Query,
    collector: &C,
) -> tantivy::Result<C::Fruit> {
    let stats = PassageStatistics::new(searcher, rec_field);
    searcher.search_with_statistics_provider(query, collector, &stats)
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
