//! The app panel: the apps a signed-in person may open in a tenant.

use super::super::Services;
use super::super::signin::{SignedIn, subject_in_tenant};
use super::super::tenants::Tenant;
use super::App;
use crate::domain::user::User;
use crate::error::{Error, Result};
use crate::store::queries;
use serde::Serialize;

/// An entry of the app panel.
#[derive(Debug, Clone, Serialize)]
pub struct PanelApp {
    pub name: String,
    pub home_url: Option<String>,
}

/// The user object of a signed-in person in `tenant` and the apps they may open there.
pub async fn panel(
    svc: &Services,
    tenant: &Tenant,
    signed_in: &SignedIn,
) -> Result<(User, Vec<PanelApp>)> {
    let (tenant_c, home) = (tenant.clone(), signed_in.home_user.clone());
    svc.store
        .read(move |c| {
            let user = subject_in_tenant(c, &tenant_c, &home)?.ok_or_else(|| {
                Error::Forbidden(format!(
                    "Your account has no access to {}.",
                    tenant_c.display_name
                ))
            })?;
            let groups = queries::groups::group_ids_of(c, &user.id)?;
            let mut apps = Vec::new();
            for row in queries::apps::list_for_tenant(c, &tenant_c.id)? {
                let app = App::from_row(row);
                let allowed = app.enabled
                    && (!app.assignment_required
                        || !queries::apps::assignments_for(c, &app.id, &user.id, &groups)?
                            .is_empty());
                if allowed {
                    apps.push(PanelApp {
                        name: app.name,
                        home_url: app.settings.home_url,
                    });
                }
            }
            Ok((user, apps))
        })
        .await
}
