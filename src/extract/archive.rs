//! ZIP and tar archives (`.zip`, `.tar`, `.tar.gz`, `.tgz`): each member a document (or a
//! record file, or another archive), read by the extractor of its name's extension, shown as
//! `bundle.zip!/dir/report.pdf`.
//!
//! Court and FOIA releases come as ZIP bundles. Members are read one at a time from the file
//! (never the whole archive in memory), under limits that make a zip bomb a warning rather than
//! a full disk or memory:
//!
//! - at most [`MAX_MEMBERS`] members are read;
//! - a member larger than the file size limit is skipped;
//! - at most [`MAX_TOTAL_FACTOR`] times the file size limit is unpacked from one walked file,
//!   the archives nested in it included (one budget, not one per archive);
//! - a member that unpacks to more than [`MAX_RATIO`] times its packed size (past 1 MB) is
//!   skipped as a bomb. Sizes are counted as bytes come out, not taken from the archive's own
//!   claims.
//!
//! Member names are made harmless ([`super::safe_name`]): `../../etc/passwd` is shown as
//! `etc/passwd`, and nothing is ever written under a member's name. Archives inside archives are
//! read to a bounded depth by the indexer. Encrypted members are skipped with a warning.

use super::{
    inner_path, safe_name, ContainerSummary, Extractor, Failure, FailureKind, Inner, Isolate,
    Limits, Method, Part,
};
use crate::document::{Format, Metadata};
use std::io::Read;
use std::path::Path;

/// The ZIP extractor.
pub const ZIP: Extractor = Extractor {
    format: Format::Archive,
    name: "zip",
    version: 1,
    extensions: &["zip"],
    isolate: Isolate::Never,
    method: Method::Container(zip),
};

/// The tar extractor (`.tar`; `.tar.gz` and `.tgz`, gzip-compressed, by extension too).
pub const TAR: Extractor = Extractor {
    format: Format::Archive,
    name: "tar",
    version: 1,
    extensions: &["tar", "tgz"],
    isolate: Isolate::Never,
    method: Method::Container(tar),
};

/// The most members read from one archive.
pub const MAX_MEMBERS: usize = 10_000;
/// The most bytes unpacked from one archive, as a multiple of the file size limit.
pub const MAX_TOTAL_FACTOR: u64 = 20;
/// The largest ratio of unpacked to packed size of a member (past 1 MB unpacked).
pub const MAX_RATIO: u64 = 200;

fn zip(
    path: &Path,
    display: &str,
    limits: &Limits<'_>,
    sink: &mut dyn FnMut(Part) -> Result<(), String>,
) -> Result<ContainerSummary, Failure> {
    let file = std::fs::File::open(path).map_err(|e| Failure::unreadable(&e))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| {
        Failure::new(
            FailureKind::Corrupt,
            format!("not a readable ZIP archive ({e})"),
        )
    })?;
    let mut summary = ContainerSummary::default();
    let budget = limits.max_file_bytes.saturating_mul(MAX_TOTAL_FACTOR);
    let mut names = super::Names::default();
    let mut unreadable = std::collections::BTreeMap::new();
    let members = archive.len();
    for i in 0..members {
        if i >= MAX_MEMBERS {
            summary.warnings.push(format!(
                "members after the first {MAX_MEMBERS} skipped ({members} in all)"
            ));
            break;
        }
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                summary
                    .warnings
                    .push(format!("member {} skipped: {e}", i + 1));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let shown = inner_path(
            display,
            &names.unique(safe_name(&String::from_utf8_lossy(entry.name_raw()))),
        );
        // Members nothing reads, and members over the limit by their declared size, are
        // passed over unread: they cost none of the archive's budget.
        if !readable(&shown, &mut unreadable) {
            continue;
        }
        let declared = entry.size();
        if declared > 1_000_000 && declared / entry.compressed_size().max(1) > MAX_RATIO {
            summary.warnings.push(format!(
                "{shown} skipped: it unpacks to more than {MAX_RATIO} times its packed size (a zip bomb?)"
            ));
            continue;
        }
        if declared > limits.max_file_bytes {
            summary
                .warnings
                .push(super::part_too_large(&shown, limits.max_file_bytes));
            continue;
        }
        if entry.encrypted() {
            summary.warnings.push(format!("{shown} skipped: encrypted"));
            continue;
        }
        // At most one byte past each limit is read, to tell that it was passed; the ratio is
        // checked as bytes come out, so a bomb costs a megabyte or so, not its claimed size.
        let cap = limits
            .max_file_bytes
            .min(budget.saturating_sub(limits.unpacked.get()))
            .saturating_add(1);
        let packed = entry.compressed_size().max(1);
        let mut bytes = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut bomb = false;
        let mut broken = None;
        while (bytes.len() as u64) < cap {
            let want = chunk.len().min((cap - bytes.len() as u64) as usize);
            match entry.read(&mut chunk[..want]) {
                Ok(0) => break,
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                Err(e) => {
                    broken = Some(e);
                    break;
                }
            }
            let size = bytes.len() as u64;
            if size > 1_000_000 && size / packed > MAX_RATIO {
                bomb = true;
                break;
            }
        }
        limits
            .unpacked
            .set(limits.unpacked.get().saturating_add(bytes.len() as u64));
        if bomb {
            summary.warnings.push(format!(
                "{shown} skipped: it unpacks to more than {MAX_RATIO} times its packed size (a zip bomb?)"
            ));
            continue;
        }
        if let Some(e) = broken {
            summary
                .warnings
                .push(format!("{shown} skipped: cannot unpack it ({e})"));
            continue;
        }
        let size = bytes.len() as u64;
        if size >= cap {
            if limits.unpacked.get() >= budget {
                summary.warnings.push(format!(
                    "stopped after unpacking {} MB, {MAX_TOTAL_FACTOR} times the file size limit (a zip bomb?); the members after {shown} are skipped",
                    limits.unpacked.get() / 1_000_000
                ));
                break;
            }
            summary
                .warnings
                .push(super::part_too_large(&shown, limits.max_file_bytes));
            continue;
        }
        let mut meta = Metadata {
            date: entry.last_modified().and_then(|t| {
                let (y, m, d) = (t.year(), t.month(), t.day());
                (y > 1980 && (1..=12).contains(&m) && (1..=31).contains(&d))
                    .then(|| format!("{y:04}-{m:02}-{d:02}"))
            }),
            ..Metadata::default()
        };
        if meta.date.is_some() {
            // A member's modification time is a guess at its date, as a PDF's creation date is.
            meta.guess("date");
        }
        summary.give(sink, Part::File(Inner::member(shown, bytes, meta)))?;
    }
    unreadable_warning(&unreadable, &mut summary);
    Ok(summary)
}

/// Reads a tar archive (gzip-compressed when it starts so) member by member, as a stream: the
/// same limits as ZIP, with the bytes unpacked from the whole stream counted against the
/// archive's budget (a tar's members are not compressed one by one).
fn tar(
    path: &Path,
    display: &str,
    limits: &Limits<'_>,
    sink: &mut dyn FnMut(Part) -> Result<(), String>,
) -> Result<ContainerSummary, Failure> {
    let (stream, packed) = super::open_maybe_gzip(path)?;
    let packed = packed.max(1);
    let budget = limits
        .max_file_bytes
        .saturating_mul(MAX_TOTAL_FACTOR)
        .saturating_sub(limits.unpacked.get());
    // A whole-stream bomb: more than what is left of the budget, or past the ratio.
    let cap = budget.min(packed.saturating_mul(MAX_RATIO));
    let read = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let mut archive = ::tar::Archive::new(Counted {
        inner: stream.take(cap.saturating_add(1)),
        read: read.clone(),
    });
    let entries = archive.entries().map_err(|e| {
        Failure::new(
            FailureKind::Corrupt,
            format!("not a readable tar archive ({e})"),
        )
    })?;
    let mut summary = ContainerSummary::default();
    let mut members = 0usize;
    let mut broken = None;
    let mut names = super::Names::default();
    let mut unreadable = std::collections::BTreeMap::new();
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                broken = Some(e.to_string());
                break;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        members += 1;
        if members > MAX_MEMBERS {
            summary
                .warnings
                .push(format!("members after the first {MAX_MEMBERS} skipped"));
            break;
        }
        let shown = inner_path(
            display,
            &names.unique(safe_name(&String::from_utf8_lossy(&entry.path_bytes()))),
        );
        if !readable(&shown, &mut unreadable) {
            continue;
        }
        let size = entry.size();
        if size > limits.max_file_bytes {
            summary
                .warnings
                .push(super::part_too_large(&shown, limits.max_file_bytes));
            continue;
        }
        let mut bytes = Vec::with_capacity(size.min(1 << 24) as usize);
        if let Err(e) = (&mut entry).take(size).read_to_end(&mut bytes) {
            broken = Some(format!("{shown}: {e}"));
            break;
        }
        if (bytes.len() as u64) < size {
            broken = Some(format!("{shown} is cut short"));
            break;
        }
        limits
            .unpacked
            .set(limits.unpacked.get().saturating_add(size));
        let meta = Metadata {
            date: entry.header().mtime().ok().and_then(date_of_unix),
            guessed: vec!["date".into()],
            ..Metadata::default()
        };
        summary.give(sink, Part::File(Inner::member(shown, bytes, meta)))?;
    }
    if let Some(e) = broken {
        if summary.parts == 0 && members == 0 {
            return Err(Failure::new(
                FailureKind::Corrupt,
                format!("not a readable tar archive ({e})"),
            ));
        }
        summary.warnings.push(format!(
            "the archive breaks off after {} member(s), or unpacks past its limits ({e})",
            summary.parts
        ));
    } else if read.get() > cap {
        // The stream stopped at its cap between two members: say so, members are missing.
        summary.warnings.push(format!(
            "stopped after unpacking {} MB, the most this archive may unpack (a bomb?); the members after the {}th are skipped",
            cap / 1_000_000,
            summary.parts
        ));
    }
    unreadable_warning(&unreadable, &mut summary);
    Ok(summary)
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Whether a member is of a type quarry reads; counts the others by extension.
fn readable(shown: &str, unreadable: &mut std::collections::BTreeMap<String, u64>) -> bool {
    if super::for_path(Path::new(shown)).is_some() {
        return true;
    }
    let ext = Path::new(shown).extension().map_or_else(
        || "no extension".to_string(),
        |e| format!(".{}", e.to_string_lossy().to_ascii_lowercase()),
    );
    *unreadable.entry(ext).or_insert(0) += 1;
    false
}

/// One warning for the members of types quarry does not read.
fn unreadable_warning(
    unreadable: &std::collections::BTreeMap<String, u64>,
    summary: &mut ContainerSummary,
) {
    if unreadable.is_empty() {
        return;
    }
    let n: u64 = unreadable.values().sum();
    let kinds: Vec<String> = unreadable
        .iter()
        .map(|(e, c)| format!("{e}: {c}"))
        .collect();
    summary.warnings.push(format!(
        "{n} member{} of types quarry does not read skipped ({})",
        if n == 1 { "" } else { "s" },
        kinds.join(", ")
    ));
}

/// `YYYY-MM-DD` of a Unix time (UTC), for years after 1980.
fn date_of_unix(secs: u64) -> Option<String> {
    let days = i64::try_from(secs / 86_400).ok()?;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y > 1980).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, bytes) in members {
                w.start_file(*name, options).unwrap();
                w.write_all(bytes).unwrap();
            }
            w.finish().unwrap();
        }
        out.into_inner()
    }

    fn read(bytes: &[u8], max: u64) -> (Vec<Inner>, ContainerSummary) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        std::fs::write(&path, bytes).unwrap();
        let mut parts = Vec::new();
        let summary = zip(
            &path,
            "bundle.zip",
            &Limits {
                max_file_bytes: max,
                mapping: &Default::default(),
                unpacked: &Default::default(),
            },
            &mut |p| {
                if let Part::File(f) = p {
                    parts.push(f);
                }
                Ok(())
            },
        )
        .unwrap();
        (parts, summary)
    }

    #[test]
    fn nested_archives_share_one_budget() {
        // As if the archives around this one had unpacked all but 10 bytes of the budget.
        let bytes = zip_of(&[("a.txt", &[b'x'; 100]), ("b.txt", b"more")]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inner.zip");
        std::fs::write(&path, bytes).unwrap();
        let unpacked = std::cell::Cell::new(1000 * MAX_TOTAL_FACTOR - 10);
        let mapping = Default::default();
        let limits = Limits {
            max_file_bytes: 1000,
            mapping: &mapping,
            unpacked: &unpacked,
        };
        let mut parts = 0;
        let summary = zip(&path, "outer.zip!/inner.zip", &limits, &mut |_| {
            parts += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(parts, 0);
        assert!(
            summary.warnings[0].contains("stopped after unpacking"),
            "{:?}",
            summary.warnings
        );
    }

    #[test]
    fn a_tar_past_its_unpacking_cap_says_so() {
        let mut raw = Vec::new();
        {
            let mut b = ::tar::Builder::new(&mut raw);
            for (name, size) in [("a.txt", 600usize), ("b.txt", 600)] {
                let mut h = ::tar::Header::new_ustar();
                h.set_size(size as u64);
                h.set_mode(0o644);
                h.set_cksum();
                b.append_data(&mut h, name, &vec![b'x'; size][..]).unwrap();
            }
            b.finish().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar");
        std::fs::write(&path, &raw).unwrap();
        // A budget that ends after the first member's blocks.
        let unpacked = std::cell::Cell::new(100 * MAX_TOTAL_FACTOR - 1536);
        let mapping = Default::default();
        let limits = Limits {
            max_file_bytes: 100,
            mapping: &mapping,
            unpacked: &unpacked,
        };
        let summary = tar(&path, "a.tar", &limits, &mut |_| Ok(())).unwrap();
        assert!(
            summary
                .warnings
                .iter()
                .any(|w| w.contains("stopped after unpacking") || w.contains("breaks off")),
            "{:?}",
            summary.warnings
        );
    }

    #[test]
    fn unix_times_are_dates() {
        assert_eq!(date_of_unix(1_622_548_800).as_deref(), Some("2021-06-01"));
        assert_eq!(date_of_unix(0), None);
    }

    #[test]
    fn members_are_files_with_harmless_names() {
        let bytes = zip_of(&[
            ("dir/notes.txt", b"plain notes"),
            ("../../etc/passwd.txt", b"root"),
            ("/abs/x.md", b"# x"),
            ("dir\\notes.txt", b"the same name once made harmless"),
            ("clip.mp4", b"not read"),
        ]);
        let (parts, summary) = read(&bytes, 1_000_000);
        let names: Vec<&str> = parts.iter().map(|p| p.display.as_str()).collect();
        assert_eq!(
            names,
            [
                "bundle.zip!/dir/notes.txt",
                "bundle.zip!/etc/passwd.txt",
                "bundle.zip!/abs/x.md",
                "bundle.zip!/dir/notes~2.txt",
            ]
        );
        assert_eq!(parts[0].bytes, b"plain notes");
        assert_eq!(summary.parts, 4);
        assert!(
            summary.warnings.iter().any(|w| w.contains(".mp4: 1")),
            "{:?}",
            summary.warnings
        );
    }

    #[test]
    fn bombs_and_oversized_members_are_skipped_and_said() {
        let zeros = vec![0u8; 5_000_000];
        let bytes = zip_of(&[("bomb.txt", &zeros), ("ok.txt", b"fine")]);
        let (parts, summary) = read(&bytes, 100_000_000);
        assert_eq!(parts.len(), 1);
        assert!(
            summary.warnings[0].contains("zip bomb"),
            "{:?}",
            summary.warnings
        );
        // Bytes that do not compress: over the size limit, not a bomb.
        let mut state = 7u64;
        let noise: Vec<u8> = (0..2_000_000)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 56) as u8
            })
            .collect();
        let bytes = zip_of(&[("big.bin.txt", &noise), ("ok.txt", b"fine")]);
        let (parts, summary) = read(&bytes, 1_000_000);
        assert_eq!(parts.len(), 1, "{:?}", summary.warnings);
        assert!(
            summary.warnings[0].contains("larger than the file size limit"),
            "{:?}",
            summary.warnings
        );
        // Not a ZIP at all.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.zip");
        std::fs::write(&path, b"PK\x03\x04 truncated").unwrap();
        let mapping = Default::default();
        let unpacked = Default::default();
        let limits = Limits {
            max_file_bytes: 1000,
            mapping: &mapping,
            unpacked: &unpacked,
        };
        let e = zip(&path, "b.zip", &limits, &mut |_| Ok(())).unwrap_err();
        assert_eq!(e.kind, FailureKind::Corrupt);
    }
}
