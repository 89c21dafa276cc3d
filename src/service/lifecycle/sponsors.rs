//! Who answers for a guest: the inviter by default (recorded with the invitation), changed by admins,
//! several allowed. Sponsors get the periodic review emails for their guests.

use super::super::Services;
use super::super::audit::{self, AuditEvent, events};
use super::super::auth::Actor;
use super::super::tenants::Tenant;
use crate::domain::access::Action;
use crate::domain::email::EmailAddress;
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::{GuestSponsorRow, UserRow};
use crate::store::queries::{self, lifecycle as q};

/// The most sponsors one guest may have.
pub const MAX_SPONSORS: usize = 20;

/// A sponsor as admins see one.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sponsor {
    pub id: String,
    pub display_name: String,
    pub mail: String,
}

fn refs(rows: Vec<UserRow>) -> Vec<Sponsor> {
    rows.into_iter()
        .map(|u| Sponsor {
            id: u.id,
            display_name: u.display_name,
            mail: u.mail,
        })
        .collect()
}

/// The guest `id` of `tenant`; a member or an unknown id is not found (only guests have sponsors).
fn guest_in(c: &mut AnyConnection, tenant: &Tenant, id: &str) -> Result<UserRow> {
    queries::users::by_id(c, id)?
        .filter(|u| u.tenant_id == tenant.id && u.user_type == q::GUEST)
        .ok_or_else(|| Error::NotFound(format!("guest {id}")))
}

/// The sponsors of one guest, in the caller's transaction.
pub(crate) fn of(c: &mut AnyConnection, guest_id: &str) -> Result<Vec<Sponsor>> {
    Ok(refs(q::sponsors_of(c, guest_id)?))
}

pub async fn list(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<Vec<Sponsor>> {
    let (t, id_c) = (tenant.clone(), id.to_string());
    svc.read_as(actor, tenant, Action::Administer, id, move |c, _| {
        let guest = guest_in(c, &t, &id_c)?;
        of(c, &guest.id)
    })
    .await
}

/// Replaces a guest's sponsors with `sponsors` (user ids or addresses of users of the same tenant).
pub async fn set(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    sponsors: Vec<String>,
) -> Result<Vec<Sponsor>> {
    if sponsors.len() > MAX_SPONSORS {
        return Err(Error::invalid(
            "sponsors",
            format!("at most {MAX_SPONSORS} sponsors"),
        ));
    }
    let (t, id_c, actor_id, now) = (tenant.clone(), id.to_string(), actor.id(), svc.now());
    svc.write_as(actor, tenant, Action::Administer, id, move |c, _| {
        let guest = guest_in(c, &t, &id_c)?;
        let before = of(c, &guest.id)?;
        let mut chosen: Vec<UserRow> = Vec::new();
        for raw in &sponsors {
            let sponsor = resolve(c, &t, raw.trim())?;
            if sponsor.id == guest.id {
                return Err(Error::invalid(
                    "sponsors",
                    "a guest cannot sponsor themselves",
                ));
            }
            if !chosen.iter().any(|s| s.id == sponsor.id) {
                chosen.push(sponsor);
            }
        }
        q::clear_sponsors(c, &guest.id)?;
        for sponsor in &chosen {
            q::add_sponsor(
                c,
                &GuestSponsorRow {
                    guest_id: guest.id.clone(),
                    sponsor_id: sponsor.id.clone(),
                    tenant_id: t.id.clone(),
                    created_at: now,
                },
            )?;
        }
        let after = of(c, &guest.id)?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &t.id,
                event_name: events::UPDATE_SPONSORS,
                actor: &actor_id,
                target: &guest.id,
                outcome: "success",
                details: serde_json::json!({ "before": before, "after": after }),
            },
        )?;
        Ok(after)
    })
    .await
}

/// A user of `tenant` named by id or address.
fn resolve(c: &mut AnyConnection, tenant: &Tenant, raw: &str) -> Result<UserRow> {
    let found = if raw.contains('@') {
        let lower = EmailAddress::parse(raw)
            .map_err(|e| Error::invalid("sponsors", e.message))?
            .lower();
        queries::users::by_tenant_and_mail(c, &tenant.id, &lower)?
    } else {
        queries::users::by_id(c, raw)?.filter(|u| u.tenant_id == tenant.id)
    };
    found.ok_or_else(|| Error::invalid("sponsors", format!("no user {raw:?} in this organisation")))
}
