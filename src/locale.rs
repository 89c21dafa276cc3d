//! The invitation's sentences in its language: `locales/{code}.toml`, one flat file per language with the same
//! keys, compiled into the binary. The invitation email (`mail::invitation`) uses the unprefixed keys, the
//! redemption pages (`http::pages::redeem`) the `page_…` keys.
//!
//! A sentence has `{name}` placeholders, filled by [`fill`] in one pass (a value that itself contains
//! `{tenant}` is not expanded again). The filled sentences go to the tera templates as ordinary values, so tera
//! escapes them in HTML.

use crate::domain::language::Language;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One language's strings, key → sentence with placeholders.
pub type Table = BTreeMap<String, String>;

/// The compiled-in locale file of `language`.
pub fn source(language: Language) -> &'static str {
    match language {
        Language::En => include_str!("../locales/en.toml"),
        Language::De => include_str!("../locales/de.toml"),
        Language::Es => include_str!("../locales/es.toml"),
        Language::Fr => include_str!("../locales/fr.toml"),
        Language::It => include_str!("../locales/it.toml"),
        Language::Ja => include_str!("../locales/ja.toml"),
        Language::Ko => include_str!("../locales/ko.toml"),
        Language::PtBr => include_str!("../locales/pt-BR.toml"),
        Language::Ru => include_str!("../locales/ru.toml"),
        Language::ZhHans => include_str!("../locales/zh-HANS.toml"),
        Language::ZhHant => include_str!("../locales/zh-HANT.toml"),
    }
}

fn parse(language: Language) -> std::result::Result<Table, String> {
    toml::from_str(source(language)).map_err(|e| format!("locale {}: {e}", language.as_str()))
}

/// `language`'s strings, parsed once.
pub fn table(language: Language) -> Result<&'static Table> {
    static TABLES: OnceLock<Vec<std::result::Result<Table, String>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| Language::ALL.into_iter().map(parse).collect());
    let index = Language::ALL
        .iter()
        .position(|l| *l == language)
        .unwrap_or(0);
    tables[index]
        .as_ref()
        .map_err(|e| Error::Internal(e.clone()))
}

/// The BCP 47 tag for a `lang` attribute (`zh-Hans` rather than the stored `zh-HANS`).
pub fn html_lang(language: Language) -> &'static str {
    match language {
        Language::ZhHans => "zh-Hans",
        Language::ZhHant => "zh-Hant",
        other => other.as_str(),
    }
}

/// Replaces `{name}` for the names in `vars`, scanning once: substituted values are never re-scanned, and an
/// unknown `{…}` is left as it is (the locale tests make sure none exist).
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The key in `own`, else in `english`.
fn pick<'a>(own: &'a Table, english: &'a Table, key: &str) -> Option<&'a str> {
    own.get(key)
        .or_else(|| english.get(key))
        .map(String::as_str)
}

/// The strings of one language, falling back to English for a key it lacks.
#[derive(Debug, Clone, Copy)]
pub struct Locale {
    language: Language,
    own: &'static Table,
    english: &'static Table,
}

impl Locale {
    pub fn new(language: Language) -> Result<Self> {
        Ok(Locale {
            language,
            own: table(language)?,
            english: table(Language::En)?,
        })
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// The sentence with its placeholders; an error only when not even English has the key.
    pub fn raw(&self, key: &str) -> Result<&'static str> {
        pick(self.own, self.english, key).ok_or_else(|| {
            Error::Internal(format!("locale {} has no {key:?}", self.language.as_str()))
        })
    }

    /// The sentence with `vars` filled in.
    pub fn text(&self, key: &str, vars: &[(&str, &str)]) -> Result<String> {
        Ok(fill(self.raw(key)?, vars))
    }

    /// The sentence cut at `marker` (say `{email}`), each side filled with `vars`: a template shows the marked
    /// value between the two, emphasised, while tera still escapes all three. Without the marker the whole
    /// sentence is the first part.
    pub fn around(
        &self,
        key: &str,
        marker: &str,
        vars: &[(&str, &str)],
    ) -> Result<(String, String)> {
        let raw = self.raw(key)?;
        let (before, after) = raw.split_once(marker).unwrap_or((raw, ""));
        Ok((fill(before, vars), fill(after, vars)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(s: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    found.insert(after[..close].to_string());
                    rest = &after[close + 1..];
                }
                None => {
                    found.insert(after.to_string());
                    break;
                }
            }
        }
        found
    }

    #[test]
    fn every_locale_has_every_english_key_with_the_same_placeholders() {
        let en = table(Language::En).unwrap();
        assert!(en.keys().any(|k| k.starts_with("page_")));
        for language in Language::ALL {
            let strings = table(language).unwrap_or_else(|e| panic!("{language}: {e}"));
            assert_eq!(
                strings.keys().collect::<Vec<_>>(),
                en.keys().collect::<Vec<_>>(),
                "{language} has the same keys as en"
            );
            for (key, value) in strings {
                assert!(!value.trim().is_empty(), "{language}.{key} is empty");
                assert_eq!(
                    placeholders(value),
                    placeholders(&en[key]),
                    "{language}.{key} uses the same placeholders as en"
                );
                if language != Language::En && key.starts_with("page_") && key.ends_with("_heading")
                {
                    assert_ne!(value, &en[key], "{language}.{key} is translated");
                }
            }
        }
    }

    #[test]
    fn looks_up_by_language() {
        let en = Locale::new(Language::En).unwrap();
        let ko = Locale::new(Language::Ko).unwrap();
        assert_eq!(ko.language(), Language::Ko);
        assert_eq!(en.raw("page_create_button").unwrap(), "Create account");
        assert_eq!(ko.raw("page_create_button").unwrap(), "계정 만들기");
        assert_eq!(ko.raw("accept").unwrap(), "초대 수락");
        assert!(en.raw("no_such_key").is_err());
        assert!(ko.raw("no_such_key").is_err());
    }

    #[test]
    fn a_missing_key_falls_back_to_english() {
        let english: Table = [("a", "A"), ("b", "B")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let own: Table = [("a".to_string(), "가".to_string())].into();
        assert_eq!(pick(&own, &english, "a"), Some("가"));
        assert_eq!(pick(&own, &english, "b"), Some("B"));
        assert_eq!(pick(&own, &english, "c"), None);
    }

    #[test]
    fn fills_placeholders_once_and_keeps_unknown_braces() {
        let vars = [("tenant", "{inviter}"), ("inviter", "Ada")];
        assert_eq!(fill("{inviter} → {tenant}", &vars), "Ada → {inviter}");
        assert_eq!(fill("{unknown} {tenant", &vars), "{unknown} {tenant");
        assert_eq!(fill("no braces", &vars), "no braces");

        let ko = Locale::new(Language::Ko).unwrap();
        assert_eq!(
            ko.text("page_consent_heading", &[("tenant", "Contoso")])
                .unwrap(),
            "Contoso에 게스트로 참여하시겠습니까?"
        );
        let en = Locale::new(Language::En).unwrap();
        assert_eq!(
            en.around(
                "page_invited_intro",
                "{email}",
                &[("inviter", "Ada"), ("tenant", "{email}")]
            )
            .unwrap(),
            (
                "Ada at {email} invited ".to_string(),
                " as a guest.".to_string()
            )
        );
        assert_eq!(
            en.around("page_register_heading", "{email}", &[]).unwrap(),
            ("No account yet?".to_string(), String::new())
        );
    }

    #[test]
    fn html_lang_uses_bcp47_script_case() {
        assert_eq!(html_lang(Language::ZhHans), "zh-Hans");
        assert_eq!(html_lang(Language::ZhHant), "zh-Hant");
        assert_eq!(html_lang(Language::PtBr), "pt-BR");
        assert_eq!(html_lang(Language::Ko), "ko");
    }
}
