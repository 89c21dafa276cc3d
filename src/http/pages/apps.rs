//! `/t/{slug}/apps`: the apps a signed-in person may open in the tenant.

use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::{branded, render_page, see_other, tenant_for_page};
use crate::service::Services;
use crate::service::apps::panel;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn app_panel(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let Some(signed_in) = cookies::signed_in(&svc, &req)
        .await
        .map_err(branded(&tenant))?
    else {
        return Ok(see_other(&format!("/t/{}/signin", tenant.slug)));
    };
    let (user, apps) = panel(&svc, &tenant, &signed_in)
        .await
        .map_err(branded(&tenant))?;
    let mut ctx = tera::Context::new();
    ctx.insert("user_name", &user.display_name);
    ctx.insert("user_email", &user.mail);
    ctx.insert("apps", &apps);
    render_page(&tenant, "pages/apps.html", ctx)
}
