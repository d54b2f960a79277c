//! Placeholder until the subcommands land.

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum VcCommand {}

pub fn run(command: VcCommand) -> anyhow::Result<ExitCode> {
    match command {}
}
