//! The request sources the scenarios use.

use crate::client::{Reply, Target, Template};
use crate::driver::Workload;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, StatusCode};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The same few requests in turn, each answered with `expect`.
pub struct RoundRobin {
    templates: Vec<Template>,
    next: AtomicUsize,
    expect: StatusCode,
}

impl RoundRobin {
    pub fn new(templates: Vec<Template>, expect: StatusCode) -> RoundRobin {
        RoundRobin {
            templates,
            next: AtomicUsize::new(0),
            expect,
        }
    }
}

impl Workload for RoundRobin {
    fn next(&self, target: &Target) -> Option<Request<Full<Bytes>>> {
        if self.templates.is_empty() {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.templates.len();
        self.templates[i].build(target).ok()
    }

    fn accept(&self, reply: &Reply) -> bool {
        reply.status == self.expect
    }
}

/// An attacker's requests: every refusal counts (401 while guessing, 429 once waiting), any other
/// answer (a sign-in that got through, a server error) is a failure.
pub struct Refused {
    inner: RoundRobin,
}

impl Refused {
    pub fn new(templates: Vec<Template>) -> Refused {
        Refused {
            inner: RoundRobin::new(templates, StatusCode::UNAUTHORIZED),
        }
    }
}

impl Workload for Refused {
    fn next(&self, target: &Target) -> Option<Request<Full<Bytes>>> {
        self.inner.next(target)
    }

    fn accept(&self, reply: &Reply) -> bool {
        matches!(
            reply.status,
            StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
        )
    }
}

/// Authorization requests whose redirects carry codes; stops once `max` codes are collected.
pub struct CodeMinter {
    template: Template,
    max: usize,
    codes: Mutex<Vec<String>>,
    collected: AtomicUsize,
}

impl CodeMinter {
    pub fn new(template: Template, max: usize) -> CodeMinter {
        CodeMinter {
            template,
            max,
            codes: Mutex::new(Vec::with_capacity(max)),
            collected: AtomicUsize::new(0),
        }
    }

    pub fn into_codes(self) -> Vec<String> {
        self.codes.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// The `code` parameter of a redirect target.
pub fn code_in(location: &str) -> Option<&str> {
    let (_, query) = location.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "code")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

impl Workload for CodeMinter {
    fn next(&self, target: &Target) -> Option<Request<Full<Bytes>>> {
        if self.collected.load(Ordering::Relaxed) >= self.max {
            return None;
        }
        self.template.build(target).ok()
    }

    fn accept(&self, reply: &Reply) -> bool {
        if reply.status != StatusCode::SEE_OTHER {
            return false;
        }
        let Some(code) = reply.location().and_then(code_in) else {
            return false;
        };
        if let Ok(mut codes) = self.codes.lock() {
            codes.push(code.to_string());
        }
        self.collected.fetch_add(1, Ordering::Relaxed);
        true
    }
}

/// Token requests that each spend one authorization code; runs out with the codes.
pub struct CodeExchange {
    template: Template,
    form_prefix: String,
    codes: Vec<String>,
    next: AtomicUsize,
}

impl CodeExchange {
    /// `form_prefix` is the form without the code (`grant_type=…&redirect_uri=…&…&code=`).
    pub fn new(template: Template, form_prefix: String, codes: Vec<String>) -> CodeExchange {
        CodeExchange {
            template,
            form_prefix,
            codes,
            next: AtomicUsize::new(0),
        }
    }
}

impl Workload for CodeExchange {
    fn next(&self, target: &Target) -> Option<Request<Full<Bytes>>> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        let code = self.codes.get(i)?;
        let body = format!("{}{}", self.form_prefix, code);
        self.template.with_body(body).build(target).ok()
    }

    fn accept(&self, reply: &Reply) -> bool {
        reply.status == StatusCode::OK
    }
}

#[cfg(test)]
mod tests {
    use super::code_in;

    #[test]
    fn finds_the_code_in_a_redirect() {
        let loc = "http://127.0.0.1/cb?code=abc-1&state=x&iss=http%3A%2F%2F127.0.0.1%2Ft%2Fbench";
        assert_eq!(code_in(loc), Some("abc-1"));
        assert_eq!(code_in("http://127.0.0.1/cb?error=access_denied"), None);
        assert_eq!(code_in("http://127.0.0.1/cb"), None);
    }
}
