//! The command-line contract: indexing, searching, output formats, exit codes, errors.

use super::common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;

#[test]
fn index_then_search_returns_the_expected_passage_first() {
    let ws = Workspace::indexed();
    let run = ws
        .run(&["search", "--format", "json", "Zhenhua", "Data"])
        .expect(0);
    let hits = hits(&run);
    assert_eq!(hits[0]["path"], "corpus/zhenhua.md");
    assert_eq!(
        hits[0]["title"],
        "Zhenhua Data and the Overseas Key Information Database"
    );
    assert_eq!(hits[0]["publisher"], "Fixture Research Desk");
    assert_eq!(hits[0]["date"], "2020-09");
    assert_eq!(hits[0]["rank"], 1);
}

#[test]
fn index_prints_a_one_line_summary_on_stderr_and_nothing_on_stdout() {
    let ws = Workspace::with_corpus();
    let run = ws.run(&["index"]).expect(0);
    assert_eq!(run.stdout(), "");
    let summary = run.stderr().lines().last().unwrap_or_default().to_string();
    assert!(
        summary.starts_with("quarry: indexed 5 documents (")
            && summary.contains("skipped 1 (binary 1)"),
        "{}",
        run.describe()
    );
    assert!(summary.contains(" s;"), "seconds missing: {summary}");
    assert!(
        summary.contains(".gif 1"),
        "unsupported files not counted: {summary}"
    );
}

#[test]
fn bad_files_are_reported_with_path_and_reason_and_the_rest_is_indexed() {
    let ws = Workspace::with_corpus();
    let run = ws.run(&["index"]).expect(0);
    let err = run.stderr();
    assert!(
        err.contains("quarry: skipped corpus/broken/garbage.txt: binary file"),
        "{}",
        run.describe()
    );
    assert!(
        !err.contains("latin1.txt"),
        "a legacy encoding is decoded, not skipped"
    );
    ws.run(&["search", "coordinated"]).expect(0);
    let run = ws.run(&["search", "--format", "json", "Latin-1"]).expect(0);
    assert_eq!(hits(&run)[0]["path"], "corpus/broken/latin1.txt");
    assert!(hits(&run)[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("Café au lait"));
}

#[test]
fn every_documented_json_field_is_present_with_its_type() {
    let ws = Workspace::indexed();
    let run = ws
        .run(&["search", "--format", "json", "journalists"])
        .expect(0);
    let hits = hits(&run);
    assert!(!hits.is_empty());
    let strings = [
        "doc_id",
        "passage_id",
        "path",
        "format",
        "title",
        "text",
        "snippet",
        "cite",
    ];
    let numbers = ["rank", "score", "ordinal", "line", "start", "end"];
    let nullable_strings = ["publisher", "date", "url", "kind", "lang", "heading"];
    let arrays = ["authors", "tags", "highlights", "snippet_highlights"];
    for hit in &hits {
        let obj = hit.as_object().unwrap();
        for k in strings {
            assert!(obj[k].is_string(), "{k} in {hit}");
        }
        for k in numbers {
            assert!(obj[k].is_number(), "{k} in {hit}");
        }
        for k in nullable_strings {
            assert!(obj[k].is_string() || obj[k].is_null(), "{k} in {hit}");
        }
        for k in arrays {
            assert!(obj[k].is_array(), "{k} in {hit}");
        }
        assert!(obj["page"].is_null(), "no pages in these formats: {hit}");
        assert_eq!(obj["ocr"], false, "no OCR in these formats: {hit}");
        assert!(obj["ocr_confidence"].is_null(), "{hit}");
        assert!(obj["extra"].is_object());
        // Highlights are character ranges into `text` that cover matched words.
        let text: Vec<char> = hit["text"].as_str().unwrap().chars().collect();
        for range in hit["highlights"].as_array().unwrap() {
            let (s, e) = (
                range[0].as_u64().unwrap() as usize,
                range[1].as_u64().unwrap() as usize,
            );
            let word: String = text[s..e].iter().collect();
            assert!(word.to_lowercase().starts_with("journalist"), "{word}");
        }
        // The snippet's highlights point at matched words too.
        let snippet: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
        for range in hit["snippet_highlights"].as_array().unwrap() {
            let (s, e) = (
                range[0].as_u64().unwrap() as usize,
                range[1].as_u64().unwrap() as usize,
            );
            let word: String = snippet[s..e].iter().collect();
            assert!(word.to_lowercase().starts_with("journalist"), "{word}");
        }
    }
    // Documented in docs/json.md: every field name appears there.
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md"))
        .unwrap();
    for key in hits[0].as_object().unwrap().keys() {
        assert!(
            doc.contains(&format!("`{key}`")),
            "{key} is not documented in docs/json.md"
        );
    }
}

#[test]
fn extra_front_matter_keys_are_kept() {
    let ws = Workspace::indexed();
    let run = ws
        .run(&["search", "--format", "json", "title:zhenhua"])
        .expect(0);
    assert_eq!(hits(&run)[0]["extra"]["confidence"], "medium");
}

#[test]
fn jsonl_has_one_object_per_line_and_csv_parses_back() {
    let ws = Workspace::indexed();
    let run = ws
        .run(&[
            "search",
            "--format",
            "jsonl",
            "-n",
            "3",
            "journalists OR accounts",
        ])
        .expect(0);
    let lines: Vec<&str> = run
        .out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", run.describe());
    for (i, line) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["rank"], i + 1);
    }

    let run = ws
        .run(&["search", "--format", "csv", "journalists"])
        .expect(0);
    let mut reader = csv::Reader::from_reader(run.out.stdout.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "rank");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert!(!rows.is_empty());
    let path_col = headers.iter().position(|h| h == "path").unwrap();
    assert!(rows.iter().all(|r| r[path_col].starts_with("corpus/")));
}

#[test]
fn phrase_queries_need_the_words_in_order() {
    let ws = Workspace::indexed();
    // Both files contain "foreign" and "journalists"; only the HTML page has the phrase.
    let loose = hits(
        &ws.run(&["search", "--format", "json", "foreign journalists"])
            .expect(0),
    );
    assert!(loose.iter().any(|h| h["path"] == "corpus/scattered.md"));
    let phrase = hits(
        &ws.run(&["search", "--format", "json", "\"foreign journalists\""])
            .expect(0),
    );
    assert!(
        phrase.iter().all(|h| h["path"] != "corpus/scattered.md"),
        "{phrase:?}"
    );
    assert_eq!(phrase[0]["path"], "corpus/monitoring.html");
}

#[test]
fn field_queries_restrict_to_the_field() {
    let ws = Workspace::indexed();
    let run = ws
        .run(&[
            "search",
            "--format",
            "json",
            "publisher:\"Fixture Gazette\"",
        ])
        .expect(0);
    let hits_ = hits(&run);
    assert!(
        hits_.iter().all(|h| h["publisher"] == "Fixture Gazette"),
        "{}",
        run.describe()
    );
    let tagged = hits(
        &ws.run(&["search", "--format", "json", "tag:control"])
            .expect(0),
    );
    assert!(tagged.iter().all(|h| h["path"] == "corpus/scattered.md"));
    let by_path = hits(
        &ws.run(&["search", "--format", "json", "path:notes"])
            .expect(0),
    );
    assert!(by_path.iter().all(|h| h["path"] == "corpus/notes.txt"));
    ws.run(&["search", "title:slogan"]).expect(1);
}

#[test]
fn boolean_operators() {
    let ws = Workspace::indexed();
    let and = hits(
        &ws.run(&["search", "--format", "json", "journalists AND Twitter"])
            .expect(0),
    );
    assert!(
        and.iter().all(|h| h["path"] == "corpus/monitoring.html"),
        "{and:?}"
    );
    let not = hits(
        &ws.run(&["search", "--format", "json", "journalists AND NOT Twitter"])
            .expect(0),
    );
    assert!(
        not.iter().all(|h| h["path"] != "corpus/monitoring.html"),
        "{not:?}"
    );
    let minus = hits(
        &ws.run(&["search", "--format", "json", "journalists -twitter"])
            .expect(0),
    );
    assert_eq!(
        minus.iter().map(|h| &h["path"]).collect::<Vec<_>>(),
        not.iter().map(|h| &h["path"]).collect::<Vec<_>>()
    );
    let must = hits(
        &ws.run(&["search", "--format", "json", "+slogan accounts"])
            .expect(0),
    );
    assert!(must.iter().all(|h| h["path"] == "corpus/notes.txt"));
}

#[test]
fn bad_queries_exit_2_with_a_one_line_message() {
    let ws = Workspace::indexed();
    for (query, expected) in [
        ("\"unclosed phrase", "unclosed quote at column 1"),
        ("(a OR b", "unclosed '(' at column 1"),
        ("nosuchfield:x", "unknown field 'nosuchfield'"),
        ("-twitter", "only excludes"),
        ("NOT twitter", "only excludes"),
        ("a AND", "'AND' at column 3"),
        ("china (OR russia)", "'OR' at column 8"),
        ("since:soon china", "is not a date"),
        ("x~z", "not an edit distance"),
    ] {
        let run = ws.run(&["search", "--", query]).expect(2);
        let err = run.stderr();
        assert_eq!(err.lines().count(), 1, "{}", run.describe());
        assert!(
            err.starts_with("quarry: ") && err.contains(expected),
            "{}",
            run.describe()
        );
        assert!(err.contains(" ("), "no hint: {}", run.describe());
        assert_eq!(run.stdout(), "");
    }
}

#[test]
fn no_hits_exit_1_with_empty_stdout() {
    let ws = Workspace::indexed();
    let run = ws.run(&["search", "xylophone"]).expect(1);
    assert_eq!(run.stdout(), "");
    let run = ws
        .run(&["search", "--format", "json", "xylophone"])
        .expect(1);
    assert_eq!(run.json()["hits"], serde_json::json!([]));
    assert_eq!(run.json()["total"], 0);
    // Navigation, footers and scripts of HTML pages are not indexed.
    ws.run(&["search", "Copyright"]).expect(1);
    ws.run(&["search", "analytics OR tracking"]).expect(1);
}

#[test]
fn a_missing_index_is_a_clear_error() {
    let ws = Workspace::empty();
    let run = ws.run(&["search", "anything"]).expect(2);
    assert_eq!(
        run.stderr().trim(),
        "quarry: no index at .quarry (build one with: quarry index --index .quarry corpus/)"
    );
    let run = ws.run(&["stats", "--index", "elsewhere"]).expect(2);
    assert!(run.stderr().contains("no index at elsewhere"));
}

#[test]
fn search_builds_the_index_from_corpus_on_first_use() {
    let ws = Workspace::with_corpus();
    let run = ws.run(&["search", "Zhenhua"]).expect(0);
    assert!(
        run.stderr()
            .contains("no index at .quarry; indexing ./corpus/ first"),
        "{}",
        run.describe()
    );
    assert!(run.stdout().contains("corpus/zhenhua.md"));
    assert!(ws.path(".quarry/quarry.json").exists());
    // The second search uses the index and says nothing about building.
    let run = ws.run(&["search", "Zhenhua"]).expect(0);
    assert!(!run.stderr().contains("indexing"));
}

#[test]
fn index_location_from_flag_and_environment() {
    let ws = Workspace::indexed();
    ws.run(&["index", "--index", "other", "corpus/notes.txt"])
        .expect(0);
    let run = ws
        .run(&[
            "search",
            "--index",
            "other",
            "--format",
            "json",
            "accounts OR zhenhua",
        ])
        .expect(0);
    assert!(hits(&run).iter().all(|h| h["path"] == "corpus/notes.txt"));
    let run = ws.run_env(
        &["search", "--format", "json", "zhenhua"],
        &[("QUARRY_INDEX", "other")],
    );
    run.expect(1);
}

#[test]
fn human_output_cites_path_line_and_colours_only_on_request() {
    let ws = Workspace::indexed();
    let plain = ws.run(&["search", "seven hundred Dutch"]).expect(0);
    let out = plain.stdout();
    assert!(
        out.contains("1. Zhenhua Data and the Overseas Key Information Database"),
        "{out}"
    );
    assert!(
        out.contains("Fixture Research Desk · 2020-09 · corpus/zhenhua.md:"),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "colour without a terminal");
    assert!(plain.stderr().contains("matching passages"));

    let coloured = ws.run(&["search", "--color", "always", "Dutch"]).expect(0);
    assert!(
        coloured.stdout().contains("\x1b[1;31mDutch\x1b[0m"),
        "{}",
        coloured.describe()
    );
    let no_color = ws
        .run_env(&["search", "Dutch"], &[("NO_COLOR", "1")])
        .expect(0);
    assert!(!no_color.stdout().contains('\x1b'));
    let never = ws.run(&["search", "--color", "never", "Dutch"]).expect(0);
    assert!(!never.stdout().contains('\x1b'));
}

#[test]
fn line_numbers_point_at_the_passage_in_the_source_file() {
    let ws = Workspace::indexed();
    let run = ws
        .run(&["search", "--format", "json", "\"seven hundred Dutch\""])
        .expect(0);
    let hit = &hits(&run)[0];
    let source = std::fs::read_to_string(ws.path("corpus/zhenhua.md")).unwrap();
    let line = hit["line"].as_u64().unwrap() as usize;
    let first_words: String = hit["text"].as_str().unwrap().chars().take(20).collect();
    let source_line = source.lines().nth(line - 1).unwrap();
    assert!(
        source_line.contains(first_words.trim_start_matches("# ")),
        "line {line} is {source_line:?}, passage starts {first_words:?}"
    );
    assert_eq!(
        hit["heading"],
        "Zhenhua Data and the Overseas Key Information Database"
    );
}

#[test]
fn show_gives_passages_with_context_and_whole_documents() {
    let ws = Workspace::indexed();
    let run = ws
        .run(&["search", "--format", "json", "procurement"])
        .expect(0);
    let hit = hits(&run)[0].clone();
    let pid = hit["passage_id"].as_str().unwrap();
    let doc_id = hit["doc_id"].as_str().unwrap();

    let shown = ws.run(&["show", "--format", "json", pid]).expect(0).json();
    assert_eq!(shown[0]["text"], hit["text"]);

    let doc = ws
        .run(&["show", "--format", "json", doc_id])
        .expect(0)
        .json();
    assert_eq!(doc["path"], "corpus/monitoring.html");
    // Passage offsets are character offsets into the document's extracted text, which is
    // rebuilt whole from the passages and the whitespace between them.
    let text: Vec<char> = doc["text"].as_str().unwrap().chars().collect();
    assert_eq!(doc["chars"].as_u64(), Some(text.len() as u64));
    let (s, e) = (
        hit["start"].as_u64().unwrap() as usize,
        hit["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        text[s..e].iter().collect::<String>(),
        hit["text"].as_str().unwrap()
    );

    let human = ws.run(&["show", "-C", "1", pid]).expect(0).stdout();
    assert!(
        human.contains("Monitoring foreign journalists on social media"),
        "{human}"
    );
    assert!(human.contains(&format!("▶ [{pid}]")), "{human}");

    let run = ws.run(&["show", "0000000000000000-3"]).expect(2);
    assert!(
        run.stderr().starts_with("quarry: no passage with id"),
        "{}",
        run.describe()
    );
    let run = ws.run(&["show", "not-an-id"]).expect(2);
    assert!(run.stderr().contains("is not a passage or document id"));
}

#[test]
fn stats_reports_counts_formats_publishers_and_dates() {
    let ws = Workspace::indexed();
    let stats = ws.run(&["stats", "--format", "json"]).expect(0).json();
    assert_eq!(stats["documents"], 4);
    assert_eq!(stats["by_format"]["markdown"], 2);
    assert_eq!(stats["by_format"]["html"], 1);
    assert_eq!(stats["by_format"]["text"], 1);
    assert_eq!(stats["by_publisher"]["Fixture Gazette"], 1);
    assert_eq!(stats["date_min"], "2019-03-01");
    assert_eq!(stats["date_max"], "2021-12-31");
    assert_eq!(stats["undated"], 1);
    assert_eq!(stats["by_kind"]["investigation"], 1);
    assert_eq!(stats["by_kind"]["(none)"], 3);
    assert_eq!(stats["by_year"]["2020"], 1);
    assert_eq!(stats["by_year"]["2019"], 1);
    assert_eq!(stats["by_year"]["2021"], 1);
    assert!(stats["size_bytes"].as_u64().unwrap() > 0);
    assert!(stats["passages"].as_u64().unwrap() >= 4);
    let text = ws.run(&["stats"]).expect(0).stdout();
    assert!(text.contains("documents") && text.contains("Fixture Research Desk"));
}

#[test]
fn rebuilding_gives_the_same_ids_and_results() {
    let ws = Workspace::indexed();
    let first = ws
        .run(&["search", "--format", "json", "accounts OR journalists"])
        .expect(0)
        .stdout();
    ws.run(&["index", "--threads", "1"]).expect(0);
    let second = ws
        .run(&["search", "--format", "json", "accounts OR journalists"])
        .expect(0)
        .stdout();
    assert_eq!(first, second);
    let stats = ws.run(&["stats", "--format", "json"]).expect(0).json();
    assert_eq!(
        stats["documents"], 4,
        "a rebuild replaces, never duplicates"
    );
}

#[test]
fn a_directory_that_is_not_an_index_is_never_written() {
    let ws = Workspace::with_corpus();
    ws.write("mydocs/keep.txt", "precious");
    let run = ws.run(&["index", "--index", "mydocs"]).expect(2);
    assert!(
        run.stderr().contains("is not a quarry index"),
        "{}",
        run.describe()
    );
    assert_eq!(
        std::fs::read_to_string(ws.path("mydocs/keep.txt")).unwrap(),
        "precious"
    );
    assert_eq!(std::fs::read_dir(ws.path("mydocs")).unwrap().count(), 1);
}

#[test]
fn missing_paths_and_empty_corpora() {
    let ws = Workspace::empty();
    let run = ws.run(&["index", "nowhere"]).expect(2);
    assert!(run
        .stderr()
        .starts_with("quarry: cannot index nowhere: no such file or directory ("));
    ws.write("empty/readme.pdf", "not really");
    let run = ws.run(&["index", "empty"]).expect(1);
    assert!(
        run.stderr().contains("no documents indexed from empty"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let ws = Workspace::empty();
    let para = "The operation relied on cloned news sites and paid amplification. ".repeat(8);
    for i in 0..150 {
        ws.write(
            &format!("corpus/doc{i:03}.txt"),
            &format!("Note {i}\n\n{para}\n\n{para}\n"),
        );
    }
    ws.run(&["index"]).expect(0);
    let mut child = ws
        .command(&["search", "-n", "1000", "--format", "jsonl", "operation"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, then close our end of the pipe.
    {
        use std::io::Read;
        let mut stdout = child.stdout.take().unwrap();
        let mut buf = [0u8; 64];
        stdout.read_exact(&mut buf).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn usage_errors_exit_2() {
    let ws = Workspace::empty();
    ws.run(&["search"]).expect(2);
    ws.run(&["frobnicate"]).expect(2);
    ws.run(&["search", "--format", "xml", "a"]).expect(2);
}

#[test]
fn an_interrupted_index_build_leaves_the_previous_index_searchable() {
    let ws = Workspace::indexed();
    let before = ws
        .run(&["search", "--format", "json", "Zhenhua"])
        .expect(0)
        .stdout();
    // A larger corpus so that the rebuild is still running when it is killed.
    let para =
        "Coordinated accounts amplified the forged letter across forums and blogs. ".repeat(20);
    for i in 0..1500 {
        ws.write(
            &format!("corpus/bulk/doc{i:04}.txt"),
            &format!("Bulk {i}\n\n{para}\n"),
        );
    }
    for delay_ms in [30, 150, 400] {
        let mut child = ws
            .command(&["index", "--threads", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        // Searching works while the index is being written (it sees the last commit).
        ws.run(&["search", "Zhenhua"]).expect(0);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // The index is still readable and answers: either the previous commit or a complete
        // new one, never a broken one.
        let run = ws.run(&["search", "--format", "json", "Zhenhua"]).expect(0);
        let stats = ws.run(&["stats", "--format", "json"]).expect(0).json();
        let docs = stats["documents"].as_u64().unwrap();
        assert!(docs == 4 || docs == 1504, "{docs} documents after a kill");
        if docs == 4 {
            assert_eq!(run.stdout(), before);
        }
    }
    // The next run completes normally.
    let run = ws.run(&["index"]).expect(0);
    assert!(
        run.stderr().contains("indexed 1504 documents"),
        "{}",
        run.describe()
    );
    ws.run(&["search", "forged letter"]).expect(0);
}

#[test]
fn metadata_and_date_filters_combine() {
    let ws = Workspace::indexed();
    let q = |args: &[&str]| -> Vec<String> {
        search_json(&ws, args)
            .iter()
            .map(|h| h["path"].as_str().unwrap().to_string())
            .collect()
    };
    let everything = "journalists OR accounts OR zhenhua OR foreign";
    assert_eq!(
        q(&["--publisher", "fixture gazette", everything]),
        ["corpus/monitoring.html"]
    );
    assert_eq!(
        q(&["--tag", "control", everything]),
        ["corpus/scattered.md"]
    );
    assert_eq!(
        q(&["--kind", "investigation", everything]),
        ["corpus/zhenhua.md"]
    );
    assert_eq!(
        q(&["--author", "Test Author", everything]),
        ["corpus/zhenhua.md"]
    );
    assert_eq!(
        q(&["--type", "html", everything]),
        ["corpus/monitoring.html"]
    );
    assert_eq!(q(&["--type", "txt", everything]), ["corpus/notes.txt"]);
    // Dates: zhenhua 2020-09, monitoring 2021-12-31, scattered 2019-03-01, notes undated.
    let mut since = q(&["--since", "2020", everything]);
    since.sort();
    assert_eq!(since, ["corpus/monitoring.html", "corpus/zhenhua.md"]);
    assert_eq!(
        q(&["--until", "2019-12", everything]),
        ["corpus/scattered.md"]
    );
    assert_eq!(
        q(&["--since", "2020-09", "--until", "2020-09", everything]),
        ["corpus/zhenhua.md"]
    );
    assert_eq!(
        q(&["--since", "2021-12-31", everything]),
        ["corpus/monitoring.html"]
    );
    assert!(q(&["--since", "2022", everything]).is_empty());
    assert!(q(&["--since", "2020", "--tag", "control", everything]).is_empty());
    let run = ws.run(&["search", "--since", "last year", "x"]).expect(2);
    assert!(run.stderr().contains("is not a date"), "{}", run.describe());
    let run = ws.run(&["search", "--type", "hologram", "x"]).expect(2);
    assert!(
        run.stderr().contains("unknown source type"),
        "{}",
        run.describe()
    );
}

#[test]
fn passages_per_document_are_capped_and_pages_follow_on() {
    let ws = Workspace::empty();
    let para = |i: usize| {
        format!(
            "Paragraph {i} says the network posted the slogan again and again. {}",
            "More words here. ".repeat(8)
        )
    };
    let long: Vec<String> = (0..12).map(para).collect();
    ws.write(
        "corpus/long.md",
        &format!("# Long report\n\n{}\n", long.join("\n\n")),
    );
    ws.write(
        "corpus/short.md",
        "# Short note\n\nThe slogan appeared once in this short note about a network.\n",
    );
    ws.run(&["index"]).expect(0);
    let capped = hits(
        &ws.run(&["search", "--format", "json", "-n", "20", "slogan network"])
            .expect(0),
    );
    let from_long = capped
        .iter()
        .filter(|h| h["path"] == "corpus/long.md")
        .count();
    assert_eq!(from_long, 3, "default --per-doc 3");
    assert!(capped.iter().any(|h| h["path"] == "corpus/short.md"));
    let all = hits(
        &ws.run(&[
            "search",
            "--format",
            "json",
            "-n",
            "20",
            "--per-doc",
            "0",
            "slogan network",
        ])
        .expect(0),
    );
    assert!(all.iter().filter(|h| h["path"] == "corpus/long.md").count() > 3);
    let one = hits(
        &ws.run(&[
            "search",
            "--format",
            "json",
            "--per-doc",
            "1",
            "slogan network",
        ])
        .expect(0),
    );
    assert_eq!(one.len(), 2);
    // Paging: --offset continues the ranking.
    let first = hits(
        &ws.run(&[
            "search",
            "--format",
            "json",
            "-n",
            "2",
            "--per-doc",
            "0",
            "slogan",
        ])
        .expect(0),
    );
    let next = hits(
        &ws.run(&[
            "search",
            "--format",
            "json",
            "-n",
            "2",
            "--offset",
            "2",
            "--per-doc",
            "0",
            "slogan",
        ])
        .expect(0),
    );
    assert_eq!(next[0]["rank"], 3);
    assert!(first
        .iter()
        .all(|a| next.iter().all(|b| a["passage_id"] != b["passage_id"])));
}

#[test]
fn huge_numeric_options_cost_nothing_or_are_usage_errors() {
    // Found by a hostile-input run (issue 18): these panicked or aborted inside tantivy.
    let ws = Workspace::indexed();
    let max = "18446744073709551615";
    for args in [
        vec!["search", "--limit", max, "Zhenhua"],
        vec!["search", "--limit", "1000000000", "Zhenhua"],
        vec!["search", "--group", "doc", "--limit", max, "Zhenhua"],
        vec!["search", "--format", "jsonl", "--limit", max, "Zhenhua"],
        vec!["search", "--feedback", "always", "--limit", max, "Zhenhua"],
        vec!["search", "--per-doc", max, "Zhenhua"],
    ] {
        let run = ws.run(&args).expect(0);
        assert!(
            !run.stderr().contains("internal error"),
            "{}",
            run.describe()
        );
    }
    for args in [
        vec!["search", "--offset", "4294967296", "Zhenhua"],
        vec!["search", "--offset", max, "--limit", max, "Zhenhua"],
        vec!["search", "--group", "doc", "--offset", max, "Zhenhua"],
    ] {
        let run = ws.run(&args).expect(1);
        assert!(
            run.stdout().is_empty() && run.stderr().is_empty(),
            "{}",
            run.describe()
        );
    }
    for args in [
        vec!["index", "--timeout", max],
        vec!["index", "--timeout", "0"],
        vec!["index", "--threads", "100000"],
        vec!["index", "--threads", "0"],
        vec!["index", "--memory", max],
    ] {
        let run = ws.run(&args).expect(2);
        assert!(run.stderr().contains("invalid value"), "{}", run.describe());
    }
}

#[test]
fn error_messages_carry_no_escape_sequences() {
    let ws = Workspace::indexed();
    let hostile = "\u{1b}]52;c;aGk=\u{7}\u{202e}txt.exe";
    for args in [
        vec!["show", hostile],
        vec!["search", "--fields", hostile, "x"],
    ] {
        let run = ws.run(&args).expect(2);
        let err = run.stderr();
        assert!(err.starts_with("quarry: "), "{}", run.describe());
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{7}') && !err.contains('\u{202e}'),
            "{err:?}"
        );
    }
}

#[test]
fn a_huge_title_is_cut_not_printed_whole_with_every_hit() {
    let ws = Workspace::empty();
    let title = "Enormous ".repeat(200_000);
    ws.write(
        "corpus/huge.md",
        &format!("---\ntitle: \"{title}\"\n---\n\nThe ferry schedule changed twice.\n"),
    );
    ws.run(&["index"]).expect(0);
    let run = ws.run(&["search", "--format", "json", "ferry"]).expect(0);
    let hits = crate::common::hits(&run);
    let shown = hits[0]["title"].as_str().unwrap();
    assert!(shown.starts_with("Enormous Enormous"));
    assert!(
        shown.chars().count() <= 501 && shown.ends_with('…'),
        "{}",
        shown.len()
    );
    assert!(run.stdout().len() < 20_000, "{}", run.stdout().len());
}
