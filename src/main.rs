//! The `coderabbit-agent` binary: parse arguments, run, turn the outcome into an exit status.

use std::process::ExitCode;

use clap::Parser;
use coderabbit_agent::cli::Cli;
use coderabbit_agent::error::{UserError, exit};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let code = match coderabbit_agent::run::run(cli) {
        Ok(code) => code,
        Err(err) => {
            tracing::debug!("error chain: {err:?}");
            match err.downcast_ref::<UserError>() {
                Some(user) => eprintln!("error: {user}"),
                None => eprintln!("error: {err:#}"),
            }
            exit::FAILURE
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

/// Logs to stderr: `RUST_LOG` when set, else warnings (`-v` info, `-vv` debug, `-vvv` trace).
fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "coderabbit_agent=info",
        2 => "coderabbit_agent=debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}
