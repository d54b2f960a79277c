//! `kakehashi serve` and `kakehashi migrate`: the long-running node and its database set-up.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use kakehashi_server::compose::{self, DemoOutcome};
use kakehashi_server::config::LogFormat;
use kakehashi_server::{AnyStore, Config, NodeState, Role, metrics::Metrics, node_router};

/// Options of `kakehashi serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Configuration file (TOML, see kakehashi.example.toml). Environment variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Serve only these roles (repeatable): issuer, verifier, wallet, registry.
    #[arg(long = "role", value_parser = parse_role)]
    roles: Vec<Role>,
    /// PostgreSQL URL (postgres://…); default SQLite in the data directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Address to listen on.
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Data directory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Options of `kakehashi migrate`.
#[derive(clap::Args)]
pub struct MigrateArgs {
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|e| e.to_string())
}

fn load(
    path: Option<&std::path::Path>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<Config> {
    let env = |k: &str| std::env::var(k).ok();
    let mut config = Config::load(path, &env).context("configuration")?;
    if let Some(url) = database_url {
        config.database_url = Some(url);
    }
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    config.validate().context("configuration")?;
    Ok(config)
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KAKEHASHI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    // A second initialisation (tests) is harmless: keep the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Runs the node until Ctrl-C / SIGTERM.
pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut config = load(args.config.as_deref(), args.database_url, args.data_dir)?;
    if !args.roles.is_empty() {
        config.roles = args.roles;
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    init_tracing(config.log_format);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let mut config = config;
        let store = AnyStore::open(&config)
            .await
            .context("cannot open the store")?;
        tracing::info!(store = store.kind(), config = ?config, "starting");
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr().context("listener address")?;
        // Without an explicit public URL, the node is reached where it listens.
        if config.public_url == Config::default().public_url {
            config.public_url = format!("http://{addr}");
        }
        let config = Arc::new(config);
        let metrics = Arc::new(Metrics::new());
        let universities = if config.demo_data {
            compose::demo_universities().context("demo universities")?
        } else {
            Vec::new()
        };
        let setup = compose::PageSetup::new(universities);
        if config.demo_data && config.roles.contains(&Role::Registry) {
            setup
                .registry
                .replace(compose::demo_registry(setup.clock.now()));
        }
        if config.demo_data && config.roles.contains(&Role::Issuer) {
            let password = std::env::var("KAKEHASHI_DEMO_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty());
            let now = setup.clock.now();
            let outcome = match &store {
                AnyStore::Sqlite(s) => {
                    compose::ensure_demo_data(s, &setup.universities, password.as_deref(), now)
                        .await
                }
                AnyStore::Postgres(s) => {
                    compose::ensure_demo_data(s, &setup.universities, password.as_deref(), now)
                        .await
                }
            }
            .context("demo data")?;
            print_demo_outcome(&outcome);
        }
        println!("Kakehashi node listening on http://{addr}");
        let (app, portals) = match store {
            AnyStore::Sqlite(s) => {
                let composed = compose::role_routers(s.clone(), &config, setup);
                let state = NodeState {
                    store: s,
                    config: config.clone(),
                    metrics,
                };
                (node_router(state, composed.router), composed.portals)
            }
            AnyStore::Postgres(s) => {
                let composed = compose::role_routers(s.clone(), &config, setup);
                let state = NodeState {
                    store: s,
                    config: config.clone(),
                    metrics,
                };
                (node_router(state, composed.router), composed.portals)
            }
        };
        let base = config.public_url.trim_end_matches('/');
        for (what, path) in portals {
            println!("  {what:<17} {base}{path}");
        }
        for (path, what) in [
            ("/healthz", "health"),
            ("/readyz", "readiness"),
            ("/metrics", "metrics"),
        ] {
            println!("  {what:<17} {base}{path}");
        }
        kakehashi_server::serve_on(listener, app)
            .await
            .context("server")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Tells the operator about demo accounts created now. Printed on stdout, never through tracing,
/// so a generated password does not end up in log collectors.
fn print_demo_outcome(outcome: &DemoOutcome) {
    if outcome.created_accounts.is_empty() {
        return;
    }
    println!("Demo registrar accounts created:");
    for (username, university) in &outcome.created_accounts {
        println!("  {username}  ({university})");
    }
    match &outcome.generated_password {
        Some(p) => println!(
            "  password: {p}\n  (generated now and shown only once; set KAKEHASHI_DEMO_PASSWORD to choose it)"
        ),
        None => println!("  password: the value of KAKEHASHI_DEMO_PASSWORD"),
    }
}

/// Creates or upgrades the database schema and exits.
pub fn migrate(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let config = load(args.config.as_deref(), args.database_url, args.data_dir)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // Opening a store runs its migrations.
        let store = AnyStore::open(&config).await.context("migration failed")?;
        println!("{{\"migrated\": true, \"store\": \"{}\"}}", store.kind());
        Ok(ExitCode::SUCCESS)
    })
}
