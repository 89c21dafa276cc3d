//! The one way administrative use cases touch the store: the caller is authorized inside the same
//! transaction as the work, and a refusal leaves nothing changed but an `Access denied` audit event.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::auth::{self, Actor};
use super::tenants::Tenant;
use crate::domain::access::{Action, Standing};
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;

/// Whether a use case reads or writes: reads run on the read pool, writes in a write transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Read,
    Write,
}

impl Services {
    /// Runs `work` in one transaction after `actor` passed `action` there. `work` gets the caller's
    /// standing for the finer checks that need the object (whose invitation, still pending?); any
    /// [`Error::Denied`] rolls the whole transaction back and is audited on its own.
    pub(super) async fn write_as<T, F>(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        action: Action,
        target: &str,
        work: F,
    ) -> Result<T>
    where
        F: FnOnce(&mut AnyConnection, &Standing) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run_as(Work::Write, actor, Some(tenant), action, target, work)
            .await
    }

    /// [`Services::write_as`] for reads.
    pub(super) async fn read_as<T, F>(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        action: Action,
        target: &str,
        work: F,
    ) -> Result<T>
    where
        F: FnOnce(&mut AnyConnection, &Standing) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run_as(Work::Read, actor, Some(tenant), action, target, work)
            .await
    }

    /// [`Services::write_as`] for server-wide work. `home` is the tenant whose token the caller
    /// presented; only the operator at the command line comes without one.
    pub(super) async fn write_on_server<T, F>(
        &self,
        actor: &Actor,
        home: Option<&Tenant>,
        action: Action,
        target: &str,
        work: F,
    ) -> Result<T>
    where
        F: FnOnce(&mut AnyConnection, &Standing) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run_as(Work::Write, actor, home, action, target, work)
            .await
    }

    /// [`Services::write_on_server`] for reads.
    pub(super) async fn read_on_server<T, F>(
        &self,
        actor: &Actor,
        home: Option<&Tenant>,
        action: Action,
        target: &str,
        work: F,
    ) -> Result<T>
    where
        F: FnOnce(&mut AnyConnection, &Standing) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run_as(Work::Read, actor, home, action, target, work)
            .await
    }

    async fn run_as<T, F>(
        &self,
        kind: Work,
        actor: &Actor,
        tenant: Option<&Tenant>,
        action: Action,
        target: &str,
        work: F,
    ) -> Result<T>
    where
        F: FnOnce(&mut AnyConnection, &Standing) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (a, t) = (actor.clone(), tenant.cloned());
        let job = move |c: &mut AnyConnection| {
            let standing = match &t {
                Some(t) => auth::authorize(c, &a, t, action)?,
                None => {
                    let s = auth::standing_without_tenant(&a)?;
                    auth::require(&s, action)?;
                    s
                }
            };
            work(c, &standing)
        };
        let outcome = match kind {
            Work::Read => self.store.read(job).await,
            Work::Write => self.store.write(job).await,
        };
        match tenant {
            Some(tenant) => {
                self.audit_refusal(actor, tenant, action, target, outcome)
                    .await
            }
            // Only the operator comes without a tenant, and the operator is refused nothing.
            None => outcome,
        }
    }

    async fn audit_refusal<T>(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        action: Action,
        target: &str,
        outcome: Result<T>,
    ) -> Result<T> {
        if let Err(Error::Denied(reason)) = &outcome {
            self.record_denial(actor, tenant, action.name(), target, reason)
                .await?;
        }
        outcome
    }

    /// Writes the `Access denied` event of a refused attempt.
    pub(super) async fn record_denial(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        action: &str,
        target: &str,
        reason: &str,
    ) -> Result<()> {
        tracing::info!(actor = %actor.id(), action, target, reason, "access denied");
        let (tenant_id, actor_id, target) = (tenant.id.clone(), actor.id(), target.to_string());
        let details = serde_json::json!({
            "action": action,
            "reason": reason,
            "channel": actor.channel().as_str(),
            "callerKind": actor.kind().as_str(),
            "tokenId": actor.token_id(),
        });
        self.store
            .write(move |c| {
                audit::record(
                    c,
                    AuditEvent {
                        tenant_id: &tenant_id,
                        event_name: events::ACCESS_DENIED,
                        actor: &actor_id,
                        target: &target,
                        outcome: "denied",
                        details,
                    },
                )
            })
            .await
    }
}
