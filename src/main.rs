//! The `coderabbit-agent` binary: parse arguments, read the settings, mask the secrets, run,
//! and turn the outcome into an exit status.

use std::process::ExitCode;

use clap::Parser;
use coderabbit_agent::cli::{Cli, Command};
use coderabbit_agent::error::{UserError, exit};
use coderabbit_agent::settings::Settings;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = Settings::from_env();
    // In a pipeline, every credential is masked before anything else is printed.
    if settings.pipeline.in_pipeline {
        let stdout_is_data = match &cli.command {
            Command::Review(args) => args.format.is_data(),
            Command::Remediate(args) => {
                args.dry_run && args.format == coderabbit_agent::cli::RemediationFormat::Json
            }
            _ => false,
        };
        let mut log = coderabbit_agent::commands::log_writer(stdout_is_data);
        if let Err(err) = settings.credentials.mask_all(&mut log) {
            eprintln!("error: cannot write to the log: {err}");
            return ExitCode::from(2);
        }
    }
    init_tracing(cli.verbose);
    let code = match coderabbit_agent::commands::run(cli, &settings) {
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
