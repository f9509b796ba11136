//! What can go wrong talking to the target, and how a reqwest failure is told: one sentence
//! naming the cause (and the fix, for TLS), every secret replaced before it leaves the client.

use std::time::Duration;

use serde::Serialize;

use super::{tls, Redactor};

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ClientError {
    #[error("failed to connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    /// The TLS handshake was refused (a certificate either side, no shared version): how
    /// the target or `--cacert`/`--cert` is set up, so never retried as a passing fault.
    /// TLS 1.3 tells a refused client certificate only on the first read, and a retry then
    /// met "connection was not ready" on a pooled connection and lost the sentence.
    #[error("failed to connect to {url}: {reason}")]
    Tls { url: String, reason: String },
    #[error("no answer from {url} within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    #[error("failed to talk to {url}: {reason}")]
    Http { url: String, reason: String },
    /// An IdP sends the request where the admin pointed it and nowhere else: following a
    /// redirect would send the token, and on 307/308 the user's body, to another host.
    #[error("the server answered {status} and redirected {method} {url} to {}; IdPs do not follow redirects", location.as_deref().unwrap_or("nowhere (no Location header)"))]
    Redirected {
        method: &'static str,
        url: String,
        status: u16,
        location: Option<String>,
    },
    #[error("the server sent more than {limit} bytes in answer to {method} {url}")]
    BodyTooLarge {
        method: &'static str,
        url: String,
        limit: u64,
    },
    /// OAuth client credentials (PF-2): no access token, so the request was not sent.
    #[error("could not obtain an access token from {url}: {detail}")]
    TokenEndpoint { url: String, detail: String },
}

/// What kind of failure an exchange without an answer had, for findings to classify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Connect,
    Timeout,
    /// A reset or another transport failure after connecting.
    Transport,
    Redirected,
    TooLarge,
    /// The token endpoint gave no access token; the request was not sent.
    TokenEndpoint,
}

impl ClientError {
    pub fn kind(&self) -> FailureKind {
        match self {
            ClientError::Connect { .. } | ClientError::Tls { .. } => FailureKind::Connect,
            ClientError::Timeout { .. } => FailureKind::Timeout,
            ClientError::Http { .. } => FailureKind::Transport,
            ClientError::Redirected { .. } => FailureKind::Redirected,
            ClientError::BodyTooLarge { .. } => FailureKind::TooLarge,
            ClientError::TokenEndpoint { .. } => FailureKind::TokenEndpoint,
        }
    }

    /// The error with every secret replaced: reqwest's text and a `Location` can echo them.
    pub(super) fn scrubbed(self, r: &Redactor) -> ClientError {
        match self {
            ClientError::Connect { url, reason } => ClientError::Connect {
                url: r.scrub(&url),
                reason: r.scrub(&reason),
            },
            ClientError::Tls { url, reason } => ClientError::Tls {
                url: r.scrub(&url),
                reason: r.scrub(&reason),
            },
            ClientError::Timeout { url, seconds } => ClientError::Timeout {
                url: r.scrub(&url),
                seconds,
            },
            ClientError::Http { url, reason } => ClientError::Http {
                url: r.scrub(&url),
                reason: r.scrub(&reason),
            },
            ClientError::Redirected {
                method,
                url,
                status,
                location,
            } => ClientError::Redirected {
                method,
                url: r.scrub(&url),
                status,
                location: location.map(|l| r.scrub(&l)),
            },
            ClientError::BodyTooLarge { method, url, limit } => ClientError::BodyTooLarge {
                method,
                url: r.scrub(&url),
                limit,
            },
            ClientError::TokenEndpoint { url, detail } => ClientError::TokenEndpoint {
                url: r.scrub(&url),
                detail: r.scrub(&detail),
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    #[error("failed to build the HTTP client: {0}")]
    Build(String),
    #[error("failed to open transcript {path}: {source}")]
    Transcript {
        path: String,
        source: std::io::Error,
    },
}

/// A reqwest failure as the client reports it. `timeout` is the request timeout;
/// `connect_timeout` the admin's `--connect-timeout`, if set.
pub(super) fn classify(
    url: &str,
    e: reqwest::Error,
    timeout: Duration,
    connect_timeout: Option<Duration>,
) -> ClientError {
    if let (true, true, Some(limit)) = (e.is_timeout(), e.is_connect(), connect_timeout) {
        // Not an answer that was slow: no connection at all, the limit being the
        // admin's `--connect-timeout`, not the request timeout.
        return ClientError::Connect {
            url: url.to_string(),
            reason: format!(
                "no connection (TLS handshake included) within {} s (--connect-timeout)",
                limit.as_secs()
            ),
        };
    }
    if e.is_timeout() {
        ClientError::Timeout {
            url: url.to_string(),
            seconds: timeout.as_secs(),
        }
    } else if let Some(reason) = tls::explain(&e) {
        // A refused certificate is a set-up problem like a refused connection (exit 3),
        // told as one sentence with the fix rather than rustls' enum name. TLS 1.3 checks
        // the client certificate after the client's side of the handshake: a missing one
        // arrives as an alert on the first read, not on connect.
        ClientError::Tls {
            url: url.to_string(),
            reason,
        }
    } else if e.is_connect() {
        ClientError::Connect {
            url: url.to_string(),
            reason: root_cause(&e),
        }
    } else {
        ClientError::Http {
            url: url.to_string(),
            reason: root_cause(&e),
        }
    }
}

/// The innermost error message: "connection refused" rather than "error sending request".
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Secret;

    #[test]
    fn errors_are_scrubbed_in_every_field() {
        let r = Redactor::from_secrets([&Secret::new("error-token-1")]);
        let e = ClientError::Redirected {
            method: "GET",
            url: "https://u:p@host/x".into(),
            status: 302,
            location: Some("https://evil/?t=error-token-1".into()),
        }
        .scrubbed(&r);
        assert_eq!(
            e.to_string(),
            "the server answered 302 and redirected GET https://[REDACTED]@host/x to https://evil/?t=[REDACTED]; IdPs do not follow redirects"
        );
        let e = ClientError::Http {
            url: "https://host/x".into(),
            reason: "echo error-token-1".into(),
        }
        .scrubbed(&r);
        assert_eq!(
            e.to_string(),
            "failed to talk to https://host/x: echo [REDACTED]"
        );
    }
}
