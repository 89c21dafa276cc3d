//! Console: the upstream OpenID Connect providers the tenant's partners (and, where allowed, its own
//! members) sign in through. The client secret goes in and is never shown again.

use super::{Console, ConsoleResult, field, lines};
use crate::error::Error;
use crate::service::Services;
use crate::service::federation::{self, IdentityProviderPatch, NewIdentityProvider};
use actix_web::{HttpRequest, web};
use std::collections::HashMap;

type Form = web::Form<HashMap<String, String>>;

/// The kinds of provider the form offers: the value the service knows and the key of its label.
const PRESETS: [(&str, &str); 3] = [
    ("generic", "admin_idp_preset_generic"),
    ("microsoft", "admin_idp_preset_microsoft"),
    ("google", "admin_idp_preset_google"),
];

pub async fn list(svc: web::Data<Services>, c: Console) -> ConsoleResult {
    let providers = federation::list(&svc, &c.actor, &c.tenant)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("providers", &providers);
    ctx.insert(
        "redirect_uri",
        &federation::redirect_uri(&svc.config.public_url),
    );
    c.render("admin/idps.html", "idps", ctx)
}

pub async fn new_form(svc: web::Data<Services>, c: Console) -> ConsoleResult {
    let mut ctx = tera::Context::new();
    ctx.insert("presets", &PRESETS);
    ctx.insert(
        "redirect_uri",
        &federation::redirect_uri(&svc.config.public_url),
    );
    c.render("admin/idp_new.html", "idps", ctx)
}

/// The scopes field: words separated by spaces or commas; `None` when left empty (the defaults).
fn scopes_of(form: &HashMap<String, String>) -> Option<Vec<String>> {
    let words: Vec<String> = form
        .get("scopes")
        .map(|s| {
            s.split([' ', ',', '\n', '\t'])
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    (!words.is_empty()).then_some(words)
}

pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let members = form.contains_key("members");
    let created = federation::create(
        &svc,
        &c.actor,
        &c.tenant,
        NewIdentityProvider {
            display_name: field(&form, "display_name").unwrap_or_default(),
            preset: field(&form, "preset"),
            issuer: field(&form, "issuer"),
            client_id: field(&form, "client_id").unwrap_or_default(),
            // A secret is taken as typed: surrounding spaces could be part of it.
            client_secret: form.get("client_secret").cloned().unwrap_or_default(),
            scopes: scopes_of(&form),
            domains: lines(&form, "domains"),
            email_claim: field(&form, "email_claim"),
            name_claim: field(&form, "name_claim"),
            trust_email: form.contains_key("trust_email").then_some(true),
            members,
            create_members: members && form.contains_key("create_members"),
            enabled: Some(!form.contains_key("disabled")),
        },
    )
    .await
    .map_err(|e| c.page_error(e))?;
    Ok(c.done(
        &format!("/identity-providers/{}", created.id),
        &c.say("admin_notice_idp_added", &[]),
    ))
}

pub async fn show(svc: web::Data<Services>, req: HttpRequest, c: Console) -> ConsoleResult {
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let p = federation::get(&svc, &c.actor, &c.tenant, &id)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("p", &p);
    ctx.insert("etag", &p.etag);
    let preset_key = PRESETS
        .iter()
        .find(|(value, _)| *value == p.preset)
        .map_or("admin_idp_preset_generic", |(_, key)| key);
    ctx.insert("preset_key", preset_key);
    let t = c
        .texts()
        .fill("admin_idp_delete_confirm", &[("name", &p.display_name)])
        .map_err(|e| c.page_error(e))?;
    c.render_with("admin/idp.html", "idps", ctx, &t)
}

pub async fn act(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let err = |e: Error| c.page_error(e);
    let etag = form.get("etag").cloned();
    let back = format!("/identity-providers/{id}");
    match form.get("action").map(String::as_str) {
        Some("save") => {
            let members = form.contains_key("members");
            let secret = form.get("client_secret").filter(|s| !s.is_empty()).cloned();
            let patch = IdentityProviderPatch {
                display_name: field(&form, "display_name"),
                issuer: field(&form, "issuer"),
                client_id: field(&form, "client_id"),
                // Left empty, the secret stays as it is (it is never shown to be edited).
                client_secret: secret,
                // Left empty, the scopes stay as they are.
                scopes: scopes_of(&form),
                domains: Some(lines(&form, "domains")),
                email_claim: field(&form, "email_claim"),
                name_claim: field(&form, "name_claim"),
                trust_email: Some(form.contains_key("trust_email")),
                members: Some(members),
                create_members: Some(members && form.contains_key("create_members")),
                enabled: Some(form.contains_key("enabled")),
            };
            federation::update(&svc, &c.actor, &c.tenant, &id, patch, etag)
                .await
                .map_err(err)?;
            Ok(c.done(&back, &c.say("admin_notice_saved", &[])))
        }
        Some("test") => {
            let result = federation::test_connection(&svc, &c.actor, &c.tenant, &id)
                .await
                .map_err(err)?;
            let said = if result.ok {
                c.say("admin_notice_idp_test_ok", &[])
            } else {
                let why = result.error.unwrap_or_default();
                c.say("admin_notice_idp_test_failed", &[("error", &why)])
            };
            Ok(c.done(&back, &said))
        }
        Some("delete") => {
            if !form.contains_key("confirm") {
                return Err(c.invalid("confirm", "admin_error_confirm_idp", &[]));
            }
            federation::delete(&svc, &c.actor, &c.tenant, &id, etag)
                .await
                .map_err(err)?;
            Ok(c.done(
                "/identity-providers",
                &c.say("admin_notice_idp_deleted", &[]),
            ))
        }
        _ => Err(c.unknown_action()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_words_and_empty_means_the_defaults() {
        let form = |s: &str| HashMap::from([("scopes".to_string(), s.to_string())]);
        assert_eq!(
            scopes_of(&form(" email, profile\ngroups ")),
            Some(vec!["email".into(), "profile".into(), "groups".into()])
        );
        assert_eq!(scopes_of(&form("  ")), None);
        assert_eq!(scopes_of(&HashMap::new()), None);
    }
}
