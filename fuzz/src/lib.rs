//! What the fuzz targets in `fuzz_targets/` run: each turns arbitrary bytes into quarry's input
//! (a file of one format, a query, a document's blocks) and checks the invariants the rest of
//! quarry relies on, besides not panicking. `fuzz/run.sh` runs every target for a bounded time.

use quarry::document::TextBuilder;
use quarry::extract::{by_name, records, Method};
use quarry::{Document, QuarryIndex, SearchRequest};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Checks that a document's blocks, and the passages split from it, lie in order within its
/// text and on character boundaries.
pub fn check_document(doc: &Document) {
    let text = &doc.text;
    let mut last_end = 0;
    for b in &doc.blocks {
        assert!(
            b.start <= b.end && b.end <= text.len(),
            "block out of bounds"
        );
        assert!(text.is_char_boundary(b.start) && text.is_char_boundary(b.end));
        assert!(b.start >= last_end, "blocks overlap or go back");
        last_end = b.end;
    }
    let passages = quarry::passage::split(text, &doc.blocks);
    let mut last = 0;
    for p in &passages {
        assert!(p.byte_start <= p.byte_end && p.byte_end <= text.len());
        assert!(text.is_char_boundary(p.byte_start) && text.is_char_boundary(p.byte_end));
        assert!(p.byte_start >= last, "passages go back");
        assert_eq!(p.start, text[..p.byte_start].chars().count());
        last = p.byte_start;
    }
}

/// The single-document extractor `name` on `data`.
pub fn document(name: &str, data: &[u8]) {
    let Some(extractor) = by_name(name) else {
        panic!("no extractor {name}");
    };
    let Method::Document(extract) = extractor.method else {
        panic!("{name} is not a single-document extractor");
    };
    if let Ok(x) = extract(&format!("fuzz.{name}"), data) {
        check_document(&x.doc);
    }
}

/// The record reader `name` on `data`, written to a file (the reader streams from files).
pub fn records(name: &str, data: &[u8]) {
    let Some(extractor) = by_name(name) else {
        panic!("no extractor {name}");
    };
    let path = scratch(name);
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let mapping = records::Mapping::default();
    let _ = records::stream(extractor, &path, "fuzz", &mapping, &mut |x| {
        check_document(&x.doc);
        Ok(())
    });
}

/// A file of this process for one format's input.
fn scratch(ext: &str) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"));
    dir.path().join(format!("input.{ext}"))
}

/// A small index of a few notes, built once per process.
fn index() -> &'static QuarryIndex {
    static INDEX: OnceLock<(tempfile::TempDir, QuarryIndex)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let corpus = dir.path().join("corpus");
            std::fs::create_dir_all(&corpus).expect("corpus folder");
            let notes = [
                ("zhenhua.md", "---\ntitle: Zhenhua Data\npublisher: Fixture Desk\ndate: 2020-09\ntags: [china, data]\n---\n\n# The leak\n\nZhenhua Data kept records on foreign journalists and academics.\n"),
                ("ira.md", "---\ntitle: Internet Research Agency\ndate: 2018-02\n---\n\nThe Internet Research Agency ran troll accounts on Twitter and Facebook in 2016.\n"),
                ("pegasus.txt", "Pegasus spyware was found on the phones of journalists in Mexico.\nНовости и пропаганда. 新闻 宣传.\n"),
                ("cases.csv", "title,text,date\nCase one,Forged letter about vaccines,2021-01-02\nCase two,Doppelganger clones of news sites,2022-09-01\n"),
            ];
            for (name, text) in notes {
                std::fs::write(corpus.join(name), text).expect("a note");
            }
            let index_dir = dir.path().join("index");
            let options = quarry::BuildOptions {
                paths: vec![corpus],
                threads: 1,
                ..quarry::BuildOptions::default()
            };
            quarry::build(&index_dir, &options, &quarry::Silent).expect("index the notes");
            let index = QuarryIndex::open(&index_dir).expect("open the index");
            (dir, index)
        })
        .1
}

/// `data` as a query: parsed and searched in passages and in documents; an error must be one
/// line.
pub fn query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let index = index();
    let mut request = SearchRequest::new(text);
    request.limit = 5;
    match quarry::search(index, &request) {
        Ok(_) => {}
        Err(e) => assert!(!e.to_string().contains('\n'), "a multi-line error: {e}"),
    }
    request.all_terms = true;
    let _ = quarry::search_documents(index, &request);
}

/// `data` as a document: each chunk between bytes 0xFF, read as text, is a block; its first
/// byte says whether it starts a new page and whether it is a heading.
pub fn passages(data: &[u8]) {
    let mut builder = TextBuilder::new();
    let mut page = 1u32;
    for chunk in data.split(|&b| b == 0xFF) {
        let (flags, body) = match chunk.split_first() {
            Some((f, rest)) => (*f, rest),
            None => continue,
        };
        if flags & 1 == 1 {
            page = page.saturating_add(1);
        }
        let heading = (flags & 0b1110 != 0)
            .then_some((flags >> 1) & 0b111)
            .filter(|h| (1..=6).contains(h));
        let text = String::from_utf8_lossy(body);
        let line = builder.next_text_line();
        builder.push(&text, line, (flags & 0x10 == 0).then_some(page), heading);
    }
    let doc = Document::new("fuzz.txt", quarry::Format::Text, builder.finish());
    check_document(&doc);
}
