//! The admin subcommands, and for each resource one mapping from its subcommands to admin API calls.

use super::admin::{DELIVERY_COLUMNS, Op, Patch, Plan, SPONSOR_COLUMNS, View, query, switch};
use super::calls::{Call, Deed, Object, Query};
use super::client::Stop;
use crate::service::apps::manage::AssignmentInput;
use crate::service::terms::{NewTerms, TermsText};
use crate::service::webhooks::NewWebhook;
use clap::builder::BoolishValueParser;
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;

#[derive(Args)]
pub struct On {
    /// The tenant's slug.
    #[arg(long, default_value = "default")]
    pub tenant: String,
}

#[derive(Args)]
pub struct Target {
    #[command(flatten)]
    on: On,
    /// The object's id.
    id: String,
}

impl Target {
    fn show(&self, object: Object) -> Result<Plan, Stop> {
        Ok(Plan::show(object, &self.on.tenant, Some(&self.id)))
    }

    fn update(&self, object: Object, patch: Patch, tag: IfMatch) -> Result<Plan, Stop> {
        Plan::update(object, &self.on.tenant, Some(&self.id), patch, tag.if_match)
    }

    /// `deed` done to this object, shown with `view`.
    fn act(self, object: Object, deed: Deed, view: View) -> Result<Plan, Stop> {
        Ok(Plan::once(
            Call::Act {
                object,
                tenant: self.on.tenant,
                id: Some(self.id),
                deed,
            },
            view,
        ))
    }
}

#[derive(Args)]
pub struct IfMatch {
    /// The ETag of the object as you read it (default: read it now, just before the change).
    #[arg(long, value_name = "ETAG")]
    if_match: Option<String>,
}

#[derive(Args)]
pub struct Removal {
    #[command(flatten)]
    target: Target,
    /// Confirm: a deletion cannot be undone.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    tag: IfMatch,
}

impl Removal {
    fn plan(self, object: Object) -> Result<Plan, Stop> {
        let t = self.target;
        Plan::delete(object, &t.on.tenant, &t.id, self.yes, self.tag.if_match)
    }
}

#[derive(Args)]
pub struct Toggle {
    /// Enable it.
    #[arg(long, conflicts_with = "disable")]
    enable: bool,
    /// Disable it.
    #[arg(long)]
    disable: bool,
}

#[derive(Args)]
pub struct Paging {
    #[command(flatten)]
    on: On,
    /// Most items shown.
    #[arg(long)]
    limit: Option<i64>,
    /// Items skipped first.
    #[arg(long)]
    offset: Option<i64>,
}

impl Paging {
    fn list(self, object: Object) -> Result<Plan, Stop> {
        let q = query([
            ("limit", self.limit.map(|n| n.to_string())),
            ("offset", self.offset.map(|n| n.to_string())),
        ]);
        Ok(Plan::list(object, &self.on.tenant, q, false))
    }
}

#[derive(Args)]
pub struct Cursor {
    /// Most items shown.
    #[arg(long, conflicts_with = "all")]
    limit: Option<i64>,
    /// Every page.
    #[arg(long)]
    all: bool,
}

impl Cursor {
    fn with(&self, mut q: Query) -> Query {
        q.extend(query([("limit", self.limit.map(|n| n.to_string()))]));
        q
    }
}

// ---- users ----

#[derive(Subcommand)]
pub enum UserCommand {
    /// List members and guests.
    List {
        #[command(flatten)]
        on: On,
        /// Only members or only guests.
        #[arg(long = "type", value_parser = ["Member", "Guest"])]
        user_type: Option<String>,
        /// A guest's invitation state.
        #[arg(long, value_parser = ["PendingAcceptance", "Accepted"])]
        state: Option<String>,
        /// Start of the address, the display name or the user principal name (any case).
        #[arg(long)]
        search: Option<String>,
        #[command(flatten)]
        page: Cursor,
    },
    /// Show a user with their groups, apps and latest invitation.
    Show(Target),
    /// Change a user.
    Update {
        #[command(flatten)]
        target: Target,
        /// The name shown for them.
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        toggle: Toggle,
        /// Convert between member and guest.
        #[arg(long = "type", value_parser = ["Member", "Guest"])]
        user_type: Option<String>,
        /// The complete set of roles, comma-separated (Admin, GuestInviter); "" for none.
        #[arg(long, value_delimiter = ',')]
        roles: Option<Vec<String>>,
        /// Preferred language (e.g. ko); "" for none.
        #[arg(long)]
        language: Option<String>,
        /// A guest's access ends at 00:00 UTC on this date (YYYY-MM-DD); "" for no end date.
        #[arg(long)]
        access_expires_on: Option<String>,
        #[command(flatten)]
        tag: IfMatch,
    },
    /// Show a guest's sponsors, or replace them with --set.
    Sponsors {
        #[command(flatten)]
        target: Target,
        /// The new sponsors: user ids or addresses, comma-separated; "" for none (the admins review).
        #[arg(long, value_delimiter = ',')]
        set: Option<Vec<String>>,
    },
    /// Delete a user (needs --yes).
    Delete(Removal),
    /// Make a one-time password reset link and print it.
    ResetPassword(Target),
    /// Send a guest whose invitation is pending a new one.
    ResendInvitation(Target),
    /// Let a guest redeem again, optionally at a new address.
    ResetRedemption {
        #[command(flatten)]
        target: Target,
        /// Send the new invitation to this address.
        #[arg(long)]
        email: Option<String>,
    },
}

impl UserCommand {
    pub fn plan(self) -> Result<Plan, Stop> {
        let k = Object::User;
        match self {
            Self::List {
                on,
                user_type,
                state,
                search,
                page,
            } => {
                let q = query([
                    ("userType", user_type),
                    ("externalUserState", state),
                    ("search", search),
                ]);
                Ok(Plan::list(k, &on.tenant, page.with(q), page.all))
            }
            Self::Show(t) => t.show(k),
            Self::Update {
                target,
                display_name,
                toggle,
                user_type,
                roles,
                language,
                access_expires_on,
                tag,
            } => {
                let roles = roles.map(|r| {
                    r.into_iter()
                        .filter(|s| !s.trim().is_empty())
                        .collect::<Vec<_>>()
                });
                let patch = Patch::default()
                    .set("displayName", display_name)
                    .set("accountEnabled", switch(toggle.enable, toggle.disable))
                    .set("userType", user_type)
                    .set("roles", roles)
                    .set("preferredLanguage", language)
                    .set("accessExpiresOn", access_expires_on);
                target.update(k, patch, tag)
            }
            Self::Sponsors { target, set } => {
                let set = set.map(|s| {
                    s.into_iter()
                        .filter(|v| !v.trim().is_empty())
                        .collect::<Vec<_>>()
                });
                target.act(k, Deed::Sponsors { set }, View::Table(SPONSOR_COLUMNS))
            }
            Self::Delete(r) => r.plan(k),
            Self::ResetPassword(t) => t.act(k, Deed::ResetPassword, View::Field("/url")),
            Self::ResendInvitation(t) => t.act(k, Deed::ResendToUser, View::Describe),
            Self::ResetRedemption { target, email } => {
                target.act(k, Deed::ResetRedemption { email }, View::Describe)
            }
        }
    }
}

// ---- groups ----

#[derive(Subcommand)]
pub enum GroupCommand {
    /// List groups.
    List(Paging),
    /// Show a group with its members and apps.
    Show(Target),
    /// Rename a group or change its description.
    Update {
        #[command(flatten)]
        target: Target,
        /// The group's new name.
        #[arg(long)]
        name: Option<String>,
        /// What the group is for; "" for nothing.
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        tag: IfMatch,
    },
    /// Delete a group (needs --yes).
    Delete(Removal),
    /// Add a user to a group.
    AddMember {
        #[command(flatten)]
        target: Target,
        /// The user's id.
        user_id: String,
    },
    /// Remove a user from a group.
    RemoveMember {
        #[command(flatten)]
        target: Target,
        /// The user's id.
        user_id: String,
    },
}

impl GroupCommand {
    pub fn plan(self) -> Result<Plan, Stop> {
        let k = Object::Group;
        match self {
            Self::List(p) => p.list(k),
            Self::Show(t) => t.show(k),
            Self::Update {
                target,
                name,
                description,
                tag,
            } => {
                let patch = Patch::default()
                    .set("displayName", name)
                    .set("description", description);
                target.update(k, patch, tag)
            }
            Self::Delete(r) => r.plan(k),
            Self::AddMember { target, user_id } => membership(target, user_id, true),
            Self::RemoveMember { target, user_id } => membership(target, user_id, false),
        }
    }
}

fn membership(group: Target, user: String, add: bool) -> Result<Plan, Stop> {
    let sentence = if add {
        format!("added user {user} to group {}", group.id)
    } else {
        format!("removed user {user} from group {}", group.id)
    };
    let deed = if add {
        Deed::AddMember { user }
    } else {
        Deed::RemoveMember { user }
    };
    group.act(Object::Group, deed, View::Done(sentence))
}

// ---- apps ----

/// Who an assignment is for.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Principal {
    /// A user's id.
    #[arg(long)]
    user: Option<String>,
    /// A group's id.
    #[arg(long)]
    group: Option<String>,
}

impl Principal {
    fn parts(&self) -> (&'static str, &str) {
        match (&self.user, &self.group) {
            (Some(u), _) => ("user", u),
            (_, Some(g)) => ("group", g),
            _ => ("user", ""),
        }
    }
}

/// `VALUE[:Display name]` as an app role.
fn app_role(raw: &str) -> Result<serde_json::Value, String> {
    let (value, display) = raw.split_once(':').unwrap_or((raw, raw));
    let (value, display) = (value.trim(), display.trim());
    if value.is_empty() {
        return Err("an app role needs a value, e.g. Reader:Readers".into());
    }
    let display = if display.is_empty() { value } else { display };
    Ok(json!({ "value": value, "displayName": display }))
}

#[derive(Subcommand)]
pub enum AppCommand {
    /// List apps.
    List(On),
    /// Show an app with its assignments.
    Show(Target),
    /// Change an app; a list option given once or more replaces the whole list.
    Update {
        #[command(flatten)]
        target: Target,
        /// The name people see on the consent page and the app panel.
        #[arg(long)]
        name: Option<String>,
        /// Where sign-ins may return to.
        #[arg(long = "redirect-uri", value_name = "URL")]
        redirect_uris: Vec<String>,
        /// Where sign-outs may return to.
        #[arg(long = "post-logout-redirect-uri", value_name = "URL")]
        post_logout_redirect_uris: Vec<String>,
        /// The tenant's own app (no consent page).
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        first_party: Option<bool>,
        /// Only assigned users and groups may sign in.
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        assignment_required: Option<bool>,
        /// The algorithm of its ID tokens.
        #[arg(long, value_parser = ["RS256", "ES256", "EdDSA"])]
        signing_alg: Option<String>,
        /// email, groups, roles, include_externally_authenticated_upn,
        /// include_externally_authenticated_upn_without_hash.
        #[arg(long = "optional-claim", value_name = "CLAIM")]
        optional_claims: Vec<String>,
        /// A role the app defines: its value, and optionally a display name after a colon.
        #[arg(long = "app-role", value_name = "VALUE[:Display name]", value_parser = app_role)]
        app_roles: Vec<serde_json::Value>,
        /// Scopes a client_credentials token of this app may carry (e.g. guestlist.admin).
        #[arg(long = "allowed-scope", value_name = "SCOPE")]
        allowed_scopes: Vec<String>,
        /// Where the app panel sends people; "" for none.
        #[arg(long, value_name = "URL")]
        home_url: Option<String>,
        /// Where the app is told that a session or access ended; "" for nowhere.
        #[arg(long, value_name = "URL")]
        backchannel_logout_uri: Option<String>,
        /// Logout tokens must name the session (sid).
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        backchannel_logout_session_required: Option<bool>,
        #[command(flatten)]
        toggle: Toggle,
        #[command(flatten)]
        tag: IfMatch,
    },
    /// Delete an app (needs --yes).
    Delete(Removal),
    /// Replace a confidential app's secret; prints the new one (shown only now).
    RotateSecret(Target),
    /// Give a user or a group access to an app, optionally in one of its roles.
    Assign {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        principal: Principal,
        /// One of the app's role values.
        #[arg(long)]
        role: Option<String>,
    },
    /// Take a user's or a group's assignment away.
    Unassign {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        principal: Principal,
    },
}

impl AppCommand {
    pub fn plan(self) -> Result<Plan, Stop> {
        let k = Object::App;
        match self {
            Self::List(on) => Ok(Plan::list(k, &on.tenant, vec![], false)),
            Self::Show(t) => t.show(k),
            Self::Update {
                target,
                name,
                redirect_uris,
                post_logout_redirect_uris,
                first_party,
                assignment_required,
                signing_alg,
                optional_claims,
                app_roles,
                allowed_scopes,
                home_url,
                backchannel_logout_uri,
                backchannel_logout_session_required,
                toggle,
                tag,
            } => {
                let patch = Patch::default()
                    .set("name", name)
                    .list("redirectUris", redirect_uris)
                    .list("postLogoutRedirectUris", post_logout_redirect_uris)
                    .set("firstParty", first_party)
                    .set("assignmentRequired", assignment_required)
                    .set("signingAlg", signing_alg)
                    .list("optionalClaims", optional_claims)
                    .list("appRoles", app_roles)
                    .list("allowedScopes", allowed_scopes)
                    .set("homeUrl", home_url)
                    .set("backchannelLogoutUri", backchannel_logout_uri)
                    .set(
                        "backchannelLogoutSessionRequired",
                        backchannel_logout_session_required,
                    )
                    .set("enabled", switch(toggle.enable, toggle.disable));
                target.update(k, patch, tag)
            }
            Self::Delete(r) => r.plan(k),
            Self::RotateSecret(t) => t.act(
                k,
                Deed::RotateSecret {
                    keep_previous_hours: None,
                },
                View::Credentials,
            ),
            Self::Assign {
                target,
                principal,
                role,
            } => {
                let (kind, id) = principal.parts();
                let done = format!("assigned {kind} {id} to app {}", target.id);
                let input = AssignmentInput {
                    principal_type: kind.to_string(),
                    principal_id: id.to_string(),
                    app_role: role.unwrap_or_default(),
                };
                target.act(k, Deed::Assign(input), View::Done(done))
            }
            Self::Unassign { target, principal } => {
                let (kind, id) = principal.parts();
                let done = format!("unassigned {kind} {id} from app {}", target.id);
                let deed = Deed::Unassign {
                    kind: kind.to_string(),
                    principal: id.to_string(),
                };
                target.act(k, deed, View::Done(done))
            }
        }
    }
}

// ---- upstream identity providers ----

#[derive(Subcommand)]
pub enum IdpCommand {
    /// List the tenant's identity providers and those the operator offers every tenant.
    List(On),
    /// Show a provider (never its client secret) and the redirect URI to register there.
    Show(Target),
    /// Change a provider; a list option given once or more replaces the whole list.
    Update {
        #[command(flatten)]
        target: Target,
        /// The name on the sign-in button ("Continue with NAME").
        #[arg(long)]
        name: Option<String>,
        /// The provider's issuer URL.
        #[arg(long, value_name = "URL")]
        issuer: Option<String>,
        /// The client id the provider gave this server.
        #[arg(long, value_name = "ID")]
        client_id: Option<String>,
        /// Replace the client secret with the one read from standard input.
        #[arg(long)]
        client_secret_stdin: bool,
        /// An email domain the provider serves; `--domain ""` alone serves none.
        #[arg(long = "domain", value_name = "DOMAIN")]
        domains: Vec<String>,
        /// A scope asked besides openid.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// The claim that holds the person's email.
        #[arg(long, value_name = "CLAIM")]
        email_claim: Option<String>,
        /// The claim that holds the person's name.
        #[arg(long, value_name = "CLAIM")]
        name_claim: Option<String>,
        /// Take the email claim without `email_verified: true`.
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        trust_email: Option<bool>,
        /// The tenant's members of the served domains sign in through it.
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        members: Option<bool>,
        /// Such a member is created on first sign-in when there is none (needs members).
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        create_members: Option<bool>,
        /// Whether the sign-in pages offer it.
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        enabled: Option<bool>,
        #[command(flatten)]
        tag: IfMatch,
    },
    /// Delete a provider (needs --yes).
    Delete(Removal),
    /// Read the provider's discovery document and keys now; exit code 1 when that fails.
    Test(Target),
}

impl IdpCommand {
    pub fn plan(self) -> Result<Plan, Stop> {
        let k = Object::IdentityProvider;
        match self {
            Self::List(on) => Ok(Plan::list(k, &on.tenant, vec![], false)),
            Self::Show(t) => t.show(k),
            Self::Update {
                target,
                name,
                issuer,
                client_id,
                client_secret_stdin,
                domains,
                scopes,
                email_claim,
                name_claim,
                trust_email,
                members,
                create_members,
                enabled,
                tag,
            } => {
                let client_secret = if client_secret_stdin {
                    Some(super::read_client_secret()?)
                } else {
                    None
                };
                let patch = Patch::default()
                    .set("displayName", name)
                    .set("issuer", issuer)
                    .set("clientId", client_id)
                    .set("clientSecret", client_secret)
                    .list("domains", domains)
                    .list("scopes", scopes)
                    .set("emailClaim", email_claim)
                    .set("nameClaim", name_claim)
                    .set("trustEmail", trust_email)
                    .set("members", members)
                    .set("createMembers", create_members)
                    .set("enabled", enabled);
                target.update(k, patch, tag)
            }
            Self::Delete(r) => r.plan(k),
            Self::Test(t) => t.act(
                k,
                Deed::TestConnection,
                View::Check("the connection test failed"),
            ),
        }
    }
}

// ---- invitations ----

#[derive(Subcommand)]
pub enum InvitationCommand {
    /// List invitations, newest first.
    List(Paging),
    /// Show an invitation and its email's delivery.
    Show(Target),
    /// Void a pending invitation's link.
    Revoke(Target),
    /// Send the guest a new invitation link.
    Resend(Target),
}

impl InvitationCommand {
    pub fn plan(self) -> Result<Plan, Stop> {
        let k = Object::Invitation;
        match self {
            Self::List(p) => p.list(k),
            Self::Show(t) => t.show(k),
            Self::Revoke(t) => t.act(k, Deed::Revoke, View::Describe),
            Self::Resend(t) => t.act(k, Deed::Resend, View::Describe),
        }
    }
}

// ---- branding and policies ----

#[derive(Subcommand)]
pub enum BrandingCommand {
    /// Show the tenant's name, colours, links and sign-in text.
    Show(On),
    /// Change the branding.
    Set {
        #[command(flatten)]
        on: On,
        /// The tenant's display name.
        #[arg(long)]
        name: Option<String>,
        /// `#rgb` or `#rrggbb`.
        #[arg(long)]
        primary_color: Option<String>,
        /// `#rgb` or `#rrggbb`.
        #[arg(long)]
        background_color: Option<String>,
        /// An https URL; "" for none.
        #[arg(long)]
        privacy_url: Option<String>,
        /// Where guests ask for help: an https URL; "" for none.
        #[arg(long)]
        contact_url: Option<String>,
        /// Up to 500 characters on the sign-in page; "" for none.
        #[arg(long)]
        signin_text: Option<String>,
        /// The language of pages and emails when nothing else decides (e.g. en, ko).
        #[arg(long)]
        default_language: Option<String>,
        #[command(flatten)]
        tag: IfMatch,
    },
    /// Upload a logo (PNG, JPEG or SVG, at most 256 KiB).
    Logo {
        #[command(flatten)]
        on: On,
        /// The image file.
        file: PathBuf,
    },
    /// Remove the logo.
    RemoveLogo(On),
}

impl BrandingCommand {
    pub fn plan(self) -> Result<Plan, Stop> {
        let k = Object::Branding;
        match self {
            Self::Show(on) => Ok(Plan::show(k, &on.tenant, None)),
            Self::Set {
                on,
                name,
                primary_color,
                background_color,
                privacy_url,
                contact_url,
                signin_text,
                default_language,
                tag,
            } => {
                let patch = Patch::default()
                    .set("displayName", name)
                    .set("primaryColor", primary_color)
                    .set("backgroundColor", background_color)
                    .set("privacyUrl", privacy_url)
                    .set("contactUrl", contact_url)
                    .set("signinText", signin_text)
                    .set("defaultLanguage", default_language);
                Plan::update(k, &on.tenant, None, patch, tag.if_match)
            }
            Self::Logo { on, file } => {
                let bytes = std::fs::read(&file)
                    .map_err(|e| Stop::Failed(format!("cannot read {}: {e}", file.display())))?;
                Ok(branding(on, Deed::PutLogo(bytes)))
            }
            Self::RemoveLogo(on) => Ok(branding(on, Deed::RemoveLogo)),
        }
    }
}

fn branding(on: On, deed: Deed) -> Plan {
    Plan::once(
        Call::Act {
            object: Object::Branding,
            tenant: on.tenant,
            id: None,
            deed,
        },
        View::Describe,
    )
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Show who may invite, which domains, sign-up and redemption rules.
    Show(On),
    /// Change the policies.
    Set {
        #[command(flatten)]
        on: On,
        /// Who may invite guests.
        #[arg(long, value_parser = ["everyone", "members_and_guest_inviters", "admins_and_guest_inviters", "nobody"])]
        invite_policy: Option<String>,
        /// Whether --domain lists the only domains allowed, or domains refused.
        #[arg(long, value_parser = ["none", "allow", "deny"])]
        domain_list: Option<String>,
        /// A domain of the list; given once or more, replaces the list.
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// Let people create member accounts themselves.
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        self_service_sign_up: Option<bool>,
        /// Let a guest redeem with an account whose address differs from the invited one.
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        allow_mismatched_email: Option<bool>,
        /// Offer guests whose address no identity provider serves a one-time code by email.
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        email_one_time_passcode: Option<bool>,
        /// Let guests leave the organisation on their account page (when not, it names the contact link).
        #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
        guests_may_leave: Option<bool>,
        /// Days an invitation link stays valid.
        #[arg(long, value_name = "N")]
        ticket_lifetime_days: Option<i64>,
        /// The whole guest lifecycle policy as JSON, e.g. '{"inactiveAfterDays": 90,
        /// "reviewEveryDays": 180, "disableUnreviewed": true, "deleteAfterDays": 30}'; '{}' turns it off.
        #[arg(long, value_name = "JSON", value_parser = json_object)]
        guest_lifecycle: Option<serde_json::Value>,
        #[command(flatten)]
        tag: IfMatch,
    },
}

fn json_object(raw: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err("a JSON object such as {\"inactiveAfterDays\": 90}".into()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

impl PolicyCommand {
    pub fn plan(self) -> Result<Plan, Stop> {
        let k = Object::Policies;
        match self {
            Self::Show(on) => Ok(Plan::show(k, &on.tenant, None)),
            Self::Set {
                on,
                invite_policy,
                domain_list,
                domains,
                self_service_sign_up,
                allow_mismatched_email,
                email_one_time_passcode,
                guests_may_leave,
                ticket_lifetime_days,
                guest_lifecycle,
                tag,
            } => {
                let patch = Patch::default()
                    .set("invitePolicy", invite_policy)
                    .set("domainListMode", domain_list)
                    .list("domains", domains)
                    .set("selfServiceSignUp", self_service_sign_up)
                    .set("allowMismatchedEmailRedemption", allow_mismatched_email)
                    .set("emailOneTimePasscode", email_one_time_passcode)
                    .set("guestsMayLeave", guests_may_leave)
                    .set("ticketLifetimeDays", ticket_lifetime_days)
                    .set("guestLifecycle", guest_lifecycle);
                Plan::update(k, &on.tenant, None, patch, tag.if_match)
            }
        }
    }
}

// ---- terms of use ----

#[derive(Subcommand)]
pub enum TermsCommand {
    /// Show the newest version in every language it was published in.
    Show(On),
    /// Publish a new version: guests accept it before their next token.
    Publish {
        #[command(flatten)]
        on: On,
        /// LANG=FILE: the terms in a language, as plain text read from FILE (once per language).
        #[arg(long = "text", value_name = "LANG=FILE")]
        texts: Vec<String>,
        /// LANG=URL: a link to the terms in a language (once per language).
        #[arg(long = "url", value_name = "LANG=URL")]
        urls: Vec<String>,
    },
    /// Who accepted which version, newest first.
    Acceptances(On),
}

impl TermsCommand {
    pub fn plan(self) -> Result<Plan, Stop> {
        match self {
            Self::Show(on) => Ok(Plan::show(Object::Terms, &on.tenant, None)),
            Self::Publish { on, texts, urls } => {
                let mut body = NewTerms { texts: Vec::new() };
                for given in texts {
                    let (language, file) = pair(&given, "--text")?;
                    let text = std::fs::read_to_string(file)
                        .map_err(|e| Stop::Failed(format!("cannot read {file}: {e}")))?;
                    body.texts.push(TermsText {
                        language: language.to_string(),
                        text: Some(text),
                        url: None,
                    });
                }
                for given in urls {
                    let (language, url) = pair(&given, "--url")?;
                    body.texts.push(TermsText {
                        language: language.to_string(),
                        text: None,
                        url: Some(url.to_string()),
                    });
                }
                if body.texts.is_empty() {
                    return Err(Stop::Usage(
                        "give the terms with --text LANG=FILE or --url LANG=URL".into(),
                    ));
                }
                Ok(Plan::once(
                    Call::PublishTerms {
                        tenant: on.tenant,
                        body,
                    },
                    View::Describe,
                ))
            }
            Self::Acceptances(on) => Ok(Plan::list(
                Object::TermsAcceptance,
                &on.tenant,
                Query::new(),
                false,
            )),
        }
    }
}

/// `LANG=VALUE` split at its first `=`.
fn pair<'a>(given: &'a str, option: &str) -> Result<(&'a str, &'a str), Stop> {
    given
        .split_once('=')
        .filter(|(l, v)| !l.trim().is_empty() && !v.is_empty())
        .map(|(l, v)| (l.trim(), v))
        .ok_or_else(|| Stop::Usage(format!("{option} takes LANG=VALUE, e.g. en=…: {given:?}")))
}

// ---- webhooks ----

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// List the tenant's webhook endpoints.
    List(On),
    /// Show an endpoint.
    Show(Target),
    /// Add an endpoint; prints its signing secret (shown only now).
    Create {
        #[command(flatten)]
        on: On,
        /// Where to POST (https).
        #[arg(long)]
        url: String,
        /// An audit event name to send, e.g. "Disable user" (once or more), or * for every event.
        #[arg(long = "event", value_name = "NAME", required = true)]
        events: Vec<String>,
        #[arg(long)]
        description: Option<String>,
        /// Add it switched off.
        #[arg(long)]
        disabled: bool,
    },
    /// Change an endpoint; --event given once or more replaces the list.
    Update {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        url: Option<String>,
        #[arg(long = "event", value_name = "NAME")]
        events: Vec<String>,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        toggle: Toggle,
        #[command(flatten)]
        tag: IfMatch,
    },
    /// Delete an endpoint and its log (needs --yes).
    Delete(Removal),
    /// Make a new signing secret; prints it (shown only now). The old one stops signing at once, or
    /// keeps signing beside the new one for --keep-previous-hours.
    RotateSecret {
        #[command(flatten)]
        target: Target,
        /// Hours (up to 168) the old secret still signs, so receivers can switch without refusals.
        #[arg(long, value_name = "HOURS")]
        keep_previous_hours: Option<i64>,
    },
    /// The endpoint's newest deliveries.
    Deliveries(Target),
    /// Send a logged message again (same webhook-id, signed afresh).
    Replay {
        #[command(flatten)]
        target: Target,
        /// The delivery's id, from `webhook deliveries`.
        delivery: String,
    },
}

impl WebhookCommand {
    pub fn plan(self) -> Result<Plan, Stop> {
        let k = Object::Webhook;
        match self {
            Self::List(on) => Ok(Plan::list(k, &on.tenant, vec![], false)),
            Self::Show(t) => t.show(k),
            Self::Create {
                on,
                url,
                events,
                description,
                disabled,
            } => Ok(Plan::once(
                Call::CreateWebhook {
                    tenant: on.tenant,
                    body: NewWebhook {
                        url,
                        description: description.unwrap_or_default(),
                        events,
                        enabled: disabled.then_some(false),
                    },
                },
                View::Describe,
            )),
            Self::Update {
                target,
                url,
                events,
                description,
                toggle,
                tag,
            } => {
                let patch = Patch::default()
                    .set("url", url)
                    .list("events", events)
                    .set("description", description)
                    .set("enabled", switch(toggle.enable, toggle.disable));
                target.update(k, patch, tag)
            }
            Self::Delete(r) => r.plan(k),
            Self::RotateSecret {
                target,
                keep_previous_hours,
            } => target.act(
                k,
                Deed::RotateSecret {
                    keep_previous_hours,
                },
                View::Describe,
            ),
            Self::Deliveries(t) => t.act(k, Deed::Deliveries, View::Table(DELIVERY_COLUMNS)),
            Self::Replay { target, delivery } => {
                let done = format!("delivery {delivery} will be sent again");
                target.act(k, Deed::Replay { delivery }, View::Done(done))
            }
        }
    }
}

// ---- audit ----

#[derive(Args)]
pub struct AuditFilter {
    #[command(flatten)]
    on: On,
    /// Only events of this name, e.g. "Update user".
    #[arg(long)]
    event: Option<String>,
    /// Only events by this actor.
    #[arg(long)]
    actor: Option<String>,
    /// Only events about this target.
    #[arg(long)]
    target: Option<String>,
    /// From this time on (Unix seconds, inclusive).
    #[arg(long, value_name = "UNIX")]
    since: Option<i64>,
    /// Before this time (Unix seconds).
    #[arg(long, value_name = "UNIX")]
    until: Option<i64>,
}

impl AuditFilter {
    fn query(self) -> (String, Query) {
        let q = query([
            ("eventName", self.event),
            ("actor", self.actor),
            ("target", self.target),
            ("from", self.since.map(|t| t.to_string())),
            ("until", self.until.map(|t| t.to_string())),
        ]);
        (self.on.tenant, q)
    }
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// List events, newest first.
    List {
        #[command(flatten)]
        filter: AuditFilter,
        #[command(flatten)]
        page: Cursor,
    },
    /// Write the matching events as CSV.
    Export {
        #[command(flatten)]
        filter: AuditFilter,
        /// The file to write (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

impl AuditCommand {
    pub fn plan(self) -> Result<Plan, Stop> {
        match self {
            Self::List { filter, page } => {
                let (tenant, q) = filter.query();
                Ok(Plan::list(Object::Audit, &tenant, page.with(q), page.all))
            }
            Self::Export { filter, output } => {
                let (tenant, query) = filter.query();
                Ok(Plan {
                    op: Op::Save {
                        call: Call::ExportAudit { tenant, query },
                        output,
                    },
                    view: View::Done(String::new()),
                })
            }
        }
    }
}
