//! Indexing speed of English text: quarry's multilingual analysis against English-only analysis.
//!
//! The bar (docs/languages.md): multilingual analysis — the script-aware tokenizer and stemmer
//! plus the `translit` field for cross-script names — must not slow indexing of English text by
//! more than 20% against a plain English pipeline (simple tokenizer, lower case, ASCII folding,
//! English stemmer). Both index the same passages into an in-memory tantivy index with one
//! indexing thread; the best of several rounds is reported.
//!
//! Text: the OCR text of the Mueller report from ../shared/data (about 1.2 MB) when present,
//! else the bundled corpus's English notes repeated. Run with `cargo bench --bench analysis`.

use quarry::analysis::{self, translit::translit_text, TEXT_FIELDS};
use std::time::Instant;
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{Index, IndexWriter, TantivyDocument};

fn english_text() -> (String, &'static str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared =
        root.join("../shared/data/docs/mueller_report/txt/mueller-report-ocr-2019-04-18.txt");
    if let Ok(bytes) = std::fs::read(&shared) {
        return (
            String::from_utf8_lossy(&bytes).into_owned(),
            "Mueller report OCR text (../shared)",
        );
    }
    let mut text = String::new();
    for entry in std::fs::read_dir(root.join("corpus")).expect("corpus/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let note = std::fs::read_to_string(&path).unwrap_or_default();
            if note.contains("language: en") {
                text.push_str(&note);
                text.push('\n');
            }
        }
    }
    (text.repeat(8), "bundled English notes x8")
}

/// ~100-word passages.
fn passages(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.chunks(100).map(|c| c.join(" ")).collect()
}

fn options(analyzer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

/// Seconds to index `docs` with English-only analysis (`multilingual == false`) or quarry's.
fn index_once(docs: &[String], multilingual: bool, with_translit: bool) -> f64 {
    let mut b = Schema::builder();
    let text = if multilingual {
        b.add_text_field("text", options(TEXT_FIELDS[0].analyzer))
    } else {
        b.add_text_field("text", options("english_only"))
    };
    let translit = b.add_text_field(
        "translit",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analysis::TRANSLIT_ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        ),
    );
    let index = Index::create_in_ram(b.build());
    analysis::register(index.tokenizers());
    index.tokenizers().register(
        "english_only",
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    let mut writer: IndexWriter = index
        .writer_with_num_threads(1, 200_000_000)
        .expect("writer");
    let started = Instant::now();
    for p in docs {
        let mut doc = TantivyDocument::default();
        doc.add_text(text, p);
        if with_translit {
            let names = translit_text(p);
            if !names.is_empty() {
                doc.add_text(translit, names);
            }
        }
        writer.add_document(doc).expect("add");
    }
    writer.commit().expect("commit");
    started.elapsed().as_secs_f64()
}

fn main() {
    let (text, source) = english_text();
    // Several copies, so that one round takes long enough to time reliably.
    let text = text.repeat(3);
    let docs = passages(&text);
    let mb = text.len() as f64 / 1e6;
    let rounds = 5;
    let (mut english, mut multi, mut words) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..rounds {
        english = english.min(index_once(&docs, false, false));
        words = words.min(index_once(&docs, true, false));
        multi = multi.min(index_once(&docs, true, true));
    }
    let slowdown = (multi / english - 1.0) * 100.0;
    println!(
        "text: {source}, {mb:.2} MB, {} passages; best of {rounds} rounds",
        docs.len()
    );
    println!("| analysis | seconds | MB/s |\n|---|---|---|");
    println!("| English only | {english:.3} | {:.1} |", mb / english);
    println!(
        "| quarry multilingual, text field only | {words:.3} | {:.1} |",
        mb / words
    );
    println!(
        "| quarry multilingual (+ translit) | {multi:.3} | {:.1} |",
        mb / multi
    );
    println!(
        "slowdown: {slowdown:+.1}% (bar: at most +20%) -> {}",
        if slowdown <= 20.0 {
            "within the bar"
        } else {
            "OVER THE BAR"
        }
    );
}
