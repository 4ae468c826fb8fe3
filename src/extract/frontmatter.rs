//! Front matter: the YAML (`---`) or TOML (`+++`) header of a Markdown file, mapped to metadata.
//!
//! [`split`] separates the header from the body and says on which line the body starts;
//! [`parse`] turns the header into a key/value map; [`metadata_from_map`] maps well-known keys
//! (title, authors, publisher, date, url, tags, kind, language and common synonyms) onto
//! [`Metadata`] and keeps every other key in `extra`. A malformed header is never fatal: the
//! caller gets a warning and indexes the body without it.

use crate::date::PartialDate;
use crate::document::Metadata;
use serde_json::{Map, Value};

/// Which syntax a front-matter header uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `---` fences, YAML inside.
    Yaml,
    /// `+++` fences, TOML inside.
    Toml,
}

/// A front-matter header found at the start of a file.
#[derive(Debug, PartialEq, Eq)]
pub struct FrontMatter<'a> {
    /// The header's syntax.
    pub syntax: Syntax,
    /// The header text between the fences.
    pub header: &'a str,
    /// The rest of the file after the closing fence.
    pub body: &'a str,
    /// Number of lines before `body` (fences and header included).
    pub body_line_offset: u32,
}

/// Splits a front-matter header off `text`, if `text` starts with one that is closed.
pub fn split(text: &str) -> Option<FrontMatter<'_>> {
    let (syntax, fence) = if text.starts_with("---") {
        (Syntax::Yaml, "---")
    } else if text.starts_with("+++") {
        (Syntax::Toml, "+++")
    } else {
        return None;
    };
    let first_line_end = text.find('\n')?;
    if text[..first_line_end].trim_end() != fence {
        return None;
    }
    let mut pos = first_line_end + 1;
    let mut lines = 1u32;
    while pos <= text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..end].trim_end();
        lines += 1;
        let closes = line == fence || (syntax == Syntax::Yaml && line == "...");
        if closes {
            let body_start = (end + 1).min(text.len());
            return Some(FrontMatter {
                syntax,
                header: &text[first_line_end + 1..pos],
                body: &text[body_start..],
                body_line_offset: lines,
            });
        }
        if end == text.len() {
            break;
        }
        pos = end + 1;
    }
    None
}

/// Parses a header into a key/value map, or returns why it could not.
pub fn parse(fm: &FrontMatter<'_>) -> Result<Map<String, Value>, String> {
    let value = match fm.syntax {
        Syntax::Yaml => {
            if fm.header.trim().is_empty() {
                return Ok(Map::new());
            }
            serde_saphyr::from_str::<Value>(fm.header)
                .map_err(|e| format!("invalid YAML front matter: {}", first_line(&e.to_string())))?
        }
        Syntax::Toml => {
            let table: toml::Table = toml::from_str(fm.header).map_err(|e| {
                format!("invalid TOML front matter: {}", first_line(&e.to_string()))
            })?;
            toml_to_json(toml::Value::Table(table))
        }
    };
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err("front matter is not a table of keys and values".to_string()),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Maps well-known keys onto `meta` (overriding what is there) and keeps the others in
/// `meta.extra`. Returns warnings for values that could not be used (e.g. an invalid date).
pub fn metadata_from_map(map: Map<String, Value>, meta: &mut Metadata) -> Vec<String> {
    let mut warnings = Vec::new();
    for (key, value) in map {
        match key.to_ascii_lowercase().replace('-', "_").as_str() {
            "title" => set(&mut meta.title, &value),
            "author" | "authors" | "creator" | "byline" => {
                let list = string_list(&value, false);
                if !list.is_empty() {
                    meta.authors = list;
                }
            }
            "publisher" | "publication" | "organisation" | "organization" | "site_name" => {
                set(&mut meta.publisher, &value)
            }
            "date" | "published" | "publish_date" | "date_published" | "pubdate" => {
                if let Some(raw) = scalar(&value) {
                    match PartialDate::parse(&raw) {
                        Some(d) => meta.date = Some(d.to_string()),
                        None => warnings.push(format!(
                            "unrecognised date '{raw}' (use YYYY, YYYY-MM or YYYY-MM-DD)"
                        )),
                    }
                }
            }
            "url" | "link" | "source_url" | "canonical_url" => set(&mut meta.url, &value),
            "tags" | "tag" | "keywords" => {
                let list = string_list(&value, true);
                if !list.is_empty() {
                    meta.tags = list;
                }
            }
            "kind" | "type" | "doc_type" => set(&mut meta.kind, &value),
            "language" | "lang" => set(&mut meta.lang, &value),
            "description" | "summary" | "abstract" => set(&mut meta.description, &value),
            _ => {
                meta.extra.insert(key, value);
            }
        }
    }
    warnings
}

fn set(slot: &mut Option<String>, value: &Value) {
    if let Some(s) = scalar(value) {
        *slot = Some(s);
    }
}

/// A non-empty trimmed string from a string, number or boolean value.
fn scalar(value: &Value) -> Option<String> {
    let s = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// A list of strings from a list, or from one string (split on commas when `split_commas`,
/// and on " and "/";" for author strings).
fn string_list(value: &Value, split_commas: bool) -> Vec<String> {
    let items: Vec<String> = match value {
        Value::Array(items) => items.iter().filter_map(scalar).collect(),
        other => match scalar(other) {
            Some(s) if split_commas => s.split(',').map(str::to_string).collect(),
            Some(s) => s.split(';').map(str::to_string).collect(),
            None => Vec::new(),
        },
    };
    items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_yaml_and_toml_headers() {
        let fm = split("---\ntitle: A\n---\nBody\n").unwrap();
        assert_eq!(fm.syntax, Syntax::Yaml);
        assert_eq!(fm.header, "title: A\n");
        assert_eq!(fm.body, "Body\n");
        assert_eq!(fm.body_line_offset, 3);
        let fm = split("+++\ntitle = \"A\"\n+++\n").unwrap();
        assert_eq!(fm.syntax, Syntax::Toml);
        assert_eq!(fm.body, "");
        assert!(split("---\nnever closed\n").is_none());
        assert!(split("--- not a fence\n---\n").is_none());
        assert!(split("Plain text").is_none());
    }

    #[test]
    fn maps_known_keys_and_keeps_unknown_ones() {
        let fm = split(
            "---\ntitle: Zhenhua Data leak\nauthors: [A. One, B. Two]\npublisher: Example\n\
             date: 2020-09-14\ntags: prc, data\nlanguage: en\nconfidence: high\n---\n",
        )
        .unwrap();
        let mut meta = Metadata::default();
        let warnings = metadata_from_map(parse(&fm).unwrap(), &mut meta);
        assert!(warnings.is_empty());
        assert_eq!(meta.title.as_deref(), Some("Zhenhua Data leak"));
        assert_eq!(meta.authors, ["A. One", "B. Two"]);
        assert_eq!(meta.date.as_deref(), Some("2020-09-14"));
        assert_eq!(meta.tags, ["prc", "data"]);
        assert_eq!(meta.lang.as_deref(), Some("en"));
        assert_eq!(meta.extra["confidence"], "high");
    }

    #[test]
    fn toml_dates_and_bad_values() {
        let fm = split("+++\ntitle = \"T\"\ndate = 2021-12-28\n+++\n").unwrap();
        let mut meta = Metadata::default();
        metadata_from_map(parse(&fm).unwrap(), &mut meta);
        assert_eq!(meta.date.as_deref(), Some("2021-12-28"));

        let fm = split("---\ndate: last week\n---\n").unwrap();
        let mut meta = Metadata::default();
        let warnings = metadata_from_map(parse(&fm).unwrap(), &mut meta);
        assert_eq!(meta.date, None);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn malformed_headers_are_errors_not_panics() {
        let fm = split("---\ntitle: [unclosed\n---\n").unwrap();
        assert!(parse(&fm).unwrap_err().starts_with("invalid YAML"));
        let fm = split("+++\ntitle = \n+++\n").unwrap();
        assert!(parse(&fm).unwrap_err().starts_with("invalid TOML"));
        let fm = split("---\n- a list\n---\n").unwrap();
        assert!(parse(&fm).is_err());
    }
}
