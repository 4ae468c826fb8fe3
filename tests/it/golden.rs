//! The golden query suite (tests/golden/queries.toml) on the bundled corpus: queries typed the
//! way a person who has not read the notes would type them, each with the document that must be
//! found. Requires the expected document in the top 3 documents (documents rank by their best
//! passage) for at least 90% of the queries and in the top 10 for all; where a query names a
//! phrase, the phrase must be in one of the document's passages found, and in one of its two best
//! passages for at least 90% of such queries. Prints a table of every miss with the rank reached
//! and how many phrases stand in the very best passage.

use super::common::*;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Suite {
    query: Vec<GoldenQuery>,
}

#[derive(Debug, Deserialize)]
struct GoldenQuery {
    query: String,
    /// File name of the expected document in corpus/.
    expect: String,
    /// Words the expected document's best passage must contain.
    phrase: Option<String>,
}

#[test]
fn golden_queries_find_the_expected_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite: Suite =
        toml::from_str(&std::fs::read_to_string(root.join("tests/golden/queries.toml")).unwrap())
            .unwrap();
    assert!(
        suite.query.len() >= 50,
        "the suite has {} queries",
        suite.query.len()
    );

    let ws = Workspace::empty();
    copy_dir(&root.join("corpus"), &ws.path("corpus"));
    ws.run(&["index", "-q"]).expect(0);

    let mut top3 = 0;
    let mut with_phrase = 0;
    let (mut phrase_best, mut phrase_top2) = (0, 0);
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for q in &suite.query {
        assert!(
            ws.path(&format!("corpus/{}", q.expect)).exists(),
            "{} names a missing document",
            q.expect
        );
        let run = ws.run(&[
            "search",
            "--format",
            "json",
            "-n",
            "100",
            "--per-doc",
            "0",
            &q.query,
        ]);
        assert_ne!(run.code(), 2, "{}", run.describe());
        let found = if run.code() == 0 {
            hits(&run)
        } else {
            Vec::new()
        };
        // Documents rank by their best passage: the rank of a document is its place among
        // the distinct documents of the passage list.
        let mut documents: Vec<&str> = Vec::new();
        for h in &found {
            let path = h["path"].as_str().unwrap_or("");
            if !documents.contains(&path) {
                documents.push(path);
            }
        }
        let is_expected = |path: &str| path.ends_with(&format!("/{}", q.expect));
        let rank = documents
            .iter()
            .position(|p| is_expected(p))
            .map(|p| p + 1)
            .filter(|&r| r <= 10);
        if rank.is_some_and(|r| r <= 3) {
            top3 += 1;
        }
        // Where the phrase stands among the expected document's passages, best first.
        let phrase_at = q.phrase.as_ref().map(|phrase| {
            with_phrase += 1;
            found
                .iter()
                .filter(|h| is_expected(h["path"].as_str().unwrap_or("")))
                .position(|h| {
                    h["text"]
                        .as_str()
                        .unwrap_or("")
                        .to_lowercase()
                        .contains(&phrase.to_lowercase())
                })
        });
        match phrase_at {
            Some(Some(0)) => {
                phrase_best += 1;
                phrase_top2 += 1;
            }
            Some(Some(1)) => phrase_top2 += 1,
            _ => {}
        }
        let phrase_note = match phrase_at {
            Some(None) => "no passage has the phrase".to_string(),
            Some(Some(p)) if p > 0 => format!("phrase in passage {} of the document", p + 1),
            _ => String::new(),
        };
        if rank.is_none_or(|r| r > 3) || !phrase_note.is_empty() {
            rows.push(format!(
                "| {} | {} | {} | {} |",
                q.query,
                q.expect,
                rank.map_or("not in top 10".to_string(), |r| r.to_string()),
                phrase_note
            ));
        }
        if rank.is_none() || matches!(phrase_at, Some(None)) {
            failures.push(q.query.clone());
        }
    }
    let share = top3 as f64 / suite.query.len() as f64;
    let share_phrase = phrase_top2 as f64 / with_phrase.max(1) as f64;
    println!(
        "golden suite: {} queries; expected document in the top 3 for {top3} ({:.0}%); \
         of {with_phrase} with a phrase, in the best passage for {phrase_best}, in one of the \
         document's two best for {phrase_top2} ({:.0}%)",
        suite.query.len(),
        share * 100.0,
        share_phrase * 100.0
    );
    if !rows.is_empty() {
        println!(
            "| query | expected | rank | passage |\n|---|---|---|---|\n{}",
            rows.join("\n")
        );
    }
    assert!(
        failures.is_empty(),
        "not in the top 10, or no passage with the phrase: {failures:?}"
    );
    assert!(share >= 0.9, "only {:.0}% in the top 3", share * 100.0);
    assert!(
        share_phrase >= 0.9,
        "the phrase is in one of the two best passages for only {:.0}%",
        share_phrase * 100.0
    );
}
