//! Images (PNG, JPEG, TIFF with all its pages): their text read by OCR ([`super::ocr`]). Runs
//! isolated in a worker process, like every format a helper program parses.
//!
//! Each page of the image is a page of the document, so a passage cites the page of a
//! multi-page TIFF it was read on; each paragraph Tesseract finds is a block. The title is the
//! file name (what OCR reads first is too often a letterhead or a stamp). A page whose words
//! average a confidence under [`ocr::NOISE_CONFIDENCE`] is noise (a photograph, speckles) and left
//! out. Without Tesseract, or with `--ocr never`, an image is skipped as having no text layer,
//! with the reason.

use super::ocr::{self, Mode, Settings};
use super::{Extracted, Extractor, Failure, FailureKind, Isolate, Method};
use crate::document::{Document, Format, Metadata, TextBuilder};

/// The image extractor.
pub const EXTRACTOR: Extractor = Extractor {
    format: Format::Image,
    name: "image-ocr",
    version: 1,
    extensions: &["png", "jpg", "jpeg", "tif", "tiff"],
    isolate: Isolate::Always,
    method: Method::Document(extract),
};

fn extract(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    let settings = Settings::from_env();
    if settings.mode == Mode::Never {
        return Err(Failure::new(
            FailureKind::NoTextLayer,
            "an image: OCR is turned off (--ocr never)",
        ));
    }
    let Some(program) = ocr::program() else {
        return Err(Failure::new(
            FailureKind::NoTextLayer,
            format!("an image, which needs OCR ({})", ocr::INSTALL_HINT),
        ));
    };
    let deadline = super::worker::budget().map(|(started, limit)| started + limit);
    let pages =
        ocr::recognize(program, bytes, &settings.languages, deadline).map_err(|f| {
            match f.kind {
                FailureKind::Corrupt => Failure::new(
                    FailureKind::Corrupt,
                    format!("not a readable image ({})", f.message),
                ),
                _ => f,
            }
        })?;
    // Noise (a photograph, a blank page's speckles) reads as a few words of low confidence.
    let (pages, noise) = ocr::without_noise(pages);
    let mut out = TextBuilder::new();
    for page in &pages {
        for paragraph in &page.paragraphs {
            let line = out.next_text_line();
            out.push(paragraph, line, Some(page.number), None);
        }
    }
    let (text, blocks) = out.finish();
    let noise_pages = noise
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if blocks.is_empty() {
        return Err(Failure::new(
            FailureKind::NoText,
            if noise_pages.is_empty() {
                "OCR found no text".to_string()
            } else {
                format!(
                    "OCR found no text, only noise (words of confidence under {})",
                    ocr::NOISE_CONFIDENCE
                )
            },
        ));
    }
    let mut meta = Metadata::default();
    super::title_or_file_name(&mut meta, path);
    let mut doc = Document::new(path, Format::Image, (text, blocks));
    doc.meta = meta;
    let read: usize = pages.iter().map(|p| p.words).sum();
    let mut warnings = Vec::new();
    if let Some(low) = pages
        .iter()
        .filter_map(|p| p.confidence.map(|c| (p.number, c)))
        .filter(|(_, c)| *c < LOW_CONFIDENCE)
        .map(|(n, c)| format!("page {n} ({c:.0})"))
        .reduce(|a, b| format!("{a}, {b}"))
    {
        warnings.push(format!(
            "OCR read {read} words with low confidence on {low}: check quotes against the image"
        ));
    }
    if !noise_pages.is_empty() {
        warnings.push(format!(
            "OCR read only noise on page(s) {noise_pages} (words of confidence under \
             {}): left out",
            ocr::NOISE_CONFIDENCE
        ));
    }
    Ok(Extracted {
        doc,
        warnings,
        pages: Some(pages.len() as u32),
    })
}

/// Below this mean word confidence (0 to 100) a page's text is said to be doubtful.
const LOW_CONFIDENCE: f32 = 60.0;
