//! `/t/{slug}/apps`: the apps a signed-in person may open in the tenant.

use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::{
    branded_in, browser_language, language_for, render_page, see_other, tenant_for_page, texts,
};
use crate::service::Services;
use crate::service::apps::panel::panel;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn app_panel(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let Some(signed_in) = cookies::signed_in(&svc, &req)
        .await
        .map_err(branded_in(&tenant, browser_language(&req, &tenant)))?
    else {
        return Ok(see_other(&format!("/t/{}/signin", tenant.slug)));
    };
    let language = language_for(&req, &tenant, Some(&signed_in.home_user));
    let fail = branded_in(&tenant, language);
    let (user, apps) = panel(&svc, &tenant, &signed_in).await.map_err(&fail)?;
    let t = texts(&tenant, language)?
        .around("apps_signed_in_as", "{name}", &[("email", &user.mail)])
        .map_err(&fail)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    ctx.insert("user_name", &user.display_name);
    ctx.insert("user_email", &user.mail);
    ctx.insert("apps", &apps);
    render_page(&tenant, language, "pages/apps.html", ctx)
}
