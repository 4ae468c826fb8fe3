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
    // No word of the question is in the note (stemmed or not): BM25 finds nothing, and hybrid
    // ranking (the default with vectors) orders only passages that match a word.
    let question = "identical messages pushed by sock puppets";
    for mode in ["bm25", "hybrid", "auto"] {
        ws.run(&["search", "--mode", mode, question]).expect(1);
    }
    {
        let mode = "semantic";
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
    // Grouped by document, and the query suite, rank the same way.
    let run = ws
        .run(&[
            "search",
            "--group",
            "doc",
            "--format",
            "json",
            "Zhenhua data",
        ])
        .expect(0);
    assert_eq!(
        run.json()["documents"][0]["path"],
        "corpus/zhenhua.md",
        "{}",
        run.describe()
    );
    ws.write(
        "suite.toml",
        "[[query]]\nquery = \"Zhenhua data\"\nexpect = \"zhenhua.md\"\n",
    );
    // Similar passages by meaning: other documents only, scored by cosine.
    let id = hits[0]["passage_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let run = ws
        .run(&["similar", "--mode", "semantic", "--format", "json", &id])
        .expect(0);
    let near = run.json()["hits"].as_array().cloned().unwrap_or_default();
    assert!(!near.is_empty(), "{}", run.describe());
    assert!(near.iter().all(|h| h["path"] != "corpus/zhenhua.md"
        && h["score"].as_f64().is_some_and(|s| s <= 1.0 + 1e-5)));
    for mode in ["auto", "hybrid", "bm25"] {
        let run = ws.run(&["check", "--mode", mode, "suite.toml"]).expect(0);
        assert!(
            run.stderr().contains("1 of 1 queries pass"),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn vectors_of_unchanged_passages_are_kept_and_mismatches_are_errors() {
    let Some((ws, model)) = embedded() else {
        return;
    };
    let run = ws.run(&["index", "--embed", "--model", &model]).expect(0);
    assert!(run.stderr().contains("(0 new, "), "{}", run.describe());
    // Stats describe them; a collection this small is scanned, with no graph.
    let stats = ws.run(&["stats", "--format", "json"]).expect(0).json();
    let v = &stats["vectors"];
    assert_eq!(v["dimensions"], 384, "{stats}");
    assert_eq!(v["graph"], false, "{stats}");
    assert_eq!(v["passages"], stats["passages"], "{stats}");
    assert!(
        v["model_hash"].as_str().is_some_and(|h| h.len() == 16),
        "{stats}"
    );
    // The model as a link, which this test removes later to stand for a model gone.
    std::os::unix::fs::symlink(&model, ws.path("model")).unwrap();
    let link = ws.path("model").to_string_lossy().into_owned();
    ws.run(&["index", "--embed", "--model", &link]).expect(0);
    // A changed file: only its passages are embedded again, by a later run that is not told
    // the model (the vectors remember its folder).
    ws.write(
        "corpus/notes.txt",
        "Field notes\n\nThe troll farm paid for adverts.\n",
    );
    let run = ws.run_env(&["index"], &[("QUARRY_MODEL", "")]).expect(0);
    assert!(run.stderr().contains("(1 new, "), "{}", run.describe());
    // The default search ranks hybrid with it: both ranks are explained.
    let run = ws
        .run_env(
            &[
                "search",
                "--explain",
                "--format",
                "json",
                "troll farm adverts",
            ],
            &[("QUARRY_MODEL", "")],
        )
        .expect(0);
    let hits = run.json()["hits"].as_array().cloned().unwrap_or_default();
    assert!(
        hits[0]["explain"]["ranks"]["semantic"].is_u64(),
        "{}",
        run.describe()
    );
    // With the model gone, a run that changes files says the vectors were not updated, and why.
    std::fs::remove_file(ws.path("model")).unwrap();
    ws.write(
        "corpus/notes.txt",
        "Field notes\n\nThe troll farm bought adverts.\n",
    );
    let run = ws.run_env(&["index"], &[("QUARRY_MODEL", "")]).expect(0);
    assert!(
        run.stderr()
            .contains("the passage vectors were not updated (cannot load the model"),
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
    // The default search falls back to words, saying why once; --mode bm25 is silent.
    let run = ws
        .run_env(&["search", "adverts"], &[("QUARRY_MODEL", "")])
        .expect(0);
    assert!(
        run.stderr()
            .contains("ranking by words only: cannot load the model"),
        "{}",
        run.describe()
    );
    let run = ws
        .run_env(
            &["search", "--mode", "bm25", "adverts"],
            &[("QUARRY_MODEL", "")],
        )
        .expect(0);
    assert!(
        !run.stderr().contains("ranking by words"),
        "{}",
        run.describe()
    );
    // Semantic search needs the model.
    let run = ws
        .run_env(
            &["search", "--mode", "semantic", "adverts"],
            &[("QUARRY_MODEL", "")],
        )
        .expect(2);
    assert!(
        run.stderr().starts_with("quarry: cannot load the model"),
        "{}",
        run.describe()
    );
    // Another model's folder is refused, naming both (the same weights with another
    // configuration file: another hash).
    std::fs::create_dir(ws.path("other")).unwrap();
    for f in ["tokenizer.json", "model.safetensors"] {
        std::os::unix::fs::symlink(PathBuf::from(&model).join(f), ws.path("other").join(f))
            .unwrap();
    }
    let config = std::fs::read_to_string(PathBuf::from(&model).join("config.json")).unwrap();
    ws.write("other/config.json", &format!("{config}\n"));
    let other = ws.path("other").to_string_lossy().into_owned();
    let run = ws
        .run(&["search", "--mode", "hybrid", "--model", &other, "adverts"])
        .expect(2);
    assert!(
        run.stderr().contains("vectors were made with the model"),
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
    // Counts match by words; asking them to rank by meaning is an argument error.
    ws.run(&["search", "--mode", "semantic", "--count", "x"])
        .expect(2);
}
