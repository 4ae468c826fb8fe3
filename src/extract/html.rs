//! HTML (`.html`, `.htm`): visible text and `<meta>` metadata.
//!
//! The page is parsed with scraper (html5ever, the browser parsing algorithm, so broken markup
//! is handled as a browser would). Text is collected from `<body>` by a non-recursive walk that
//! skips what a reader does not see as content: scripts, styles, templates, navigation, footers,
//! asides, forms and hidden elements. Block elements (paragraphs, headings, list items, table
//! rows, ...) become blocks; whitespace is collapsed except in `<pre>`. Line numbers are lines of
//! the HTML file: each block's text is found again in the page's source ([`source_lines`]), so
//! `page.html:1506` opens where the sentence is. Metadata comes from `<title>`, `<html lang>`, `<link rel=canonical>` and the common
//! `<meta>` conventions (plain, OpenGraph, Dublin Core, Highwire `citation_*`).

use super::{decode, Extracted, Extractor, Failure, FailureKind, Isolate, Method};
use crate::date::PartialDate;
use crate::document::{Document, Format, Metadata, TextBuilder};
use scraper::{Html, Node};

/// The HTML extractor.
pub const EXTRACTOR: Extractor = Extractor {
    format: Format::Html,
    name: "html",
    version: 4,
    extensions: &["html", "htm", "xhtml"],
    isolate: Isolate::Above(IN_PROCESS_BYTES),
    method: Method::Document(extract),
};

/// Pages up to this size are parsed in the indexing process (fast: most pages are small);
/// larger ones in a worker under its time and memory limits, since the parsed tree costs
/// about twenty times the page's size.
pub const IN_PROCESS_BYTES: u64 = 4_000_000;

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

/// Element nesting deeper than this is flattened before parsing ([`flatten_deep`]): the
/// browser algorithm checks the stack of open elements at many tags, so its cost grows with
/// size times depth, and no page a reader sees nests this deep.
pub const MAX_DEPTH: usize = 256;

/// Elements that never hold content, or whose end tags are implied by the next one; they do
/// not count towards nesting depth.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
    "tfoot", "rb", "rt", "rp", "colgroup", "caption",
];

/// The page with every tag nested deeper than [`MAX_DEPTH`] removed (replaced by a space);
/// text is kept. One linear scan; borrows the source when nothing is that deep (the usual
/// case). Returns how many tags were removed.
pub fn flatten_deep(source: &str) -> (std::borrow::Cow<'_, str>, usize) {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut removed = 0;
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'<') {
        let start = i + off;
        let closing = bytes.get(start + 1) == Some(&b'/');
        let name_start = start + 1 + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            i = start + 1;
            continue;
        }
        let after_name = name_start + name_len;
        let Some(close) = bytes[after_name..].iter().position(|&b| b == b'>') else {
            break;
        };
        let end = after_name + close + 1;
        let name = &source[name_start..after_name];
        let self_closing = bytes[end - 2] == b'/';
        let nests = !self_closing && !NOT_NESTING.iter().any(|n| n.eq_ignore_ascii_case(name));
        let mut drop = false;
        if nests {
            if closing {
                drop = depth > MAX_DEPTH;
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                drop = depth > MAX_DEPTH;
            }
        }
        if drop {
            let o = out.get_or_insert_with(|| String::with_capacity(source.len()));
            o.push_str(&source[copied..start]);
            o.push(' ');
            copied = end;
            removed += 1;
        }
        i = end;
    }
    match out {
        None => (std::borrow::Cow::Borrowed(source), 0),
        Some(mut o) => {
            o.push_str(&source[copied..]);
            (std::borrow::Cow::Owned(o), removed)
        }
    }
}

/// The largest page parsed: the parsed tree of a page costs about twenty times its size, so
/// a larger page would need more than 512 MB.
pub const MAX_PAGE_BYTES: usize = 16_000_000;

/// The failure of a page over [`MAX_PAGE_BYTES`] (checked before reading it, too).
pub(crate) fn too_large(len: u64) -> Failure {
    Failure::new(
        FailureKind::TooLarge,
        format!(
            "HTML page too large to parse ({:.1} MB; the limit for HTML is {} MB; save it as text to index it)",
            len as f64 / 1e6,
            MAX_PAGE_BYTES / 1_000_000
        ),
    )
}

fn extract(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    if bytes.len() > MAX_PAGE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    let decoded = decode(bytes, sniff_charset(bytes).as_deref())?.text;
    let (source, flattened) = flatten_deep(&decoded);
    let html = Html::parse_document(&source);
    let mut meta = Metadata::default();
    let mut warnings = Vec::new();
    if flattened > 0 {
        warnings.push(format!(
            "{flattened} tag(s) nested deeper than {MAX_DEPTH} levels ignored (their text is kept)"
        ));
    }
    read_meta(&html, &mut meta, &mut warnings);
    let (text, mut blocks, first_h1) = visible_text(&html);
    source_lines(&source, &text, &mut blocks);
    if meta.title.is_none() {
        meta.title = first_h1;
    }
    super::title_or_file_name(&mut meta, path);
    Ok(Extracted {
        doc: Document {
            path: path.to_string(),
            row: None,
            source: None,
            format: Format::Html,
            meta,
            text,
            blocks,
        },
        warnings,
        pages: None,
        ocr: None,
    })
}

/// The characters of an HTML source as a reader sees them, each with the line it stands on:
/// tags, comments, scripts and styles left out, the common entities decoded, lower case, and
/// whitespace left out (tags may or may not separate words, so words are compared without it).
fn visible_chars(source: &str) -> Vec<(char, u32)> {
    let mut out: Vec<(char, u32)> = Vec::with_capacity(source.len() / 2);
    let mut line = 1u32;
    let mut rest = source;
    let push = |out: &mut Vec<(char, u32)>, c: char, line: u32| {
        if !skipped(c) {
            out.extend(c.to_lowercase().map(|l| (l, line)));
        }
    };
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let end_marker = if rest.starts_with("<!--") {
                "-->"
            } else if starts_with_ci(rest, "<script") {
                "</script"
            } else if starts_with_ci(rest, "<style") {
                "</style"
            } else {
                ">"
            };
            let skip = find_ci(rest, end_marker).map_or(rest.len(), |i| i + end_marker.len());
            line += rest[..skip].matches('\n').count() as u32;
            rest = &rest[skip..];
            continue;
        }
        if c == '&' {
            if let Some((decoded, len)) = entity_at(rest) {
                push(&mut out, decoded, line);
                rest = &rest[len..];
                continue;
            }
            // Any other named entity (`&rsquo;`, `&mdash;`) is punctuation, which is not
            // compared.
            if let Some(end) = rest
                .char_indices()
                .take(32)
                .find(|(_, c)| *c == ';')
                .map(|(i, _)| i)
            {
                if rest[1..end].chars().all(|c| c.is_ascii_alphanumeric()) && end > 1 {
                    rest = &rest[end + 1..];
                    continue;
                }
            }
        }
        if c == '\n' {
            line += 1;
        }
        push(&mut out, c, line);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Characters left out when block text is matched with the source: all but letters and digits
/// (whitespace, punctuation that entities may spell, the ` | ` quarry puts between table cells).
fn skipped(c: char) -> bool {
    !c.is_alphanumeric()
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The byte offset of `needle` (ASCII) in `hay`, case ignored.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    hay.as_bytes()
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
}

/// The character an entity at the start of `s` stands for, and the entity's length.
fn entity_at(s: &str) -> Option<(char, usize)> {
    let end = s.char_indices().take(12).find(|(_, c)| *c == ';')?.0;
    let name = &s[1..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        n if n.starts_with("#x") || n.starts_with("#X") => {
            char::from_u32(u32::from_str_radix(&n[2..], 16).ok()?)?
        }
        n if n.starts_with('#') => char::from_u32(n[1..].parse().ok()?)?,
        _ => return None,
    };
    Some((c, end + 1))
}

/// How far past the previous block a block's text is looked for, in visible characters.
const SEARCH_WINDOW: usize = 50_000;

/// Sets each block's line to the line of the HTML source where its text starts: its first
/// characters (whitespace aside) are looked for in the visible characters of the source, in
/// order, from where the previous block was found. A block not found keeps the line of the
/// block before it (text made of `alt` attributes, say).
fn source_lines(source: &str, text: &str, blocks: &mut [crate::document::Block]) {
    const KEY_CHARS: usize = 40;
    let chars = visible_chars(source);
    let hay: Vec<char> = chars.iter().map(|(c, _)| *c).collect();
    let mut cursor = 0usize;
    let mut last_line = 1u32;
    for block in blocks.iter_mut() {
        let Some(block_text) = text.get(block.start..block.end) else {
            continue;
        };
        let key: Vec<char> = block_text
            .chars()
            .filter(|&c| !skipped(c))
            .flat_map(char::to_lowercase)
            .take(KEY_CHARS)
            .collect();
        // A short text ("PIC" for an image, "Id.") also stands inside other words: it is only
        // looked for nearby, and moves the place later blocks are looked for from not at all.
        let short = key.len() < SHORT_KEY;
        let window = if short { SHORT_WINDOW } else { SEARCH_WINDOW };
        if let Some(at) = find_chars(&hay, &key, cursor, window) {
            last_line = chars[at].1;
            if !short {
                cursor = at + key.len();
            }
        }
        block.line = last_line;
    }
}

/// Blocks with fewer matched characters than this are short (see [`source_lines`]).
const SHORT_KEY: usize = 16;
/// How far a short block's text is looked for.
const SHORT_WINDOW: usize = 2_000;

/// The first index in `from..from + window` where `key` stands in `hay`.
fn find_chars(hay: &[char], key: &[char], from: usize, window: usize) -> Option<usize> {
    let first = *key.first()?;
    let last = hay.len().checked_sub(key.len())?;
    (from..=last.min(from.saturating_add(window)))
        .find(|&i| hay[i] == first && hay[i..i + key.len()] == *key)
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
    #[test]
    fn nesting_beyond_the_limit_is_flattened_and_its_text_kept() {
        let deep = format!(
            "<p>Top.</p>{}innermost words{}<p>After.</p>",
            "<div class=x>".repeat(MAX_DEPTH + 50),
            "</DIV>".repeat(MAX_DEPTH + 50)
        );
        let (flat, removed) = flatten_deep(&deep);
        assert_eq!(removed, 100);
        assert!(flat.matches("<div").count() == MAX_DEPTH);
        let x = extract("deep.html", deep.as_bytes()).unwrap();
        assert!(x.doc.text.contains("innermost words"));
        assert!(x.doc.text.contains("After."));
        assert!(x.warnings.iter().any(|w| w.contains("nested deeper")));
        // Unclosed paragraphs and void elements do not count as nesting.
        let flat_page = "<p>one<br><p>two<img src=a.png>".repeat(2 * MAX_DEPTH);
        assert!(matches!(
            flatten_deep(&flat_page),
            (std::borrow::Cow::Borrowed(_), 0)
        ));
    }

    use super::*;

    #[test]
    fn block_lines_are_lines_of_the_html_source() {
        let x = extract("page.html", PAGE.as_bytes()).unwrap();
        let line_of = |needle: &str| {
            let b = x
                .doc
                .blocks
                .iter()
                .find(|b| x.doc.text[b.start..b.end].contains(needle))
                .unwrap_or_else(|| panic!("{needle}"));
            b.line
        };
        let source_line =
            |needle: &str| PAGE.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1;
        assert_eq!(line_of("Watching the watchers"), source_line("<h1>"));
        assert_eq!(line_of("Officials bought"), source_line("Officials bought"));
        assert_eq!(line_of("Taiwan"), source_line("Taiwan"));
        assert_eq!(line_of("contracts"), source_line("contracts"));
        assert_eq!(line_of("line one"), source_line("line one"));
    }

    #[test]
    fn entities_and_odd_markup_never_panic() {
        for html in [
            "&",
            "&#xZZ;",
            "<",
            "<!--",
            "<script>",
            "a &amp b",
            "é&#233;<p>x",
        ] {
            let mut blocks = Vec::new();
            source_lines(html, "", &mut blocks);
            let _ = visible_chars(html);
        }
        assert_eq!(entity_at("&#233;x"), Some(('é', 6)));
        assert_eq!(entity_at("&amp;"), Some(('&', 5)));
        assert_eq!(entity_at("&unknown;"), None);
    }

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
        // Lines are lines of the source.
        let last = doc.blocks.last().unwrap();
        let pre = PAGE.lines().position(|l| l.contains("<pre>")).unwrap() as u32 + 1;
        assert_eq!(last.line, pre);
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
