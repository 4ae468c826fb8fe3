//! Optical character recognition: what makes scanned PDF pages and images searchable.
//!
//! Extractors only say what needs reading ([`Need`]: the pages of a PDF without a usable text
//! layer, or a whole image); the indexer then reads those pages here, outside the extraction
//! worker, one page per indexing thread ([`pass`]), each page by its own helper processes with
//! a deadline and a memory limit, so a bad page costs that page. What a page read as is kept in
//! the index directory's page cache ([`cache`]), so no build reads the same page twice.
//!
//! - [`engine`]: poppler's `pdftoppm` renders a page, Tesseract reads it (TSV: words with their
//!   confidence), and noise (a photograph, speckles) is told from text.
//! - [`languages`]: Tesseract's language codes, from `--ocr-lang`, `ocr_lang` in `quarry.toml`
//!   or a folder's declared language, checked against the languages installed.
//! - [`cache`]: the page cache, keyed by the page image (and the file and page number) and
//!   the settings that change what OCR reads.
//! - [`pass`]: reads what a file needs, in parallel and through the cache, and merges it into
//!   the document, each block carrying its OCR confidence.

pub mod cache;
pub mod engine;
pub mod languages;
pub mod pass;

pub use engine::{
    program, recognize, render_page, renderer, without_noise, Page, Paragraph, DPI,
    NOISE_CONFIDENCE,
};
use serde::{Deserialize, Serialize};

/// Whether to read text from images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Where there is no text otherwise (images, PDF pages without a usable text layer), when
    /// Tesseract is installed.
    #[default]
    Auto,
    /// Every image and every PDF page, its text layer replaced where OCR reads one (for text
    /// layers that are garbage); an error when Tesseract is not installed.
    Always,
    /// Never: images and scanned pages are skipped.
    Never,
}

impl Mode {
    /// The mode named `name` (`auto`, `always`, `never`).
    pub fn parse(name: &str) -> Option<Mode> {
        match name.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Mode::Auto),
            "always" => Some(Mode::Always),
            "never" => Some(Mode::Never),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Always => "always",
            Mode::Never => "never",
        }
    }
}

/// What `quarry index` was told about OCR on its command line; what it leaves open comes from
/// each corpus's `quarry.toml` (`ocr`, `ocr_lang`), then from a file's declared language, then
/// from the defaults (`auto`, `eng`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--ocr`.
    pub mode: Option<Mode>,
    /// `--ocr-lang`: Tesseract's codes joined by `+`.
    pub languages: Option<String>,
}

/// How to OCR one file: the mode and Tesseract's languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Whether to OCR.
    pub mode: Mode,
    /// Tesseract's language codes joined by `+` (`eng`, `eng+rus`).
    pub languages: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            mode: Mode::Auto,
            languages: languages::DEFAULT.to_string(),
        }
    }
}

impl Need {
    /// Whether `mode` leaves anything to read: an image, or pages (without a text layer, or
    /// all of them with `always`).
    pub fn has_work(&self, mode: Mode) -> bool {
        match (self, mode) {
            (_, Mode::Never) => false,
            (Need::Image, _) => true,
            (Need::Pages { without_text, .. }, Mode::Auto) => !without_text.is_empty(),
            (Need::Pages { all, .. }, Mode::Always) => !all.is_empty(),
        }
    }
}

impl Settings {
    /// What changes the text OCR gives a file (for noticing, in the manifest, that its files
    /// must be read again): the mode, the languages, and whether Tesseract is installed.
    pub fn key(&self) -> String {
        if self.mode == Mode::Never {
            return "ocr never".to_string();
        }
        format!(
            "ocr {} {} {}",
            self.mode.name(),
            self.languages,
            if available() { "installed" } else { "absent" }
        )
    }
}

/// What a file needs read by OCR, as its extractor found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// Pages of a PDF: those without a usable text layer (none, or garbage) are read in mode
    /// `auto`; `always` reads them all.
    Pages {
        /// 1-based numbers of every page read (what `always` reads).
        all: Vec<u32>,
        /// 1-based numbers of the pages without a usable text layer.
        without_text: Vec<u32>,
    },
    /// The whole file is an image; each of its frames (a multi-page TIFF's pages) a page.
    Image,
}

/// Whether `languages` is a list of Tesseract language codes joined by `+` (`eng`, `chi_sim`,
/// `eng+rus`): letters, digits and `_` only, so it is never taken for an option.
pub fn valid_languages(languages: &str) -> bool {
    !languages.is_empty()
        && languages.split('+').all(|code| {
            !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// The hint for a machine without Tesseract.
pub const INSTALL_HINT: &str =
    "install Tesseract, e.g. apt-get install tesseract-ocr tesseract-ocr-eng";

/// Whether OCR can run here: Tesseract is installed (PDF pages also need `pdftoppm`: see
/// [`pass::missing_programs`]).
pub fn available() -> bool {
    program().is_some()
}
