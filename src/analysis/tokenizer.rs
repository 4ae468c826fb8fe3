//! The script-aware tokenizer and the per-script stemming filter.
//!
//! [`ScriptTokenizer`] splits text into lower-cased words (runs of letters and digits, as
//! tantivy's simple tokenizer does) and writes scripts without spaces between words (Chinese,
//! Japanese, Korean) as overlapping bigrams of characters (a run of one character is kept as
//! it is), so 新疆 matches inside 新疆维吾尔自治区 and phrase queries work. `ё` is folded to `е`.
//! [`ScriptStemmer`] stems each token by its script: Cyrillic with the Russian stemmer, Arabic
//! with the Arabic stemmer, Latin with the stemmer of the field's language, others not at all.

use super::filter::TokenMap;
use crate::passage::is_cjk;
use frostem::{Algorithm, Stemmer};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Splits text into words and CJK bigrams, lower-cased.
#[derive(Clone, Debug, Default)]
pub struct ScriptTokenizer;

/// The streaming token stream of [`ScriptTokenizer`]: one reused token, no allocation per word.
pub struct ScriptTokenStream<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    token: Token,
    /// The last CJK character read, while inside a run of them.
    cjk: Option<(usize, char)>,
    /// Whether the current CJK run has produced a bigram yet.
    cjk_emitted: bool,
    started: bool,
}

impl<'a> ScriptTokenStream<'a> {
    fn new(text: &'a str) -> Self {
        ScriptTokenStream {
            text,
            chars: text.char_indices().peekable(),
            token: Token::default(),
            cjk: None,
            cjk_emitted: false,
            started: false,
        }
    }

    fn emit(&mut self, from: usize, to: usize) {
        if self.started {
            self.token.position += 1;
        } else {
            self.token.position = 0;
            self.started = true;
        }
        self.token.offset_from = from;
        self.token.offset_to = to;
    }
}

fn push_lower(out: &mut String, word: &str) {
    for c in word.chars() {
        match c {
            'Ё' | 'ё' => out.push('е'),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.extend(c.to_lowercase()),
        }
    }
}

impl TokenStream for ScriptTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some((i, a)) = self.cjk {
                match self.chars.peek().copied() {
                    Some((j, b)) if is_cjk(b) => {
                        self.chars.next();
                        self.cjk = Some((j, b));
                        self.cjk_emitted = true;
                        self.emit(i, j + b.len_utf8());
                        self.token.text.clear();
                        self.token.text.push(a);
                        self.token.text.push(b);
                        return true;
                    }
                    _ => {
                        self.cjk = None;
                        if !self.cjk_emitted {
                            self.emit(i, i + a.len_utf8());
                            self.token.text.clear();
                            self.token.text.push(a);
                            return true;
                        }
                    }
                }
            }
            let (i, c) = loop {
                match self.chars.next() {
                    None => return false,
                    Some((i, c)) if is_cjk(c) || c.is_alphanumeric() => break (i, c),
                    Some(_) => {}
                }
            };
            if is_cjk(c) {
                self.cjk = Some((i, c));
                self.cjk_emitted = false;
                continue;
            }
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = self.chars.peek() {
                if d.is_alphanumeric() && !is_cjk(d) {
                    end = j + d.len_utf8();
                    self.chars.next();
                } else {
                    break;
                }
            }
            self.emit(i, end);
            self.token.text.clear();
            push_lower(&mut self.token.text, &self.text[i..end]);
            return true;
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// The tokens of `text` (for tests and tools; indexing streams them).
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut stream = ScriptTokenStream::new(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

impl Tokenizer for ScriptTokenizer {
    type TokenStream<'a> = ScriptTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ScriptTokenStream<'a> {
        ScriptTokenStream::new(text)
    }
}

/// The writing system of a token, by its first letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Latin letters (and digits).
    Latin,
    /// Cyrillic.
    Cyrillic,
    /// Arabic (also Persian and Urdu letters).
    Arabic,
    /// Anything else (CJK bigrams, Greek, Hebrew, Devanagari...).
    Other,
}

/// The script of a token.
pub fn script_of(token: &str) -> Script {
    match token.chars().find(|c| c.is_alphabetic()) {
        None => Script::Latin,
        Some(c) => match c as u32 {
            0x0000..=0x024F | 0x1E00..=0x1EFF => Script::Latin,
            0x0400..=0x052F => Script::Cyrillic,
            0x0600..=0x06FF
            | 0x0750..=0x077F
            | 0x08A0..=0x08FF
            | 0xFB50..=0xFDFF
            | 0xFE70..=0xFEFF => Script::Arabic,
            _ => Script::Other,
        },
    }
}

/// Stems each token with the stemmer of its script (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct ScriptStemmer {
    /// The stemmer for Latin-script tokens, if any.
    pub latin: Option<Algorithm>,
}

/// The stemmers a tokenizer uses. (A cache of their results was measured: on the synthetic
/// benchmark corpus, hashing and copying words cost more than the stemming it saved.)
pub struct Stemmers {
    latin: Option<Stemmer>,
    russian: Stemmer,
    arabic: Stemmer,
}

impl Stemmers {
    fn new(latin: Option<Algorithm>) -> Stemmers {
        Stemmers {
            latin: latin.map(Stemmer::new),
            russian: Stemmer::new(Algorithm::Russian),
            arabic: Stemmer::new(Algorithm::Arabic),
        }
    }

    fn stem(&self, token: &mut String) {
        let stemmer = match script_of(token) {
            Script::Latin => self.latin.as_ref(),
            Script::Cyrillic => Some(&self.russian),
            Script::Arabic => Some(&self.arabic),
            Script::Other => None,
        };
        if let Some(stemmer) = stemmer {
            // Snowball stemmers mostly cut a suffix: keep the buffer and truncate it then.
            let cut = match stemmer.stem(token) {
                std::borrow::Cow::Borrowed(b) if token.starts_with(b) => Ok(b.len()),
                other => Err(other.into_owned()),
            };
            match cut {
                Ok(len) => token.truncate(len),
                Err(stemmed) => *token = stemmed,
            }
        }
    }
}

impl TokenMap for ScriptStemmer {
    type State = Stemmers;

    fn state(&self) -> Stemmers {
        Stemmers::new(self.latin)
    }

    fn map(stemmers: &mut Stemmers, text: &mut String) -> bool {
        stemmers.stem(text);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn words_are_lower_cased_and_cjk_runs_become_bigrams() {
        assert_eq!(texts("The IRA's ads"), ["the", "ira", "s", "ads"]);
        assert_eq!(texts("Ёлка"), ["елка"]);
        assert_eq!(texts("新疆维吾尔"), ["新疆", "疆维", "维吾", "吾尔"]);
        assert_eq!(texts("在新疆。"), ["在新", "新疆"]);
        assert_eq!(texts("A 疆 b"), ["a", "疆", "b"]);
        assert_eq!(texts("x新疆y"), ["x", "新疆", "y"]);
    }

    #[test]
    fn offsets_and_positions_are_exact() {
        let text = "Пригожин 新疆维";
        let tokens = tokenize(text);
        for (i, t) in tokens.iter().enumerate() {
            assert_eq!(t.position, i);
            assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
        }
        assert_eq!(
            &text[tokens[0].offset_from..tokens[0].offset_to],
            "Пригожин"
        );
        assert_eq!(&text[tokens[2].offset_from..tokens[2].offset_to], "疆维");
    }

    #[test]
    fn scripts_are_recognised() {
        assert_eq!(script_of("report"), Script::Latin);
        assert_eq!(script_of("2021"), Script::Latin);
        assert_eq!(script_of("пропаганда"), Script::Cyrillic);
        assert_eq!(script_of("دعاية"), Script::Arabic);
        assert_eq!(script_of("新疆"), Script::Other);
    }
}
