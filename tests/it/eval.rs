//! `quarry eval` on a tiny hand-made collection whose rankings are known, so every measure can
//! be computed by hand: TSV and TREC topics, qrels by file stem, metadata field and passage id,
//! run files, JSON and CSV output, and errors.

use crate::common::{search_json, Workspace};
use serde_json::Value;

/// Three notes: `zebra` only in d1; `yak` twice in the short d2 and once in the longer d3, so
/// d2 ranks above d3 for `yak`. Each has a title and `url: https://example.org/N`.
const NOTES: [(&str, &str); 3] = [
    (
        "First note",
        "A zebra crossed the plain near the river bank at dawn while birds sang.",
    ),
    ("Second note", "The yak and another yak grazed."),
    (
        "Third note",
        "One yak appeared among many cattle, horses, sheep, goats and donkeys on the high pasture during a long and cold autumn season with early snow.",
    ),
];

/// Writes note `n` (1-3) as `corpus/dN.md`, with `extra` lines added to its front matter.
fn write_note(ws: &Workspace, n: usize, extra: &str) {
    let (title, body) = NOTES[n - 1];
    ws.write(
        &format!("corpus/d{n}.md"),
        &format!("---\ntitle: {title}\nurl: https://example.org/{n}\n{extra}---\n\n{body}\n"),
    );
}

fn collection() -> Workspace {
    let ws = Workspace::empty();
    for n in 1..=3 {
        write_note(&ws, n, "");
    }
    ws.write("topics.tsv", "1\tyak\n2\tzebra\n3\tunicorn\n");
    // Topic 1: d3 relevant, d2 judged not; topic 2: d1 relevant with grade 2; topic 3 has no
    // relevant document and is left out of the means.
    ws.write("qrels.txt", "1 0 d3 1\n1 0 d2 0\n2 0 d1 2\n3 0 d1 0\n");
    ws.run(&["index", "-q"]).expect(0);
    ws
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-4
}

/// `quarry eval` of `topics` against `qrels` (with `extra` options) as JSON.
fn means(ws: &Workspace, topics: &str, qrels: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "eval",
        "--format",
        "json",
        "--metric",
        "ndcg@10,map,recall@100,mrr,p@2",
        "--topics",
        topics,
        "--qrels",
        qrels,
    ];
    args.extend_from_slice(extra);
    let run = ws.run(&args).expect(0);
    run.json()
}

#[test]
fn measures_match_hand_computed_values() {
    let ws = collection();
    let report = means(&ws, "topics.tsv", "qrels.txt", &[]);
    let m = &report["means"];
    // Topic 1 ranks d2, d3: AP 1/2, RR 1/2, nDCG@10 1/log2(3), recall 1, P@2 1/2.
    // Topic 2 ranks d1 first: every measure 1 (P@2 1/2).
    let ndcg1 = 1.0 / 3f64.log2();
    assert!(
        close(m["ndcg@10"].as_f64().unwrap(), (ndcg1 + 1.0) / 2.0),
        "{report}"
    );
    assert!(close(m["map"].as_f64().unwrap(), 0.75), "{report}");
    assert!(close(m["mrr"].as_f64().unwrap(), 0.75), "{report}");
    assert!(close(m["recall@100"].as_f64().unwrap(), 1.0), "{report}");
    assert!(close(m["p@2"].as_f64().unwrap(), 0.5), "{report}");
    assert_eq!(report["topics"], 2, "{report}");
    let per: Vec<&Value> = report["per_topic"].as_array().unwrap().iter().collect();
    assert_eq!(per[0]["id"], "1");
    assert!(close(per[0]["values"]["map"].as_f64().unwrap(), 0.5));

    // The same topics in TREC format give the same values.
    ws.write(
        "topics.trec",
        "<top>\n<num> Number: 1\n<title> yak\n<desc> Description:\nNotes on yaks.\n</top>\n\n<top>\n<num> Number: 2\n<title> zebra\n</top>\n",
    );
    let trec = means(&ws, "topics.trec", "qrels.txt", &[]);
    assert_eq!(trec["means"], report["means"]);
}

#[test]
fn run_files_csv_and_other_ways_to_name_documents() {
    let ws = collection();
    // A TREC run file: `qid Q0 docid rank score tag`, ranks from 1, scores descending.
    ws.run(&[
        "eval",
        "--topics",
        "topics.tsv",
        "--qrels",
        "qrels.txt",
        "--run",
        "run.txt",
    ])
    .expect(0);
    let run = std::fs::read_to_string(ws.path("run.txt")).unwrap();
    let lines: Vec<Vec<&str>> = run.lines().map(|l| l.split(' ').collect()).collect();
    let topic1: Vec<&Vec<&str>> = lines.iter().filter(|l| l[0] == "1").collect();
    assert_eq!(topic1.len(), 2, "{run}");
    assert_eq!(
        (topic1[0][1], topic1[0][2], topic1[0][3], topic1[0][5]),
        ("Q0", "d2", "1", "quarry")
    );
    assert_eq!((topic1[1][2], topic1[1][3]), ("d3", "2"));
    let s1: f64 = topic1[0][4].parse().unwrap();
    let s2: f64 = topic1[1][4].parse().unwrap();
    assert!(s1 > s2, "{run}");
    assert!(lines.iter().all(|l| l.len() == 6), "{run}");

    // CSV: one row per topic and a last row of means.
    let csv = ws
        .run(&[
            "eval",
            "--topics",
            "topics.tsv",
            "--qrels",
            "qrels.txt",
            "--metric",
            "map,mrr",
            "--format",
            "csv",
        ])
        .expect(0)
        .stdout();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows,
        [
            "topic,map,mrr",
            "1,0.5000,0.5000",
            "2,1.0000,1.0000",
            "all,0.7500,0.7500"
        ]
    );

    // Documents named by a metadata field.
    ws.write(
        "qrels-url.txt",
        "1 0 https://example.org/3 1\n2 0 https://example.org/1 1\n",
    );
    let by_url = means(&ws, "topics.tsv", "qrels-url.txt", &["--id", "meta:url"]);
    assert!(
        close(by_url["means"]["map"].as_f64().unwrap(), 0.75),
        "{by_url}"
    );

    // Documents that share a name count once, at their best rank: named by a field only d1
    // and d3 have, d2 (no such field) is left out, so d3 ranks first for `yak`.
    write_note(&ws, 1, "source_id: S1\n");
    write_note(&ws, 3, "source_id: S1\n");
    ws.run(&["index", "-q"]).expect(0);
    ws.write("qrels-source.txt", "1 0 S1 1\n2 0 S1 1\n");
    let shared = means(
        &ws,
        "topics.tsv",
        "qrels-source.txt",
        &["--id", "meta:source_id"],
    );
    assert!(
        close(shared["means"]["map"].as_f64().unwrap(), 1.0),
        "{shared}"
    );
    assert!(
        close(shared["means"]["recall@100"].as_f64().unwrap(), 1.0),
        "{shared}"
    );

    // Qrels that name passages are recognised, and passages are ranked directly.
    let yak = search_json(&ws, &["yak"]);
    let d3 = yak.iter().find(|h| h["path"] == "corpus/d3.md").unwrap()["passage_id"]
        .as_str()
        .unwrap()
        .to_string();
    ws.write("qrels-passages.txt", &format!("1 0 {d3} 1\n"));
    let passages = means(&ws, "topics.tsv", "qrels-passages.txt", &[]);
    assert!(
        close(passages["means"]["map"].as_f64().unwrap(), 0.5),
        "{passages}"
    );
    assert_eq!(passages["topics"], 1);
}

#[test]
fn bad_topics_qrels_and_options_are_clear_errors() {
    let ws = collection();
    // Each case exits 2; its stderr is returned.
    let fails = |topics: &str, qrels: &str, extra: &[&str]| -> String {
        let mut args = vec!["eval", "--topics", topics, "--qrels", qrels];
        args.extend_from_slice(extra);
        ws.run(&args).expect(2).stderr()
    };
    ws.write("bad-qrels.txt", "1 0 d3\n");
    let err = fails("topics.tsv", "bad-qrels.txt", &[]);
    assert!(
        err.starts_with("quarry: invalid bad-qrels.txt: line 1"),
        "{err}"
    );
    ws.write("bad-topics.tsv", "no tab on this line\n");
    let err = fails("bad-topics.tsv", "qrels.txt", &[]);
    assert!(err.contains("line 1: expected id<TAB>query"), "{err}");
    let err = fails("missing.tsv", "qrels.txt", &[]);
    assert!(
        err.starts_with("quarry: ") && err.contains("missing.tsv"),
        "{err}"
    );
    assert!(err.contains("(check the --topics path)"), "{err}");
    // Topic ids that match no judged topic: an error, not means of zero.
    ws.write("other-qrels.txt", "71 0 d1 1\n");
    let err = fails("topics.tsv", "other-qrels.txt", &[]);
    assert!(
        err.starts_with(
            "quarry: no topic of topics.tsv has a relevant document in other-qrels.txt ("
        ),
        "{err}"
    );
    for (flag, value, hint) in [
        ("--metric", "bleu", "use ndcg@K, map"),
        ("--id", "meta:", "use stem, doc-id"),
    ] {
        let err = fails("topics.tsv", "qrels.txt", &[flag, value]);
        assert!(
            err.contains(&format!("'{value}'")) && err.contains(hint),
            "{err}"
        );
    }
}
