//! The OpenSearch index that mirrors quarry's: its settings and mapping, and one passage as the
//! JSON document it holds.
//!
//! One OpenSearch document per passage, `_id` the passage id (so exporting again overwrites,
//! never duplicates), with its document's metadata beside it, as quarry's JSON names them
//! (docs/json.md). Filters and facets read keyword fields (publisher, authors, tags, kind and
//! path also by their words, in `FIELD.words`; other metadata as `extra_kv`, `key␟value` in
//! lower case, as quarry's own index holds it); dates are a keyword (`2021-03`, as
//! precise as the source) and a `date` range (`date_from`..`date_to`, the period's first and
//! last day), so a month-precise date matches `since:2021-03-15` the way quarry's own filter
//! does. The text is analysed twice: `text` by a language-neutral analyser (standard tokens,
//! lower case, ASCII folding), and `text_LANG` by the OpenSearch analyser of the passage's
//! language (stemming, stop words), `text_cjk` by bigrams for Chinese, Japanese and Korean.
//! `source_path` and `source_version` tie each passage to the file of the manifest it came
//! from, which is what makes an export incremental (see [`super::export`]).

use crate::index::read::PassageRecord;
use serde_json::{json, Map, Value};

/// The version of this mapping, stored in the index's `_meta`: an index made by another
/// version is not written to (its fields may mean something else).
pub const MAPPING_VERSION: u32 = 1;

/// Languages with an OpenSearch analyser (module `analysis-common`): ISO 639-1 code, the
/// suffix of its text field, the analyser. Other languages are searched through `text` alone.
pub const LANGUAGES: &[(&str, &str, &str)] = &[
    ("ar", "ar", "arabic"),
    ("bg", "bg", "bulgarian"),
    ("bn", "bn", "bengali"),
    ("ca", "ca", "catalan"),
    ("cs", "cs", "czech"),
    ("da", "da", "danish"),
    ("de", "de", "german"),
    ("el", "el", "greek"),
    ("en", "en", "english"),
    ("es", "es", "spanish"),
    ("et", "et", "estonian"),
    ("eu", "eu", "basque"),
    ("fa", "fa", "persian"),
    ("fi", "fi", "finnish"),
    ("fr", "fr", "french"),
    ("ga", "ga", "irish"),
    ("gl", "gl", "galician"),
    ("hi", "hi", "hindi"),
    ("hu", "hu", "hungarian"),
    ("hy", "hy", "armenian"),
    ("id", "id", "indonesian"),
    ("it", "it", "italian"),
    ("ja", "cjk", "cjk"),
    ("ko", "cjk", "cjk"),
    ("lt", "lt", "lithuanian"),
    ("lv", "lv", "latvian"),
    ("nb", "no", "norwegian"),
    ("nl", "nl", "dutch"),
    ("nn", "no", "norwegian"),
    ("no", "no", "norwegian"),
    ("pt", "pt", "portuguese"),
    ("ro", "ro", "romanian"),
    ("ru", "ru", "russian"),
    ("sv", "sv", "swedish"),
    ("th", "th", "thai"),
    ("tr", "tr", "turkish"),
    ("zh", "cjk", "cjk"),
];

/// The suffix of the language field for a language code (`en-GB` and `EN` count as `en`).
pub fn language_field(lang: &str) -> Option<&'static str> {
    let base = lang
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    LANGUAGES
        .iter()
        .find(|(code, _, _)| *code == base)
        .map(|(_, field, _)| *field)
}

/// The settings and mapping of a new index.
pub fn index_body(shards: u32, replicas: u32) -> Value {
    let mut properties = Map::new();
    let keyword = || json!({"type": "keyword"});
    for name in [
        "passage_id",
        "doc_id",
        "format",
        "date",
        "year",
        "lang",
        "extra_kv",
        "source_path",
        "source_version",
    ] {
        properties.insert(name.into(), keyword());
    }
    // Filtered by their words in order (`publisher:"citizen lab"`), counted by value.
    for name in ["publisher", "authors", "tags", "kind", "path"] {
        properties.insert(
            name.into(),
            json!({"type": "keyword", "fields": {"words": {"type": "text", "analyzer": "folded"}}}),
        );
    }
    properties.insert(
        "url".into(),
        json!({"type": "keyword", "index": false, "doc_values": false}),
    );
    for name in [
        "ordinal",
        "page",
        "ocr_confidence",
        "row",
        "line",
        "start",
        "end",
    ] {
        properties.insert(name.into(), json!({"type": "long"}));
    }
    properties.insert("ocr".into(), json!({"type": "boolean"}));
    for name in ["date_from", "date_to"] {
        properties.insert(
            name.into(),
            json!({"type": "date", "format": "strict_date"}),
        );
    }
    // Titles and headings are searched and shown; their raw form sorts and facets.
    for name in ["title", "heading"] {
        properties.insert(
            name.into(),
            json!({"type": "text", "analyzer": "folded",
                   "fields": {"raw": {"type": "keyword", "ignore_above": 1024}}}),
        );
    }
    properties.insert(
        "text".into(),
        json!({"type": "text", "analyzer": "folded", "term_vector": "with_positions_offsets"}),
    );
    let mut seen = Vec::new();
    for (_, field, analyzer) in LANGUAGES {
        if seen.contains(field) {
            continue;
        }
        seen.push(*field);
        properties.insert(
            format!("text_{field}"),
            json!({"type": "text", "analyzer": analyzer, "term_vector": "with_positions_offsets"}),
        );
    }
    let mut indicators = Map::new();
    for kind in crate::indicators::Kind::ALL {
        let spec = if kind.is_indexed() {
            keyword()
        } else {
            json!({"type": "keyword", "index": false, "doc_values": false})
        };
        indicators.insert(kind.name().into(), spec);
    }
    properties.insert(
        "indicators".into(),
        json!({"type": "object", "properties": indicators}),
    );
    // Other metadata is kept as it came, not indexed: its keys are the sources' own.
    properties.insert("extra".into(), json!({"type": "object", "enabled": false}));
    json!({
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "analysis": {
                "analyzer": {
                    "folded": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding"]
                    }
                }
            }
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"quarry_mapping": MAPPING_VERSION},
            "properties": properties
        }
    })
}

/// The first and last day of a date as precise as its source (`2021`, `2021-03`,
/// `2021-03-15`, or any other shape [`crate::date::PartialDate`] reads), or `None`.
pub fn date_range(date: &str) -> Option<(String, String)> {
    let d = crate::date::PartialDate::parse(date)?;
    Some((
        crate::date::iso_day(d.first_day_unix()),
        crate::date::iso_day(d.end_unix() - 1),
    ))
}

/// One passage as the JSON document the index holds.
pub fn document(p: &PassageRecord, source_path: &str, source_version: &str) -> Value {
    let mut doc = json!({
        "passage_id": p.passage_id,
        "doc_id": p.doc_id,
        "ordinal": p.ordinal,
        "path": p.path,
        "format": p.format,
        "title": p.title,
        "publisher": p.publisher,
        "authors": p.authors,
        "date": p.date,
        "url": p.url,
        "tags": p.tags,
        "kind": p.kind,
        "lang": p.lang,
        "page": p.page,
        "ocr": p.ocr,
        "ocr_confidence": p.ocr_confidence,
        "row": p.row,
        "line": p.line,
        "start": p.start,
        "end": p.end,
        "heading": p.heading,
        "text": p.text,
        "extra": p.extra,
        "indicators": p.indicators,
        "source_path": source_path,
        "source_version": source_version,
    });
    if let Some(map) = doc.as_object_mut() {
        if let Some((from, to)) = p.date.as_deref().and_then(date_range) {
            map.insert("year".into(), from[..4].to_string().into());
            map.insert("date_from".into(), from.into());
            map.insert("date_to".into(), to.into());
        }
        let extra: Vec<String> = crate::index::ingest::extra_values(&p.extra)
            .into_iter()
            .map(|(key, value, _)| crate::schema::extra_term(key, &value))
            .collect();
        if !extra.is_empty() {
            map.insert("extra_kv".into(), extra.into());
        }
        if let Some(field) = p.lang.as_deref().and_then(language_field) {
            map.insert(format!("text_{field}"), p.text.clone().into());
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_map_to_their_fields() {
        assert_eq!(language_field("en"), Some("en"));
        assert_eq!(language_field("en-GB"), Some("en"));
        assert_eq!(language_field("RU"), Some("ru"));
        assert_eq!(language_field("zh"), Some("cjk"));
        assert_eq!(language_field("nb"), Some("no"));
        assert_eq!(language_field("uk"), None);
        assert_eq!(language_field(""), None);
    }

    #[test]
    fn dates_become_ranges_as_precise_as_the_source() {
        assert_eq!(
            date_range("2021-03"),
            Some(("2021-03-01".into(), "2021-03-31".into()))
        );
        assert_eq!(
            date_range("2020"),
            Some(("2020-01-01".into(), "2020-12-31".into()))
        );
        assert_eq!(
            date_range("2024-02-29"),
            Some(("2024-02-29".into(), "2024-02-29".into()))
        );
        assert_eq!(date_range("not a date"), None);
    }

    #[test]
    fn the_mapping_has_a_field_for_every_language_and_indicator() {
        let body = index_body(2, 1);
        let props = &body["mappings"]["properties"];
        assert_eq!(body["settings"]["number_of_shards"], 2);
        assert_eq!(props["text_ru"]["analyzer"], "russian");
        assert_eq!(props["text_cjk"]["analyzer"], "cjk");
        assert_eq!(
            props["indicators"]["properties"]["domain"]["type"],
            "keyword"
        );
        assert_eq!(props["indicators"]["properties"]["url"]["index"], false);
        assert_eq!(body["mappings"]["dynamic"], "strict");
    }
}
