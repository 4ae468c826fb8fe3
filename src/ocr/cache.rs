//! The OCR page cache: what each page read as, so that no build reads the same page twice.
//!
//! It lives in the index directory, in `ocr-cache/v1/` (the version of its format: a later
//! quarry that changes it starts a new folder and never misreads this one). Each entry is one
//! JSON file named by its key (32 hex digits, in 256 folders by the first two), holding the
//! pages Tesseract gave ([`Page`]: paragraphs with their confidences), before noise is left
//! out, so that what counts as noise can change without reading again.
//!
//! A key is the xxh3-128 of what was read and of everything that changes what OCR makes of it:
//! the languages, the resolution, the page segmentation mode and this format's version.
//! - [`Key::image`]: the bytes of the image itself (an image file, or a rendered PDF page), so
//!   a page found again in another file, or in a changed one, is not read again;
//! - [`Key::pdf_page`]: the hash of a PDF file and a page number, so that a PDF read before
//!   needs no rendering either.
//!
//! Entries are written atomically (a temporary file renamed into place), so parallel writes
//! and interrupted builds leave whole entries or none (the next build sweeps temporary files
//! left behind: [`Cache::remove_temporaries`]); an entry that cannot be read counts as
//! absent. Tesseract's version is not part of the key: upgrading it does not read a corpus
//! again (remove `ocr-cache/` to do that).

use super::engine::{Page, DPI};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The cache folder in an index directory.
pub const DIR: &str = "ocr-cache";
/// The version of the cache format (its subfolder, `v1`).
pub const VERSION: u32 = 1;
/// Tesseract's page segmentation mode: automatic, without orientation detection.
pub const PSM: u32 = 3;

/// The key of a cache entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    fn new(what: &str, content: u128, page: u32, languages: &str) -> Key {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(
            format!("quarry ocr {VERSION}\n{what}\n{content:032x}\n{page}\n{languages}\ndpi {DPI}\npsm {PSM}\n")
                .as_bytes(),
        );
        Key(format!("{:032x}", h.digest128()))
    }

    /// The key of an image (all its pages) read in `languages`.
    pub fn image(image: &[u8], languages: &str) -> Key {
        Key::new("image", xxhash_rust::xxh3::xxh3_128(image), 0, languages)
    }

    /// The key of page `page` of the PDF whose bytes hash to `file` (the manifest's content
    /// hash, 32 hex digits), read in `languages`.
    pub fn pdf_page(file: &str, page: u32, languages: &str) -> Key {
        let file = xxhash_rust::xxh3::xxh3_128(file.as_bytes());
        Key::new("pdf-page", file, page, languages)
    }

    /// Its 32 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One entry's file.
#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    pages: Vec<Page>,
}

/// The page cache of an index directory.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// The cache of the index in `index_dir`. Nothing is created until an entry is written.
    pub fn new(index_dir: &Path) -> Cache {
        Cache {
            root: index_dir.join(DIR).join(format!("v{VERSION}")),
        }
    }

    fn path(&self, key: &Key) -> PathBuf {
        self.root.join(&key.0[..2]).join(format!("{}.json", key.0))
    }

    /// The pages stored under `key`, if any (an entry that cannot be read counts as none).
    pub fn get(&self, key: &Key) -> Option<Vec<Page>> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        (entry.version == VERSION).then_some(entry.pages)
    }

    /// Stores `pages` under `key`, atomically.
    pub fn put(&self, key: &Key, pages: &[Page]) -> std::io::Result<()> {
        let path = self.path(key);
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".entry-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        let entry = Entry {
            version: VERSION,
            pages: pages.to_vec(),
        };
        serde_json::to_writer(&mut temp, &entry)?;
        temp.flush()?;
        temp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }

    /// Removes the temporary files of writes that a killed build left behind. Call only while
    /// holding the index's write lock (no other build writes then).
    pub fn remove_temporaries(&self) {
        let Ok(shards) = std::fs::read_dir(&self.root) else {
            return;
        };
        for shard in shards.flatten() {
            let Ok(files) = std::fs::read_dir(shard.path()) else {
                continue;
            };
            for file in files.flatten() {
                let name = file.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(".entry-") && name.ends_with(".tmp") {
                    let _ = std::fs::remove_file(file.path());
                }
            }
        }
    }

    /// How many entries the cache holds and their size in bytes.
    pub fn size(&self) -> (u64, u64) {
        let mut entries = 0;
        let mut bytes = 0;
        let Ok(shards) = std::fs::read_dir(&self.root) else {
            return (0, 0);
        };
        for shard in shards.flatten() {
            let Ok(files) = std::fs::read_dir(shard.path()) else {
                continue;
            };
            for file in files.flatten() {
                if file.file_name().to_string_lossy().ends_with(".json") {
                    entries += 1;
                    bytes += file.metadata().map_or(0, |m| m.len());
                }
            }
        }
        (entries, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::Paragraph;

    #[test]
    fn entries_are_kept_by_what_was_read_and_how() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let key = Key::image(b"pixels", "eng");
        assert_eq!(cache.get(&key), None);
        assert!(
            !dir.path().join(DIR).exists(),
            "nothing made before a write"
        );
        let pages = vec![Page {
            number: 1,
            paragraphs: vec![Paragraph {
                text: "Internal memo".into(),
                confidence: Some(91.0),
            }],
            confidence: Some(91.0),
            words: 2,
        }];
        cache.put(&key, &pages).unwrap();
        assert_eq!(cache.get(&key), Some(pages.clone()));
        assert_eq!(cache.size().0, 1);
        // Other languages, other content, another page: other keys.
        assert_ne!(Key::image(b"pixels", "eng+rus"), key);
        assert_ne!(Key::image(b"pixelz", "eng"), key);
        assert_ne!(Key::pdf_page("7", 1, "eng"), Key::pdf_page("7", 2, "eng"));
        assert_eq!(key.as_str().len(), 32);
        // A damaged entry is no entry, and is replaced by the next write.
        std::fs::write(cache.path(&key), b"{not json").unwrap();
        assert_eq!(cache.get(&key), None);
        cache.put(&key, &pages).unwrap();
        assert_eq!(cache.get(&key), Some(pages));
        // A killed write's temporary file is swept; entries stay.
        let shard = cache.path(&key).parent().unwrap().to_path_buf();
        std::fs::write(shard.join(".entry-x1.tmp"), b"half").unwrap();
        cache.remove_temporaries();
        assert!(!shard.join(".entry-x1.tmp").exists());
        assert_eq!(cache.size().0, 1);
    }
}
