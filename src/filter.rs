//! Filters on document metadata: publisher, author, tag, kind, language, source type, path glob
//! and date range.
//!
//! The same filters come from command-line flags ([`Filters`]) and from the query syntax
//! (`publisher:"Citizen Lab"`, `type:pdf`, `since:2020`, `path:"reports/*.pdf"`; see
//! [`crate::query`]). Each becomes a tantivy query that matches the passages passing it; callers
//! require it with a score of zero, so filters narrow results without changing their ranking.

use crate::date::PartialDate;
use crate::error::{Error, ErrorKind, Result};
use crate::index::QuarryIndex;
use std::ops::Bound;
use tantivy::query::{
    BooleanQuery, EmptyQuery, Occur, Query, QueryParser, TermQuery, TermSetQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

/// Filters on document metadata; all must hold. Text values match as phrases in their field
/// (case and accents ignored); dates compare the first day of a document's date with the periods
/// given, so undated documents never pass a date filter.
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
    /// Language (a code such as `ru`, or a name such as `Russian`).
    pub lang: Option<String>,
    /// Source format: a format name (`pdf`, `html`, `markdown`/`md`, `text`/`txt`, `docx`, `odt`,
    /// `csv`, `tsv`, `jsonl`, `json`) or `record` for any record format.
    pub format: Option<String>,
    /// A glob over the path as indexed (see [`path_filter`]).
    pub path: Option<String>,
    /// Dated on or after the start of this period.
    pub since: Option<PartialDate>,
    /// Dated before the end of this period.
    pub until: Option<PartialDate>,
    /// `extra` fields (other metadata, record columns) that must have these values (case
    /// ignored), as `(key, value)`.
    pub extra: Vec<(String, String)>,
    /// Leave out the passages of this document (by id): `similar` looks in other documents.
    pub not_doc: Option<String>,
    /// Leave out passages read by OCR whose words have a mean confidence under this (0 to
    /// 100); passages not read by OCR pass.
    pub min_ocr_confidence: Option<u8>,
    /// Indicators passages must name (`domain` `example.com`...), each as typed.
    pub indicators: Vec<(crate::indicators::Kind, String)>,
}

type BoxQuery = Box<dyn Query>;

impl Filters {
    /// The queries for these filters, each to be required.
    pub fn queries(&self, index: &QuarryIndex) -> Result<Vec<BoxQuery>> {
        let mut out = Vec::new();
        let phrases = [
            ("publisher", &self.publisher),
            ("author", &self.author),
            ("tag", &self.tag),
            ("kind", &self.kind),
        ];
        for (field, value) in phrases {
            if let Some(v) = value {
                out.extend(phrase_filter(index, field, v)?);
            }
        }
        if let Some(v) = &self.lang {
            out.push(lang_filter(index, v)?);
        }
        if let Some(v) = &self.format {
            out.push(format_filter(index, v)?);
        }
        if let Some(v) = &self.path {
            out.push(path_filter(index, v)?);
        }
        if self.since.is_some() || self.until.is_some() {
            out.push(date_filter(index, self.since, self.until));
        }
        for (key, value) in &self.extra {
            out.push(extra_filter(index, key, value));
        }
        for (kind, value) in &self.indicators {
            out.push(indicator_filter(index, *kind, value)?);
        }
        if let Some(min) = self.min_ocr_confidence {
            out.push(ocr_confidence_filter(index, min));
        }
        if let Some(doc) = &self.not_doc {
            out.push(Box::new(tantivy::query::BooleanQuery::new(vec![
                (
                    tantivy::query::Occur::Must,
                    Box::new(tantivy::query::AllQuery) as BoxQuery,
                ),
                (
                    tantivy::query::Occur::MustNot,
                    Box::new(tantivy::query::TermQuery::new(
                        tantivy::Term::from_field_text(index.fields().doc_id, doc),
                        tantivy::schema::IndexRecordOption::Basic,
                    )),
                ),
            ])));
        }
        Ok(out)
    }
}

/// Passages that name the indicator `value` of `kind` (as typed: `Example.com`, `#Tag`,
/// `@name`, `t.me/name`; a domain's subdomains and URLs count as the domain).
pub fn indicator_filter(
    index: &QuarryIndex,
    kind: crate::indicators::Kind,
    value: &str,
) -> Result<BoxQuery> {
    let normal = indicator_value(kind, value)?;
    let term = Term::from_field_text(
        index.fields().indicator,
        &crate::schema::indicator_term(kind, &normal),
    );
    Ok(Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
}

/// The value of an indicator filter as the index holds it (`Example.com` → `example.com`), or
/// a one-line error: URLs are no filter, and a value that is not of its kind.
pub fn indicator_value(kind: crate::indicators::Kind, value: &str) -> Result<String> {
    if !kind.is_indexed() {
        return Err(Error::new(
            ErrorKind::Query,
            format!("{}: is not a filter", kind.name()),
        )
        .with_hint("filter by the URL's domain, e.g. domain:example.com, or search its words"));
    }
    kind.normalise(value).ok_or_else(|| {
        Error::new(
            ErrorKind::Query,
            format!(
                "'{}' is not a {} quarry can match",
                crate::error::quote_input(value),
                kind.name()
            ),
        )
        .with_hint(match kind {
            crate::indicators::Kind::Domain => {
                "give a domain under a known suffix, e.g. example.co.uk"
            }
            _ => "see docs/query.md, \"Indicators\"",
        })
    })
}

/// Passages not read by OCR, and those read with a mean word confidence of at least `min`.
pub fn ocr_confidence_filter(index: &QuarryIndex, min: u8) -> BoxQuery {
    let field = index.fields().ocr_confidence;
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, Box::new(tantivy::query::AllQuery) as BoxQuery),
        (
            Occur::MustNot,
            Box::new(tantivy::query::RangeQuery::new(
                Bound::Included(Term::from_field_u64(field, 0)),
                Bound::Excluded(Term::from_field_u64(field, u64::from(min))),
            )),
        ),
    ]))
}

/// Passages whose `extra` field `key` (a record column such as `region`, a front-matter key)
/// has the value `value`, case ignored: `extra.region:Texas`.
pub fn extra_filter(index: &QuarryIndex, key: &str, value: &str) -> BoxQuery {
    Box::new(TermQuery::new(
        Term::from_field_text(
            index.fields().extra_kv,
            &crate::schema::extra_term(key, value),
        ),
        IndexRecordOption::Basic,
    ))
}

/// Passages whose `field` (publisher, author, tag, kind) contains the words of `value` in
/// order. `None` when `value` has no words.
pub fn phrase_filter(index: &QuarryIndex, field: &str, value: &str) -> Result<Option<BoxQuery>> {
    let Some(words) = phrase_words(value) else {
        return Ok(None);
    };
    let parser = QueryParser::for_index(index.tantivy(), Vec::new());
    parser
        .parse_query(&format!("{field}:\"{words}\""))
        .map(Some)
        .map_err(|e| {
            Error::new(
                ErrorKind::Query,
                format!("cannot filter on {field} '{value}': {e}"),
            )
        })
}

/// The words of a publisher, author, tag or kind filter, quotes and backslashes made spaces;
/// `None` when there are none.
pub fn phrase_words(value: &str) -> Option<String> {
    let words: String = value
        .chars()
        .map(|c| if c == '"' || c == '\\' { ' ' } else { c })
        .collect();
    let words = words.trim();
    (!words.is_empty()).then(|| words.to_string())
}

/// Passages of documents in language `value` (a code or a name).
pub fn lang_filter(index: &QuarryIndex, value: &str) -> Result<BoxQuery> {
    Ok(Box::new(TermQuery::new(
        Term::from_field_text(index.fields().lang, &lang_code(value)?),
        IndexRecordOption::Basic,
    )))
}

/// The language code of a language filter (`Russian` → `ru`), or a one-line error.
pub fn lang_code(value: &str) -> Result<String> {
    crate::analysis::detect::normalise(value).ok_or_else(|| {
        Error::new(ErrorKind::Query, format!("unknown language '{value}'"))
            .with_hint("give a language code such as en, ru, zh, ar, de")
    })
}

/// Passages of sources of type `value`: a format name, a common alias (`md`, `txt`, `htm`), or
/// `record` for every record format.
pub fn format_filter(index: &QuarryIndex, value: &str) -> Result<BoxQuery> {
    let field = index.fields().format;
    let alternatives = format_names(value)?
        .into_iter()
        .map(|n| {
            (
                Occur::Should,
                Box::new(TermQuery::new(
                    Term::from_field_text(field, n),
                    IndexRecordOption::Basic,
                )) as BoxQuery,
            )
        })
        .collect();
    Ok(Box::new(BooleanQuery::new(alternatives)))
}

/// The format names a type filter stands for (`record` → the record formats, `md` →
/// `markdown`...), or a one-line error.
pub fn format_names(value: &str) -> Result<Vec<&'static str>> {
    Ok(match value.trim().to_ascii_lowercase().as_str() {
        "record" | "records" => vec!["csv", "tsv", "jsonl", "json"],
        "md" => vec!["markdown"],
        "txt" => vec!["text"],
        "htm" => vec!["html"],
        other => match crate::document::Format::from_name(other) {
            Some(format) => vec![format.name()],
            None => {
                return Err(
                    Error::new(ErrorKind::Query, format!("unknown source type '{value}'"))
                        .with_hint(
                            "types are pdf, html, markdown (md), text (txt), docx, odt, epub, \
                             email, csv, tsv, jsonl, json, spreadsheet, telegram, or record",
                        ),
                )
            }
        },
    })
}

/// Passages dated from the start of `since` to the end of `until` (either may be open).
pub fn date_filter(
    index: &QuarryIndex,
    since: Option<PartialDate>,
    until: Option<PartialDate>,
) -> BoxQuery {
    let field = index.fields().date_value;
    let day =
        |d: i64| Term::from_field_date(field, tantivy::DateTime::from_timestamp_secs(d * 86_400));
    let lower = since.map_or(Bound::Unbounded, |d| {
        Bound::Included(day(d.first_day_unix()))
    });
    let upper = until.map_or(Bound::Unbounded, |d| Bound::Excluded(day(d.end_unix())));
    if lower == Bound::Unbounded && upper == Bound::Unbounded {
        // Still a date filter: it keeps dated documents only.
        return Box::new(tantivy::query::ExistsQuery::new(
            "date_value".to_string(),
            false,
        ));
    }
    Box::new(tantivy::query::RangeQuery::new(lower, upper))
}

/// Passages whose path, as indexed, matches the glob `pattern`: `*` and `?` match within one
/// path component, `**` across components, `[abc]` and `{a,b}` as usual. A pattern matches the
/// whole path or any tail of it that starts at a component, so `*.pdf` and `reports/*.md` work
/// wherever the corpus sits.
pub fn path_filter(index: &QuarryIndex, pattern: &str) -> Result<BoxQuery> {
    let glob = path_glob(pattern)?;
    let field = index.fields().path_raw;
    let searcher = index.searcher();
    let mut terms = index.indexed_paths(&searcher)?;
    terms.retain(|path| path_matches(&glob, path));
    if terms.is_empty() {
        return Ok(Box::new(EmptyQuery));
    }
    Ok(Box::new(TermSetQuery::new(
        terms.iter().map(|p| Term::from_field_text(field, p)),
    )))
}

/// The matcher of a path pattern (see [`path_filter`]), or a one-line error.
pub(crate) fn path_glob(pattern: &str) -> Result<globset::GlobMatcher> {
    Ok(globset::GlobBuilder::new(pattern.trim())
        .literal_separator(true)
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::Query,
                format!("'{pattern}' is not a path pattern: {}", e.kind()),
            )
            .with_hint("use * ? ** [abc] {a,b}, e.g. --path 'reports/*.pdf'")
        })?
        .compile_matcher())
}

/// Whether `path` (or a tail of it starting at a component) matches `glob`.
pub(crate) fn path_matches(glob: &globset::GlobMatcher, path: &str) -> bool {
    if glob.is_match(path) {
        return true;
    }
    path.match_indices('/')
        .any(|(i, _)| glob.is_match(&path[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(p: &str) -> globset::GlobMatcher {
        globset::GlobBuilder::new(p)
            .literal_separator(true)
            .build()
            .unwrap()
            .compile_matcher()
    }

    #[test]
    fn globs_match_whole_paths_or_tails_at_components() {
        let m = matcher("*.pdf");
        assert!(path_matches(&m, "corpus/reports/a.pdf"));
        assert!(path_matches(&m, "a.pdf"));
        assert!(!path_matches(&m, "corpus/a.pdf.md"));
        let m = matcher("reports/*.md");
        assert!(path_matches(&m, "corpus/reports/x.md"));
        assert!(!path_matches(&m, "corpus/reports/sub/x.md"));
        assert!(!path_matches(&m, "corpus/myreports/x.md"));
        let m = matcher("corpus/**/x.md");
        assert!(path_matches(&m, "corpus/reports/sub/x.md"));
        let m = matcher("{a,b}.txt");
        assert!(path_matches(&m, "dir/b.txt"));
    }
}
