//! The benchmark scenarios: what each sends, and the setup some of them need first.

use crate::client::{self, Error, Target, Template};
use crate::driver::{LoadOptions, Workload, drive};
use crate::seed::{AppSecret, Seed};
use crate::stats::Outcome;
use crate::workloads::{CodeExchange, CodeMinter, Refused, RoundRobin};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::StatusCode;
use hyper::header::{AUTHORIZATION, COOKIE, HeaderName};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The address the flood comes from.
const ATTACKER: &str = "203.0.113.66";
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Codes asked for in one request to the seed's `codes_path`.
const CODES_BATCH: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// GET /.well-known/openid-configuration.
    Discovery,
    /// GET /jwks.
    Jwks,
    /// client_credentials token from the app that signs with ES256.
    CcEs256,
    /// client_credentials token from the app that signs with RS256.
    CcRs256,
    /// authorization_code exchange (ES256 app) of codes minted beforehand.
    CodeExchange,
    /// Password sign-in (POST /signin, 303 on success).
    Signin,
    /// Sign-ins of the seeded users (each from an address of its own) while one address floods the
    /// sign-in page with wrong passwords for made-up accounts: reported as `flood-rightful` and
    /// `flood-attacker`.
    Flood,
    /// Wrong passwords from an address that is already waiting (429): the cost of a throttled attempt.
    Throttled,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Discovery => "discovery",
            Scenario::Jwks => "jwks",
            Scenario::CcEs256 => "cc-es256",
            Scenario::CcRs256 => "cc-rs256",
            Scenario::CodeExchange => "code-exchange",
            Scenario::Signin => "signin",
            Scenario::Flood => "flood",
            Scenario::Throttled => "throttled",
        }
    }
}

/// How a confidential client proves itself at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientAuth {
    /// `client_secret_post`: id and secret in the form.
    Post,
    /// `client_secret_basic`: HTTP Basic.
    Basic,
}

pub struct Bench {
    /// The server processes; requests that set something up go to the first.
    pub targets: Vec<Target>,
    pub seed: Seed,
    pub load: LoadOptions,
    pub client_auth: ClientAuth,
    /// Codes to mint before `code-exchange`, and the most time to spend minting them.
    pub max_codes: usize,
    pub mint_time: Duration,
    /// Run as `HOOK before NAME` before each measured phase and `HOOK after NAME SENT` after it
    /// (requests sent, warm-up and those in flight at the end included), while no load runs: for
    /// statistics of the server's database around a phase.
    pub hook: Option<PathBuf>,
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The text of `<input … name="NAME" value="…">` in an HTML page.
fn hidden_input(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value = tag.split_once("value=\"")?.1;
    Some(value.split_once('"')?.0.to_string())
}

impl Bench {
    fn first(&self) -> &Target {
        &self.targets[0]
    }

    fn path(&self, rest: &str) -> String {
        self.seed.tenant_path(rest)
    }

    /// Runs the phase hook, if any; a hook that fails is reported and the benchmark goes on.
    async fn hook(&self, args: Vec<String>) {
        let Some(hook) = self.hook.clone() else {
            return;
        };
        let run = tokio::task::spawn_blocking(move || {
            std::process::Command::new(&hook)
                .args(&args)
                .status()
                .map_err(|e| format!("{}: {e}", hook.display()))
        });
        match run.await {
            Ok(Ok(status)) if status.success() => {}
            Ok(Ok(status)) => eprintln!("loadgen: the phase hook exited with {status}"),
            Ok(Err(e)) => eprintln!("loadgen: cannot run the phase hook {e}"),
            Err(e) => eprintln!("loadgen: the phase hook task failed: {e}"),
        }
    }

    /// `drive`, between the phase hook's `before` and `after`.
    async fn measured<W: Workload>(&self, name: &str, work: Arc<W>, load: LoadOptions) -> Outcome {
        self.hook(vec!["before".into(), name.into()]).await;
        let outcome = drive(name, &self.targets, work, load).await;
        self.hook(vec!["after".into(), name.into(), outcome.sent.to_string()])
            .await;
        outcome
    }

    pub async fn run(&self, scenario: Scenario) -> Result<Vec<Outcome>, Error> {
        let name = scenario.name();
        Ok(match scenario {
            Scenario::Discovery => {
                let t = Template::get(self.seed.discovery());
                vec![self.fixed(name, vec![t], StatusCode::OK).await?]
            }
            Scenario::Jwks => {
                let t = Template::get(self.seed.jwks());
                vec![self.fixed(name, vec![t], StatusCode::OK).await?]
            }
            Scenario::CcEs256 => vec![self.client_credentials(name, &self.seed.es256).await?],
            Scenario::CcRs256 => vec![self.client_credentials(name, &self.seed.rs256).await?],
            Scenario::CodeExchange => self.code_exchange(name).await?,
            Scenario::Signin => vec![self.signin(name).await?],
            Scenario::Flood => self.flood().await?,
            Scenario::Throttled => vec![self.throttled(name).await?],
        })
    }

    /// Checks one request of the scenario before loading the server with it.
    async fn probe(&self, template: &Template, expect: StatusCode) -> Result<(), Error> {
        let reply = client::once(self.first(), template).await?;
        if reply.status != expect {
            return Err(format!(
                "{} {} answered {} (expected {expect}): {}",
                template.method,
                template.path,
                reply.status,
                reply.snippet()
            )
            .into());
        }
        Ok(())
    }

    async fn fixed(
        &self,
        name: &str,
        templates: Vec<Template>,
        expect: StatusCode,
    ) -> Result<Outcome, Error> {
        let first = templates.first().ok_or("no request to send")?;
        self.probe(first, expect).await?;
        let work = Arc::new(RoundRobin::new(templates, expect));
        Ok(self.measured(name, work, self.load).await)
    }

    /// A token request with `form` and the app's credentials, as `client_auth` says.
    fn token_request(&self, app: &AppSecret, form: &str) -> Result<Template, Error> {
        let path = self.seed.token();
        Ok(match self.client_auth {
            ClientAuth::Post => Template::post_form(
                path,
                format!(
                    "{form}&client_id={}&client_secret={}",
                    form_encode(&app.client_id),
                    form_encode(&app.client_secret)
                ),
            ),
            ClientAuth::Basic => {
                let pair = format!(
                    "{}:{}",
                    form_encode(&app.client_id),
                    form_encode(&app.client_secret)
                );
                Template::post_form(path, form.to_string())
                    .with_header(AUTHORIZATION, &format!("Basic {}", STANDARD.encode(pair)))?
            }
        })
    }

    async fn client_credentials(&self, name: &str, app: &AppSecret) -> Result<Outcome, Error> {
        let form = format!(
            "grant_type=client_credentials&scope={}",
            form_encode(&self.seed.scope)
        );
        let t = self.token_request(app, &form)?;
        self.fixed(name, vec![t], StatusCode::OK).await
    }

    /// The CSRF token of the sign-in form and the `gl_csrf` cookie that goes with it.
    async fn csrf(&self) -> Result<(String, String), Error> {
        let reply = client::once(self.first(), &Template::get(self.path("/signin"))).await?;
        if reply.status != StatusCode::OK {
            return Err(format!("GET signin answered {}", reply.status).into());
        }
        let cookie = reply
            .set_cookie("gl_csrf")
            .ok_or("GET signin set no gl_csrf cookie")?;
        let html = String::from_utf8_lossy(&reply.body);
        let token = hidden_input(&html, "csrf").ok_or("the sign-in page has no csrf input")?;
        Ok((token, cookie))
    }

    /// A sign-in of `email` with `password`, as the client at `address` (bench/run makes 127.0.0.1 a
    /// trusted proxy, so the server counts the attempt under `X-Forwarded-For`).
    fn attempt(
        &self,
        csrf: &(String, String),
        email: &str,
        password: &str,
        address: &str,
    ) -> Result<Template, Error> {
        let form = format!(
            "csrf={}&email={}&password={}&request=",
            form_encode(&csrf.0),
            form_encode(email),
            form_encode(password)
        );
        Template::post_form(self.path("/signin"), form)
            .with_header(COOKIE, &format!("gl_csrf={}", csrf.1))?
            .with_header(X_FORWARDED_FOR, address)
    }

    /// The seeded users' sign-ins, each from an address of its own (as people in different places).
    fn rightful_signins(&self, csrf: &(String, String)) -> Result<Vec<Template>, Error> {
        self.seed
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let address = format!("10.{}.{}.1", i / 250, i % 250);
                self.attempt(csrf, u, &self.seed.password, &address)
            })
            .collect()
    }

    fn signin_request(&self, csrf: &(String, String), email: &str) -> Result<Template, Error> {
        self.attempt(csrf, email, &self.seed.password, "10.0.0.1")
    }

    async fn signin(&self, name: &str) -> Result<Outcome, Error> {
        let csrf = self.csrf().await?;
        let templates = self.rightful_signins(&csrf)?;
        self.fixed(name, templates, StatusCode::SEE_OTHER).await
    }

    /// Wrong passwords for made-up accounts from the one attacking address.
    fn attack(&self, csrf: &(String, String)) -> Result<Vec<Template>, Error> {
        (0..64)
            .map(|i| {
                let email = format!("nobody{i}@flood.example");
                self.attempt(csrf, &email, "not the password", ATTACKER)
            })
            .collect()
    }

    /// The rightful users sign in (a quarter of the connections) while the attacker floods (the rest).
    async fn flood(&self) -> Result<Vec<Outcome>, Error> {
        let csrf = self.csrf().await?;
        let rightful = self.rightful_signins(&csrf)?;
        self.probe(&rightful[0], StatusCode::SEE_OTHER).await?;
        let attack = self.attack(&csrf)?;
        let people = LoadOptions {
            concurrency: (self.load.concurrency / 4).max(1),
            ..self.load
        };
        let attacker = LoadOptions {
            concurrency: self
                .load
                .concurrency
                .saturating_sub(people.concurrency)
                .max(1),
            ..self.load
        };
        let (people, attacker) = tokio::join!(
            drive(
                "flood-rightful",
                &self.targets,
                Arc::new(RoundRobin::new(rightful, StatusCode::SEE_OTHER)),
                people,
            ),
            drive(
                "flood-attacker",
                &self.targets,
                Arc::new(Refused::new(attack)),
                attacker,
            ),
        );
        Ok(vec![people, attacker])
    }

    /// Wrong passwords from the attacking address once it waits: every answer is 429.
    async fn throttled(&self, name: &str) -> Result<Outcome, Error> {
        let csrf = self.csrf().await?;
        let attack = self.attack(&csrf)?;
        // Enough failures to make the address wait (the default limit is 50 per address).
        for t in attack.iter().cycle().take(64) {
            let reply = client::once(self.first(), t).await?;
            if reply.status == StatusCode::TOO_MANY_REQUESTS {
                break;
            }
        }
        self.fixed(name, attack, StatusCode::TOO_MANY_REQUESTS)
            .await
    }

    /// Signs the first user in and returns the `gl_session` cookie.
    async fn session(&self) -> Result<String, Error> {
        let csrf = self.csrf().await?;
        let t = self.signin_request(&csrf, &self.seed.users[0])?;
        let reply = client::once(self.first(), &t).await?;
        if reply.status != StatusCode::SEE_OTHER {
            return Err(format!("sign-in answered {}: {}", reply.status, reply.snippet()).into());
        }
        Ok(reply
            .set_cookie("gl_session")
            .ok_or("sign-in set no gl_session cookie")?)
    }

    /// Codes from the seed's `codes_path`, in batches, until `max_codes` or `mint_time`.
    async fn fetch_codes(&self, path: &str) -> Result<Vec<String>, Error> {
        let target = self.first();
        let mut sender = client::connect(target).await?;
        let mut codes: Vec<String> = Vec::with_capacity(self.max_codes);
        let started = Instant::now();
        let separator = if path.contains('?') { '&' } else { '?' };
        while codes.len() < self.max_codes && started.elapsed() < self.mint_time {
            let n = (self.max_codes - codes.len()).min(CODES_BATCH);
            let t = Template::get(format!("{path}{separator}n={n}"));
            if sender.ready().await.is_err() {
                sender = client::connect(target).await?;
            }
            let reply = client::send(&mut sender, t.build(target)?).await?;
            if reply.status != StatusCode::OK {
                return Err(format!(
                    "GET {} answered {}: {}",
                    t.path,
                    reply.status,
                    reply.snippet()
                )
                .into());
            }
            let batch: Vec<String> = serde_json::from_slice(&reply.body)
                .map_err(|e| format!("GET {}: not a JSON array of codes: {e}", t.path))?;
            if batch.is_empty() {
                return Err(format!("GET {} answered no code", t.path).into());
            }
            codes.extend(batch);
        }
        println!(
            "{:<16} {} codes from {path} in {:.1} s (not measured)",
            "codes",
            codes.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(codes)
    }

    /// The exchange of `codes` at the token endpoint, reported as `name`.
    async fn exchange(&self, name: &str, codes: Vec<String>) -> Result<Outcome, Error> {
        let form = format!(
            "grant_type=authorization_code&redirect_uri={}",
            form_encode(&self.seed.redirect_uri)
        );
        let template = self.token_request(&self.seed.es256, &form)?;
        let prefix = format!("{}&code=", String::from_utf8_lossy(&template.body));
        let work = Arc::new(CodeExchange::new(template, prefix, codes));
        Ok(self.measured(name, work, self.load).await)
    }

    /// Mints codes with `/authorize` (reported as `authorize`), or fetches them from the seed's
    /// `codes_path`, then measures their exchange.
    async fn code_exchange(&self, name: &str) -> Result<Vec<Outcome>, Error> {
        if let Some(path) = &self.seed.codes_path {
            let codes = self.fetch_codes(path).await?;
            return Ok(vec![self.exchange(name, codes).await?]);
        }
        let session = self.session().await?;
        let app = &self.seed.es256;
        let authorize = Template::get(self.path(&format!(
            "/authorize?client_id={}&redirect_uri={}&response_type=code&scope=openid&state=x",
            form_encode(&app.client_id),
            form_encode(&self.seed.redirect_uri)
        )))
        .with_header(COOKIE, &format!("gl_session={session}"))?;
        self.probe(&authorize, StatusCode::SEE_OTHER).await?;
        let minter = Arc::new(CodeMinter::new(authorize, self.max_codes));
        let mint_load = LoadOptions {
            warmup: Duration::ZERO,
            duration: self.mint_time,
            ..self.load
        };
        let minted = self.measured("authorize", minter.clone(), mint_load).await;
        let codes = Arc::try_unwrap(minter)
            .map_err(|_| "the minting tasks still hold the codes")?
            .into_codes();
        if codes.is_empty() {
            return Err(format!("no code was minted: {}", minted.line()).into());
        }
        let exchanged = self.exchange(name, codes).await?;
        Ok(vec![minted, exchanged])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_csrf_input() {
        let html =
            r#"<form><input type="hidden" name="csrf" value="abc_123"><input name="email"></form>"#;
        assert_eq!(hidden_input(html, "csrf").as_deref(), Some("abc_123"));
        assert_eq!(hidden_input(html, "nope"), None);
    }

    #[test]
    fn form_encodes() {
        assert_eq!(form_encode("a b/c@d.e"), "a+b%2Fc%40d.e");
    }
}
