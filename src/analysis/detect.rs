//! Language detection with whatlang, reported as ISO 639-1 codes (`en`, `ru`, `zh`...).
//!
//! Detection reads the first few thousand characters of a document (or a record's text) and is
//! used only when the source declares no language; an unreliable guess (short texts, mixed
//! scripts) gives `None` rather than a wrong code. Declared languages are normalised too:
//! `en-GB` → `en`, `English` → `en`.

/// How much text detection reads.
const SAMPLE_CHARS: usize = 4000;

/// The ISO 639-1 code of a whatlang language (its ISO 639-3 code where 639-1 has none).
fn code(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match lang {
        Eng => "en",
        Rus => "ru",
        Ukr => "uk",
        Bel => "be",
        Cmn => "zh",
        Jpn => "ja",
        Kor => "ko",
        Ara => "ar",
        Pes => "fa",
        Deu => "de",
        Fra => "fr",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Nld => "nl",
        Pol => "pl",
        Tur => "tr",
        Srp => "sr",
        Bul => "bg",
        Heb => "he",
        Hin => "hi",
        Urd => "ur",
        Vie => "vi",
        Ind => "id",
        Swe => "sv",
        Dan => "da",
        Nob => "no",
        Fin => "fi",
        Ces => "cs",
        Slk => "sk",
        Hun => "hu",
        Ron => "ro",
        Ell => "el",
        Kat => "ka",
        Hye => "hy",
        Aze => "az",
        Tha => "th",
        other => other.code(),
    }
}

/// The language of `text`, when whatlang is confident.
pub fn detect(text: &str) -> Option<String> {
    let sample: String = text.chars().take(SAMPLE_CHARS).collect();
    let info = whatlang::detect(&sample)?;
    info.is_reliable().then(|| code(info.lang()).to_string())
}

/// A declared language (`en-GB`, `EN`, `English`, `русский`...) as a code, or `None` when it is
/// not recognisable.
pub fn normalise(declared: &str) -> Option<String> {
    let d = declared.trim().to_lowercase();
    let primary = d.split(['-', '_']).next().unwrap_or(&d);
    if primary.len() == 2 && primary.chars().all(|c| c.is_ascii_lowercase()) {
        return Some(primary.to_string());
    }
    if let Some(lang) = whatlang::Lang::from_code(primary) {
        return Some(code(lang).to_string());
    }
    let named = match primary {
        "english" => "en",
        "russian" | "русский" => "ru",
        "ukrainian" | "українська" => "uk",
        "chinese" | "中文" | "汉语" => "zh",
        "japanese" => "ja",
        "korean" => "ko",
        "arabic" | "العربية" => "ar",
        "persian" | "farsi" => "fa",
        "german" | "deutsch" => "de",
        "french" | "français" => "fr",
        "spanish" | "español" => "es",
        "portuguese" | "português" => "pt",
        "italian" | "italiano" => "it",
        "dutch" => "nl",
        "polish" => "pl",
        "turkish" => "tr",
        _ => return None,
    };
    Some(named.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_languages_are_normalised() {
        assert_eq!(normalise("en-GB").as_deref(), Some("en"));
        assert_eq!(normalise("English").as_deref(), Some("en"));
        assert_eq!(normalise("rus").as_deref(), Some("ru"));
        assert_eq!(normalise("Русский").as_deref(), Some("ru"));
        assert_eq!(normalise("LANGUAGE").as_deref(), None);
    }

    #[test]
    fn languages_are_detected() {
        for (text, lang) in [
            ("The committee found that the network used hundreds of fake accounts to spread false stories about the election.", "en"),
            ("Комитет установил, что сеть использовала сотни поддельных аккаунтов для распространения ложных новостей о выборах.", "ru"),
            ("Комітет встановив, що мережа використовувала сотні підроблених акаунтів для поширення неправдивих новин про вибори.", "uk"),
            ("委员会发现，该网络使用了数百个虚假账户，在选举期间传播虚假新闻和宣传内容。", "zh"),
            ("وجدت اللجنة أن الشبكة استخدمت مئات الحسابات المزيفة لنشر أخبار كاذبة حول الانتخابات.", "ar"),
            ("Der Ausschuss stellte fest, dass das Netzwerk Hunderte gefälschter Konten nutzte, um Falschmeldungen über die Wahl zu verbreiten.", "de"),
        ] {
            assert_eq!(detect(text).as_deref(), Some(lang), "{text}");
        }
        assert_eq!(detect("ok"), None);
    }
}
