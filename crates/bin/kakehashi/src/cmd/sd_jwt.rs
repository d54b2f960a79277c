//! Placeholder until the subcommands land.

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum SdJwtCommand {}

pub fn run(command: SdJwtCommand) -> anyhow::Result<ExitCode> {
    match command {}
}
