//! Extractors: one per source format, chosen by file extension.
//!
//! Each format lives in its own file and exposes an [`Extractor`]: its format, a name and a
//! version (bumped whenever its output changes, so an index can tell which files to re-extract),
//! the extensions it claims, and a function from a file's bytes to an [`Extracted`] document.
//! Extractors are pure: they never print and never panic on input; a file they cannot read
//! comes back as an `Err(reason)` that the indexer reports with the path and skips.

mod decode;
pub mod frontmatter;
mod html;
mod markdown;
mod text;

pub use decode::decode_text;

use crate::document::{Document, Format};
use std::io::Read;
use std::path::Path;

/// What an extractor returns for one file: the document and any non-fatal warnings.
#[derive(Debug)]
pub struct Extracted {
    /// The extracted document.
    pub doc: Document,
    /// Problems that did not stop extraction (e.g. malformed front matter).
    pub warnings: Vec<String>,
}

/// A format's extractor.
#[derive(Debug)]
pub struct Extractor {
    /// The format it produces.
    pub format: Format,
    /// Its name, e.g. `markdown`.
    pub name: &'static str,
    /// Its version: changes whenever its output for the same input changes.
    pub version: u32,
    /// File extensions it claims, lower case, without the dot.
    pub extensions: &'static [&'static str],
    /// Extracts a document from `bytes`; `path` is the display path to record.
    pub extract: fn(path: &str, bytes: &[u8]) -> Result<Extracted, String>,
}

/// Every extractor, in a fixed order.
pub const EXTRACTORS: &[Extractor] = &[text::EXTRACTOR, markdown::EXTRACTOR, html::EXTRACTOR];

/// The extractor for a path, by its extension (case-insensitive).
pub fn for_path(path: &Path) -> Option<&'static Extractor> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    EXTRACTORS
        .iter()
        .find(|e| e.extensions.contains(&ext.as_str()))
}

/// Reads and extracts one file. `display` is the path recorded in the document. Files larger
/// than `max_bytes` are refused without being read.
pub fn extract_file(
    extractor: &Extractor,
    path: &Path,
    display: &str,
    max_bytes: u64,
) -> Result<Extracted, String> {
    let file = std::fs::File::open(path).map_err(|e| crate::error::io_reason(&e))?;
    let len = file
        .metadata()
        .map_err(|e| crate::error::io_reason(&e))?
        .len();
    if len > max_bytes {
        return Err(format!(
            "file too large ({} MB; the limit is {} MB)",
            len / 1_000_000,
            max_bytes / 1_000_000
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::error::io_reason(&e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!(
            "file too large (over {} MB)",
            max_bytes / 1_000_000
        ));
    }
    (extractor.extract)(display, &bytes)
}

/// A title derived from a file name when the document declares none: the file stem with
/// `-` and `_` turned into spaces.
pub(crate) fn title_from_path(path: &str) -> String {
    let stem = Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(path);
    stem.replace(['-', '_'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extractors_are_chosen_by_extension() {
        assert_eq!(
            for_path(Path::new("a/b.MD")).unwrap().format,
            Format::Markdown
        );
        assert_eq!(
            for_path(Path::new("b.markdown")).unwrap().format,
            Format::Markdown
        );
        assert_eq!(for_path(Path::new("b.htm")).unwrap().format, Format::Html);
        assert_eq!(for_path(Path::new("b.txt")).unwrap().format, Format::Text);
        assert!(for_path(Path::new("b.exe")).is_none());
        assert!(for_path(Path::new("Makefile")).is_none());
    }

    #[test]
    fn titles_from_paths() {
        assert_eq!(
            title_from_path("corpus/zhenhua-data_leak.md"),
            "zhenhua data leak"
        );
    }
}
