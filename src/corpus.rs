//! A corpus root and its optional configuration: `quarry.toml`, `catalog.csv` and sidecars.
//!
//! Every path given to `quarry index` is a corpus root. At a root directory quarry reads:
//! - `quarry.toml` ([`CorpusConfig`]): include/exclude globs, a size limit, default metadata per
//!   folder or glob, and column mappings for record files (see docs/config.md);
//! - `catalog.csv`: one row per file (`path, title, publisher, authors, date, url, tags`, and
//!   optionally `kind, lang, description`) whose values override extracted metadata;
//! - and beside any file `NAME.ext.meta.toml`, whose keys (as in front matter) override both.
//!
//! Precedence, lowest first: folder defaults (fill only what the file lacks), extracted
//! metadata, catalog, sidecar. For record files (one document per row) the catalog and sidecar
//! fill what a row lacks and never replace a row's own title. Malformed configuration is an
//! error naming the file: quietly ignoring a researcher's metadata would be worse.

use crate::date::PartialDate;
use crate::document::Metadata;
use crate::error::{Error, ErrorKind, Result};
use crate::extract::frontmatter;
use crate::extract::records::Mapping;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The name of the corpus configuration file.
pub const CONFIG_FILE: &str = "quarry.toml";
/// The name of the metadata catalog.
pub const CATALOG_FILE: &str = "catalog.csv";
/// The suffix of sidecar metadata files (`report.pdf.meta.toml`).
pub const SIDECAR_SUFFIX: &str = ".meta.toml";

/// The contents of `quarry.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusConfig {
    /// Globs (relative to the root) of files to index; empty means every supported file.
    #[serde(default)]
    pub include: Vec<String>,
    /// Globs of files and folders to leave out.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Files larger than this many megabytes are skipped (record files excepted: they stream).
    pub max_file_mb: Option<u64>,
    /// Default metadata by folder (`"meta/"`) or glob (`"reports/**/*.pdf"`).
    #[serde(default)]
    pub defaults: BTreeMap<String, toml::Table>,
    /// Column mappings for record files, by glob (`"social/*.csv"`, or `"**"` for all).
    #[serde(default)]
    pub records: BTreeMap<String, Mapping>,
    /// OCR mode for the corpus (`auto`, `always`, `never`), unless `--ocr` says otherwise.
    pub ocr: Option<String>,
    /// OCR languages (Tesseract's codes joined by `+`), unless `--ocr-lang` says otherwise.
    pub ocr_lang: Option<String>,
}

/// A pattern from the config: a folder prefix (ending in `/`) or a glob.
#[derive(Debug)]
struct Pattern {
    source: String,
    glob: GlobSet,
}

impl Pattern {
    fn new(source: &str, config: &Path) -> Result<Pattern> {
        let mut b = GlobSetBuilder::new();
        let mut add = |g: &str| -> Result<()> {
            let glob = Glob::new(g).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("invalid pattern '{source}' in {}: {e}", config.display()),
                )
                .with_hint("use globs like \"drafts/**\" or folder names ending in /")
            })?;
            b.add(glob);
            Ok(())
        };
        let trimmed = source.trim_start_matches("./");
        if let Some(folder) = trimmed.strip_suffix('/') {
            add(folder)?;
            add(&format!("{folder}/**"))?;
        } else {
            add(trimmed)?;
            // A bare folder name also matches everything inside it.
            if !trimmed.contains(['*', '?', '[']) {
                add(&format!("{trimmed}/**"))?;
            }
        }
        let glob = b.build().map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("invalid pattern '{source}' in {}: {e}", config.display()),
            )
        })?;
        Ok(Pattern {
            source: source.to_string(),
            glob,
        })
    }

    fn matches(&self, rel: &str) -> bool {
        self.glob.is_match(rel)
    }
}

/// A corpus root with its configuration loaded.
#[derive(Debug, Default)]
pub struct Corpus {
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
    /// The configured size limit, in bytes.
    pub max_file_bytes: Option<u64>,
    defaults: Vec<(Pattern, Metadata)>,
    records: Vec<(Pattern, Mapping)>,
    catalog: HashMap<String, Metadata>,
    /// The configured OCR mode and languages (`ocr`, `ocr_lang`).
    pub ocr: crate::ocr::Options,
}

fn invalid(path: &Path, detail: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("invalid {}: {detail}", path.display()),
    )
    .with_hint("fix it, or see docs/config.md for the format")
}

fn table_metadata(table: toml::Table, origin: &Path) -> Result<Metadata> {
    let json = serde_json::to_value(&table).map_err(|e| invalid(origin, e))?;
    let mut meta = Metadata::default();
    if let serde_json::Value::Object(map) = json {
        let warnings = frontmatter::metadata_from_map(map, &mut meta);
        if let Some(w) = warnings.first() {
            return Err(invalid(origin, w));
        }
    }
    Ok(meta)
}

impl Corpus {
    /// Loads the configuration of the corpus rooted at `root` (a directory; a file has none).
    pub fn load(root: &Path) -> Result<Corpus> {
        Corpus::load_with(root, None)
    }

    /// Loads the configuration of the corpus rooted at `root` from `config` instead of the
    /// root's own `quarry.toml` (for corpora one cannot write into); its patterns are relative
    /// to `root` all the same. The catalog is still the root's `catalog.csv`.
    pub fn load_with(root: &Path, config: Option<&Path>) -> Result<Corpus> {
        if !root.is_dir() && config.is_none() {
            return Ok(Corpus::default());
        }
        let mut corpus = Corpus::default();
        let config_path = match config {
            Some(path) => {
                if !path.is_file() {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        format!(
                            "cannot read the configuration {}: no such file",
                            path.display()
                        ),
                    )
                    .with_hint("give the path of a quarry.toml with --config"));
                }
                path.to_path_buf()
            }
            None => root.join(CONFIG_FILE),
        };
        let read = std::fs::read_to_string(&config_path);
        if let (Some(_), Err(e)) = (config, &read) {
            return Err(Error::io("read the configuration", &config_path, e));
        }
        if let Ok(text) = read {
            let config: CorpusConfig = toml::from_str(&text)
                .map_err(|e| invalid(&config_path, first_line(&e.to_string())))?;
            corpus.include = config
                .include
                .iter()
                .map(|p| Pattern::new(p, &config_path))
                .collect::<Result<_>>()?;
            corpus.exclude = config
                .exclude
                .iter()
                .map(|p| Pattern::new(p, &config_path))
                .collect::<Result<_>>()?;
            corpus.max_file_bytes = config.max_file_mb.map(|mb| mb.saturating_mul(1_000_000));
            if let Some(mode) = &config.ocr {
                corpus.ocr.mode = Some(crate::ocr::Mode::parse(mode).ok_or_else(|| {
                    invalid(
                        &config_path,
                        format!("ocr = \"{mode}\": give auto, always or never"),
                    )
                })?);
            }
            if let Some(languages) = &config.ocr_lang {
                if !crate::ocr::valid_languages(languages) {
                    return Err(invalid(
                        &config_path,
                        format!(
                            "ocr_lang = \"{languages}\": give Tesseract language codes joined by '+', e.g. eng+rus"
                        ),
                    ));
                }
                corpus.ocr.languages = Some(languages.clone());
            }
            for (pattern, table) in config.defaults {
                let meta = table_metadata(table, &config_path)?;
                corpus
                    .defaults
                    .push((Pattern::new(&pattern, &config_path)?, meta));
            }
            // Shorter (more general) patterns first, so more specific ones apply last and win.
            corpus.defaults.sort_by_key(|(p, _)| p.source.len());
            for (pattern, mapping) in config.records {
                mapping
                    .delimiter_byte()
                    .map_err(|e| invalid(&config_path, format!("[records.\"{pattern}\"]: {e}")))?;
                corpus
                    .records
                    .push((Pattern::new(&pattern, &config_path)?, mapping));
            }
            // Longest (most specific) first: the first match wins.
            corpus
                .records
                .sort_by_key(|(p, _)| std::cmp::Reverse(p.source.len()));
        }
        let catalog_path = root.join(CATALOG_FILE);
        if catalog_path.is_file() {
            corpus.catalog = read_catalog(&catalog_path)?;
        }
        Ok(corpus)
    }

    /// Whether the file at `rel` (relative to the root, `/`-separated) is to be indexed.
    pub fn wants_file(&self, rel: &str) -> bool {
        if rel == CATALOG_FILE || rel == CONFIG_FILE {
            return false;
        }
        if self.exclude.iter().any(|p| p.matches(rel)) {
            return false;
        }
        self.include.is_empty() || self.include.iter().any(|p| p.matches(rel))
    }

    /// Whether the folder at `rel` is to be entered.
    pub fn wants_dir(&self, rel: &str) -> bool {
        !self.exclude.iter().any(|p| p.matches(rel))
    }

    /// The record mapping for the file at `rel`.
    pub fn mapping(&self, rel: &str) -> Mapping {
        self.records
            .iter()
            .find(|(p, _)| p.matches(rel))
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    /// A description of everything in the configuration that affects the file at `rel` (folder
    /// defaults, catalog row, record mapping, size limit), for noticing when it changes. The
    /// sidecar is not included: it is a file of its own.
    pub fn config_key(&self, rel: &str) -> String {
        let mut key = format!("max {:?}\n", self.max_file_bytes);
        for (pattern, defaults) in &self.defaults {
            if pattern.matches(rel) {
                key.push_str(&serde_json::to_string(defaults).unwrap_or_default());
                key.push('\n');
            }
        }
        if let Some(entry) = self.catalog.get(rel) {
            key.push_str(&serde_json::to_string(entry).unwrap_or_default());
            key.push('\n');
        }
        key.push_str(&format!("{:?}", self.mapping(rel)));
        key
    }

    /// Applies folder defaults, catalog and sidecar to a document's metadata. `rel` is the
    /// file's path relative to the root; `sidecar` the metadata of its sidecar, if any; `record`
    /// whether the document is one row of a record file. Defaults fill what the document lacks
    /// and replace what it only guessed ([`Metadata::guessed`]: a PDF's creation date, a title
    /// made from the file name); catalog and sidecar override.
    pub fn apply(&self, rel: &str, sidecar: Option<&Metadata>, meta: &mut Metadata, record: bool) {
        for (pattern, defaults) in self.defaults.iter().rev() {
            if pattern.matches(rel) {
                // A guessed date or title gives way to a folder's declared one.
                if meta.is_guess("date") && defaults.date.is_some() {
                    meta.date.clone_from(&defaults.date);
                    meta.guessed.retain(|g| g != "date");
                }
                if meta.is_guess("title") && defaults.title.is_some() {
                    meta.title.clone_from(&defaults.title);
                    meta.guessed.retain(|g| g != "title");
                }
                fill(meta, defaults);
            }
        }
        for layer in [self.catalog.get(rel), sidecar].into_iter().flatten() {
            if record {
                fill(meta, layer);
            } else {
                overlay(meta, layer);
            }
        }
        meta.guessed.clear();
    }
}

/// Reads the sidecar of `file` (`file.meta.toml`), if there is one.
pub fn sidecar(file: &Path) -> Result<Option<Metadata>> {
    let mut name = file.as_os_str().to_os_string();
    name.push(SIDECAR_SUFFIX);
    let path = std::path::PathBuf::from(name);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| invalid(&path, first_line(&e.to_string())))?;
    table_metadata(table, &path).map(Some)
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fills fields of `meta` that are empty from `from`.
fn fill(meta: &mut Metadata, from: &Metadata) {
    merge(meta, from, false);
}

/// Replaces fields of `meta` with those `from` has.
fn overlay(meta: &mut Metadata, from: &Metadata) {
    merge(meta, from, true);
}

/// Takes each field `from` has into `meta`: always when `replace`, else only where `meta` has
/// none.
fn merge(meta: &mut Metadata, from: &Metadata, replace: bool) {
    fn one(a: &mut Option<String>, b: &Option<String>, replace: bool) {
        if b.is_some() && (replace || a.is_none()) {
            a.clone_from(b);
        }
    }
    fn list(a: &mut Vec<String>, b: &[String], replace: bool) {
        if !b.is_empty() && (replace || a.is_empty()) {
            *a = b.to_vec();
        }
    }
    one(&mut meta.title, &from.title, replace);
    one(&mut meta.publisher, &from.publisher, replace);
    one(&mut meta.date, &from.date, replace);
    one(&mut meta.url, &from.url, replace);
    one(&mut meta.kind, &from.kind, replace);
    one(&mut meta.lang, &from.lang, replace);
    one(&mut meta.description, &from.description, replace);
    list(&mut meta.authors, &from.authors, replace);
    list(&mut meta.tags, &from.tags, replace);
    for (k, v) in &from.extra {
        if replace || !meta.extra.contains_key(k) {
            meta.extra.insert(k.clone(), v.clone());
        }
    }
}

/// Reads `catalog.csv`: path → metadata.
fn read_catalog(path: &Path) -> Result<HashMap<String, Metadata>> {
    // An unclosed quote would swallow the rest of the file into one row, silently: in a
    // well-formed file quotes come in pairs (`""` inside a quoted field is a pair too).
    let bytes = std::fs::read(path).map_err(|e| invalid(path, e))?;
    if bytes.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
        return Err(invalid(
            path,
            "a quote is never closed (every `\"` needs its pair)",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| invalid(path, e))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let Some(path_col) = headers.iter().position(|h| h == "path") else {
        return Err(invalid(path, "no 'path' column"));
    };
    let mut out = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| invalid(path, format!("row {}: {e}", i + 1)))?;
        let Some(file) = record
            .get(path_col)
            .map(|p| p.trim().trim_start_matches("./"))
        else {
            continue;
        };
        if file.is_empty() {
            continue;
        }
        if file.contains(['\n', '\r']) {
            return Err(invalid(
                path,
                format!(
                    "row {}: the path holds a line break (an unclosed quote?)",
                    i + 1
                ),
            ));
        }
        let mut meta = Metadata::default();
        for (h, value) in headers.iter().zip(record.iter()) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let list = |sep: &[char]| -> Vec<String> {
                value
                    .split(sep)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            };
            match h.as_str() {
                "title" => meta.title = Some(value.to_string()),
                "publisher" => meta.publisher = Some(value.to_string()),
                "authors" | "author" => meta.authors = list(&[';']),
                "date" => {
                    meta.date = Some(
                        PartialDate::parse(value)
                            .ok_or_else(|| {
                                invalid(path, format!("row {}: unrecognised date '{value}'", i + 1))
                            })?
                            .to_string(),
                    )
                }
                "url" => meta.url = Some(value.to_string()),
                "tags" => meta.tags = list(&[';', ',']),
                "kind" => meta.kind = Some(value.to_string()),
                "lang" | "language" => meta.lang = Some(value.to_string()),
                "description" => meta.description = Some(value.to_string()),
                _ => {}
            }
        }
        out.insert(file.replace('\\', "/"), meta);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delimiter_that_cannot_be_used_stops_the_load() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["\\\"", "é", "\\n"] {
            std::fs::write(
                dir.path().join(CONFIG_FILE),
                format!("[records]\n\"*.csv\" = {{ delimiter = \"{bad}\" }}\n"),
            )
            .unwrap();
            let e = Corpus::load(dir.path()).unwrap_err().to_string();
            assert!(
                e.contains("[records.\"*.csv\"]: the delimiter") && e.contains("quarry.toml"),
                "{e}"
            );
        }
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[records]\n\"*.csv\" = { delimiter = \";\" }\n",
        )
        .unwrap();
        assert!(Corpus::load(dir.path()).is_ok());
    }

    fn corpus_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Corpus) {
        let dir = tempfile::tempdir().unwrap();
        for (name, contents) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, contents).unwrap();
        }
        let corpus = Corpus::load(dir.path()).unwrap();
        (dir, corpus)
    }

    #[test]
    fn include_exclude_and_limits() {
        let (_d, c) = corpus_with(&[(
            "quarry.toml",
            "include = [\"**/*.md\", \"data/\"]\nexclude = [\"drafts/\", \"**/*.tmp.md\"]\nmax_file_mb = 5\n",
        )]);
        assert!(c.wants_file("a.md"));
        assert!(c.wants_file("x/b.md"));
        assert!(c.wants_file("data/posts.csv"));
        assert!(!c.wants_file("x/b.txt"));
        assert!(!c.wants_file("drafts/a.md"));
        assert!(!c.wants_file("a.tmp.md"));
        assert!(!c.wants_dir("drafts"));
        assert!(!c.wants_file("catalog.csv"));
        assert_eq!(c.max_file_bytes, Some(5_000_000));
    }

    #[test]
    fn defaults_catalog_and_sidecar_layer_in_order() {
        let (dir, c) = corpus_with(&[
            (
                "quarry.toml",
                "[defaults.\"meta/\"]\npublisher = \"Meta\"\ntags = [\"platform\"]\n\
                 [defaults.\"meta/2023/\"]\npublisher = \"Meta Platforms\"\n\
                 [records.\"**\"]\ntext = \"body\"\n[records.\"social/*.csv\"]\ntext = [\"content\"]\ndate = \"publish_date\"\n",
            ),
            (
                "catalog.csv",
                "path,title,publisher,authors,date,url,tags\nmeta/2023/q2.pdf,Adversarial Threat Report Q2,,A One; B Two,2023-08,https://example.org/q2,\"cib, china\"\n",
            ),
            ("meta/2023/q2.pdf.meta.toml", "title = \"Sidecar title\"\n"),
        ]);
        let mut meta = Metadata {
            title: Some("Extracted".into()),
            ..Metadata::default()
        };
        let side = sidecar(&dir.path().join("meta/2023/q2.pdf")).unwrap();
        c.apply("meta/2023/q2.pdf", side.as_ref(), &mut meta, false);
        assert_eq!(meta.title.as_deref(), Some("Sidecar title"));
        assert_eq!(meta.publisher.as_deref(), Some("Meta Platforms"));
        assert_eq!(meta.authors, ["A One", "B Two"]);
        assert_eq!(meta.date.as_deref(), Some("2023-08"));
        assert_eq!(meta.tags, ["cib", "china"]);

        let mut other = Metadata::default();
        c.apply("meta/2022/q1.pdf", None, &mut other, false);
        assert_eq!(other.publisher.as_deref(), Some("Meta"));
        assert_eq!(other.tags, ["platform"]);

        assert_eq!(c.mapping("social/x.csv").text, ["content"]);
        assert_eq!(c.mapping("other/y.csv").text, ["body"]);
    }

    #[test]
    fn records_keep_their_own_titles() {
        let (_d, c) = corpus_with(&[(
            "catalog.csv",
            "path,title,publisher\ndata/posts.csv,Dataset title,Platform\n",
        )]);
        let mut row = Metadata {
            title: Some("posts: @one, row 1".into()),
            ..Metadata::default()
        };
        c.apply("data/posts.csv", None, &mut row, true);
        assert_eq!(row.title.as_deref(), Some("posts: @one, row 1"));
        assert_eq!(row.publisher.as_deref(), Some("Platform"));
    }

    #[test]
    fn malformed_config_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("quarry.toml"), "includ = [\"x\"]\n").unwrap();
        let err = Corpus::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("quarry.toml"), "{err}");
        std::fs::write(dir.path().join("quarry.toml"), "include = [\"[\"]\n").unwrap();
        assert!(Corpus::load(dir.path()).is_err());
        std::fs::write(dir.path().join("quarry.toml"), "").unwrap();
        std::fs::write(dir.path().join("catalog.csv"), "path,date\na.md,someday\n").unwrap();
        assert!(Corpus::load(dir.path())
            .unwrap_err()
            .to_string()
            .contains("someday"));
    }
}
