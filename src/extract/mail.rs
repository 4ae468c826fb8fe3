//! E-mail: `.eml` files (one message) and `.mbox` mailboxes (one document per message,
//! streamed).
//!
//! MIME is parsed by `mail-parser`, which decodes transfer encodings (base64,
//! quoted-printable), encoded words in headers and the charsets of parts. A message becomes a
//! document of format `email`:
//!
//! - its subject is the title, its sender the author, its `Date` the date;
//! - `from`, `to` and `cc` (lists of addresses), `message_id` and `in_reply_to` are kept in
//!   `extra`; the query filters `from:a@example.org`, `to:...` and `cc:...` match any one of
//!   them, by bare address or as written;
//! - its text is a header block (From, To, Cc, Date, Subject) followed by the body: the text
//!   part, or the HTML part made text.
//!
//! Attachments (and attached messages) are files inside it, read by the extractor of their
//! name's extension under the same limits; they are shown as `mail.eml!/report.pdf` or
//! `box.mbox!/3/report.pdf` and name their message in `extra.parent`.
//!
//! A mailbox is read line by line: a message starts at a `From ` line with an address and a
//! time, at the start of the file or after an empty line, and `>From ` lines are unescaped
//! (mboxrd). Only one message is held
//! at a time; a message larger than the file size limit is skipped with a warning.

use super::{
    inner_path, safe_name, ContainerSummary, Extracted, Extractor, Failure, FailureKind, Inner,
    Isolate, Limits, Method, Part,
};
use crate::document::{Document, Format, Metadata, TextBuilder};
use mail_parser::{Address, MessageParser, MimeHeaders};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The `.eml` extractor.
pub const EML: Extractor = Extractor {
    format: Format::Email,
    name: "eml",
    version: 1,
    extensions: &["eml"],
    isolate: Isolate::Never,
    method: Method::Container(eml),
};

/// The mailbox extractor.
pub const MBOX: Extractor = Extractor {
    format: Format::Email,
    name: "mbox",
    version: 1,
    extensions: &["mbox", "mbx"],
    isolate: Isolate::Never,
    method: Method::Container(mbox),
};

/// The most attachments read from one message.
const MAX_ATTACHMENTS: usize = 200;

fn eml(
    path: &Path,
    display: &str,
    limits: &Limits<'_>,
    sink: &mut dyn FnMut(Part) -> Result<(), String>,
) -> Result<ContainerSummary, Failure> {
    let bytes = super::read_capped(path, limits.max_file_bytes)?;
    let mut summary = ContainerSummary::default();
    message(&bytes, display, limits, sink, &mut summary)?;
    Ok(summary)
}

fn mbox(
    path: &Path,
    display: &str,
    limits: &Limits<'_>,
    sink: &mut dyn FnMut(Part) -> Result<(), String>,
) -> Result<ContainerSummary, Failure> {
    let file = std::fs::File::open(path).map_err(|e| Failure::unreadable(&e))?;
    let mut reader = BufReader::new(file);
    let mut summary = ContainerSummary::default();
    let mut current: Vec<u8> = Vec::new();
    let mut number = 0u64;
    let mut oversized = false;
    let mut previous_blank = true;
    let mut line = Vec::new();
    let mut flush = |number: u64,
                     current: &mut Vec<u8>,
                     oversized: bool,
                     summary: &mut ContainerSummary|
     -> Result<(), Failure> {
        let shown = inner_path(display, &number.to_string());
        if oversized {
            summary.warnings.push(format!(
                "{shown} skipped: the message is larger than the file size limit ({} MB)",
                limits.max_file_bytes / 1_000_000
            ));
        } else if let Err(e) = message(current, &shown, limits, sink, summary) {
            if e.kind == FailureKind::Crashed {
                return Err(e);
            }
            summary.warnings.push(format!("{shown} skipped: {e}"));
        }
        current.clear();
        Ok(())
    };
    // No line is held longer than a message may be: a longer one makes its message oversized
    // and the rest of it is read past.
    let line_cap = limits.max_file_bytes.saturating_add(1);
    loop {
        line.clear();
        let n = (&mut reader)
            .take(line_cap)
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::unreadable(&e))?;
        if n == 0 {
            break;
        }
        if n as u64 >= line_cap && !line.ends_with(b"\n") {
            skip_line(&mut reader).map_err(|e| Failure::unreadable(&e))?;
            oversized = number > 0;
            current = Vec::new();
            previous_blank = false;
            continue;
        }
        if previous_blank && is_separator(&line) {
            if number > 0 {
                flush(number, &mut current, oversized, &mut summary)?;
            }
            number += 1;
            oversized = false;
            previous_blank = false;
            continue;
        }
        if number == 0 {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Err(Failure::new(
                FailureKind::Corrupt,
                "not a mailbox: it does not start with a 'From ' line",
            ));
        }
        previous_blank = line == b"\n" || line == b"\r\n";
        if oversized {
            continue;
        }
        // mboxrd: a quoted `>From ` (any number of `>`) loses one `>`.
        let unquoted = line.iter().take_while(|&&b| b == b'>').count();
        let body = if unquoted > 0 && line[unquoted..].starts_with(b"From ") {
            &line[1..]
        } else {
            &line[..]
        };
        current.extend_from_slice(body);
        if current.len() as u64 > limits.max_file_bytes {
            oversized = true;
            current = Vec::new();
        }
    }
    if number > 0 {
        flush(number, &mut current, oversized, &mut summary)?;
    }
    if summary.parts == 0 && number == 0 {
        return Err(Failure::new(FailureKind::NoText, "an empty mailbox"));
    }
    Ok(summary)
}

/// Reads past the rest of a line.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// Whether a line is a mailbox's message separator: `From `, an address, and a date with a
/// time (`From a@example.org Mon Jan  6 10:00:00 2020`), not a body line that starts with
/// "From " in a mailbox that does not quote them.
fn is_separator(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let rest = String::from_utf8_lossy(rest);
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    tokens.len() >= 3
        && tokens.iter().skip(1).any(|t| {
            let parts: Vec<&str> = t.split(':').collect();
            parts.len() >= 2
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// Parses one message shown as `display` and gives its document and attachments to `sink`.
fn message(
    bytes: &[u8],
    display: &str,
    limits: &Limits<'_>,
    sink: &mut dyn FnMut(Part) -> Result<(), String>,
    summary: &mut ContainerSummary,
) -> Result<(), Failure> {
    let parsed = MessageParser::default()
        .parse(bytes)
        .filter(|m| !m.headers().is_empty())
        .ok_or_else(|| Failure::new(FailureKind::Corrupt, "not an e-mail message"))?;
    let mut meta = Metadata::default();
    let subject = parsed
        .subject()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    meta.title = Some(
        subject
            .clone()
            .unwrap_or_else(|| "(no subject)".to_string()),
    );
    let from = addresses(parsed.from());
    meta.authors = from.iter().take(1).cloned().collect();
    meta.date = parsed
        .date()
        .filter(|d| (1..=12).contains(&d.month) && (1..=31).contains(&d.day) && d.year > 0)
        .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day));
    let to = addresses(parsed.to());
    let cc = addresses(parsed.cc());
    // Lists, so that `from:`, `to:` and `cc:` filter by any one address.
    for (key, values) in [("from", &from), ("to", &to), ("cc", &cc)] {
        if !values.is_empty() {
            meta.extra.insert(key.into(), values.clone().into());
        }
    }
    if let Some(id) = parsed.message_id() {
        meta.extra.insert("message_id".into(), id.into());
    }
    if let Some(reply) = parsed.in_reply_to().as_text() {
        meta.extra.insert("in_reply_to".into(), reply.into());
    }

    let mut text = TextBuilder::new();
    let mut header = Vec::new();
    if !from.is_empty() {
        header.push(format!("From: {}", from.join(", ")));
    }
    if !to.is_empty() {
        header.push(format!("To: {}", to.join(", ")));
    }
    if !cc.is_empty() {
        header.push(format!("Cc: {}", cc.join(", ")));
    }
    if let Some(date) = parsed.date() {
        header.push(format!("Date: {}", date.to_rfc3339()));
    }
    if let Some(s) = &subject {
        header.push(format!("Subject: {s}"));
    }
    let header_lines = header.len() as u32;
    if !header.is_empty() {
        text.push(&header.join("\n"), 1, None, None);
    }
    // Every text part in order (a body split around inline images has several).
    let body = (0..)
        .map_while(|i| parsed.body_text(i))
        .take(1000)
        .map(|b| b.into_owned())
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut line = header_lines + 2;
    for paragraph in body.split("\n\n") {
        let trimmed = paragraph.trim_matches(['\r', '\n']);
        if !trimmed.trim().is_empty() {
            text.push(trimmed, line, None, None);
        }
        line += paragraph.matches('\n').count() as u32 + 2;
    }
    let mut doc = Document::new(display, Format::Email, text.finish());
    doc.meta = meta.clone();
    summary.give(sink, Part::Document(Extracted::new(doc)))?;

    let mut names = std::collections::HashSet::new();
    for (i, part) in parsed.attachments().enumerate() {
        if i >= MAX_ATTACHMENTS {
            summary.warnings.push(format!(
                "{display}: attachments after the first {MAX_ATTACHMENTS} skipped"
            ));
            break;
        }
        let mut name = part
            .attachment_name()
            .map(safe_name)
            .unwrap_or_else(|| format!("attachment-{}{}", i + 1, extension_for(part)));
        if part.is_message() && !name.to_ascii_lowercase().ends_with(".eml") {
            name.push_str(".eml");
        }
        // Two attachments of one name stay apart.
        let base = name.clone();
        let mut n = 1;
        while !names.insert(name.clone()) {
            n += 1;
            name = format!("{n}-{base}");
        }
        let shown = inner_path(display, &name);
        let contents = part.contents();
        if contents.len() as u64 > limits.max_file_bytes {
            summary
                .warnings
                .push(super::part_too_large(&shown, limits.max_file_bytes));
            continue;
        }
        let mut inherited = Metadata::default();
        inherited.date.clone_from(&meta.date);
        inherited.authors.clone_from(&meta.authors);
        summary.give(
            sink,
            Part::File(Inner {
                display: shown,
                bytes: contents.to_vec(),
                meta: inherited,
                parent: Some(display.to_string()),
                extension: None,
            }),
        )?;
    }
    Ok(())
}

/// The file extension an unnamed attachment's content type stands for, so that the right
/// extractor reads it (`.bin`, which none reads, for the rest).
fn extension_for(part: &mail_parser::MessagePart) -> &'static str {
    let Some(ct) = part.content_type() else {
        return ".txt";
    };
    let sub = ct.subtype().unwrap_or_default().to_ascii_lowercase();
    match (ct.ctype().to_ascii_lowercase().as_str(), sub.as_str()) {
        ("message", _) => ".eml",
        ("text", "html") => ".html",
        ("text", "csv") => ".csv",
        ("text", "markdown") => ".md",
        ("text", _) => ".txt",
        ("application", "pdf") => ".pdf",
        ("application", "zip") => ".zip",
        ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document") => ".docx",
        ("application", "vnd.oasis.opendocument.text") => ".odt",
        ("application", "mbox") => ".mbox",
        _ => ".bin",
    }
}

/// `Name <address>` for each address of a header (groups flattened).
fn addresses(header: Option<&Address>) -> Vec<String> {
    let Some(header) = header else {
        return Vec::new();
    };
    header
        .iter()
        .filter_map(|a| {
            let name = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
            let address = a
                .address
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty());
            match (name, address) {
                (Some(n), Some(a)) if n != a => Some(format!("{n} <{a}>")),
                (_, Some(a)) => Some(a.to_string()),
                (Some(n), None) => Some(n.to_string()),
                (None, None) => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts_of(extractor: &Extractor, contents: &[u8]) -> (Vec<Part>, ContainerSummary) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("box");
        std::fs::write(&path, contents).unwrap();
        let Method::Container(read) = extractor.method else {
            unreachable!()
        };
        let mut parts = Vec::new();
        let summary = read(
            &path,
            "mail/box.mbox",
            &Limits {
                max_file_bytes: 1_000_000,
                mapping: &Default::default(),
                unpacked: &Default::default(),
            },
            &mut |p| {
                parts.push(p);
                Ok(())
            },
        )
        .unwrap();
        (parts, summary)
    }

    const MBOX_TEXT: &str = "From alice@example.org Mon Jan  6 10:00:00 2020\n\
From: Alice Example <alice@example.org>\n\
To: bob@example.org\n\
Subject: =?ISO-8859-1?Q?R=E9union?= du lundi\n\
Date: Mon, 6 Jan 2020 10:00:00 +0100\n\
Content-Type: text/plain; charset=ISO-8859-1\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
Le caf=E9 ouvre =E0 neuf heures.\n\
>From the archive: nothing.\n\
\n\
From bob@example.org Tue Jan  7 10:00:00 2020\n\
From: bob@example.org\n\
Subject: Second\n\
\n\
Only text.\n";

    #[test]
    fn a_mailbox_is_one_document_per_message_with_charsets_decoded() {
        let (parts, summary) = parts_of(&MBOX, MBOX_TEXT.as_bytes());
        assert_eq!(summary.parts, 2, "{:?}", summary.warnings);
        let Part::Document(first) = &parts[0] else {
            panic!("{parts:?}")
        };
        let doc = &first.doc;
        assert_eq!(doc.path, "mail/box.mbox!/1");
        assert_eq!(doc.meta.title.as_deref(), Some("Réunion du lundi"));
        assert_eq!(doc.meta.authors, ["Alice Example <alice@example.org>"]);
        assert_eq!(doc.meta.date.as_deref(), Some("2020-01-06"));
        assert_eq!(doc.meta.extra["to"], serde_json::json!(["bob@example.org"]));
        assert!(
            doc.text.contains("Le café ouvre à neuf heures."),
            "{}",
            doc.text
        );
        assert!(doc.text.contains("\nFrom the archive"), "{}", doc.text);
        let Part::Document(second) = &parts[1] else {
            panic!()
        };
        assert!(is_separator(
            b"From bob@example.org Tue Jan  7 10:00:00 2020\n"
        ));
        assert!(!is_separator(b"From now on, at 10 we meet.\n"));
        assert_eq!(second.doc.path, "mail/box.mbox!/2");
        assert!(second.doc.text.contains("Only text."));
    }

    #[test]
    fn attachments_are_files_inside_their_message() {
        let eml = "From: a@example.org\r\nSubject: Files\r\nDate: Tue, 1 Feb 2022 08:00:00 +0000\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\n\
Content-Type: text/plain\r\n\r\nSee attached.\r\n--XX\r\n\
Content-Type: text/plain; name=\"../../notes.txt\"\r\nContent-Disposition: attachment; filename=\"../../notes.txt\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nU2VjcmV0IG5vdGVzLg==\r\n--XX--\r\n";
        let (parts, summary) = parts_of(&EML, eml.as_bytes());
        assert_eq!(summary.parts, 2);
        let Part::File(inner) = &parts[1] else {
            panic!("{parts:?}")
        };
        assert_eq!(inner.display, "mail/box.mbox!/notes.txt");
        assert_eq!(inner.bytes, b"Secret notes.");
        assert_eq!(inner.parent.as_deref(), Some("mail/box.mbox"));
        assert_eq!(inner.meta.date.as_deref(), Some("2022-02-01"));
    }

    #[test]
    fn broken_mail_is_reported_not_a_panic() {
        // A boundary that never closes, and a header line that never ends.
        let eml = "From: a@example.org\nContent-Type: multipart/mixed; boundary=\"Q\"\n\n--Q\nContent-Type: text/plain\n\nhalf a messa";
        let (parts, _) = parts_of(&EML, eml.as_bytes());
        assert!(
            matches!(parts.first(), Some(Part::Document(_))),
            "{parts:?}"
        );
        // The unclosed part's text is kept, in the message or as a part of it.
        let kept = parts.iter().any(|p| match p {
            Part::Document(d) => d.doc.text.contains("half a messa"),
            Part::File(f) => f.bytes.windows(12).any(|w| w == b"half a messa"),
        });
        assert!(kept, "{parts:?}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.mbox");
        std::fs::write(&path, b"\x00\x01 not mail").unwrap();
        let Method::Container(read) = MBOX.method else {
            unreachable!()
        };
        let mapping = Default::default();
        let unpacked = Default::default();
        let limits = Limits {
            max_file_bytes: 1000,
            mapping: &mapping,
            unpacked: &unpacked,
        };
        let e = read(&path, "x.mbox", &limits, &mut |_| Ok(())).unwrap_err();
        assert_eq!(e.kind, FailureKind::Corrupt);
    }
}
