//! quarry's query syntax and filters as OpenSearch query DSL (`--engine opensearch`).
//!
//! The text is read into the same tree as quarry's own engine reads it
//! ([`crate::query::syntax_tree`]), then each part becomes its DSL counterpart:
//!
//! - plain words: `multi_match` over `text`, every `text_LANG` (each with its language's
//!   analyser; a passage fills only its own) and `title` (boosted as quarry boosts it);
//!   words are alternatives (`should`) unless `--all` makes them required;
//! - `"phrases"` and `"a b"~N`: `multi_match` of type `phrase` with that slop; `surveil*`:
//!   `phrase_prefix`; `Prigozhin~1`: fuzziness 1;
//! - `+`, `-`, `AND`, `OR`, `NOT`, parentheses: `bool` (`must`, `should`, `must_not`);
//!   `^2`: a boost;
//! - filter fields and flags (`publisher:`, `since:`, `type:`, `domain:`, `extra.KEY:`...):
//!   `filter` clauses, which match without scoring, as in quarry: publisher, author, tag and
//!   kind by their words in order (`match_phrase` on `FIELD.words`), dates as a range of the
//!   period's first day (`date_from`), formats, languages and indicators normalised as quarry
//!   normalises them, paths by glob over the paths the index holds.

use crate::error::{Error, ErrorKind, Result};
use crate::filter::Filters;
use crate::indicators::Kind;
use serde_json::{json, Value};
use tantivy::query::Occur;
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};

/// Fields plain words are searched in, with their boosts (title as [`crate::query::TITLE_BOOST`]).
pub fn text_fields() -> Vec<String> {
    let mut fields = vec!["text".to_string(), "text_*".to_string()];
    fields.push(format!("title^{}", crate::query::TITLE_BOOST));
    fields
}

/// The paths an index holds, for path globs (asked of the cluster only when a query has one).
pub trait Paths {
    /// Every distinct path.
    fn paths(&self) -> Result<Vec<String>>;
}

/// The query for `input` with `filters`: `{"bool": ...}`.
pub fn translate(
    input: &str,
    all_terms: bool,
    filters: &Filters,
    paths: &dyn Paths,
) -> Result<Value> {
    let t = Translator { all_terms, paths };
    let mut query = if input.trim().is_empty() {
        json!({"bool": {"must": [{"match_all": {}}]}})
    } else {
        t.top(crate::query::syntax_tree(input)?)?
    };
    let extra = t.filters(filters)?;
    if !extra.is_empty() {
        if let Some(list) = query["bool"]["filter"].as_array_mut() {
            list.extend(extra);
        } else {
            query["bool"]["filter"] = Value::Array(extra);
        }
    }
    Ok(query)
}

struct Translator<'a> {
    all_terms: bool,
    paths: &'a dyn Paths,
}

fn unsupported(what: &str) -> Error {
    Error::new(
        ErrorKind::Query,
        format!("{what} is not offered with --engine opensearch"),
    )
    .with_hint("run the query on the local index (without --engine)")
}

fn is_filter(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Literal(lit) => lit
                .field_name
                .as_deref()
                .is_some_and(|f| crate::query::filter_field(f).0),
            UserInputLeaf::Range { field, .. } | UserInputLeaf::Set { field, .. } => field
                .as_deref()
                .is_some_and(|f| crate::query::filter_field(f).0),
            UserInputLeaf::Regex { .. } | UserInputLeaf::Exists { .. } => false,
            UserInputLeaf::All => false,
        },
        UserInputAst::Clause(items) => !items.is_empty() && items.iter().all(|(_, c)| is_filter(c)),
        UserInputAst::Boost(inner, _) => is_filter(inner),
    }
}

fn bool_of(
    must: Vec<Value>,
    should: Vec<Value>,
    must_not: Vec<Value>,
    filter: Vec<Value>,
) -> Value {
    let mut b = serde_json::Map::new();
    let has_required = !must.is_empty() || !filter.is_empty();
    if !must.is_empty() {
        b.insert("must".into(), must.into());
    }
    if !should.is_empty() {
        if !has_required {
            b.insert("minimum_should_match".into(), 1.into());
        }
        b.insert("should".into(), should.into());
    }
    if !must_not.is_empty() {
        b.insert("must_not".into(), must_not.into());
    }
    if !filter.is_empty() {
        b.insert("filter".into(), filter.into());
    }
    json!({ "bool": b })
}

impl Translator<'_> {
    /// The whole query: filters at the top level are required and do not score.
    fn top(&self, ast: UserInputAst) -> Result<Value> {
        let items = match ast {
            UserInputAst::Clause(items) => items,
            other => vec![(None, other)],
        };
        let mut filter = Vec::new();
        let mut must_not = Vec::new();
        let mut ranked = Vec::new();
        for (occur, child) in items {
            if is_filter(&child) && occur != Some(Occur::Should) {
                let q = self.build(child)?;
                if occur == Some(Occur::MustNot) {
                    must_not.push(q);
                } else {
                    filter.push(q);
                }
            } else {
                ranked.push((occur, child));
            }
        }
        let mut must = Vec::new();
        if ranked.iter().all(|(o, _)| *o == Some(Occur::MustNot)) {
            for (_, child) in ranked {
                must_not.push(self.build(child)?);
            }
        } else {
            must.push(self.clause(ranked)?);
        }
        if must.is_empty() && filter.is_empty() {
            return Err(
                Error::new(ErrorKind::Query, "a query cannot only exclude".to_string())
                    .with_hint("give a word or filter to search for besides the excluded ones"),
            );
        }
        Ok(bool_of(must, Vec::new(), must_not, filter))
    }

    fn clause(&self, items: Vec<(Option<Occur>, UserInputAst)>) -> Result<Value> {
        let default = if self.all_terms {
            Occur::Must
        } else {
            Occur::Should
        };
        let (mut must, mut should, mut must_not, mut filter) = (vec![], vec![], vec![], vec![]);
        for (occur, child) in items {
            let filtering = is_filter(&child);
            let q = self.build(child)?;
            match occur.unwrap_or(default) {
                Occur::Must if filtering => filter.push(q),
                Occur::Must => must.push(q),
                Occur::Should => should.push(q),
                Occur::MustNot => must_not.push(q),
            }
        }
        if must.len() == 1 && should.is_empty() && must_not.is_empty() && filter.is_empty() {
            return Ok(must.remove(0));
        }
        if should.len() == 1 && must.is_empty() && must_not.is_empty() && filter.is_empty() {
            return Ok(should.remove(0));
        }
        Ok(bool_of(must, should, must_not, filter))
    }

    fn build(&self, ast: UserInputAst) -> Result<Value> {
        match ast {
            UserInputAst::Clause(items) => self.clause(items),
            UserInputAst::Boost(inner, boost) => Ok(json!({"bool": {
                "must": [self.build(*inner)?],
                "boost": boost.into_inner()
            }})),
            UserInputAst::Leaf(leaf) => self.leaf(*leaf),
        }
    }

    fn leaf(&self, leaf: UserInputLeaf) -> Result<Value> {
        match leaf {
            UserInputLeaf::Literal(lit) => self.literal(lit),
            UserInputLeaf::All => Ok(json!({"match_all": {}})),
            UserInputLeaf::Set { field, elements } => {
                let mut alternatives = Vec::new();
                for e in elements {
                    alternatives.push(self.literal(UserInputLiteral {
                        field_name: field.clone(),
                        phrase: e,
                        delimiter: Delimiter::None,
                        slop: 0,
                        prefix: false,
                    })?);
                }
                Ok(bool_of(vec![], alternatives, vec![], vec![]))
            }
            UserInputLeaf::Range { field, .. } => Err(unsupported(&format!(
                "a range on {}",
                field.as_deref().unwrap_or("words")
            ))),
            UserInputLeaf::Regex { .. } => Err(unsupported("a regular expression")),
            UserInputLeaf::Exists { field } => Err(unsupported(&format!("{field}:*"))),
        }
    }

    /// Words, a phrase, a prefix or a fuzzy word in `fields`.
    fn text(&self, lit: &UserInputLiteral, fields: Vec<String>) -> Result<Value> {
        let quoted = lit.delimiter != Delimiter::None;
        let words = lit.phrase.trim();
        let single_word = |w: &str| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '\'')
        };
        // The grammar leaves `word*` and `word~N` in the word itself, as quarry reads them.
        let mut prefix = lit.prefix;
        let mut fuzziness = 0;
        let mut words = words.to_string();
        if !quoted {
            if let Some(stem) = words.strip_suffix('*').filter(|s| single_word(s)) {
                words = stem.to_string();
                prefix = true;
            } else if let Some((word, distance)) = words.rsplit_once('~') {
                if single_word(word) {
                    let distance: u32 = distance.parse().map_err(|_| {
                        Error::new(
                            ErrorKind::Query,
                            format!("'~{distance}' after '{word}' is not an edit distance"),
                        )
                        .with_hint("write word~1 or word~2 for words one or two edits away")
                    })?;
                    fuzziness = distance.clamp(1, crate::query::MAX_FUZZY_DISTANCE);
                    words = word.to_string();
                }
            }
        }
        Ok(if prefix {
            json!({"multi_match": {"query": words, "type": "phrase_prefix", "fields": fields,
                   "max_expansions": crate::query::MAX_EXPANSIONS}})
        } else if quoted || !words.chars().all(char::is_alphanumeric) {
            // A phrase, or a word its analyser may split (`e-mail`, `2.4`): in order, as quarry
            // searches a word that analyses to several tokens.
            json!({"multi_match": {"query": words, "type": "phrase", "slop": lit.slop, "fields": fields}})
        } else if fuzziness > 0 {
            json!({"multi_match": {"query": words, "fuzziness": fuzziness, "fields": fields,
                   "max_expansions": crate::query::MAX_EXPANSIONS}})
        } else {
            json!({"multi_match": {"query": words, "fields": fields}})
        })
    }

    fn literal(&self, lit: UserInputLiteral) -> Result<Value> {
        let value = lit.phrase.trim().to_string();
        let Some(field) = lit.field_name.clone() else {
            return self.text(&lit, text_fields());
        };
        let (_, extra) = crate::query::filter_field(&field);
        if let Some(key) = extra {
            return Ok(json!({"term": {"extra_kv": crate::schema::extra_term(key, &value)}}));
        }
        match field.as_str() {
            "text" => self.text(&lit, vec!["text".into(), "text_*".into()]),
            "title" | "heading" => self.text(&lit, vec![field.clone()]),
            "since" | "until" | "date" => {
                let date = crate::date::PartialDate::parse(&value).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Query,
                        format!("'{value}' after {field}: is not a date"),
                    )
                    .with_hint("use YYYY, YYYY-MM or YYYY-MM-DD, e.g. since:2020-06")
                })?;
                Ok(match field.as_str() {
                    "since" => date_filter(Some(date), None),
                    "until" => date_filter(None, Some(date)),
                    _ => date_filter(Some(date), Some(date)),
                })
            }
            "type" | "format" => format_filter(&value),
            "lang" => lang_filter(&value),
            "publisher" | "author" | "tag" | "kind" => Ok(words_filter(&field, &value)),
            "path" => {
                if lit.prefix || value.contains(['*', '?', '[', '{']) {
                    let pattern = if lit.prefix {
                        format!("{value}*")
                    } else {
                        value
                    };
                    self.path_filter(&pattern)
                } else {
                    Ok(json!({"match_phrase": {"path.words": value}}))
                }
            }
            name => match Kind::from_name(name) {
                Some(kind) => indicator_filter(kind, &value),
                None => Err(
                    Error::new(ErrorKind::Query, format!("unknown field '{name}:'"))
                        .with_hint("see docs/query.md for the fields a query can name"),
                ),
            },
        }
    }

    fn path_filter(&self, pattern: &str) -> Result<Value> {
        let glob = crate::filter::path_glob(pattern)?;
        let matching: Vec<String> = self
            .paths
            .paths()?
            .into_iter()
            .filter(|p| crate::filter::path_matches(&glob, p))
            .collect();
        Ok(json!({"terms": {"path": matching}}))
    }

    /// The command-line filters.
    fn filters(&self, f: &Filters) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for (field, value) in [
            ("publisher", &f.publisher),
            ("author", &f.author),
            ("tag", &f.tag),
            ("kind", &f.kind),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                out.push(words_filter(field, v));
            }
        }
        if let Some(v) = &f.lang {
            out.push(lang_filter(v)?);
        }
        if let Some(v) = &f.format {
            out.push(format_filter(v)?);
        }
        if let Some(v) = &f.path {
            out.push(self.path_filter(v)?);
        }
        if f.since.is_some() || f.until.is_some() {
            out.push(date_filter(f.since, f.until));
        }
        for (key, value) in &f.extra {
            out.push(json!({"term": {"extra_kv": crate::schema::extra_term(key, value)}}));
        }
        for (kind, value) in &f.indicators {
            out.push(indicator_filter(*kind, value)?);
        }
        if let Some(min) = f.min_ocr_confidence {
            // Passages not read by OCR pass.
            out.push(json!({"bool": {"should": [
                {"range": {"ocr_confidence": {"gte": min}}},
                {"bool": {"must_not": [{"exists": {"field": "ocr_confidence"}}]}}
            ], "minimum_should_match": 1}}));
        }
        if let Some(doc) = &f.not_doc {
            out.push(json!({"bool": {"must_not": [{"term": {"doc_id": doc}}]}}));
        }
        Ok(out)
    }
}

/// Publisher, author, tag or kind containing the words of `value` in order.
fn words_filter(field: &str, value: &str) -> Value {
    let field = match field {
        "author" => "authors",
        "tag" => "tags",
        other => other,
    };
    let words = crate::filter::phrase_words(value).unwrap_or_default();
    json!({"match_phrase": {format!("{field}.words"): words}})
}

/// Dated from the first day of `since`'s period to the last of `until`'s (the first day of
/// the document's own period is what is compared, as in quarry's index).
fn date_filter(
    since: Option<crate::date::PartialDate>,
    until: Option<crate::date::PartialDate>,
) -> Value {
    let day = crate::date::iso_day;
    let mut range = serde_json::Map::new();
    if let Some(s) = since {
        range.insert("gte".into(), day(s.first_day_unix()).into());
    }
    if let Some(u) = until {
        range.insert("lt".into(), day(u.end_unix()).into());
    }
    if range.is_empty() {
        return json!({"exists": {"field": "date_from"}});
    }
    json!({"range": {"date_from": range}})
}

fn format_filter(value: &str) -> Result<Value> {
    Ok(json!({"terms": {"format": crate::filter::format_names(value)?}}))
}

fn lang_filter(value: &str) -> Result<Value> {
    Ok(json!({"term": {"lang": crate::filter::lang_code(value)?}}))
}

fn indicator_filter(kind: Kind, value: &str) -> Result<Value> {
    let normal = crate::filter::indicator_value(kind, value)?;
    Ok(json!({"term": {format!("indicators.{}", kind.name()): normal}}))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoPaths;
    impl Paths for NoPaths {
        fn paths(&self) -> Result<Vec<String>> {
            Ok(vec!["corpus/a.pdf".into(), "corpus/b.md".into()])
        }
    }

    fn q(input: &str) -> Value {
        translate(input, false, &Filters::default(), &NoPaths).unwrap()
    }

    #[test]
    fn words_are_alternatives_and_filters_do_not_score() {
        let v = q("zhenhua leak publisher:\"citizen lab\" since:2020-06");
        let b = &v["bool"];
        assert_eq!(b["must"][0]["bool"]["should"].as_array().unwrap().len(), 2);
        assert_eq!(b["must"][0]["bool"]["minimum_should_match"], 1);
        assert_eq!(
            b["filter"][0],
            json!({"match_phrase": {"publisher.words": "citizen lab"}})
        );
        assert_eq!(
            b["filter"][1],
            json!({"range": {"date_from": {"gte": "2020-06-01"}}})
        );
    }

    #[test]
    fn phrases_prefixes_fuzzy_words_and_operators() {
        let v = q("\"rapid alert\"~2");
        assert_eq!(v["bool"]["must"][0]["multi_match"]["type"], "phrase");
        assert_eq!(v["bool"]["must"][0]["multi_match"]["slop"], 2);
        let v = q("surveil*");
        assert_eq!(
            v["bool"]["must"][0]["multi_match"]["type"], "phrase_prefix",
            "{v}"
        );
        let v = q("Prigozhin~1");
        assert_eq!(v["bool"]["must"][0]["multi_match"]["fuzziness"], 1);
        let v = q("+pegasus -predator");
        let b = &v["bool"]["must"][0]["bool"];
        assert_eq!(b["must"][0]["multi_match"]["query"], "pegasus");
        assert_eq!(b["must_not"][0]["multi_match"]["query"], "predator");
        let v = translate("a b", true, &Filters::default(), &NoPaths).unwrap();
        assert_eq!(
            v["bool"]["must"][0]["bool"]["must"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn filters_normalise_as_quarry_does() {
        assert_eq!(
            q("domain:www.Spiegel.ltd")["bool"]["filter"][0],
            json!({"term": {"indicators.domain": "spiegel.ltd"}})
        );
        assert_eq!(
            q("type:record")["bool"]["filter"][0],
            json!({"terms": {"format": ["csv", "tsv", "jsonl", "json"]}})
        );
        assert_eq!(
            q("lang:Russian")["bool"]["filter"][0],
            json!({"term": {"lang": "ru"}})
        );
        assert_eq!(
            q("path:*.pdf")["bool"]["filter"][0],
            json!({"terms": {"path": ["corpus/a.pdf"]}})
        );
        assert_eq!(
            q("extra.Region:Texas")["bool"]["filter"][0],
            json!({"term": {"extra_kv": "region\u{1f}texas"}})
        );
        assert!(translate("url:x", false, &Filters::default(), &NoPaths).is_err());
        assert!(translate("-a", false, &Filters::default(), &NoPaths).is_err());
        assert!(translate("\"open", false, &Filters::default(), &NoPaths).is_err());
    }
}
