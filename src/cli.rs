//! The command line (see `shared/spec/interface.md`). Commands that create something print it; with
//! `--json` they print one JSON object per line for scripts.
//!
//! Admin commands are typed calls (`calls`): by default the use cases run in this process against the
//! configured database, acting as the operator; with `--server URL --token T` the same calls go to a
//! running server's admin API. Both answer with the API's JSON.

mod admin;
mod calls;
mod client;
mod commands;

use crate::config::Config;
use crate::domain::language::Language;
use crate::domain::user::UserType;
use crate::error::{Error, Result};
use crate::keys::KeyStore;
use crate::server;
use crate::service::apps::manage::NewAppBody;
use crate::service::auth::Actor;
use crate::service::federation::NewIdentityProvider;
use crate::service::groups::NewGroupBody;
use crate::service::invitations::{self, InviteOutcome, InviteRequest};
use crate::service::tenants::manage::TenantInput;
use crate::service::users::NewUserBody;
use crate::service::{Services, tenants::Tenant};
use admin::{Plan, View};
use calls::Call;
use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use client::{Client, Stop};
use serde::Serialize;
use std::io::Read;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "guestlist",
    version,
    about = "An OpenID Connect identity provider for organisations and their guests"
)]
pub struct Cli {
    /// Configuration file (default: ./guestlist.toml when present). GUESTLIST_* variables win over it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Print results as JSON, one object per line.
    #[arg(long, global = true)]
    json: bool,
    /// Send admin commands to this server's API instead of using the local database.
    #[arg(long, global = true, env = "GUESTLIST_SERVER", value_name = "URL")]
    server: Option<String>,
    /// Bearer access token for --server (a token with the guestlist.admin scope, or an admin's).
    #[arg(long, global = true, env = "GUESTLIST_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, create keys and the default tenant if absent, and serve.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage groups.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Manage apps (OIDC clients).
    #[command(subcommand)]
    App(AppCommand),
    /// Manage upstream identity providers (a partner's own OpenID Connect provider).
    #[command(subcommand)]
    Idp(IdpCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Invite a guest, or every row of a CSV file (exit code 1 when any row failed).
    Invite(InviteArgs),
    /// Follow up on invitations.
    #[command(subcommand)]
    Invitation(commands::InvitationCommand),
    /// The tenant's branding: name, colours, links, logo.
    #[command(subcommand)]
    Branding(commands::BrandingCommand),
    /// Who may invite whom, sign-up and redemption rules.
    #[command(subcommand)]
    Policy(commands::PolicyCommand),
    /// The tenant's audit log.
    #[command(subcommand)]
    Audit(commands::AuditCommand),
    /// The tenant's terms of use: show, publish a new version, who accepted which.
    #[command(subcommand)]
    Terms(commands::TermsCommand),
    /// Signed webhooks for audit events: endpoints, secrets, the delivery log and replay.
    #[command(subcommand)]
    Webhook(commands::WebhookCommand),
}

#[derive(Args)]
struct InviteArgs {
    #[arg(long)]
    tenant: String,
    /// The invitee's email (one invitation).
    #[arg(long, required_unless_present = "csv", conflicts_with = "csv")]
    email: Option<String>,
    #[arg(long)]
    name: Option<String>,
    /// App ids to assign.
    #[arg(long = "app")]
    apps: Vec<String>,
    /// Group ids to add the guest to.
    #[arg(long = "group")]
    groups: Vec<String>,
    #[arg(long)]
    redirect_url: Option<String>,
    #[arg(long, default_value = "en")]
    language: String,
    #[arg(long)]
    cc: Option<String>,
    #[arg(long)]
    text: Option<String>,
    /// The guest's access ends this many days from now (then the lifecycle job disables them).
    #[arg(long, conflicts_with = "csv")]
    access_days: Option<i64>,
    /// Invite as this user of the tenant (their role decides whether they may).
    #[arg(long)]
    by: Option<String>,
    /// A CSV file of invitations (spec column labels, both vocabularies).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Check the file and report per row; create nothing.
    #[arg(long, requires = "csv")]
    validate_only: bool,
    /// Write the per-row results as CSV to this file.
    #[arg(long, requires = "csv")]
    results: Option<PathBuf>,
    /// Most data rows accepted in one file.
    #[arg(long, default_value_t = crate::domain::invitation_csv::DEFAULT_MAX_ROWS)]
    max_rows: usize,
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// Primary domain, used in guest user principal names.
        #[arg(long)]
        domain: String,
        /// Let people create member accounts themselves.
        #[arg(long)]
        self_service_signup: bool,
        #[command(flatten)]
        home: Home,
    },
    /// List tenants.
    List(Home),
}

/// The tenant an operator's token belongs to, for tenant commands with --server.
#[derive(Args)]
struct Home {
    /// With --server: the tenant whose token you present.
    #[arg(long, default_value = "default")]
    home_tenant: String,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a member user (with an account when a password is given).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
        /// Make the user an administrator of the tenant.
        #[arg(long)]
        admin: bool,
        /// Standard profile claims as a JSON object, e.g.
        /// '{"given_name":"Alice","birthdate":"1990-01-31","phone_number":"+1 555 0100"}'.
        #[arg(long)]
        profile: Option<String>,
    },
    #[command(flatten)]
    Manage(commands::UserCommand),
}

#[derive(Subcommand)]
enum GroupCommand {
    /// Create a group; prints its id.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
    },
    #[command(flatten)]
    Manage(commands::GroupCommand),
}

#[derive(Args)]
struct AppCreate {
    #[arg(long)]
    tenant: String,
    #[arg(long)]
    name: String,
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// A public client (no secret; PKCE required).
    #[arg(long)]
    public: bool,
    /// The tenant's own app: no consent page.
    #[arg(long)]
    first_party: bool,
    /// Only assigned users and groups may sign in.
    #[arg(long)]
    assignment_required: bool,
    #[arg(long, default_value = "RS256", value_parser = ["RS256", "ES256", "EdDSA"])]
    signing_alg: String,
    /// Extra claims: email, groups, roles, include_externally_authenticated_upn,
    /// include_externally_authenticated_upn_without_hash.
    #[arg(long = "optional-claim")]
    optional_claims: Vec<String>,
    /// Scopes a client_credentials token of this app may carry.
    #[arg(long = "allowed-scope")]
    allowed_scopes: Vec<String>,
    /// Where the app is told that a session or access ended (OpenID Connect Back-Channel Logout).
    #[arg(long, value_name = "URL")]
    backchannel_logout_uri: Option<String>,
    /// Logout tokens must name the session (sid).
    #[arg(long)]
    backchannel_logout_session_required: bool,
}

#[derive(Subcommand)]
enum AppCommand {
    /// Create an app; prints client_id (and client_secret when confidential, shown only once).
    Create(AppCreate),
    #[command(flatten)]
    Manage(commands::AppCommand),
}

#[derive(Args)]
struct IdpCreate {
    /// The tenant's slug.
    #[arg(long, required_unless_present = "shared", conflicts_with = "shared")]
    tenant: Option<String>,
    /// Offer it to every tenant (operators only): one client at the provider for the whole server.
    #[arg(long)]
    shared: bool,
    #[command(flatten)]
    home: Home,
    /// The name on the sign-in button ("Continue with NAME").
    #[arg(long)]
    name: String,
    /// Fills the issuer and the claim defaults (default: generic).
    #[arg(long, value_parser = ["generic", "google", "microsoft"])]
    preset: Option<String>,
    /// The provider's issuer URL (required for generic; for Microsoft,
    /// https://login.microsoftonline.com/{tenantid}/v2.0 accepts every Entra tenant).
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// The client id the provider gave this server.
    #[arg(long, value_name = "ID")]
    client_id: String,
    /// Read the client secret from standard input (the only way to give it).
    #[arg(long)]
    client_secret_stdin: bool,
    /// An email domain the provider serves (home realm discovery).
    #[arg(long = "domain", value_name = "DOMAIN")]
    domains: Vec<String>,
    /// A scope asked besides openid (default: email profile).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// The claim that holds the person's email (default: as the preset says).
    #[arg(long, value_name = "CLAIM")]
    email_claim: Option<String>,
    /// The claim that holds the person's name (default: name).
    #[arg(long, value_name = "CLAIM")]
    name_claim: Option<String>,
    /// Take the email claim without `email_verified: true` (default: as the preset says).
    #[arg(long, value_name = "BOOL", value_parser = BoolishValueParser::new())]
    trust_email: Option<bool>,
    /// The tenant's members of the served domains sign in through it.
    #[arg(long)]
    members: bool,
    /// Such a member is created on first sign-in when there is none.
    #[arg(long, requires = "members")]
    create_members: bool,
    /// Add it switched off: the sign-in pages do not offer it yet.
    #[arg(long)]
    disabled: bool,
}

#[derive(Subcommand)]
enum IdpCommand {
    /// Add a provider; the client secret is read from standard input.
    Create(IdpCreate),
    #[command(flatten)]
    Manage(commands::IdpCommand),
    /// Withdraw a provider offered to every tenant (operators only; needs --yes).
    DeleteShared(IdpDeleteShared),
}

#[derive(Args)]
struct IdpDeleteShared {
    /// The provider's id.
    id: String,
    /// Confirm: people who sign in through it in any tenant can no longer do so.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    home: Home,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Publish a new signing key per algorithm; old keys stay published for verification.
    Rotate {
        /// Seconds before the new keys start signing, so every process and relying app sees them
        /// first (processes reload keys every 2 seconds; relying apps cache JWKS up to 60 seconds).
        #[arg(long, default_value_t = 90)]
        activate_in: i64,
    },
}

fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(value).map_err(Error::internal)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}

/// Runs a command; the exit code is 1 when an invitation upload had failed rows.
pub async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    let json = cli.json;
    let server = cli.server.filter(|s| !s.trim().is_empty());
    let command = match route(cli.command, server.is_some()) {
        Route::Admin(plan) => {
            return Ok(run_admin(*plan, cli.config, server, cli.token, json).await);
        }
        Route::Here(command) => *command,
    };
    let config = Config::load(cli.config.as_deref())?;
    init_tracing(&config.log, config.log_format);
    let done = match command {
        Command::Serve => server::serve(config).await,
        Command::Migrate => {
            let store = crate::store::Store::connect(&config.database_url, 2)?;
            let n = store.migrate()?;
            print(json, &serde_json::json!({ "applied": n }), || {
                format!("applied {n} migration(s)")
            })
        }
        Command::Keys(KeysCommand::Rotate { activate_in }) => {
            let kids = KeyStore::rotate(&config.keys_dir, activate_in)?;
            print(
                json,
                &serde_json::json!({ "kids": kids, "activate_in": activate_in }),
                || {
                    format!(
                        "published keys {} (signing in {activate_in} s)",
                        kids.join(", ")
                    )
                },
            )
        }
        Command::Invite(args) => {
            let svc = server::prepare(config)?;
            let t = calls::tenant(&svc, &args.tenant).await?;
            return invite(&svc, &t, args, json).await;
        }
        // `route` sent every other command to the admin calls.
        _ => Err(Error::internal("this command is an admin call")),
    };
    done.map(|_| std::process::ExitCode::SUCCESS)
}

/// One line of standard input as the password, when asked to read it.
fn read_password(from_stdin: bool) -> Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(Error::internal)?;
    Ok(Some(s.trim_end_matches(['\r', '\n']).to_string()))
}

/// An upstream provider's client secret from standard input, without its line ending. Never an
/// argument: arguments show in process lists and shell history.
fn read_client_secret() -> std::result::Result<String, Stop> {
    let secret = read_password(true).map_err(Stop::from)?.unwrap_or_default();
    if secret.trim().is_empty() {
        return Err(Stop::Usage(
            "the client secret on standard input is empty; pipe it in, e.g. \
             `printf '%s' \"$SECRET\" | guestlist idp ... --client-secret-stdin`"
                .into(),
        ));
    }
    Ok(secret)
}

/// How a command runs.
enum Route {
    /// As an admin call, here or on the server (or a usage problem found first).
    Admin(Box<std::result::Result<Plan, Stop>>),
    /// Only where the server runs: serving, migrating, key rotation, invitations from the command line.
    Here(Box<Command>),
}

fn route(command: Command, remote: bool) -> Route {
    match command {
        Command::User(UserCommand::Manage(c)) => Route::Admin(Box::new(c.plan())),
        Command::Group(GroupCommand::Manage(c)) => Route::Admin(Box::new(c.plan())),
        Command::App(AppCommand::Manage(c)) => Route::Admin(Box::new(c.plan())),
        Command::Idp(IdpCommand::Manage(c)) => Route::Admin(Box::new(c.plan())),
        Command::Idp(IdpCommand::Create(c)) => Route::Admin(Box::new(idp_create(c))),
        Command::Idp(IdpCommand::DeleteShared(d)) => Route::Admin(Box::new(idp_delete_shared(d))),
        Command::Invitation(c) => Route::Admin(Box::new(c.plan())),
        Command::Branding(c) => Route::Admin(Box::new(c.plan())),
        Command::Policy(c) => Route::Admin(Box::new(c.plan())),
        Command::Audit(c) => Route::Admin(Box::new(c.plan())),
        Command::Terms(c) => Route::Admin(Box::new(c.plan())),
        Command::Webhook(c) => Route::Admin(Box::new(c.plan())),
        Command::Tenant(TenantCommand::List(home)) => Route::Admin(Box::new(Ok(Plan::once(
            Call::ListTenants {
                home: home.home_tenant,
            },
            View::Table(admin::TENANT_COLUMNS),
        )))),
        Command::Tenant(TenantCommand::Create {
            slug,
            name,
            domain,
            self_service_signup,
            home,
        }) => Route::Admin(Box::new(Ok(Plan::once(
            Call::CreateTenant {
                home: home.home_tenant,
                input: TenantInput {
                    slug,
                    display_name: name,
                    primary_domain: domain,
                    self_service_sign_up: self_service_signup,
                },
            },
            View::Describe,
        )))),
        Command::User(UserCommand::Create {
            tenant,
            email,
            name,
            password_stdin,
            admin,
            profile,
        }) => Route::Admin(Box::new(user_create(tenant, email, name, password_stdin, admin, profile))),
        Command::Group(GroupCommand::Create { tenant, name }) => Route::Admin(Box::new(Ok(Plan::once(
            Call::CreateGroup {
                tenant,
                body: NewGroupBody {
                    display_name: name,
                    description: None,
                },
            },
            View::Field("/group/id"),
        )))),
        Command::App(AppCommand::Create(a)) => Route::Admin(Box::new(Ok(Plan::once(
            Call::CreateApp {
                tenant: a.tenant,
                body: NewAppBody {
                    name: a.name,
                    redirect_uris: a.redirect_uris,
                    post_logout_redirect_uris: a.post_logout_redirect_uris,
                    public: a.public,
                    first_party: a.first_party,
                    assignment_required: a.assignment_required,
                    signing_alg: Some(a.signing_alg),
                    optional_claims: a.optional_claims,
                    allowed_scopes: a.allowed_scopes,
                    backchannel_logout_uri: a.backchannel_logout_uri,
                    backchannel_logout_session_required: a.backchannel_logout_session_required,
                },
            },
            View::Credentials,
        )))),
        Command::Invite(_) if remote => Route::Admin(Box::new(Err(Stop::Usage(
            "invite works only without --server (remotely, POST /api/v1/tenants/{slug}/invitations)"
                .into(),
        )))),
        // Serving, migrating, key rotation and command-line invitations happen where the server runs.
        here => Route::Here(Box::new(here)),
    }
}

fn user_create(
    tenant: String,
    email: String,
    name: String,
    password_stdin: bool,
    admin: bool,
    profile: Option<String>,
) -> std::result::Result<Plan, Stop> {
    let profile = profile
        .map(|raw| {
            serde_json::from_str(&raw)
                .map_err(|e| Stop::Usage(format!("--profile is not a JSON object: {e}")))
        })
        .transpose()?;
    let password = read_password(password_stdin).map_err(Stop::from)?;
    Ok(Plan::once(
        Call::CreateUser {
            tenant,
            body: NewUserBody {
                mail: email,
                display_name: name,
                password,
                roles: if admin { vec!["Admin".into()] } else { vec![] },
                profile,
            },
        },
        View::Describe,
    ))
}

fn idp_create(c: IdpCreate) -> std::result::Result<Plan, Stop> {
    if !c.client_secret_stdin {
        return Err(Stop::Usage(
            "the client secret is read from standard input only: add --client-secret-stdin and pipe it in"
                .into(),
        ));
    }
    let client_secret = read_client_secret()?;
    let body = Box::new(NewIdentityProvider {
        display_name: c.name,
        preset: c.preset,
        issuer: c.issuer,
        client_id: c.client_id,
        client_secret,
        // Without --scope the server's default (email profile) applies.
        scopes: (!c.scopes.is_empty()).then_some(c.scopes),
        domains: c.domains,
        email_claim: c.email_claim,
        name_claim: c.name_claim,
        trust_email: c.trust_email,
        members: c.members,
        create_members: c.create_members,
        enabled: Some(!c.disabled),
    });
    let call = match c.tenant {
        Some(tenant) => Call::CreateIdentityProvider { tenant, body },
        None => Call::CreateSharedIdentityProvider {
            home: c.home.home_tenant,
            body,
        },
    };
    Ok(Plan::once(call, View::Describe))
}

fn idp_delete_shared(d: IdpDeleteShared) -> std::result::Result<Plan, Stop> {
    if !d.yes {
        return Err(Stop::Usage(format!(
            "withdrawing the shared identity provider {} cannot be undone; add --yes to confirm",
            d.id
        )));
    }
    let done = View::Done(format!("deleted the shared identity provider {}", d.id));
    Ok(Plan::once(
        Call::DeleteSharedIdentityProvider {
            home: d.home.home_tenant,
            id: d.id,
        },
        done,
    ))
}

/// Runs an admin API call in local or remote mode; failures print `error: …` (exit code 1, or 2 for
/// usage problems).
async fn run_admin(
    plan: std::result::Result<Plan, Stop>,
    config: Option<PathBuf>,
    server: Option<String>,
    token: Option<String>,
    json: bool,
) -> std::process::ExitCode {
    let outcome = async {
        let plan = plan?;
        let client = match server {
            Some(url) => {
                init_tracing("warn", remote_log_format());
                Client::remote(&url, token)?
            }
            None => {
                let config = Config::load(config.as_deref())?;
                init_tracing(&config.log, config.log_format);
                Client::local(config)?
            }
        };
        admin::execute(&client, plan, json).await
    };
    match outcome.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(stop) => stop.report(),
    }
}

/// Who invites: the operator, or the user of the tenant named with `--by` (their roles decide).
async fn actor(svc: &Services, tenant: &Tenant, by: Option<&str>) -> Result<Actor> {
    match by {
        None => Ok(Actor::operator()),
        Some(email) => Actor::command_line_user(svc, tenant, email).await,
    }
}

async fn invite(
    svc: &Services,
    tenant: &Tenant,
    args: InviteArgs,
    json: bool,
) -> Result<std::process::ExitCode> {
    let actor = actor(svc, tenant, args.by.as_deref()).await?;
    let Some(path) = args.csv else {
        let req = InviteRequest {
            email: args.email.unwrap_or_default(),
            display_name: args.name,
            user_type: UserType::Guest,
            redirect_url: args.redirect_url,
            language: Language::parse(&args.language)?,
            cc: args.cc,
            custom_text: args.text,
            app_ids: args.apps,
            group_ids: args.groups,
            contact_url: None,
            invite_app_id: None,
            send_email: true,
            access: args.access_days.map(invitations::AccessEnd::AfterDays),
        };
        let outcome = invitations::invite(svc, &actor, tenant, req, None).await?;
        print(json, &outcome, || match &outcome {
            InviteOutcome::Created {
                user_id,
                redeem_url,
                user_principal_name,
                ..
            } => {
                format!("invited {user_principal_name} ({user_id})\nredeem URL: {redeem_url}")
            }
            InviteOutcome::Exists { user_id: Some(id) } => {
                format!("already in the directory: {id}; nothing created")
            }
            InviteOutcome::Exists { user_id: None } => {
                "already in the directory; nothing created".to_string()
            }
        })?;
        return Ok(std::process::ExitCode::SUCCESS);
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| Error::invalid("csv", format!("cannot read {}: {e}", path.display())))?;
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) && !json {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let upload = invitations::CsvUpload {
        file_name: &name,
        bytes: &bytes,
        max_rows: args.max_rows,
        validate_only: args.validate_only,
    };
    let report = invitations::invite_from_csv(svc, &actor, tenant, upload, &progress).await?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(out) = &args.results {
        std::fs::write(out, report.results_csv()).map_err(|e| {
            Error::invalid("results", format!("cannot write {}: {e}", out.display()))
        })?;
    }
    if json {
        for row in &report.rows {
            print(true, row, String::new)?;
        }
    } else {
        for row in &report.rows {
            let reason = if row.reason.is_empty() {
                String::new()
            } else {
                format!("\t{}", row.reason)
            };
            println!("{}\t{}\t{}{reason}", row.row, row.email, row.outcome);
        }
        if !report.unknown_columns.is_empty() {
            println!(
                "ignored unknown columns: {}",
                report.unknown_columns.join(", ")
            );
        }
        println!(
            "{} created, {} already existed, {} failed{}",
            report.created,
            report.existing,
            report.failed,
            if report.validate_only {
                " (validate only: nothing was created)"
            } else {
                ""
            }
        );
    }
    Ok(std::process::ExitCode::from(if report.failed > 0 {
        1
    } else {
        0
    }))
}

fn init_tracing(filter: &str, format: crate::config::LogFormat) {
    crate::observability::logging::init(filter, format);
}

/// With --server no configuration is read; the log format still follows the environment.
fn remote_log_format() -> crate::config::LogFormat {
    std::env::var("GUESTLIST_LOG_FORMAT")
        .ok()
        .and_then(|v| crate::config::LogFormat::parse(&v).ok())
        .unwrap_or_default()
}
