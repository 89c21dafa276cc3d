//! The languages an invitation (its email and redemption pages) can be written in.
//!
//! The codes are the ones operators of that ecosystem put in the `Language` column of an invitation CSV, so
//! they keep that spelling (`pt-BR`, `zh-HANS`), but a spreadsheet that lower-cases them still works.

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
}
