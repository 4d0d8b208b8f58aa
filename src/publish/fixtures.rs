//! Reviews shared by the renderers' snapshot tests: a realistic one and an empty one.

use crate::finding::{Category, Finding, Fingerprint, Severity};
use crate::git::FileStatus;
use crate::git::NotReviewable;
use crate::review::{Presentation, Review, ReviewedFile, SkipReason, Skipped};
use crate::sources::rules::RuleInfo;

pub(super) const BASE: &str = "3f2a9c1e8b7d6054a1c2e3f4a5b6c7d8e9f01234";
pub(super) const HEAD: &str = "9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c";

fn file(path: &str, status: FileStatus, additions: u32, deletions: u32) -> ReviewedFile {
    ReviewedFile {
        path: path.to_owned(),
        old_path: None,
        status,
        binary: false,
        additions,
        deletions,
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    path: &str,
    line: u32,
    end_line: u32,
    severity: Severity,
    category: Category,
    rule: &str,
    source: &str,
    message: &str,
    suggestion: Option<&str>,
) -> Finding {
    Finding {
        path: path.to_owned(),
        line,
        end_line,
        severity,
        category,
        rule: rule.to_owned(),
        source: source.to_owned(),
        message: message.to_owned(),
        suggestion: suggestion.map(str::to_owned),
        fingerprint: Fingerprint::compute(rule, path, &format!("{line}"), 0),
    }
}

/// A review of seven changed files: an addition, a binary, a rename, a deletion, a submodule
/// and a vendored file left out by `path_filters`; six findings of every severity from three
/// sources, one about a whole file and one with a suggested fix; a configuration problem.
pub(super) fn realistic() -> Review {
    let files = vec![
        file(".coderabbit.yaml", FileStatus::Modified, 2, 1),
        ReviewedFile {
            binary: true,
            ..file("assets/logo.png", FileStatus::Added, 0, 0)
        },
        file("src/auth/token.rs", FileStatus::Added, 48, 0),
        ReviewedFile {
            old_path: Some("src/config.rs".to_owned()),
            ..file("src/config/loader.rs", FileStatus::Renamed, 12, 5)
        },
        file("src/legacy/session.rs", FileStatus::Deleted, 0, 120),
        file("src/main.rs", FileStatus::Modified, 7, 2),
        file("third_party/zlib", FileStatus::Modified, 1, 1),
        file("vendor/chart.min.js", FileStatus::Modified, 1, 1),
    ];
    let findings = vec![
        finding(
            "assets/logo.png",
            0,
            0,
            Severity::Minor,
            Category::Maintainability,
            "files/binary-file",
            "builtin",
            "Binary file added (24.1 KiB); consider Git LFS for images.",
            None,
        ),
        finding(
            "src/auth/token.rs",
            12,
            12,
            Severity::Critical,
            Category::Security,
            "secrets/aws-access-key",
            "builtin",
            "AWS access key ID `AKIA…MPLE` is committed in plain text; revoke it and load it from a secret variable.",
            None,
        ),
        finding(
            "src/auth/token.rs",
            40,
            42,
            Severity::Major,
            Category::Correctness,
            "llm/error-handling",
            "llm",
            "The refresh ignores the HTTP status, so a 401 response is cached as a valid token.",
            None,
        ),
        finding(
            "src/config/loader.rs",
            27,
            27,
            Severity::Trivial,
            Category::Maintainability,
            "notes/todo",
            "builtin",
            "TODO note: `remove once v1 configs are gone`.",
            None,
        ),
        finding(
            "src/main.rs",
            88,
            88,
            Severity::Major,
            Category::Stability,
            "debug/dbg-macro",
            "builtin",
            "`dbg!` left in the code; it prints to stderr in release builds too.",
            Some("    let config = load(&path)?;\n"),
        ),
        finding(
            "src/main.rs",
            120,
            121,
            Severity::Info,
            Category::Performance,
            "clippy::needless_collect",
            "clippy",
            "avoid using `collect()` when not needed",
            None,
        ),
    ];
    Review {
        base: BASE.to_owned(),
        head: HEAD.to_owned(),
        files,
        findings,
        skipped: vec![
            Skipped {
                path: "third_party/zlib".to_owned(),
                reason: SkipReason::NotReviewable(NotReviewable::Submodule),
            },
            Skipped {
                path: "vendor/chart.min.js".to_owned(),
                reason: SkipReason::PathFilters,
            },
        ],
        config_problems: vec![
            ".coderabbit.yaml:4:3: unknown key `reviews.profle`; did you mean `profile`?"
                .to_owned(),
        ],
        unplaced: Vec::new(),
        dropped: Vec::new(),
        ai: None,
        min_severity: Severity::Info,
        presentation: Presentation::default(),
    }
}

/// A review of three changed files that found nothing and skipped nothing.
pub(super) fn empty() -> Review {
    Review {
        base: BASE.to_owned(),
        head: HEAD.to_owned(),
        files: vec![
            file("README.md", FileStatus::Modified, 3, 1),
            file("src/lib.rs", FileStatus::Modified, 10, 4),
            file("src/new.rs", FileStatus::Added, 25, 0),
        ],
        findings: Vec::new(),
        skipped: Vec::new(),
        config_problems: Vec::new(),
        unplaced: Vec::new(),
        dropped: Vec::new(),
        ai: None,
        min_severity: Severity::Minor,
        presentation: Presentation::default(),
    }
}

/// A fixed rule catalogue, so that snapshots do not move when the real one grows.
pub(super) fn catalog() -> &'static [RuleInfo] {
    &[
        RuleInfo {
            code: "secrets/aws-access-key",
            severity: Severity::Critical,
            category: Category::Security,
            explanation: "An AWS access key ID was added. Anyone who can read the repository can use it. Revoke the key, then load credentials from a secret pipeline variable or a vault.",
        },
        RuleInfo {
            code: "debug/dbg-macro",
            severity: Severity::Major,
            category: Category::Stability,
            explanation: "A `dbg!` call was added. It writes to stderr in every build profile and is almost always a debugging leftover.",
        },
        RuleInfo {
            code: "files/binary-file",
            severity: Severity::Minor,
            category: Category::Maintainability,
            explanation: "A binary file was added. Binaries bloat the history for every clone; Git LFS keeps them out of it.",
        },
        RuleInfo {
            code: "notes/todo",
            severity: Severity::Trivial,
            category: Category::Maintainability,
            explanation: "A TODO, FIXME or HACK note was added. Notes like these tend to outlive their intent; link them to a work item.",
        },
    ]
}
