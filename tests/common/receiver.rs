//! A real HTTP receiver on loopback for what the server sends out (back-channel logout tokens,
//! webhooks): it records every POST (path, headers, body), refuses the first `fail_first` with 503,
//! and takes `delay` to answer.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: String,
    /// Whether the receiver acknowledged it (200) or played down (503).
    pub accepted: bool,
}

impl Received {
    /// A field of a form body.
    pub fn form_field(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

#[derive(Clone)]
pub struct Receiver {
    pub base: String,
    got: Arc<Mutex<Vec<Received>>>,
    fail_first: Arc<AtomicUsize>,
}

impl Receiver {
    pub fn start(fail_first: usize, delay: Duration) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let rx = Receiver {
            base: format!("http://{}", listener.local_addr().unwrap()),
            got: Arc::default(),
            fail_first: Arc::new(AtomicUsize::new(fail_first)),
        };
        let state = rx.clone();
        let server = HttpServer::new(move || {
            let state = state.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let state = state.clone();
                async move {
                    tokio::time::sleep(delay).await;
                    let fail = state
                        .fail_first
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.as_str().to_ascii_lowercase(),
                                v.to_str().unwrap_or_default().to_string(),
                            )
                        })
                        .collect();
                    state.got.lock().unwrap().push(Received {
                        path: req.path().to_string(),
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                        accepted: !fail,
                    });
                    if fail {
                        HttpResponse::ServiceUnavailable().finish()
                    } else {
                        HttpResponse::Ok().finish()
                    }
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        actix_web::rt::spawn(server);
        rx
    }

    pub fn uri(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn all(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// What `path` acknowledged.
    pub fn accepted(&self, path: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|r| r.path == path && r.accepted)
            .collect()
    }

    /// Waits until `path` acknowledged `n` requests, then a little longer so that a duplicate would
    /// have arrived too (the server's deliverers poll every second): what `path` acknowledged.
    pub async fn settled(&self, path: &str, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            if self.accepted(path).len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(2500)).await;
        self.accepted(path)
    }
}
