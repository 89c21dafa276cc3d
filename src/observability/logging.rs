//! Log output: `tracing` events to stderr as text (default) or one JSON object a line
//! (`GUESTLIST_LOG_FORMAT=json`), filtered by `GUESTLIST_LOG`.
//!
//! Events emitted while a request is handled carry the request's span (`request_id`, `method`); the
//! per-request line itself is written by `http::metrics`. Nothing here decides what is logged, so the
//! rule stays where the requests are: route patterns, never URIs, query strings, headers or bodies.

use crate::config::LogFormat;
use std::io::IsTerminal;
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// A subscriber writing to `writer` in `format`; `filter` is an `EnvFilter` directive (`info`,
/// `guestlist=debug,warn`); an unreadable one falls back to `info`.
pub fn subscriber<W>(
    filter: &str,
    format: LogFormat,
    writer: W,
    ansi: bool,
) -> Box<dyn Subscriber + Send + Sync + 'static>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.with_ansi(ansi).finish()),
        // Event fields at the top level, next to the enclosing span's fields (the request id).
        LogFormat::Json => Box::new(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .finish(),
        ),
    }
}

/// Installs the process's subscriber on stderr (once; later calls keep the first). Records of the
/// `log` crate (actix, rustls, lettre) go through it too.
pub fn init(filter: &str, format: LogFormat) {
    let ansi = std::io::stderr().is_terminal();
    let _ = subscriber(filter, format, std::io::stderr, ansi).try_init();
}
