//! Record datasets: CSV, TSV, JSON Lines and JSON arrays, one document per row, streamed.
//!
//! Each row (line, array element; a JSON file holding one object is one record) becomes a
//! document of its own, cited by file and row. Text comes from the mapped column(s), else the
//! first recognised text column, else the title column (datasets of headlines); metadata (title,
//! date, author or account, URL, language, id) from others; every other non-empty column is
//! kept in `extra`. Without configuration, the
//! common column names of social-media and ad datasets are recognised ([`TEXT_COLUMNS`] and the
//! other lists below, case-insensitive; in JSON also nested paths such as `user.screen_name`);
//! any mapping can be set per file pattern in the corpus config (`[records]` in quarry.toml).
//!
//! Files are streamed record by record: memory does not grow with the file, so a 1 GB CSV indexes
//! in bounded memory. Rows grouped into one document (`group`: lines of a page) are held until
//! the group ends, at most [`MAX_GROUP_BYTES`] of text. Non-UTF-8 CSV files are decoded with the encoding detected from their
//! first 64 KB. Ragged CSV rows are read as far as they go; rows without text are counted and
//! reported once, not indexed.

use super::{Extracted, Extractor, Failure, FailureKind, Isolate, Method};
use crate::date::PartialDate;
use crate::document::{Document, Format, Metadata, TextBuilder};
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

/// The CSV extractor.
pub const CSV: Extractor = Extractor {
    format: Format::Csv,
    name: "csv",
    version: 3,
    extensions: &["csv"],
    isolate: Isolate::Never,
    method: Method::Records,
};

/// The TSV extractor.
pub const TSV: Extractor = Extractor {
    format: Format::Tsv,
    name: "tsv",
    version: 3,
    extensions: &["tsv", "tab"],
    isolate: Isolate::Never,
    method: Method::Records,
};

/// The JSON Lines extractor.
pub const JSONL: Extractor = Extractor {
    format: Format::Jsonl,
    name: "jsonl",
    version: 2,
    extensions: &["jsonl", "ndjson"],
    isolate: Isolate::Never,
    method: Method::Records,
};

/// The Telegram Desktop export extractor, for files named `result.json` (any other JSON file
/// is records of [`JSON`]; a `result.json` that is not an export is read as one too).
pub const TELEGRAM: Extractor = Extractor {
    format: Format::Telegram,
    name: "telegram",
    version: 1,
    extensions: &[],
    isolate: Isolate::Never,
    method: Method::Records,
};

/// The JSON array extractor.
pub const JSON: Extractor = Extractor {
    format: Format::Json,
    name: "json",
    version: 2,
    extensions: &["json"],
    isolate: Isolate::Never,
    method: Method::Records,
};

/// Column names recognised as the text of a record, in order of preference.
pub const TEXT_COLUMNS: &[&str] = &[
    "text",
    "content",
    "tweet_text",
    "full_text",
    "body",
    "message",
    "ad_text",
    "post_text",
    "caption",
    "description",
    "short_description",
    "summary",
    "claim",
];
/// Column names recognised as the title of a record.
pub const TITLE_COLUMNS: &[&str] = &["title", "headline", "subject", "name"];
/// Column names recognised as the date of a record.
pub const DATE_COLUMNS: &[&str] = &[
    "date",
    "created_at",
    "publish_date",
    "tweet_time",
    "published",
    "published_at",
    "timestamp",
    "ad_creation_date",
    "create_date",
    "created",
    "creation_date",
    "time",
    "datetime",
];
/// Column names recognised as the author or account of a record.
pub const AUTHOR_COLUMNS: &[&str] = &[
    "author",
    "user_screen_name",
    "account",
    "screen_name",
    "username",
    "user.screen_name",
    "user.name",
    "account_name",
    "handle",
    "user",
    "author_id",
    "from",
];
/// Column names recognised as the URL of a record.
pub const URL_COLUMNS: &[&str] = &["url", "link", "permalink", "tweet_url", "ad_url"];
/// Column names recognised as the language of a record.
pub const LANG_COLUMNS: &[&str] = &["language", "lang", "tweet_language"];
/// Column names recognised as the id of a record.
pub const ID_COLUMNS: &[&str] = &["id", "tweet_id", "tweetid", "post_id", "ad_id", "record_id"];

/// Which columns of a record hold what. Empty fields mean "recognise the common names".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Columns whose values, joined, are the record's text.
    #[serde(default, deserialize_with = "one_or_many")]
    pub text: Vec<String>,
    /// The title column.
    pub title: Option<String>,
    /// The date column.
    pub date: Option<String>,
    /// The author or account column.
    pub author: Option<String>,
    /// The URL column.
    pub url: Option<String>,
    /// The language column.
    pub lang: Option<String>,
    /// The id column.
    pub id: Option<String>,
    /// A column whose value groups consecutive rows into one document: rows that are lines of
    /// one text (a page/line table of a report) are joined, one line each, and a numeric value
    /// is the document's page.
    pub group: Option<String>,
    /// The field delimiter of a CSV file, when it is not a comma (`;`, `|`, a tab).
    pub delimiter: Option<char>,
    /// For a Telegram export: the channel's public username, for `https://t.me/<username>/<id>`
    /// links (exports do not record it).
    pub username: Option<String>,
}

impl Mapping {
    /// The CSV field delimiter as a byte (a comma when none is set), or why the one set cannot
    /// be used.
    pub fn delimiter_byte(&self) -> Result<u8, String> {
        match self.delimiter {
            None => Ok(b','),
            Some(c) if c.is_ascii() && !matches!(c, '"' | '\n' | '\r') => Ok(c as u8),
            Some(c) => Err(format!(
                "the delimiter '{}' is not one ASCII character other than a quote or a line break",
                c.escape_default()
            )),
        }
    }
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// What streaming a record file did.
#[derive(Debug, Clone, Default)]
pub struct RecordSummary {
    /// Records turned into documents.
    pub records: u64,
    /// Warnings about the file as a whole (rows without text, unparsable lines...).
    pub warnings: Vec<String>,
}

/// A record before mapping: its fields in order, its row and its starting line.
#[derive(Clone)]
pub(super) struct Row {
    pub(super) fields: Vec<(String, Value)>,
    pub(super) row: u64,
    pub(super) line: u32,
}

impl Row {
    /// The value under `name`: an exact key, else case-insensitive, else a dotted path into
    /// nested objects.
    fn get(&self, name: &str) -> Option<&Value> {
        if let Some((_, v)) = self.fields.iter().find(|(k, _)| k == name) {
            return Some(v);
        }
        if let Some((_, v)) = self
            .fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            return Some(v);
        }
        let (head, rest) = name.split_once('.')?;
        let mut value = self.get(head)?;
        for part in rest.split('.') {
            value = value
                .as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(part))
                .map(|(_, v)| v)?;
        }
        Some(value)
    }

    /// The first of `configured` (when set) or `candidates` that has a non-empty value.
    fn pick<'a>(
        &self,
        configured: Option<&'a str>,
        candidates: &[&'a str],
    ) -> Option<(&'a str, String)> {
        let names: Vec<&str> = match configured {
            Some(c) => vec![c],
            None => candidates.to_vec(),
        };
        names
            .into_iter()
            .find_map(|n| self.get(n).and_then(scalar).map(|v| (n, v)))
    }
}

/// Values datasets write for "no value" (R's `NA`, spreadsheets' `#N/A`, `null`, a dash):
/// missing, never codes (a `Language` of `NA` is no language, not Namibian).
const MISSING: &[&str] = &[
    "na", "n/a", "#n/a", "null", "nil", "nan", "-", "--", "\u{2013}", "\u{2014}",
];

/// Whether a trimmed cell is one of the [`MISSING`] spellings.
fn is_missing(s: &str) -> bool {
    s.is_empty() || MISSING.iter().any(|m| s.eq_ignore_ascii_case(m))
}

/// A value as text: strings as they are, numbers and booleans printed, lists of scalars joined;
/// `None` for empty and null-like values.
fn scalar(value: &Value) -> Option<String> {
    let s = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        // Rich text as exporters write it: strings and `{"type": "link", "text": "..."}` pieces
        // (Telegram) run together; other lists are joined with commas.
        Value::Array(items) if items.iter().any(|i| i.get("text").is_some()) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.as_str()),
                Value::Object(o) => o.get("text").and_then(Value::as_str),
                _ => None,
            })
            .collect::<String>()
            .trim()
            .to_string(),
        Value::Array(items) => items
            .iter()
            .filter_map(scalar)
            .collect::<Vec<_>>()
            .join(", "),
        _ => return None,
    };
    (!is_missing(&s)).then_some(s)
}

const MAX_EXTRA_CHARS: usize = 500;

/// The words of a record title made from its text.
const EXCERPT_WORDS: usize = 12;

/// The start of `text` as a title: its first line's first [`EXCERPT_WORDS`] words, with `…`
/// when cut.
fn excerpt(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut out = words[..words.len().min(EXCERPT_WORDS)].join(" ");
    if words.len() > EXCERPT_WORDS || text.trim() != line.trim() {
        out.push('…');
    }
    out
}

/// A row of another kind of table (a spreadsheet's) as a record document at `path`, or `None`
/// when it has no text: `fields` in column order, `row` its number in its table.
pub(super) fn row_document(
    fields: Vec<(String, Value)>,
    row: u64,
    path: &str,
    format: Format,
    mapping: &Mapping,
) -> Option<Extracted> {
    let line = u32::try_from(row).unwrap_or(u32::MAX);
    to_document(&Row { fields, row, line }, path, format, mapping)
}

/// Turns a row into a document, or `None` when it has no text.
fn to_document(row: &Row, path: &str, format: Format, mapping: &Mapping) -> Option<Extracted> {
    let mut out = TextBuilder::new();
    let used = row_text(row, mapping, &mut out);
    let (text, blocks) = out.finish();
    if blocks.is_empty() {
        return None;
    }
    let mut doc = with_metadata(row, used, (text, blocks), path, format, mapping);
    doc.row = Some(row.row);
    Some(Extracted::new(doc))
}

/// Rows of a file with a `group` column that share its value, collected until it changes.
struct Group {
    key: String,
    first: Row,
    /// Each row's text, its line and the columns it drew on.
    lines: Vec<(String, u32)>,
    used: Vec<String>,
    /// Bytes of text in `lines`.
    bytes: usize,
}

/// The most text one group of rows gathers before it becomes a document and the next rows,
/// even with the same group value, start another.
const MAX_GROUP_BYTES: usize = 1 << 20;

impl Group {
    fn start(key: String, row: Row) -> Group {
        Group {
            key,
            first: row,
            lines: Vec::new(),
            used: Vec::new(),
            bytes: 0,
        }
    }

    /// Whether the group holds as much text as one document may: a group column that never
    /// changes must not gather a whole file in memory.
    fn is_full(&self) -> bool {
        self.bytes >= MAX_GROUP_BYTES
    }

    /// Adds `row`'s text; of the other columns only the values every row shares are kept.
    fn add(&mut self, row: &Row, mapping: &Mapping) {
        let mut out = TextBuilder::new();
        let used = row_text(row, mapping, &mut out);
        let (text, _) = out.finish();
        if !text.is_empty() {
            self.bytes += text.len();
            self.lines.push((text, row.line));
        }
        for u in used {
            if !self.used.contains(&u) {
                self.used.push(u);
            }
        }
        self.first
            .fields
            .retain(|(k, v)| row.get(k).is_some_and(|other| other == v));
    }

    /// The group as one document of one block, a line per row, with the group's value as page
    /// when it is a number; `None` when no row had text.
    fn finish(self, path: &str, format: Format, mapping: &Mapping) -> Option<Extracted> {
        let page = self.key.trim().parse::<u32>().ok().filter(|&p| p > 0);
        // One paragraph, a line per row: sentences run across the rows as they did on the
        // page, and each line of the block is one more line of the file.
        let joined = self
            .lines
            .iter()
            .map(|(line, _)| line.replace('\n', " "))
            .collect::<Vec<_>>()
            .join("\n");
        let mut out = TextBuilder::new();
        out.push(&joined, self.lines.first().map_or(0, |l| l.1), page, None);
        let (text, blocks) = out.finish();
        if blocks.is_empty() {
            return None;
        }
        let mut used = self.used;
        if let Some(g) = &mapping.group {
            used.push(g.to_ascii_lowercase());
        }
        let untitled = mapping.title.is_none();
        let mut doc = with_metadata(&self.first, used, (text, blocks), path, format, mapping);
        doc.row = Some(self.first.row);
        if untitled {
            // The start of a page is no title: a folder default's title replaces it.
            doc.meta.guess("title");
        }
        Some(Extracted::new(doc))
    }
}

/// Pushes the text columns of `row` into `out` and returns the columns used (lower case).
fn row_text(row: &Row, mapping: &Mapping, out: &mut TextBuilder) -> Vec<String> {
    let mut used: Vec<String> = Vec::new();
    let text_names: Vec<&str> = if mapping.text.is_empty() {
        // The first recognised text column that has a value, else the title.
        TEXT_COLUMNS
            .iter()
            .chain(TITLE_COLUMNS)
            .copied()
            .find(|n| row.get(n).and_then(scalar).is_some())
            .into_iter()
            .collect()
    } else {
        mapping.text.iter().map(String::as_str).collect()
    };
    let mut line = row.line;
    for name in &text_names {
        if let Some(text) = row.get(name).and_then(scalar) {
            out.push(&text, line, None, None);
            line += text.matches('\n').count() as u32;
            used.push(name.to_ascii_lowercase());
        }
    }
    used
}

/// A document of `text` with the metadata of `row`'s other columns (`used` lists the columns
/// that made the text).
fn with_metadata(
    row: &Row,
    mut used: Vec<String>,
    (text, blocks): (String, Vec<crate::document::Block>),
    path: &str,
    format: Format,
    mapping: &Mapping,
) -> Document {
    let title_is_text = used.iter().any(|u| TITLE_COLUMNS.contains(&u.as_str()));
    let mut meta = Metadata::default();
    let mut take = |configured: &Option<String>, candidates: &[&str]| -> Option<String> {
        let (name, value) = row.pick(configured.as_deref(), candidates)?;
        used.push(name.to_ascii_lowercase());
        Some(value)
    };
    // A recognised title column that serves as the text is not the title as well, unless the
    // configuration says it is.
    let title = if title_is_text && mapping.title.is_none() {
        None
    } else {
        take(&mapping.title, TITLE_COLUMNS)
    };
    let author = take(&mapping.author, AUTHOR_COLUMNS);
    let date = take(&mapping.date, DATE_COLUMNS);
    meta.url = take(&mapping.url, URL_COLUMNS);
    meta.lang = take(&mapping.lang, LANG_COLUMNS).map(|l| l.to_lowercase());
    let id = take(&mapping.id, ID_COLUMNS);
    // A Telegram message's publisher is its channel.
    if format == Format::Telegram {
        meta.publisher = take(&None, &["publisher"]);
    }
    meta.date = date
        .as_deref()
        .and_then(PartialDate::parse)
        .map(|d| d.to_string());
    // Posts are cited to the minute: keep the time the date column gave.
    if let (Some(raw), Some(_)) = (&date, &meta.date) {
        if raw.contains(':') {
            meta.extra
                .insert("timestamp".to_string(), Value::String(raw.clone()));
        }
    }
    // Without a title of its own a record is named by the start of its text, which is what
    // a reader recognises (and cites) a post by.
    meta.title = Some(title.clone().unwrap_or_else(|| excerpt(&text)));
    meta.authors = author.into_iter().collect();
    if let Some(id) = id {
        // Some datasets identify a post by its address.
        if meta.url.is_none() && (id.starts_with("https://") || id.starts_with("http://")) {
            meta.url = Some(id.clone());
        }
        meta.extra.insert("id".to_string(), Value::String(id));
    }
    for (key, value) in &row.fields {
        let lower = key.to_ascii_lowercase();
        if used
            .iter()
            .any(|u| u == &lower || u.starts_with(&format!("{lower}.")))
        {
            continue;
        }
        if let Some(mut v) = scalar(value) {
            if let Some((cut, _)) = v.char_indices().nth(MAX_EXTRA_CHARS) {
                v.truncate(cut);
                v.push('…');
            }
            meta.extra.entry(key.clone()).or_insert(Value::String(v));
        }
    }
    if date.is_some() && meta.date.is_none() {
        meta.extra.insert(
            "date_raw".to_string(),
            Value::String(date.unwrap_or_default()),
        );
    }
    let mut doc = Document::new(path, format, (text, blocks));
    doc.meta = meta;
    doc
}

/// Warnings for the columns `mapping` names that the first record of a file lacks: a mapping
/// to a column that does not exist is a typo to report, not to ignore.
fn unmapped(row: &Row, mapping: &Mapping, display: &str) -> Vec<String> {
    let named = mapping.text.iter().map(|c| ("text", c)).chain(
        [
            ("title", &mapping.title),
            ("date", &mapping.date),
            ("author", &mapping.author),
            ("url", &mapping.url),
            ("lang", &mapping.lang),
            ("id", &mapping.id),
            ("group", &mapping.group),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v))),
    );
    let columns: Vec<&str> = row.fields.iter().map(|(k, _)| k.as_str()).collect();
    named
        .filter(|(_, column)| row.get(column).is_none())
        .map(|(field, column)| {
            format!(
                "quarry.toml maps {field} to a column \"{column}\" that {display} does not have (its columns: {})",
                columns.join(", ")
            )
        })
        .collect()
}

/// Streams the records of a file, calling `sink` with one document per record. `display` is
/// the path recorded in the documents. `sink` may stop the stream by returning an error.
pub fn stream(
    extractor: &Extractor,
    path: &Path,
    display: &str,
    mapping: &Mapping,
    sink: &mut dyn FnMut(Extracted) -> Result<(), String>,
) -> Result<RecordSummary, Failure> {
    let file = std::fs::File::open(path).map_err(|e| Failure::unreadable(&e))?;
    let mut summary = RecordSummary::default();
    let mut empty_rows = 0u64;
    let mut sink_error: Option<String> = None;
    let mut missing_columns: Option<Vec<String>> = None;
    let format = extractor.format;
    let mut deliver = |doc: Option<Extracted>,
                       summary: &mut RecordSummary,
                       empty_rows: &mut u64,
                       sink_error: &mut Option<String>|
     -> bool {
        match doc {
            Some(extracted) => match sink(extracted) {
                Ok(()) => {
                    summary.records += 1;
                    true
                }
                Err(e) => {
                    *sink_error = Some(e);
                    false
                }
            },
            None => {
                *empty_rows += 1;
                true
            }
        }
    };
    let mut group: Option<Group> = None;
    let mut handle = |row: Row| -> bool {
        if missing_columns.is_none() {
            missing_columns = Some(unmapped(&row, mapping, display));
        }
        let Some(column) = &mapping.group else {
            let doc = to_document(&row, display, format, mapping);
            return deliver(doc, &mut summary, &mut empty_rows, &mut sink_error);
        };
        let key = row.get(column).and_then(scalar).unwrap_or_default();
        let done = match group.take() {
            Some(g) if g.key == key && !g.is_full() => {
                group = Some(g);
                None
            }
            other => other,
        };
        let current = group.get_or_insert_with(|| Group::start(key, row.clone()));
        current.add(&row, mapping);
        match done {
            Some(g) => deliver(
                g.finish(display, format, mapping),
                &mut summary,
                &mut empty_rows,
                &mut sink_error,
            ),
            None => true,
        }
    };
    let warnings = match extractor.format {
        Format::Csv => {
            let delimiter = mapping
                .delimiter_byte()
                .map_err(|e| Failure::new(FailureKind::Corrupt, e))?;
            delimited(file, delimiter, &mut handle)?
        }
        Format::Tsv => delimited(file, b'\t', &mut handle)?,
        Format::Jsonl => json_lines(file, &mut handle)?,
        Format::Telegram => {
            let mut file = file;
            let head = super::telegram::head(&mut file).map_err(|e| Failure::unreadable(&e))?;
            if super::telegram::is_export(&head) {
                super::telegram::messages(file, mapping, &mut handle)?
            } else {
                json_array(file, &mut handle)?
            }
        }
        _ => json_array(file, &mut handle)?,
    };
    if let Some(g) = group.take() {
        if sink_error.is_none() {
            let doc = g.finish(display, format, mapping);
            deliver(doc, &mut summary, &mut empty_rows, &mut sink_error);
        }
    }
    if let Some(e) = sink_error {
        return Err(Failure::new(FailureKind::Corrupt, e));
    }
    summary.warnings = missing_columns.unwrap_or_default();
    summary.warnings.extend(warnings);
    if empty_rows > 0 {
        summary.warnings.push(format!(
            "{empty_rows} record(s) without text skipped (text columns: {})",
            if mapping.text.is_empty() {
                TEXT_COLUMNS.join(", ")
            } else {
                mapping.text.join(", ")
            }
        ));
    }
    if summary.records == 0 {
        if let Some(hint) = summary
            .warnings
            .iter()
            .find(|w| w.starts_with(ONE_COLUMN_HINT))
        {
            return Err(Failure::new(
                FailureKind::NoText,
                format!("no records with text: {hint}"),
            ));
        }
        return Err(Failure::new(
            FailureKind::NoText,
            format!(
                "no records with text (looked for a column named {}; map the text column under [records] in quarry.toml)",
                if mapping.text.is_empty() {
                    TEXT_COLUMNS.join(", ")
                } else {
                    mapping.text.join(", ")
                }
            ),
        ));
    }
    Ok(summary)
}

/// The most text kept from one CSV or TSV field; the rest is dropped with a warning, so a
/// 100 MB field costs one read buffer, not copies of it in every later step.
pub const MAX_FIELD_BYTES: usize = 10_000_000;

/// The start of the warning that a CSV's one-column header holds another delimiter; it becomes
/// the reason when the file then yields no records.
const ONE_COLUMN_HINT: &str = "the header has one column";

/// A last row whose quoted fields hold this many line breaks is reported as an unclosed quote.
const UNCLOSED_QUOTE_LINES: usize = 100;

/// Reads CSV or TSV, calling `handle` per record until it returns false.
fn delimited(
    file: std::fs::File,
    delimiter: u8,
    handle: &mut dyn FnMut(Row) -> bool,
) -> Result<Vec<String>, Failure> {
    let newlines = Rc::new(std::cell::RefCell::new(std::collections::VecDeque::new()));
    let counted = NewlineOffsets {
        inner: file,
        read: 0,
        offsets: Rc::clone(&newlines),
    };
    let mut lines_before = LinesBefore {
        offsets: newlines,
        passed: 0,
        last: None,
    };
    let mut reader = BufReader::with_capacity(64 * 1024, counted);
    let head = reader.fill_buf().map_err(|e| Failure::unreadable(&e))?;
    let encoding = if head.contains(&0)
        && !head.starts_with(&[0xFF, 0xFE])
        && !head.starts_with(&[0xFE, 0xFF])
    {
        return Err(Failure::new(
            FailureKind::Binary,
            "binary file (contains NUL bytes)",
        ));
    } else {
        sniff_encoding(head)
    };
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(reader);
    let cut_fields = Cell::new(0u64);
    let decode = |bytes: &[u8]| -> String {
        let bytes = if bytes.len() > MAX_FIELD_BYTES {
            cut_fields.set(cut_fields.get() + 1);
            let mut end = MAX_FIELD_BYTES;
            // Back to the start of a UTF-8 character (a no-op for most legacy encodings).
            while end > 0 && (bytes[end] & 0xC0) == 0x80 {
                end -= 1;
            }
            &bytes[..end]
        } else {
            bytes
        };
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => encoding.decode_without_bom_handling(bytes).0.into_owned(),
        }
    };
    let mut headers: Vec<String> = csv
        .byte_headers()
        .map_err(|e| Failure::new(FailureKind::Corrupt, format!("unreadable CSV header: {e}")))?
        .iter()
        .map(|h| decode(h).trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut warnings = Vec::new();
    for i in 1..headers.len() {
        if headers[..i].contains(&headers[i]) {
            let mut k = 2;
            while headers.contains(&format!("{}_{k}", headers[i])) {
                k += 1;
            }
            let renamed = format!("{}_{k}", headers[i]);
            warnings.push(format!(
                "duplicate column name '{}': column {} is read as '{renamed}'",
                headers[i],
                i + 1
            ));
            headers[i] = renamed;
        }
    }
    if delimiter == b',' && headers.len() == 1 {
        let first = &headers[0];
        if let Some(d) = [';', '\t', '|'].into_iter().find(|d| first.contains(*d)) {
            warnings.push(format!(
                "{ONE_COLUMN_HINT} but contains '{}': is the file delimited by it? (set `delimiter` for it under [records] in quarry.toml)",
                d.escape_default()
            ));
        }
    }
    let mut ragged = 0u64;
    let mut bad = 0u64;
    let mut record = csv::ByteRecord::new();
    let mut row = 0u64;
    // The line breaks inside the fields of the last row read: a row that runs to the end of the
    // file over many lines is an unclosed quote.
    let mut last_breaks = (0usize, 0u64, 0u64); // (breaks, row, line)
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(Failure::new(
                        FailureKind::Unreadable,
                        format!("read error: {e}"),
                    ));
                }
                bad += 1;
                if bad > 1000 {
                    return Err(Failure::new(
                        FailureKind::Corrupt,
                        format!("not a readable CSV file: {e}"),
                    ));
                }
                continue;
            }
        }
        row += 1;
        if record.len() != headers.len() {
            ragged += 1;
        }
        let fields = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.clone(), Value::String(decode(v))))
            .collect();
        let breaks = record
            .iter()
            .map(|f| f.iter().filter(|&&b| b == b'\n').count())
            .sum::<usize>();
        // The csv crate's line count (and its record start) skip blank lines; count lines from
        // the bytes read instead, back from the end of the record: its line breaks, and its
        // terminator if it has one.
        let end = csv.position().byte();
        let before_end = lines_before.at(end);
        let terminated = lines_before.last == Some(end.wrapping_sub(1));
        let line = (before_end + 1 - u64::from(terminated)).saturating_sub(breaks as u64) as u32;
        last_breaks = (breaks, row, u64::from(line));
        if !handle(Row { fields, row, line }) {
            break;
        }
    }
    if ragged > 0 {
        warnings.push(format!(
            "{ragged} row(s) with a number of fields other than the header's {}",
            headers.len()
        ));
    }
    if bad > 0 {
        warnings.push(format!("{bad} unreadable row(s) skipped"));
    }
    if cut_fields.get() > 0 {
        warnings.push(format!(
            "{} field(s) longer than {} MB cut to that size",
            cut_fields.get(),
            MAX_FIELD_BYTES / 1_000_000
        ));
    }
    let (breaks, last_row, last_line) = last_breaks;
    if breaks >= UNCLOSED_QUOTE_LINES {
        warnings.push(format!(
            "row {last_row} (line {last_line}) has a quoted field that runs {breaks} lines to the end of the file: an unclosed quote? (the rows after it are read as part of it)"
        ));
    }
    Ok(warnings)
}

/// A reader that notes the offset of every line break it passes on, for [`LinesBefore`].
struct NewlineOffsets<R> {
    inner: R,
    read: u64,
    offsets: Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>,
}

impl<R: Read> Read for NewlineOffsets<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut offsets = self.offsets.borrow_mut();
        for (i, _) in buf[..n].iter().enumerate().filter(|(_, &b)| b == b'\n') {
            offsets.push_back(self.read + i as u64);
        }
        self.read += n as u64;
        Ok(n)
    }
}

/// Line numbers of byte offsets, asked in increasing order: the breaks noted by
/// [`NewlineOffsets`] are dropped once passed, so memory holds only the breaks read ahead.
struct LinesBefore {
    offsets: Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>,
    passed: u64,
    /// The offset of the last line break passed.
    last: Option<u64>,
}

impl LinesBefore {
    /// How many line breaks come before byte `offset`.
    fn at(&mut self, offset: u64) -> u64 {
        let mut offsets = self.offsets.borrow_mut();
        while let Some(o) = offsets.front().copied().filter(|&o| o < offset) {
            offsets.pop_front();
            self.passed += 1;
            self.last = Some(o);
        }
        self.passed
    }
}

/// The encoding of a delimited file, from its first bytes: UTF-8 unless they are not valid
/// UTF-8 (a cut multi-byte character at the end of the sample is allowed).
fn sniff_encoding(head: &[u8]) -> &'static encoding_rs::Encoding {
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(head) {
        return enc;
    }
    match std::str::from_utf8(head) {
        Ok(_) => encoding_rs::UTF_8,
        Err(e) if e.error_len().is_none() => encoding_rs::UTF_8,
        Err(_) => {
            let mut detector =
                chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(head, false);
            detector.guess(None, chardetng::Utf8Detection::Allow)
        }
    }
}

fn object_fields(value: Value) -> Option<Vec<(String, Value)>> {
    match value {
        Value::Object(map) => Some(map.into_iter().collect()),
        _ => None,
    }
}

/// Reads JSON Lines, calling `handle` per record until it returns false.
fn json_lines(
    file: std::fs::File,
    handle: &mut dyn FnMut(Row) -> bool,
) -> Result<Vec<String>, Failure> {
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut buf = Vec::new();
    let mut line = 0u32;
    let mut row = 0u64;
    let mut bad = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Failure::unreadable(&e))?;
        if n == 0 {
            break;
        }
        line += 1;
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(text)
            .ok()
            .and_then(object_fields)
        {
            Some(fields) => {
                row += 1;
                if !handle(Row { fields, row, line }) {
                    break;
                }
            }
            None => {
                bad += 1;
                if bad > 1000 && row == 0 {
                    return Err(Failure::new(
                        FailureKind::Corrupt,
                        "not JSON Lines (no line is a JSON object)",
                    ));
                }
            }
        }
    }
    Ok(if bad > 0 {
        vec![format!("{bad} line(s) that are not JSON objects skipped")]
    } else {
        Vec::new()
    })
}

/// A reader that counts lines and notes the line of the first significant byte read after
/// being armed (the start of the next array element).
struct LineCounter<R> {
    inner: R,
    line: u32,
    armed: Rc<Cell<bool>>,
    start: Rc<Cell<u32>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // One byte at a time, so that the line of each byte is known; the inner reader buffers.
        let mut one = [0u8; 1];
        if buf.is_empty() || self.inner.read(&mut one)? == 0 {
            return Ok(0);
        }
        let b = one[0];
        if self.armed.get() && !b.is_ascii_whitespace() && b != b',' {
            self.start.set(self.line);
            self.armed.set(false);
        }
        if b == b'\n' {
            self.line += 1;
        }
        buf[0] = b;
        Ok(1)
    }
}

struct Elements<'h> {
    handle: &'h mut dyn FnMut(Row) -> bool,
    armed: Rc<Cell<bool>>,
    start: Rc<Cell<u32>>,
    skipped: &'h mut u64,
    rows: &'h mut u64,
    /// The key of the array the records were found under, when the file is an object holding
    /// one (a Telegram export's `messages`).
    nested: &'h mut Option<String>,
}

/// The key of the array of records inside a top-level object: the longest array whose elements
/// are mostly objects, if it has at least two of them.
fn records_key(map: &serde_json::Map<String, Value>) -> Option<String> {
    // An object with text of its own is one record, whatever lists it holds.
    let has_text = map.iter().any(|(k, v)| {
        TEXT_COLUMNS.iter().any(|c| k.eq_ignore_ascii_case(c)) && scalar(v).is_some()
    });
    if has_text {
        return None;
    }
    map.iter()
        .filter_map(|(k, v)| {
            let items = v.as_array()?;
            let objects = items.iter().filter(|i| i.is_object()).count();
            (objects >= 2 && objects * 2 > items.len()).then_some((k, objects))
        })
        .max_by_key(|(_, n)| *n)
        .map(|(k, _)| k.clone())
}

impl<'de> Visitor<'de> for Elements<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of records, or one record")
    }

    /// A file holding one object is one record, unless the object holds an array of records
    /// (an export with its messages under `messages`): then those are the records.
    fn visit_map<M: serde::de::MapAccess<'de>>(self, map: M) -> Result<(), M::Error> {
        let mut value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        let key = value.as_object().and_then(records_key);
        if let Some(key) = key {
            let items = value
                .as_object_mut()
                .and_then(|m| m.remove(&key))
                .and_then(|v| match v {
                    Value::Array(items) => Some(items),
                    _ => None,
                })
                .unwrap_or_default();
            *self.nested = Some(key);
            let mut row = 0u64;
            for item in items {
                match object_fields(item) {
                    Some(fields) => {
                        row += 1;
                        *self.rows = row;
                        if !(self.handle)(Row {
                            fields,
                            row,
                            line: 1,
                        }) {
                            break;
                        }
                    }
                    None => *self.skipped += 1,
                }
            }
            return Ok(());
        }
        if let Some(fields) = object_fields(value) {
            *self.rows = 1;
            (self.handle)(Row {
                fields,
                row: 1,
                line: 1,
            });
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut row = 0u64;
        loop {
            self.armed.set(true);
            let Some(value) = seq.next_element::<Value>()? else {
                break;
            };
            match object_fields(value) {
                Some(fields) => {
                    row += 1;
                    *self.rows = row;
                    let keep_going = (self.handle)(Row {
                        fields,
                        row,
                        line: self.start.get(),
                    });
                    if !keep_going {
                        break;
                    }
                }
                None => *self.skipped += 1,
            }
        }
        // Drain the rest, if the handler stopped early.
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Elements<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Reads a JSON array of objects, element by element, calling `handle` per record.
fn json_array(
    file: std::fs::File,
    handle: &mut dyn FnMut(Row) -> bool,
) -> Result<Vec<String>, Failure> {
    let armed = Rc::new(Cell::new(false));
    let start = Rc::new(Cell::new(1));
    let reader = LineCounter {
        inner: BufReader::with_capacity(64 * 1024, file),
        line: 1,
        armed: armed.clone(),
        start: start.clone(),
    };
    let mut skipped = 0u64;
    let mut rows = 0u64;
    let mut nested = None;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let result = Elements {
        handle,
        armed,
        start,
        skipped: &mut skipped,
        rows: &mut rows,
        nested: &mut nested,
    }
    .deserialize(&mut de);
    let mut warnings = Vec::new();
    if let Some(key) = &nested {
        warnings.push(format!(
            "read {rows} record(s) from its \"{key}\" array (rows are counted within it)"
        ));
    }
    match result {
        Ok(()) => {}
        // Records already read stay indexed; say where the file broke.
        Err(e) if rows > 0 => {
            warnings.push(format!("the file breaks off after {rows} record(s): {e}"))
        }
        Err(e) => {
            return Err(Failure::new(
                FailureKind::Corrupt,
                format!("not a JSON array of records: {e}"),
            ))
        }
    }
    if skipped > 0 {
        warnings.push(format!(
            "{skipped} array element(s) that are not objects skipped"
        ));
    }
    Ok(warnings)
}

/// Streams a record file into a vector (for tests and small files).
pub fn collect(
    extractor: &Extractor,
    path: &Path,
    mapping: &Mapping,
) -> Result<(Vec<Extracted>, RecordSummary), Failure> {
    let mut docs = Vec::new();
    let display = path.to_string_lossy().into_owned();
    let summary = stream(extractor, path, &display, mapping, &mut |d| {
        docs.push(d);
        Ok(())
    })?;
    Ok((docs, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }

    #[test]
    fn csv_rows_with_quoted_newlines_ragged_rows_and_common_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "posts.csv",
            b"tweet_id,author,content,publish_date,region\n\
              1,@one,\"First post, with a comma\",10/12/2016 14:03,US\n\
              2,@two,\"Line one\nline two with \"\"quotes\"\"\",2016-10-13,US\n\
              3,@three,Ragged row\n\
              4,@four,,2016-10-14,US\n",
        );
        let (docs, summary) = collect(&CSV, &p, &Mapping::default()).unwrap();
        assert_eq!(docs.len(), 3);
        let d = &docs[0].doc;
        assert_eq!(d.text, "First post, with a comma");
        assert_eq!(d.row, Some(1));
        assert_eq!(d.blocks[0].line, 2);
        assert_eq!(d.meta.authors, ["@one"]);
        assert_eq!(d.meta.date.as_deref(), Some("2016-10-12"));
        assert_eq!(d.meta.extra["id"], "1");
        assert_eq!(d.meta.extra["region"], "US");
        assert!(!d.meta.extra.contains_key("content"));
        assert_eq!(docs[1].doc.text, "Line one\nline two with \"quotes\"");
        assert_eq!(docs[1].doc.blocks[0].line, 3);
        assert_eq!(docs[2].doc.blocks[0].line, 5);
        assert_eq!(docs[2].doc.row, Some(3));
        assert!(
            summary
                .warnings
                .iter()
                .any(|w| w.contains("1 row(s) with a number of fields")),
            "{:?}",
            summary.warnings
        );
        assert!(
            summary
                .warnings
                .iter()
                .any(|w| w.contains("1 record(s) without text")),
            "{:?}",
            summary.warnings
        );
    }

    #[test]
    fn rows_that_are_lines_of_a_page_are_grouped_into_one_document_per_page() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "lines.csv",
            b"page,line,text,source
              1,1,The first page begins,ocr
              1,2,and runs on.,ocr
              2,1,Second page,ocr
              2,2,,ocr
              2,3,ends here.,scan
              3,1,,ocr
",
        );
        let mapping = Mapping {
            group: Some("page".into()),
            ..Mapping::default()
        };
        let (docs, summary) = collect(&CSV, &p, &mapping).unwrap();
        assert_eq!(docs.len(), 2, "{:?}", summary.warnings);
        let (one, two) = (&docs[0].doc, &docs[1].doc);
        assert_eq!(one.text, "The first page begins\nand runs on.");
        assert_eq!((one.row, one.blocks.len()), (Some(1), 1));
        assert_eq!((one.blocks[0].page, one.blocks[0].line), (Some(1), 2));
        assert_eq!(two.text, "Second page\nends here.");
        assert_eq!((two.row, two.blocks[0].page), (Some(3), Some(2)));
        // Columns the rows share are kept; those that vary (line, source) are not.
        assert_eq!(
            one.meta.extra.get("source").map(|v| v.as_str()),
            Some(Some("ocr"))
        );
        assert!(!two.meta.extra.contains_key("source"));
        assert!(!one.meta.extra.contains_key("line"));
        assert!(!one.meta.extra.contains_key("page"));
        assert!(one.meta.is_guess("title"));
        // The last page has no text at all.
        assert!(summary
            .warnings
            .iter()
            .any(|w| w.contains("1 record(s) without text")));
    }

    #[test]
    fn a_group_that_never_ends_is_cut_into_documents_of_bounded_size() {
        let dir = tempfile::tempdir().unwrap();
        let line = "x".repeat(1000);
        let rows = MAX_GROUP_BYTES / 1000 + 10;
        let mut csv = String::from("page,text\n");
        for _ in 0..rows {
            csv.push_str(&format!("1,{line}\n"));
        }
        let p = write(&dir, "one-page.csv", csv.as_bytes());
        let mapping = Mapping {
            group: Some("page".into()),
            ..Mapping::default()
        };
        let (docs, _) = collect(&CSV, &p, &mapping).unwrap();
        assert_eq!(docs.len(), 2);
        assert!(docs[0].doc.text.len() < MAX_GROUP_BYTES + 2000);
        assert_eq!(docs[1].doc.blocks[0].page, Some(1));
        let lines: usize = docs.iter().map(|d| d.doc.text.lines().count()).sum();
        assert_eq!(lines, rows);
    }

    #[test]
    fn headline_datasets_use_the_title_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "t.csv",
            b"date,id,title
2021-02-18,https://x/1,Special services helped a blogger
",
        );
        let (docs, _) = collect(&CSV, &p, &Mapping::default()).unwrap();
        assert_eq!(docs[0].doc.text, "Special services helped a blogger");
        assert_eq!(
            docs[0].doc.meta.title.as_deref(),
            Some("Special services helped a blogger")
        );
        assert_eq!(docs[0].doc.meta.extra["id"], "https://x/1");
    }

    #[test]
    fn configured_mappings_win() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x.tsv", b"a\tb\twhen\nalpha\tbeta\t2020\n");
        let mapping = Mapping {
            text: vec!["b".into(), "a".into()],
            date: Some("when".into()),
            ..Mapping::default()
        };
        let (docs, _) = collect(&TSV, &p, &mapping).unwrap();
        assert_eq!(docs[0].doc.text, "beta\n\nalpha");
        assert_eq!(docs[0].doc.meta.date.as_deref(), Some("2020"));
    }

    #[test]
    fn null_like_values_are_missing_and_url_ids_are_urls() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "ads.csv",
            b"ad_id,ad_text,Language,author,date,region\n\
              https://example.org/ad/1,Join the rally,NA,N/A,-,Texas\n\
              2,Another ad,en,null,2016-05,#N/A\n",
        );
        let (docs, _) = collect(&CSV, &p, &Mapping::default()).unwrap();
        let first = &docs[0].doc.meta;
        assert_eq!(first.lang, None, "NA is no language");
        assert!(first.authors.is_empty());
        assert_eq!(first.date, None);
        assert_eq!(first.url.as_deref(), Some("https://example.org/ad/1"));
        assert_eq!(first.extra["region"], "Texas");
        let second = &docs[1].doc.meta;
        assert_eq!(second.lang.as_deref(), Some("en"));
        assert_eq!(second.url, None);
        assert!(!second.extra.contains_key("region"));
    }

    #[test]
    fn a_configured_title_is_honoured_even_when_it_is_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "cases.csv",
            b"date,title\n2021-02-18,Special services helped a blogger spread a claim about the vote in the east\n",
        );
        let mapping = Mapping {
            title: Some("title".into()),
            ..Mapping::default()
        };
        let (docs, _) = collect(&CSV, &p, &mapping).unwrap();
        let title = "Special services helped a blogger spread a claim about the vote in the east";
        assert_eq!(docs[0].doc.text, title);
        assert_eq!(
            docs[0].doc.meta.title.as_deref(),
            Some(title),
            "not cut to an excerpt"
        );
        let (docs, _) = collect(&CSV, &p, &Mapping::default()).unwrap();
        assert!(docs[0].doc.meta.title.as_deref().unwrap().ends_with('…'));
    }

    #[test]
    fn a_mapping_to_a_missing_column_is_a_warning_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x.csv", b"content,published\nalpha,2020\n");
        let mapping = Mapping {
            text: vec!["content".into()],
            date: Some("publish_date".into()),
            ..Mapping::default()
        };
        let (docs, summary) = collect(&CSV, &p, &mapping).unwrap();
        assert_eq!(docs.len(), 1);
        assert!(
            summary
                .warnings
                .iter()
                .any(|w| w.contains("maps date to a column \"publish_date\"")
                    && w.contains("its columns: content, published")),
            "{:?}",
            summary.warnings
        );
    }

    #[test]
    fn records_under_a_key_of_an_object_are_read_as_records() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "result.json",
            br#"{"name": "Channel", "type": "public_channel", "id": 1, "messages": [
                {"id": 1, "type": "message", "date": "2022-02-24T05:10:00", "from": "Channel",
                 "text": "Sirens in the city this morning"},
                {"id": 2, "type": "message", "date": "2022-02-24T06:00:00", "from": "Channel",
                 "text": ["Read more at ", {"type": "link", "text": "https://example.org/a"}, " now"]},
                {"id": 3, "type": "service", "date": "2022-02-24T07:00:00", "action": "pin_message"}
            ]}"#,
        );
        let (docs, summary) = collect(&JSON, &p, &Mapping::default()).unwrap();
        assert_eq!(docs.len(), 2, "the service message has no text");
        assert_eq!(docs[0].doc.text, "Sirens in the city this morning");
        assert_eq!(docs[1].doc.text, "Read more at https://example.org/a now");
        assert_eq!(docs[0].doc.meta.authors, ["Channel"]);
        assert_eq!(docs[0].doc.meta.date.as_deref(), Some("2022-02-24"));
        assert!(
            summary
                .warnings
                .iter()
                .any(|w| w.contains("from its \"messages\" array")),
            "{:?}",
            summary.warnings
        );
    }

    #[test]
    fn an_object_with_text_of_its_own_is_one_record_whatever_lists_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "one.json",
            br#"{"title": "A report", "text": "The report text.",
                 "authors": [{"name": "A"}, {"name": "B"}]}"#,
        );
        let (docs, _) = collect(&JSON, &p, &Mapping::default()).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].doc.text, "The report text.");
    }

    #[test]
    fn json_lines_and_arrays_with_nested_paths() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "c.jsonl",
            b"{\"text\": \"one\", \"id\": 5}\nnot json\n\n{\"user\": {\"screen_name\": \"x\"}, \"body\": \"two\", \"created_at\": \"2020-01-02T03:04:05Z\"}\n",
        );
        let (docs, summary) = collect(&JSONL, &p, &Mapping::default()).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].doc.meta.extra["id"], "5");
        assert_eq!(docs[1].doc.meta.authors, ["x"]);
        assert_eq!(docs[1].doc.meta.date.as_deref(), Some("2020-01-02"));
        assert_eq!(docs[1].doc.blocks[0].line, 4);
        assert_eq!(summary.warnings.len(), 1);

        let p = write(
            &dir,
            "c.json",
            b"[\n  {\"message\": \"first\", \"account\": \"a\"},\n  {\"message\": \"second\"},\n  3\n]\n",
        );
        let (docs, summary) = collect(&JSON, &p, &Mapping::default()).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].doc.text, "second");
        assert_eq!(docs[0].doc.blocks[0].line, 2);
        assert_eq!(docs[1].doc.blocks[0].line, 3);
        assert_eq!(summary.warnings.len(), 1);
    }

    #[test]
    fn files_without_text_columns_or_broken_json_fail_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "n.csv", b"a,b\n1,2\n");
        let err = collect(&CSV, &p, &Mapping::default()).unwrap_err();
        assert_eq!(err.kind, FailureKind::NoText);
        let p = write(&dir, "b.json", b"{\"not\": \"a record with text\"}");
        assert_eq!(
            collect(&JSON, &p, &Mapping::default()).unwrap_err().kind,
            FailureKind::NoText
        );
        let p = write(
            &dir,
            "o.json",
            b"{\"title\": \"One record\", \"summary\": \"A single object.\"}",
        );
        let (docs, _) = collect(&JSON, &p, &Mapping::default()).unwrap();
        assert_eq!(docs[0].doc.text, "A single object.");
        assert_eq!(docs[0].doc.meta.title.as_deref(), Some("One record"));
        let p = write(&dir, "s.json", b"\"just a string\"");
        assert_eq!(
            collect(&JSON, &p, &Mapping::default()).unwrap_err().kind,
            FailureKind::Corrupt
        );
        let p = write(&dir, "t.json", b"[{\"text\": \"ok\"}, {\"text\": ");
        let (docs, summary) = collect(&JSON, &p, &Mapping::default()).unwrap();
        assert_eq!(docs.len(), 1);
        assert!(
            summary.warnings[0].contains("breaks off after 1 record"),
            "{:?}",
            summary.warnings
        );
    }

    #[test]
    fn legacy_encoded_csv_is_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = b"text\n".to_vec();
        bytes.extend(
            encoding_rs::WINDOWS_1251
                .encode("Пропаганда о выборах и сети аккаунтов")
                .0
                .iter(),
        );
        bytes.push(b'\n');
        let p = write(&dir, "ru.csv", &bytes);
        let (docs, _) = collect(&CSV, &p, &Mapping::default()).unwrap();
        assert_eq!(docs[0].doc.text, "Пропаганда о выборах и сети аккаунтов");
    }
}
