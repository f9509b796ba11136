//! The built-in reference SCIM 2.0 service provider: in-memory, strict where RFC 7643/7644 is
//! strict, tolerant of every request shape real IdPs send (`docs/idp-behavior.md`, Entra §1.9).
//!
//! It knows nothing of IdPs or the harness; it only shares the `scim` vocabulary.

pub mod access_log;
mod auth;
pub mod discovery;
pub mod error;
pub mod faults;
pub mod filter;
mod handlers;
pub mod listing;
pub mod normalize;
pub mod patch;
pub mod path;
pub mod search;
pub mod store;

use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use error::ApiError;
use handlers::Write;
use store::{Directory, Kind};

pub use auth::TokenSet;

/// How to start the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Path prefix of every SCIM endpoint, e.g. `/scim/v2`.
    pub base_path: String,
    /// Bearer tokens accepted at once (several during a token rotation).
    pub tokens: Vec<String>,
    /// Log each request (`serve`); `None`: silent, as the harness's built-in target is.
    pub access_log: Option<access_log::AccessLog>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_path: "/scim/v2".into(),
            tokens: vec![],
            access_log: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("failed to listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("failed to start: no bearer token configured")]
    NoToken,
}

struct Shared {
    dir: RwLock<Directory>,
    tokens: TokenSet,
    faults: faults::Faults,
    base_url: String,
}

/// Shared state of one running server.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

impl AppState {
    fn new(base_url: String, tokens: TokenSet) -> Self {
        AppState {
            shared: Arc::new(Shared {
                dir: RwLock::new(Directory::new()),
                tokens,
                faults: faults::Faults::default(),
                base_url,
            }),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    pub fn tokens(&self) -> &TokenSet {
        &self.shared.tokens
    }

    /// The test-only fault plan (see `faults`).
    pub fn faults(&self) -> &faults::Faults {
        &self.shared.faults
    }

    // Writes are validated on a copy and committed whole, so a poisoned lock still guards a
    // consistent directory: recover it instead of failing every later request.
    pub fn read(&self) -> RwLockReadGuard<'_, Directory> {
        self.shared
            .dir
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Directory> {
        self.shared
            .dir
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// `/scim/v2`, `scim/v2/` and `/scim/v2/` all mean `/scim/v2`; `/` means the root.
pub fn normalize_base_path(base: &str) -> String {
    let trimmed = base.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

fn resource_routes(kind: Kind) -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(move |State(s): State<AppState>, q| handlers::list_resources(kind, s, q))
                .post(move |State(s): State<AppState>, q, body| handlers::create(kind, s, q, body)),
        )
        .route(
            "/.search",
            post(move |State(s): State<AppState>, body| handlers::search(kind, s, body)),
        )
        .route(
            "/{id}",
            get(
                move |State(s): State<AppState>, Path(id): Path<String>, q| {
                    handlers::get(kind, s, id, q)
                },
            )
            .put(
                move |State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap, q, b| {
                    handlers::update(kind, Write::Replace, s, id, h, q, b)
                },
            )
            .patch(
                move |State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap, q, b| {
                    handlers::update(kind, Write::Patch, s, id, h, q, b)
                },
            )
            .delete(
                move |State(s): State<AppState>, Path(id): Path<String>, h: HeaderMap| {
                    handlers::delete(kind, s, id, h)
                },
            ),
        )
}

/// The whole HTTP surface: SCIM endpoints under `base_path`, all behind bearer auth.
pub fn router(state: AppState, base_path: &str) -> Router {
    let scim = Router::new()
        .nest("/Users", resource_routes(Kind::User))
        .nest("/Groups", resource_routes(Kind::Group))
        .route(
            "/ServiceProviderConfig",
            get(handlers::service_provider_config),
        )
        .route("/.search", post(handlers::search_all))
        .route("/Schemas", get(handlers::schemas))
        .route("/Schemas/{id}", get(handlers::schema))
        .route("/ResourceTypes", get(handlers::resource_types))
        .route("/ResourceTypes/{name}", get(handlers::resource_type))
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_bearer,
        ));
    let app = if base_path.is_empty() {
        scim
    } else {
        Router::new()
            .nest(base_path, scim)
            .fallback(handlers::not_found)
    };
    app.layer(DefaultBodyLimit::max(discovery::MAX_PAYLOAD_BYTES))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                axum::response::IntoResponse::into_response(ApiError::internal(
                    "the server failed while handling this request",
                ))
            },
        ))
        .with_state(state)
}

/// A server running on a tokio task until `stop` (or drop of the runtime).
pub struct RunningServer {
    addr: SocketAddr,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The SCIM base URL clients use, e.g. `http://127.0.0.1:8080/scim/v2`.
    pub fn base_url(&self) -> &str {
        self.state.base_url()
    }

    pub fn tokens(&self) -> &TokenSet {
        self.state.tokens()
    }

    /// Direct access to the directory, for in-process tests and the harness's built-in target.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server ends (it ends on `stop` or when its task is aborted).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

/// Binds and starts the server on the current tokio runtime.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    if config.tokens.is_empty() {
        return Err(ServerError::NoToken);
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.listen,
        source,
    })?;
    let base_path = normalize_base_path(&config.base_path);
    let state = AppState::new(
        format!("http://{addr}{base_path}"),
        TokenSet::new(config.tokens),
    );
    let app = router(state.clone(), &base_path);
    let app = match config.access_log {
        Some(log) => app.layer(axum::middleware::from_fn_with_state(
            log,
            access_log::record,
        )),
        None => app,
    };
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(RunningServer {
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}
