//! Files that hold many documents, on fixtures of ours (tests/fixtures/containers/, made by
//! tests/fixtures/make_containers.py): a mailbox of three messages in two charsets with
//! attachments and a malformed boundary, a message with an HTML body and an attached message,
//! a ZIP with a nested ZIP, a PDF, an unsupported member and a path-traversal name, a zip bomb
//! and a truncated ZIP. Each part is found by a phrase and cited by its path inside the file.

use super::common::*;
use serde_json::Value;
use std::path::Path;

fn indexed_containers() -> (Workspace, Run, Vec<Value>) {
    let ws = Workspace::empty();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/containers");
    copy_dir(&fixtures, &ws.path("corpus"));
    std::fs::remove_file(ws.path("corpus/README.md")).unwrap();
    let run = ws.run(&["index", "--report", "report.json"]).expect(0);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path("report.json")).unwrap()).unwrap();
    (ws, run, report.as_array().unwrap().clone())
}

fn only_hit(ws: &Workspace, query: &str) -> Value {
    let hits = search_json(ws, &["--per-doc", "0", "--no-collapse", query]);
    assert_eq!(hits.len(), 1, "{query}: {hits:#?}");
    hits[0].clone()
}

#[test]
fn messages_and_attachments_of_a_mailbox_are_documents_that_cite_their_message() {
    let (ws, _, _) = indexed_containers();
    // A KOI8-R message: subject, sender, recipients, date, decoded text.
    let m1 = search_json(
        &ws,
        &["--per-doc", "0", "--type", "email", "lighthouse network"],
    );
    let m1 = m1
        .iter()
        .find(|h| h["path"] == "corpus/leak.mbox!/1")
        .unwrap_or_else(|| panic!("{m1:#?}"));
    assert_eq!(m1["title"], "Отчёт о кампании в соцсетях");
    assert_eq!(m1["authors"][0], "Ivan Fixturov <ivan@example.ru>");
    assert_eq!(m1["date"], "2020-03-03");
    assert_eq!(m1["format"], "email");
    assert_eq!(
        m1["extra"]["to"],
        serde_json::json!(["Press Desk <desk@example.org>", "archive@example.org"])
    );
    assert_eq!(m1["extra"]["cc"], serde_json::json!(["editor@example.org"]));
    // Filters by address: the bare address, or as written.
    for (query, expected) in [
        ("to:desk@example.org lighthouse", "corpus/leak.mbox!/1"),
        ("to:archive@example.org lighthouse", "corpus/leak.mbox!/1"),
        ("from:ivan@example.ru lighthouse", "corpus/leak.mbox!/1"),
        ("cc:editor@example.org lighthouse", "corpus/leak.mbox!/1"),
        ("from:desk@example.org lighthouse", "corpus/leak.mbox!/2"),
    ] {
        let hits = search_json(&ws, &["--type", "email", query]);
        let paths: Vec<&str> = hits.iter().filter_map(|h| h["path"].as_str()).collect();
        assert_eq!(paths, [expected], "{query}");
    }
    assert_eq!(m1["extra"]["message_id"], "fixture-1@example.ru");
    assert!(m1["text"]
        .as_str()
        .unwrap()
        .contains("Кампания в соцсетях началась в понедельник."));
    // Its PDF attachment, page by page, naming the message (the same PDF is in release.zip).
    let pdfs = search_json(&ws, &["--no-collapse", "sockpuppet inventory"]);
    let pdf = pdfs
        .iter()
        .find(|h| h["path"] == "corpus/leak.mbox!/1/annual-review.pdf")
        .unwrap_or_else(|| panic!("{pdfs:#?}"));
    assert_eq!(pdf["path"], "corpus/leak.mbox!/1/annual-review.pdf");
    assert_eq!(pdf["format"], "pdf");
    assert_eq!(pdf["page"], 1);
    assert_eq!(pdf["extra"]["parent"], m1["doc_id"]);
    assert_eq!(pdf["extra"]["parent_path"], "corpus/leak.mbox!/1");
    // The parent id leads to the message.
    let parent = ws
        .run(&[
            "show",
            "--format",
            "json",
            pdf["extra"]["parent"].as_str().unwrap(),
        ])
        .expect(0)
        .json();
    assert_eq!(parent["meta"]["title"], "Отчёт о кампании в соцсетях");
    // An ISO-8859-1 quoted-printable reply, with a `>From ` line unquoted.
    let m2 = only_hit(&ws, "\"café du port\"");
    assert_eq!(m2["path"], "corpus/leak.mbox!/2");
    assert_eq!(m2["extra"]["in_reply_to"], "fixture-1@example.ru");
    assert!(m2["text"]
        .as_str()
        .unwrap()
        .contains("\nFrom now on, send the lighthouse figures"));
    // A message whose multipart never closes keeps the text it has.
    let m3 = only_hit(&ws, "\"quarantine ledger\"");
    assert_eq!(m3["path"], "corpus/leak.mbox!/3");
    // An HTML-only message and the message attached to it.
    let tip = search_json(&ws, &["--per-doc", "0", "saltmarsh relay"]);
    let paths: Vec<&str> = tip.iter().filter_map(|h| h["path"].as_str()).collect();
    assert!(paths.contains(&"corpus/tip.eml"), "{paths:?}");
    assert!(
        paths.contains(&"corpus/tip.eml!/attachment-1.eml"),
        "{paths:?}"
    );
}

#[test]
fn archives_are_read_member_by_member_with_hostile_ones_reported() {
    let (ws, run, report) = indexed_containers();
    let paths: Vec<String> = search_json(&ws, &["--per-doc", "0", "tidewater"])
        .iter()
        .map(|h| h["path"].as_str().unwrap().to_string())
        .collect();
    // A nested archive, and a member that tried to climb out, shown harmlessly.
    for expected in [
        "corpus/release.zip!/release/memo.txt",
        "corpus/release.zip!/release/inner.zip/deep/note.md",
        "corpus/release.zip!/escaped.txt",
    ] {
        assert!(paths.iter().any(|p| p == expected), "{expected}: {paths:?}");
    }
    assert!(!ws.path("escaped.txt").exists());
    let pdf = search_json(&ws, &["--no-collapse", "\"forged memorandum\""]);
    assert!(
        pdf.iter().any(
            |h| h["path"] == "corpus/release.zip!/release/annual-review.pdf" && h["page"] == 3
        ),
        "{pdf:#?}"
    );
    // The bomb's member is skipped after a megabyte or so; the member after it is read.
    let after = only_hit(&ws, "cormorant");
    assert_eq!(after["path"], "corpus/bomb.zip!/after.txt");
    let stderr = run.stderr();
    assert!(
        stderr.contains("bomb.zip!/zeros.txt skipped") && stderr.contains("zip bomb"),
        "{stderr}"
    );
    // An image member is read by OCR: this one is no image, so it is skipped, saying why (or,
    // without Tesseract, that it needs OCR).
    assert!(
        stderr.contains("release.zip!/release/photo.png skipped: "),
        "{stderr}"
    );
    // A truncated archive is a skipped file, with its reason.
    let truncated = report
        .iter()
        .find(|f| f["path"] == "corpus/truncated.zip")
        .unwrap();
    assert_eq!(truncated["reason_kind"], "corrupt", "{truncated}");
    let release = report
        .iter()
        .find(|f| f["path"] == "corpus/release.zip")
        .unwrap();
    assert_eq!(release["status"], "indexed", "{release}");
}

#[test]
fn a_changed_or_removed_container_takes_all_its_parts_with_it() {
    let (ws, _, _) = indexed_containers();
    let in_mailbox = |ws: &Workspace| {
        search_json(ws, &["--no-collapse", "--per-doc", "0", "sockpuppet"])
            .iter()
            .filter(|h| h["path"].as_str().unwrap().starts_with("corpus/leak.mbox"))
            .count()
    };
    assert_eq!(in_mailbox(&ws), 1);
    std::fs::remove_file(ws.path("corpus/leak.mbox")).unwrap();
    ws.run(&["index"]).expect(0);
    // The message and its PDF attachment are gone with the mailbox.
    assert!(search_json(&ws, &["lighthouse"]).is_empty());
    assert_eq!(in_mailbox(&ws), 0);
    // An archive rewritten without a member loses it at the next build.
    std::fs::write(ws.path("corpus/release.zip"), b"").unwrap();
    ws.run(&["index"]).expect(0);
    assert!(search_json(&ws, &["\"tidewater memo\""]).is_empty());
    ws.run(&["verify"]).expect(0);
}

#[test]
fn a_telegram_export_is_one_record_per_message_cited_by_its_id() {
    let (ws, _, report) = indexed_containers();
    let export = report
        .iter()
        .find(|f| f["path"] == "corpus/telegram/result.json")
        .unwrap();
    assert_eq!(export["records"], 2, "{export}");
    let post = only_hit(&ws, "\"harbour blockade story\"");
    assert_eq!(post["format"], "telegram");
    assert_eq!(post["publisher"], "Fixture Wire");
    assert_eq!(post["authors"][0], "Duty Editor");
    assert_eq!(post["date"], "2022-03-01");
    assert_eq!(post["row"], 2);
    assert_eq!(post["url"], "https://t.me/c/1700000001/2");
    assert!(
        post["text"]
            .as_str()
            .unwrap()
            .contains("first posted on this site [https://example.org/harbour]."),
        "{post}"
    );
    let forwarded = only_hit(&ws, "\"ferry photo\"");
    assert_eq!(forwarded["extra"]["forwarded_from"], "Mirror Channel");
    assert_eq!(forwarded["row"], 3);
    // With the channel's username in quarry.toml, links are public t.me links.
    ws.write(
        "corpus/quarry.toml",
        "[records.\"telegram/result.json\"]\nusername = \"fixturewire\"\n",
    );
    ws.run(&["index"]).expect(0);
    let post = only_hit(&ws, "\"harbour blockade story\"");
    assert_eq!(post["url"], "https://t.me/fixturewire/2");
}

#[test]
fn each_sheet_of_a_workbook_is_a_record_set_cited_by_sheet_and_row() {
    let (ws, _, _) = indexed_containers();
    let post = only_hit(&ws, "\"pelican campaign\"");
    assert_eq!(post["path"], "corpus/takedown.xlsx!/Posts");
    assert_eq!(post["format"], "spreadsheet");
    assert_eq!(post["row"], 2);
    assert_eq!(post["date"], "2021-02-03");
    assert_eq!(post["authors"][0], "@fixture_gull");
    assert_eq!(post["url"], "https://example.org/p/9001");
    let second = only_hit(&ws, "\"ferry company\"");
    assert_eq!(second["row"], 4, "rows are the sheet's own numbers");
    // A sheet without a text column: every cell is the text, the first value the title.
    let account = only_hit(&ws, "suspended");
    assert_eq!(account["path"], "corpus/takedown.xlsx!/Accounts");
    assert_eq!(account["title"], "@fixture_gull");
    assert_eq!(account["row"], 2);
    assert!(account["text"]
        .as_str()
        .unwrap()
        .contains("Display name: Gull Watch\nFollowers: 1520"));
    // Legacy Excel (BIFF8).
    let xls = only_hit(&ws, "\"coastal districts\"");
    assert_eq!(xls["path"], "corpus/ads.xls!/Ads");
    assert_eq!(xls["row"], 2);
    assert_eq!(xls["date"], "2018-06-04");
    assert_eq!(xls["extra"]["id"], "701");
    // OpenDocument too.
    let ods = only_hit(&ws, "kestrel");
    assert_eq!(ods["path"], "corpus/channels.ods!/Channels");
    assert_eq!(ods["row"], 2);
    assert_eq!(ods["date"], "2022-05-09");
}

#[test]
fn an_epub_reads_in_spine_order_with_its_package_metadata() {
    let (ws, _, _) = indexed_containers();
    let book = only_hit(&ws, "\"fishing forum\"");
    assert_eq!(book["path"], "corpus/estuary.epub");
    assert_eq!(book["format"], "epub");
    assert_eq!(book["title"], "The Estuary Papers");
    assert_eq!(
        book["authors"],
        serde_json::json!(["Fixture Author", "Second Fixture"])
    );
    assert_eq!(book["publisher"], "Fixture Press");
    assert_eq!(book["date"], "2023-09-14");
    assert_eq!(book["url"], "https://example.org/books/estuary");
    assert_eq!(book["heading"], "Origins");
    let text = book["text"].as_str().unwrap();
    let (first, second) = (
        text.find("fishing forum").unwrap(),
        text.find("pushed one slogan").unwrap(),
    );
    assert!(
        first < second,
        "chapters in spine order, not manifest order: {text}"
    );
}

#[test]
fn web_archives_make_each_captured_page_a_document_with_its_url_and_capture_date() {
    let (ws, run, report) = indexed_containers();
    for warc in ["corpus/crawl.warc", "corpus/crawl-gz/crawl.warc.gz"] {
        let page = search_json(&ws, &["--no-collapse", "--per-doc", "0", "marina forum"])
            .into_iter()
            .find(|h| h["path"].as_str().unwrap().starts_with(warc))
            .unwrap_or_else(|| panic!("no capture in {warc}"));
        assert_eq!(
            page["path"],
            format!("{warc}!/20210405100002/www.example.org/news/harbour")
        );
        assert_eq!(page["format"], "html");
        assert_eq!(page["title"], "Harbour blockade rumours");
        assert_eq!(page["url"], "https://www.example.org/news/harbour");
        assert_eq!(page["publisher"], "example.org");
        assert_eq!(page["date"], "2021-04-05");
        assert_eq!(page["extra"]["captured"], "2021-04-05T10:00:02Z");
    }
    // A chunked, gzip-encoded page keeps the date it declares.
    let lagoon = search_json(&ws, &["--no-collapse", "--per-doc", "0", "registrar"]);
    assert!(
        lagoon.iter().any(
            |h| h["path"] == "corpus/crawl.warc!/20210405100003/example.net/lagoon"
                && h["date"] == "2019-07-01"
        ),
        "{lagoon:#?}"
    );
    // A PDF response goes to the PDF extractor, page by page.
    let pdf = search_json(
        &ws,
        &["--no-collapse", "--per-doc", "0", "\"forged memorandum\""],
    );
    assert!(
        pdf.iter().any(|h| h["path"]
            == "corpus/crawl.warc!/20210405100004/example.org/files/review.pdf"
            && h["page"] == 3
            && h["url"] == "https://example.org/files/review.pdf"),
        "{pdf:#?}"
    );
    // A stored resource too; a 404 and an image do not become documents.
    assert!(!search_json(&ws, &["egret"]).is_empty());
    assert!(search_json(&ws, &["heron"]).is_empty());
    let stderr = run.stderr();
    assert!(
        stderr.contains("1 revisit records") && stderr.contains("1 responses other than 2xx"),
        "{stderr}"
    );
    // A truncated archive keeps the captures before the break.
    assert!(
        stderr.contains("truncated.warc: the file breaks off in record"),
        "{stderr}"
    );
    let truncated = report
        .iter()
        .find(|f| f["path"] == "corpus/broken/truncated.warc")
        .unwrap();
    assert_eq!(truncated["status"], "indexed", "{truncated}");
}

#[test]
fn a_compressed_tar_is_read_member_by_member() {
    let (ws, _, _) = indexed_containers();
    let paths: Vec<String> = search_json(&ws, &["--per-doc", "0", "osprey"])
        .iter()
        .map(|h| h["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        paths
            .iter()
            .filter(|p| p.starts_with("corpus/court.tar.gz!/"))
            .count(),
        2,
        "{paths:?}"
    );
    assert!(paths.contains(&"corpus/court.tar.gz!/court/filing.txt".to_string()));
    assert!(
        paths.contains(&"corpus/court.tar.gz!/court/exhibit.md".to_string()),
        "{paths:?}"
    );
}
