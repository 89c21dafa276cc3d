//! The sentences of emails and people's pages in each language: `locales/{code}.toml`, one flat file per
//! language, compiled into the binary. The invitation email (`mail::invitation`) uses the unprefixed keys,
//! the redemption pages (`http::pages::redeem`) the `page_…` keys, and the other pages of a tenant and their
//! frame the keys named after the page (`signin_…`, `error_…`, `base_…`, …).
//!
//! English and Korean have every key. The other languages have at least the email and redemption keys; a
//! key a language lacks is looked up in English ([`table`] merges English under the language), so a page is
//! never half empty, only partly English.
//!
//! A sentence has `{name}` placeholders, filled by [`fill`] in one pass (a value that itself contains
//! `{tenant}` is not expanded again). The filled sentences go to the tera templates as ordinary values, so tera
//! escapes them in HTML.

use crate::domain::language::Language;
use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

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

fn index(language: Language) -> usize {
    Language::ALL
        .iter()
        .position(|l| *l == language)
        .unwrap_or(0)
}

/// The keys of `language`'s own file, parsed once, without the English fallback.
fn own(language: Language) -> Result<&'static Table> {
    static TABLES: OnceLock<Vec<std::result::Result<Table, String>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| Language::ALL.into_iter().map(parse).collect());
    tables[index(language)]
        .as_ref()
        .map_err(|e| Error::Internal(e.clone()))
}

/// `own` over `english`: every English key, in `own`'s wording where it has one.
fn merge(own: &Table, english: &Table) -> Table {
    let mut merged = english.clone();
    merged.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged
}

/// `language`'s strings with English under them for any key it lacks, built once.
pub fn table(language: Language) -> Result<&'static Table> {
    static MERGED: OnceLock<Vec<std::result::Result<Table, String>>> = OnceLock::new();
    let tables = MERGED.get_or_init(|| {
        Language::ALL
            .into_iter()
            .map(|l| {
                let english = own(Language::En).map_err(|e| e.to_string())?;
                let mine = own(l).map_err(|e| e.to_string())?;
                Ok(merge(mine, english))
            })
            .collect()
    });
    tables[index(language)]
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

/// The strings of one language, English where it has no wording of its own.
#[derive(Debug, Clone, Copy)]
pub struct Locale {
    language: Language,
    strings: &'static Table,
}

impl Locale {
    pub fn new(language: Language) -> Result<Self> {
        Ok(Locale {
            language,
            strings: table(language)?,
        })
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// Every key with its sentence (English under the language).
    pub fn strings(&self) -> &'static Table {
        self.strings
    }

    /// The sentence with its placeholders; an error only when not even English has the key.
    pub fn raw(&self, key: &str) -> Result<&'static str> {
        self.strings.get(key).map(String::as_str).ok_or_else(|| {
            Error::Internal(format!("locale {} has no {key:?}", self.language.as_str()))
        })
    }

    /// A message written in English by the services (a `msg_…` sentence of `en.toml`, values included) in
    /// this language; messages the locale files do not know stay as they are.
    pub fn message(&self, english: &str) -> String {
        if self.language == Language::En {
            return english.to_string();
        }
        let Ok(en) = table(Language::En) else {
            return english.to_string();
        };
        for (key, pattern) in en.iter().filter(|(k, _)| k.starts_with("msg_")) {
            if let (Some(values), Some(target)) =
                (match_pattern(pattern, english), self.strings.get(key))
            {
                let vars: Vec<(&str, &str)> = values
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                return fill(target, &vars);
            }
        }
        english.to_string()
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

/// Reads `text` as an instance of `pattern` (a sentence with `{name}` placeholders): the value of each
/// placeholder, or `None` when the text does not have the pattern's shape. A placeholder takes the
/// shortest text up to the next literal part; the last one takes the rest.
pub fn match_pattern(pattern: &str, text: &str) -> Option<Vec<(String, String)>> {
    let mut values = Vec::new();
    let (mut pat, mut rest) = (pattern, text);
    let literal_end = pat.find('{').unwrap_or(pat.len());
    rest = rest.strip_prefix(&pat[..literal_end])?;
    pat = &pat[literal_end..];
    while let Some(after_open) = pat.strip_prefix('{') {
        let close = after_open.find('}')?;
        let name = &after_open[..close];
        pat = &after_open[close + 1..];
        let literal_end = pat.find('{').unwrap_or(pat.len());
        let literal = &pat[..literal_end];
        let value_end = if literal.is_empty() {
            if literal_end == pat.len() {
                rest.len()
            } else {
                return None; // two placeholders side by side are ambiguous
            }
        } else if literal_end == pat.len() {
            // The pattern's last words end the text (a value may itself contain them, like the dot
            // of a domain before the sentence's full stop).
            rest.len()
                .checked_sub(literal.len())
                .filter(|_| rest.ends_with(literal))?
        } else {
            rest.find(literal)?
        };
        if value_end == 0 {
            return None;
        }
        values.push((name.to_string(), rest[..value_end].to_string()));
        rest = &rest[value_end + literal.len()..];
        pat = &pat[literal_end..];
    }
    rest.is_empty().then_some(values)
}

/// The names of the `{…}` placeholders in `sentence`.
pub fn placeholders(sentence: &str) -> BTreeSet<&str> {
    let mut found = BTreeSet::new();
    let mut rest = sentence;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                found.insert(&after[..close]);
                rest = &after[close + 1..];
            }
            None => {
                found.insert(after);
                break;
            }
        }
    }
    found
}

/// The sentences a page template gets as `t`, keyed as in the locale file.
///
/// It starts with every sentence whose only placeholder is `{tenant}`, filled with the tenant's name; a
/// sentence with other placeholders is left out until the handler fills it ([`Texts::fill`],
/// [`Texts::around`]), so a template that shows it unfilled fails to render (and the page tests notice)
/// instead of showing `{email}` to a person.
#[derive(Debug, Clone)]
pub struct Texts {
    locale: Locale,
    tenant: String,
    /// The sentences filled with the tenant's name alone, shared by every page of that tenant.
    base: Arc<Filled>,
    /// What the handler filled on top ([`Texts::fill`], [`Texts::around`]).
    extra: Table,
}

/// The sentences of `locale` whose only placeholder is `{tenant}`, filled with `tenant`. They are the
/// same for every page of a tenant in a language, and building them (hundreds of sentences) was most of
/// the cost of a page, so they are kept: at most [`FILLED_KEPT`] tenant names and languages at a time,
/// all forgotten when that many are kept (a renamed tenant leaves its old entry behind until then).
fn filled(locale: &Locale, tenant: &str) -> Arc<Filled> {
    type Kept = Mutex<HashMap<(Language, String), Arc<Filled>>>;
    static KEPT: OnceLock<Kept> = OnceLock::new();
    let kept = KEPT.get_or_init(Default::default);
    let key = (locale.language(), tenant.to_string());
    if let Some(found) = kept
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return found.clone();
    }
    let vars = [("tenant", tenant)];
    let table: Table = locale
        .strings()
        .iter()
        .filter(|(_, v)| placeholders(v).iter().all(|p| *p == "tenant"))
        .map(|(k, v)| (k.clone(), fill(v, &vars)))
        .collect();
    let chrome: Table = table
        .iter()
        .filter(|(k, _)| k.starts_with("base_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let made = Arc::new(Filled {
        value: tera::Value::from(table.clone()),
        chrome: tera::Value::from(chrome),
        table,
    });
    let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
    if kept.len() >= FILLED_KEPT {
        kept.clear();
    }
    kept.insert(key, made.clone());
    made
}

/// One language's sentences filled with one tenant's name, as a table and as the template value (whose
/// clones share their strings).
#[derive(Debug)]
struct Filled {
    table: Table,
    value: tera::Value,
    /// The `base_…` sentences: the frame of every page.
    chrome: tera::Value,
}

/// How many (language, tenant name) sets of filled sentences [`filled`] keeps.
const FILLED_KEPT: usize = 512;

impl Texts {
    pub fn new(locale: Locale, tenant: &str) -> Self {
        Texts {
            base: filled(&locale, tenant),
            locale,
            tenant: tenant.to_string(),
            extra: Table::new(),
        }
    }

    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// `t.<key>`: the sentence with `vars` (and the tenant's name) filled in.
    pub fn fill(mut self, key: &str, vars: &[(&str, &str)]) -> Result<Self> {
        let filled = fill(self.locale.raw(key)?, &self.with_tenant(vars));
        self.extra.insert(key.to_string(), filled);
        Ok(self)
    }

    /// `t.<key>_before` and `t.<key>_after`: the sentence cut at `marker`, each side filled with `vars` (and
    /// the tenant's name), for a template that emphasises the marked value between them.
    pub fn around(mut self, key: &str, marker: &str, vars: &[(&str, &str)]) -> Result<Self> {
        let (before, after) = self.locale.around(key, marker, &self.with_tenant(vars))?;
        self.extra.insert(format!("{key}_before"), before);
        self.extra.insert(format!("{key}_after"), after);
        Ok(self)
    }

    /// The filled sentence of `key` (to use outside a template, say as an error message).
    pub fn get(&self, key: &str) -> Result<String> {
        match self.extra.get(key).or_else(|| self.base.table.get(key)) {
            Some(v) => Ok(v.clone()),
            None => Ok(fill(
                self.locale.raw(key)?,
                &[("tenant", self.tenant.as_str())],
            )),
        }
    }

    /// What a template finds as `t.<key>` (the tests read it here; [`Texts::value`] hands the same to
    /// tera).
    #[cfg(test)]
    fn shown(&self, key: &str) -> Option<&str> {
        self.extra
            .get(key)
            .or_else(|| self.base.table.get(key))
            .map(String::as_str)
    }

    /// The frame's sentences (`base_…`) as a template value (`chrome`).
    pub fn chrome(&self) -> tera::Value {
        self.base.chrome.clone()
    }

    /// The sentences as a template value (`t`), sharing the strings every page of the tenant uses.
    pub fn value(&self) -> tera::Value {
        if self.extra.is_empty() {
            return self.base.value.clone();
        }
        let mut map = self.base.value.as_map().cloned().unwrap_or_default();
        for (k, v) in &self.extra {
            map.insert(k.clone().into(), v.as_str().into());
        }
        tera::Value::from(map)
    }

    fn with_tenant<'v>(&'v self, vars: &[(&'v str, &'v str)]) -> Vec<(&'v str, &'v str)> {
        let mut all = vars.to_vec();
        all.push(("tenant", self.tenant.as_str()));
        all
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn patterns_give_back_their_values() {
        let p = "This invitation was sent to {email}. Sign in with that address, or ask {tenant} to invite you.";
        let text = "This invitation was sent to a@b.example. Sign in with that address, or ask Contoso Ltd. to invite you.";
        assert_eq!(
            match_pattern(p, text).unwrap(),
            vec![
                ("email".into(), "a@b.example".into()),
                ("tenant".into(), "Contoso Ltd.".into())
            ]
        );
        assert!(match_pattern(p, "Something else entirely.").is_none());
        assert!(match_pattern("Exact.", "Exact. And more").is_none());
        assert_eq!(
            match_pattern("{email} has an account", "x@y has an account")
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn service_messages_are_shown_in_the_page_language() {
        let ko = Locale::new(Language::Ko).unwrap();
        assert_eq!(
            ko.message("The two passwords do not match."),
            "두 비밀번호가 일치하지 않습니다."
        );
        assert_eq!(
            ko.message(
                "Blocked domain: this organisation does not invite addresses at evil.example."
            ),
            "차단된 도메인: 이 조직은 evil.example 주소를 초대하지 않습니다."
        );
        // Unknown messages stay as they are; English stays English.
        assert_eq!(ko.message("Something new."), "Something new.");
        let en = Locale::new(Language::En).unwrap();
        assert_eq!(
            en.message("The two passwords do not match."),
            "The two passwords do not match."
        );
        // Languages without the sentence fall back to English wording, values kept.
        let de = Locale::new(Language::De).unwrap();
        assert_eq!(
            de.message("Your account has no access to Contoso."),
            "Your account has no access to Contoso."
        );
    }

    #[test]
    fn every_message_the_services_write_is_in_the_catalogue() {
        // The sentences of the domain rules people see on forms, as the code writes them.
        let en = table(Language::En).unwrap();
        for sentence in [
            crate::service::signin::BAD_CREDENTIALS,
            "Enter an email address.",
            "Use at least 10 characters.",
            "The two passwords do not match.",
            "Enter a display name.",
        ] {
            assert!(
                en.iter()
                    .any(|(k, v)| k.starts_with("msg_") && match_pattern(v, sentence).is_some()),
                "{sentence}"
            );
        }
        for e in [
            crate::domain::email::EmailAddress::parse("").unwrap_err(),
            crate::domain::email::EmailAddress::parse("no-at").unwrap_err(),
            crate::domain::user::check_new_password("short", "short").unwrap_err(),
            crate::domain::user::check_new_password("long enough password", "other").unwrap_err(),
            crate::domain::user::parse_display_name(" ").unwrap_err(),
        ] {
            assert!(
                en.iter()
                    .any(|(k, v)| k.starts_with("msg_") && match_pattern(v, &e.message).is_some()),
                "{}",
                e.message
            );
        }
    }

    use super::*;
    use crate::mail::invitation::KEYS as EMAIL_KEYS;

    /// The keys the redemption pages use; every language has them (and the email's).
    fn redemption_keys(en: &Table) -> Vec<&String> {
        en.keys().filter(|k| k.starts_with("page_")).collect()
    }

    #[test]
    fn english_and_korean_have_exactly_the_same_keys() {
        let en = own(Language::En).unwrap();
        let ko = own(Language::Ko).unwrap();
        assert_eq!(
            ko.keys().collect::<Vec<_>>(),
            en.keys().collect::<Vec<_>>(),
            "ko has every key of en and no other"
        );
        // The pages' keys are there, not only the email's and the redemption pages'.
        for key in ["signin_heading", "base_secured_by", "error_not_found_title"] {
            assert!(en.contains_key(key), "{key}");
        }
    }

    #[test]
    fn every_language_has_the_email_and_redemption_keys_and_nothing_english_lacks() {
        let en = own(Language::En).unwrap();
        let required: Vec<&String> = redemption_keys(en);
        assert!(
            required.len() > 20,
            "the redemption keys are found by prefix"
        );
        for language in Language::ALL {
            let strings = own(language).unwrap_or_else(|e| panic!("{language}: {e}"));
            for key in EMAIL_KEYS {
                assert!(
                    strings.contains_key(key),
                    "{language} lacks the email key {key}"
                );
            }
            for key in &required {
                assert!(strings.contains_key(*key), "{language} lacks {key}");
            }
            for key in strings.keys() {
                assert!(en.contains_key(key), "{language} has {key}, which en lacks");
            }
        }
    }

    #[test]
    fn translations_use_the_english_placeholders_and_are_not_empty() {
        let en = own(Language::En).unwrap();
        for language in Language::ALL {
            for (key, value) in own(language).unwrap() {
                assert!(!value.trim().is_empty(), "{language}.{key} is empty");
                let Some(english) = en.get(key) else { continue };
                assert_eq!(
                    placeholders(value),
                    placeholders(english),
                    "{language}.{key} uses the same placeholders as en"
                );
                if language != Language::En && key.starts_with("page_") && key.ends_with("_heading")
                {
                    assert_ne!(value, english, "{language}.{key} is translated");
                }
            }
        }
    }

    #[test]
    fn the_spec_wording_of_labels_and_buttons_stays() {
        let en = own(Language::En).unwrap();
        for (key, text) in [
            ("page_email_label", "Email"),
            ("page_password_label", "Password"),
            ("page_display_name_label", "Display name"),
            ("page_confirm_password_label", "Confirm password"),
            ("page_signin_button", "Sign in"),
            ("page_create_button", "Create account"),
            ("page_accept_button", "Accept"),
            ("page_cancel_button", "Cancel"),
            ("page_forgot_password", "Forgot password?"),
            ("page_account", "Account"),
            ("page_leave_organisation", "Leave organisation"),
        ] {
            assert_eq!(en[key], text);
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
        assert_eq!(ko.raw("base_secured_by").unwrap(), "guestlist 보안 적용");
        assert!(en.raw("no_such_key").is_err());
        assert!(ko.raw("no_such_key").is_err());
    }

    #[test]
    fn a_missing_key_falls_back_to_english() {
        let english: Table = [("a", "A"), ("b", "B")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let mine: Table = [("a".to_string(), "가".to_string())].into();
        let merged = merge(&mine, &english);
        assert_eq!(merged["a"], "가");
        assert_eq!(merged["b"], "B");
        assert_eq!(merged.len(), 2);

        // German has no words of its own for the sign-in page's heading yet: English shows, its own
        // wording stays where it has one.
        let de_own = own(Language::De).unwrap();
        let en_own = own(Language::En).unwrap();
        let de = Locale::new(Language::De).unwrap();
        for (key, english) in en_own {
            let expected = de_own.get(key).unwrap_or(english);
            assert_eq!(de.raw(key).unwrap(), expected.as_str(), "de {key}");
        }
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
    fn page_texts_fill_the_tenant_and_hold_back_other_placeholders() {
        let en = Locale::new(Language::En).unwrap();
        let texts = Texts::new(en, "A&B {email}");
        assert_eq!(texts.shown("signin_title"), Some("Sign in · A&B {email}"));
        assert_eq!(texts.shown("page_email_label"), Some("Email"));
        assert!(
            texts.shown("page_continue_as").is_none(),
            "a sentence with {{email}} waits for the handler"
        );
        let before = texts.value().as_map().map(|m| m.len()).unwrap_or_default();
        let texts = texts
            .fill("page_continue_as", &[("email", "x@example.com")])
            .unwrap()
            .around("apps_signed_in_as", "{name}", &[("email", "x@example.com")])
            .unwrap();
        assert_eq!(
            texts.shown("page_continue_as"),
            Some("Continue as x@example.com")
        );
        assert_eq!(
            texts.shown("apps_signed_in_as_before"),
            Some("Signed in as ")
        );
        assert_eq!(
            texts.shown("apps_signed_in_as_after"),
            Some(" (x@example.com).")
        );
        // The template value holds the shared sentences and the filled ones.
        let after = texts.value().as_map().map(|m| m.len()).unwrap_or_default();
        assert_eq!(after, before + 3);
        let mut ctx = tera::Context::new();
        ctx.insert_value("t", texts.value());
        assert_eq!(
            tera::Tera::one_off(
                "{{ t.page_continue_as }}|{{ t.page_email_label }}",
                &ctx,
                false
            )
            .unwrap(),
            "Continue as x@example.com|Email"
        );
        assert_eq!(
            texts.get("signup_closed").unwrap(),
            "A&B {email} does not offer sign-up. Ask an administrator for an invitation."
        );
        assert!(texts.get("no_such_key").is_err());
        assert_eq!(
            placeholders("{a} and {b} and {a"),
            BTreeSet::from(["a", "b"])
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
