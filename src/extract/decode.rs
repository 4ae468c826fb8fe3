//! Turning a file's bytes into text, or saying why not.
//!
//! In order: a byte-order mark (UTF-8, UTF-16 LE/BE) decides; the every-other-byte NULs of
//! mostly-ASCII text mark UTF-16 without a byte-order mark; any other file with NUL bytes in
//! its first 8 KB is binary and refused; valid UTF-8 is UTF-8; otherwise the encoding the file
//! declares (an HTML `<meta charset>`) is used if known, else chardetng guesses among legacy
//! encodings (Windows-1252, Windows-1251, KOI8-R, GBK, Shift_JIS, ...). Bytes that are invalid in
//! the chosen encoding become U+FFFD rather than stopping the file. Line endings are normalised
//! to `\n`, so offsets and line numbers agree across platforms.

use super::{Failure, FailureKind};
use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// Decoded text and the encoding it was read as.
#[derive(Debug)]
pub struct Decoded {
    /// The text, newlines normalised.
    pub text: String,
    /// The name of the encoding used, e.g. `UTF-8` or `windows-1251`.
    pub encoding: &'static str,
}

/// Decodes `bytes` as text; `declared` is an encoding label the file itself gives, if any.
pub fn decode(bytes: &[u8], declared: Option<&str>) -> Result<Decoded, Failure> {
    let (encoding, body): (&'static Encoding, &[u8]) =
        if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
            (UTF_8, rest)
        } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
            (UTF_16LE, rest)
        } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
            (UTF_16BE, rest)
        } else if let Some(utf16) = sniff_utf16(head(bytes)) {
            (utf16, bytes)
        } else {
            if head(bytes).contains(&0) {
                return Err(binary());
            }
            if std::str::from_utf8(bytes).is_ok() {
                (UTF_8, bytes)
            } else {
                let declared = declared
                    .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
                    .filter(|e| *e != UTF_8 && *e != UTF_16LE && *e != UTF_16BE);
                let guessed = declared.unwrap_or_else(|| {
                    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
                    detector.feed(bytes, true);
                    detector.guess(None, Utf8Detection::Allow)
                });
                (guessed, bytes)
            }
        };
    let (text, _had_errors) = encoding.decode_without_bom_handling(body);
    Ok(Decoded {
        text: normalise_newlines(text.into_owned()),
        encoding: encoding.name(),
    })
}

/// The bytes that decide whether a file is text: its first 8 KB.
pub fn head(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.len().min(HEAD_BYTES)]
}

/// How many leading bytes [`decode`] (and [`is_binary_head`]) look at.
pub const HEAD_BYTES: usize = 8192;

/// The failure of a binary file.
pub(crate) fn binary() -> Failure {
    Failure::new(FailureKind::Binary, "binary file (contains NUL bytes)")
}

/// Whether a file starting with `head` would be refused as binary by [`decode`]: so a large
/// file can be judged from its first bytes before it is read whole.
pub fn is_binary_head(head: &[u8]) -> bool {
    let head = &head[..head.len().min(HEAD_BYTES)];
    head.contains(&0)
        && !head.starts_with(&[0xFF, 0xFE])
        && !head.starts_with(&[0xFE, 0xFF])
        && sniff_utf16(head).is_none()
}

/// UTF-16 without a byte-order mark: mostly ASCII text whose every other byte is NUL, at odd
/// offsets (little-endian) or even ones (big-endian) only.
fn sniff_utf16(head: &[u8]) -> Option<&'static Encoding> {
    if head.len() < 16 {
        return None;
    }
    let pairs = head.len() / 2;
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    if even == 0 && odd * 10 >= pairs * 7 {
        Some(UTF_16LE)
    } else if odd == 0 && even * 10 >= pairs * 7 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Decodes `bytes` as text with no declared encoding.
pub fn decode_text(bytes: &[u8]) -> Result<String, Failure> {
    decode(bytes, None).map(|d| d.text)
}

fn normalise_newlines(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_without_a_byte_order_mark_is_text_not_binary() {
        let le: Vec<u8> = "UTF-16 text without a mark"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "UTF-16 text without a mark"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(!is_binary_head(&le));
        assert_eq!(decode_text(&le).unwrap(), "UTF-16 text without a mark");
        assert_eq!(decode_text(&be).unwrap(), "UTF-16 text without a mark");
        assert!(is_binary_head(
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00"
        ));
        assert!(decode_text(&[0u8; 64]).is_err());
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode_text(b"caf\xC3\xA9").unwrap(), "café");
        assert_eq!(decode_text(b"\xEF\xBB\xBFcaf\xC3\xA9").unwrap(), "café");
    }

    #[test]
    fn utf16_both_orders() {
        let le: Vec<u8> = [0xFF, 0xFE, b'h', 0, b'i', 0].to_vec();
        let be: Vec<u8> = [0xFE, 0xFF, 0, b'h', 0, b'i'].to_vec();
        assert_eq!(decode_text(&le).unwrap(), "hi");
        assert_eq!(decode_text(&be).unwrap(), "hi");
    }

    #[test]
    fn binary_is_refused_with_a_reason() {
        let err = decode_text(b"\x7FELF\x00\x01\x02").unwrap_err();
        assert_eq!(err.kind, FailureKind::Binary);
    }

    #[test]
    fn legacy_encodings_are_detected() {
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251
            .encode("В докладе описаны сети аккаунтов, которые распространяли пропаганду.");
        let d = decode(&cp1251, None).unwrap();
        assert_eq!(d.encoding, "windows-1251");
        assert!(d.text.contains("пропаганду"));

        let (koi8, _, _) = encoding_rs::KOI8_R
            .encode("В докладе описаны сети аккаунтов, которые распространяли пропаганду.");
        let d = decode(&koi8, None).unwrap();
        assert!(d.text.contains("пропаганду"), "{} {}", d.encoding, d.text);

        let d = decode(b"The na\xefve r\xe9sum\xe9 of the caf\xe9.", None).unwrap();
        assert_eq!(d.text, "The naïve résumé of the café.");
    }

    #[test]
    fn a_declared_encoding_is_used_when_the_bytes_are_not_utf8() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("Пропаганда");
        let d = decode(&bytes, Some("windows-1251")).unwrap();
        assert_eq!(d.text, "Пропаганда");
        // Valid UTF-8 wins over a wrong declaration.
        let d = decode("Пропаганда".as_bytes(), Some("windows-1251")).unwrap();
        assert_eq!(d.text, "Пропаганда");
    }

    #[test]
    fn newlines_are_normalised() {
        assert_eq!(decode_text(b"a\r\nb\rc").unwrap(), "a\nb\nc");
    }
}
