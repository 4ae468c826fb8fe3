//! HTML (`.html`, `.htm`): visible text and `<meta>` metadata.
//!
//! The page is parsed with scraper (html5ever, the browser parsing algorithm, so broken markup
//! is handled as a browser would). Text is collected from `<body>` by a non-recursive walk that
//! skips what a reader does not see as content: scripts, styles, templates, navigation, footers,
//! asides, forms and hidden elements. Block elements (paragraphs, headings, list items, table
//! rows, ...) become blocks; whitespace is collapsed except in `<pre>`. Line numbers are lines of
//! the extracted text (`quarry show DOC_ID` prints it), since source lines of HTML mean little to
//! a reader. Metadata comes from `<title>`, `<html lang>`, `<link rel=canonical>` and the common
//! `<meta>` conventions (plain, OpenGraph, Dublin Core, Highwire `citation_*`).

use super::{decode, Extracted, Extractor, Failure, Method};
use crate::date::PartialDate;
use crate::document::{Document, Format, Metadata, TextBuilder};
use scraper::{Html, Node};

/// The HTML extractor.
pub const EXTRACTOR: Extractor = Extractor {
    format: Format::Html,
    name: "html",
    version: 2,
    extensions: &["html", "htm", "xhtml"],
    isolate: false,
    method: Method::Document(extract),
};

/// Elements whose content is never shown as prose.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "footer", "aside", "form", "svg", "math",
    "iframe", "object", "embed", "canvas", "select", "button", "head", "dialog",
];

/// Elements that start and end a block of text.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "caption",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "address",
    "hr",
    "details",
    "summary",
    "body",
    "center",
];

fn extract(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    let source = decode(bytes, sniff_charset(bytes).as_deref())?.text;
    let html = Html::parse_document(&source);
    let mut meta = Metadata::default();
    let mut warnings = Vec::new();
    read_meta(&html, &mut meta, &mut warnings);
    let (text, blocks, first_h1) = visible_text(&html);
    if meta.title.is_none() {
        meta.title = first_h1;
    }
    super::title_or_file_name(&mut meta, path);
    Ok(Extracted {
        doc: Document {
            path: path.to_string(),
            row: None,
            format: Format::Html,
            meta,
            text,
            blocks,
        },
        warnings,
        pages: None,
    })
}

/// The encoding a page declares in its first 2 KB (`<meta charset=...>` or the `http-equiv`
/// form), if any.
fn sniff_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(2048)];
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let at = lower.windows(8).position(|w| w == b"charset=")? + 8;
    let label: String = lower[at..]
        .iter()
        .skip_while(|&&b| b == b'"' || b == b'\'' || b == b' ')
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b':')
        .map(|&b| b as char)
        .collect();
    (!label.is_empty()).then_some(label)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn non_empty(s: &str) -> Option<String> {
    let c = collapse(s);
    (!c.is_empty()).then_some(c)
}

fn read_meta(html: &Html, meta: &mut Metadata, warnings: &mut Vec<String>) {
    let mut og_title = None;
    let mut date_raw: Option<String> = None;
    let mut tags = Vec::new();
    for node in html.tree.nodes() {
        let Node::Element(el) = node.value() else {
            continue;
        };
        match el.name() {
            "html" => {
                if let Some(lang) = el.attr("lang").and_then(non_empty) {
                    let primary = lang.split(['-', '_']).next().unwrap_or(&lang);
                    meta.lang = Some(primary.to_ascii_lowercase());
                }
            }
            "title" if meta.title.is_none() => {
                let text: String = node
                    .children()
                    .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                    .collect();
                meta.title = non_empty(&text);
            }
            "link" => {
                let rel = el.attr("rel").unwrap_or("").to_ascii_lowercase();
                if rel.split_whitespace().any(|r| r == "canonical") {
                    if let Some(href) = el.attr("href").and_then(non_empty) {
                        meta.url = Some(href);
                    }
                }
            }
            "meta" => {
                let key = el
                    .attr("name")
                    .or_else(|| el.attr("property"))
                    .or_else(|| el.attr("itemprop"))
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let Some(content) = el.attr("content").and_then(non_empty) else {
                    continue;
                };
                match key.as_str() {
                    "author" | "article:author" | "citation_author" | "dc.creator"
                    | "dcterms.creator"
                        if !content.starts_with("http") && !meta.authors.contains(&content) =>
                    {
                        meta.authors.push(content);
                    }
                    "description" | "og:description" | "dc.description" => {
                        meta.description.get_or_insert(content);
                    }
                    "og:title" | "citation_title" | "dc.title" => {
                        og_title.get_or_insert(content);
                    }
                    "og:site_name" | "publisher" | "citation_publisher" | "dc.publisher"
                    | "dcterms.publisher" => {
                        meta.publisher.get_or_insert(content);
                    }
                    "article:published_time"
                    | "date"
                    | "dc.date"
                    | "dc.date.issued"
                    | "dcterms.date"
                    | "dcterms.issued"
                    | "citation_publication_date"
                    | "citation_date"
                    | "pubdate"
                    | "publish_date"
                    | "datepublished" => {
                        date_raw.get_or_insert(content);
                    }
                    "og:url" => {
                        meta.url.get_or_insert(content);
                    }
                    "keywords" | "article:tag" | "news_keywords" => {
                        tags.extend(content.split(',').filter_map(non_empty));
                    }
                    _ => {}
                }
            }
            "time" if date_raw.is_none() => {
                date_raw = el.attr("datetime").and_then(non_empty);
            }
            _ => {}
        }
    }
    if meta.title.is_none() {
        meta.title = og_title;
    }
    if let Some(raw) = date_raw {
        match PartialDate::parse(&raw) {
            Some(d) => meta.date = Some(d.to_string()),
            None => warnings.push(format!("unrecognised date '{raw}' in the page's metadata")),
        }
    }
    let mut seen = std::collections::HashSet::new();
    meta.tags = tags
        .into_iter()
        .filter(|t| seen.insert(t.clone()))
        .collect();
}

/// The visible text of the page's body as blocks, plus the text of its first `<h1>`.
fn visible_text(html: &Html) -> (String, Vec<crate::document::Block>, Option<String>) {
    let root = html
        .tree
        .nodes()
        .find(|n| matches!(n.value(), Node::Element(e) if e.name() == "body"))
        .unwrap_or_else(|| html.tree.root());
    let mut out = TextBuilder::new();
    let mut current = String::new();
    let mut heading: Option<u8> = None;
    let mut first_h1: Option<String> = None;
    let mut skipping: Option<ego_tree::NodeId> = None;
    let mut pre_depth = 0usize;

    let mut flush = |current: &mut String, heading: Option<u8>, out: &mut TextBuilder| {
        let text = current.trim();
        if !text.is_empty() {
            if heading == Some(1) && first_h1.is_none() {
                first_h1 = Some(collapse(text));
            }
            let line = out.next_text_line();
            out.push(text, line, None, heading);
        }
        current.clear();
    };

    for edge in root.traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Element(el) => {
                        let name = el.name();
                        let hidden = el.attr("hidden").is_some()
                            || el.attr("aria-hidden") == Some("true")
                            || el.attr("role") == Some("navigation");
                        if SKIP.contains(&name) || hidden {
                            skipping = Some(node.id());
                        } else if name == "br" {
                            current.push('\n');
                        } else if BLOCKS.contains(&name) {
                            flush(&mut current, heading, &mut out);
                            heading = heading_level(name);
                            if name == "pre" {
                                pre_depth += 1;
                            }
                        } else if matches!(name, "td" | "th") && !current.trim().is_empty() {
                            current.push_str(" | ");
                        } else if name == "img" {
                            if let Some(alt) = el.attr("alt").and_then(non_empty) {
                                push_inline(&mut current, &alt);
                            }
                        }
                    }
                    Node::Text(t) => {
                        if pre_depth > 0 {
                            current.push_str(t);
                        } else {
                            push_inline(&mut current, t);
                        }
                    }
                    _ => {}
                }
            }
            ego_tree::iter::Edge::Close(node) => {
                if let Some(id) = skipping {
                    if id == node.id() {
                        skipping = None;
                    }
                    continue;
                }
                if let Node::Element(el) = node.value() {
                    let name = el.name();
                    if BLOCKS.contains(&name) {
                        flush(&mut current, heading, &mut out);
                        heading = None;
                        if name == "pre" {
                            pre_depth = pre_depth.saturating_sub(1);
                        }
                    }
                }
            }
        }
    }
    flush(&mut current, heading, &mut out);
    let (text, blocks) = out.finish();
    (text, blocks, first_h1)
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Appends inline text with HTML whitespace rules: runs of whitespace become one space.
fn push_inline(current: &mut String, text: &str) {
    let starts_ws = text.starts_with(char::is_whitespace);
    let ends_ws = text.ends_with(char::is_whitespace);
    let words = collapse(text);
    if words.is_empty() {
        if starts_ws && !current.is_empty() && !current.ends_with([' ', '\n']) {
            current.push(' ');
        }
        return;
    }
    if starts_ws && !current.is_empty() && !current.ends_with([' ', '\n']) {
        current.push(' ');
    }
    current.push_str(&words);
    if ends_ws {
        current.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en-GB"><head>
<title>  Monitoring   foreign journalists </title>
<meta name="author" content="Jane Analyst">
<meta name="description" content="How a state watches reporters.">
<meta property="article:published_time" content="2021-12-31T08:00:00Z">
<meta property="og:site_name" content="Example Post">
<meta name="keywords" content="PRC, surveillance, PRC">
<link rel="canonical" href="https://example.org/story">
<style>.x { color: red }</style>
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article>
<h1>Watching the <em>watchers</em></h1>
<p>Officials bought   software to
monitor <b>Twitter</b> and Facebook.</p>
<script>var tracking = "secret";</script>
<ul><li>Hong Kong</li><li>Taiwan</li></ul>
<table><tr><td>contracts</td><td>300+</td></tr></table>
<div hidden>invisible</div>
<pre>line one
line two</pre>
</article>
<footer>Copyright footer text</footer>
</body></html>"#;

    #[test]
    fn metadata_from_head() {
        let doc = extract("p.html", PAGE.as_bytes()).unwrap().doc;
        let m = &doc.meta;
        assert_eq!(m.title.as_deref(), Some("Monitoring foreign journalists"));
        assert_eq!(m.authors, ["Jane Analyst"]);
        assert_eq!(m.date.as_deref(), Some("2021-12-31"));
        assert_eq!(m.publisher.as_deref(), Some("Example Post"));
        assert_eq!(m.url.as_deref(), Some("https://example.org/story"));
        assert_eq!(m.lang.as_deref(), Some("en"));
        assert_eq!(m.tags, ["PRC", "surveillance"]);
        assert_eq!(
            m.description.as_deref(),
            Some("How a state watches reporters.")
        );
    }

    #[test]
    fn visible_text_skips_boilerplate() {
        let doc = extract("p.html", PAGE.as_bytes()).unwrap().doc;
        let blocks: Vec<(&str, Option<u8>)> = doc
            .blocks
            .iter()
            .map(|b| (&doc.text[b.start..b.end], b.heading))
            .collect();
        assert_eq!(
            blocks,
            vec![
                ("Watching the watchers", Some(1)),
                (
                    "Officials bought software to monitor Twitter and Facebook.",
                    None
                ),
                ("Hong Kong", None),
                ("Taiwan", None),
                ("contracts | 300+", None),
                ("line one\nline two", None),
            ]
        );
        for absent in ["Home", "secret", "footer", "invisible", "color"] {
            assert!(!doc.text.contains(absent), "{absent} leaked");
        }
        // Lines are lines of the extracted text.
        let last = doc.blocks.last().unwrap();
        let line_in_text = doc.text[..last.start].matches('\n').count() as u32 + 1;
        assert_eq!(last.line, line_in_text);
    }

    #[test]
    fn declared_charsets_are_honoured() {
        let mut page =
            b"<html><head><meta charset=\"windows-1251\"><title>t</title></head><body><p>".to_vec();
        page.extend(
            encoding_rs::WINDOWS_1251
                .encode("Пропаганда и выборы")
                .0
                .iter(),
        );
        page.extend(b"</p></body></html>");
        let doc = extract("ru.html", &page).unwrap().doc;
        assert_eq!(doc.text, "Пропаганда и выборы");
        assert_eq!(
            sniff_charset(b"<meta http-equiv=Content-Type content='text/html; charset=koi8-r'>")
                .as_deref(),
            Some("koi8-r")
        );
    }

    #[test]
    fn deeply_nested_markup_does_not_overflow() {
        let mut page = String::from("<html><body>");
        for _ in 0..50_000 {
            page.push_str("<span>");
        }
        page.push_str("deep text");
        let doc = extract("deep.html", page.as_bytes()).unwrap().doc;
        assert!(doc.text.contains("deep text"));
    }
}
