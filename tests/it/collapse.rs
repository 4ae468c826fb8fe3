//! Collapsing copies: one brief as PDF, HTML and plain text (`tests/fixtures/copies/`, made by
//! `tests/fixtures/make_formats.py`) gives one hit citing the PDF page, naming the other two.

use crate::common::{hits, search_json, Workspace};
use serde_json::Value;

const QUERY: &str = "lighthouse keeper arrested photograph";

/// The index of the copies, built with poppler when it is here and with the pure-Rust parser.
fn workspaces() -> Vec<(&'static str, Workspace)> {
    let mut out = Vec::new();
    for (name, env) in [
        ("pdf", vec![("QUARRY_PDFTOTEXT", "none")]),
        ("pdf-poppler", vec![]),
    ] {
        if name == "pdf-poppler"
            && std::process::Command::new("pdftotext")
                .arg("-v")
                .output()
                .is_err()
        {
            println!("note: pdftotext is not installed; only the pure-Rust PDF parser is tested");
            continue;
        }
        let ws = Workspace::empty();
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/copies");
        crate::common::copy_dir(&fixtures, &ws.path("corpus"));
        ws.run_env(&["index"], &env).expect(0);
        out.push((name, ws));
    }
    out
}

fn formats(copies: &Value) -> Vec<String> {
    copies
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["format"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn copies_in_pdf_html_and_text_are_one_hit_citing_the_pdf_page() {
    for (extractor, ws) in workspaces() {
        let found = search_json(&ws, &[QUERY]);
        assert_eq!(found.len(), 1, "{extractor}: {found:#?}");
        let hit = &found[0];
        assert_eq!(hit["path"], "corpus/brief.pdf", "{extractor}");
        assert_eq!(hit["page"], 2, "{extractor}");
        assert!(hit["cite"].as_str().unwrap().contains("p. 2"), "{hit:#?}");
        let also = &hit["also_in"];
        let mut places: Vec<(String, String)> = also
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["path"].as_str().unwrap().to_string(),
                    c["format"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        places.sort();
        assert_eq!(
            places,
            [
                ("corpus/brief.html".to_string(), "html".to_string()),
                ("corpus/brief.txt".to_string(), "text".to_string())
            ],
            "{extractor}"
        );
        for c in also.as_array().unwrap() {
            assert!(c["passage_id"]
                .as_str()
                .unwrap()
                .starts_with(c["doc_id"].as_str().unwrap()));
            assert!(c["line"].as_u64().unwrap() >= 1, "{c}");
            assert!(c["page"].is_null() && c["row"].is_null(), "{c}");
            assert!(c["score"].as_f64().unwrap() <= hit["score"].as_f64().unwrap());
        }

        // Every copy on its own, best first, when collapsing is off.
        let every = search_json(&ws, &[QUERY, "--no-collapse"]);
        assert_eq!(every.len(), 3, "{extractor}: {every:#?}");
        assert!(every.iter().all(|h| h["also_in"] == serde_json::json!([])));
        assert_eq!(hit["score"], every[0]["score"], "the best copy's score");

        // Another preference shows another copy, naming the PDF page among the rest.
        let html = search_json(&ws, &[QUERY, "--prefer", "html"]);
        assert_eq!(html.len(), 1);
        assert_eq!(html[0]["path"], "corpus/brief.html");
        let mut rest = formats(&html[0]["also_in"]);
        rest.sort();
        assert_eq!(rest, ["pdf", "text"]);
        let pdf = html[0]["also_in"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["format"] == "pdf")
            .unwrap();
        assert_eq!(pdf["page"], 2);
        // Grouped by document, the copies' documents are not listed beside the PDF.
        let grouped = ws
            .run(&["search", "--group", "doc", "--format", "json", QUERY])
            .expect(0)
            .json();
        let docs = grouped["documents"].as_array().unwrap();
        assert_eq!(docs.len(), 1, "{extractor}: {grouped:#}");
        assert_eq!(docs[0]["path"], "corpus/brief.pdf");
        assert_eq!(docs[0]["passages"][0]["page"], 2);
        assert_eq!(
            docs[0]["passages"][0]["also_in"].as_array().unwrap().len(),
            2
        );
        let apart = ws
            .run(&[
                "search",
                "--group",
                "doc",
                "--no-collapse",
                "--format",
                "json",
                QUERY,
            ])
            .expect(0)
            .json();
        assert_eq!(apart["documents"].as_array().unwrap().len(), 3);

        let text = search_json(&ws, &[QUERY, "--prefer", "text,html"]);
        assert_eq!(text[0]["path"], "corpus/brief.txt");
        assert_eq!(formats(&text[0]["also_in"]).len(), 2);
    }
}

#[test]
fn copies_in_text_csv_and_jsonl_and_stable_order() {
    let (_, ws) = workspaces().remove(0);
    // Text output names the other places.
    let run = ws.run(&["search", QUERY, "--color", "never"]).expect(0);
    let out = run.stdout();
    assert!(out.contains("corpus/brief.pdf:"), "{out}");
    let also = out
        .lines()
        .find(|l| l.trim_start().starts_with("also in "))
        .unwrap_or_else(|| panic!("no also-in line\n{out}"));
    assert!(also.contains("corpus/brief.html:") && also.contains("corpus/brief.txt:"));

    // CSV carries also_in as a JSON array in its column.
    let run = ws.run(&["search", QUERY, "--format", "csv"]).expect(0);
    let stdout = run.stdout();
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = header
        .iter()
        .position(|h| h == "also_in")
        .expect("also_in column");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    let cell: Value = serde_json::from_str(&rows[0][col]).unwrap();
    assert_eq!(cell.as_array().unwrap().len(), 2);

    // The same query gives the same output, byte for byte.
    let a = ws
        .run(&["search", QUERY, "--format", "jsonl"])
        .expect(0)
        .stdout();
    let b = ws
        .run(&["search", QUERY, "--format", "jsonl"])
        .expect(0)
        .stdout();
    assert_eq!(a, b);
    let line: Value = serde_json::from_str(a.lines().next().unwrap()).unwrap();
    assert_eq!(line["also_in"].as_array().unwrap().len(), 2);

    // --fields can ask for it.
    let run = ws
        .run(&[
            "search",
            QUERY,
            "--format",
            "json",
            "--fields",
            "path,also_in",
        ])
        .expect(0);
    assert_eq!(hits(&run)[0]["also_in"].as_array().unwrap().len(), 2);

    // An unknown format is a one-line error naming it.
    let run = ws.run(&["search", QUERY, "--prefer", "pdf,tiff"]).expect(2);
    assert!(run.stderr().contains("tiff"), "{}", run.describe());
    assert!(run.stdout().is_empty());
}
