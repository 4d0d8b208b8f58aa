//! The glob patterns of `reviews.path_filters` and `reviews.path_instructions[].path`.
//!
//! This module owns what a pattern means; it knows nothing of YAML or of the rest of the
//! configuration. CodeRabbit documents its patterns as minimatch globs matched against
//! repository-relative paths, case-insensitively, with hidden files included. We follow that,
//! with `globset`, and settle the cases where a user's intent is plain but minimatch is strict:
//!
//! - `*` and `?` never cross a `/`; `**` as a whole segment crosses any number of directories
//!   (`**/*.lock` matches `Cargo.lock` and `a/b/c.lock`).
//! - A pattern that matches a directory matches everything inside it: `dist`, `docs/` and
//!   `src/generated` cover the files below them (`docs/` matches only what is inside `docs`).
//! - A segment that starts with `**` and goes on (`docs/**.md`, `tests/**.*`, as in CodeRabbit's
//!   own examples) is read as `**/*…`: any depth.
//! - A leading `./` or `/` is dropped; `{a,b}` alternatives and `[a-z]` classes work; `\`
//!   escapes the next character.
//!
//! In `path_filters`, a leading `!` excludes. A path passes when it matches no exclusion and,
//! if there is at least one inclusion, matches one of them: exclusions win whatever the order.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

/// A repository path in the form patterns match against: `/` separators, no leading `./` or `/`.
pub fn normalize(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut rest = path.as_str();
    loop {
        if let Some(stripped) = rest.strip_prefix("./") {
            rest = stripped;
        } else if let Some(stripped) = rest.strip_prefix('/') {
            rest = stripped;
        } else {
            return rest.to_owned();
        }
    }
}

/// The globs one pattern (without its `!`) stands for.
fn globs(pattern: &str) -> Result<Vec<Glob>, String> {
    let body = normalize_pattern(pattern);
    if body.is_empty() {
        return Err(format!("`{pattern}` is an empty pattern"));
    }
    let mut variants = vec![body.clone()];
    if body != "**" && !body.ends_with("/**") {
        variants.push(format!("{body}/**"));
    }
    variants
        .iter()
        .map(|variant| {
            GlobBuilder::new(variant)
                .case_insensitive(true)
                .literal_separator(true)
                .backslash_escape(true)
                .empty_alternates(true)
                .build()
                .map_err(|err| format!("`{pattern}` is not a valid glob: {}", err.kind()))
        })
        .collect()
}

fn normalize_pattern(pattern: &str) -> String {
    let mut body = pattern;
    loop {
        if let Some(stripped) = body.strip_prefix("./") {
            body = stripped;
        } else if let Some(stripped) = body.strip_prefix('/') {
            body = stripped;
        } else {
            break;
        }
    }
    let directory = body.ends_with('/');
    let body = body.trim_end_matches('/');
    if body.is_empty() {
        return String::new();
    }
    let mut segments: Vec<String> = body
        .split('/')
        .map(|segment| match segment.strip_prefix("**") {
            Some(rest) if !rest.is_empty() && !rest.starts_with('*') => format!("**/*{rest}"),
            _ => segment.to_owned(),
        })
        .collect();
    if directory {
        segments.push("**".to_owned());
    }
    segments.join("/")
}

/// Checks one pattern of `path_filters` or `path_instructions`, `!` prefix allowed.
pub fn check(pattern: &str) -> Result<(), String> {
    let body = pattern.strip_prefix('!').unwrap_or(pattern);
    globs(body).map(|_| ())
}

/// One pattern of `path_instructions[].path`; a leading `!` inverts it.
#[derive(Debug, Clone)]
pub struct PathPattern {
    negated: bool,
    set: GlobSet,
}

impl PathPattern {
    pub fn new(pattern: &str) -> Result<PathPattern, String> {
        let (negated, body) = match pattern.strip_prefix('!') {
            Some(body) => (true, body),
            None => (false, pattern),
        };
        let mut builder = GlobSetBuilder::new();
        for glob in globs(body)? {
            builder.add(glob);
        }
        let set = builder
            .build()
            .map_err(|err| format!("`{pattern}` is not a valid glob: {}", err.kind()))?;
        Ok(PathPattern { negated, set })
    }

    /// Whether a normalized path (see [`normalize`]) matches.
    pub fn matches(&self, path: &str) -> bool {
        self.set.is_match(path) != self.negated
    }
}

/// The compiled `path_filters`: which paths are reviewed.
#[derive(Debug, Clone)]
pub struct PathFilter {
    include: GlobSet,
    exclude: GlobSet,
    has_include: bool,
}

impl Default for PathFilter {
    fn default() -> Self {
        PathFilter {
            include: GlobSet::empty(),
            exclude: GlobSet::empty(),
            has_include: false,
        }
    }
}

impl PathFilter {
    /// Compiles the patterns, skipping any that is not a valid glob (the loader reported it).
    pub fn new(patterns: &[String]) -> PathFilter {
        let mut include = GlobSetBuilder::new();
        let mut exclude = GlobSetBuilder::new();
        let mut has_include = false;
        for pattern in patterns {
            let (excluding, body) = match pattern.strip_prefix('!') {
                Some(body) => (true, body),
                None => (false, pattern.as_str()),
            };
            let Ok(globs) = globs(body) else { continue };
            for glob in globs {
                if excluding {
                    exclude.add(glob);
                } else {
                    include.add(glob);
                    has_include = true;
                }
            }
        }
        PathFilter {
            include: include.build().unwrap_or_else(|_| GlobSet::empty()),
            exclude: exclude.build().unwrap_or_else(|_| GlobSet::empty()),
            has_include,
        }
    }

    /// Whether a normalized path (see [`normalize`]) is reviewed.
    pub fn includes(&self, path: &str) -> bool {
        !self.exclude.is_match(path) && (!self.has_include || self.include.is_match(path))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn filter(patterns: &[&str]) -> PathFilter {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        PathFilter::new(&patterns)
    }

    #[test]
    fn no_patterns_include_everything() {
        let f = filter(&[]);
        assert!(f.includes("a.rs") && f.includes("deep/dir/b.lock"));
    }

    #[test]
    fn exclusions_only() {
        let f = filter(&["!**/*.lock", "!dist/**", "!docs/", "!vendor"]);
        assert!(!f.includes("Cargo.lock"));
        assert!(!f.includes("a/b/yarn.lock"));
        assert!(!f.includes("dist/app.js") && !f.includes("dist/a/b.js"));
        assert!(!f.includes("docs/index.md") && !f.includes("docs/a/b.md"));
        assert!(!f.includes("vendor/x/y.go"));
        assert!(f.includes("src/main.rs"));
        assert!(f.includes("distribution/a.js"));
        assert!(f.includes("mydocs/a.md"));
        assert!(f.includes("lock.rs"));
    }

    #[test]
    fn inclusions_limit_and_exclusions_win() {
        let f = filter(&["!src/generated/**", "src/**", "*.md"]);
        assert!(f.includes("src/main.rs") && f.includes("src/a/b/c.rs"));
        assert!(!f.includes("src/generated/x.rs"));
        assert!(f.includes("README.md"));
        assert!(
            !f.includes("docs/guide.md"),
            "`*` does not cross a directory"
        );
        assert!(!f.includes("tests/t.rs"));
    }

    #[test]
    fn matching_is_case_insensitive_and_includes_dotfiles() {
        let f = filter(&["!**/*.LOCK", "!.github/**"]);
        assert!(!f.includes("Cargo.lock"));
        assert!(!f.includes(".github/workflows/ci.yml"));
        assert!(filter(&["**/*.yml"]).includes(".github/workflows/ci.yml"));
        assert!(filter(&["*"]).includes(".env"));
    }

    #[test]
    fn leading_slash_and_dot_are_dropped() {
        assert!(!filter(&["!/dist/**"]).includes("dist/a.js"));
        assert!(!filter(&["!./dist"]).includes("dist/a.js"));
        assert_eq!(normalize("./src\\a.rs"), "src/a.rs");
        assert_eq!(normalize("/src/a.rs"), "src/a.rs");
    }

    #[test]
    fn double_star_glued_to_a_name_reaches_any_depth() {
        let p = PathPattern::new("docs/**.md").unwrap();
        assert!(p.matches("docs/a.md") && p.matches("docs/x/y/a.md"));
        assert!(!p.matches("docs/a.rs"));
        let p = PathPattern::new("tests/**.*").unwrap();
        assert!(p.matches("tests/unit/a.js"));
    }

    #[test]
    fn alternatives_classes_and_negation() {
        let p = PathPattern::new("src/**/*.{ts,tsx}").unwrap();
        assert!(p.matches("src/a/b.tsx") && p.matches("src/b.ts") && !p.matches("src/b.js"));
        let p = PathPattern::new("v[0-9]/*").unwrap();
        assert!(p.matches("v1/a") && !p.matches("vx/a"));
        let p = PathPattern::new("!**/*.md").unwrap();
        assert!(p.matches("src/a.rs") && !p.matches("README.md"));
    }

    #[test]
    fn invalid_patterns_are_reported_and_skipped() {
        assert!(check("src/[a-").unwrap_err().contains("not a valid glob"));
        assert!(check("{a,b").is_err());
        assert!(check("!").unwrap_err().contains("empty"));
        assert!(check("/").is_err());
        assert!(check("!**/*.lock").is_ok());
        let f = filter(&["src/[a-", "!**/*.lock"]);
        assert!(f.includes("lib/a.rs"), "the broken inclusion is skipped");
        assert!(!f.includes("a.lock"));
    }
}
