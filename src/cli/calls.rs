//! Every admin command as a typed call, and the two ways of carrying one out: the use cases in this
//! process, acting as the operator ([`local`]), or the admin API of a running server ([`Call::request`]).
//! Both answer with the API's JSON, so a script reads the same output whichever way it runs.

use super::client::{Body, Reply, Stop};
use crate::error::Error;
use crate::service::Services;
use crate::service::apps::manage::{self as apps, AppPatch, AssignmentInput, NewAppBody};
use crate::service::audit::{self, AuditQuery};
use crate::service::auth::Actor;
use crate::service::etag::Tagged;
use crate::service::federation::{self, IdentityProviderPatch, NewIdentityProvider};
use crate::service::groups::{self, GroupPatch, NewGroupBody};
use crate::service::invitations::{self, follow_up};
use crate::service::lifecycle::sponsors;
use crate::service::settings::{self, BrandingPatch, PoliciesPatch};
use crate::service::tenants::Tenant;
use crate::service::tenants::manage::{self as tenants, TenantInput};
use crate::service::terms::{self, NewTerms};
use crate::service::users::{self, NewUserBody, UserPatch, UserQuery};
use crate::service::webhooks::{self, NewWebhook, WebhookPatch};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// Query parameters of a list.
pub type Query = Vec<(&'static str, String)>;

/// The kinds of object the admin commands manage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    User,
    Group,
    App,
    Invitation,
    Branding,
    Policies,
    Audit,
    IdentityProvider,
    /// The tenant's newest terms of use.
    Terms,
    /// Who accepted which version of the terms.
    TermsAcceptance,
    /// A webhook endpoint.
    Webhook,
}

impl Object {
    /// What one object is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Object::User => "user",
            Object::Group => "group",
            Object::App => "app",
            Object::Invitation => "invitation",
            Object::Branding => "branding",
            Object::Policies => "policies",
            Object::Audit => "audit event",
            Object::IdentityProvider => "identity provider",
            Object::Terms => "terms of use",
            Object::TermsAcceptance => "acceptance of the terms",
            Object::Webhook => "webhook",
        }
    }

    /// The collection below `/api/v1/tenants/{slug}/`.
    fn collection(self) -> &'static str {
        match self {
            Object::User => "users",
            Object::Group => "groups",
            Object::App => "apps",
            Object::Invitation => "invitations",
            Object::Branding => "branding",
            Object::Policies => "policies",
            Object::Audit => "audit",
            Object::IdentityProvider => "identity-providers",
            Object::Terms => "terms",
            Object::TermsAcceptance => "terms/acceptances",
            Object::Webhook => "webhooks",
        }
    }
}

/// Something done to one object (or the tenant's branding) besides reading, changing and deleting it.
#[derive(Debug, Clone)]
pub enum Deed {
    ResetPassword,
    ResendToUser,
    ResetRedemption {
        email: Option<String>,
    },
    AddMember {
        user: String,
    },
    RemoveMember {
        user: String,
    },
    RotateSecret {
        /// Webhooks only: hours the old secret keeps signing beside the new one.
        keep_previous_hours: Option<i64>,
    },
    Assign(AssignmentInput),
    Unassign {
        kind: String,
        principal: String,
    },
    Revoke,
    Resend,
    PutLogo(Vec<u8>),
    RemoveLogo,
    TestConnection,
    /// A webhook endpoint's delivery log.
    Deliveries,
    /// Send a logged webhook message again.
    Replay {
        delivery: String,
    },
    /// A guest's sponsors; with `set`, replaced by these ids or addresses first.
    Sponsors {
        set: Option<Vec<String>>,
    },
}

/// One call of the admin API.
#[derive(Debug, Clone)]
pub enum Call {
    List {
        object: Object,
        tenant: String,
        query: Query,
    },
    /// One object; `id` is `None` for the tenant's branding and policies.
    Show {
        object: Object,
        tenant: String,
        id: Option<String>,
    },
    Update {
        object: Object,
        tenant: String,
        id: Option<String>,
        patch: Value,
        if_match: String,
    },
    Delete {
        object: Object,
        tenant: String,
        id: String,
        if_match: String,
    },
    Act {
        object: Object,
        tenant: String,
        id: Option<String>,
        deed: Deed,
    },
    ExportAudit {
        tenant: String,
        query: Query,
    },
    CreateUser {
        tenant: String,
        body: NewUserBody,
    },
    CreateGroup {
        tenant: String,
        body: NewGroupBody,
    },
    CreateApp {
        tenant: String,
        body: NewAppBody,
    },
    PublishTerms {
        tenant: String,
        body: NewTerms,
    },
    CreateWebhook {
        tenant: String,
        body: NewWebhook,
    },
    CreateIdentityProvider {
        tenant: String,
        // Boxed: the largest body by far, it would make every call (and plan) that size.
        body: Box<NewIdentityProvider>,
    },
    /// Operators' calls name the tenant that issued their token (`--home-tenant`).
    CreateSharedIdentityProvider {
        home: String,
        body: Box<NewIdentityProvider>,
    },
    DeleteSharedIdentityProvider {
        home: String,
        id: String,
    },
    ListTenants {
        home: String,
    },
    CreateTenant {
        home: String,
        input: TenantInput,
    },
}

/// The operators' collection of providers offered to every tenant.
const SHARED_PROVIDERS: &str = "/api/v1/identity-providers";

/// An id or slug as one path segment. Ids are opaque: everything outside the unreserved characters is
/// escaped, and dot segments (which URL parsers would fold away) are refused.
pub fn segment(raw: &str) -> Result<String, Stop> {
    if raw.trim().is_empty() || raw.chars().all(|c| c == '.') {
        return Err(Stop::Usage(format!("{raw:?} is not an id")));
    }
    Ok(raw
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect())
}

/// `/api/v1/tenants/{tenant}/{collection}[/{id}]{rest}`.
fn path(object: Object, tenant: &str, id: Option<&str>, rest: &str) -> Result<String, Stop> {
    let mut p = format!(
        "/api/v1/tenants/{}/{}",
        segment(tenant)?,
        object.collection()
    );
    if let Some(id) = id {
        p.push('/');
        p.push_str(&segment(id)?);
    }
    p.push_str(rest);
    Ok(p)
}

fn json<T: Serialize>(value: &T) -> Result<Body, Stop> {
    serde_json::to_value(value)
        .map(Body::Json)
        .map_err(|e| Stop::Failed(e.to_string()))
}

/// An HTTP request of the admin API.
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub query: Query,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
}

impl Call {
    /// The request that carries this call to a server.
    pub fn request(&self) -> Result<Request, Stop> {
        let mut headers = Vec::new();
        let mut query = Query::new();
        let (method, path, body) = match self {
            Call::List {
                object,
                tenant,
                query: q,
            } => {
                query = q.clone();
                ("GET", path(*object, tenant, None, "")?, Body::None)
            }
            Call::Show { object, tenant, id } => {
                ("GET", path(*object, tenant, id.as_deref(), "")?, Body::None)
            }
            Call::Update {
                object,
                tenant,
                id,
                patch,
                if_match,
            } => {
                headers.push(("if-match", if_match.clone()));
                let p = path(*object, tenant, id.as_deref(), "")?;
                ("PATCH", p, Body::Json(patch.clone()))
            }
            Call::Delete {
                object,
                tenant,
                id,
                if_match,
            } => {
                headers.push(("if-match", if_match.clone()));
                ("DELETE", path(*object, tenant, Some(id), "")?, Body::None)
            }
            Call::Act {
                object,
                tenant,
                id,
                deed,
            } => {
                let at = |rest: &str| path(*object, tenant, id.as_deref(), rest);
                match deed {
                    Deed::ResetPassword => ("POST", at("/password-reset")?, Body::None),
                    Deed::ResendToUser => ("POST", at("/resend-invitation")?, Body::None),
                    Deed::ResetRedemption { email } => (
                        "POST",
                        at("/reset-redemption")?,
                        Body::Json(serde_json::json!({ "invitedUserEmailAddress": email })),
                    ),
                    Deed::AddMember { user } => (
                        "PUT",
                        at(&format!("/members/{}", segment(user)?))?,
                        Body::None,
                    ),
                    Deed::RemoveMember { user } => (
                        "DELETE",
                        at(&format!("/members/{}", segment(user)?))?,
                        Body::None,
                    ),
                    Deed::RotateSecret {
                        keep_previous_hours: None,
                    } => ("POST", at("/secret")?, Body::None),
                    Deed::RotateSecret {
                        keep_previous_hours: Some(hours),
                    } => (
                        "POST",
                        at("/secret")?,
                        Body::Json(serde_json::json!({ "keepPreviousHours": hours })),
                    ),
                    Deed::Assign(input) => ("POST", at("/assignments")?, json(input)?),
                    Deed::Unassign { kind, principal } => (
                        "DELETE",
                        at(&format!("/assignments/{kind}/{}", segment(principal)?))?,
                        Body::None,
                    ),
                    Deed::Revoke => ("POST", at("/revoke")?, Body::None),
                    Deed::Resend => ("POST", at("/resend")?, Body::None),
                    Deed::PutLogo(bytes) => ("PUT", at("/logo")?, Body::Bytes(bytes.clone())),
                    Deed::RemoveLogo => ("DELETE", at("/logo")?, Body::None),
                    Deed::TestConnection => ("POST", at("/test")?, Body::None),
                    Deed::Deliveries => ("GET", at("/deliveries")?, Body::None),
                    Deed::Sponsors { set: None } => ("GET", at("/sponsors")?, Body::None),
                    Deed::Sponsors { set: Some(list) } => (
                        "PUT",
                        at("/sponsors")?,
                        Body::Json(serde_json::json!({ "sponsors": list })),
                    ),
                    Deed::Replay { delivery } => (
                        "POST",
                        at(&format!("/deliveries/{}/replay", segment(delivery)?))?,
                        Body::None,
                    ),
                }
            }
            Call::ExportAudit { tenant, query: q } => {
                query = q.clone();
                (
                    "GET",
                    path(Object::Audit, tenant, None, "/export")?,
                    Body::None,
                )
            }
            Call::CreateUser { tenant, body } => {
                ("POST", path(Object::User, tenant, None, "")?, json(body)?)
            }
            Call::CreateGroup { tenant, body } => {
                ("POST", path(Object::Group, tenant, None, "")?, json(body)?)
            }
            Call::CreateApp { tenant, body } => {
                ("POST", path(Object::App, tenant, None, "")?, json(body)?)
            }
            Call::PublishTerms { tenant, body } => {
                ("POST", path(Object::Terms, tenant, None, "")?, json(body)?)
            }
            Call::CreateWebhook { tenant, body } => (
                "POST",
                path(Object::Webhook, tenant, None, "")?,
                json(body)?,
            ),
            Call::CreateIdentityProvider { tenant, body } => (
                "POST",
                path(Object::IdentityProvider, tenant, None, "")?,
                json(body)?,
            ),
            Call::CreateSharedIdentityProvider { home, body } => {
                headers.push(("x-guestlist-tenant", home.clone()));
                ("POST", SHARED_PROVIDERS.to_string(), json(body)?)
            }
            Call::DeleteSharedIdentityProvider { home, id } => {
                headers.push(("x-guestlist-tenant", home.clone()));
                let p = format!("{SHARED_PROVIDERS}/{}", segment(id)?);
                ("DELETE", p, Body::None)
            }
            Call::ListTenants { home } => {
                headers.push(("x-guestlist-tenant", home.clone()));
                ("GET", "/api/v1/tenants".to_string(), Body::None)
            }
            Call::CreateTenant { home, input } => {
                headers.push(("x-guestlist-tenant", home.clone()));
                ("POST", "/api/v1/tenants".to_string(), json(input)?)
            }
        };
        Ok(Request {
            method,
            path,
            query,
            body,
            headers,
        })
    }
}

fn value<T: Serialize>(v: &T) -> Result<Reply, Stop> {
    let body = serde_json::to_vec(v).map_err(|e| Stop::Failed(e.to_string()))?;
    Ok(Reply {
        status: 200,
        etag: None,
        body,
    })
}

fn tagged<T: Serialize + Tagged>(v: &T) -> Result<Reply, Stop> {
    let mut reply = value(v)?;
    reply.etag = Some(v.etag().to_string());
    Ok(reply)
}

fn nothing() -> Result<Reply, Stop> {
    Ok(Reply {
        status: 204,
        etag: None,
        body: Vec::new(),
    })
}

/// A list's query pairs as the use case's query type (the API reads the same pairs).
fn parsed<T: serde::de::DeserializeOwned>(query: &Query) -> Result<T, Stop> {
    let text = serde_urlencoded::to_string(query).map_err(|e| Stop::Failed(e.to_string()))?;
    serde_urlencoded::from_str(&text).map_err(|e| Stop::Usage(e.to_string()))
}

/// A patch as the use case's patch type: the same JSON the API accepts.
fn patch<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, Stop> {
    serde_json::from_value(v.clone())
        .map_err(|e| Stop::Failed(format!("body: not valid here: {e}")))
}

#[derive(serde::Deserialize)]
struct Paging {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// The tenant a command names (`--tenant`), or an error that says which one is missing.
pub(super) async fn tenant(svc: &Services, slug: &str) -> crate::error::Result<Arc<Tenant>> {
    svc.tenants.by_slug(slug).await.map_err(|e| match e {
        Error::NotFound(_) => Error::NotFound(format!("no tenant named {slug}")),
        other => other,
    })
}

/// Carries out `call` with the use cases of this process, as the operator.
pub async fn local(svc: &Services, call: Call) -> Result<Reply, Stop> {
    let op = &Actor::operator();
    // The operator here runs the server: no home tenant is involved.
    Ok(match call {
        Call::ListTenants { .. } => value(&tenants::list(svc, op, None).await?)?,
        Call::CreateTenant { input, .. } => value(&tenants::create(svc, op, None, input).await?)?,
        Call::CreateSharedIdentityProvider { body, .. } => {
            tagged(&federation::create_shared(svc, op, None, *body).await?)?
        }
        Call::DeleteSharedIdentityProvider { id, .. } => {
            federation::delete_shared(svc, op, None, &id).await?;
            nothing()?
        }
        other => {
            let slug = match &other {
                Call::List { tenant, .. }
                | Call::Show { tenant, .. }
                | Call::Update { tenant, .. }
                | Call::Delete { tenant, .. }
                | Call::Act { tenant, .. }
                | Call::ExportAudit { tenant, .. }
                | Call::CreateUser { tenant, .. }
                | Call::CreateGroup { tenant, .. }
                | Call::CreateApp { tenant, .. }
                | Call::PublishTerms { tenant, .. }
                | Call::CreateWebhook { tenant, .. }
                | Call::CreateIdentityProvider { tenant, .. } => tenant.clone(),
                Call::ListTenants { home }
                | Call::CreateTenant { home, .. }
                | Call::CreateSharedIdentityProvider { home, .. }
                | Call::DeleteSharedIdentityProvider { home, .. } => home.clone(),
            };
            let t = tenant(svc, &slug).await?;
            in_tenant(svc, op, &t, other).await?
        }
    })
}

/// The calls about one tenant's objects.
async fn in_tenant(svc: &Services, op: &Actor, t: &Tenant, call: Call) -> Result<Reply, Stop> {
    use Object::*;
    let id_of = |id: Option<String>| id.ok_or_else(|| Stop::Usage("an id is needed".into()));
    match call {
        Call::List { object, query, .. } => match object {
            User => value(&users::list(svc, op, t, parsed::<UserQuery>(&query)?).await?),
            Group => {
                let p: Paging = parsed(&query)?;
                value(&groups::list(svc, op, t, p.limit, p.offset).await?)
            }
            App => value(&apps::list(svc, op, t).await?),
            Invitation => {
                let p: Paging = parsed(&query)?;
                value(&follow_up::list(svc, op, t, p.limit, p.offset).await?)
            }
            Audit => value(&audit::list(svc, op, t, parsed::<AuditQuery>(&query)?).await?),
            IdentityProvider => value(&federation::list(svc, op, t).await?),
            TermsAcceptance => value(&terms::acceptances(svc, op, t).await?),
            Webhook => value(&webhooks::list(svc, op, t).await?),
            Branding | Policies | Terms => {
                Err(Stop::Usage(format!("{} is not a list", object.noun())))
            }
        },
        Call::Show { object, id, .. } => match object {
            User => tagged(&users::get(svc, op, t, &id_of(id)?).await?),
            Group => tagged(&groups::get(svc, op, t, &id_of(id)?).await?),
            App => tagged(&apps::get(svc, op, t, &id_of(id)?).await?),
            Invitation => value(&follow_up::get(svc, op, t, &id_of(id)?).await?),
            Branding => tagged(&settings::branding(svc, op, t).await?),
            Policies => tagged(&settings::policies(svc, op, t).await?),
            IdentityProvider => tagged(&federation::get(svc, op, t, &id_of(id)?).await?),
            Webhook => tagged(&webhooks::get(svc, op, t, &id_of(id)?).await?),
            Terms => match terms::show(svc, op, t).await? {
                Some(current) => value(&current),
                None => Err(Stop::Failed(
                    "this tenant has published no terms of use".into(),
                )),
            },
            Audit => Err(Stop::Usage("audit events are listed, not shown".into())),
            TermsAcceptance => Err(Stop::Usage("acceptances are listed, not shown".into())),
        },
        Call::Update {
            object,
            id,
            patch: p,
            if_match,
            ..
        } => {
            let tag = Some(if_match);
            match object {
                User => {
                    let patch: UserPatch = patch(&p)?;
                    tagged(&users::update(svc, op, t, &id_of(id)?, patch, tag).await?)
                }
                Group => {
                    let patch: GroupPatch = patch(&p)?;
                    tagged(&groups::update(svc, op, t, &id_of(id)?, patch, tag).await?)
                }
                App => {
                    let patch: AppPatch = patch(&p)?;
                    tagged(&apps::update(svc, op, t, &id_of(id)?, patch, tag).await?)
                }
                Branding => {
                    let patch: BrandingPatch = patch(&p)?;
                    tagged(&settings::update_branding(svc, op, t, patch, tag).await?)
                }
                Policies => {
                    let patch: PoliciesPatch = patch(&p)?;
                    tagged(&settings::update_policies(svc, op, t, patch, tag).await?)
                }
                IdentityProvider => {
                    let patch: IdentityProviderPatch = patch(&p)?;
                    tagged(&federation::update(svc, op, t, &id_of(id)?, patch, tag).await?)
                }
                Webhook => {
                    let patch: WebhookPatch = patch(&p)?;
                    tagged(&webhooks::update(svc, op, t, &id_of(id)?, patch, tag).await?)
                }
                Invitation | Audit | Terms | TermsAcceptance => {
                    Err(Stop::Usage(format!("{} cannot be changed", object.noun())))
                }
            }
        }
        Call::Delete {
            object,
            id,
            if_match,
            ..
        } => {
            let tag = Some(if_match);
            match object {
                User => users::delete(svc, op, t, &id, tag).await?,
                Group => groups::delete(svc, op, t, &id, tag).await?,
                App => apps::delete(svc, op, t, &id, tag).await?,
                IdentityProvider => federation::delete(svc, op, t, &id, tag).await?,
                Webhook => webhooks::delete(svc, op, t, &id, tag).await?,
                _ => return Err(Stop::Usage(format!("{} cannot be deleted", object.noun()))),
            }
            nothing()
        }
        Call::Act {
            object, id, deed, ..
        } => match deed {
            Deed::ResetPassword => {
                value(&users::password_reset_link(svc, op, t, &id_of(id)?).await?)
            }
            Deed::ResendToUser => value(&invitations::resend(svc, op, t, &id_of(id)?).await?),
            Deed::ResetRedemption { email } => value(
                &invitations::reset_redemption(svc, op, t, &id_of(id)?, email.as_deref()).await?,
            ),
            Deed::AddMember { user } => {
                groups::add_member(svc, op, t, &id_of(id)?, &user).await?;
                nothing()
            }
            Deed::RemoveMember { user } => {
                groups::remove_member(svc, op, t, &id_of(id)?, &user).await?;
                nothing()
            }
            Deed::RotateSecret {
                keep_previous_hours,
            } if object == Webhook => value(
                &webhooks::rotate_secret(svc, op, t, &id_of(id)?, keep_previous_hours.unwrap_or(0))
                    .await?,
            ),
            Deed::RotateSecret { .. } => {
                value(&apps::rotate_secret(svc, op, t, &id_of(id)?).await?)
            }
            Deed::Deliveries => value(&webhooks::deliveries(svc, op, t, &id_of(id)?).await?),
            Deed::Sponsors { set: None } => value(&sponsors::list(svc, op, t, &id_of(id)?).await?),
            Deed::Sponsors { set: Some(list) } => {
                value(&sponsors::set(svc, op, t, &id_of(id)?, list).await?)
            }
            Deed::Replay { delivery } => {
                value(&webhooks::replay(svc, op, t, &id_of(id)?, &delivery).await?)
            }
            Deed::Assign(input) => tagged(&apps::assign(svc, op, t, &id_of(id)?, input).await?),
            Deed::Unassign { kind, principal } => {
                tagged(&apps::unassign(svc, op, t, &id_of(id)?, &kind, &principal).await?)
            }
            Deed::Revoke => value(&follow_up::revoke(svc, op, t, &id_of(id)?).await?),
            Deed::Resend => value(&invitations::resend_invitation(svc, op, t, &id_of(id)?).await?),
            Deed::PutLogo(bytes) => tagged(&settings::set_logo(svc, op, t, bytes).await?),
            Deed::RemoveLogo => tagged(&settings::remove_logo(svc, op, t).await?),
            Deed::TestConnection => {
                value(&federation::test_connection(svc, op, t, &id_of(id)?).await?)
            }
        },
        Call::ExportAudit { query, .. } => {
            let csv = audit::export_csv(svc, op, t, parsed::<AuditQuery>(&query)?).await?;
            Ok(Reply {
                status: 200,
                etag: None,
                body: csv.into_bytes(),
            })
        }
        Call::CreateUser { body, .. } => {
            tagged(&users::create(svc, op, t, body.into_member()?).await?)
        }
        Call::CreateGroup { body, .. } => tagged(
            &groups::create(svc, op, t, &body.display_name, body.description.as_deref()).await?,
        ),
        Call::CreateApp { body, .. } => {
            value(&apps::create(svc, op, t, body.into_new_app()?).await?)
        }
        Call::CreateIdentityProvider { body, .. } => {
            tagged(&federation::create(svc, op, t, *body).await?)
        }
        Call::PublishTerms { body, .. } => value(&terms::publish(svc, op, t, body).await?),
        Call::CreateWebhook { body, .. } => value(&webhooks::create(svc, op, t, body).await?),
        Call::ListTenants { .. }
        | Call::CreateTenant { .. }
        | Call::CreateSharedIdentityProvider { .. }
        | Call::DeleteSharedIdentityProvider { .. } => Err(Stop::Usage(
            "tenants and shared providers are the server's, not a tenant's".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_single_segments() {
        assert_eq!(segment("a b/c?d").ok().as_deref(), Some("a%20b%2Fc%3Fd"));
        assert!(matches!(segment(".."), Err(Stop::Usage(_))));
        assert!(matches!(segment(" "), Err(Stop::Usage(_))));
    }

    #[test]
    fn calls_become_the_apis_requests() {
        let r = Call::Act {
            object: Object::Group,
            tenant: "contoso".into(),
            id: Some("g 1".into()),
            deed: Deed::AddMember { user: "u/1".into() },
        }
        .request()
        .unwrap();
        assert_eq!(
            (r.method, r.path.as_str()),
            ("PUT", "/api/v1/tenants/contoso/groups/g%201/members/u%2F1")
        );
        let r = Call::Update {
            object: Object::Branding,
            tenant: "contoso".into(),
            id: None,
            patch: serde_json::json!({"displayName": "C"}),
            if_match: "\"e\"".into(),
        }
        .request()
        .unwrap();
        assert_eq!(r.path, "/api/v1/tenants/contoso/branding");
        assert_eq!(r.headers, vec![("if-match", "\"e\"".to_string())]);
        let users: UserQuery =
            parsed(&vec![("userType", "Guest".into()), ("limit", "5".into())]).unwrap();
        assert_eq!(users.user_type.as_deref(), Some("Guest"));
        assert_eq!(users.limit, Some(5));
    }

    #[test]
    fn identity_provider_calls_use_their_collection() {
        let r = Call::Act {
            object: Object::IdentityProvider,
            tenant: "contoso".into(),
            id: Some("p1".into()),
            deed: Deed::TestConnection,
        }
        .request()
        .unwrap();
        assert_eq!(
            (r.method, r.path.as_str()),
            ("POST", "/api/v1/tenants/contoso/identity-providers/p1/test")
        );
        let r = Call::CreateIdentityProvider {
            tenant: "contoso".into(),
            body: Box::new(NewIdentityProvider {
                display_name: "Fabrikam".into(),
                client_id: "c".into(),
                client_secret: "s".into(),
                ..Default::default()
            }),
        }
        .request()
        .unwrap();
        assert_eq!(
            (r.method, r.path.as_str()),
            ("POST", "/api/v1/tenants/contoso/identity-providers")
        );
        let Body::Json(body) = r.body else {
            panic!("a JSON body")
        };
        assert_eq!(body["displayName"], "Fabrikam");
        assert_eq!(body["clientSecret"], "s");
        // An operator's shared provider: the server's collection, with the token's tenant named.
        let r = Call::CreateSharedIdentityProvider {
            home: "default".into(),
            body: Box::default(),
        }
        .request()
        .unwrap();
        assert_eq!(
            (r.method, r.path.as_str()),
            ("POST", "/api/v1/identity-providers")
        );
        assert!(
            r.headers
                .contains(&("x-guestlist-tenant", "default".into()))
        );
        let r = Call::DeleteSharedIdentityProvider {
            home: "default".into(),
            id: "p/1".into(),
        }
        .request()
        .unwrap();
        assert_eq!(
            (r.method, r.path.as_str()),
            ("DELETE", "/api/v1/identity-providers/p%2F1")
        );
    }
}
