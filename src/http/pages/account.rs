//! `/t/{slug}/account`: the signed-in person's own account: organisations (leaving those they are a
//! guest of), sessions (ending the others), and "Download my data".

use super::{set_cookie, with_csrf};
use crate::domain::language::Language;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{branded_in, browser_language, language_for, render_page, see_other};
use crate::http::{tenant_for_page, texts};
use crate::service::Services;
use crate::service::account;
use crate::service::signin::SignedIn;
use crate::service::tenants::Tenant;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

/// The tenant of the path and the person signed in, or the answer that sends them to sign in.
async fn signed_in(
    svc: &Services,
    req: &HttpRequest,
) -> Result<Result<(std::sync::Arc<Tenant>, SignedIn), HttpResponse>, PageError> {
    let tenant = tenant_for_page(svc, req).await?;
    match cookies::signed_in(svc, req)
        .await
        .map_err(branded_in(&tenant, browser_language(req, &tenant)))?
    {
        Some(me) => Ok(Ok((tenant, me))),
        None => Ok(Err(see_other(&format!("/t/{}/signin", tenant.slug)))),
    }
}

pub async fn account_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let (tenant, me) = match signed_in(&svc, &req).await? {
        Ok(found) => found,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let done =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("done").cloned());
    page(&svc, &req, &tenant, &me, done.as_deref(), None).await
}

/// The account page, with the notice of what was just done (`done`) or what went wrong (`error`, a
/// service sentence shown in the page's language).
async fn page(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    me: &SignedIn,
    done: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let language = language_for(req, tenant, Some(&me.home_user));
    let fail = branded_in(tenant, language);
    let view = account::view(svc, me).await.map_err(&fail)?;
    let others = view.sessions.iter().filter(|s| !s.current).count();
    let mut t = texts(tenant, language)?
        .around("account_signed_in_as", "{name}", &[("email", &view.mail)])
        .and_then(|t| t.fill("account_other_sessions", &[("count", &others.to_string())]))
        .map_err(&fail)?;
    let notice = match done {
        Some("signed_out_elsewhere") => Some(t.get("account_signed_out_elsewhere").map_err(&fail)?),
        Some("left") => Some(t.get("account_left").map_err(&fail)?),
        Some("profile") => Some(t.get("account_profile_saved").map_err(&fail)?),
        Some("password") => Some(t.get("account_password_changed").map_err(&fail)?),
        _ => None,
    };
    t = t
        .around("account_leave_label", "{organisation}", &[])
        .and_then(|t| t.around("account_leave_forbidden", "{organisation}", &[]))
        .map_err(&fail)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("account", &view);
    ctx.insert("other_sessions", &others);
    ctx.insert("notice", &notice);
    ctx.insert("error_message", &error.map(|e| t.locale().message(e)));
    let languages: Vec<(&str, &str)> = Language::ALL
        .iter()
        .map(|l| (l.as_str(), l.endonym()))
        .collect();
    ctx.insert("languages", &languages);
    let mut resp = render_page(tenant, language, "pages/account.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(set_cookie(resp, cookie))
}

pub async fn account_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (tenant, me) = match signed_in(&svc, &req).await? {
        Ok(found) => found,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let language = language_for(&req, &tenant, Some(&me.home_user));
    let fail = branded_in(&tenant, language);
    let p: Params = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let back = |done: &str| see_other(&format!("/t/{}/account?done={done}", tenant.slug));
    match input::field(&p, "action") {
        "sign_out_elsewhere" => {
            account::sign_out_elsewhere(&svc, &me)
                .await
                .map_err(&fail)?;
            Ok(back("signed_out_elsewhere"))
        }
        "profile" => {
            let outcome = account::update_profile(
                &svc,
                &me,
                input::field(&p, "display_name"),
                input::field(&p, "language"),
            )
            .await;
            match outcome {
                Ok(()) => Ok(back("profile")),
                Err(Error::Invalid { message, .. }) => {
                    page(&svc, &req, &tenant, &me, None, Some(&message)).await
                }
                Err(e) => Err(fail(e)),
            }
        }
        "password" => {
            let origin = crate::http::origin(&svc, &req);
            let outcome = account::change_password(
                &svc,
                &me,
                input::field(&p, "current_password"),
                input::field(&p, "new_password"),
                input::field(&p, "confirm_password"),
                &origin,
            )
            .await;
            match outcome {
                Ok(()) => Ok(back("password")),
                Err(Error::Invalid { message, .. }) => {
                    page(&svc, &req, &tenant, &me, None, Some(&message)).await
                }
                Err(e) => Err(fail(e)),
            }
        }
        "leave" => {
            if input::field(&p, "confirm").is_empty() {
                let t = texts(&tenant, language)?;
                return Err(fail(Error::invalid(
                    "confirm",
                    t.get("account_leave_unconfirmed").map_err(&fail)?,
                )));
            }
            account::leave(&svc, &me, input::field(&p, "organisation"))
                .await
                .map_err(&fail)?;
            Ok(back("left"))
        }
        _ => Err(fail(Error::invalid(
            "action",
            "This form has no such action.",
        ))),
    }
}

/// "Download my data": the account page's facts as a JSON file.
pub async fn account_data(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let (tenant, me) = match signed_in(&svc, &req).await? {
        Ok(found) => found,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let fail = branded_in(&tenant, language_for(&req, &tenant, Some(&me.home_user)));
    let data = account::export(&svc, &me).await.map_err(&fail)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"my-account.json\"",
        ))
        .json(data))
}
