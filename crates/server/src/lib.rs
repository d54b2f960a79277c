//! A Kakehashi node: loads configuration, opens the store (SQLite by default, PostgreSQL with a
//! `postgres://` URL), composes the routers of the roles it serves, and adds health, readiness
//! and Prometheus metrics. Nodes keep no flow state in memory: every flow is in the store, so
//! many nodes can serve one PostgreSQL database.

#![forbid(unsafe_code)]

pub mod compose;
pub mod config;
pub mod deployment;
pub mod metrics;
pub mod node;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use kakehashi_storage::{StorageError, Store};

pub use config::{Config, ConfigError, Role};

/// Why the node could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
    #[error("server failed: {0}")]
    Serve(String),
}

/// The store a node runs on. Routers are generic over [`Store`]; this enum picks the backend once
/// at start-up.
#[derive(Clone)]
pub enum AnyStore {
    Sqlite(kakehashi_storage_sqlite::SqliteStore),
    Postgres(kakehashi_storage_postgres::PostgresStore),
}

impl AnyStore {
    /// Opens the store the configuration names; both run their migrations on open.
    pub async fn open(config: &Config) -> Result<Self, ServerError> {
        match config.database_url.as_deref() {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Ok(
                Self::Postgres(kakehashi_storage_postgres::PostgresStore::connect(url).await?),
            ),
            Some(url) => Err(ServerError::Config(ConfigError::Invalid(format!(
                "database_url must be postgres://…, got {}",
                kakehashi_storage::redact_database_url(url)
            )))),
            None => {
                std::fs::create_dir_all(&config.data_dir).map_err(|e| {
                    ConfigError::Invalid(format!(
                        "cannot create data_dir {}: {e}",
                        config.data_dir.display()
                    ))
                })?;
                let path = config.data_dir.join("kakehashi.sqlite");
                Ok(Self::Sqlite(
                    kakehashi_storage_sqlite::SqliteStore::open(&path).await?,
                ))
            }
        }
    }

    /// A short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// State shared by the node's own endpoints.
#[derive(Clone)]
pub struct NodeState<S> {
    pub store: S,
    pub config: Arc<Config>,
    pub metrics: Arc<metrics::Metrics>,
    /// Why the node is not ready yet besides its store (e.g. trusted lists not loaded), or
    /// `None`. `/readyz` answers 503 with this reason until it is cleared.
    pub pending: Readiness,
}

/// What `/readyz` waits for besides the store: a start-up condition (e.g. the trusted lists
/// not loaded yet), shared with the task that fulfils it, and a live condition checked on
/// every request (e.g. a loaded list past its NextUpdate), so an orchestrator stops routing
/// verifications to a node that can only refuse them.
#[derive(Clone, Default)]
pub struct Readiness {
    pending: Arc<std::sync::RwLock<Option<String>>>,
    live: Arc<std::sync::RwLock<Option<LiveCheck>>>,
}

/// A condition evaluated on every `/readyz`: `Some(reason)` when the node is not ready.
pub type LiveCheck = Arc<dyn Fn() -> Option<String> + Send + Sync>;

impl Readiness {
    /// Not ready until [`Readiness::set_ready`], for `reason`.
    pub fn waiting_for(reason: impl Into<String>) -> Self {
        Self {
            pending: Arc::new(std::sync::RwLock::new(Some(reason.into()))),
            live: Arc::default(),
        }
    }
    /// The start-up condition is met.
    pub fn set_ready(&self) {
        if let Ok(mut g) = self.pending.write() {
            *g = None;
        }
    }
    /// From now on, `/readyz` also asks `check`.
    pub fn set_live_check(&self, check: LiveCheck) {
        if let Ok(mut g) = self.live.write() {
            *g = Some(check);
        }
    }
    /// The reason the node is not ready, if any.
    pub fn reason(&self) -> Option<String> {
        if let Some(reason) = self.pending.read().ok().and_then(|g| g.clone()) {
            return Some(reason);
        }
        let check = self.live.read().ok().and_then(|g| g.clone());
        check.and_then(|c| c())
    }
}

/// Health (the process is up), readiness (the store answers) and metrics, around the role
/// routers the caller composed.
pub fn node_router<S: Store + Clone + 'static>(state: NodeState<S>, roles: Router) -> Router {
    let metrics = state.metrics.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready::<S>))
        .route("/metrics", get(metrics_text::<S>))
        .with_state(state)
        .merge(roles)
        .layer(axum::middleware::from_fn(move |req, next| {
            metrics::track(metrics.clone(), req, next)
        }))
}

async fn ready<S: Store + Clone + 'static>(State(state): State<NodeState<S>>) -> impl IntoResponse {
    if let Some(reason) = state.pending.reason() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}"),
        );
    }
    match state.store.status_list_ids().await {
        Ok(_) => (StatusCode::OK, "ready".to_owned()),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}"))
        }
    }
}

async fn metrics_text<S: Store + Clone + 'static>(
    State(state): State<NodeState<S>>,
) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

/// Binds `addr` and serves `app` until Ctrl-C or SIGTERM, then drains in-flight requests.
pub async fn serve(addr: SocketAddr, app: Router) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServerError::Listen {
            addr,
            reason: e.to_string(),
        })?;
    serve_on(listener, app).await
}

/// Serves https with `tls` on an already bound listener until Ctrl-C or SIGTERM, then drains
/// in-flight requests for up to 10 seconds.
pub async fn serve_tls_on(
    listener: std::net::TcpListener,
    tls: axum_server::tls_rustls::RustlsConfig,
    app: Router,
) -> Result<(), ServerError> {
    let handle = axum_server::Handle::new();
    let shutdown = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        shutdown.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    // TCP_NODELAY: without it a response written in two TLS records waits for the client's
    // delayed ACK (40 ms on Linux), most of an OpenID4VP response's time over https.
    axum_server::from_tcp_rustls(listener, tls)
        .map_err(|e| ServerError::Serve(e.to_string()))?
        .map(|tls| tls.acceptor(axum_server::accept::NoDelayAcceptor::new()))
        .handle(handle)
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await
        .map_err(|e| ServerError::Serve(e.to_string()))
}

/// Serves on an already bound listener (tests bind port 0).
pub async fn serve_on(listener: tokio::net::TcpListener, app: Router) -> Result<(), ServerError> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| ServerError::Serve(e.to_string()))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
