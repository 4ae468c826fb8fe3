//! Errors of the quarry library.
//!
//! Every fallible library call returns [`Result`]. An [`Error`] carries a [`ErrorKind`] that callers
//! can match on (the binary maps kinds to exit codes), a lower-case message saying what went wrong,
//! naming the path concerned, and an optional hint saying what to do about it. `Display` renders
//! `message (hint)` on one line, so the binary can print `quarry: {error}` and nothing else: no
//! Rust debug text ever reaches a user.

use std::fmt;
use std::path::Path;

/// The broad class of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing a file or directory failed.
    Io,
    /// There is no index at the given location.
    NoIndex,
    /// The index exists but was written by an incompatible version of quarry.
    IncompatibleIndex,
    /// The index is damaged: a file fails its checksum, is missing or cannot be read.
    DamagedIndex,
    /// Another process holds the index's write lock.
    IndexLocked,
    /// The user's query could not be parsed.
    Query,
    /// An argument or input path is invalid (missing path, unknown id, ...).
    InvalidInput,
    /// A document could not be extracted (binary, undecodable, corrupt...).
    Extract,
    /// The search engine reported an unexpected failure.
    Engine,
    /// A search cluster (OpenSearch) could not be reached, or refused a request.
    Cluster,
}

/// A quarry error: a kind, a message and an optional hint.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
}

/// The result type of the quarry library.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A new error of `kind` with `message` (lower case, no trailing period).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds what the user can do about it, shown in parentheses after the message.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// An I/O error about `path`, e.g. `cannot read corpus/a.md: permission denied`.
    pub fn io(action: &str, path: &Path, err: &std::io::Error) -> Error {
        Error::new(
            ErrorKind::Io,
            format!("cannot {action} {}: {}", path.display(), io_reason(err)),
        )
    }

    /// An unexpected search-engine failure, with what quarry was doing.
    pub fn engine(context: &str, err: impl fmt::Display) -> Error {
        let text = err.to_string();
        let text: Vec<&str> = text.split_whitespace().collect();
        Error::new(ErrorKind::Engine, format!("{context}: {}", text.join(" ")))
    }

    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without the hint.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The hint, if any.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

/// An error is one line: whatever a message quotes (a query, a path, a value from a document),
/// its control characters (line breaks, escape sequences) and bidi overrides show as spaces.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::output::sanitize(&self.message))?;
        if let Some(hint) = &self.hint {
            write!(f, " ({})", crate::output::sanitize(hint))?;
        }
        Ok(())
    }
}

/// The longest piece of user input a message quotes, in characters.
const MAX_QUOTED_CHARS: usize = 80;

/// User input to quote in a message: made safe for a terminal and cut to 80 characters with
/// `…`, so a huge query or value never floods an error line.
pub fn quote_input(input: &str) -> String {
    let safe = crate::output::sanitize(input);
    match safe.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &safe[..cut]),
        None => safe,
    }
}

impl std::error::Error for Error {}

/// A short, lower-case reason for an I/O error, without the OS error number.
pub fn io_reason(err: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match err.kind() {
        K::NotFound => "no such file or directory".to_string(),
        K::PermissionDenied => "permission denied".to_string(),
        K::IsADirectory => "is a directory".to_string(),
        K::InvalidData => "invalid data".to_string(),
        _ => {
            // Strip the " (os error N)" suffix that std appends.
            let text = err.to_string();
            let text = match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            lowercase_first(&text)
        }
    }
}

/// `s` with its first letter in lower case, unless it starts an acronym (`PDF`, `IO`).
pub(crate) fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(_), Some(second)) if second.is_uppercase() => s.to_string(),
        (Some(first), _) => first.to_lowercase().chain(s.chars().skip(1)).collect(),
        (None, _) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_line_and_quote_input_shortened() {
        // Found by the query fuzz target: a query with a line break made a two-line error.
        let e = Error::new(ErrorKind::Query, "cannot parse the query 'a\nb\u{1b}[2J'")
            .with_hint("line\nbreak");
        assert_eq!(
            e.to_string(),
            "cannot parse the query 'a b [2J' (line break)"
        );
        let long = "x".repeat(1000);
        let quoted = quote_input(&long);
        assert_eq!(quoted.chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(quoted.ends_with('…'));
        assert_eq!(quote_input("Zhenhua\u{202e}"), "Zhenhua ");
    }

    #[test]
    fn display_is_one_line_with_hint() {
        let e = Error::new(ErrorKind::NoIndex, "no index at .quarry")
            .with_hint("build one with: quarry index corpus/");
        assert_eq!(
            e.to_string(),
            "no index at .quarry (build one with: quarry index corpus/)"
        );
        assert_eq!(e.kind(), ErrorKind::NoIndex);
    }

    #[test]
    fn lowercase_first_keeps_acronyms() {
        assert_eq!(
            lowercase_first("Startxref not found"),
            "startxref not found"
        );
        assert_eq!(lowercase_first("PDF parsing error"), "PDF parsing error");
        assert_eq!(lowercase_first(""), "");
    }

    #[test]
    fn io_errors_name_the_path_without_os_codes() {
        let err = std::io::Error::from_raw_os_error(2);
        let e = Error::io("read", Path::new("corpus/a.md"), &err);
        assert_eq!(
            e.to_string(),
            "cannot read corpus/a.md: no such file or directory"
        );
    }
}
