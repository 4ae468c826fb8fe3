//! Cross-script matching of names: Prigozhin ↔ Пригожин, Navalny ↔ Навальный.
//!
//! Latin → Cyrillic: passages with Cyrillic words also feed a `translit` field with those words
//! ([`translit_text`]); a plain Latin query word is also looked up there. The [`Translit`]
//! filter maps both onto one key:
//! Latin words are written in Cyrillic by the common English transliteration read backwards
//! (`zh` → ж, `kh` → х, `ts` → ц, `ch` → ч, `sh` → ш, `shch` → щ, `ya` → я, `yu` → ю, a final
//! `y` or `yy` → ый, `iy` → ий...), both are stemmed with the Russian stemmer, so inflected forms
//! (Пригожина, Навального) meet their Latin spellings, and the stems are normalised (й → и, ь and
//! ъ dropped) so that spelling differences the Latin side cannot see vanish. Tokens in other
//! scripts are dropped.
//!
//! Cyrillic → Latin: a Cyrillic query word is also searched, in the ordinary text fields, in its
//! common English transliterations ([`latin_variants`]: Навальный → navalny, navalnyy, navalniy).
//! So English text costs nothing extra to index: only passages with Cyrillic words feed the
//! `translit` field.

use super::filter::TokenMap;
use super::tokenizer::{script_of, Script};
use frostem::{Algorithm, Stemmer};

/// The words of `text` that go into the `translit` field: its Cyrillic words, separated by
/// spaces (empty for text without Cyrillic, the common case, at the cost of one scan).
pub fn translit_text(text: &str) -> String {
    let mut out = String::new();
    if !text.chars().any(|c| ('\u{0400}'..='\u{052F}').contains(&c)) {
        return out;
    }
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if script_of(word) == Script::Cyrillic {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// Cyrillic → Latin, the usual English (BGN/PCGN-like) transliteration without apostrophes.
fn latin_of(c: char) -> &'static str {
    match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ґ' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'є' => "ye",
        'ж' => "zh",
        'з' => "z",
        'и' | 'і' => "i",
        'ї' => "yi",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        _ => "",
    }
}

/// The common English spellings of a Cyrillic word (lower case): the plain transliteration and,
/// for the endings -ый/-ий/-ой and a й, the variants English texts use (Навальный → navalny,
/// navalnyy, navalniy; Шойгу → shoygu, shoigu). At most four; empty for non-Cyrillic words.
pub fn latin_variants(word: &str) -> Vec<String> {
    if script_of(word) != Script::Cyrillic {
        return Vec::new();
    }
    let lower: String = word.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let ending = ["ый", "ий", "ой"]
        .iter()
        .find(|e| lower.ends_with(*e) && chars.len() > 3)
        .map(|e| e.chars().count());
    let body: String = chars[..chars.len() - ending.unwrap_or(0)]
        .iter()
        .map(|&c| latin_of(c))
        .collect();
    let mut out: Vec<String> = match ending {
        Some(_) => vec![format!("{body}y"), format!("{body}yy"), format!("{body}iy")],
        None => vec![body.clone()],
    };
    if ending.is_none() && lower.contains('й') {
        let with_i: String = chars
            .iter()
            .map(|&c| if c == 'й' { "i" } else { latin_of(c) })
            .collect();
        out.push(with_i);
    }
    out.retain(|v| !v.is_empty());
    out.dedup();
    out
}

/// Latin → Cyrillic, longest match first, for lower-case ASCII.
const LATIN_TO_CYRILLIC: &[(&str, &str)] = &[
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("tz", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("ju", "ю"),
    ("ya", "я"),
    ("ja", "я"),
    ("yo", "е"),
    ("jo", "е"),
    ("ye", "е"),
    ("je", "е"),
    ("yi", "и"),
    ("iy", "ы"),
    ("yy", "ы"),
    ("ij", "ы"),
    ("ph", "ф"),
    ("a", "а"),
    ("b", "б"),
    ("c", "к"),
    ("d", "д"),
    ("e", "е"),
    ("f", "ф"),
    ("g", "г"),
    ("h", "х"),
    ("i", "и"),
    ("j", "и"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("q", "к"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("v", "в"),
    ("w", "в"),
    ("x", "кс"),
    ("z", "з"),
];

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

/// Word endings of Russian names and adjectives as English transliterations write them:
/// Navalnyy/Navalny → -ный, Zelenskiy → -ий, Sergei → -ей, Nikolai → -ай.
const ENDINGS: &[(&str, &str)] = &[
    ("iy", "ий"),
    ("ij", "ий"),
    ("ii", "ий"),
    ("yy", "ый"),
    ("yj", "ый"),
    ("yi", "ый"),
    ("ei", "ей"),
    ("ai", "ай"),
    ("oi", "ой"),
    ("ui", "уй"),
];

/// A lower-case Latin word written in Cyrillic (see the module docs).
fn cyrillize(word: &str) -> String {
    let (stem, ending) = match ENDINGS
        .iter()
        .find(|(l, _)| word.len() > l.len() + 1 && word.ends_with(l))
    {
        Some((l, c)) => (&word[..word.len() - l.len()], *c),
        None => match word.strip_suffix('y') {
            // A final y after a consonant is the adjectival -ый; after a vowel it is й.
            Some(rest) if rest.len() > 1 && !rest.ends_with(is_vowel) => (rest, "ый"),
            _ => (word, ""),
        },
    };
    let mut out = cyrillize_body(stem);
    out.push_str(ending);
    out
}

fn cyrillize_body(word: &str) -> String {
    let bytes = word.as_bytes();
    let mut out = String::with_capacity(word.len() * 2);
    let mut i = 0;
    while i < bytes.len() {
        let rest = &word[i..];
        if rest.starts_with('y') {
            // y after a vowel is й (folded to и); elsewhere, and at the end, ы.
            let after_vowel = i > 0 && is_vowel(bytes[i - 1] as char);
            let next_is_vowel = bytes.get(i + 1).is_some_and(|&b| is_vowel(b as char));
            if !next_is_vowel {
                out.push_str(if after_vowel { "й" } else { "ы" });
                i += 1;
                continue;
            }
        }
        match LATIN_TO_CYRILLIC.iter().find(|(l, _)| rest.starts_with(l)) {
            Some((l, c)) => {
                out.push_str(c);
                i += l.len();
            }
            None => {
                // Digits and anything unexpected pass through.
                let ch = rest.chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// Cyrillic normalised for matching: й → и, ё → е, ь and ъ dropped.
fn normalise_cyrillic(word: &str) -> String {
    word.chars()
        .filter(|&c| c != 'ь' && c != 'ъ')
        .map(|c| match c {
            'й' => 'и',
            'ё' => 'е',
            c => c,
        })
        .collect()
}

/// The cross-script key of a lower-case token, or `None` for tokens of other scripts: the
/// Russian stem of its Cyrillic form, normalised after stemming (so the stemmer still sees
/// endings such as -ый and -ий).
pub fn key(token: &str, stemmer: &Stemmer) -> Option<String> {
    thread_local! {
        /// Names recur: remember the keys of recent words (cleared when it grows large).
        static KEYS: std::cell::RefCell<std::collections::HashMap<String, Option<String>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(known) = KEYS.with(|k| k.borrow().get(token).cloned()) {
        return known;
    }
    let computed = compute_key(token, stemmer);
    KEYS.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() >= 100_000 {
            k.clear();
        }
        k.insert(token.to_string(), computed.clone());
    });
    computed
}

fn compute_key(token: &str, stemmer: &Stemmer) -> Option<String> {
    let stemmed = match script_of(token) {
        Script::Latin if token.chars().any(|c| c.is_ascii_alphabetic()) => {
            stemmer.stem(&cyrillize(token)).into_owned()
        }
        Script::Cyrillic => stemmer.stem(token).into_owned(),
        _ => return None,
    };
    Some(normalise_cyrillic(&stemmed))
}

/// The filter that turns tokens into cross-script keys (dropping tokens of other scripts).
#[derive(Clone, Copy, Debug, Default)]
pub struct Translit;

impl TokenMap for Translit {
    type State = Stemmer;

    fn state(&self) -> Stemmer {
        Stemmer::new(Algorithm::Russian)
    }

    fn map(stemmer: &mut Stemmer, text: &mut String) -> bool {
        match key(text, stemmer) {
            Some(k) => {
                *text = k;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(word: &str) -> String {
        let stemmer = Stemmer::new(Algorithm::Russian);
        key(&super::super::tokenizer::tokenize(word)[0].text, &stemmer).unwrap()
    }

    #[test]
    fn names_meet_across_scripts_and_inflections() {
        for (latin, cyrillic) in [
            ("Prigozhin", "Пригожин"),
            ("Prigozhin", "Пригожина"),
            ("Navalny", "Навальный"),
            ("Navalny", "Навального"),
            ("Navalnyy", "Навальным"),
            ("Zelensky", "Зеленский"),
            ("Shoigu", "Шойгу"),
            ("Sergei", "Сергей"),
            ("Khodorkovsky", "Ходорковский"),
            ("Yevgeny", "Евгений"),
            ("Chechnya", "Чечня"),
        ] {
            assert_eq!(k(latin), k(cyrillic), "{latin} ~ {cyrillic}");
        }
        assert_ne!(k("Moscow"), k("Пригожин"));
    }

    #[test]
    fn only_cyrillic_words_feed_the_field() {
        assert_eq!(
            translit_text("the Wagner group of Пригожин, 2023 and IRA"),
            "Пригожин"
        );
        assert_eq!(translit_text("plain English text"), "");
    }

    #[test]
    fn cyrillic_words_have_their_english_spellings() {
        for (cyrillic, latin) in [
            ("Пригожин", "prigozhin"),
            ("Навальный", "navalny"),
            ("Навальный", "navalnyy"),
            ("Зеленский", "zelensky"),
            ("Зеленский", "zelenskiy"),
            ("Шойгу", "shoigu"),
            ("Шойгу", "shoygu"),
            ("Ходорковский", "khodorkovsky"),
            ("Чечня", "chechnya"),
        ] {
            let v = latin_variants(cyrillic);
            assert!(v.iter().any(|x| x == latin), "{cyrillic}: {v:?}");
            assert!(v.len() <= 4);
        }
        assert!(latin_variants("Moscow").is_empty());
    }
}
