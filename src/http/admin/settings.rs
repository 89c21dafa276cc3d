//! Console: branding (with previews of the sign-in page and the invitation email) and policies.

use super::{Console, ConsoleResult, field, lines, multipart};
use crate::domain::language::Language;
use crate::mail::invitation::{InvitationEmail, render};
use crate::service::Services;
use crate::service::settings::{self, BrandingPatch, GuestLifecycleBody, PoliciesPatch};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::HashMap;

type Form = web::Form<HashMap<String, String>>;

pub async fn branding(svc: web::Data<Services>, c: Console) -> ConsoleResult {
    let b = settings::branding(&svc, &c.actor, &c.tenant)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("b", &b);
    ctx.insert("etag", &b.etag);
    ctx.insert("languages", &Language::ALL.map(Language::as_str));
    ctx.insert(
        "max_logo_kib",
        &(crate::domain::logo::MAX_LOGO_BYTES / 1024),
    );
    let t = c
        .texts()
        .fill(
            "admin_branding_logo_hint",
            &[(
                "size",
                &(crate::domain::logo::MAX_LOGO_BYTES / 1024).to_string(),
            )],
        )
        .map_err(|e| c.page_error(e))?;
    c.render_with("admin/branding.html", "branding", ctx, &t)
}

pub async fn save_branding(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let text = |k: &str| Some(form.get(k).cloned().unwrap_or_default());
    let patch = BrandingPatch {
        display_name: field(&form, "display_name"),
        primary_color: field(&form, "primary_color"),
        background_color: field(&form, "background_color"),
        privacy_url: text("privacy_url"),
        contact_url: text("contact_url"),
        signin_text: text("signin_text"),
        default_language: field(&form, "default_language"),
    };
    settings::update_branding(&svc, &c.actor, &c.tenant, patch, form.get("etag").cloned())
        .await
        .map_err(|e| c.page_error(e))?;
    Ok(c.done("/branding", &c.say("admin_notice_branding_saved", &[])))
}

pub async fn upload_logo(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    payload: actix_multipart::Multipart,
) -> ConsoleResult {
    let (fields, file) = multipart(payload, 1024 * 1024)
        .await
        .map_err(|e| c.page_error(e))?;
    c.check(&req, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    if fields.contains_key("remove") {
        settings::remove_logo(&svc, &c.actor, &c.tenant)
            .await
            .map_err(|e| c.page_error(e))?;
        return Ok(c.done("/branding", &c.say("admin_notice_logo_removed", &[])));
    }
    let (_, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| c.invalid("logo", "admin_error_choose_image", &[]))?;
    settings::set_logo(&svc, &c.actor, &c.tenant, bytes)
        .await
        .map_err(|e| c.page_error(e))?;
    Ok(c.done("/branding", &c.say("admin_notice_logo_uploaded", &[])))
}

/// The tenant's real sign-in page, as people see it now.
pub async fn preview_signin(c: Console) -> ConsoleResult {
    Ok(crate::http::see_other(&format!(
        "/t/{}/signin",
        c.tenant.slug
    )))
}

#[derive(serde::Deserialize)]
pub struct PreviewQuery {
    language: Option<String>,
}

/// The invitation email with the current branding and a sample invitee, as HTML. The email's own
/// inline styles need a policy of their own (pages elsewhere allow no inline style).
pub async fn preview_email(
    svc: web::Data<Services>,
    c: Console,
    q: web::Query<PreviewQuery>,
) -> ConsoleResult {
    let language = q
        .language
        .as_deref()
        .and_then(|l| Language::parse(l).ok())
        .unwrap_or(c.tenant.settings.default_language);
    let s = &c.tenant.settings;
    let email = InvitationEmail {
        language,
        tenant_name: &c.tenant.display_name,
        brand_name: &c.tenant.display_name,
        logo_url: s.logo_url.as_deref(),
        primary_color: &s.primary_color,
        background_color: &s.background_color,
        inviter_name: c.actor.display_name(),
        invitee_name: "Alex Partner",
        invitee_email: "alex@partner.example",
        custom_text: Some("Welcome aboard!"),
        accept_url: "#",
        contact_url: s.contact_url.as_deref(),
        privacy_url: s.privacy_url.as_deref(),
        block_url: "#",
        expires_on: &crate::service::invitations::date_of(
            svc.now() + s.ticket_lifetime_days * 86_400,
        ),
    };
    let rendered = render(&email).map_err(|e| c.page_error(e))?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'none'",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(rendered.html))
}

pub async fn policies(svc: web::Data<Services>, c: Console) -> ConsoleResult {
    let p = settings::policies(&svc, &c.actor, &c.tenant)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("p", &p);
    ctx.insert("etag", &p.etag);
    ctx.insert("domains_text", &p.domains.join("\n"));
    c.render("admin/policies.html", "policies", ctx)
}

pub async fn save_policies(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let days = match field(&form, "ticket_lifetime_days") {
        Some(d) => Some(
            d.parse::<i64>()
                .map_err(|_| c.invalid("ticketLifetimeDays", "admin_error_days", &[]))?,
        ),
        None => None,
    };
    // Each lifecycle rule is a number of days; an empty box turns it off.
    let optional_days = |name: &str, api: &str| -> Result<Option<i64>, _> {
        field(&form, name)
            .map(|d| {
                d.parse::<i64>()
                    .map_err(|_| c.invalid(api, "admin_error_days", &[]))
            })
            .transpose()
    };
    let lifecycle = GuestLifecycleBody {
        inactive_after_days: optional_days("guest_inactive_after_days", "inactiveAfterDays")?,
        delete_after_days: optional_days("guest_delete_after_days", "deleteAfterDays")?,
        review_every_days: optional_days("guest_review_every_days", "reviewEveryDays")?,
        review_respond_days: optional_days("guest_review_respond_days", "reviewRespondDays")?
            .unwrap_or(14),
        disable_unreviewed: form.contains_key("guest_disable_unreviewed"),
    };
    let patch = PoliciesPatch {
        guest_lifecycle: Some(lifecycle),
        invite_policy: field(&form, "invite_policy"),
        domain_list_mode: field(&form, "domain_list_mode"),
        domains: Some(lines(&form, "domains")),
        self_service_sign_up: Some(form.contains_key("self_service_sign_up")),
        allow_mismatched_email_redemption: Some(
            form.contains_key("allow_mismatched_email_redemption"),
        ),
        email_one_time_passcode: Some(form.contains_key("email_one_time_passcode")),
        guests_may_leave: Some(form.contains_key("guests_may_leave")),
        ticket_lifetime_days: days,
    };
    settings::update_policies(&svc, &c.actor, &c.tenant, patch, form.get("etag").cloned())
        .await
        .map_err(|e| c.page_error(e))?;
    Ok(c.done("/policies", &c.say("admin_notice_policies_saved", &[])))
}
