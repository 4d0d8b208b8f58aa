//! The integration tests, one crate so the Azure DevOps emulator and the test support compile
//! once. Each module is one area; run one with `cargo test --test it <module>`.

// A test crate exports nothing: `pub` here only shares items between its modules.
#![allow(unreachable_pub)]

#[path = "../emulator/mod.rs"]
mod emulator;
#[path = "../support/mod.rs"]
mod support;

mod azure_publish;
mod certificates;
mod cli;
mod config_schema;
mod conversation;
mod diff_matches_git;
mod emulator_selftest;
mod extract_logs;
mod llm;
mod pull_request_build;
mod remediation;
mod task_choices;
mod templates;
mod vsix;
