//! An answer as the client hands it on: a redirect refused, the body read within the cap,
//! parsed once and scrubbed, and what the exchange keeps of it.

use std::sync::Arc;

use serde_json::Value;

use super::{body, truncate_text, ClientError, Response, ScimClient};
use crate::scim::Verb;

impl ScimClient {
    /// Turns an answer into a `Response`: redirects refused, body capped, secrets replaced;
    /// with it, what the exchange records of the body (`body::recorded`), made here where
    /// the text as received is at hand.
    pub(super) async fn receive(
        &self,
        verb: Verb,
        url: &str,
        mut resp: reqwest::Response,
    ) -> Result<(Response, Option<Arc<Value>>), ClientError> {
        let status = resp.status();
        // 304 answers a conditional request; it points nowhere else.
        if status.is_redirection() && status != reqwest::StatusCode::NOT_MODIFIED {
            return Err(ClientError::Redirected {
                method: verb.as_str(),
                url: url.to_string(),
                status: status.as_u16(),
                location: resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map(|v| truncate_text(&String::from_utf8_lossy(v.as_bytes()), 512)),
            });
        }
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| truncate_text(&String::from_utf8_lossy(v.as_bytes()), 200));
        // Cut, then scrubbed in place: a clean value (nearly every one) is copied once.
        let header = |name: reqwest::header::HeaderName| {
            resp.headers().get(name).map(|v| {
                let mut text = truncate_text(&String::from_utf8_lossy(v.as_bytes()), 512);
                self.redactor.scrub_in_place(&mut text);
                text
            })
        };
        let location = header(reqwest::header::LOCATION);
        let etag = header(reqwest::header::ETAG);
        let www_authenticate = header(reqwest::header::WWW_AUTHENTICATE);
        let bytes = match body::read_capped(&mut resp, self.max_body).await {
            Ok(bytes) => bytes,
            Err(body::BodyError::TooLarge) => {
                return Err(ClientError::BodyTooLarge {
                    method: verb.as_str(),
                    url: url.to_string(),
                    limit: self.max_body,
                })
            }
            Err(body::BodyError::Http(e)) => return Err(self.classify(url, e)),
        };
        // Valid UTF-8 (nearly every answer) is checked by the standard library's fast path.
        let raw = match std::str::from_utf8(&bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&bytes),
        };
        let mut body = serde_json::from_str::<Value>(&raw).ok();
        if let Some(body) = body
            .as_mut()
            .filter(|_| !self.redactor.is_clean_raw_json(&raw))
        {
            self.redactor.scrub_value(body);
        }
        // One answer, shared by the engine and the exchange's record: copying it for the
        // record was ~5 % of the harness's instructions per request (callgrind, 2,000 users).
        let body = body.map(Arc::new);
        let text = match body {
            Some(_) => String::new(),
            None => self.redactor.scrub(&raw),
        };
        let kept = match &body {
            Some(_) => body::recorded(body.as_ref(), &raw),
            None => body::recorded(None, &text),
        };
        let response = Response {
            status: status.as_u16(),
            body,
            text,
            retry_after,
            content_type,
            location,
            etag,
            www_authenticate,
        };
        Ok((response, kept))
    }
}
