//! Starting the provider: storage, keys, the default tenant, background tasks, the HTTP server.

use crate::config::{Config, TlsFiles};
use crate::error::{Error, Result};
use crate::http;
use crate::keys::{self, KeyStore};
use crate::mail::{self, outbox::OutboxWorker, outbox::RetryPolicy, transport::Transport};
use crate::service::{Services, bootstrap};
use crate::store::Store;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often a process checks the keys directory for a rotation made elsewhere. A rotated key is
/// published by every process within this interval; `keys rotate` activates new keys later than that.
pub const KEY_RELOAD_INTERVAL: Duration = Duration::from_secs(2);

/// Connects, migrates and loads keys: everything a command needs before it can use the services.
pub fn prepare(config: Config) -> Result<Services> {
    let store = Store::connect_with(
        &config.database_url,
        config.db_pool_size,
        config.db_connect_timeout,
    )?;
    let applied = store.migrate()?;
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
    let keys = KeyStore::open_or_create(&config.keys_dir)?;
    Services::new(config, store, keys)
}

/// A rustls server configuration from PEM files (certificate chain, then private key).
fn tls_config(files: &TlsFiles) -> Result<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| Error::Config(format!("cannot read {}: {e}", p.display())))
    };
    let certs = CertificateDer::pem_slice_iter(&read(&files.cert)?)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("{}: {e}", files.cert.display())))?;
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "{} holds no certificate",
            files.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?)
        .map_err(|e| Error::Config(format!("{}: {e}", files.key.display())))?;
    rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::Config(format!("TLS certificate and key: {e}")))
}

/// The running HTTP server (for `serve` and for tests that drive a real server); HTTPS when the
/// configuration names a certificate and key.
///
/// It does not watch signals itself: `serve` does, and stops it gracefully with
/// [`actix_web::dev::ServerHandle::stop`]: no new connections, in-flight requests get up to
/// `shutdown_timeout` seconds to finish.
pub fn http_server(svc: Services, listener: TcpListener) -> Result<actix_web::dev::Server> {
    let workers = svc.config.http_workers;
    let shutdown_timeout = svc.config.shutdown_timeout;
    let https = svc.config.secure_cookies();
    let tls = svc.config.tls.as_ref().map(tls_config).transpose()?;
    let data = web::Data::new(svc);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(http::security_headers(https))
            // Outermost: sees every answer, with its final status and headers.
            .wrap(from_fn(http::metrics::observe))
            .configure(http::routes)
    })
    .workers(workers)
    // Explicit limits, so a slow or idle client cannot hold a connection for long: the request head
    // must arrive within 10 s, an idle keep-alive connection closes after 30 s, and each worker takes at
    // most `MAX_CONNECTIONS_PER_WORKER` connections at once (beyond that, connections wait in the
    // listen backlog).
    .client_request_timeout(Duration::from_secs(10))
    .client_disconnect_timeout(Duration::from_secs(5))
    .keep_alive(Duration::from_secs(30))
    .max_connections(MAX_CONNECTIONS_PER_WORKER)
    .disable_signals()
    .shutdown_timeout(shutdown_timeout);
    let server = match tls {
        Some(cfg) => server.listen_rustls_0_23(listener, cfg),
        None => server.listen(listener),
    }
    .map_err(|e| Error::Config(format!("cannot listen: {e}")))?;
    Ok(server.run())
}

/// Connections one HTTP worker serves at once.
pub const MAX_CONNECTIONS_PER_WORKER: usize = 4096;

/// How often the outbox worker looks for due messages.
pub const OUTBOX_INTERVAL: Duration = Duration::from_secs(2);

/// How often the back-channel logout and webhook deliverers look for due messages.
pub const DELIVERY_INTERVAL: Duration = Duration::from_secs(1);

/// Background upkeep: key reloads, the mail outbox worker, back-channel logout deliveries, and removal of expired codes, tokens and
/// sessions.
pub fn spawn_background(svc: &Services) -> Result<()> {
    // The sender is dropped at once: this outbox worker runs until the process ends.
    spawn_background_until(svc, watch::channel(false).1).map(|_| ())
}

/// [`spawn_background`] with an outbox worker that stops when `stop` turns true; the returned task
/// ends once the deliveries it had started are recorded.
pub fn spawn_background_until(
    svc: &Services,
    stop: watch::Receiver<bool>,
) -> Result<actix_web::rt::task::JoinHandle<()>> {
    keys::spawn_reloader(svc.keys.clone(), KEY_RELOAD_INTERVAL);
    let worker = OutboxWorker {
        store: svc.store.clone(),
        transport: Transport::for_config(&svc.config)?,
        from: mail::sender(&svc.config.mail_from)?,
        policy: RetryPolicy::for_config(&svc.config),
        claim: uuid::Uuid::new_v4().to_string(),
    };
    let outbox = Arc::new(worker).spawn_until(OUTBOX_INTERVAL, stop);
    let logouts = crate::service::backchannel::LogoutDeliverer::new(svc)?;
    Arc::new(logouts).spawn(DELIVERY_INTERVAL);
    let webhooks = crate::service::webhooks::delivery::WebhookDeliverer::new(svc)?;
    Arc::new(webhooks).spawn(DELIVERY_INTERVAL);
    crate::service::lifecycle::spawn(svc);
    let svc = svc.clone();
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = svc.now();
            // Consumed codes stay as long as a token they issued could live, so replays are caught.
            let keep = svc.config.refresh_token_ttl;
            let idle = svc.config.session_idle_ttl;
            let result = svc
                .store
                .write(move |c| {
                    let n = crate::store::queries::oauth::purge_expired(c, now, keep)?;
                    let n = n + crate::store::queries::sessions::delete_expired(c, now, idle)?;
                    let n = n + crate::store::queries::federation::purge_states(c, now)?;
                    let n = n + crate::store::queries::one_time_codes::purge(c, now)?;
                    // The delivery logs of back-channel logouts and webhooks keep a week.
                    let week_ago = now - 7 * 86_400;
                    let n = n + crate::store::queries::backchannel::purge(c, week_ago)?;
                    let n = n + crate::store::queries::webhooks::purge(c, week_ago)?;
                    // A day without failures or budgeted actions forgets a throttled subject.
                    Ok(n + crate::store::queries::throttles::purge(c, now, 24 * 3600)?)
                })
                .await;
            match result {
                Ok(n) if n > 0 => tracing::info!(removed = n, "purged expired records"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purging expired records failed"),
            }
        }
    });
    Ok(outbox)
}

/// SIGTERM and SIGINT (Ctrl-C), watched from before the server listens.
struct ShutdownSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> Result<ShutdownSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let watch = |kind| {
                signal(kind).map_err(|e| Error::Config(format!("cannot watch signals: {e}")))
            };
            Ok(ShutdownSignals {
                term: watch(SignalKind::terminate())?,
                int: watch(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(ShutdownSignals {})
    }

    /// The name of the next signal received.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// `guestlist serve`.
pub async fn serve(config: Config) -> Result<()> {
    let listen = config.listen.clone();
    let svc = prepare(config)?;
    let tenant = bootstrap::ensure_default_tenant(&svc).await?;
    if let Some(link) = bootstrap::first_admin_link(&svc, &tenant).await? {
        println!(
            "\nguestlist: no administrator exists for tenant '{}' yet.",
            tenant.slug
        );
        println!("Open this one-time link to set one up (valid 24 hours):\n\n    {link}\n");
    }
    let listener = TcpListener::bind(&listen)
        .map_err(|e| Error::Config(format!("cannot bind {listen}: {e}")))?;
    println!(
        "guestlist listening on {}://{} — issuer of '{}': {}",
        if svc.config.tls.is_some() {
            "https"
        } else {
            "http"
        },
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or(listen),
        tenant.slug,
        tenant.issuer
    );
    let mut signals = ShutdownSignals::install()?;
    let timeout = Duration::from_secs(svc.config.shutdown_timeout);
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let outbox = spawn_background_until(&svc, stop_rx)?;
    let server = http_server(svc, listener)?;
    let handle = server.handle();
    let signalled: Arc<OnceLock<Instant>> = Arc::default();
    {
        let (stop_tx, signalled) = (stop_tx.clone(), signalled.clone());
        actix_web::rt::spawn(async move {
            let signal = signals.next().await;
            let _ = signalled.set(Instant::now());
            tracing::info!(
                signal,
                timeout_secs = timeout.as_secs(),
                "shutting down: no new connections; finishing in-flight requests and email deliveries"
            );
            let _ = stop_tx.send(true);
            // Graceful: resolves when the workers finished their requests or the timeout passed.
            let stopping = handle.stop(true);
            tokio::select! {
                _ = stopping => {}
                signal = signals.next() => {
                    tracing::warn!(signal, "second signal: stopping at once");
                    std::process::exit(1);
                }
            }
        });
    }
    let served = server.await.map_err(Error::internal);
    // The outbox worker stops claiming now (if no signal said so already) and gets what remains of
    // the timeout to record the deliveries it started.
    let _ = stop_tx.send(true);
    let left = signalled
        .get()
        .map(|at| timeout.saturating_sub(at.elapsed()))
        .unwrap_or(timeout);
    match tokio::time::timeout(left, outbox).await {
        Ok(_) => tracing::info!("stopped"),
        Err(_) => tracing::warn!(
            "stopped with email deliveries still running; their messages are sent again once their lease expires"
        ),
    }
    served
}
