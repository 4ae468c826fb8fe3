//! Turning a file's bytes into text, or saying why not.
//!
//! Accepts UTF-8 (with or without a byte-order mark) and UTF-16 LE/BE with a byte-order mark.
//! Anything else that is not valid UTF-8 is refused with a reason rather than indexed as
//! mojibake; a file with NUL bytes and no UTF-16 mark is refused as binary. Line endings are
//! normalised to `\n`, so offsets and line numbers agree across platforms.

/// Decodes `bytes` as text, or returns the reason it is not text quarry can read.
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    let text = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        utf8(rest)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, u16::from_be_bytes)?
    } else {
        let head = &bytes[..bytes.len().min(8192)];
        if head.contains(&0) {
            return Err("binary file (contains NUL bytes)".to_string());
        }
        utf8(bytes)?
    };
    Ok(normalise_newlines(text))
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let head = &bytes[..bytes.len().min(8192)];
            if head.contains(&0) {
                return Err("binary file (contains NUL bytes)".to_string());
            }
            Err(format!(
                "not valid UTF-8 (invalid byte at offset {}; convert the file to UTF-8)",
                e.valid_up_to()
            ))
        }
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, String> {
    if !bytes.len().is_multiple_of(2) {
        return Err("truncated UTF-16 text (odd number of bytes)".to_string());
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| "invalid UTF-16 text (unpaired surrogate)".to_string())
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
    fn binary_and_invalid_are_refused_with_reasons() {
        assert!(decode_text(b"\x7FELF\x00\x01\x02")
            .unwrap_err()
            .contains("binary"));
        let err = decode_text(b"abc\xE9def").unwrap_err();
        assert!(err.contains("offset 3"), "{err}");
    }

    #[test]
    fn newlines_are_normalised() {
        assert_eq!(decode_text(b"a\r\nb\rc").unwrap(), "a\nb\nc");
    }
}
