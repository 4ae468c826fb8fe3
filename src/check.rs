//! Query suites: search-quality regression tests for a corpus (`quarry check SUITE.toml`).
//!
//! A suite is a TOML file of queries, each naming the document(s) that must rank in the top `k`
//! documents (documents rank by their best passage) and, optionally, a phrase that must stand in
//! one of the expected document's best `phrase_passages` passages:
//!
//! ```toml
//! k = 3                 # default rank to reach (default 3)
//! phrase_passages = 1   # the phrase must be in one of the document's N best passages (default 1)
//! pass_ratio = 1.0      # share of queries that must pass (default 1: all)
//!
//! [[query]]
//! query = "Chinese state contracts monitoring foreign journalists"
//! expect = "prc-monitoring-foreign-journalists-2021.md"   # or a list; a path, its end, or a doc id
//! phrase = "more than 300 contracts"                      # optional
//! k = 5                                                   # optional, for this query
//! ```
//!
//! A document matches `expect` when its path equals it or ends with `/` and it, or when its id
//! is it. [`run`] reports, per query, the rank each expected document reached (within the top
//! [`DEPTH`] documents) and where the phrase was found, and whether the suite passes.

use crate::error::{Error, ErrorKind, Result};
use crate::index::QuarryIndex;
use crate::search::{search_documents, DocumentHit, SearchRequest};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How many documents deep ranks are looked for.
pub const DEPTH: usize = 100;

/// How many of a document's passages are searched for the phrase.
const PHRASE_DEPTH: usize = 10;

/// A suite as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// The rank an expected document must reach, unless a query says otherwise.
    #[serde(default = "default_k")]
    pub k: usize,
    /// The phrase must be in one of the expected document's best this-many passages.
    #[serde(default = "one")]
    pub phrase_passages: usize,
    /// The share of queries that must pass for the suite to pass.
    #[serde(default = "all")]
    pub pass_ratio: f64,
    /// The queries.
    #[serde(default)]
    pub query: Vec<SuiteQuery>,
}

fn default_k() -> usize {
    3
}
fn one() -> usize {
    1
}
fn all() -> f64 {
    1.0
}

/// One query of a suite.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteQuery {
    /// The query, in quarry's syntax.
    pub query: String,
    /// The document or documents that must rank in the top `k`.
    pub expect: Expect,
    /// Words the expected document's best passages must contain.
    pub phrase: Option<String>,
    /// The rank to reach for this query.
    pub k: Option<usize>,
}

/// One expected document or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Expect {
    /// One document.
    One(String),
    /// Several documents, each of which must rank.
    Many(Vec<String>),
}

impl Expect {
    fn list(&self) -> Vec<String> {
        match self {
            Expect::One(s) => vec![s.clone()],
            Expect::Many(v) => v.clone(),
        }
    }
}

/// What one query reached.
#[derive(Debug, Clone, Serialize)]
pub struct QueryOutcome {
    /// The query.
    pub query: String,
    /// The expected documents.
    pub expected: Vec<String>,
    /// The rank each expected document reached (1-based), or null when not in the top
    /// [`DEPTH`].
    pub ranks: Vec<Option<usize>>,
    /// The rank to reach.
    pub k: usize,
    /// The phrase, if any.
    pub phrase: Option<String>,
    /// Which of the first expected document's passages (1-based, best first) holds the phrase,
    /// or null when none of its best ten does.
    pub phrase_passage: Option<usize>,
    /// Whether every expectation held.
    pub passed: bool,
}

/// The outcome of a suite.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteOutcome {
    /// Per query, in suite order.
    pub queries: Vec<QueryOutcome>,
    /// Queries that passed.
    pub passed: usize,
    /// Queries in all.
    pub total: usize,
    /// The share required.
    pub pass_ratio: f64,
    /// Whether the suite passed.
    pub ok: bool,
}

/// Reads a suite file.
pub fn load(path: &Path) -> Result<Suite> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::io("read the query suite", path, &e))?;
    let suite: Suite = toml::from_str(&text).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "invalid query suite {}: {}",
                path.display(),
                e.to_string().lines().next().unwrap_or_default()
            ),
        )
        .with_hint("see docs/ci.md for the suite format")
    })?;
    if suite.query.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the query suite {} has no [[query]] entries",
                path.display()
            ),
        )
        .with_hint("add queries: [[query]] query = \"...\" expect = \"file.md\""));
    }
    Ok(suite)
}

fn matches(doc: &DocumentHit, expected: &str) -> bool {
    doc.path == expected || doc.path.ends_with(&format!("/{expected}")) || doc.doc_id == expected
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Runs a suite against an index, each query ranked as `base` says (its mode and model; the
/// query, depth and passages per document are the suite's).
pub fn run(index: &QuarryIndex, suite: &Suite, base: &SearchRequest) -> Result<SuiteOutcome> {
    index.guard(|| {
        let mut queries = Vec::with_capacity(suite.query.len());
        for q in &suite.query {
            let mut request = base.clone();
            request.query = q.query.clone();
            request.limit = DEPTH;
            request.per_doc = Some(PHRASE_DEPTH);
            request.snippet_chars = 80;
            let docs = search_documents(index, &request)?.documents;
            let expected = q.expect.list();
            let ranks: Vec<Option<usize>> = expected
                .iter()
                .map(|e| docs.iter().position(|d| matches(d, e)).map(|i| i + 1))
                .collect();
            let k = q.k.unwrap_or(suite.k);
            let phrase_passage = q.phrase.as_ref().and_then(|phrase| {
                let phrase = normalise(phrase);
                let first = expected.first()?;
                let doc = docs.iter().find(|d| matches(d, first))?;
                doc.passages
                    .iter()
                    .position(|h| normalise(&h.passage.text).contains(&phrase))
                    .map(|i| i + 1)
            });
            let ranks_ok = ranks.iter().all(|r| r.is_some_and(|r| r <= k));
            let phrase_ok =
                q.phrase.is_none() || phrase_passage.is_some_and(|p| p <= suite.phrase_passages);
            queries.push(QueryOutcome {
                query: q.query.clone(),
                expected,
                ranks,
                k,
                phrase: q.phrase.clone(),
                phrase_passage,
                passed: ranks_ok && phrase_ok,
            });
        }
        let passed = queries.iter().filter(|q| q.passed).count();
        let total = queries.len();
        let ok = total > 0 && passed as f64 >= suite.pass_ratio * total as f64 - 1e-9;
        Ok(SuiteOutcome {
            queries,
            passed,
            total,
            pass_ratio: suite.pass_ratio,
            ok,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_parse_with_defaults_and_lists() {
        let suite: Suite = toml::from_str(
            "[[query]]\nquery = \"a\"\nexpect = \"a.md\"\n\n\
             [[query]]\nquery = \"b\"\nexpect = [\"b.md\", \"c.md\"]\nphrase = \"x y\"\nk = 5\n",
        )
        .unwrap();
        assert_eq!((suite.k, suite.phrase_passages), (3, 1));
        assert_eq!(suite.pass_ratio, 1.0);
        assert_eq!(suite.query[1].expect.list(), ["b.md", "c.md"]);
        assert_eq!(suite.query[1].k, Some(5));
        assert!(
            toml::from_str::<Suite>("[[query]]\nquery = \"a\"\nexpect = \"a\"\nkk = 1\n").is_err()
        );
    }

    #[test]
    fn phrases_match_across_case_and_line_breaks() {
        assert!(
            normalise("More than\n 300 Contracts").contains(&normalise("more than 300 contracts"))
        );
    }
}
