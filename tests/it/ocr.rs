//! OCR of images and scanned PDFs (tests/fixtures/scans/, made by make_scans.py from text we
//! wrote; and the scanned NSA reports of ../shared when it is there): words found on the right
//! page, noise left out, `--ocr never`, and what happens without Tesseract. The tests that read
//! images skip, saying so, where Tesseract is not installed.

use crate::common::{copy_dir, hits, Workspace};
use serde_json::Value;
use std::path::Path;

fn tesseract_installed() -> bool {
    std::process::Command::new("tesseract")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A workspace whose `corpus/` holds memo.png, pages.tif and a note in plain text.
fn images() -> Workspace {
    let ws = Workspace::empty();
    let scans = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scans");
    copy_dir(&scans, &ws.path("all"));
    std::fs::create_dir_all(ws.path("corpus")).unwrap();
    for name in ["memo.png", "pages.tif"] {
        std::fs::copy(ws.path("all").join(name), ws.path("corpus").join(name)).unwrap();
    }
    std::fs::remove_dir_all(ws.path("all")).unwrap();
    ws.write("corpus/note.txt", "A note on the scans beside it.\n");
    ws
}

/// The report's entries for the images.
fn report(ws: &Workspace) -> Vec<Value> {
    let text = std::fs::read_to_string(ws.path("report.json")).unwrap();
    let all = serde_json::from_str::<Value>(&text).unwrap();
    let images: Vec<Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["path"].as_str().unwrap().ends_with(".txt"))
        .cloned()
        .collect();
    assert_eq!(images.len(), 2, "{all}");
    images
}

#[test]
fn words_in_images_are_found_on_their_page() {
    if !tesseract_installed() {
        eprintln!("skipped: tesseract is not installed");
        return;
    }
    let ws = images();
    ws.run(&["index", "--report", "report.json"]).expect(0);
    for f in report(&ws) {
        assert_eq!(f["status"], "indexed", "{f}");
        assert_eq!(f["format"], "image", "{f}");
    }
    // The second page of the TIFF: its words, cited on page 2.
    let run = ws
        .run(&["search", "--format", "json", "Tallinn shell company"])
        .expect(0);
    let hit = &hits(&run)[0];
    assert_eq!(hit["path"], "corpus/pages.tif", "{hit}");
    assert_eq!(hit["page"], 2, "{hit}");
    assert_eq!(hit["format"], "image", "{hit}");
    assert!(
        hit["snippet"].as_str().unwrap().contains("Tallinn"),
        "{hit}"
    );
    // The memo's words: on memo.png and on the TIFF's first page, one text in two copies.
    let run = ws
        .run(&[
            "search",
            "--format",
            "json",
            "--no-collapse",
            "flooded bridge captions",
        ])
        .expect(0);
    let mut places: Vec<(String, u64)> = hits(&run)
        .iter()
        .map(|h| {
            (
                h["path"].as_str().unwrap().to_string(),
                h["page"].as_u64().unwrap(),
            )
        })
        .collect();
    places.sort();
    places.dedup();
    assert_eq!(
        places,
        vec![
            ("corpus/memo.png".to_string(), 1),
            ("corpus/pages.tif".to_string(), 1)
        ]
    );
    // Random pixels are noise: skipped as no text, saying so.
    let ws2 = Workspace::empty();
    std::fs::create_dir_all(ws2.path("corpus")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scans/noise.png"),
        ws2.path("corpus/noise.png"),
    )
    .unwrap();
    ws2.write("corpus/note.txt", "A note.\n");
    let run = ws2.run(&["index", "--report", "report.json"]).expect(0);
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(ws2.path("report.json")).unwrap()).unwrap();
    let noise = all
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "corpus/noise.png")
        .unwrap();
    assert_eq!(noise["status"], "skipped", "{noise}");
    assert_eq!(noise["reason_kind"], "no-text", "{noise}");
    assert!(
        run.stderr().contains("noise.png: OCR found no text"),
        "{}",
        run.describe()
    );
    // `type:image` finds them.
    let run = ws
        .run(&["search", "--format", "json", "municipal archive type:image"])
        .expect(0);
    assert!(!hits(&run).is_empty());
}

#[test]
fn images_are_skipped_with_the_reason_when_ocr_is_off_or_missing() {
    // --ocr never: skipped, saying so.
    let ws = images();
    let run = ws
        .run(&["index", "--ocr", "never", "--report", "report.json"])
        .expect(0);
    for f in report(&ws) {
        assert_eq!(f["status"], "skipped", "{f}");
        assert_eq!(f["reason_kind"], "no-text-layer", "{f}");
        assert!(f["reason"].as_str().unwrap().contains("mode never"), "{f}");
    }
    assert!(
        run.stderr().contains("OCR is turned off"),
        "{}",
        run.describe()
    );
    // No Tesseract (QUARRY_TESSERACT=none stands for a machine without it): auto skips images
    // and says what to install; always refuses to start.
    let ws = images();
    ws.run_env(
        &["index", "--report", "report.json"],
        &[("QUARRY_TESSERACT", "none")],
    )
    .expect(0);
    for f in report(&ws) {
        assert_eq!(f["status"], "skipped", "{f}");
        assert!(
            f["reason"]
                .as_str()
                .unwrap()
                .contains("apt-get install tesseract-ocr"),
            "{f}"
        );
    }
    // ... and says once, for the whole build, what to install.
    let run = ws
        .run_env(&["index", "--rebuild"], &[("QUARRY_TESSERACT", "none")])
        .expect(0);
    assert_eq!(
        run.stderr()
            .matches("images and scanned pages are not read")
            .count(),
        1,
        "{}",
        run.describe()
    );
    let ws = images();
    let run = ws
        .run_env(
            &["index", "--ocr", "always"],
            &[("QUARRY_TESSERACT", "none")],
        )
        .expect(2);
    assert!(
        run.stderr()
            .starts_with("quarry: --ocr always needs Tesseract"),
        "{}",
        run.describe()
    );
    assert!(!ws.path(".quarry").exists(), "an index was made");
    // A language code that is not one is refused before any work.
    let run = ws.run(&["index", "--ocr-lang", "eng;rm"]).expect(2);
    assert!(
        run.stderr().contains("language codes"),
        "{}",
        run.describe()
    );
}

#[test]
fn scanned_pdf_pages_are_read_and_cited_by_page() {
    if !tesseract_installed() {
        eprintln!("skipped: tesseract is not installed");
        return;
    }
    let ws = Workspace::empty();
    let scans = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scans");
    std::fs::create_dir_all(ws.path("corpus")).unwrap();
    for name in ["scanned-letter.pdf", "noise.pdf"] {
        std::fs::copy(scans.join(name), ws.path("corpus").join(name)).unwrap();
    }
    let run = ws.run(&["index", "--report", "report.json"]).expect(0);
    // The noise page was read, and left out: the skipped file's report says so.
    let noise = ocr_of(&ws, "corpus/noise.pdf");
    assert_eq!(
        (&noise["pages"], &noise["read"]),
        (&0.into(), &1.into()),
        "{noise}"
    );
    for (query, page) in [
        ("Harbour Light coastal provinces", 1),
        ("Tallinn shell company", 2),
    ] {
        let run = ws.run(&["search", "--format", "json", query]).expect(0);
        let hit = &hits(&run)[0];
        assert_eq!(hit["path"], "corpus/scanned-letter.pdf", "{hit}");
        assert_eq!(hit["page"], page, "{query}: {hit}");
        assert_eq!(hit["format"], "pdf", "{hit}");
    }
    // A page of random pixels is no text.
    assert!(
        run.stderr()
            .contains("noise.pdf: no text layer in 1 page(s), and OCR read no text on 1"),
        "{}",
        run.describe()
    );
    // --ocr never: the scanned letter has no text layer again.
    let ws2 = Workspace::empty();
    std::fs::create_dir_all(ws2.path("corpus")).unwrap();
    std::fs::copy(
        scans.join("scanned-letter.pdf"),
        ws2.path("corpus/scanned-letter.pdf"),
    )
    .unwrap();
    ws2.write("corpus/note.txt", "A note.\n");
    let run = ws2.run(&["index", "--ocr", "never"]).expect(0);
    assert!(
        run.stderr()
            .contains("scanned-letter.pdf: no text layer in 2 page(s) (scanned; OCR is turned off"),
        "{}",
        run.describe()
    );
}

/// The scanned NSA oversight reports of ../shared/data/docs/us_ig_reports/ have no text layer:
/// OCR makes them searchable, cited by page.
#[test]
fn the_scanned_nsa_reports_in_shared_become_searchable() {
    let report = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/docs/us_ig_reports/nsa_CY2007_Annual_IOB_Report.pdf");
    if !report.is_file() {
        eprintln!("skipped: ../shared/data/docs/us_ig_reports is not here");
        return;
    }
    if !tesseract_installed() {
        eprintln!("skipped: tesseract is not installed");
        return;
    }
    let ws = Workspace::empty();
    std::fs::create_dir_all(ws.path("corpus")).unwrap();
    std::fs::copy(&report, ws.path("corpus/nsa-2007.pdf")).unwrap();
    ws.run(&["index"]).expect(0);
    let run = ws
        .run(&[
            "search",
            "--format",
            "json",
            "procedures for tracking intelligence oversight training",
        ])
        .expect(0);
    let hit = &hits(&run)[0];
    assert_eq!(hit["path"], "corpus/nsa-2007.pdf", "{hit}");
    assert_eq!(hit["page"], 7, "{hit}");
}

/// The `ocr` object of the report row of `path` (null where OCR did nothing).
fn ocr_of(ws: &Workspace, path: &str) -> Value {
    let text = std::fs::read_to_string(ws.path("report.json")).unwrap();
    let all = serde_json::from_str::<Value>(&text).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in {all}"))["ocr"]
        .clone()
}

#[test]
fn the_page_cache_means_no_page_is_read_twice() {
    if !tesseract_installed() {
        eprintln!("skipped: tesseract is not installed");
        return;
    }
    let ws = Workspace::empty();
    let scans = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scans");
    std::fs::create_dir_all(ws.path("corpus")).unwrap();
    for name in ["scanned-letter.pdf", "memo.png"] {
        std::fs::copy(scans.join(name), ws.path("corpus").join(name)).unwrap();
    }
    let counts = |ws: &Workspace, path: &str| {
        let ocr = ocr_of(ws, path);
        (
            ocr["pages"].as_u64().unwrap(),
            ocr["read"].as_u64().unwrap(),
            ocr["cached"].as_u64().unwrap(),
        )
    };
    let run = ws.run(&["index", "--report", "report.json"]).expect(0);
    assert_eq!(counts(&ws, "corpus/scanned-letter.pdf"), (2, 2, 0));
    assert_eq!(counts(&ws, "corpus/memo.png"), (1, 1, 0));
    assert!(
        run.stderr().contains("OCR: 3 pages read, 0 from the cache"),
        "{}",
        run.describe()
    );
    // A rebuild extracts every file again, and OCR reads no page: all come from the cache.
    let run = ws
        .run(&["index", "--rebuild", "--report", "report.json"])
        .expect(0);
    assert_eq!(counts(&ws, "corpus/scanned-letter.pdf"), (2, 0, 2));
    assert_eq!(counts(&ws, "corpus/memo.png"), (1, 0, 1));
    assert!(
        run.stderr().contains("OCR: 0 pages read, 3 from the cache"),
        "{}",
        run.describe()
    );
    // A changed file with the same pages (bytes added after the end): its pages are found by
    // their images.
    let mut pdf = std::fs::read(ws.path("corpus/scanned-letter.pdf")).unwrap();
    pdf.extend_from_slice(b"\n% a comment after the end\n");
    std::fs::write(ws.path("corpus/scanned-letter.pdf"), pdf).unwrap();
    ws.run(&["index", "--report", "report.json"]).expect(0);
    assert_eq!(counts(&ws, "corpus/scanned-letter.pdf"), (2, 0, 2));
    let run = ws
        .run(&["search", "--format", "json", "Tallinn shell company"])
        .expect(0);
    assert_eq!(hits(&run)[0]["page"], 2);
    // quarry stats: the pages read by OCR, the last build's reads, the cache.
    let run = ws.run(&["stats", "--format", "json"]).expect(0);
    let stats: Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(stats["ocr"]["pages"], 3, "{stats}");
    assert_eq!(stats["ocr"]["last_build"]["read"], 0, "{stats}");
    assert_eq!(stats["ocr"]["last_build"]["cached"], 2, "{stats}");
    assert!(
        stats["ocr"]["cache_entries"].as_u64().unwrap() >= 3,
        "{stats}"
    );
    let run = ws.run(&["stats"]).expect(0);
    assert!(
        run.stdout().contains("3 pages read by OCR"),
        "{}",
        run.describe()
    );
    // A damaged cache is read past: the pages are read again, and no error.
    let cache = ws.path(".quarry/ocr-cache/v1");
    for shard in std::fs::read_dir(&cache).unwrap() {
        for entry in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            std::fs::write(entry.unwrap().path(), b"{damaged").unwrap();
        }
    }
    ws.run(&["index", "--rebuild", "--report", "report.json"])
        .expect(0);
    assert_eq!(counts(&ws, "corpus/memo.png"), (1, 1, 0));
}

#[test]
fn passages_read_by_ocr_say_so_with_their_confidence() {
    if !tesseract_installed() {
        eprintln!("skipped: tesseract is not installed");
        return;
    }
    let ws = images();
    ws.run(&["index"]).expect(0);
    let query = ["--no-collapse", "flooded bridge captions"];
    let run = ws
        .run(&[&["search", "--format", "json"][..], &query[..]].concat())
        .expect(0);
    let found = hits(&run);
    assert!(!found.is_empty());
    let mut lowest = 100;
    for hit in &found {
        assert_eq!(hit["ocr"], true, "{hit}");
        let confidence = hit["ocr_confidence"].as_u64().unwrap();
        assert!((80..=100).contains(&confidence), "{hit}");
        lowest = lowest.min(confidence);
    }
    // Text from a text file: no OCR, no confidence.
    let run = ws
        .run(&["search", "--format", "json", "note scans beside"])
        .expect(0);
    let note = &hits(&run)[0];
    assert_eq!(note["path"], "corpus/note.txt");
    assert_eq!(note["ocr"], false, "{note}");
    assert!(note["ocr_confidence"].is_null(), "{note}");
    // --min-ocr-confidence: passages read with less confidence go; the rest stay.
    let above = (lowest + 1).to_string();
    let run = ws.run(
        &[
            &["search", "--format", "json", "--min-ocr-confidence", &above][..],
            &query[..],
        ]
        .concat(),
    );
    assert!(hits(&run).len() < found.len(), "{}", run.describe());
    for hit in hits(&run) {
        assert!(hit["ocr_confidence"].as_u64().unwrap() > lowest, "{hit}");
    }
    let run = ws
        .run(&[
            "search",
            "--format",
            "json",
            "--min-ocr-confidence",
            "100",
            "note scans beside",
        ])
        .expect(0);
    assert_eq!(hits(&run)[0]["path"], "corpus/note.txt");
    ws.run(&["search", "--min-ocr-confidence", "101", "note"])
        .expect(2);
    // CSV carries both columns; text output shows the confidence.
    let run = ws
        .run(&[&["search", "--format", "csv"][..], &query[..]].concat())
        .expect(0);
    let out = run.stdout();
    let header = out.lines().next().unwrap();
    assert!(header.ends_with(",ocr,ocr_confidence"), "{header}");
    let run = ws
        .run(&[&["search", "--color", "never"][..], &query[..]].concat())
        .expect(0);
    assert!(run.stdout().contains(" · OCR "), "{}", run.describe());
}

#[test]
fn ocr_settings_come_from_quarry_toml_and_the_index_keeps_them() {
    // ocr = "never" in quarry.toml: images are skipped, saying so.
    let ws = images();
    ws.write("corpus/quarry.toml", "ocr = \"never\"\n");
    ws.run(&["index", "--report", "report.json"]).expect(0);
    for f in report(&ws) {
        assert_eq!(f["status"], "skipped", "{f}");
        assert!(
            f["reason"].as_str().unwrap().contains("OCR is turned off"),
            "{f}"
        );
    }
    // A mode that is none is refused, pointing at the file.
    ws.write("corpus/quarry.toml", "ocr = \"sometimes\"\n");
    let run = ws.run(&["index"]).expect(2);
    assert!(
        run.stderr().contains("quarry.toml") && run.stderr().contains("auto, always or never"),
        "{}",
        run.describe()
    );
    if !tesseract_installed() {
        eprintln!("skipped the rest: tesseract is not installed");
        return;
    }
    // Back to auto: the images are read again (their OCR settings changed).
    ws.write("corpus/quarry.toml", "ocr = \"auto\"\n");
    ws.run(&["index", "--report", "report.json"]).expect(0);
    for f in report(&ws) {
        assert_eq!(f["status"], "indexed", "{f}");
        assert_eq!(f["change"], "changed", "{f}");
    }
    // --ocr never on the command line wins over quarry.toml, and the index keeps it: the next
    // update without it changes nothing.
    ws.run(&["index", "--ocr", "never", "--report", "report.json"])
        .expect(0);
    for f in report(&ws) {
        assert_eq!(f["status"], "skipped", "{f}");
    }
    let run = ws.run(&["index"]).expect(0);
    assert!(run.stderr().contains("up to date"), "{}", run.describe());
    // --ocr default forgets it: quarry.toml's auto again.
    ws.run(&["index", "--ocr", "default", "--report", "report.json"])
        .expect(0);
    for f in report(&ws) {
        assert_eq!(f["status"], "indexed", "{f}");
    }
    // Languages Tesseract lacks are refused before any work, naming the package.
    let run = ws
        .run(&["index", "--ocr", "auto", "--ocr-lang", "eng+xqz"])
        .expect(2);
    assert!(
        run.stderr().contains("xqz") && run.stderr().contains("tesseract-ocr-xqz"),
        "{}",
        run.describe()
    );
}

#[test]
fn images_and_scans_inside_an_archive_are_read_by_page() {
    if !tesseract_installed() {
        eprintln!("skipped: tesseract is not installed");
        return;
    }
    use std::io::Write;
    let ws = Workspace::empty();
    std::fs::create_dir_all(ws.path("corpus")).unwrap();
    let scans = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scans");
    let file = std::fs::File::create(ws.path("corpus/release.zip")).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    for name in ["memo.png", "scanned-letter.pdf"] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&std::fs::read(scans.join(name)).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
    ws.run(&["index", "--report", "report.json"]).expect(0);
    let ocr = ocr_of(&ws, "corpus/release.zip");
    assert_eq!(ocr["pages"], 3, "{ocr}");
    for (query, path, page) in [
        (
            "Tallinn shell company",
            "corpus/release.zip!/scanned-letter.pdf",
            2,
        ),
        ("flooded bridge captions", "corpus/release.zip!/memo.png", 1),
    ] {
        let run = ws
            .run(&["search", "--format", "json", "--no-collapse", query])
            .expect(0);
        let hit = &hits(&run)[0];
        assert_eq!(hit["path"], path, "{hit}");
        assert_eq!(hit["page"], page, "{hit}");
        assert_eq!(hit["ocr"], true, "{hit}");
    }
}

#[test]
fn ocr_always_reads_pages_that_have_a_text_layer_too() {
    if !tesseract_installed() {
        eprintln!("skipped: tesseract is not installed");
        return;
    }
    let ws = Workspace::empty();
    std::fs::create_dir_all(ws.path("corpus")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats/report.pdf"),
        ws.path("corpus/report.pdf"),
    )
    .unwrap();
    // auto: the text layer, no OCR.
    ws.run(&["index", "--report", "report.json"]).expect(0);
    assert!(ocr_of(&ws, "corpus/report.pdf").is_null());
    let run = ws
        .run(&["search", "--format", "json", "sockpuppet inventory"])
        .expect(0);
    assert_eq!(hits(&run)[0]["ocr"], false);
    // always: every page read by OCR (the settings changed, so the file is read again), and
    // the same words found on the same page.
    ws.run(&["index", "--ocr", "always", "--report", "report.json"])
        .expect(0);
    let ocr = ocr_of(&ws, "corpus/report.pdf");
    assert_eq!(ocr["pages"], 4, "{ocr}");
    let run = ws
        .run(&["search", "--format", "json", "sockpuppet inventory"])
        .expect(0);
    let hit = &hits(&run)[0];
    assert_eq!(hit["ocr"], true, "{hit}");
    assert_eq!(hit["page"], 1, "{hit}");
}

/// A Tesseract that crashes on its first run (whichever page that is) and is the real one
/// after: one bad page costs that page, not the file, and is not cached.
#[cfg(unix)]
#[test]
fn a_page_ocr_cannot_read_costs_that_page_and_a_rebuild_reads_it() {
    if !tesseract_installed() {
        eprintln!("skipped: tesseract is not installed");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::empty();
    std::fs::create_dir_all(ws.path("corpus")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scans/scanned-letter.pdf"),
        ws.path("corpus/letter.pdf"),
    )
    .unwrap();
    let once = ws.path("crashed-once");
    let script = ws.path("tesseract-once");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif mkdir '{}' 2>/dev/null; then kill -SEGV $$; fi\nexec tesseract \"$@\"\n",
            once.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tesseract = script.to_string_lossy().into_owned();
    let run = ws
        .run_env(
            &["index", "--report", "report.json"],
            &[("QUARRY_TESSERACT", tesseract.as_str())],
        )
        .expect(0);
    let ocr = ocr_of(&ws, "corpus/letter.pdf");
    assert_eq!(
        (&ocr["pages"], &ocr["read"], &ocr["failed"]),
        (&1.into(), &1.into(), &1.into()),
        "{ocr}"
    );
    assert!(
        run.stderr().contains("OCR could not read page(s)"),
        "{}",
        run.describe()
    );
    // The failure was not cached: a rebuild reads that page, and takes the other from the cache.
    ws.run_env(
        &["index", "--rebuild", "--report", "report.json"],
        &[("QUARRY_TESSERACT", tesseract.as_str())],
    )
    .expect(0);
    let ocr = ocr_of(&ws, "corpus/letter.pdf");
    assert_eq!(
        (&ocr["pages"], &ocr["read"], &ocr["cached"], &ocr["failed"]),
        (&2.into(), &1.into(), &1.into(), &0.into()),
        "{ocr}"
    );
}

#[test]
fn a_folders_declared_language_picks_the_ocr_language() {
    let rus = std::process::Command::new("tesseract")
        .arg("--list-langs")
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l == "rus")
        });
    if !rus {
        eprintln!("skipped: tesseract or its rus data (tesseract-ocr-rus) is not installed");
        return;
    }
    let ws = Workspace::empty();
    std::fs::create_dir_all(ws.path("corpus/ru")).unwrap();
    let scans = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scans");
    std::fs::copy(scans.join("zapiska.png"), ws.path("corpus/ru/zapiska.png")).unwrap();
    std::fs::copy(scans.join("memo.png"), ws.path("corpus/memo.png")).unwrap();
    ws.write(
        "corpus/quarry.toml",
        "[defaults.\"ru/\"]\nlanguage = \"ru\"\n",
    );
    ws.run(&["index"]).expect(0);
    // The Russian page, read as Russian (and stemmed as Russian: "архив" finds "архива").
    let run = ws
        .run(&["search", "--format", "json", "городской архив наводнение"])
        .expect(0);
    let hit = &hits(&run)[0];
    assert_eq!(hit["path"], "corpus/ru/zapiska.png", "{hit}");
    assert_eq!(hit["lang"], "ru", "{hit}");
    assert!(hit["ocr_confidence"].as_u64().unwrap() > 80, "{hit}");
    // The English memo beside it, read as English.
    let run = ws
        .run(&["search", "--format", "json", "flooded bridge"])
        .expect(0);
    assert_eq!(hits(&run)[0]["path"], "corpus/memo.png");
    // --ocr-lang eng overrides the folder: the Russian page reads as Latin garbage (the
    // settings changed, so it is read again), and its words are no longer found.
    ws.run(&["index", "--ocr-lang", "eng"]).expect(0);
    ws.run(&["search", "--path", "ru/*", "городской архив наводнение"])
        .expect(1);
}
