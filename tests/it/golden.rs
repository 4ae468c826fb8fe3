//! The golden query suite (tests/golden/queries.toml) on the bundled corpus, run with
//! `quarry check`: queries typed the way a person who has not read the notes would type them,
//! each with the document that must be found. The suite itself requires, for 90% of the queries,
//! the expected document in the top 3 documents (documents rank by their best passage) and the
//! phrase in one of its two best passages; this test also requires every document in the top 10
//! and every phrase in one of the document's passages. Prints the table of queries that miss.

use super::common::*;
use std::path::Path;

#[test]
fn golden_queries_find_the_expected_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite = root.join("tests/golden/queries.toml");
    let ws = Workspace::empty();
    copy_dir(&root.join("corpus"), &ws.path("corpus"));
    ws.run(&["index", "-q"]).expect(0);

    let table = ws.run(&["check", suite.to_str().unwrap()]);
    println!("{}{}", table.stdout(), table.stderr());
    let run = ws.run(&["check", "--format", "json", suite.to_str().unwrap()]);
    let v = run.json();
    let queries = v["queries"].as_array().unwrap();
    assert!(
        queries.len() >= 50,
        "the suite has {} queries",
        queries.len()
    );
    for q in queries {
        let expected = q["expected"][0].as_str().unwrap();
        assert!(
            ws.path(&format!("corpus/{expected}")).exists(),
            "{expected} names a missing document"
        );
        let rank = q["ranks"][0].as_u64();
        assert!(
            rank.is_some_and(|r| r <= 10),
            "not in the top 10: {} (rank {rank:?})",
            q["query"]
        );
        if !q["phrase"].is_null() {
            assert!(
                !q["phrase_passage"].is_null(),
                "no passage of {expected} has the phrase for {}",
                q["query"]
            );
        }
    }
    let top3 = queries
        .iter()
        .filter(|q| q["ranks"][0].as_u64().is_some_and(|r| r <= 3))
        .count();
    println!(
        "golden suite: {} queries; expected document in the top 3 for {top3}; {} of {} pass",
        queries.len(),
        v["passed"],
        v["total"]
    );
    assert_eq!(run.code(), 0, "the suite fails:\n{}", table.stdout());
    every_source_note_cites_its_url(&ws);
}

/// Notes whose source has no public URL we could verify (corpus/README.md says why).
const WITHOUT_URL: &[&str] = &[
    "ap-oii-chinese-diplomats-twitter-amplification-2021.md",
    "facebook-removing-bad-actors-resisters-2018.md",
    "freedom-house-beijings-global-megaphone-2020.md",
    "ofcom-rt-licence-revocation-2022.txt",
    "prc-monitoring-foreign-journalists-2021.md",
    "zhenhua-data-leak-2020.md",
    "zhenhua-data-zh-2020.md",
];

/// Every note of the bundled corpus (Markdown front matter, a sidecar `.meta.toml`, an HTML
/// `<link rel=canonical>`) carries its source's URL, so every citation carries a link.
fn every_source_note_cites_its_url(ws: &Workspace) {
    let run = ws.run(&[
        "search",
        "--format",
        "json",
        "--group",
        "doc",
        "-n",
        "1000",
        "type:markdown OR type:html OR type:text",
    ]);
    let documents = run.json()["documents"].as_array().cloned().unwrap();
    assert!(documents.len() >= 70, "{} notes", documents.len());
    let mut missing: Vec<String> = documents
        .iter()
        .filter(|d| {
            !d["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://"))
        })
        .map(|d| d["path"].as_str().unwrap_or_default().to_string())
        .collect();
    missing.sort();
    let expected: Vec<String> = WITHOUT_URL.iter().map(|p| format!("corpus/{p}")).collect();
    assert_eq!(missing, expected, "notes without their source's URL");
}
