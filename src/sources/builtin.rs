//! The built-in rules as a [`Source`]: per file, with fingerprints from the head text.

use crate::config::Config;
use crate::finding::{Finding, assign_fingerprints};

use super::rules::{self, RuleOptions};
use super::{FileUnderReview, Source};

/// The built-in reviewer, with the rule families the configuration enables.
pub struct BuiltinRules {
    options: RuleOptions,
}

impl BuiltinRules {
    pub fn new(config: &Config) -> Self {
        BuiltinRules {
            options: RuleOptions {
                secrets: config.tool_enabled("gitleaks"),
                ..RuleOptions::default()
            },
        }
    }
}

impl Source for BuiltinRules {
    fn name(&self) -> &'static str {
        "builtin"
    }

    fn review_file(&self, file: &FileUnderReview<'_>) -> Vec<Finding> {
        let mut found = rules::check(file, &self.options);
        if !found.is_empty() {
            let lines: Vec<&str> = file.text.lines().collect();
            assign_fingerprints(&mut found, |_, line| {
                let index = (line as usize).saturating_sub(1);
                lines.get(index).map(|l| l.to_string()).unwrap_or_default()
            });
        }
        found
    }
}
