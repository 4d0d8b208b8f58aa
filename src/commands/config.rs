//! `coderabbit-agent config`: print the effective configuration, or validate a file.

use anyhow::Result;

use crate::cli::ConfigArgs;
use crate::config::{self, Loaded, ProblemSeverity};
use crate::error::{UserError, exit};
use crate::git;
use crate::settings::Settings;

/// Prints configuration problems (warnings and errors, each with file, line and column).
pub(super) fn report_problems(loaded: &Loaded) {
    for problem in &loaded.problems {
        eprintln!("{problem}");
    }
}

pub(super) fn run(args: &ConfigArgs, settings: &Settings) -> Result<i32> {
    if let Some(path) = &args.validate {
        let loaded = config::load_file(path);
        report_problems(&loaded);
        let errors = loaded
            .problems
            .iter()
            .filter(|p| p.severity == ProblemSeverity::Error)
            .count();
        if errors > 0 {
            return Err(UserError::new(format!(
                "{} has {errors} error(s); the review would run on defaults for what they affect",
                path.display()
            ))
            .into());
        }
        println!("{}: valid", path.display());
        return Ok(exit::OK);
    }
    let dir = git::repo_dir(
        args.repo.repo.as_deref(),
        settings.pipeline.sources_directory.as_deref(),
    );
    let loaded = match &args.repo.config {
        Some(path) => config::load_file(path),
        None => config::discover(&dir),
    };
    report_problems(&loaded);
    super::write_output(|out| out.write_all(loaded.config.to_yaml().as_bytes()))?;
    Ok(exit::OK)
}
