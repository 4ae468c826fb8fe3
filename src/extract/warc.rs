//! Web archives (`.warc`, `.warc.gz`), as the Internet Archive, Webrecorder and Browsertrix
//! write them: each captured page a document, streamed record by record.
//!
//! A WARC file is a sequence of records, each a block of `Name: value` headers and a body of
//! `Content-Length` bytes; a `.warc.gz` is one gzip member per record, read as one stream.
//! Records are handled by type:
//!
//! - `response` (an HTTP exchange) and `resource` (a stored file): the payload, after the HTTP
//!   headers, de-chunked and decompressed (`gzip`, `deflate`) when the server sent it so, goes
//!   to the extractor of its content type: HTML pages to the HTML extractor, PDFs to the PDF
//!   one (in a worker), plain text to the text one. Its target URL is the document's `url`, its
//!   site (the host without `www.`) the publisher when the page names none, and the capture
//!   date (`WARC-Date`) its date when the page declares none; `extra.captured` always holds
//!   the capture time. It is cited as `crawl.warc.gz!/20200301120000/example.org/news/story`,
//!   as the Wayback Machine shows captures (two captures of one URL stay apart).
//! - `revisit` (a capture identical to an earlier one), `request`, `metadata`, `warcinfo`:
//!   skipped, counted in one warning; so are responses that are not 2xx and payloads of other
//!   types (images, scripts, styles).
//!
//! Bytes between records that are not a record (damage, a stray line) are passed over to the
//! next `WARC/` line, with a warning, rather than ending the file.
//!
//! Memory stays bounded whatever the file's size: header blocks are capped at 64 KiB, a
//! payload larger than the file size limit is skipped as it streams past, and one record is
//! held at a time. A truncated file keeps the captures read before the break, with a warning.
//!
//! The reader is ours rather than the `warc` crate's: that crate reads header lines without a
//! bound (a line without an end fills memory) and brings URL, date and parser crates this
//! stream format does not need.

use super::{
    inner_path, safe_name, ContainerSummary, Extractor, Failure, FailureKind, Inner, Isolate,
    Limits, Method, Part,
};
use crate::document::{Format, Metadata};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The WARC extractor (`.warc`, and `.warc.gz` by [`super::for_path`]).
pub const WARC: Extractor = Extractor {
    format: Format::WebArchive,
    name: "warc",
    version: 1,
    extensions: &["warc"],
    isolate: Isolate::Never,
    method: Method::Container(warc),
};

/// The largest header block of a record, and of an HTTP response inside it.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// A record's headers.
struct Headers(Vec<(String, String)>);

impl Headers {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How far past damage (bytes between records that are not a record) the reader looks for
/// the next record before it gives up on the file.
const MAX_RESYNC_BYTES: u64 = 64 * 1024 * 1024;

/// What [`read_headers`] found: the version line, the headers, and how many bytes that were
/// not a record it passed over first.
type Found = (String, Headers, u64);

/// Reads header lines up to an empty line; `None` at the end of the stream before any. Past
/// the first record, bytes that are not a record are passed over up to the next `WARC/` line.
fn read_headers(reader: &mut dyn BufRead, first: bool) -> Result<Option<Found>, String> {
    let mut total = 0usize;
    let mut line = Vec::new();
    let mut passed = 0u64;
    // Records are separated by empty lines.
    let version = loop {
        line.clear();
        let n = (&mut *reader)
            .take((MAX_HEADER_BYTES + 1) as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line).trim().to_string();
        if text.starts_with("WARC/") && n <= MAX_HEADER_BYTES {
            break text;
        }
        if text.is_empty() {
            continue;
        }
        if first {
            return Err("not a WARC file: it does not start with a WARC/1.x line".into());
        }
        passed += n as u64;
        if passed > MAX_RESYNC_BYTES {
            return Err(format!(
                "no record in the {} MB after the last one",
                MAX_RESYNC_BYTES / 1_000_000
            ));
        }
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        line.clear();
        let n = (&mut *reader)
            .take((MAX_HEADER_BYTES + 1) as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?;
        total += n;
        if n == 0 {
            return Err("the file ends inside a record's headers".into());
        }
        if total > MAX_HEADER_BYTES {
            return Err("a record's headers are longer than 64 KiB".into());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        if text.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(text.trim());
            }
            continue;
        }
        if let Some((k, v)) = text.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(Some((version, Headers(headers), passed)))
}

/// What the records that became no document were, for the one warning.
#[derive(Default)]
struct Passed {
    revisits: u64,
    other_records: u64,
    not_ok: u64,
    other_types: u64,
    too_large: u64,
}

fn warc(
    path: &Path,
    display: &str,
    limits: &Limits<'_>,
    sink: &mut dyn FnMut(Part) -> Result<(), String>,
) -> Result<ContainerSummary, Failure> {
    let (inner, _) = super::open_maybe_gzip(path)?;
    let mut reader = BufReader::with_capacity(1 << 20, inner);
    let mut summary = ContainerSummary::default();
    let mut passed = Passed::default();
    let mut records = 0u64;
    let mut names = super::Names::default();
    loop {
        let (_, headers) = match read_headers(&mut reader, records == 0) {
            Ok(Some((version, headers, passed))) => {
                if passed > 0 {
                    summary.warnings.push(format!(
                        "{passed} bytes that are not a record passed over before record {}",
                        records + 1
                    ));
                }
                (version, headers)
            }
            Ok(None) => break,
            Err(e) if records == 0 => return Err(Failure::new(FailureKind::Corrupt, e)),
            Err(e) => {
                summary
                    .warnings
                    .push(format!("stopped after {records} record(s): {e}"));
                break;
            }
        };
        records += 1;
        let Some(length) = headers
            .get("Content-Length")
            .and_then(|l| l.parse::<u64>().ok())
        else {
            summary.warnings.push(format!(
                "stopped at record {records}: it has no Content-Length"
            ));
            break;
        };
        let kind = headers.get("WARC-Type").unwrap_or("").to_ascii_lowercase();
        let target = headers
            .get("WARC-Target-URI")
            .unwrap_or("")
            .trim_matches(['<', '>']);
        // Captures of web addresses; a crawler's `dns:` lookups and the like are not pages.
        let web = target.starts_with("http://") || target.starts_with("https://");
        let wanted =
            matches!(kind.as_str(), "response" | "resource") && (web || kind == "resource");
        if !wanted || length > limits.max_file_bytes {
            match kind.as_str() {
                "revisit" => passed.revisits += 1,
                "response" | "resource" if web || kind == "resource" => passed.too_large += 1,
                _ => passed.other_records += 1,
            }
            if let Err(e) = skip(&mut reader, length) {
                summary
                    .warnings
                    .push(format!("the file breaks off in record {records}: {e}"));
                break;
            }
            continue;
        }
        let mut body = Vec::with_capacity(length.min(1 << 24) as usize);
        match (&mut reader).take(length).read_to_end(&mut body) {
            Ok(n) if n as u64 == length => {}
            Ok(_) => {
                summary.warnings.push(format!(
                    "the file breaks off in record {records}; the captures before it are kept"
                ));
                break;
            }
            Err(e) => {
                summary
                    .warnings
                    .push(format!("the file breaks off in record {records}: {e}"));
                break;
            }
        }
        let url = headers
            .get("WARC-Target-URI")
            .unwrap_or("")
            .trim_matches(['<', '>'])
            .to_string();
        let date = headers.get("WARC-Date").unwrap_or("").to_string();
        let payload = if kind == "response" {
            match http_payload(&body, limits.max_file_bytes) {
                Payload::Ok(content_type, bytes) => Some((content_type, bytes)),
                Payload::NotOk => {
                    passed.not_ok += 1;
                    None
                }
                Payload::Broken(e) => {
                    summary
                        .warnings
                        .push(format!("the capture of {url} skipped: {e}"));
                    None
                }
            }
        } else {
            let content_type = headers
                .get("Content-Type")
                .unwrap_or("")
                .to_ascii_lowercase();
            Some((content_type, body))
        };
        let Some((content_type, bytes)) = payload else {
            continue;
        };
        let Some(extension) = extension_for(&content_type, &url) else {
            passed.other_types += 1;
            continue;
        };
        let stamp: String = date.chars().filter(char::is_ascii_digit).take(14).collect();
        let bare = url
            .split_once("://")
            .map_or(url.as_str(), |(_, rest)| rest)
            .to_string();
        let name = names.unique(safe_name(&format!("{stamp}/{bare}")));
        let mut meta = Metadata::default();
        if url.starts_with("http://") || url.starts_with("https://") {
            meta.url = Some(url.clone());
            meta.publisher = host(&url);
        }
        meta.date =
            crate::date::PartialDate::parse(date.get(..10).unwrap_or(&date)).map(|d| d.to_string());
        if !date.is_empty() {
            meta.extra.insert("captured".into(), date.clone().into());
        }
        summary.give(
            sink,
            Part::File(Inner {
                display: inner_path(display, &name),
                bytes,
                meta,
                parent: None,
                extension: Some(extension),
            }),
        )?;
    }
    let mut skipped = Vec::new();
    for (n, what) in [
        (
            passed.revisits,
            "revisit records (captures identical to earlier ones)",
        ),
        (
            passed.other_records,
            "request, metadata and warcinfo records",
        ),
        (passed.not_ok, "responses other than 2xx"),
        (
            passed.other_types,
            "payloads of other types (images, scripts, styles...)",
        ),
        (passed.too_large, "payloads larger than the file size limit"),
    ] {
        if n > 0 {
            skipped.push(format!("{n} {what}"));
        }
    }
    if !skipped.is_empty() {
        summary
            .warnings
            .push(format!("passed over {}", skipped.join(", ")));
    }
    if summary.parts == 0 && records == 0 {
        return Err(Failure::new(FailureKind::NoText, "an empty web archive"));
    }
    Ok(summary)
}

/// Reads and drops `length` bytes.
fn skip(reader: &mut dyn BufRead, length: u64) -> Result<(), String> {
    let copied =
        std::io::copy(&mut reader.take(length), &mut std::io::sink()).map_err(|e| e.to_string())?;
    if copied < length {
        return Err("the file ends inside a record".into());
    }
    Ok(())
}

enum Payload {
    Ok(String, Vec<u8>),
    NotOk,
    Broken(String),
}

/// The payload of an HTTP response: its content type and body, de-chunked and decompressed.
fn http_payload(response: &[u8], max_bytes: u64) -> Payload {
    // The headers end at the first empty line, whichever line ends they use.
    let crlf = find(response, b"\r\n\r\n").map(|i| i + 4);
    let lf = find(response, b"\n\n").map(|i| i + 2);
    let end = match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let Some(end) = end.filter(|&e| e <= MAX_HEADER_BYTES) else {
        return Payload::Broken("no end to its HTTP headers".into());
    };
    let head = String::from_utf8_lossy(&response[..end]);
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if !(200..300).contains(&status) {
        return Payload::NotOk;
    }
    let mut content_type = String::new();
    let mut chunked = false;
    let mut encoding = String::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let v = v.trim().to_ascii_lowercase();
            match k.trim().to_ascii_lowercase().as_str() {
                "content-type" => content_type = v,
                "transfer-encoding" => chunked = v.contains("chunked"),
                "content-encoding" => encoding = v,
                _ => {}
            }
        }
    }
    let mut body = response[end..].to_vec();
    if chunked {
        // Some crawlers store the body already de-chunked under a chunked header: a body that
        // does not parse as chunks is taken as it is.
        if let Some(b) = dechunk(&body) {
            body = b;
        }
    }
    let decoded = match encoding.as_str() {
        "" | "identity" => Ok(body),
        "gzip" | "x-gzip" => read_all(
            flate2::read::MultiGzDecoder::new(body.as_slice()),
            max_bytes,
        ),
        "deflate" => {
            read_all(flate2::read::ZlibDecoder::new(body.as_slice()), max_bytes).or_else(|_| {
                read_all(
                    flate2::read::DeflateDecoder::new(body.as_slice()),
                    max_bytes,
                )
            })
        }
        other => return Payload::Broken(format!("its content encoding '{other}' is not read")),
    };
    match decoded {
        Ok(b) => Payload::Ok(content_type, b),
        Err(e) => Payload::Broken(format!("cannot decompress it ({e})")),
    }
}

/// The most a compressed payload may unpack to.
const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a decompressed payload, to at most the file size limit (and 256 MB).
fn read_all(reader: impl Read, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let cap = max_bytes.min(MAX_DECODED_BYTES);
    let mut out = Vec::new();
    reader.take(cap + 1).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(std::io::Error::other(format!(
            "it unpacks to more than {} MB",
            cap / 1_000_000
        )));
    }
    Ok(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A chunked HTTP body joined, or `None` when it is malformed.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = find(body, b"\n") else {
            // Cut short after a whole chunk: what came is the capture.
            return (!out.is_empty()).then_some(out);
        };
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.trim().split(';').next()?.trim().to_string();
        let size = usize::from_str_radix(&size_text, 16).ok()?;
        body = &body[line_end + 1..];
        if size == 0 {
            return Some(out);
        }
        if body.len() < size {
            // A capture cut short keeps what it has.
            out.extend_from_slice(body);
            return Some(out);
        }
        if body.is_empty() {
            return Some(out);
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size..];
        body = body
            .strip_prefix(b"\r\n")
            .or_else(|| body.strip_prefix(b"\n"))
            .unwrap_or(body);
    }
}

/// The extension of the extractor for a payload, from its content type (else its URL's).
fn extension_for(content_type: &str, url: &str) -> Option<&'static str> {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    match mime {
        "text/html" | "application/xhtml+xml" => Some("html"),
        "application/pdf" => Some("pdf"),
        "text/plain" => Some("txt"),
        "text/markdown" => Some("md"),
        "text/csv" => Some("csv"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Some("docx"),
        "" | "application/octet-stream" => {
            let path = url
                .split(['?', '#'])
                .next()
                .unwrap_or(url)
                .to_ascii_lowercase();
            ["pdf", "html", "htm", "txt", "docx"]
                .into_iter()
                .find(|e| path.ends_with(&format!(".{e}")))
                .map(|e| if e == "htm" { "html" } else { e })
        }
        _ => None,
    }
}

/// The site of a URL: its host without `www.`.
fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_between_records_is_passed_over() {
        let record = |uri: &str, body: &str| {
            let block = format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n{body}");
            format!(
                "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\nWARC-Date: 2021-01-01T00:00:00Z\r\nContent-Length: {}\r\n\r\n{block}\r\n\r\n",
                block.len()
            )
        };
        let file = format!(
            "{}garbage line\r\nmore garbage\r\n{}",
            record("https://a.example/x", "first"),
            record("https://a.example/y", "second")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.warc");
        std::fs::write(&path, file).unwrap();
        let mapping = Default::default();
        let unpacked = Default::default();
        let limits = Limits {
            max_file_bytes: 1_000_000,
            mapping: &mapping,
            unpacked: &unpacked,
        };
        let mut shown = Vec::new();
        let summary = warc(&path, "a.warc", &limits, &mut |p| {
            if let Part::File(f) = p {
                shown.push(f.display);
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(shown.len(), 2, "{shown:?} {:?}", summary.warnings);
        assert!(summary.warnings[0].contains("not a record passed over"));
    }

    #[test]
    fn http_payloads_are_dechunked_and_typed() {
        let response = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<p>hi\r\n6\r\n there\r\n0\r\n\r\n";
        let Payload::Ok(ct, body) = http_payload(response, 1_000_000) else {
            panic!()
        };
        assert_eq!(ct, "text/html; charset=utf-8");
        assert_eq!(body, b"<p>hi there");
        assert!(matches!(
            http_payload(b"HTTP/1.1 404 Not Found\r\n\r\nno", 1_000_000),
            Payload::NotOk
        ));
        assert_eq!(extension_for("application/pdf", ""), Some("pdf"));
        assert_eq!(extension_for("image/png", "x.png"), None);
        assert_eq!(
            host("https://www.Example.org:443/a?b").as_deref(),
            Some("example.org")
        );
    }
}
