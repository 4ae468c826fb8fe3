//! The tantivy schema: one tantivy document per passage, plus one record per source document.
//!
//! Following the design notes, a passage carries its own text and its document's metadata, so
//! every filter works on passages directly. Per source document there is also one `doc` record
//! holding the metadata as JSON (for `quarry show DOC_ID`); its only indexed fields are `rec`,
//! `doc_id` and `path_raw`, so no text query can match it. The whole text is stored once, in the
//! passages: each keeps the whitespace before it (`gap`) and the doc record the rest (`doc_tail`).
//!
//! Field names are the names users type in `field:value` queries. The analyzers live in
//! [`crate::analysis`]: prose fields use the script-aware analyzers (one text field per
//! document language), metadata fields the plain one. Any change to fields or analysis must bump
//! [`SCHEMA_VERSION`]; an index with another version is refused with the command that rebuilds it.

use crate::analysis::{self, PLAIN_ANALYZER, TEXT_FIELDS, TRANSLIT_ANALYZER};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STORED, STRING,
};
use tantivy::tokenizer::TokenizerManager;

/// Version of the schema and analysis; stored with each index and checked when it is opened.
pub const SCHEMA_VERSION: u32 = 10;

/// A description of the analysis, recorded in the index metadata.
pub const ANALYSIS: &str = analysis::ANALYSIS;

/// `rec` value of passage records.
pub const REC_PASSAGE: &str = "passage";
/// `rec` value of document records.
pub const REC_DOC: &str = "doc";

/// Handles to every field of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Record type: [`REC_PASSAGE`] or [`REC_DOC`].
    pub rec: Field,
    /// Document id (16 hex digits), on both record types.
    pub doc_id: Field,
    /// Passage id (`DOCID-ORDINAL`).
    pub passage_id: Field,
    /// Passage ordinal within its document.
    pub ordinal: Field,
    /// Display path of the source file.
    pub path: Field,
    /// Source format name (`text`, `markdown`, `html`, `pdf`, `docx`, `csv`, ...).
    pub format: Field,
    /// Document title.
    pub title: Field,
    /// The title of a record row that has none of its own and is named by the start of its
    /// text: stored, not searched, so the row's words do not count twice.
    pub title_shown: Field,
    /// Authors (one value each).
    pub author: Field,
    /// Publisher of the original source.
    pub publisher: Field,
    /// Normalised date string as the source gave it (`YYYY[-MM[-DD]]`), stored only.
    pub date: Field,
    /// The first day of the date's period, indexed for range filters.
    pub date_value: Field,
    /// Source URL, stored only.
    pub url: Field,
    /// Tags (one value each).
    pub tag: Field,
    /// Kind of source.
    pub kind: Field,
    /// Declared language code.
    pub lang: Field,
    /// The nearest heading.
    pub heading: Field,
    /// The passage text, one field per entry of [`TEXT_FIELDS`] (a passage's text is in exactly
    /// one of them, by its document's language); `text[0]` is the default field `text`.
    pub text: Vec<Field>,
    /// Passages only: the text of the passages just before and after it in its document
    /// (indexed only, with the default text field's analyzer), so words of a passage's
    /// surroundings count a little toward it (see [`crate::query::CONTEXT_BOOST`]).
    pub context: Field,
    /// Cross-script name keys of the passage (indexed only; see [`analysis::translit`]).
    pub translit: Field,
    /// 1-based page, when there is one (stored, and in a fast column, as are `line` and `row`,
    /// so the places of collapsed copies are read without their stored text).
    pub page: Field,
    /// For passages read by OCR, the mean confidence of their words, 0 to 100 (stored, indexed
    /// for `--min-ocr-confidence`); absent for the rest.
    pub ocr_confidence: Field,
    /// 1-based line.
    pub line: Field,
    /// For rows of record files: the 1-based row.
    pub row: Field,
    /// Character offsets of the passage in the document's extracted text.
    pub start: Field,
    /// See `start`.
    pub end: Field,
    /// Other metadata as a JSON object, stored only.
    pub extra: Field,
    /// Other metadata as filterable terms ([`extra_term`]).
    pub extra_kv: Field,
    /// The indicators a passage names ([`crate::indicators`]), as `kind` [`EXTRA_SEP`]
    /// `value` ([`indicator_term`]): stored, filterable, and a fast column for facets. URLs
    /// are not among them (nearly every one is unique, so indexing them cost a fifth of the
    /// indexing time of a corpus of posts): see [`Fields::indicator_url`].
    pub indicator: Field,
    /// The URLs a passage names, stored only (shown in hits; `url:` filters find them through
    /// their domain and the text).
    pub indicator_url: Field,
    /// Passages only: the text between the previous passage (or the start of the document) and
    /// this one — whitespace — so the whole text can be rebuilt from the passages.
    pub gap: Field,
    /// Document records only: the text after the last passage (whitespace). The whole extracted
    /// text is not stored a second time: it is the passages with their gaps, and this tail.
    pub doc_tail: Field,
    /// Document records only: the metadata and counts as JSON.
    pub doc_meta: Field,
    /// The display path as one raw term, on passages and document records (for `--path GLOB`,
    /// and for deleting everything of a file when it changes).
    pub path_raw: Field,
    /// Passages only: the near-duplicate signature of the text (see [`crate::collapse`]), in a
    /// fast column, so copies collapse without reading stored text.
    pub signature: Field,
    /// Raw metadata values in fast columns, for facets (see [`FacetField`]).
    pub facets: FacetFields,
}

/// Fast columns holding raw metadata values of passages, counted by facets.
#[derive(Debug, Clone)]
pub struct FacetFields {
    /// Publisher.
    pub publisher: Field,
    /// Authors (one value each).
    pub author: Field,
    /// Tags (one value each).
    pub tag: Field,
    /// Kind of source.
    pub kind: Field,
    /// Language code.
    pub lang: Field,
    /// Source format.
    pub format: Field,
    /// Other metadata (`extra`), as `key` [`EXTRA_SEP`] `value`, one per key.
    pub extra: Field,
    /// Indicators: the same field as [`Fields::indicator`].
    pub indicator: Field,
}

/// Between an `extra` key and its value in [`Fields::extra_kv`] terms and the extra facet.
pub const EXTRA_SEP: char = '\u{1f}';

/// The longest `extra` value (in characters) that can be filtered and counted; longer ones are
/// descriptions, not categories.
pub const MAX_EXTRA_VALUE: usize = 200;

/// The term of an `extra` key and value as [`Fields::extra_kv`] holds it: both lower case, so
/// `extra.region:texas` finds `Texas`.
pub fn extra_term(key: &str, value: &str) -> String {
    format!(
        "{}{EXTRA_SEP}{}",
        key.trim().to_lowercase(),
        value.trim().to_lowercase()
    )
}

/// The term of an indicator as [`Fields::indicator`] holds it (`domain` `␟` `bbc.co.uk`).
pub fn indicator_term(kind: crate::indicators::Kind, value: &str) -> String {
    format!("{}{EXTRA_SEP}{value}", kind.name())
}

/// Metadata a facet can count over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacetField {
    /// `publisher`
    Publisher,
    /// `author`
    Author,
    /// `tag`
    Tag,
    /// `kind`
    Kind,
    /// `lang`
    Lang,
    /// `format`
    Format,
    /// `year` (from the date)
    Year,
    /// `extra.KEY`: another metadata field or record column (lower case).
    Extra(String),
    /// `domain`, `hashtag`, `handle`...: the indicators passages name.
    Indicator(crate::indicators::Kind),
}

impl FacetField {
    /// Every facet, in the order of [`FacetField::name`]s in help texts.
    pub const ALL: [FacetField; 7] = [
        FacetField::Publisher,
        FacetField::Author,
        FacetField::Tag,
        FacetField::Kind,
        FacetField::Lang,
        FacetField::Format,
        FacetField::Year,
    ];

    /// The facet's name, as users type it.
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(match self {
            FacetField::Publisher => "publisher",
            FacetField::Author => "author",
            FacetField::Tag => "tag",
            FacetField::Kind => "kind",
            FacetField::Lang => "lang",
            FacetField::Format => "format",
            FacetField::Year => "year",
            FacetField::Extra(key) => return format!("extra.{key}").into(),
            FacetField::Indicator(kind) => kind.name(),
        })
    }

    /// The facet called `name` (`type` is accepted for `format`; `extra.KEY` counts an extra
    /// field).
    pub fn from_name(name: &str) -> Option<FacetField> {
        let name = name.trim().to_lowercase();
        if let Some(key) = name.strip_prefix("extra.") {
            return (!key.is_empty()).then(|| FacetField::Extra(key.to_string()));
        }
        let name = match name.as_str() {
            "type" => "format",
            "authors" => "author",
            "tags" => "tag",
            "language" => "lang",
            other => other,
        };
        FacetField::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .or_else(|| {
                crate::indicators::Kind::from_name(name)
                    .filter(|k| k.is_indexed())
                    .map(FacetField::Indicator)
            })
    }

    /// The fast column of a facet over a text value (`None` for `year`, which comes from the
    /// date column).
    pub fn column(&self, f: &FacetFields) -> Option<Field> {
        match self {
            FacetField::Publisher => Some(f.publisher),
            FacetField::Author => Some(f.author),
            FacetField::Tag => Some(f.tag),
            FacetField::Kind => Some(f.kind),
            FacetField::Lang => Some(f.lang),
            FacetField::Format => Some(f.format),
            FacetField::Extra(_) => Some(f.extra),
            FacetField::Indicator(_) => Some(f.indicator),
            FacetField::Year => None,
        }
    }
}

fn text_options(analyzer: &str, positions: bool, stored: bool) -> TextOptions {
    let record = if positions {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::WithFreqs
    };
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(record),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let num = || NumericOptions::default().set_stored();
    let indicator = b.add_text_field("indicator", STRING | STORED | FAST);
    let indicator_url = b.add_text_field("indicator_url", STORED);
    let fields = Fields {
        rec: b.add_text_field("rec", STRING),
        doc_id: b.add_text_field("doc_id", STRING | STORED | FAST),
        passage_id: b.add_text_field("passage_id", STRING | STORED),
        ordinal: b.add_u64_field("ordinal", INDEXED | STORED | FAST),
        path: b.add_text_field("path", text_options(PLAIN_ANALYZER, true, true)),
        format: b.add_text_field("format", text_options(PLAIN_ANALYZER, false, true)),
        title: b.add_text_field("title", text_options(TEXT_FIELDS[0].analyzer, true, true)),
        title_shown: b.add_text_field("title_shown", STORED),
        author: b.add_text_field("author", text_options(PLAIN_ANALYZER, true, true)),
        publisher: b.add_text_field("publisher", text_options(PLAIN_ANALYZER, true, true)),
        date: b.add_text_field("date", STORED),
        date_value: b.add_date_field("date_value", INDEXED | FAST),
        url: b.add_text_field("url", STORED),
        tag: b.add_text_field("tag", text_options(PLAIN_ANALYZER, true, true)),
        kind: b.add_text_field("kind", text_options(PLAIN_ANALYZER, true, true)),
        lang: b.add_text_field("lang", text_options(PLAIN_ANALYZER, false, true)),
        heading: b.add_text_field("heading", text_options(TEXT_FIELDS[0].analyzer, true, true)),
        text: TEXT_FIELDS
            .iter()
            .map(|f| b.add_text_field(f.field, text_options(f.analyzer, true, true)))
            .collect(),
        context: b.add_text_field(
            "context",
            text_options(TEXT_FIELDS[0].analyzer, false, false),
        ),
        translit: b.add_text_field("translit", text_options(TRANSLIT_ANALYZER, false, false)),
        page: b.add_u64_field("page", num().set_fast()),
        ocr_confidence: b.add_u64_field("ocr_confidence", num().set_indexed()),
        line: b.add_u64_field("line", num().set_fast()),
        row: b.add_u64_field("row", num().set_fast()),
        start: b.add_u64_field("start", num()),
        end: b.add_u64_field("end", num()),
        extra: b.add_text_field("extra", STORED),
        extra_kv: b.add_text_field("extra_kv", STRING),
        indicator,
        indicator_url,
        gap: b.add_text_field("gap", STORED),
        doc_tail: b.add_text_field("doc_tail", STORED),
        doc_meta: b.add_text_field("doc_meta", STORED),
        path_raw: b.add_text_field("path_raw", STRING | FAST),
        signature: b.add_u64_field("signature", FAST),
        facets: FacetFields {
            publisher: b.add_text_field("facet_publisher", FAST),
            author: b.add_text_field("facet_author", FAST),
            tag: b.add_text_field("facet_tag", FAST),
            kind: b.add_text_field("facet_kind", FAST),
            lang: b.add_text_field("facet_lang", FAST),
            format: b.add_text_field("facet_format", FAST),
            extra: b.add_text_field("facet_extra", FAST),
            indicator,
        },
    };
    (b.build(), fields)
}

/// Registers quarry's analyzers with an index's tokenizer manager.
pub fn register_analyzers(manager: &TokenizerManager) {
    analysis::register(manager);
}

/// Fields a user may name in `field:value` queries, with a word on each (for help and errors).
pub const QUERY_FIELDS: &[(&str, &str)] = &[
    ("text", "passage text, in every language"),
    ("title", "document title"),
    ("heading", "nearest heading"),
    ("publisher", "publisher of the original"),
    ("author", "an author"),
    ("tag", "a tag"),
    ("kind", "kind of source (report, investigation...)"),
    ("lang", "declared language code"),
    (
        "format",
        "source format (text, markdown, html, pdf, docx, odt, epub, email, csv, tsv, jsonl, json, spreadsheet, telegram)",
    ),
    ("path", "words of the file path"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_field_is_indexed() {
        let (schema, fields) = build();
        for (name, _) in QUERY_FIELDS {
            let field = schema.get_field(name).unwrap();
            assert!(schema.get_field_entry(field).is_indexed(), "{name}");
        }
        assert_eq!(fields.text.len(), TEXT_FIELDS.len());
    }
}
