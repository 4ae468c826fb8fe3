//! Tests on the real third-party documents in `../shared/data/` (see its README). They skip,
//! saying why, when that folder is absent, as on a fresh clone.

use super::common::*;
use serde_json::Value;
use std::path::PathBuf;

fn shared_data() -> Option<PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: ../shared/data is absent (it holds the third-party test documents)");
        None
    }
}

#[test]
fn the_shared_documents_index_without_panic_and_pdf_pages_are_right() {
    let Some(data) = shared_data() else { return };
    let ws = Workspace::empty();
    let docs = data.join("docs");
    let docs = docs.to_str().unwrap();
    let run = ws
        .run(&["index", "--report", "report.json", docs])
        .expect(0);
    assert!(!run.stderr().contains("panicked"), "{}", run.describe());
    let report: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(ws.path("report.json")).unwrap()).unwrap();

    // Scanned NSA reports have no text layer; every other PDF is indexed with its pages.
    for f in &report {
        let path = f["path"].as_str().unwrap();
        if path.contains("us_ig_reports/nsa_") && path.ends_with(".pdf") {
            assert_eq!(f["reason_kind"], "no-text-layer", "{f}");
        } else if path.ends_with(".pdf") {
            assert_eq!(f["status"], "indexed", "{f}");
            assert!(f["pages"].as_u64().unwrap() > 0, "{f}");
        }
    }

    // Known phrases on known pages (checked against pdftotext -f N -l N).
    for (phrase, file, page) in [
        (
            "\"Dmitriev was not enthusiastic about the idea of meeting with Prince\"",
            "mueller-report-vol-1.pdf",
            150,
        ),
        (
            "\"Certain proceedings associated with the\"",
            "mueller-report-vol-1.pdf",
            20,
        ),
        (
            "\"Page was invited to give a speech at the July 2016 commencement\"",
            "mueller-report-vol-1.pdf",
            100,
        ),
        (
            "\"a lot more to populate in this document\"",
            "01_AMITT_TTP_Guide.pdf",
            12,
        ),
    ] {
        let run = ws
            .run(&[
                "search",
                "--format",
                "json",
                &format!("{phrase} AND format:pdf"),
            ])
            .expect(0);
        let hit = &hits(&run)[0];
        assert!(
            hit["path"].as_str().unwrap().ends_with(file),
            "{phrase}: {hit}"
        );
        assert_eq!(hit["page"], page, "{phrase} in {file}");
    }
}

#[test]
fn ira_tweets_index_as_records_with_dates_and_authors() {
    let Some(data) = shared_data() else { return };
    let tweets = data.join("social/ira_troll_tweets_by_author/tweets");
    let ws = Workspace::empty();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&tweets)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.iter().take(5) {
        std::fs::copy(
            f,
            ws.path(&format!("{}", f.file_name().unwrap().to_string_lossy())),
        )
        .unwrap();
    }
    let run = ws.run(&["index", "--report", "report.json", "."]).expect(0);
    let report: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(ws.path("report.json")).unwrap()).unwrap();
    assert_eq!(report.len(), 5, "{}", run.describe());
    for f in &report {
        assert_eq!(f["status"], "indexed", "{f}");
        assert!(f["records"].as_u64().unwrap() > 0);
    }
    let stats = ws.run(&["stats", "--format", "json"]).expect(0).json();
    assert!(stats["records"].as_u64().unwrap() > 100, "{stats}");
    assert!(stats["date_min"].as_str().unwrap().starts_with("20"));
    let run = ws
        .run(&["search", "--format", "json", "-n", "50", "the"])
        .expect(0);
    for hit in hits(&run) {
        assert_eq!(hit["format"], "csv");
        assert!(hit["row"].as_u64().unwrap() >= 1);
        assert!(hit["date"].as_str().unwrap().len() == 10, "{hit}");
        let author = hit["authors"][0].as_str().unwrap();
        assert!(hit["path"].as_str().unwrap().contains(author), "{hit}");
    }
}
