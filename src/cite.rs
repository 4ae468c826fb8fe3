//! Ready-to-paste citations of passages and documents.
//!
//! One line, in the order a reference list wants: authors, "title", publisher, date, the place in
//! the source (page or row), then the URL (or, when the source has none, the file path), e.g.
//! `Jane Doe, "Pegasus in Ruritania", Citizen Lab, 2021-07-18, p. 4. https://example.org/x`.
//! Parts the source does not give are left out. Whitespace runs become one space, so a citation
//! is always one line.

use crate::index::read::PassageRecord;

/// The citation of a passage: the document's, with the page or row, the section it stands
/// under, and for a file without a URL its path and line.
pub fn passage(p: &PassageRecord) -> String {
    let mut locator = Vec::new();
    match (p.page, p.row) {
        (Some(page), _) => locator.push(format!("p. {page}")),
        (None, Some(row)) => locator.push(format!("row {row}")),
        (None, None) => {}
    }
    if let Some(heading) = p.heading.as_deref().filter(|h| !h.trim().is_empty()) {
        if p.row.is_none() {
            locator.push(format!("§ {}", heading.trim()));
        }
    }
    // Lines mean something in the file itself only for text, Markdown and HTML.
    let line = (p.page.is_none()
        && p.row.is_none()
        && matches!(p.format.as_str(), "text" | "markdown" | "html"))
    .then_some(p.line);
    build(p, locator, line)
}

/// The citation of a whole document (a record row keeps its row).
pub fn document(p: &PassageRecord) -> String {
    build(
        p,
        p.row.map(|row| format!("row {row}")).into_iter().collect(),
        None,
    )
}

fn build(p: &PassageRecord, locator: Vec<String>, line: Option<u64>) -> String {
    let mut parts: Vec<String> = Vec::new();
    match p.authors.len() {
        0 => {}
        1..=3 => parts.push(p.authors.join(", ")),
        _ => parts.push(format!("{} et al.", p.authors[0])),
    }
    if !p.title.trim().is_empty() {
        parts.push(format!("\"{}\"", p.title.trim()));
    }
    if let Some(publisher) = &p.publisher {
        // A publisher that is also the only author is said once.
        if p.authors.len() != 1 || &p.authors[0] != publisher {
            parts.push(publisher.clone());
        }
    }
    // A post's full timestamp, when its dataset gave one; else the date.
    let timestamp = p
        .extra
        .get("timestamp")
        .and_then(|t| t.as_str())
        .map(str::to_string);
    parts.extend(timestamp.or_else(|| p.date.clone()));
    parts.extend(locator);
    let mut out = parts.join(", ");
    let link = match (&p.url, line) {
        (Some(url), _) => url.clone(),
        (None, Some(line)) => format!("{}:{line}", p.path),
        (None, None) => p.path.clone(),
    };
    if !out.is_empty() {
        out.push_str(". ");
    }
    out.push_str(&link);
    one_line(&out)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> PassageRecord {
        PassageRecord {
            doc_id: "d".into(),
            passage_id: "d-0".into(),
            ordinal: 0,
            path: "corpus/a.pdf".into(),
            format: "pdf".into(),
            title: "Pegasus in\nRuritania".into(),
            publisher: Some("Citizen Lab".into()),
            authors: vec!["Jane Doe".into()],
            date: Some("2021-07-18".into()),
            url: Some("https://example.org/x".into()),
            tags: vec![],
            kind: None,
            lang: None,
            page: Some(4),
            ocr: false,
            ocr_confidence: None,
            indicators: Default::default(),
            row: None,
            line: 1,
            start: 0,
            end: 0,
            heading: None,
            text: String::new(),
            extra: Default::default(),
            gap: String::new(),
        }
    }

    #[test]
    fn a_full_citation_has_every_part_in_order() {
        assert_eq!(
            passage(&record()),
            "Jane Doe, \"Pegasus in Ruritania\", Citizen Lab, 2021-07-18, p. 4. https://example.org/x"
        );
        assert_eq!(
            document(&record()),
            "Jane Doe, \"Pegasus in Ruritania\", Citizen Lab, 2021-07-18. https://example.org/x"
        );
    }

    #[test]
    fn a_file_without_url_is_cited_by_section_path_and_line() {
        let mut r = record();
        r.format = "markdown".into();
        r.page = None;
        r.url = None;
        r.path = "corpus/zhenhua.md".into();
        r.line = 9;
        r.heading = Some("The Zhenhua Data leak".into());
        assert_eq!(
            passage(&r),
            "Jane Doe, \"Pegasus in Ruritania\", Citizen Lab, 2021-07-18, § The Zhenhua Data leak. corpus/zhenhua.md:9"
        );
    }

    #[test]
    fn a_post_is_cited_by_its_text_and_full_timestamp() {
        let mut r = record();
        r.format = "csv".into();
        r.title = "We need to stop the…".into();
        r.authors = vec!["Booth_Prince".into()];
        r.publisher = None;
        r.page = None;
        r.row = Some(8564);
        r.url = None;
        r.path = "social/booth_prince.csv".into();
        r.heading = Some("ignored for rows".into());
        r.extra
            .insert("timestamp".into(), "2016-10-12 14:03".into());
        assert_eq!(
            passage(&r),
            "Booth_Prince, \"We need to stop the…\", 2016-10-12 14:03, row 8564. social/booth_prince.csv"
        );
    }

    #[test]
    fn missing_parts_are_left_out_and_the_path_stands_in_for_a_url() {
        let mut r = record();
        r.authors = vec!["Citizen Lab".into()];
        r.date = None;
        r.url = None;
        r.page = None;
        r.row = Some(7);
        assert_eq!(
            passage(&r),
            "Citizen Lab, \"Pegasus in Ruritania\", row 7. corpus/a.pdf"
        );
        r.authors = (1..=5).map(|i| format!("A{i}")).collect();
        assert!(passage(&r).starts_with("A1 et al., "));
    }
}
