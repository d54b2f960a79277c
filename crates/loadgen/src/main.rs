//! `kakehashi-load`: soak and HTTP benchmarks against a `kakehashi serve` node.

// A measuring edge tool: it times requests, so it reads the clock by design.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use kakehashi_loadgen::node::{Node, ServerProcess};
use kakehashi_loadgen::{soak, vci_bench, vp_bench};

#[derive(Parser)]
#[command(
    name = "kakehashi-load",
    about = "Load and benchmarks for a Kakehashi node over https"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Target {
    /// Data directory of the node (its demo TLS CA, admin token and PKI are read from it).
    #[arg(long)]
    data_dir: PathBuf,
    /// Attach to a node already serving at this URL instead of starting one.
    #[arg(long, requires = "pid")]
    url: Option<String>,
    /// The attached node's process id (RSS sampling).
    #[arg(long, requires = "url")]
    pid: Option<u32>,
    /// The `kakehashi` binary to start (default: next to this program).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// PostgreSQL URL for the started node (default: SQLite in the data directory).
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// N wallets loop through the whole issue-and-present flow for a duration.
    Soak {
        #[command(flatten)]
        target: Target,
        /// Concurrent wallets.
        #[arg(long, default_value_t = 8)]
        wallets: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 300)]
        duration: u64,
        /// Fail (exit 1) when the last window's mean RSS exceeds the second window's by more
        /// than 10 %.
        #[arg(long)]
        check_memory: bool,
        /// A title for the Markdown table.
        #[arg(long, default_value = "soak")]
        title: String,
    },
    /// OpenID4VP: time only the direct_post.jwt POST and the result, against the in-process
    /// verify rate of the same presentations.
    BenchVp {
        #[command(flatten)]
        target: Target,
        /// Sessions (responses) prepared and posted.
        #[arg(long, default_value_t = 300)]
        sessions: usize,
        /// POSTs in flight.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// A title for the Markdown table.
        #[arg(long, default_value = "OpenID4VP direct_post.jwt")]
        title: String,
    },
    /// OpenID4VCI: time only POST /credential with tokens and proofs obtained beforehand.
    BenchVci {
        #[command(flatten)]
        target: Target,
        /// Credential requests prepared and posted.
        #[arg(long, default_value_t = 300)]
        requests: usize,
        /// POSTs in flight.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// A title for the Markdown table.
        #[arg(long, default_value = "OpenID4VCI POST /credential")]
        title: String,
    },
}

fn server_bin(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(b) = given {
        return Ok(b);
    }
    let me = std::env::current_exe().context("own path")?;
    Ok(me.with_file_name("kakehashi"))
}

/// The node to drive: attached, or a child started now (returned so it lives as long).
async fn target(t: &Target) -> anyhow::Result<(Node, Option<ServerProcess>)> {
    match (&t.url, t.pid) {
        (Some(url), Some(pid)) => {
            let node = Node::attach(url, &t.data_dir, pid)?;
            node.wait_ready(Duration::from_secs(120)).await?;
            Ok((node, None))
        }
        _ => {
            let bin = server_bin(t.server_bin.clone())?;
            let child = ServerProcess::start(&bin, &t.data_dir, t.database_url.as_deref()).await?;
            let node = Node::attach(&child.url, &t.data_dir, child.pid)?;
            node.wait_ready(Duration::from_secs(120)).await?;
            Ok((node, Some(child)))
        }
    }
}

fn run_id() -> String {
    #[allow(clippy::disallowed_methods)] // the run id only has to differ per run
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("{now}")
}

async fn main_async(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Soak {
            target: t,
            wallets,
            duration,
            check_memory,
            title,
        } => {
            let (node, mut child) = target(&t).await?;
            let report = soak::run(
                &node,
                &soak::SoakOptions {
                    wallets,
                    duration: Duration::from_secs(duration),
                    run_id: run_id(),
                    tolerance: 0.10,
                },
            )
            .await;
            let alive = child.as_mut().is_none_or(ServerProcess::running);
            println!("{}", report.markdown(&title, wallets));
            if let Some(c) = child {
                c.stop().await;
            }
            let mut ok = true;
            if !alive {
                eprintln!("kakehashi-load: the server exited during the run");
                ok = false;
            }
            if report.errors > 0 || report.iterations == 0 {
                eprintln!(
                    "kakehashi-load: {} errors, {} iterations",
                    report.errors, report.iterations
                );
                ok = false;
            }
            if check_memory && !report.flatness.as_ref().is_some_and(|f| f.flat) {
                eprintln!("kakehashi-load: server memory is not flat");
                ok = false;
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::BenchVp {
            target: t,
            sessions,
            concurrency,
            title,
        } => {
            let (node, child) = target(&t).await?;
            let report = vp_bench::run(&node, sessions, concurrency, &run_id()).await;
            if let Some(c) = child {
                c.stop().await;
            }
            let report = report?;
            println!("{}", report.markdown(&title));
            if !report.errors.is_empty() {
                eprintln!("kakehashi-load: {} errors", report.errors.len());
                return Ok(ExitCode::FAILURE);
            }
            if !report.meets(0.5) {
                eprintln!("kakehashi-load: HTTP is below 50 % of the in-process rate (2 threads)");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchVci {
            target: t,
            requests,
            concurrency,
            title,
        } => {
            let (node, child) = target(&t).await?;
            let report = vci_bench::run(&node, requests, concurrency, &run_id()).await;
            if let Some(c) = child {
                c.stop().await;
            }
            let report = report?;
            println!("{}", report.markdown(&title));
            if !report.errors.is_empty() {
                eprintln!("kakehashi-load: {} errors", report.errors.len());
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kakehashi-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(main_async(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kakehashi-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}
