//! OAuth 2 client credentials (RFC 6749 §4.4), one of the ways a PingFederate channel can
//! authenticate to the target (PF-2, `pf-settings`): the IdP asks the token endpoint for an
//! access token with its client id and secret (and a scope, when the admin set one), sends it
//! as a bearer token, and asks again when it expires. How PingFederate authenticates itself to
//! the token endpoint is not documented; the harness uses HTTP Basic, the method RFC 6749
//! §2.3.1 requires every authorization server to support `[inferred]`.
//!
//! The secret and every token issued are secrets of the run: the redactor learns each one
//! before it can appear anywhere. The token endpoint's exchanges are not SCIM exchanges and
//! are not recorded; a failure there is the failure of the SCIM request that needed the
//! token, told with the endpoint's status and OAuth error, and it stands for
//! `ASK_AGAIN_AFTER` before the endpoint is asked again.

use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use super::body::BodyError;
use super::{truncate_text, ClientError, Redactor, Secret};

/// What the admin enters for a client-credentials channel.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    /// The authorization server's token endpoint.
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Sent as `scope` when set.
    pub scope: Option<String>,
}

/// An issued token is not used in its last tenth of life (at most 30 s): a request must not
/// reach the target with a token that expires on the way.
const MARGIN_MAX: Duration = Duration::from_secs(30);

/// How long a token endpoint's refusal (or silence) stands before the endpoint is asked
/// again. Without it a wrong client secret meant one token request per object of a cycle
/// (PingFederate probes nothing first, PF-2), 100,000 of them for a large directory, at an
/// authorization server that may lock the client out for less. Within the wait the records
/// fail with the answer already had, and are retried as any failed record is.
const ASK_AGAIN_AFTER: Duration = Duration::from_secs(10);

/// The largest token endpoint answer read: a token response is a few hundred bytes.
const MAX_ANSWER: u64 = 64 * 1024;

/// `application/x-www-form-urlencoded` (RFC 6749 Appendix B): everything but ALPHA, DIGIT
/// and `*-._` is percent-encoded.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

fn form(value: &str) -> String {
    utf8_percent_encode(value, FORM).to_string()
}

/// A client's tokens from one set of client credentials.
#[derive(Debug)]
pub(super) struct Session {
    credentials: ClientCredentials,
    state: tokio::sync::Mutex<State>,
    /// `ASK_AGAIN_AFTER`, shorter in tests.
    ask_again_after: Duration,
}

#[derive(Debug, Default)]
struct State {
    issued: Option<Issued>,
    /// The last request's failure and when it came, while it stands.
    failed: Option<(Instant, ClientError)>,
}

#[derive(Debug)]
struct Issued {
    token: Secret,
    /// `None`: the answer named no lifetime; the token is used until the target refuses it.
    use_until: Option<Instant>,
}

impl Session {
    pub(super) fn new(credentials: ClientCredentials) -> Session {
        Session {
            credentials,
            state: tokio::sync::Mutex::new(State::default()),
            ask_again_after: ASK_AGAIN_AFTER,
        }
    }

    /// The token to send now: the one issued while it lives, otherwise a new one. Workers
    /// sending at once wait for one request to the token endpoint, not one each; after a
    /// failure, the endpoint is not asked again for `ASK_AGAIN_AFTER` and the same failure
    /// is the answer.
    pub(super) async fn token(
        &self,
        http: &reqwest::Client,
        redactor: &Redactor,
    ) -> Result<Secret, ClientError> {
        let mut state = self.state.lock().await;
        if let Some(i) = state
            .issued
            .as_ref()
            .filter(|i| i.use_until.is_none_or(|t| Instant::now() < t))
        {
            return Ok(i.token.clone());
        }
        if let Some((_, e)) = state
            .failed
            .as_ref()
            .filter(|(at, _)| at.elapsed() < self.ask_again_after)
        {
            return Err(e.clone());
        }
        match self.request(http, redactor).await {
            Ok(fresh) => {
                let token = fresh.token.clone();
                *state = State {
                    issued: Some(fresh),
                    failed: None,
                };
                Ok(token)
            }
            Err(e) => {
                state.failed = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
    }

    /// The target refused `token` (401): the next request asks for a new one.
    pub(super) async fn refused(&self, token: &Secret) {
        let mut state = self.state.lock().await;
        if state
            .issued
            .as_ref()
            .is_some_and(|i| i.token.expose() == token.expose())
        {
            state.issued = None;
        }
    }

    async fn request(
        &self,
        http: &reqwest::Client,
        redactor: &Redactor,
    ) -> Result<Issued, ClientError> {
        let c = &self.credentials;
        let url = c.token_url.clone();
        let fail = |detail: String| ClientError::TokenEndpoint {
            url: redactor.scrub(&url),
            detail: redactor.scrub(&detail),
        };
        let mut body = String::from("grant_type=client_credentials");
        if let Some(scope) = &c.scope {
            body.push_str("&scope=");
            body.push_str(&form(scope));
        }
        let started = Instant::now();
        let answer = http
            .post(&url)
            .basic_auth(form(&c.client_id), Some(form(c.client_secret.expose())))
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| fail(format!("no answer ({})", super::error::root_cause(&e))))?;
        let status = answer.status();
        let mut answer = answer;
        let bytes = match super::body::read_capped(&mut answer, MAX_ANSWER).await {
            Ok(bytes) => bytes,
            Err(BodyError::TooLarge) => {
                return Err(fail(format!(
                    "{status}: an answer of more than {MAX_ANSWER} bytes"
                )))
            }
            Err(BodyError::Http(e)) => {
                return Err(fail(format!(
                    "{status}, then the answer broke off ({})",
                    super::error::root_cause(&e)
                )))
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let json: Option<Value> = serde_json::from_str(&text).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|j| j.get(name))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        // Learned before anything is told: an error text may echo the token it carried.
        if let Some(token) = field("access_token") {
            redactor.add_text(&token);
        }
        if !status.is_success() {
            let oauth = match (field("error"), field("error_description")) {
                (Some(e), Some(d)) => format!(" {e}: {d}"),
                (Some(e), None) => format!(" {e}"),
                _ if text.trim().is_empty() => String::new(),
                _ => format!(" {}", truncate_text(text.trim(), 200)),
            };
            return Err(fail(format!("{status}{oauth}")));
        }
        let Some(token) = field("access_token") else {
            return Err(fail(format!(
                "{status} without an `access_token` (RFC 6749 §5.1)"
            )));
        };
        if let Some(kind) = field("token_type").filter(|t| !t.eq_ignore_ascii_case("bearer")) {
            return Err(fail(format!(
                "a `{kind}` token; the IdP sends bearer tokens only (RFC 6750)"
            )));
        }
        let lifetime = json
            .as_ref()
            .and_then(|j| j.get("expires_in"))
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()))
            .map(Duration::from_secs);
        let use_until = lifetime.map(|l| started + l - (l / 10).min(MARGIN_MAX));
        Ok(Issued {
            token: Secret::new(token),
            use_until,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refusal stands for `ask_again_after`: asked again within it, the session answers
    /// with the same failure and sends nothing; after it, the endpoint is asked again.
    #[tokio::test]
    async fn a_refusal_stands_for_a_while_then_the_endpoint_is_asked_again() {
        let (base, served) = crate::client::test_server::answering(vec![
            (401, r#"{"error":"invalid_client"}"#.into()),
            (
                200,
                r#"{"access_token":"t-1","token_type":"Bearer"}"#.into(),
            ),
        ])
        .await;
        let mut session = Session::new(ClientCredentials {
            token_url: format!("{base}/token"),
            client_id: "c".into(),
            client_secret: Secret::new("s"),
            scope: None,
        });
        let (http, redactor) = (reqwest::Client::new(), Redactor::new());
        let first = session.token(&http, &redactor).await.expect_err("refused");
        assert!(first.to_string().contains("invalid_client"), "{first}");
        let again = session.token(&http, &redactor).await.expect_err("stands");
        assert_eq!(again, first);
        session.ask_again_after = Duration::ZERO;
        let token = session.token(&http, &redactor).await.expect("issued");
        assert_eq!(token.expose(), "t-1");
        let heads = served.await.expect("served");
        assert_eq!(heads.len(), 2, "asked twice, not three times");
    }

    #[test]
    fn form_encoding_keeps_only_the_unreserved_form_characters() {
        assert_eq!(form("scim:users write"), "scim%3Ausers%20write");
        assert_eq!(form("a*b-c.d_e~f"), "a*b-c.d_e%7Ef");
    }
}
