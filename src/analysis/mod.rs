//! Text analysis: how text becomes index terms, by language and script.
//!
//! Passage text is indexed into one of several text fields by the document's language
//! ([`TEXT_FIELDS`]): `text` (English and every language without a Latin-script stemmer of its
//! own), `text_de`, `text_fr`, `text_es`, `text_pt`, `text_it`. All share the
//! [`tokenizer::ScriptTokenizer`] (words; bigrams for Chinese, Japanese and Korean) and stem each
//! token by its script ([`tokenizer::ScriptStemmer`]): Latin tokens with the field's Snowball
//! stemmer, Cyrillic with the Russian one, Arabic with the Arabic one, so a Russian quote in an
//! English report is still found by its inflected forms. Latin accents are folded. A query is
//! analysed once per text field, so it matches passages in each language it could belong to.
//! Names also meet across scripts through the `translit` field ([`translit`]).
//!
//! Metadata fields use [`PLAIN_ANALYZER`]: words, lower case, accents folded, no stemming.
//! Analyzer names carry a version; any change here must bump the schema version, so an index
//! built with other analysis is refused with the command that rebuilds it.

pub mod detect;
pub mod filter;
pub mod tokenizer;
pub mod translit;

use filter::MapFilter;
use frostem::Algorithm;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
    TokenizerManager,
};
use tokenizer::{ScriptStemmer, ScriptTokenizer};

/// A text field and the language whose stemmer it applies to Latin-script words.
#[derive(Debug, Clone, Copy)]
pub struct TextField {
    /// The field name.
    pub field: &'static str,
    /// The language code of documents indexed into it (`en` also takes every language without
    /// a field of its own).
    pub lang: &'static str,
    /// Its analyzer's name.
    pub analyzer: &'static str,
    /// The Snowball stemmer for Latin-script words.
    pub stemmer: Algorithm,
}

/// The text fields, the default (`text`) first.
pub const TEXT_FIELDS: &[TextField] = &[
    TextField {
        field: "text",
        lang: "en",
        analyzer: "quarry_en_v2",
        stemmer: Algorithm::English,
    },
    TextField {
        field: "text_de",
        lang: "de",
        analyzer: "quarry_de_v2",
        stemmer: Algorithm::German,
    },
    TextField {
        field: "text_fr",
        lang: "fr",
        analyzer: "quarry_fr_v2",
        stemmer: Algorithm::French,
    },
    TextField {
        field: "text_es",
        lang: "es",
        analyzer: "quarry_es_v2",
        stemmer: Algorithm::Spanish,
    },
    TextField {
        field: "text_pt",
        lang: "pt",
        analyzer: "quarry_pt_v2",
        stemmer: Algorithm::Portuguese,
    },
    TextField {
        field: "text_it",
        lang: "it",
        analyzer: "quarry_it_v2",
        stemmer: Algorithm::Italian,
    },
];

/// The index into [`TEXT_FIELDS`] of the field for a document language.
pub fn text_field_for(lang: Option<&str>) -> usize {
    lang.and_then(|l| TEXT_FIELDS.iter().position(|f| f.lang == l))
        .unwrap_or(0)
}

/// The analyzer for metadata fields (publisher, author, tag, path...).
pub const PLAIN_ANALYZER: &str = "quarry_plain_v1";
/// The analyzer of the `translit` field.
pub const TRANSLIT_ANALYZER: &str = "quarry_translit_v1";

/// Tokens longer than this (in bytes of UTF-8) are not indexed: long enough for a SHA-512 in
/// hex (128), a German compound or a 60-letter Russian word, short enough to leave out blobs.
pub const MAX_TOKEN_BYTES: usize = 128;

/// A description of the analysis, recorded in the index metadata.
pub const ANALYSIS: &str = "text fields text/en, text_de, text_fr, text_es, text_pt, text_it by \
    document language: words (CJK as bigrams), lower case, Latin accents folded, tokens over 128 \
    bytes dropped, stemmed by script (Latin: the field's Snowball stemmer; Cyrillic: Russian; \
    Arabic: Arabic); translit: Cyrillic words as normalised Russian stems; \
    metadata: words, lower case, accents folded";

/// The analyzer of a text field.
pub fn text_analyzer(field: &TextField) -> TextAnalyzer {
    TextAnalyzer::builder(ScriptTokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(AsciiFoldingFilter)
        .filter(MapFilter(ScriptStemmer {
            latin: Some(field.stemmer),
        }))
        .build()
}

/// The analyzer for metadata fields.
pub fn plain_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The analyzer of the `translit` field.
pub fn translit_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(ScriptTokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(AsciiFoldingFilter)
        .filter(MapFilter(translit::Translit))
        .build()
}

/// Registers every analyzer with an index's tokenizer manager.
pub fn register(manager: &TokenizerManager) {
    for f in TEXT_FIELDS {
        manager.register(f.analyzer, text_analyzer(f));
    }
    manager.register(PLAIN_ANALYZER, plain_analyzer());
    manager.register(TRANSLIT_ANALYZER, translit_analyzer());
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::TokenStream;

    fn tokens(mut analyzer: TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn each_script_gets_its_stemmer() {
        let en = text_analyzer(&TEXT_FIELDS[0]);
        assert_eq!(
            tokens(en.clone(), "Journalists monitored Café"),
            ["journalist", "monitor", "cafe"]
        );
        assert_eq!(
            tokens(en.clone(), "пропаганды"),
            tokens(en.clone(), "пропаганда")
        );
        assert_eq!(tokens(en, "新疆维吾尔自治区")[0], "新疆");
        let de = text_analyzer(&TEXT_FIELDS[1]);
        assert_eq!(
            tokens(de.clone(), "Kampagnen"),
            tokens(de.clone(), "Kampagne")
        );
        assert_eq!(tokens(de.clone(), "Zeitungen"), tokens(de, "Zeitung"));
        assert_eq!(
            tokens(plain_analyzer(), "The Washington-Post"),
            ["the", "washington", "post"]
        );
    }

    #[test]
    fn text_fields_by_language() {
        assert_eq!(TEXT_FIELDS[text_field_for(Some("de"))].field, "text_de");
        assert_eq!(TEXT_FIELDS[text_field_for(Some("ru"))].field, "text");
        assert_eq!(TEXT_FIELDS[text_field_for(None)].field, "text");
    }
}
