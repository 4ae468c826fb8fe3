//! Semantic and hybrid search with the real sentence-embedding model: `index --embed`, vectors
//! kept for unchanged passages, `search --mode semantic|hybrid` with filters and the JSON
//! contract, and the errors without vectors or a model. The model is not part of the repo: the
//! tests run when `QUARRY_MODEL` names its folder (`.ci/run` installs it) and skip, saying so,
//! when it does not.

use super::common::*;
use std::path::PathBuf;

fn model() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("QUARRY_MODEL")?);
    dir.join("model.safetensors").is_file().then_some(dir)
}

fn embedded() -> Option<(Workspace, String)> {
    let Some(dir) = model() else {
        println!("skipped: QUARRY_MODEL does not name a sentence-transformers model folder (see docs/ranking.md)");
        return None;
    };
    let ws = Workspace::with_corpus();
    std::fs::remove_dir_all(ws.path("corpus/broken")).unwrap();
    let model = dir.to_string_lossy().into_owned();
    let run = ws.run(&["index", "--embed", "--model", &model]).expect(0);
    assert!(
        run.stderr().contains("passage vectors from"),
        "{}",
        run.describe()
    );
    Some((ws, model))
}

#[test]
fn a_question_in_other_words_finds_its_passage_by_meaning() {
    let Some((ws, model)) = embedded() else {
        return;
    };
    // No word of the question is in the note (stemmed or not): BM25 finds nothing.
    let question = "identical messages pushed by sock puppets";
    ws.run(&["search", question]).expect(1);
    for mode in ["semantic", "hybrid"] {
        let hits = search_json(
            &ws,
            &["--mode", mode, "--model", &model, "-n", "3", question],
        );
        assert!(!hits.is_empty(), "{mode}: no hits");
        assert_eq!(hits[0]["path"], "corpus/notes.txt", "{mode}: {hits:?}");
        // The same contract as BM25's hits.
        for key in [
            "passage_id",
            "doc_id",
            "path",
            "line",
            "title",
            "text",
            "rank",
            "score",
        ] {
            assert!(hits[0].get(key).is_some(), "{mode}: no {key}");
        }
    }
    // Filters hold: only the HTML page, whatever is nearer elsewhere.
    let hits = search_json(
        &ws,
        &[
            "--mode", "semantic", "--model", &model, "--type", "html", question,
        ],
    );
    assert!(
        hits.iter().all(|h| h["path"] == "corpus/monitoring.html"),
        "{hits:?}"
    );
    // `quarry eval` ranks documents by meaning too.
    ws.write("topics.tsv", &format!("1\t{question}\n"));
    ws.write("qrels.txt", "1 0 notes 1\n");
    let run = ws
        .run(&[
            "eval",
            "--mode",
            "semantic",
            "--model",
            &model,
            "--format",
            "json",
            "--topics",
            "topics.tsv",
            "--qrels",
            "qrels.txt",
            "--metric",
            "mrr",
        ])
        .expect(0);
    assert_eq!(run.json()["means"]["mrr"], 1.0, "{}", run.describe());
    // A word query still works in hybrid mode, with BM25's hit first.
    let hits = search_json(&ws, &["--mode", "hybrid", "--model", &model, "Zhenhua"]);
    assert_eq!(hits[0]["path"], "corpus/zhenhua.md");
}

#[test]
fn vectors_of_unchanged_passages_are_kept_and_mismatches_are_errors() {
    let Some((ws, model)) = embedded() else {
        return;
    };
    let run = ws.run(&["index", "--embed", "--model", &model]).expect(0);
    assert!(run.stderr().contains("(0 new, "), "{}", run.describe());
    // A changed file: only its passages are embedded again, by a run that has the model.
    ws.write(
        "corpus/notes.txt",
        "Field notes\n\nThe troll farm paid for adverts.\n",
    );
    let run = ws
        .run_env(&["index"], &[("QUARRY_MODEL", &model)])
        .expect(0);
    assert!(run.stderr().contains("(1 new, "), "{}", run.describe());
    // Without a model, a later run says the vectors were not updated.
    ws.write(
        "corpus/notes.txt",
        "Field notes\n\nThe troll farm bought adverts.\n",
    );
    let run = ws.run_env(&["index"], &[("QUARRY_MODEL", "")]).expect(0);
    assert!(
        run.stderr()
            .contains("the passage vectors were not updated"),
        "{}",
        run.describe()
    );
    // A run that changes no file leaves them as current as they were: no notice.
    let run = ws.run_env(&["index"], &[("QUARRY_MODEL", "")]).expect(0);
    assert!(
        !run.stderr().contains("vectors were not updated"),
        "{}",
        run.describe()
    );
    // Semantic search needs a model.
    let run = ws
        .run_env(
            &["search", "--mode", "semantic", "adverts"],
            &[("QUARRY_MODEL", "")],
        )
        .expect(2);
    assert!(
        run.stderr()
            .starts_with("quarry: no sentence-embedding model"),
        "{}",
        run.describe()
    );
    // An index without vectors says how to make them.
    let fresh = Workspace::with_corpus();
    std::fs::remove_dir_all(fresh.path("corpus/broken")).unwrap();
    fresh.run(&["index"]).expect(0);
    let run = fresh
        .run(&["search", "--mode", "hybrid", "--model", &model, "adverts"])
        .expect(2);
    assert!(
        run.stderr().contains("quarry index --embed"),
        "{}",
        run.describe()
    );
    // Modes rank lists of passages only.
    ws.run(&["search", "--mode", "semantic", "--group", "doc", "x"])
        .expect(2);
}
