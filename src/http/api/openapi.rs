//! The OpenAPI 3 document of the admin API, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`.

use super::problem::Problem;
use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token of the tenant for the admin API (audience {public_url}/api/v1): client credentials of an app allowed the guestlist.admin (or guestlist.invite) scope, or the token a first-party app of the tenant obtained for a person holding the Admin (or GuestInviter) role with that scope.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "guestlist admin API", version = "1", description = "Tenants, users, guests, groups, apps, invitations, identity providers, branding, policies, terms of use, webhooks and audit of a guestlist server."),
    modifiers(&BearerAuth),
    paths(
        super::tenants::list, super::tenants::create,
        super::users::list, super::users::create, super::users::get, super::users::update, super::users::delete,
        super::users::password_reset, super::users::resend_invitation, super::users::reset_redemption,
        super::users::sponsors, super::users::set_sponsors,
        super::groups::list, super::groups::create, super::groups::get, super::groups::update, super::groups::delete,
        super::groups::add_member, super::groups::remove_member,
        super::apps::list, super::apps::create, super::apps::get, super::apps::update, super::apps::delete,
        super::apps::rotate_secret, super::apps::assign, super::apps::unassign,
        super::invitations::create, super::invitations::list, super::invitations::get, super::invitations::revoke,
        super::invitations::resend, super::invitations::upload_csv,
        super::settings::branding, super::settings::update_branding, super::settings::put_logo, super::settings::delete_logo,
        super::settings::policies, super::settings::update_policies,
        super::terms::current, super::terms::publish, super::terms::acceptances,
        super::identity_providers::list, super::identity_providers::create, super::identity_providers::get,
        super::identity_providers::update, super::identity_providers::delete, super::identity_providers::test,
        super::identity_providers::list_shared, super::identity_providers::create_shared,
        super::identity_providers::delete_shared,
        super::webhooks::list, super::webhooks::create, super::webhooks::get, super::webhooks::update,
        super::webhooks::delete, super::webhooks::rotate_secret, super::webhooks::deliveries,
        super::webhooks::replay,
        super::audit::list, super::audit::export,
    ),
    components(schemas(Problem))
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
