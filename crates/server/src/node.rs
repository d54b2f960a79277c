//! Starting a whole node: store, TLS, the demo deployment, the composed routers, the trusted
//! lists loaded over the node's own https endpoints, and the server task. `kakehashi serve`
//! calls [`start`] and prints what it returns; integration tests call it in-process.

use std::path::PathBuf;
use std::sync::Arc;

use kakehashi_core::UnixTime;
use kakehashi_storage::Store;
use kakehashi_web::registry::RegistryView;

use crate::compose::{self, DemoOutcome, PageSetup};
use crate::config::DEFAULT_PUBLIC_URL;
use crate::deployment::{self, Deployment, KekSource};
use crate::metrics::Metrics;
use crate::{AnyStore, Config, NodeState, Readiness, Role, ServerError, node_router};

/// A running node.
pub struct Started {
    /// Where clients reach it.
    pub public_url: String,
    /// The demo TLS CA to give clients (PEM file), when the node serves the demo certificate.
    pub tls_ca: Option<PathBuf>,
    /// `(name, path)` of the portals and endpoints to announce.
    pub portals: Vec<(&'static str, String)>,
    /// Demo accounts created at this start.
    pub demo: Option<DemoOutcome>,
    /// True when the KEK came from the demo key file rather than `KAKEHASHI_KEK`.
    pub demo_kek: bool,
    /// Cleared once the trusted lists are loaded.
    pub ready: Readiness,
    /// The server task (ends on Ctrl-C / SIGTERM).
    pub server: tokio::task::JoinHandle<Result<(), ServerError>>,
    /// Background tasks (list refresh, session purge); abort them to stop the node in tests.
    pub background: Vec<tokio::task::JoinHandle<()>>,
}

enum Tls {
    Files { chain: PathBuf, key: PathBuf },
    Plain,
}

/// The current time from the system clock (the edge).
fn system_now() -> UnixTime {
    #[allow(clippy::disallowed_methods)] // the node is an edge: it reads the clock
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    UnixTime(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// Opens the store, binds `config.listen`, builds the roles and starts serving. `env` reads
/// `KAKEHASHI_KEK` and `KAKEHASHI_DEMO_PASSWORD`.
pub async fn start(
    mut config: Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Started, ServerError> {
    let store = AnyStore::open(&config).await?;
    let listener = std::net::TcpListener::bind(config.listen).map_err(|e| ServerError::Listen {
        addr: config.listen,
        reason: e.to_string(),
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| ServerError::Serve(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServerError::Serve(e.to_string()))?;
    let mut tls = match (&config.tls_cert, &config.tls_key) {
        (Some(chain), Some(key)) => Tls::Files {
            chain: chain.clone(),
            key: key.clone(),
        },
        _ => Tls::Plain,
    };
    let demo_tls = matches!(tls, Tls::Plain) && config.demo_data;
    // Without an explicit public URL, the node is reached where it listens.
    if config.public_url == DEFAULT_PUBLIC_URL {
        let scheme = if matches!(tls, Tls::Plain) && !demo_tls {
            "http"
        } else {
            "https"
        };
        config.public_url = format!("{scheme}://localhost:{}", addr.port());
    }
    let mut tls_ca = None;
    let mut tls_ca_der = None;
    if demo_tls {
        let files = deployment::demo_tls(&config.data_dir, &config.public_url)?;
        tls_ca_der = Some(
            kakehashi_testpki::read_pem_cert(&files.ca)
                .map_err(|e| ServerError::Serve(format!("demo TLS CA: {e}")))?,
        );
        tls_ca = Some(files.ca.clone());
        tls = Tls::Files {
            chain: files.chain,
            key: files.key,
        };
    }
    tracing::info!(store = store.kind(), config = ?config, "starting");
    match store {
        AnyStore::Sqlite(s) => run(s, config, env, listener, tls, tls_ca, tls_ca_der).await,
        AnyStore::Postgres(s) => run(s, config, env, listener, tls, tls_ca, tls_ca_der).await,
    }
}

async fn run<S: Store + Clone + 'static>(
    store: S,
    config: Config,
    env: &dyn Fn(&str) -> Option<String>,
    listener: std::net::TcpListener,
    tls: Tls,
    tls_ca: Option<PathBuf>,
    tls_ca_der: Option<Vec<u8>>,
) -> Result<Started, ServerError> {
    let config = Arc::new(config);
    let now = system_now();
    let universities = if config.demo_data {
        compose::demo_universities().map_err(|e| ServerError::Serve(e.to_string()))?
    } else {
        Vec::new()
    };
    let setup = PageSetup::new(universities);
    let mut demo = None;
    let mut demo_kek = false;
    let mut deployment: Option<Deployment<S>> = None;
    if config.demo_data {
        let (kek, from_file) = KekSource::load(&config, env)?;
        demo_kek = from_file;
        let token = deployment::admin_token(&config, env)?;
        deployment =
            Some(deployment::build(store.clone(), &config, &kek, &token, tls_ca_der, now).await?);
        if config.roles.contains(&Role::Issuer) {
            let password = env("KAKEHASHI_DEMO_PASSWORD").filter(|p| !p.is_empty());
            demo = Some(
                compose::ensure_demo_data(&store, &setup.universities, password.as_deref(), now)
                    .await
                    .map_err(|e| ServerError::Serve(format!("demo data: {e}")))?,
            );
        }
    }
    let registry = setup.registry.clone();
    let composed = compose::role_routers(store.clone(), &config, setup, deployment.as_ref());
    let pending = if deployment.is_some() {
        Readiness::waiting_for("trusted lists not loaded yet")
    } else {
        Readiness::default()
    };
    let state = NodeState {
        store,
        config: config.clone(),
        metrics: Arc::new(Metrics::new()),
        pending: pending.clone(),
    };
    let app = node_router(state, composed.router);
    let server = match tls {
        Tls::Files { chain, key } => {
            let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&chain, &key)
                .await
                .map_err(|e| {
                    ServerError::Serve(format!("TLS certificate {} / key: {e}", chain.display()))
                })?;
            tokio::spawn(crate::serve_tls_on(listener, rustls, app))
        }
        Tls::Plain => {
            let listener = tokio::net::TcpListener::from_std(listener)
                .map_err(|e| ServerError::Serve(e.to_string()))?;
            tokio::spawn(crate::serve_on(listener, app))
        }
    };
    let mut background = Vec::new();
    if let Some(d) = &deployment {
        background.push(spawn_trust_loading(
            d,
            config.clone(),
            registry,
            pending.clone(),
        ));
    }
    Ok(Started {
        public_url: config.public_url.clone(),
        tls_ca,
        portals: composed.portals,
        demo,
        demo_kek,
        ready: pending,
        server,
        background,
    })
}

/// Loads the trusted lists over the node's own https endpoints (as any verifier would, LOTL
/// pinned by the policy) into every verifier, then marks the node ready and keeps refreshing
/// them; purges expired verifier sessions. The registry pages show the EU verifier's lists
/// (the ones its decisions use, not a second copy fetched separately) and follow its
/// refreshes; `/readyz` turns unready when a loaded list passes its NextUpdate.
fn spawn_trust_loading<S: Store + Clone + 'static>(
    deployment: &Deployment<S>,
    config: Arc<Config>,
    registry: kakehashi_web::registry::SharedRegistryView,
    pending: Readiness,
) -> tokio::task::JoinHandle<()> {
    let verifiers: Vec<_> = deployment
        .verifiers
        .iter()
        .map(|v| (v.id, v.state.clone()))
        .collect();
    let policy = deployment.eu_policy.clone();
    let serves_registry = config.roles.contains(&Role::Registry);
    tokio::spawn(async move {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut ok = true;
            for (_, v) in &verifiers {
                if let Err(e) = kakehashi_http_verifier::refresh_trusted_lists(v).await {
                    ok = false;
                    if attempt % 10 == 1 {
                        tracing::warn!(error = %e, attempt, "trusted lists not loaded yet");
                    }
                }
            }
            if ok {
                pending.set_live_check(stale_list_check(&verifiers));
                pending.set_ready();
                tracing::info!("trusted lists loaded");
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(if attempt < 20 {
                250
            } else {
                5000
            }))
            .await;
        }
        let mut tasks = Vec::new();
        if serves_registry && let Some((_, eu)) = verifiers.iter().find(|(id, _)| *id == "eu") {
            tasks.push(spawn_registry_follower(eu.clone(), registry, policy));
        }
        for (_, v) in verifiers {
            tasks.push(kakehashi_http_verifier::spawn_session_purge(
                v.clone(),
                std::time::Duration::from_secs(60),
            ));
            tasks.push(kakehashi_http_verifier::spawn_trusted_list_refresh(v));
        }
        for t in tasks {
            let _ = t.await;
        }
    })
}

/// Keeps the registry pages on the verifier's current trust snapshot: rebuilt whenever the
/// verifier's refresh replaced it.
fn spawn_registry_follower<S: Send + Sync + Clone + 'static>(
    verifier: kakehashi_http_verifier::VerifierState<S>,
    registry: kakehashi_web::registry::SharedRegistryView,
    policy: kakehashi_trust::RecognitionPolicy,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut shown: Option<Arc<kakehashi_http_verifier::TrustSnapshot>> = None;
        loop {
            let current = verifier.trust_snapshot();
            if shown.as_ref().is_none_or(|s| !Arc::ptr_eq(s, &current)) {
                registry.replace(RegistryView::from_lists(
                    &current.lists,
                    &current.failures,
                    Some(&policy),
                ));
                shown = Some(current);
            }
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    })
}

/// `Some(reason)` while a verifier holds a list past its NextUpdate (plus the configured
/// grace): its verifications fail closed until the next refresh succeeds.
fn stale_list_check<S: Send + Sync + Clone + 'static>(
    verifiers: &[(&'static str, kakehashi_http_verifier::VerifierState<S>)],
) -> crate::LiveCheck {
    let verifiers = verifiers.to_vec();
    Arc::new(move || {
        let now = system_now();
        verifiers.iter().find_map(|(id, v)| {
            let grace = v.config.list_grace_seconds;
            v.trust_snapshot().lists.iter().find_map(|list| {
                let next = list.stale_at(now, grace)?;
                Some(format!(
                    "verifier {id}: trusted list {} is stale (NextUpdate {})",
                    list.describe(),
                    next.to_rfc3339()
                ))
            })
        })
    })
}
