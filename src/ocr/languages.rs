//! Which languages Tesseract reads a file in.
//!
//! In order: `--ocr-lang` (Tesseract's codes joined by `+`), `ocr_lang` in the corpus's
//! `quarry.toml`, the file's declared language (folder defaults, catalog, sidecar: `ru` reads
//! as `rus`), else English. Languages given explicitly must be installed (`tesseract-ocr-LANG`);
//! a declared language that is not falls back to English, which is said once per build.

use super::{Mode, Options, Settings};
use std::sync::OnceLock;

/// The languages OCR reads in when nothing says otherwise.
pub const DEFAULT: &str = "eng";

/// Tesseract's code for a language code or name (`ru`, `Russian`, `zh-CN`), where Tesseract
/// has one.
pub fn tesseract_code(lang: &str) -> Option<&'static str> {
    let iso = crate::analysis::detect::normalise(lang)?;
    Some(match iso.as_str() {
        "en" => "eng",
        "ru" => "rus",
        "uk" => "ukr",
        "be" => "bel",
        "zh" => "chi_sim",
        "ar" => "ara",
        "fa" => "fas",
        "de" => "deu",
        "fr" => "fra",
        "es" => "spa",
        "pt" => "por",
        "it" => "ita",
        "nl" => "nld",
        "pl" => "pol",
        "tr" => "tur",
        "ja" => "jpn",
        "ko" => "kor",
        "he" => "heb",
        "hi" => "hin",
        "ur" => "urd",
        "ka" => "kat",
        "hy" => "hye",
        "az" => "aze",
        "kk" => "kaz",
        "sr" => "srp",
        "bg" => "bul",
        "cs" => "ces",
        "ro" => "ron",
        "hu" => "hun",
        "sv" => "swe",
        "fi" => "fin",
        "et" => "est",
        "lv" => "lav",
        "lt" => "lit",
        "el" => "ell",
        "vi" => "vie",
        "id" => "ind",
        "th" => "tha",
        _ => return None,
    })
}

/// The languages the installed Tesseract reads (`tesseract --list-langs`), asked once; `None`
/// when Tesseract is not installed or does not answer.
pub fn installed() -> Option<&'static [String]> {
    static LANGS: OnceLock<Option<Vec<String>>> = OnceLock::new();
    LANGS
        .get_or_init(|| {
            let program = super::program()?;
            let mut cmd = std::process::Command::new(program);
            cmd.arg("--list-langs");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            match crate::extract::process::run(cmd, b"", Some(deadline)).ok()? {
                crate::extract::process::Output::Exited { status, stdout, .. }
                    if status.success() =>
                {
                    Some(parse_list(&String::from_utf8_lossy(&stdout)))
                }
                _ => None,
            }
        })
        .as_deref()
}

/// The codes of `tesseract --list-langs` output (its first line is a header).
fn parse_list(out: &str) -> Vec<String> {
    out.lines()
        .skip_while(|l| !l.starts_with("List of available languages"))
        .skip(1)
        .map(str::trim)
        .filter(|l| super::valid_languages(l))
        .map(str::to_string)
        .collect()
}

/// The codes of `languages` (joined by `+`) that the installed Tesseract lacks; none when that
/// cannot be known.
pub fn missing(languages: &str) -> Vec<String> {
    let Some(have) = installed() else {
        return Vec::new();
    };
    languages
        .split('+')
        .filter(|code| !have.iter().any(|h| h == code))
        .map(str::to_string)
        .collect()
}

/// The hint for languages Tesseract lacks.
pub fn install_hint(missing: &[String]) -> String {
    let packages: Vec<String> = missing
        .iter()
        .map(|code| format!("tesseract-ocr-{}", code.replace('_', "-").to_lowercase()))
        .collect();
    format!(
        "install them, e.g. apt-get install {}; or choose others with --ocr-lang",
        packages.join(" ")
    )
}

/// The settings for one file: the command line's `options`, else the corpus's `quarry.toml`
/// (`configured`), else the file's `declared` language (when Tesseract reads it here), else the
/// defaults. The second value is a declared language left for English because its Tesseract
/// data is not installed (to be said once).
pub fn settle(
    options: &Options,
    configured: &Options,
    declared: Option<&str>,
) -> (Settings, Option<String>) {
    let mode = options.mode.or(configured.mode).unwrap_or(Mode::Auto);
    let mut unavailable = None;
    let languages = match options.languages.as_ref().or(configured.languages.as_ref()) {
        Some(l) => l.clone(),
        None => match declared.and_then(tesseract_code) {
            Some(code) if missing(code).is_empty() => code.to_string(),
            Some(code) => {
                unavailable = Some(code.to_string());
                DEFAULT.to_string()
            }
            None => DEFAULT.to_string(),
        },
    };
    (Settings { mode, languages }, unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_languages_become_tesseract_codes() {
        assert_eq!(tesseract_code("ru"), Some("rus"));
        assert_eq!(tesseract_code("Russian"), Some("rus"));
        assert_eq!(tesseract_code("zh-CN"), Some("chi_sim"));
        assert_eq!(tesseract_code("en-GB"), Some("eng"));
        assert_eq!(tesseract_code("xx"), None);
    }

    #[test]
    fn the_command_line_comes_before_the_configuration_and_the_declared_language() {
        let cli = Options {
            mode: Some(Mode::Never),
            languages: Some("deu".into()),
        };
        let toml = Options {
            mode: Some(Mode::Always),
            languages: Some("fra".into()),
        };
        let none = Options::default();
        assert_eq!(settle(&cli, &toml, Some("ru")).0.languages, "deu");
        assert_eq!(settle(&cli, &toml, Some("ru")).0.mode, Mode::Never);
        assert_eq!(settle(&none, &toml, Some("ru")).0.languages, "fra");
        assert_eq!(settle(&none, &toml, None).0.mode, Mode::Always);
        let (s, _) = settle(&none, &none, None);
        assert_eq!((s.mode, s.languages.as_str()), (Mode::Auto, "eng"));
        // A declared language: its code where installed, else English, said.
        let (s, left) = settle(&none, &none, Some("xx"));
        assert_eq!((s.languages.as_str(), left), ("eng", None));
        if let Some(have) = installed() {
            let (s, left) = settle(&none, &none, Some("ru"));
            if have.iter().any(|h| h == "rus") {
                assert_eq!((s.languages.as_str(), left), ("rus", None));
            } else {
                assert_eq!(
                    (s.languages.as_str(), left.as_deref()),
                    ("eng", Some("rus"))
                );
            }
        }
    }

    #[test]
    fn the_list_of_installed_languages_is_read_after_its_header() {
        let out = "List of available languages in \"/usr/share/tesseract-ocr/5/tessdata/\" (3):\neng\nosd\nrus\n";
        assert_eq!(parse_list(out), vec!["eng", "osd", "rus"]);
        assert!(parse_list("").is_empty());
        assert_eq!(
            install_hint(&["chi_sim".to_string()]),
            "install them, e.g. apt-get install tesseract-ocr-chi-sim; or choose others with --ocr-lang"
        );
    }
}
