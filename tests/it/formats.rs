//! Document formats on tiny real fixtures (tests/fixtures/formats/, made by
//! tests/fixtures/make_formats.py): PDF pages, headers and hyphenation; scanned, encrypted,
//! corrupt and truncated PDFs; DOCX and a zip bomb; encodings; CSV/TSV/JSON records; corpus
//! configuration, catalogs and sidecars; a crashing extractor.

use super::common::*;
use serde_json::Value;
use std::path::Path;

/// A workspace whose `corpus/` holds the format fixtures, indexed with a report.
fn indexed_formats() -> (Workspace, Run, Vec<Value>) {
    indexed_formats_with(&[])
}

/// The same, with these environment variables (to choose the PDF extractor).
fn indexed_formats_with(env: &[(&str, &str)]) -> (Workspace, Run, Vec<Value>) {
    let ws = Workspace::empty();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    copy_dir(&fixtures, &ws.path("corpus"));
    let run = ws
        .run_env(&["index", "--report", "report.json"], env)
        .expect(0);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path("report.json")).unwrap()).unwrap();
    let files = report.as_array().unwrap().clone();
    (ws, run, files)
}

fn file<'a>(report: &'a [Value], name: &str) -> &'a Value {
    report
        .iter()
        .find(|f| f["path"] == format!("corpus/{name}"))
        .unwrap_or_else(|| panic!("{name} not in the report"))
}

fn first_hit(ws: &Workspace, query: &str) -> Value {
    let run = ws.run(&["search", "--format", "json", query]).expect(0);
    hits(&run)[0].clone()
}

/// The PDF extractors to test: the pure-Rust parser always, poppler's when pdftotext is here.
fn pdf_extractors() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let mut out = vec![("pdf", vec![("QUARRY_PDFTOTEXT", "none")])];
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok()
    {
        out.push(("pdf-poppler", vec![]));
    } else {
        println!("note: pdftotext is not installed; only the pure-Rust PDF parser is tested");
    }
    out
}

#[test]
fn pdf_passages_cite_the_page_without_running_headers() {
    for (name, env) in pdf_extractors() {
        println!("extractor {name}");
        pdf_pages_and_headers(&env);
    }
}

fn pdf_pages_and_headers(env: &[(&str, &str)]) {
    let (ws, _, report) = indexed_formats_with(env);
    for (phrase, page) in [
        ("\"first page introduces the sockpuppet inventory\"", 1),
        ("\"second page describes cross-platform amplification\"", 2),
        ("\"third page covers the forged memorandum\"", 3),
        ("\"fourth page lists recommendations for platforms\"", 4),
    ] {
        let hit = first_hit(&ws, &format!("{phrase} AND path:report"));
        assert_eq!(hit["path"], "corpus/report.pdf");
        assert_eq!(hit["page"], page, "{phrase}");
        assert_eq!(hit["format"], "pdf");
    }
    let hit = first_hit(&ws, "path:report AND author:\"Fixture Analyst\"");
    assert_eq!(hit["title"], "Coordinated Networks Annual Review");
    assert_eq!(hit["authors"][0], "Fixture Analyst");
    assert_eq!(hit["date"], "2022-03-15");
    // Running header and footer lines are not in any passage of the report.
    for q in [
        "text:\"Networks Annual Review\" AND path:report",
        "text:\"page 2 of 4\"",
    ] {
        ws.run(&["search", q]).expect(1);
    }
    // A word hyphenated at a line end is rejoined.
    let hit = first_hit(&ws, "\"disinformation campaigns were traced\"");
    assert_eq!(hit["page"], 2);
    let r = file(&report, "report.pdf");
    assert_eq!(r["pages"], 4);
    assert_eq!(r["status"], "indexed");
}

#[test]
fn broken_pdfs_and_docx_are_skipped_with_the_right_reason() {
    for (name, env) in pdf_extractors() {
        println!("extractor {name}");
        broken_files(&env);
    }
}

fn broken_files(env: &[(&str, &str)]) {
    let (_, run, report) = indexed_formats_with(env);
    let err = run.stderr();
    for (name, kind, words) in [
        (
            "scanned.pdf",
            "no-text-layer",
            // Then ", and OCR read no text on 2" where Tesseract is installed (dark bars).
            "no text layer in 2 page(s)",
        ),
        ("encrypted.pdf", "encrypted", "encrypted PDF"),
        ("garbage.pdf", "corrupt", "corrupt or unreadable PDF"),
        ("bomb.docx", "too-large", "possible zip bomb"),
    ] {
        let f = file(&report, name);
        assert_eq!(f["status"], "skipped", "{name}");
        assert_eq!(f["reason_kind"], kind, "{name}");
        assert!(f["reason"].as_str().unwrap().contains(words), "{name}: {f}");
        let line = err
            .lines()
            .find(|l| l.starts_with(&format!("quarry: skipped corpus/{name}: ")))
            .unwrap_or_else(|| panic!("{name} not reported\n{}", run.describe()));
        assert!(line.contains(words), "{line}");
    }
    // A truncated PDF is never a panic: either some text is recovered or it is refused.
    let t = file(&report, "truncated.pdf");
    assert!(
        t["status"] == "indexed" || t["reason_kind"] == "corrupt",
        "{t}"
    );
    let summary = err.lines().last().unwrap();
    assert!(
        summary.contains("skipped 4 (corrupt 1, encrypted 1, no text layer 1, too large 1)"),
        "{summary}"
    );
}

#[test]
fn ligature_words_of_latex_pdfs_are_found_on_their_pages() {
    // ligatures.pdf: pdflatex output (tests/fixtures/make_ligatures.sh) whose fonts set ff, fi,
    // fl, ffi and ffl as single glyphs, without ToUnicode maps.
    for (name, env) in pdf_extractors() {
        let (ws, _, _) = indexed_formats_with(&env);
        for (phrase, page) in [
            ("officials of the election office", 1),
            ("made an effort to find the affected", 1),
            ("different teams worked on the first findings", 1),
            ("filed several affidavits", 1),
            ("suffered from staffing shortfalls", 2),
            ("the offline archive was preserved", 2),
            ("efficiently identified by the office", 3),
        ] {
            let hit = first_hit(&ws, &format!("\"{phrase}\" AND path:ligatures"));
            assert_eq!(hit["page"], page, "{name}: {phrase}");
            let text = hit["text"].as_str().unwrap().to_lowercase();
            assert!(text.contains(phrase), "{name}: not quoted intact: {text}");
        }
    }
}

#[test]
fn docx_paragraphs_headings_tables_and_properties() {
    let (ws, _, _) = indexed_formats();
    let hit = first_hit(&ws, "\"three clusters of accounts\"");
    assert_eq!(hit["path"], "corpus/memo.docx");
    assert_eq!(hit["format"], "docx");
    assert_eq!(hit["title"], "Memo on Influence Reporting");
    assert_eq!(hit["authors"][0], "Fixture Writer");
    assert_eq!(hit["date"], "2023-05-02");
    assert_eq!(hit["lang"], "en");
    assert_eq!(hit["tags"], serde_json::json!(["memo", "reporting"]));
    let text = hit["text"].as_str().unwrap();
    assert!(text.contains("Cluster | Accounts\n\nA | 41"), "{text}");
    assert!(text.contains("request for more archive access"));
}

#[test]
fn odt_paragraphs_headings_tables_and_metadata() {
    let (ws, _, _) = indexed_formats();
    let hit = first_hit(&ws, "\"fabricated byline\"");
    assert_eq!(hit["path"], "corpus/briefing.odt");
    assert_eq!(hit["format"], "odt");
    assert_eq!(hit["title"], "Briefing on Cloned Outlets");
    assert_eq!(hit["authors"][0], "Fixture Editor");
    assert_eq!(hit["date"], "2024-01-09");
    assert_eq!(hit["lang"], "en");
    let text = hit["text"].as_str().unwrap();
    assert!(
        text.contains("look-alike domain and a fabricated byline.\n\nClones | 12"),
        "{text}"
    );
}

#[test]
fn text_in_legacy_encodings_and_utf16_is_decoded() {
    let (ws, _, _) = indexed_formats();
    assert_eq!(
        first_hit(&ws, "\"little endian\"")["path"],
        "corpus/utf16le.txt"
    );
    assert_eq!(
        first_hit(&ws, "\"big endian\"")["path"],
        "corpus/utf16be.txt"
    );
    let hit = first_hit(&ws, "пропаганду AND path:cp1251");
    assert!(hit["text"]
        .as_str()
        .unwrap()
        .contains("распространяли пропаганду"));
    let hit = first_hit(&ws, "пропаганду AND path:koi8r");
    assert!(hit["text"]
        .as_str()
        .unwrap()
        .contains("распространяли пропаганду"));
    let hit = first_hit(&ws, "resume facade");
    assert_eq!(hit["path"], "corpus/latin1.txt");
    assert!(hit["text"]
        .as_str()
        .unwrap()
        .contains("résumé ignored the façade"));
}

#[test]
fn record_files_cite_file_and_row() {
    let (ws, run, report) = indexed_formats();
    let hit = first_hit(&ws, "referendum");
    assert_eq!(hit["path"], "corpus/posts.csv");
    assert_eq!(hit["row"], 3);
    assert_eq!(hit["line"], 5, "row 2 spans two lines");
    assert_eq!(hit["authors"][0], "@fixture_three");
    assert_eq!(hit["date"], "2016-10-14");
    assert_eq!(hit["url"], "https://example.org/posts/1003");
    assert_eq!(hit["extra"]["id"], "1003");
    assert_eq!(hit["format"], "csv");

    let hit = first_hit(&ws, "\"leaked\" schedule");
    assert_eq!(
        hit["text"],
        "Everyone is sharing the \"leaked\" schedule.\nIt is not from the ministry."
    );
    assert_eq!(hit["row"], 2);

    let hit = first_hit(&ws, "rally");
    assert_eq!(
        (hit["path"].as_str().unwrap(), hit["row"].as_u64()),
        ("corpus/ads.tsv", Some(2))
    );
    assert_eq!(hit["date"], "2016-05-02");

    let hit = first_hit(&ws, "vaccine");
    assert_eq!(
        (hit["path"].as_str().unwrap(), hit["row"].as_u64()),
        ("corpus/cases.jsonl", Some(2))
    );
    assert_eq!(hit["title"], "Clinic rumour");
    assert_eq!(hit["line"], 2);
    let hit = first_hit(&ws, "screenshot");
    assert_eq!(hit["authors"][0], "fixture_three");
    assert_eq!(hit["date"], "2020-01-02");

    let hit = first_hit(&ws, "pipeline");
    assert_eq!(
        (hit["path"].as_str().unwrap(), hit["row"].as_u64()),
        ("corpus/cases.json", Some(1))
    );
    assert_eq!(hit["authors"][0], "fixture_map");

    assert_eq!(file(&report, "posts.csv")["records"], 5);
    assert_eq!(file(&report, "cases.json")["records"], 3);
    assert!(run
        .stderr()
        .contains("quarry: warning: corpus/posts.csv: 1 row(s) with a number of fields"));

    // Human output cites the row.
    let out = ws.run(&["search", "referendum"]).expect(0).stdout();
    assert!(out.contains("corpus/posts.csv:5 · row 3"), "{out}");
    // A row can be shown as a document.
    let doc = ws
        .run(&["show", "--format", "json", hit["doc_id"].as_str().unwrap()])
        .expect(0)
        .json();
    assert_eq!(doc["row"], 1);
    assert!(doc["text"].as_str().unwrap().contains("pipeline"));
}

#[test]
fn folder_defaults_replace_what_a_file_only_guessed() {
    // A PDF's document-information date is when the file was made; a folder's declared date
    // wins over it, as it does over a title made from the file name, but not over front matter.
    let ws = Workspace::empty();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    std::fs::create_dir_all(ws.path("corpus/reports")).unwrap();
    std::fs::copy(
        fixtures.join("report.pdf"),
        ws.path("corpus/reports/report.pdf"),
    )
    .unwrap();
    std::fs::copy(fixtures.join("report.pdf"), ws.path("corpus/other.pdf")).unwrap();
    ws.write(
        "corpus/reports/notes.md",
        "---\ndate: 2021-06\n---\n\nThe notes mention a zeppelin campaign.\n",
    );
    ws.write(
        "corpus/reports/untitled.txt",
        "the plain note mentions a dirigible campaign\n",
    );
    ws.write(
        "corpus/quarry.toml",
        "[defaults.\"reports/\"]\ndate = \"2019-04\"\ntitle = \"Folder Report\"\n",
    );
    ws.run(&["index"]).expect(0);
    let hit = first_hit(&ws, "sockpuppet AND path:reports/*");
    assert_eq!(hit["date"], "2019-04", "the folder's date beats the PDF's");
    assert_eq!(
        hit["title"], "Coordinated Networks Annual Review",
        "a declared title stays"
    );
    let hit = first_hit(&ws, "sockpuppet AND path:other.pdf");
    assert_eq!(hit["date"], "2022-03-15", "no default: the PDF's own date");
    let hit = first_hit(&ws, "zeppelin");
    assert_eq!(hit["date"], "2021-06", "front matter beats the folder");
    assert_eq!(hit["title"], "Folder Report", "a file-name title gives way");
    let hit = first_hit(&ws, "dirigible");
    assert_eq!(hit["title"], "Folder Report");
}

#[test]
fn corpus_config_catalog_and_sidecars() {
    let ws = Workspace::empty();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    for name in ["report.pdf", "posts.csv", "memo.docx", "latin1.txt"] {
        ws.write("corpus/x", "");
        std::fs::copy(fixtures.join(name), ws.path(&format!("corpus/{name}"))).unwrap();
    }
    std::fs::remove_file(ws.path("corpus/x")).unwrap();
    std::fs::create_dir_all(ws.path("corpus/meta")).unwrap();
    std::fs::copy(
        fixtures.join("memo.docx"),
        ws.path("corpus/meta/memo-copy.docx"),
    )
    .unwrap();
    ws.write(
        "corpus/drafts/ignore.md",
        "# Draft\n\nNot ready for indexing: zeppelin.\n",
    );
    ws.write(
        "corpus/quarry.toml",
        "exclude = [\"drafts/\"]\n\
         [defaults.\"meta/\"]\npublisher = \"Meta\"\ntags = [\"platform\"]\n\
         [records.\"*.csv\"]\ntext = [\"content\"]\nauthor = \"url\"\n",
    );
    ws.write(
        "corpus/catalog.csv",
        "path,title,publisher,authors,date,url,tags\n\
         report.pdf,Catalogued Review,Fixture Institute,Cat Author,2022-04,https://example.org/review,networks; review\n",
    );
    ws.write(
        "corpus/latin1.txt.meta.toml",
        "publisher = \"Sidecar Press\"\ndate = 1999\n",
    );
    ws.run(&["index"]).expect(0);

    let hit = first_hit(&ws, "sockpuppet inventory");
    assert_eq!(hit["title"], "Catalogued Review");
    assert_eq!(hit["publisher"], "Fixture Institute");
    assert_eq!(hit["date"], "2022-04");
    assert_eq!(hit["tags"], serde_json::json!(["networks", "review"]));

    let hit = first_hit(&ws, "façade");
    assert_eq!(hit["publisher"], "Sidecar Press");
    assert_eq!(hit["date"], "1999");

    let copy = hits(
        &ws.run(&["search", "--format", "json", "path:copy AND clusters"])
            .expect(0),
    );
    assert_eq!(
        copy[0]["publisher"], "Meta",
        "folder defaults fill what the file lacks"
    );
    assert_eq!(
        copy[0]["tags"],
        serde_json::json!(["memo", "reporting"]),
        "and nothing else"
    );

    let hit = first_hit(&ws, "referendum");
    assert_eq!(
        hit["authors"][0], "https://example.org/posts/1003",
        "configured mapping"
    );
    ws.run(&["search", "zeppelin"]).expect(1);

    ws.write("corpus/quarry.toml", "exclude = [\"drafts/\"\n");
    let run = ws.run(&["index"]).expect(2);
    assert!(
        run.stderr()
            .starts_with("quarry: invalid corpus/quarry.toml"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_crashing_extractor_costs_one_file_not_the_run() {
    let ws = Workspace::with_corpus();
    // 200,000 nested arrays: overflows the stack of every pure-Rust PDF parser measured.
    let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /X ".to_vec();
    pdf.extend(std::iter::repeat_n(b'[', 200_000));
    pdf.extend(std::iter::repeat_n(b']', 200_000));
    pdf.extend(b" >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    std::fs::write(ws.path("corpus/deep.pdf"), pdf).unwrap();
    let run = ws.run(&["index"]).expect(0);
    assert!(
        run.stderr().contains("quarry: skipped corpus/deep.pdf: "),
        "{}",
        run.describe()
    );
    ws.run(&["search", "Zhenhua"]).expect(0);
}

#[test]
fn a_configuration_file_outside_the_corpus_serves_a_folder_one_cannot_write_into() {
    let ws = Workspace::empty();
    ws.write(
        "third/ads.csv",
        "ad_copy,when,who\nJoin the rally downtown,2016-10-02,Page A\nShare if you agree,2016-11-01,Page B\n",
    );
    ws.write(
        "config/ads.toml",
        "[defaults.\"**\"]\npublisher = \"Ads archive\"\n\
         [records.\"*.csv\"]\ntext = \"ad_copy\"\ndate = \"when\"\nauthor = \"who\"\n",
    );
    let before = std::fs::read(ws.path("third/ads.csv")).unwrap();
    ws.run(&["index", "--config", "config/ads.toml", "third"])
        .expect(0);
    let hit = first_hit(&ws, "rally");
    assert_eq!(hit["publisher"], "Ads archive");
    assert_eq!(hit["date"], "2016-10-02");
    assert_eq!(hit["authors"][0], "Page A");
    assert!(!ws.path("third/quarry.toml").exists());
    assert_eq!(std::fs::read(ws.path("third/ads.csv")).unwrap(), before);
    // The index remembers the file: verify and later updates use it.
    ws.run(&["verify"]).expect(0);
    let run = ws.run(&["index"]).expect(0);
    assert!(run.stderr().contains("up to date"), "{}", run.describe());
    // Editing it re-reads what it maps.
    ws.write(
        "config/ads.toml",
        "[records.\"*.csv\"]\ntext = \"ad_copy\"\nauthor = \"who\"\n",
    );
    let run = ws.run(&["index"]).expect(0);
    assert!(run.stderr().contains("changed 1"), "{}", run.describe());
    let hit = first_hit(&ws, "rally");
    assert_eq!(hit["publisher"], Value::Null);
    let run = ws.run(&["index", "--config", "nope.toml"]).expect(2);
    assert!(
        run.stderr()
            .starts_with("quarry: cannot read the configuration nope.toml"),
        "{}",
        run.describe()
    );
    // --no-config forgets the file: the CSV is read with the built-in column names again, and
    // none of its columns is a text column, so it is skipped (saying how to map one), by later
    // updates too.
    let run = ws.run(&["index", "--no-config"]).expect(1);
    assert!(
        run.stderr()
            .contains("skipped third/ads.csv: no records with text"),
        "{}",
        run.describe()
    );
    ws.run(&["search", "rally"]).expect(1);
    let run = ws.run(&["index"]).expect(1);
    assert!(
        run.stderr().contains("up to date (1 unchanged)"),
        "{}",
        run.describe()
    );
}

#[test]
fn rows_that_are_lines_of_pages_can_be_grouped_into_page_passages() {
    let ws = Workspace::empty();
    ws.write(
        "corpus/lines.csv",
        "page,line,text\n1,1,The committee heard that the network\n1,2,bought advertisements in three states.\n\
         2,1,A second page about other matters\n2,2,entirely.\n",
    );
    ws.write(
        "corpus/quarry.toml",
        "[records.\"lines.csv\"]\ntext = \"text\"\ngroup = \"page\"\n",
    );
    ws.run(&["index"]).expect(0);
    let hit = first_hit(&ws, "\"network bought advertisements\"");
    assert_eq!(hit["page"], 1, "{hit}");
    assert_eq!(hit["row"], 1, "{hit}");
    assert_eq!(
        hit["text"],
        "The committee heard that the network\nbought advertisements in three states."
    );
    assert!(hit["cite"].as_str().unwrap().contains("p. 1"), "{hit}");
    let stats = ws.run(&["stats", "--format", "json"]).expect(0).json();
    assert_eq!(stats["records"], 2, "{stats}");
}

/// A stand-in for pdftotext that answers like it, page by page, for three kinds of file (told
/// apart by a word in the file): `three` has 3 pages and hangs on page 2; `stuck` has 1 page
/// and hangs on it (a Flate bomb); `slow` has 100 pages of 0.3 s each.
const FAKE_PDFTOTEXT: &str = r#"#!/bin/sh
first=1; last=100000
while [ $# -gt 0 ]; do
  case "$1" in -f) first=$2; shift;; -l) last=$2; shift;; esac
  shift
done
input=$(cat)
case "$input" in
  *three*) pages=3 ;;
  *stuck*) pages=1 ;;
  *) pages=100 ;;
esac
[ "$first" -gt "$pages" ] && exit 99
[ "$last" -gt "$pages" ] && last=$pages
printf '<!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Paged</title></head><body><doc>\n'
p=$first
while [ "$p" -le "$last" ]; do
  case "$input" in
    *three*) [ "$p" -eq 2 ] && exec sleep 60 ;;
    *stuck*) exec sleep 60 ;;
    *) sleep 0.3 ;;
  esac
  printf '<page width="612" height="792"><flow><block yMin="300" yMax="312"><line xMin="72" xMax="500" yMin="300" yMax="312"><word>Page</word><word>%s</word><word>names</word><word>the</word><word>wheelwright%s</word><word>and</word><word>the</word><word>cartwright.</word></line></block></flow></page>\n' "$p" "$p"
  p=$((p + 1))
done
printf '</doc></body></html>\n'
"#;

#[cfg(unix)]
#[test]
fn a_slow_pdf_page_is_skipped_and_the_rest_of_the_file_indexed() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::empty();
    ws.write("fake/pdftotext", FAKE_PDFTOTEXT);
    let program = ws.path("fake/pdftotext");
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    ws.write("corpus/three.pdf", "%PDF-1.4\nthree\n");
    ws.write("corpus/stuck.pdf", "%PDF-1.4\nstuck\n");
    ws.write("corpus/slow.pdf", "%PDF-1.4\nslow\n");
    ws.write(
        "corpus/note.md",
        "# Note\n\nAn ordinary note about the wainwright.\n",
    );
    let started = std::time::Instant::now();
    // --timeout 8: a page may take 1 s, and reading stops at 7.2 s.
    let run = ws
        .run_env(
            &["index", "--timeout", "8", "--report", "report.json"],
            &[("QUARRY_PDFTOTEXT", program.to_str().unwrap())],
        )
        .expect(0);
    assert!(started.elapsed().as_secs() < 30, "{}", run.describe());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path("report.json")).unwrap()).unwrap();
    let report = report.as_array().unwrap().clone();
    let err = run.stderr();

    // Page 2 hangs: skipped with a warning; pages 1 and 3 are indexed and cited.
    assert_eq!(file(&report, "three.pdf")["status"], "indexed");
    assert!(
        err.contains("three.pdf: page 2 skipped: pdftotext took longer than 1 s on it"),
        "{err}"
    );
    for page in [1, 3] {
        let hit = first_hit(&ws, &format!("wheelwright{page} AND path:three"));
        assert_eq!(hit["path"], "corpus/three.pdf");
        assert_eq!(hit["page"], page);
    }
    ws.run(&["search", "wheelwright2 AND path:three"]).expect(1);

    // The only page hangs: the file is skipped as timed out, not as scanned.
    let stuck = file(&report, "stuck.pdf");
    assert_eq!(stuck["status"], "skipped");
    assert_eq!(stuck["reason_kind"], "timed-out", "{stuck}");
    assert!(
        stuck["reason"]
            .as_str()
            .unwrap()
            .contains("page 1 skipped: pdftotext took longer than 1 s"),
        "{stuck}"
    );

    // Every page is slow but under the page limit: the pages read before the file's deadline
    // are kept, and the rest is named.
    assert_eq!(file(&report, "slow.pdf")["status"], "indexed");
    assert!(err.contains("slow.pdf: pages from "), "{err}");
    assert!(
        err.contains("on were not read: the file's time limit ran out (raise it with --timeout)"),
        "{err}"
    );
    let hit = first_hit(&ws, "wheelwright1 AND path:slow");
    assert_eq!(hit["page"], 1);
    ws.run(&["search", "wheelwright100 AND path:slow"])
        .expect(1);

    // The rest of the corpus is indexed.
    assert_eq!(file(&report, "note.md")["status"], "indexed");
}
