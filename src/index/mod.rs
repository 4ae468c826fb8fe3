//! The on-disk index: tantivy's files plus quarry's own metadata file, `quarry.json`.
//!
//! [`QuarryIndex::open`] checks that a directory holds a quarry index this version can read
//! (format marker and [`SCHEMA_VERSION`]) before touching tantivy, and refuses clearly otherwise,
//! naming the command that rebuilds it. Building lives in [`build`]; reading stored passages and
//! documents in [`read`].

pub mod build;
pub mod columns;
pub mod damage;
pub mod directory;
pub mod files;
pub mod ingest;
pub mod lock;
pub mod manifest;
pub mod read;
pub mod sources;
pub mod verify;
pub mod walk;

use crate::error::{Error, ErrorKind, Result};
use crate::schema::{self, Fields, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tantivy::{Index, IndexReader, ReloadPolicy};

/// Name of quarry's metadata file inside the index directory.
pub const META_FILE: &str = "quarry.json";
/// Value of [`IndexMeta::format`].
pub const FORMAT_MARKER: &str = "quarry-index";

/// The contents of `quarry.json`: what a directory must hold to be recognised as a quarry index
/// of a given schema. Written before the first commit, so an interrupted first build still
/// leaves a directory quarry recognises (and rebuilds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexMeta {
    /// Always [`FORMAT_MARKER`].
    pub format: String,
    /// The schema version the index was built with.
    pub schema_version: u32,
    /// The quarry version that built it.
    pub quarry_version: String,
    /// A description of the text analysis.
    pub analysis: String,
    /// The paths the index is built from, as given.
    pub sources: Vec<String>,
    /// The corpus configuration file given with `--config`, used instead of each source's own
    /// `quarry.toml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// The folder `quarry index` ran in, which relative sources are relative to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub built_in: Option<String>,
    /// The OCR mode given with `--ocr`, which later builds keep unless given another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<String>,
    /// The OCR languages given with `--ocr-lang`, kept likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_lang: Option<String>,
}

impl IndexMeta {
    /// The OCR options the index was built with (`--ocr`, `--ocr-lang`).
    pub fn ocr_options(&self) -> crate::ocr::Options {
        crate::ocr::Options {
            mode: self.ocr.as_deref().and_then(crate::ocr::Mode::parse),
            languages: self
                .ocr_lang
                .clone()
                .filter(|l| crate::ocr::valid_languages(l)),
        }
    }
}

/// The summary of the last completed build. It is stored as the payload of the tantivy commit
/// that build made, so it always describes exactly the passages a reader sees.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BuildInfo {
    /// When the build finished (RFC 3339, UTC).
    pub built_at: String,
    /// How long the build took, in seconds.
    pub build_seconds: f64,
    /// Files indexed.
    pub documents: u64,
    /// Rows of record files indexed as documents.
    #[serde(default)]
    pub records: u64,
    /// Passages indexed.
    pub passages: u64,
    /// Files skipped because they could not be read or extracted.
    pub skipped: u64,
    /// Files per source format.
    pub by_format: BTreeMap<String, u64>,
    /// Files per publisher (`(none)` for files without one).
    pub by_publisher: BTreeMap<String, u64>,
    /// Files per kind of source (`(none)` for files without one).
    #[serde(default)]
    pub by_kind: BTreeMap<String, u64>,
    /// Dated documents and records per year.
    #[serde(default)]
    pub by_year: BTreeMap<String, u64>,
    /// Documents and records per language (`(unknown)` when neither declared nor detected).
    #[serde(default)]
    pub by_lang: BTreeMap<String, u64>,
    /// The earliest document date.
    pub date_min: Option<String>,
    /// The latest document date.
    pub date_max: Option<String>,
    /// Documents without a date.
    pub undated: u64,
    /// The manifest file of this commit (see [`manifest`]).
    #[serde(default)]
    pub manifest: Option<String>,
    /// The index fingerprint (see [`manifest::Manifest::fingerprint`]).
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// Files the build that made this commit added, changed, removed and left unchanged.
    #[serde(default)]
    pub added: u64,
    /// See `added`.
    #[serde(default)]
    pub changed: u64,
    /// See `added`.
    #[serde(default)]
    pub removed: u64,
    /// See `added`.
    #[serde(default)]
    pub unchanged: u64,
    /// Pages of the index whose text was read by OCR.
    #[serde(default)]
    pub ocr_pages: u64,
    /// What OCR did in the build that made this commit: pages Tesseract read, pages taken
    /// from the page cache, and pages it could not read.
    #[serde(default)]
    pub ocr_build: crate::ocr::pass::Counts,
}

/// An open index, ready for searching.
pub struct QuarryIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    meta: IndexMeta,
    build: BuildInfo,
    /// The passage vectors, once read, with what identified their file then.
    vectors: std::sync::Mutex<Option<(VectorsFileKey, std::sync::Arc<crate::embed::Vectors>)>>,
    /// The fast-field columns searches read, per segment.
    columns: columns::ColumnCache,
}

/// What identifies one version of `vectors.bin`: its inode, length and modification time (a
/// new version is a new file, renamed into place).
type VectorsFileKey = (u64, u64, Option<std::time::SystemTime>);

impl std::fmt::Debug for QuarryIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuarryIndex")
            .field("dir", &self.dir)
            .finish()
    }
}

/// The command that (re)builds the index in `dir` from `sources`.
pub fn rebuild_command(dir: &Path, sources: &[String]) -> String {
    rebuild_command_with(dir, sources, None)
}

/// The command that rebuilds the index described by `meta` in `dir`: its sources and, when it
/// was built with `--config`, that file.
pub fn rebuild_command_for(dir: &Path, meta: &IndexMeta) -> String {
    let mut cmd = rebuild_command_with(dir, &meta.sources, meta.config.as_deref());
    // The OCR options it was built with, before the paths.
    let options = meta.ocr_options();
    let mut flags = String::new();
    if let Some(mode) = options.mode {
        flags.push_str(&format!(" --ocr {}", mode.name()));
    }
    if let Some(languages) = options.languages {
        flags.push_str(&format!(" --ocr-lang {languages}"));
    }
    if !flags.is_empty() {
        let at = format!(
            "quarry index --index {}",
            shell_word(&dir.display().to_string())
        )
        .len();
        cmd.insert_str(at, &flags);
    }
    cmd
}

fn rebuild_command_with(dir: &Path, sources: &[String], config: Option<&str>) -> String {
    let mut cmd = format!(
        "quarry index --index {}",
        shell_word(&dir.display().to_string())
    );
    if let Some(config) = config {
        cmd.push_str(" --config ");
        cmd.push_str(&shell_word(config));
    }
    if sources.is_empty() {
        cmd.push_str(" PATH");
    }
    for s in sources {
        cmd.push(' ');
        cmd.push_str(&shell_word(s));
    }
    cmd
}

fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "/._-+:@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What a directory holds, as far as quarry is concerned.
#[derive(Debug)]
pub(crate) enum DirState {
    /// Nothing there, or an empty directory.
    Empty,
    /// A quarry index with readable metadata (compatible or not).
    Quarry(Box<IndexMeta>),
    /// A quarry index whose `quarry.json` carries the format marker but cannot be read as a
    /// whole (damaged): quarry's own, so it may be rebuilt.
    BrokenMeta(String),
    /// Something else: a directory with other files, a `quarry.json` without the format marker
    /// (someone's configuration, a saved search result), or a file.
    Foreign(Option<String>),
}

pub(crate) fn dir_state(dir: &Path) -> DirState {
    let meta_path = dir.join(META_FILE);
    match std::fs::read(&meta_path) {
        Ok(bytes) => meta_state(&bytes),
        Err(_) => match std::fs::read_dir(dir) {
            Err(_) if !dir.exists() => DirState::Empty,
            Err(_) => DirState::Foreign(None),
            Ok(entries) => {
                // A lock file, or a lock file and a half-written quarry.json, is all a first
                // build stopped before it wrote anything leaves.
                let mut others = entries.flatten().filter(|e| {
                    let name = e.file_name();
                    name != std::ffi::OsStr::new(lock::LOCK_FILE)
                        && name != std::ffi::OsStr::new(META_TEMP)
                });
                if others.next().is_none() {
                    DirState::Empty
                } else {
                    DirState::Foreign(None)
                }
            }
        },
    }
}

/// The temporary name `quarry.json` is written under.
pub(crate) const META_TEMP: &str = "quarry.json.tmp";

/// What the bytes of a `quarry.json` say about its directory. Only a top-level `"format":
/// "quarry-index"` makes it ours; the text is searched for the marker only when it is not JSON
/// at all (a damaged file of ours).
fn meta_state(bytes: &[u8]) -> DirState {
    let foreign = || {
        DirState::Foreign(Some(format!(
            "its {META_FILE} has no \"format\": \"{FORMAT_MARKER}\""
        )))
    };
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => {
            if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT_MARKER) {
                return foreign();
            }
            match serde_json::from_value::<IndexMeta>(value) {
                Ok(meta) => DirState::Quarry(Box::new(meta)),
                // Written by another quarry version with other fields: its schema version
                // still decides (a newer index must be refused, not rebuilt).
                Err(e) => match lenient_meta(bytes) {
                    Some(meta) => DirState::Quarry(Box::new(meta)),
                    None => DirState::BrokenMeta(e.to_string()),
                },
            }
        }
        Err(e) if has_marker(bytes) => DirState::BrokenMeta(e.to_string()),
        Err(_) => foreign(),
    }
}

/// The metadata of a `quarry.json` whose fields differ from this version's: the marker and the
/// schema version are enough to decide what to do with it.
fn lenient_meta(bytes: &[u8]) -> Option<IndexMeta> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let text = |key: &str| v.get(key).and_then(|x| x.as_str()).map(str::to_string);
    Some(IndexMeta {
        format: text("format").filter(|f| f == FORMAT_MARKER)?,
        schema_version: u32::try_from(v.get("schema_version")?.as_u64()?).ok()?,
        quarry_version: text("quarry_version").unwrap_or_else(|| "(unknown)".to_string()),
        analysis: text("analysis").unwrap_or_default(),
        config: text("config"),
        built_in: text("built_in"),
        ocr: text("ocr"),
        ocr_lang: text("ocr_lang"),
        sources: v
            .get("sources")
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// Whether damaged metadata still carries quarry's format marker as its `format` value.
fn has_marker(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains(&format!("\"format\":\"{FORMAT_MARKER}\""))
}

/// The error for a directory that is not a quarry index.
pub(crate) fn not_an_index(dir: &Path, why: Option<&str>) -> Error {
    let why = why.map_or_else(String::new, |w| format!(" ({w})"));
    Error::new(
        ErrorKind::NoIndex,
        format!("{} is not a quarry index{why}", dir.display()),
    )
}

/// The error for an index written by a newer quarry (a newer schema).
pub(crate) fn newer_index(dir: &Path, meta: &IndexMeta) -> Error {
    Error::new(
        ErrorKind::IncompatibleIndex,
        format!(
            "the index at {} was built by a newer quarry ({}, schema version {}); this quarry \
             ({}) reads and writes schema version {SCHEMA_VERSION}",
            dir.display(),
            meta.quarry_version,
            meta.schema_version,
            env!("CARGO_PKG_VERSION"),
        ),
    )
    .with_hint(format!(
        "use quarry {} or newer with it, or build another index with --index DIR",
        meta.quarry_version
    ))
}

impl QuarryIndex {
    /// Opens the index in `dir` for reading.
    pub fn open(dir: &Path) -> Result<QuarryIndex> {
        let meta = match dir_state(dir) {
            DirState::Quarry(meta) => *meta,
            DirState::Empty => {
                return Err(Error::new(
                    ErrorKind::NoIndex,
                    format!("no index at {}", dir.display()),
                )
                .with_hint(format!(
                    "build one with: {}",
                    rebuild_command(dir, &["corpus/".to_string()])
                )))
            }
            DirState::Foreign(why) => {
                return Err(not_an_index(dir, why.as_deref()).with_hint(
                    "pass the directory `quarry index` wrote with --index, or build one there",
                ))
            }
            DirState::BrokenMeta(reason) => {
                return Err(Error::new(
                    ErrorKind::DamagedIndex,
                    format!(
                        "the index at {} is damaged: {META_FILE} cannot be read ({reason})",
                        dir.display()
                    ),
                )
                .with_hint(format!("rebuild it with: {}", rebuild_command(dir, &[]))))
            }
        };
        if meta.schema_version > SCHEMA_VERSION {
            return Err(newer_index(dir, &meta));
        }
        if meta.schema_version != SCHEMA_VERSION {
            return Err(Error::new(
                ErrorKind::IncompatibleIndex,
                format!(
                    "the index at {} has schema version {} (built by quarry {}); this quarry reads version {}",
                    dir.display(),
                    meta.schema_version,
                    meta.quarry_version,
                    SCHEMA_VERSION
                ),
            )
            .with_hint(format!(
                "rebuild it with: {}",
                rebuild_command_for(dir, &meta)
            )));
        }
        let damaged = |reason: String| {
            Error::new(
                ErrorKind::DamagedIndex,
                format!("the index at {} is damaged: {reason}", dir.display()),
            )
            .with_hint(format!(
                "rebuild it with: {}",
                rebuild_command_for(dir, &meta)
            ))
        };
        let opened = std::panic::catch_unwind(|| {
            directory::IndexDirectory::read_only(dir).and_then(Index::open)
        });
        let index = match opened {
            Ok(Ok(index)) => index,
            Ok(Err(e)) => return Err(damaged(damage::tantivy_reason(&e))),
            Err(panic) => return Err(damaged(damage::panic_message(&*panic))),
        };
        schema::register_analyzers(index.tokenizers());
        let fields = fields_of(&index).ok_or_else(|| {
            Error::new(
                ErrorKind::IncompatibleIndex,
                format!(
                    "the index at {} lacks fields this quarry needs",
                    dir.display()
                ),
            )
            .with_hint(format!(
                "rebuild it with: {}",
                rebuild_command_for(dir, &meta)
            ))
        })?;
        let mut build: BuildInfo = index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or_default();
        // Passage vectors rank too (hybrid by default): their model and count join the
        // fingerprint, so results trace to the vectors as well as the passages.
        if let (Some(fp), Some(v)) = (&build.fingerprint, crate::embed::Vectors::summary(dir)) {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(fp.as_bytes());
            h.update(format!("\nvectors {} {} {}", v.model.name, v.model.hash, v.count).as_bytes());
            build.fingerprint = Some(format!("{:016x}", h.digest()));
        }
        let reader = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            index
                .reader_builder()
                .reload_policy(ReloadPolicy::Manual)
                .try_into()
        }));
        let reader: IndexReader = match reader {
            Ok(Ok(reader)) => reader,
            Ok(Err(e)) => {
                let found = damage::check(&index);
                if !found.is_empty() {
                    return Err(damage::damaged_error(dir, &meta, &found));
                }
                return Err(damaged(damage::tantivy_reason(&e)));
            }
            Err(panic) => {
                let found = damage::check(&index);
                if !found.is_empty() {
                    return Err(damage::damaged_error(dir, &meta, &found));
                }
                return Err(damaged(damage::panic_message(&*panic)));
            }
        };
        Ok(QuarryIndex {
            dir: dir.to_path_buf(),
            index,
            reader,
            fields,
            meta,
            build,
            vectors: std::sync::Mutex::new(None),
            columns: columns::ColumnCache::default(),
        })
    }

    /// The passage vectors (`None` when the index has none), read once and kept while their file
    /// is unchanged, so searches in one process do not read them again.
    pub fn vectors(&self) -> Result<Option<std::sync::Arc<crate::embed::Vectors>>> {
        use std::os::unix::fs::MetadataExt;
        let path = self.dir.join(crate::embed::store::FILE);
        let key = match std::fs::metadata(&path) {
            Ok(m) => (m.ino(), m.len(), m.modified().ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("read", &path, &e)),
        };
        let mut cached = self.vectors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((k, v)) = cached.as_ref() {
            if *k == key {
                return Ok(Some(v.clone()));
            }
        }
        let loaded = crate::embed::Vectors::load(&self.dir)?.map(std::sync::Arc::new);
        *cached = loaded.clone().map(|v| (key, v));
        Ok(loaded)
    }

    /// Runs `read`, a read of this index, so that a damaged index gives one clear error instead
    /// of a panic or tantivy's debug text (see [`damage::guard`]). Every public read of the
    /// library goes through it.
    pub fn guard<T>(&self, read: impl FnOnce() -> Result<T>) -> Result<T> {
        damage::guard(self, read)
    }

    /// Checks every file of the index against its checksum (see [`damage::check`]).
    pub fn damage(&self) -> Vec<damage::Damage> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| damage::check(&self.index)))
            .unwrap_or_else(|panic| {
                vec![damage::Damage {
                    file: "meta.json".into(),
                    problem: format!("cannot be checked: {}", damage::panic_message(&*panic)),
                }]
            })
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The index's metadata.
    pub fn meta(&self) -> &IndexMeta {
        &self.meta
    }

    /// The summary of the build whose commit this index shows.
    pub fn build_info(&self) -> &BuildInfo {
        &self.build
    }

    /// Handles to the schema's fields.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The tantivy index.
    pub fn tantivy(&self) -> &Index {
        &self.index
    }

    /// A searcher over the last commit.
    pub fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    /// The fast-field columns of segment `segment` of `searcher` (a searcher of this index),
    /// opened once per segment.
    pub fn columns(
        &self,
        searcher: &tantivy::Searcher,
        segment: u32,
    ) -> Result<std::sync::Arc<columns::SegmentColumns>> {
        self.columns.get(searcher, segment)
    }

    /// The manifest of the commit this index shows (`None` for an index built before manifests
    /// existed).
    pub fn manifest(&self) -> Result<Option<manifest::Manifest>> {
        match &self.build.manifest {
            Some(name) => manifest::Manifest::load(&self.dir, name).map(Some),
            None => Ok(None),
        }
    }

    /// Which of the text fields (indexes into [`crate::analysis::TEXT_FIELDS`]) hold any passage:
    /// the default field always, the others when the index has documents in their language.
    /// Queries look only in these, so an English corpus is not searched six times over.
    pub fn active_text_fields(&self) -> Vec<usize> {
        let langs = &self.build.by_lang;
        crate::analysis::TEXT_FIELDS
            .iter()
            .enumerate()
            .filter(|(i, tf)| *i == 0 || langs.contains_key(tf.lang) || langs.is_empty())
            .map(|(i, _)| i)
            .collect()
    }

    /// The index fingerprint: a hash over the manifest (paths, content hashes, extractor
    /// versions, configuration), the schema version and the analysis settings, and over the
    /// passage vectors' model and count when the index has them.
    pub fn fingerprint(&self) -> Option<&str> {
        self.build.fingerprint.as_deref()
    }
}

/// The field handles of an index, checked against the schema quarry builds now.
fn fields_of(index: &Index) -> Option<Fields> {
    let (expected, fields) = schema::build();
    let actual = index.schema();
    for (field, entry) in expected.fields() {
        let other = actual.get_field(entry.name()).ok()?;
        if other != field || actual.get_field_entry(other) != entry {
            return None;
        }
    }
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuild_command_quotes_odd_paths() {
        assert_eq!(
            rebuild_command(Path::new(".quarry"), &["corpus/".into(), "my docs".into()]),
            "quarry index --index .quarry corpus/ 'my docs'"
        );
        let meta = IndexMeta {
            format: FORMAT_MARKER.into(),
            schema_version: SCHEMA_VERSION,
            quarry_version: "0".into(),
            analysis: String::new(),
            sources: vec!["/data/docs".into()],
            config: Some("/home/me/docs quarry.toml".into()),
            built_in: None,
            ocr: None,
            ocr_lang: None,
        };
        assert_eq!(
            rebuild_command_for(Path::new("idx"), &meta),
            "quarry index --index idx --config '/home/me/docs quarry.toml' /data/docs"
        );
        let meta = IndexMeta {
            ocr: Some("always".into()),
            ocr_lang: Some("eng+rus".into()),
            ..meta
        };
        assert_eq!(
            rebuild_command_for(Path::new("idx"), &meta),
            "quarry index --index idx --ocr always --ocr-lang eng+rus --config '/home/me/docs quarry.toml' /data/docs"
        );
    }

    #[test]
    fn missing_and_foreign_directories_are_refused_clearly() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope");
        let err = QuarryIndex::open(&missing).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoIndex);
        assert!(err.to_string().contains("quarry index"), "{err}");

        std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = QuarryIndex::open(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("is not a quarry index"), "{err}");
    }

    #[test]
    fn other_schema_versions_are_refused_with_the_rebuild_command() {
        let tmp = tempfile::tempdir().unwrap();
        let write = |version: u32| {
            let meta = IndexMeta {
                format: FORMAT_MARKER.into(),
                schema_version: version,
                quarry_version: "9.9.9".into(),
                analysis: String::new(),
                sources: vec!["corpus/".into()],
                config: None,
                built_in: None,
                ocr: None,
                ocr_lang: None,
            };
            std::fs::write(
                tmp.path().join(META_FILE),
                serde_json::to_vec(&meta).unwrap(),
            )
            .unwrap();
        };
        write(SCHEMA_VERSION - 1);
        let err = QuarryIndex::open(tmp.path()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::IncompatibleIndex);
        assert!(err.to_string().contains("rebuild it with"), "{err}");
        assert!(err.to_string().contains("corpus/"), "{err}");
        // A newer index is not to be rebuilt by an older quarry.
        write(SCHEMA_VERSION + 1);
        let err = QuarryIndex::open(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("newer quarry (9.9.9"), "{err}");
        assert!(!err.to_string().contains("rebuild"), "{err}");
    }

    #[test]
    fn only_a_quarry_json_with_the_format_marker_makes_a_directory_ours() {
        let tmp = tempfile::tempdir().unwrap();
        let state = |text: &str| {
            std::fs::write(tmp.path().join(META_FILE), text).unwrap();
            dir_state(tmp.path())
        };
        assert!(matches!(
            state(r#"{"name":"projX"}"#),
            DirState::Foreign(Some(_))
        ));
        assert!(matches!(state("garbage"), DirState::Foreign(Some(_))));
        assert!(matches!(
            state(r#"{"format": "other", "schema_version": 6}"#),
            DirState::Foreign(Some(_))
        ));
        // The marker nested inside someone's JSON does not count.
        assert!(matches!(
            state(r#"[{"format": "quarry-index", "schema_version": 6}]"#),
            DirState::Foreign(Some(_))
        ));
        assert!(matches!(
            state(r#"{"backup": {"format": "quarry-index"}, "format": "x"}"#),
            DirState::Foreign(Some(_))
        ));
        // Damaged, but still ours.
        assert!(matches!(
            state(r#"{"format": "quarry-index", "schema_ver"#),
            DirState::BrokenMeta(_)
        ));
        // Another version's fields: its schema version is still read.
        assert!(matches!(
            state(r#"{"format": "quarry-index", "schema_version": 99, "sources": 3}"#),
            DirState::Quarry(meta) if meta.schema_version == 99
        ));
    }
}
