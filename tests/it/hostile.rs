//! The hostile-input suite: every case of `hostile_inputs.rs`, generated at test time, indexed
//! beside an ordinary note. Each asserts: no panic, a finished run within the time limit, peak
//! RSS (the indexer and its largest worker, from the kernel) within 512 MB, the hostile file
//! indexed (found by a word it holds) or skipped with its one-line reason, no Rust Debug text
//! in any message, and the rest of the corpus indexed. `examples/hostile.rs` measures the same
//! cases at full size (bench/RESULTS-hostile.md).

use crate::common::Workspace;
use crate::hostile_inputs::{self as inputs, Expect, Scale, NOTE_WORD};
use std::process::Command;
use std::time::Duration;

/// Peak RSS allowed to any case.
const MAX_MB: f64 = 512.0;

/// Wall time allowed to any case: 30 s, doubled for the unoptimised test build.
fn limit() -> Duration {
    Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 30 })
}

fn run_case(name: &str) {
    let ws = Workspace::empty();
    let root = ws.path("cases");
    let case = inputs::make(&root, name, Scale::Test).expect("the case is generated");
    let index = ws.path("index");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quarry"));
    cmd.arg("index")
        .arg(&case.dir)
        .arg("--index")
        .arg(&index)
        .args(&case.args)
        .env_remove("QUARRY_INDEX");
    let m = inputs::measure(cmd, limit()).expect("quarry runs");
    let describe = format!(
        "case {name}: exit {}, {:.1} s, {:.0} MB\n--- stderr ---\n{}",
        m.code,
        m.seconds,
        m.peak_mb,
        m.stderr.chars().take(4000).collect::<String>()
    );
    assert!(
        !m.timed_out,
        "still running after {:?}\n{describe}",
        limit()
    );
    assert!(!m.stderr.contains("panicked"), "{describe}");
    assert_eq!(m.code, 0, "{describe}");
    assert!(m.peak_mb <= MAX_MB, "peak RSS over {MAX_MB} MB\n{describe}");
    for line in m.stderr.lines() {
        assert!(
            line.starts_with("quarry: "),
            "one-line messages\n{describe}"
        );
        for debug in ["IoError {", "Nodes {", "Error {", "Some(", "kind: "] {
            assert!(!line.contains(debug), "Rust Debug text\n{describe}");
        }
    }
    let idx = index.to_string_lossy().into_owned();
    let found = |word: &str| {
        ws.run(&["search", word, "--index", &idx, "--format", "json"])
            .code()
    };
    assert_eq!(
        found(NOTE_WORD),
        0,
        "the rest of the corpus is indexed\n{describe}"
    );
    match &case.expect {
        Expect::Indexed { needle } => {
            assert_eq!(found(needle), 0, "'{needle}' is found\n{describe}");
        }
        Expect::Skipped { reason } => {
            let line = m
                .stderr
                .lines()
                .find(|l| l.starts_with("quarry: skipped") && !l.contains("note.md"));
            let line = line.unwrap_or_else(|| panic!("the file is reported\n{describe}"));
            assert!(line.contains(reason), "reason '{reason}'\n{describe}");
            assert!(line.chars().count() < 400, "a short reason\n{describe}");
        }
        Expect::Bounded => {}
    }
}

macro_rules! cases {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run_case($name);
            }
        )*

        #[test]
        fn every_hostile_case_has_a_test() {
            let tested = [$($name),*];
            for name in inputs::NAMES {
                assert!(tested.contains(name), "{name} has no test");
            }
        }
    };
}

cases! {
    a_csv_field_of_20_mb => "csv-huge-field",
    a_csv_quote_that_never_closes => "csv-unclosed-quote",
    ragged_csv_with_blank_lines_and_duplicate_headers => "csv-ragged-blank-lines",
    a_paragraph_of_10_mb => "text-long-paragraph",
    a_word_of_10_mb => "text-giant-word",
    a_title_of_10_mb => "markdown-huge-title",
    markdown_nested_50000_deep => "markdown-deep-nesting",
    html_nested_a_million_deep => "html-deep-nesting",
    html_of_one_30_mb_line => "html-huge-line",
    a_2_gb_sparse_file => "sparse-file",
    noise_named_txt => "binary-as-text",
    broken_encodings => "broken-encodings",
    a_pdf_of_2000_pages => "pdf-many-pages",
    a_pdf_flate_bomb => "pdf-flate-bomb",
    malformed_pdfs => "pdf-malformed",
    a_docx_zip_bomb => "docx-zip-bomb",
    a_docx_billion_laughs => "docx-billion-laughs",
    json_nested_a_million_deep => "json-deep-nesting",
    a_fifo => "fifo",
    a_symlink_loop => "symlink-loop",
}

#[test]
fn csv_faults_are_reported_and_cited_right() {
    let ws = Workspace::empty();
    ws.write(
        "corpus/ragged.csv",
        "title,text,text\nA,alpha text,dup\n\n\nB,bravo text,x,extra\n",
    );
    let mut open = String::from("title,text\none,\"never closed\n");
    for i in 0..200 {
        open.push_str(&format!("row{i},text {i}\n"));
    }
    ws.write("corpus/open.csv", &open);
    ws.write("corpus/semi.csv", "title;text\nA;semicolon row\n");
    let run = ws.run(&["index"]).expect(0);
    let err = run.stderr();
    assert!(
        err.contains("duplicate column name 'text': column 3 is read as 'text_2'"),
        "{err}"
    );
    assert!(err.contains("an unclosed quote?"), "{err}");
    assert!(
        err.contains("contains ';'") && err.contains("delimiter"),
        "{err}"
    );
    let hits = crate::common::search_json(&ws, &["bravo"]);
    assert_eq!(hits[0]["line"], 5, "the row after two blank lines");
    // A declared delimiter reads the semicolon file.
    ws.write(
        "corpus/quarry.toml",
        "[records]\n\"semi.csv\" = { delimiter = \";\" }\n",
    );
    ws.run(&["index"]).expect(0);
    assert_eq!(crate::common::search_json(&ws, &["semicolon"]).len(), 1);
}

#[test]
fn a_catalog_with_an_unclosed_quote_stops_the_run() {
    let ws = Workspace::empty();
    ws.write("corpus/a.txt", "some text to index");
    ws.write("corpus/catalog.csv", "path,title\n\"a.txt,unclosed\n");
    let run = ws.run(&["index"]).expect(2);
    assert!(
        run.stderr().contains("a quote is never closed"),
        "{}",
        run.describe()
    );
    assert!(!ws.path(".quarry").exists() || ws.run(&["search", "text"]).code() != 0);
}

#[test]
fn csv_and_tsv_output_carry_no_control_characters() {
    let ws = Workspace::empty();
    ws.write(
        "corpus/evil.md",
        "---\ntitle: \"Evil \\e]52;c;ZXZpbA==\\a title\"\n---\n\nThe body rings \u{7}\u{1b}[2J the bell \u{202e}reversed.\n",
    );
    ws.run(&["index"]).expect(0);
    for format in ["csv", "tsv"] {
        let out = ws.run(&["search", "bell", "--format", format]).expect(0);
        let text = out.stdout();
        assert!(
            !text
                .chars()
                .any(|c| (c.is_control() && c != '\n' && c != '\t')
                    || ('\u{202a}'..='\u{202e}').contains(&c)),
            "{format}: {text:?}"
        );
    }
}
