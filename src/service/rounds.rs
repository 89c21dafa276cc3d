//! Background work done in rounds (the back-channel logout and webhook deliverers): a round every
//! interval, and at once another while rounds find a full page of work.

use crate::error::Result;
use std::future::Future;
use std::time::Duration;

/// Runs `round` every `interval` until the process ends. A round answers whether it found a full page
/// (more may be waiting), and then the next one starts at once. A failed round is logged as `what`.
pub fn repeat<F, Fut>(interval: Duration, what: &'static str, round: F)
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<bool>> + 'static,
{
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            loop {
                match round().await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "{what} failed");
                        break;
                    }
                }
            }
        }
    });
}
