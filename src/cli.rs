//! The command line (see `shared/spec/interface.md`). Commands that create something print it; with
//! `--json` they print one JSON object per line for scripts.

use crate::config::Config;
use crate::domain::claims::OptionalClaim;
use crate::domain::user::Role;
use crate::error::{Error, Result};
use crate::keys::KeyStore;
use crate::server;
use crate::service::directory::{self, NewApp, NewMember, NewTenant};
use crate::service::{Services, tenants::Tenant};
use clap::{Args, Parser, Subcommand};
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
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
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
    },
    /// List tenants.
    List,
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
}

#[derive(Subcommand)]
enum AppCommand {
    /// Create an app; prints client_id (and client_secret when confidential, shown only once).
    Create(AppCreate),
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

async fn tenant(svc: &Services, slug: &str) -> Result<Tenant> {
    svc.tenants
        .by_slug(slug)
        .await
        .map(|t| (*t).clone())
        .map_err(|_| Error::NotFound(format!("no tenant named {slug}")))
}

fn parse_optional_claims(names: &[String]) -> Result<Vec<OptionalClaim>> {
    names
        .iter()
        .map(|n| {
            serde_json::from_value(serde_json::Value::String(n.clone())).map_err(|_| {
                Error::invalid("optional-claim", format!("unknown optional claim {n}"))
            })
        })
        .collect()
}

pub async fn run(cli: Cli) -> Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    init_tracing(&config.log);
    let json = cli.json;
    match cli.command {
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
        Command::Tenant(cmd) => {
            let svc = server::prepare(config)?;
            match cmd {
                TenantCommand::Create {
                    slug,
                    name,
                    domain,
                    self_service_signup,
                } => {
                    let t = directory::create_tenant(
                        &svc,
                        "cli",
                        NewTenant {
                            slug,
                            display_name: name,
                            primary_domain: domain,
                            self_service_signup,
                        },
                    )
                    .await?;
                    print(json, &t, || {
                        format!("created tenant {} ({}), issuer {}", t.slug, t.id, t.issuer)
                    })
                }
                TenantCommand::List => {
                    for t in directory::list_tenants(&svc).await? {
                        print(json, &t, || {
                            format!("{}\t{}\t{}\t{}", t.slug, t.id, t.display_name, t.issuer)
                        })?;
                    }
                    Ok(())
                }
            }
        }
        Command::User(UserCommand::Create {
            tenant: slug,
            email,
            name,
            password_stdin,
            admin,
            profile,
        }) => {
            let profile = match profile {
                Some(raw) => crate::domain::claims::Profile::parse(&raw)?,
                None => Default::default(),
            };
            let svc = server::prepare(config)?;
            let t = tenant(&svc, &slug).await?;
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(Error::internal)?;
                Some(s.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let u = directory::create_member(
                &svc,
                "cli",
                &t,
                NewMember {
                    email,
                    display_name: name,
                    password,
                    roles: if admin { vec![Role::Admin] } else { vec![] },
                    creation_type: None,
                    email_verified: true,
                    profile,
                },
            )
            .await?;
            print(json, &u, || {
                format!(
                    "created user {} ({}) in {}",
                    u.user_principal_name, u.id, u.tenant
                )
            })
        }
        Command::Group(GroupCommand::Create { tenant: slug, name }) => {
            let svc = server::prepare(config)?;
            let t = tenant(&svc, &slug).await?;
            let g = directory::create_group(&svc, "cli", &t, &name).await?;
            print(json, &g, || g.id.clone())
        }
        Command::App(AppCommand::Create(a)) => {
            let svc = server::prepare(config)?;
            let t = tenant(&svc, &a.tenant).await?;
            let created = directory::create_app(
                &svc,
                "cli",
                &t,
                NewApp {
                    name: a.name,
                    redirect_uris: a.redirect_uris,
                    post_logout_redirect_uris: a.post_logout_redirect_uris,
                    public: a.public,
                    first_party: a.first_party,
                    assignment_required: a.assignment_required,
                    signing_alg: a.signing_alg,
                    optional_claims: parse_optional_claims(&a.optional_claims)?,
                    allowed_scopes: a.allowed_scopes,
                },
            )
            .await?;
            print(json, &created, || {
                let mut s = format!("client_id: {}", created.client_id);
                if let Some(secret) = &created.client_secret {
                    s.push_str(&format!(
                        "\nclient_secret: {secret}\n(the secret is shown only now; store it safely)"
                    ));
                }
                s
            })
        }
    }
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = std::env::var("GUESTLIST_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
