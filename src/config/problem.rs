//! A problem found in a configuration file, located as precisely as the file allows.
//!
//! This module owns only the shape and the one-line rendering (`path:line:col: warning: message`,
//! the form editors and Azure Pipelines' problem matchers understand); finding problems is
//! [`super::validate`]'s job.

use std::fmt;
use std::path::PathBuf;

/// How much a problem matters.
///
/// A warning is something the file says that the agent does not understand (an unknown key); an
/// error is a value that breaks the schema, which the agent replaces by its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemSeverity {
    Warning,
    Error,
}

impl ProblemSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemSeverity::Warning => "warning",
            ProblemSeverity::Error => "error",
        }
    }
}

impl fmt::Display for ProblemSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem of a configuration file. Lines and columns are 1-based; columns count characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub severity: ProblemSeverity,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}: {}", self.severity, self.message)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_a_compiler() {
        let mut problem = Problem {
            file: PathBuf::from(".coderabbit.yaml"),
            line: Some(3),
            column: Some(3),
            severity: ProblemSeverity::Warning,
            message: "unknown key `reviews.profle`; did you mean `profile`?".to_owned(),
        };
        assert_eq!(
            problem.to_string(),
            ".coderabbit.yaml:3:3: warning: unknown key `reviews.profle`; did you mean `profile`?"
        );
        problem.line = None;
        problem.severity = ProblemSeverity::Error;
        assert_eq!(
            problem.to_string(),
            ".coderabbit.yaml: error: unknown key `reviews.profle`; did you mean `profile`?"
        );
    }
}
