//! The languages an invitation (its email and redemption pages) and every people page can be written in, and
//! the rule that picks one for a page.
//!
//! The codes are the ones operators of that ecosystem put in the `Language` column of an invitation CSV, so
//! they keep that spelling (`pt-BR`, `zh-HANS`), but a spreadsheet that lower-cases them still works.
//! Browsers name languages differently (`ko-KR`, `zh-Hant-TW`, `pt`); [`Language::from_browser_tag`] maps
//! those, and [`accepted_languages`] reads an `Accept-Language` header.

use super::DomainError;
use std::fmt;
use std::str::FromStr;

/// One of the eleven supported invitation languages. English is the default wherever none is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    En,
    De,
    Es,
    Fr,
    It,
    Ja,
    Ko,
    PtBr,
    Ru,
    ZhHans,
    ZhHant,
}

impl Language {
    /// Every supported language, in the order the spec lists them (English first).
    pub const ALL: [Language; 11] = [
        Language::En,
        Language::De,
        Language::Es,
        Language::Fr,
        Language::It,
        Language::Ja,
        Language::Ko,
        Language::PtBr,
        Language::Ru,
        Language::ZhHans,
        Language::ZhHant,
    ];

    /// The canonical spelling, as stored, serialised and shown: `en`, `pt-BR`, `zh-HANS`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Es => "es",
            Language::Fr => "fr",
            Language::It => "it",
            Language::Ja => "ja",
            Language::Ko => "ko",
            Language::PtBr => "pt-BR",
            Language::Ru => "ru",
            Language::ZhHans => "zh-HANS",
            Language::ZhHant => "zh-HANT",
        }
    }

    /// The language's name in itself, for a person choosing their own.
    pub fn endonym(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::De => "Deutsch",
            Language::Es => "Español",
            Language::Fr => "Français",
            Language::It => "Italiano",
            Language::Ja => "日本語",
            Language::Ko => "한국어",
            Language::PtBr => "Português (Brasil)",
            Language::Ru => "Русский",
            Language::ZhHans => "简体中文",
            Language::ZhHant => "繁體中文",
        }
    }

    /// Parses a code, ignoring surrounding spaces and letter case (`pt-br`, ` ZH-Hans `). Nothing else is
    /// guessed: `pt`, `pt_BR` or `zh-CN` are errors, so a typo is reported instead of silently becoming English.
    /// An empty value is an error here; use [`Language::parse_optional`] where "not given" is allowed.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let code = raw.trim();
        Language::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(code))
            .ok_or_else(|| {
                let shown = if code.is_empty() {
                    "An empty value".to_string()
                } else {
                    format!("{code:?}")
                };
                DomainError::new(
                    "language",
                    format!(
                        "{shown} is not a supported language; use one of: {}.",
                        Language::ALL.map(Language::as_str).join(", ")
                    ),
                )
            })
    }

    /// Like [`Language::parse`], but an empty (or all-space) value means "not given": `Ok(None)`, so the
    /// caller picks the default (usually [`Language::En`], or the tenant's own).
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, DomainError> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Language::parse(raw).map(Some)
        }
    }
}

impl Language {
    /// The supported language a browser means by a BCP 47 tag (`ko-KR`, `pt`, `zh-Hant-TW`, `ZH-cn`), or
    /// `None` for a language we do not have. Portuguese of any region is shown in `pt-BR`, the only variant we
    /// have; Chinese goes by script when given, else by region, and a bare `zh` means Simplified, which
    /// mainland browsers send.
    pub fn from_browser_tag(tag: &str) -> Option<Language> {
        let mut parts = tag.trim().split(['-', '_']);
        let primary = parts.next()?.to_ascii_lowercase();
        Some(match primary.as_str() {
            "en" => Language::En,
            "de" => Language::De,
            "es" => Language::Es,
            "fr" => Language::Fr,
            "it" => Language::It,
            "ja" => Language::Ja,
            "ko" => Language::Ko,
            "pt" => Language::PtBr,
            "ru" => Language::Ru,
            "zh" => {
                let mut chinese = Language::ZhHans;
                for sub in parts {
                    match sub.to_ascii_lowercase().as_str() {
                        "hans" => return Some(Language::ZhHans),
                        "hant" => return Some(Language::ZhHant),
                        "tw" | "hk" | "mo" => chinese = Language::ZhHant,
                        "cn" | "sg" | "my" => chinese = Language::ZhHans,
                        _ => {}
                    }
                }
                chinese
            }
            _ => return None,
        })
    }

    /// A stored preference: our own code (`ko`, `zh-HANS`) or a browser tag (`ko-KR`); `None` when neither.
    pub fn from_preference(raw: &str) -> Option<Language> {
        Language::parse(raw)
            .ok()
            .or_else(|| Language::from_browser_tag(raw))
    }
}

/// Entries of an `Accept-Language` header read at most: a real browser sends a handful, and a hostile header
/// should cost no more than this.
const MAX_ACCEPT_LANGUAGE_ENTRIES: usize = 32;

/// The quality of one `Accept-Language` entry in thousandths (RFC 9110 §12.4.2: `q=` with up to three
/// decimals, 0 to 1); `None` when the value is not a valid weight.
fn quality(params: &str) -> Option<u16> {
    let mut q = 1000;
    for param in params.split(';') {
        let param = param.trim();
        if param.is_empty() {
            continue;
        }
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        let value = value.trim();
        let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
        if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
        q = match whole {
            "0" => thousandths,
            "1" if thousandths == 0 => 1000,
            _ => return None,
        };
    }
    Some(q)
}

/// The supported languages an `Accept-Language` header asks for, most wanted first: entries ordered by their
/// `q` (ties keep the header's order), `q=0` and malformed entries dropped, unknown languages and `*`
/// skipped, each language once.
pub fn accepted_languages(header: &str) -> Vec<Language> {
    let mut weighted: Vec<(u16, Language)> = header
        .split(',')
        .take(MAX_ACCEPT_LANGUAGE_ENTRIES)
        .filter_map(|entry| {
            let (tag, params) = entry.split_once(';').unwrap_or((entry, ""));
            let q = quality(params)?;
            let language = Language::from_browser_tag(tag)?;
            (q > 0).then_some((q, language))
        })
        .collect();
    // A stable sort keeps the header's order among equal weights.
    weighted.sort_by_key(|(q, _)| std::cmp::Reverse(*q));
    let mut languages = Vec::with_capacity(weighted.len());
    for (_, language) in weighted {
        if !languages.contains(&language) {
            languages.push(language);
        }
    }
    languages
}

/// What a page knows about the person's language, strongest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct LanguageHints<'a> {
    /// The invitation's language (redemption pages).
    pub invitation: Option<Language>,
    /// The signed-in user's stored `preferred_language`.
    pub preferred: Option<&'a str>,
    /// The request's `Accept-Language` header.
    pub accept_language: Option<&'a str>,
}

/// The language of a page: the invitation's, else the signed-in user's preference, else the first supported
/// language the browser accepts, else the tenant's default. A hint that names no supported language is
/// skipped, never an error.
pub fn choose(hints: LanguageHints<'_>, tenant_default: Language) -> Language {
    hints
        .invitation
        .or_else(|| hints.preferred.and_then(Language::from_preference))
        .or_else(|| {
            hints
                .accept_language
                .and_then(|h| accepted_languages(h).into_iter().next())
        })
        .unwrap_or(tenant_default)
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Language {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Language::parse(s)
    }
}

impl serde::Serialize for Language {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Deserialises through [`Language::parse`], so stored or API values obey the same rule as CSV cells.
impl<'de> serde::Deserialize<'de> for Language {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Language::parse(&raw).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_the_eleven_codes_round_trip() {
        let codes: Vec<&str> = Language::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(
            codes,
            [
                "en", "de", "es", "fr", "it", "ja", "ko", "pt-BR", "ru", "zh-HANS", "zh-HANT"
            ]
        );
        for l in Language::ALL {
            assert_eq!(Language::parse(l.as_str()).unwrap(), l);
            assert_eq!(l.to_string(), l.as_str());
        }
    }

    #[test]
    fn parsing_ignores_case_and_surrounding_space() {
        assert_eq!(Language::parse("pt-br").unwrap(), Language::PtBr);
        assert_eq!(Language::parse(" ZH-Hans ").unwrap(), Language::ZhHans);
        assert_eq!(Language::parse("zh-hant").unwrap(), Language::ZhHant);
        assert_eq!(Language::parse("KO").unwrap(), Language::Ko);
        assert_eq!("De".parse::<Language>().unwrap(), Language::De);
    }

    #[test]
    fn near_misses_are_errors_that_name_the_allowed_codes() {
        for bad in ["pt", "pt_BR", "zh-CN", "zh", "english", "e n", "", "  "] {
            let err = Language::parse(bad).unwrap_err();
            assert_eq!(err.field, "language", "{bad:?}");
            assert!(
                err.message
                    .contains("en, de, es, fr, it, ja, ko, pt-BR, ru, zh-HANS, zh-HANT"),
                "{bad:?}: {}",
                err.message
            );
        }
        assert!(
            Language::parse("xx")
                .unwrap_err()
                .message
                .starts_with("\"xx\"")
        );
    }

    #[test]
    fn optional_parsing_treats_blank_as_not_given() {
        assert_eq!(Language::parse_optional("").unwrap(), None);
        assert_eq!(Language::parse_optional("   ").unwrap(), None);
        assert_eq!(Language::parse_optional("ja").unwrap(), Some(Language::Ja));
        assert!(Language::parse_optional("jp").is_err());
    }

    #[test]
    fn default_is_english() {
        assert_eq!(Language::default(), Language::En);
    }

    #[test]
    fn serde_uses_the_canonical_spelling() {
        assert_eq!(
            serde_json::to_string(&Language::ZhHans).unwrap(),
            "\"zh-HANS\""
        );
        assert_eq!(
            serde_json::from_str::<Language>("\"pt-br\"").unwrap(),
            Language::PtBr
        );
        assert!(serde_json::from_str::<Language>("\"klingon\"").is_err());
    }
    #[test]
    fn browser_tags_map_to_the_supported_languages() {
        for (tag, expected) in [
            ("ko-KR", Some(Language::Ko)),
            ("ko", Some(Language::Ko)),
            ("EN-us", Some(Language::En)),
            ("de-CH", Some(Language::De)),
            ("pt", Some(Language::PtBr)),
            ("pt-PT", Some(Language::PtBr)),
            ("pt-BR", Some(Language::PtBr)),
            ("zh", Some(Language::ZhHans)),
            ("zh-CN", Some(Language::ZhHans)),
            ("zh-SG", Some(Language::ZhHans)),
            ("zh-Hans", Some(Language::ZhHans)),
            ("zh-Hans-HK", Some(Language::ZhHans)),
            ("zh-TW", Some(Language::ZhHant)),
            ("zh-HK", Some(Language::ZhHant)),
            ("zh-Hant", Some(Language::ZhHant)),
            ("zh_hant_tw", Some(Language::ZhHant)),
            ("nl-NL", None),
            ("*", None),
            ("", None),
            ("k", None),
        ] {
            assert_eq!(Language::from_browser_tag(tag), expected, "{tag:?}");
        }
    }

    #[test]
    fn accept_language_honours_q_values_and_skips_what_we_lack() {
        use Language::*;
        assert_eq!(
            accepted_languages("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"),
            [Ko, En]
        );
        assert_eq!(accepted_languages("en;q=0.5, ja"), [Ja, En]);
        assert_eq!(accepted_languages("nl, fr;q=0.2, *;q=0.9"), [Fr]);
        assert_eq!(
            accepted_languages("de;q=0.8, it;q=0.8"),
            [De, It],
            "ties keep the order"
        );
        assert_eq!(
            accepted_languages("ru;q=0, es;q=0.001"),
            [Es],
            "q=0 means not wanted"
        );
        assert_eq!(
            accepted_languages("zh-TW;q=1.0, zh-CN;q=0.9"),
            [ZhHant, ZhHans]
        );
        assert_eq!(accepted_languages("pt-PT , pt-BR;q=0.9"), [PtBr]);
        // Malformed weights drop their entry only.
        assert_eq!(
            accepted_languages("ko;q=2, ja;q=abc, fr;q=0.1234, de;q=-1, es;q=1.5, it;q"),
            Vec::<Language>::new()
        );
        assert_eq!(accepted_languages("ko;q=2, en"), [En]);
        assert_eq!(accepted_languages("ja; Q=0.3 ,ko;level=1"), [Ko, Ja]);
        assert!(accepted_languages("").is_empty());
        assert!(accepted_languages(",,,;;;").is_empty());
    }

    #[test]
    fn only_the_first_entries_of_a_long_header_are_read() {
        let long = format!("{}ko", "nl,".repeat(MAX_ACCEPT_LANGUAGE_ENTRIES));
        assert!(accepted_languages(&long).is_empty());
        let short = format!("{}ko", "nl,".repeat(MAX_ACCEPT_LANGUAGE_ENTRIES - 1));
        assert_eq!(accepted_languages(&short), [Language::Ko]);
    }

    #[test]
    fn the_choice_goes_invitation_user_browser_tenant() {
        let all = LanguageHints {
            invitation: Some(Language::Ja),
            preferred: Some("de"),
            accept_language: Some("ko-KR,ko;q=0.9"),
        };
        assert_eq!(choose(all, Language::Fr), Language::Ja);
        let no_invitation = LanguageHints {
            invitation: None,
            ..all
        };
        assert_eq!(choose(no_invitation, Language::Fr), Language::De);
        let browser_only = LanguageHints {
            preferred: None,
            ..no_invitation
        };
        assert_eq!(choose(browser_only, Language::Fr), Language::Ko);
        assert_eq!(choose(LanguageHints::default(), Language::Fr), Language::Fr);
    }

    #[test]
    fn unusable_hints_are_skipped() {
        let hints = LanguageHints {
            invitation: None,
            preferred: Some("klingon"),
            accept_language: Some("nl, sv;q=0.5"),
        };
        assert_eq!(choose(hints, Language::It), Language::It);
        // A preference stored as a browser tag still counts.
        let hints = LanguageHints {
            preferred: Some("zh-TW"),
            ..hints
        };
        assert_eq!(choose(hints, Language::It), Language::ZhHant);
        let hints = LanguageHints {
            preferred: Some(" "),
            accept_language: Some("es-MX"),
            ..hints
        };
        assert_eq!(choose(hints, Language::It), Language::Es);
    }
}
