//! `kakehashi serve` and `kakehashi migrate`: the long-running node and its database set-up.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use kakehashi_server::compose::DemoOutcome;
use kakehashi_server::config::LogFormat;
use kakehashi_server::{AnyStore, Config, Role};

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
        let env = |k: &str| std::env::var(k).ok();
        let started = kakehashi_server::node::start(config, &env)
            .await
            .context("cannot start the node")?;
        if let Some(outcome) = &started.demo {
            print_demo_outcome(outcome);
        }
        if started.demo_kek {
            println!(
                "Keys are sealed under the demo key file data/demo/kek: set KAKEHASHI_KEK \
                 (32 bytes, base64url) for anything but a demo."
            );
        }
        let base = started.public_url.trim_end_matches('/');
        println!("Kakehashi node listening on {base}");
        for (what, path) in &started.portals {
            println!("  {what:<17} {base}{path}");
        }
        for (path, what) in [
            ("/healthz", "health"),
            ("/readyz", "readiness"),
            ("/metrics", "metrics"),
        ] {
            println!("  {what:<17} {base}{path}");
        }
        if let Some(ca) = &started.tls_ca {
            println!(
                "TLS certificate from the node's demo CA: {} (NODE_EXTRA_CA_CERTS=…, \
                 kakehashi wallet --tls-root …, or accept it in the browser)",
                ca.display()
            );
        }
        started
            .server
            .await
            .context("server task")?
            .context("server")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Tells the operator about demo accounts created now. Printed on stdout, never through tracing,
/// so a generated password does not end up in log collectors.
fn print_demo_outcome(outcome: &DemoOutcome) {
    if outcome.created_accounts.is_empty() && outcome.created_students.is_empty() {
        return;
    }
    if !outcome.created_accounts.is_empty() {
        println!("Demo registrar accounts created:");
    }
    for (username, university) in &outcome.created_accounts {
        println!("  {username}  ({university})");
    }
    if !outcome.created_students.is_empty() {
        println!("Demo student accounts created (web wallet):");
    }
    for (username, name) in &outcome.created_students {
        println!("  {username}  ({name})");
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
