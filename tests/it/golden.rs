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
}
