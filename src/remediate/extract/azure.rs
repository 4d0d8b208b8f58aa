//! The agent's own error lines: `##[error]…`.
//!
//! A task writes them through `##vso[task.logissue type=error]…` and the agent when a step fails.
//! Runs after every tool's extractor: a line one of them read (an echo of a compiler error) is
//! left to it. What remains is either a message of its own (`##[error]Unit tests failed: 3`, a
//! script's own report), or the step failing, which carries no information of its own
//! (`Bash exited with code '1'.`, `The process '/usr/bin/dotnet' failed with exit code 1`): that
//! one is weak, reported only when the log holds nothing else.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, ERROR_PREFIX, Found, Log, regex};

static STEP_FAILED: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:exited with code|failed with (?:exit|return) code|with non-zero exit code|failed with exit code|process completed with exit code|wrote one or more lines to the standard error stream|^(?:error: )?(?:build|script) failed(?:\.|$| with)|^error: npm failed|^(?:error: )?\S+ failed with return code)",
    )
});

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let claimed: HashSet<usize> = out.iter().map(|f| f.error.log_line).collect();
    for index in 0..log.len() {
        let Some(body) = log.line(index).strip_prefix(ERROR_PREFIX) else {
            continue;
        };
        let body = body.trim();
        if body.is_empty() || claimed.contains(&index) {
            continue;
        }
        let error = BuildError::new("azure-pipelines", body, index);
        out.push(if STEP_FAILED.is_match(body) {
            Found::weak(error).echoed(true)
        } else {
            Found::error(error).echoed(true)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<(String, bool)> {
        found(extract, text)
            .into_iter()
            .map(|f| (f.error.message, f.weak))
            .collect()
    }

    #[test]
    fn step_failures_are_weak_and_messages_are_not() {
        let found = run("##[error]Bash exited with code '1'.
##[error]PowerShell exited with code '1'.
##[error]Error: The process '/usr/bin/dotnet' failed with exit code 1
##[error]Dotnet command failed with non-zero exit code on the following projects : /s/App.csproj
##[error]Bash wrote one or more lines to the standard error stream.
##[error]Error: Npm failed with return code: 1
##[error]Script failed with exit code: 2
##[error]Build failed.
##[error]Unit tests failed: 3 of 120
##[error]
##[warning]Something else
error: not an agent line");
        let weak: Vec<bool> = found.iter().map(|(_, weak)| *weak).collect();
        assert_eq!(
            weak,
            [true, true, true, true, true, true, true, true, false]
        );
        assert_eq!(found[8].0, "Unit tests failed: 3 of 120");
    }
}
