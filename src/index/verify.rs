//! `quarry verify`: does the index match the corpus, and does its manifest agree with the index?
//!
//! The corpus side walks the paths (by default those the index was built from) and compares
//! each file with the manifest exactly as an incremental build would ([`super::manifest::plan`]):
//! new, changed and removed files are listed. The index side checks that every file the manifest
//! lists as indexed has exactly its recorded number of passages in the index, that skipped files
//! have none, and that the index holds no passages of files the manifest does not list. Before
//! all that, every file of the index is checked against its checksum ([`super::damage`]), and
//! what cannot be read on the corpus side (folders, files) is a problem too.

use super::manifest::{self, Change};
use super::walk::walk;
use super::QuarryIndex;
use crate::error::{Error, Result};
use crate::schema::REC_PASSAGE;
use serde::Serialize;
use std::collections::HashSet;
use std::path::PathBuf;
use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

/// The outcome of a verification.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    /// Files in the corpus the index does not hold.
    pub new: Vec<String>,
    /// Files whose content, extractor or configuration changed since the index was built.
    pub changed: Vec<String>,
    /// Files the index holds that are gone from the corpus.
    pub removed: Vec<String>,
    /// Files as the index has them.
    pub unchanged: u64,
    /// Disagreements between the manifest and the index itself.
    pub problems: Vec<String>,
    /// The index fingerprint.
    pub fingerprint: Option<String>,
}

impl Verification {
    /// Whether the index matches the corpus and its manifest.
    pub fn ok(&self) -> bool {
        self.new.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.problems.is_empty()
    }
}

/// Verifies `index` against the corpus at `paths` (the index's own sources when empty), with
/// the size limit the builds used (`None`: the corpus config's, else the default).
pub fn verify(
    index: &QuarryIndex,
    paths: &[PathBuf],
    max_file_bytes: Option<u64>,
) -> Result<Verification> {
    index.guard(|| {
        let mut out = Verification {
            fingerprint: index.fingerprint().map(str::to_string),
            ..Verification::default()
        };
        // Every file of the index against its checksum, before anything trusts its content.
        let damage = index.damage();
        if !damage.is_empty() {
            for d in &damage {
                out.problems.push(format!("file {d}"));
            }
            out.problems.push(format!(
                "the index is damaged; rebuild it with: {}",
                super::rebuild_command_for(index.dir(), index.meta())
            ));
            return Ok(out);
        }
        let Some(manifest) = index.manifest()? else {
            out.problems.push(format!(
                "the index has no manifest (built by an older quarry); rebuild it with: {}",
                super::rebuild_command_for(index.dir(), index.meta())
            ));
            return Ok(out);
        };
        let paths: Vec<PathBuf> = if paths.is_empty() {
            index.meta().sources.iter().map(PathBuf::from).collect()
        } else {
            paths.to_vec()
        };
        let config = index.meta().config.as_deref().map(std::path::Path::new);
        let walked = walk(&paths, index.dir(), config)?;
        let ocr = index.meta().ocr_options();
        let config_of =
            |s: &super::walk::Source| super::build::config_hash(s, max_file_bytes, &ocr);
        let planned = manifest::plan(&walked.sources, Some(&manifest), &config_of);
        for p in &planned {
            match p.change {
                Change::Added => out.new.push(p.source.display.clone()),
                Change::Changed => out.changed.push(p.source.display.clone()),
                Change::Unchanged => out.unchanged += 1,
            }
        }
        let walked_paths: HashSet<&str> =
            walked.sources.iter().map(|s| s.display.as_str()).collect();
        out.removed = manifest
            .files
            .iter()
            .filter(|e| !walked_paths.contains(e.path.as_str()))
            .map(|e| e.path.clone())
            .collect();

        // The manifest against the index.
        let searcher = index.searcher();
        let f = index.fields();
        let passages_of = |path: &str| -> Result<u64> {
            let q = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.path_raw, path),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                ),
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.rec, REC_PASSAGE),
                        IndexRecordOption::Basic,
                    )),
                ),
            ]);
            searcher
                .search(&q, &Count)
                .map(|n| n as u64)
                .map_err(|e| Error::engine("cannot count passages", e))
        };
        for e in &manifest.files {
            let expected = if e.indexed { e.passages } else { 0 };
            let found = passages_of(&e.path)?;
            if found != expected {
                out.problems.push(format!(
                    "{}: the manifest records {expected} passages, the index holds {found}",
                    e.path
                ));
            }
        }
        let listed: HashSet<&str> = manifest.files.iter().map(|e| e.path.as_str()).collect();
        let mut in_index = index.indexed_paths(&searcher)?;
        in_index.retain(|path| !listed.contains(path.as_str()));
        for path in in_index {
            // The term dictionary keeps deleted documents' terms until a merge: count live ones.
            let n = passages_of(&path)?;
            if n > 0 {
                out.problems.push(format!(
                    "{path}: the index holds {n} passages of a file the manifest does not list"
                ));
            }
        }
        Ok(out)
    })
}
