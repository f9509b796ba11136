//! Bearer-token authentication (RFC 6750). Several tokens may be valid at once so that a token
//! rotation can be replayed; tokens are compared, never logged.

use std::sync::{Arc, PoisonError, RwLock};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::AppState;

/// The set of accepted bearer tokens; cloning shares the set.
#[derive(Clone, Default)]
pub struct TokenSet {
    tokens: Arc<RwLock<Vec<String>>>,
}

impl std::fmt::Debug for TokenSet {
    // Never print a token, even in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSet({} tokens)", self.len())
    }
}

impl TokenSet {
    pub fn new(tokens: Vec<String>) -> Self {
        TokenSet {
            tokens: Arc::new(RwLock::new(tokens)),
        }
    }

    pub fn len(&self) -> usize {
        self.tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn accepts(&self, candidate: &str) -> bool {
        self.tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|t| t == candidate)
    }

    /// Replaces every accepted token: what a vendor's "regenerate token" button does.
    pub fn replace_all(&self, tokens: Vec<String>) {
        *self.tokens.write().unwrap_or_else(PoisonError::into_inner) = tokens;
    }
}

/// Extracts the token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

pub async fn require_bearer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match bearer(&req) {
        Some(token) if state.tokens().accepts(token) => next.run(req).await,
        Some(_) => ApiError::unauthorized("the bearer token is not valid").into_response(),
        None => {
            ApiError::unauthorized("missing 'Authorization: Bearer <token>' header").into_response()
        }
    }
}
