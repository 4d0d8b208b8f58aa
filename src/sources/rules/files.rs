//! `files/*`: what a change adds to the repository as a whole, judged from the diff entry
//! (status, size, binary flag, path) rather than from lines.
//!
//! `files/large-file` reports content that makes the repository permanently heavier: a text
//! file that the change adds or grows past `large_file_bytes`, or binary content (which neither
//! compresses nor deltas well) of `large_binary_bytes` or more that the change adds or replaces.
//! `files/binary-artifact` reports build outputs and packages (archives, executables, libraries,
//! compiled objects) committed as files. Lockfiles, minified bundles and source maps are
//! generated on purpose and are left alone; fixtures under test directories may be archives.

use super::registry::{Check, Family, Rule};
use super::syntax;
use super::{FileUnderReview, RuleOptions, Sink};
use crate::finding::{Category, Severity};
use crate::git::FileStatus;

pub(super) static LARGE_FILE: Rule = Rule {
    code: "files/large-file",
    severity: Severity::Major,
    category: Category::Performance,
    explanation: "A large file is added, grown past the size limit (1 MiB by default), or a large \
                  binary file (512 KiB by default) is added or replaced. Git keeps every version \
                  of every file forever: each clone and fetch downloads it, even after it is \
                  deleted, and binary content neither compresses nor deltas well, so each new \
                  version costs its full size again. Store large binaries with Git LFS, and keep \
                  generated data and build outputs out of the repository. Lockfiles, minified \
                  bundles and source maps are not reported.",
    family: Family::Files,
    check: Check::Diff(large_file),
};

pub(super) static BINARY_ARTIFACT: Rule = Rule {
    code: "files/binary-artifact",
    severity: Severity::Minor,
    category: Category::Maintainability,
    explanation: "A build output or package is committed: an archive (`.zip`, `.jar`, `.tgz`, \
                  `.nupkg`, `.whl`, …), an executable or library (`.exe`, `.dll`, `.so`, \
                  `.dylib`), a compiled object (`.o`, `.class`, `.pyc`) or an installer image. \
                  Such files cannot be reviewed, go stale against their sources, and make every \
                  clone heavier. Publish them to a package feed or pipeline artifacts and build \
                  them from source. Build-tool wrappers (`gradle-wrapper.jar`) and fixtures \
                  under test directories are not reported.",
    family: Family::Files,
    check: Check::Diff(binary_artifact),
};

/// What both checks read from the diff entry.
struct Entry<'a> {
    shown: &'a str,
    name: String,
    extension: String,
    new_content: bool,
}

fn entry<'a>(file: &FileUnderReview<'a>) -> Entry<'a> {
    let diff = file.diff;
    let shown = diff.path.rsplit('/').next().unwrap_or(&diff.path);
    Entry {
        shown,
        name: shown.to_ascii_lowercase(),
        extension: syntax::extension(&diff.path),
        new_content: matches!(
            diff.status,
            FileStatus::Added | FileStatus::Modified | FileStatus::TypeChanged
        ),
    }
}

/// Reports a build output or package committed as a file.
fn binary_artifact(file: &FileUnderReview<'_>, _: &RuleOptions, sink: &mut Sink) {
    let Entry {
        shown,
        name,
        extension,
        new_content,
    } = entry(file);
    if is_artifact(&name, &extension) && new_content && !syntax::in_test_directory(&file.diff.path)
    {
        sink.push(&BINARY_ARTIFACT, 0, BINARY_ARTIFACT.severity, || {
            format!(
                "`{shown}` is a build output or package. Publish it to a package feed or as a \
                 pipeline artifact and build it from source instead of committing it."
            )
        });
    }
}

/// Reports content that makes the repository permanently heavier.
fn large_file(file: &FileUnderReview<'_>, options: &RuleOptions, sink: &mut Sink) {
    let diff = file.diff;
    let Entry {
        shown,
        name,
        extension,
        new_content,
    } = entry(file);
    if is_generated_on_purpose(&name) {
        return;
    }
    let size = diff.new_size;
    let lfs = if extension.is_empty() {
        format!("git lfs track \"{shown}\"")
    } else {
        format!("git lfs track \"*.{extension}\"")
    };
    if diff.binary {
        if new_content && size >= options.large_binary_bytes {
            let verb = if diff.status == FileStatus::Modified {
                "replaced with"
            } else {
                "added as"
            };
            sink.push(&LARGE_FILE, 0, LARGE_FILE.severity, || {
                format!(
                    "`{shown}` is {verb} a {} binary file. Git keeps every version forever and \
                     binaries do not delta well, so each clone pays for it. Store it with Git LFS \
                     (`{lfs}`) or outside the repository.",
                    human_size(size)
                )
            });
        }
        return;
    }
    if size < options.large_file_bytes {
        return;
    }
    let grown_past = match diff.status {
        FileStatus::Added | FileStatus::TypeChanged => true,
        _ => estimated_old_size(file).is_some_and(|old| old < options.large_file_bytes),
    };
    if grown_past {
        let what = if diff.status == FileStatus::Added {
            "is added at"
        } else {
            "grows to"
        };
        sink.push(&LARGE_FILE, 0, LARGE_FILE.severity, || {
            format!(
                "`{shown}` {what} {}, over the {} limit. Git keeps every version forever, so \
                 each clone pays for it. Store it with Git LFS (`{lfs}`), or keep generated data \
                 out of the repository.",
                human_size(size),
                human_size(options.large_file_bytes)
            )
        });
    }
}

/// The size of a modified text file before the change: its new size, less the bytes of the
/// lines the change adds, plus its removed lines at the file's average line length.
fn estimated_old_size(file: &FileUnderReview<'_>) -> Option<u64> {
    let diff = file.diff;
    if file.text.is_empty() {
        return None;
    }
    let lines: Vec<&str> = file.text.lines().collect();
    let added: u64 = diff
        .added_lines
        .iter()
        .filter_map(|&n| {
            usize::try_from(n)
                .ok()?
                .checked_sub(1)
                .and_then(|i| lines.get(i))
        })
        .map(|line| line.len() as u64 + 1)
        .sum();
    let average = diff.new_size / (lines.len() as u64).max(1);
    Some(diff.new_size.saturating_sub(added) + u64::from(diff.deletions) * average)
}

fn is_artifact(name: &str, extension: &str) -> bool {
    if matches!(name, "gradle-wrapper.jar" | "maven-wrapper.jar") {
        return false;
    }
    let compound = [".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst"]
        .iter()
        .any(|ext| name.ends_with(ext));
    compound
        || matches!(
            extension,
            "zip"
                | "jar"
                | "war"
                | "ear"
                | "aar"
                | "apk"
                | "aab"
                | "ipa"
                | "tar"
                | "tgz"
                | "gz"
                | "bz2"
                | "xz"
                | "7z"
                | "rar"
                | "zst"
                | "exe"
                | "dll"
                | "so"
                | "dylib"
                | "lib"
                | "a"
                | "o"
                | "obj"
                | "class"
                | "pyc"
                | "pyo"
                | "nupkg"
                | "snupkg"
                | "whl"
                | "egg"
                | "gem"
                | "msi"
                | "msix"
                | "appx"
                | "deb"
                | "rpm"
                | "dmg"
                | "iso"
                | "pdb"
                | "crate"
                | "vsix"
        )
}

fn is_generated_on_purpose(name: &str) -> bool {
    matches!(
        name,
        "cargo.lock"
            | "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "bun.lockb"
            | "bun.lock"
            | "poetry.lock"
            | "pipfile.lock"
            | "uv.lock"
            | "pdm.lock"
            | "gemfile.lock"
            | "composer.lock"
            | "go.sum"
            | "packages.lock.json"
            | "flake.lock"
            | "mix.lock"
            | "podfile.lock"
            | "pubspec.lock"
            | "gradle.lockfile"
            | "package.resolved"
            | "paket.lock"
            | "conan.lock"
    ) || name.ends_with(".min.js")
        || name.ends_with(".min.css")
        || name.ends_with(".min.mjs")
        || name.ends_with(".map")
}

fn human_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let value = bytes as f64;
    if value >= KIB * KIB {
        format!("{:.1} MiB", value / (KIB * KIB))
    } else if value >= KIB {
        format!("{:.0} KiB", value / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FileUnderReview, RuleOptions, check};
    use super::human_size;
    use crate::finding::Finding;
    use crate::git::{FileDiff, FileStatus};

    const LARGE: &str = "files/large-file";
    const ARTIFACT: &str = "files/binary-artifact";

    fn binary(path: &str, status: FileStatus, size: u64) -> Vec<Finding> {
        let mut diff = FileDiff::new(path, status);
        diff.binary = true;
        diff.new_size = size;
        check(
            &FileUnderReview {
                diff: &diff,
                text: "",
            },
            &RuleOptions::default(),
        )
    }

    fn rules(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.rule.as_str()).collect()
    }

    #[test]
    fn small_images_are_normal() {
        assert!(binary("assets/icon.png", FileStatus::Added, 4 * 1024).is_empty());
        assert!(binary("docs/screenshot.png", FileStatus::Added, 300 * 1024).is_empty());
    }

    #[test]
    fn large_binaries_added_or_replaced_are_reported_on_the_whole_file() {
        let findings = binary("design/mockup.psd", FileStatus::Added, 3 * 1024 * 1024);
        assert_eq!(rules(&findings), [LARGE]);
        assert_eq!((findings[0].line, findings[0].end_line), (0, 0));
        assert!(
            findings[0].message.contains("3.0 MiB"),
            "{}",
            findings[0].message
        );
        assert!(findings[0].message.contains("*.psd"));
        assert_eq!(
            rules(&binary("video/intro.mp4", FileStatus::Modified, 600 * 1024)),
            [LARGE]
        );
        // A rename carries no new content.
        assert!(binary("video/intro.mp4", FileStatus::Renamed, 6 * 1024 * 1024).is_empty());
    }

    #[test]
    fn build_outputs_are_reported_at_any_size() {
        assert_eq!(
            rules(&binary("lib/helper.dll", FileStatus::Added, 20 * 1024)),
            [ARTIFACT]
        );
        assert_eq!(
            rules(&binary("dist/app.tar.gz", FileStatus::Added, 20 * 1024)),
            [ARTIFACT]
        );
        assert_eq!(
            rules(&binary("out/app.jar", FileStatus::Added, 2 * 1024 * 1024)),
            [ARTIFACT, LARGE]
        );
        assert!(
            binary(
                "gradle/wrapper/gradle-wrapper.jar",
                FileStatus::Added,
                60 * 1024
            )
            .is_empty()
        );
        assert!(binary("tests/data/sample.zip", FileStatus::Added, 20 * 1024).is_empty());
        assert!(binary("lib/helper.dll", FileStatus::Deleted, 20 * 1024).is_empty());
    }

    fn text_file(
        path: &str,
        status: FileStatus,
        text: &str,
        added: Vec<u32>,
        deletions: u32,
    ) -> Vec<Finding> {
        let mut diff = FileDiff::new(path, status);
        diff.new_size = text.len() as u64;
        diff.additions = added.len() as u32;
        diff.added_lines = added;
        diff.deletions = deletions;
        check(
            &FileUnderReview { diff: &diff, text },
            &RuleOptions::default(),
        )
    }

    #[test]
    fn large_text_files_are_reported_when_added_or_grown_past_the_limit() {
        let line = "0123456789abcdef0123456789abcdef0123456789abcdef012345678\n";
        let text = line.repeat(20_000); // 1.1 MiB
        let all: Vec<u32> = (1..=20_000).collect();
        assert_eq!(
            rules(&text_file(
                "data/table.csv",
                FileStatus::Added,
                &text,
                all.clone(),
                0
            )),
            [LARGE]
        );
        // Grown past the limit by this change.
        let tail: Vec<u32> = (15_001..=20_000).collect();
        assert_eq!(
            rules(&text_file(
                "data/table.csv",
                FileStatus::Modified,
                &text,
                tail,
                0
            )),
            [LARGE]
        );
        // Already over the limit before the change: not this change's doing.
        let few: Vec<u32> = (19_991..=20_000).collect();
        assert!(text_file("data/table.csv", FileStatus::Modified, &text, few, 10).is_empty());
        // Lockfiles and minified bundles are generated on purpose.
        assert!(
            text_file(
                "package-lock.json",
                FileStatus::Added,
                &text,
                all.clone(),
                0
            )
            .is_empty()
        );
        assert!(text_file("dist/app.min.js", FileStatus::Added, &text, all, 0).is_empty());
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(600 * 1024), "600 KiB");
        assert_eq!(human_size(3 * 1024 * 1024 / 2), "1.5 MiB");
    }
}
