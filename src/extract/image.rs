//! Images (PNG, JPEG, TIFF with all its pages): their text is read by OCR.
//!
//! The extractor only checks that the file is an image of a kind Tesseract reads (by its
//! signature) and names the document after the file (what OCR reads first is too often a
//! letterhead or a stamp); it asks the indexer to read the whole image ([`crate::ocr::Need`]),
//! which [`crate::ocr::pass`] does through the page cache, with Tesseract in a process of its
//! own. Each page of the image (a multi-page TIFF's frames) is a page of the document, so a
//! passage cites the page it was read on; each paragraph Tesseract finds is a block. Without
//! Tesseract, or with `--ocr never`, an image is skipped as having no text layer, with the
//! reason.

use super::{Extracted, Extractor, Failure, FailureKind, Isolate, Method};
use crate::document::{Document, Format, Metadata, TextBuilder};

/// The image extractor.
pub const EXTRACTOR: Extractor = Extractor {
    format: Format::Image,
    name: "image-ocr",
    version: 2,
    extensions: &["png", "jpg", "jpeg", "tif", "tiff"],
    // Nothing is parsed here: Tesseract reads the image in a process of its own.
    isolate: Isolate::Never,
    method: Method::Document(extract),
};

/// Whether `bytes` start like a PNG, JPEG or TIFF file.
fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
}

fn extract(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    if !is_image(bytes) {
        return Err(Failure::new(
            FailureKind::Corrupt,
            "not a readable image (no PNG, JPEG or TIFF signature)",
        ));
    }
    let mut meta = Metadata::default();
    super::title_or_file_name(&mut meta, path);
    let mut doc = Document::new(path, Format::Image, TextBuilder::new().finish());
    doc.meta = meta;
    let mut x = Extracted::new(doc);
    x.ocr = Some(crate::ocr::Need::Image);
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_signature_and_left_to_ocr() {
        let x = extract("scans/memo.png", b"\x89PNG\r\n\x1a\n....").unwrap();
        assert_eq!(x.ocr, Some(crate::ocr::Need::Image));
        assert!(x.doc.blocks.is_empty());
        assert!(x.doc.meta.title.is_some());
        assert!(extract("a.jpg", &[0xFF, 0xD8, 0xFF, 0xE0]).is_ok());
        assert!(extract("a.tif", b"II*\0rest").is_ok());
        let err = extract("a.png", b"<html>not an image").unwrap_err();
        assert_eq!(err.kind, FailureKind::Corrupt);
    }
}
