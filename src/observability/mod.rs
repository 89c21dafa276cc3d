//! What operators watch: Prometheus metrics (`metrics`) and structured logs (`logging`). The HTTP side
//! (the `/metrics` endpoint, request ids and the per-request log line) is in `http::metrics`.

pub mod logging;
pub mod metrics;
