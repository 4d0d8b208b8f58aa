//! A path as a tool wrote it in a log, to the repository file it names.
//!
//! Tools write paths every way there is: absolute on this agent (`/home/vsts/work/1/s/src/lib.rs`,
//! `D:\a\1\s\src\Lib.cs`), absolute on another agent or in a container (the failed job may have
//! run elsewhere: `/Users/runner/work/3/s/…`, `/__w/1/s/…`, a Docker `WORKDIR /app`), relative to
//! the repository root (`./src/a.ts`) or to the directory the tool ran in (`Program.cs`,
//! `internal/store/db.go`), as a `file://` URL (Kotlin), or pointing outside the repository
//! altogether (`/usr/include/stdio.h`, `~/.cargo/registry/…`, `node_modules/…`). This module
//! owns the mapping and nothing else; it reads no file system, only the set of repository paths
//! the caller gives it, and answers only with a member of that set.
//!
//! When the evidence is not enough to name one file, the answer is `None`: a remediation posted
//! on the wrong file is worse than one posted on the pull request without a file.

use std::collections::HashSet;

/// The repository-relative, `/`-separated path of the repository file that `path` (as a tool
/// wrote it in a log) names, or `None`.
///
/// - Under `sources_dir` (`BUILD_SOURCESDIRECTORY`, compared with separators normalised and, for
///   Windows drive paths, without regard to case): the rest of the path, if it is a repository
///   file (else a build output such as `obj/…` or `target/…`: `None`).
/// - Relative: taken relative to the repository root (a leading `./` dropped).
/// - Otherwise (another agent, another work folder, a container, a subdirectory the tool ran
///   in): an agent's sources directory (`…/<n>/s/`) is recognised and cut; then the longest
///   suffix of the path, in whole components, that is a repository file wins; a relative path
///   may also be the tail of exactly one repository file. Ties are never broken by guessing.
/// - Outside the repository (system directories, package caches, `node_modules`, build output
///   directories that the repository does not hold): `None`.
pub fn repo_relative(
    path: &str,
    sources_dir: &str,
    repo_files: &HashSet<String>,
) -> Option<String> {
    let written = Written::parse(path)?;
    if let Some(sources) = Written::parse(sources_dir).filter(|s| s.absolute) {
        let fold = written.windows || sources.windows;
        if written.absolute {
            if let Some(rest) = written.after(&sources.parts, fold) {
                return checkout_file(rest, fold, repo_files);
            }
        }
    }
    let fold = written.windows;
    if !written.absolute {
        if !written.escapes {
            if let Some(found) = lookup(&written.parts, fold, repo_files) {
                return Some(found);
            }
        }
        return by_suffix(&written.parts, true, false, fold, repo_files);
    }
    if let Some(rest) = after_agent_sources(&written.parts) {
        return checkout_file(rest, fold, repo_files)
            .or_else(|| by_suffix(rest, false, false, fold, repo_files));
    }
    if written.home || outside_root(&written.parts) {
        return None;
    }
    by_suffix(&written.parts, false, true, fold, repo_files)
}

/// The repository file at `rest` below a sources directory: at the repository root, or, in a
/// checkout of several repositories (`s/<repository>/…`), below its first component when that is
/// not a directory of the repository (a file missing there is a build output, not another
/// checkout).
fn checkout_file(rest: &[String], fold: bool, repo_files: &HashSet<String>) -> Option<String> {
    lookup(rest, fold, repo_files).or_else(|| match rest {
        [first, below @ ..] if !below.is_empty() && !foreign_dir(first) => {
            let in_repository = repo_files.iter().any(|file| {
                file.split_once('/').is_some_and(|(top, _)| {
                    if fold {
                        top.eq_ignore_ascii_case(first)
                    } else {
                        top == first
                    }
                })
            });
            if in_repository {
                None
            } else {
                lookup(below, fold, repo_files)
            }
        }
        _ => None,
    })
}

/// A path split into its components.
struct Written {
    /// Components, without empty ones and `.`; `..` resolved where possible. A Windows drive is
    /// the first component (`D:`).
    parts: Vec<String>,
    absolute: bool,
    /// A Windows path (a drive letter, a UNC path, or backslashes): compared without regard to
    /// case.
    windows: bool,
    /// Starts at the home directory (`~`).
    home: bool,
    /// A relative path that climbs out of its directory (`../x`): its base is unknown.
    escapes: bool,
}

impl Written {
    fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().trim_matches(['"', '\'']);
        if raw.is_empty() {
            return None;
        }
        let (text, url) = match raw.strip_prefix("file://") {
            Some(rest) => (
                percent_decode(rest.strip_prefix("localhost").unwrap_or(rest)),
                true,
            ),
            None => (raw.to_owned(), false),
        };
        let windows = !url && text.contains('\\')
            || has_drive(&text)
            || text.strip_prefix('/').is_some_and(has_drive);
        let text = text.replace('\\', "/");
        // `file:///D:/a/…` and `/D:/a/…`.
        let text = match text.strip_prefix('/') {
            Some(rest) if has_drive(rest) => rest.to_owned(),
            _ => text,
        };
        let drive = has_drive(&text);
        let home = text == "~" || text.starts_with("~/");
        let absolute = text.starts_with('/') || drive || home;
        let mut parts: Vec<String> = Vec::new();
        let mut escapes = false;
        for part in text.split('/') {
            match part {
                "" | "." | "~" => {}
                ".." => {
                    if parts.last().is_some_and(|last| !last.ends_with(':')) {
                        parts.pop();
                    } else if !absolute {
                        escapes = true;
                    }
                }
                _ => parts.push(part.to_owned()),
            }
        }
        if parts.is_empty() || parts.len() == 1 && drive {
            return None;
        }
        Some(Self {
            parts,
            absolute,
            windows: windows || drive,
            home,
            escapes,
        })
    }

    /// The components after `prefix` (maybe none), when the path starts with it.
    fn after(&self, prefix: &[String], fold: bool) -> Option<&[String]> {
        let rest = self.parts.strip_prefix(prefix).or_else(|| {
            (fold
                && self.parts.len() >= prefix.len()
                && self
                    .parts
                    .iter()
                    .zip(prefix)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b)))
            .then(|| &self.parts[prefix.len()..])
        })?;
        Some(rest)
    }
}

fn has_drive(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes.get(2), None | Some(b'/' | b'\\'))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match (bytes[index], hex(index + 1), hex(index + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                index += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `parts` as a repository path, if the repository holds it (with the repository's spelling, when
/// `fold` lets a Windows path differ in case and exactly one file matches).
fn lookup(parts: &[String], fold: bool, repo_files: &HashSet<String>) -> Option<String> {
    let joined = parts.join("/");
    if repo_files.contains(&joined) {
        return Some(joined);
    }
    if !fold {
        return None;
    }
    let mut matches = repo_files
        .iter()
        .filter(|file| file.eq_ignore_ascii_case(&joined));
    let first = matches.next()?;
    matches.next().is_none().then(|| first.clone())
}

/// The components after an Azure Pipelines agent's sources directory (`<work>/<n>/s/`), on any
/// agent: `/home/vsts/work/1/s`, `D:\a\1\s`, `/Users/runner/work/1/s`, `/__w/1/s`,
/// `/opt/agent/_work/12/s`.
fn after_agent_sources(parts: &[String]) -> Option<&[String]> {
    let at = parts
        .windows(2)
        .position(|pair| pair[1] == "s" && pair[0].bytes().all(|b| b.is_ascii_digit()))?;
    let rest = &parts[at + 2..];
    (!rest.is_empty()).then_some(rest)
}

/// Directories at the root of a file system that never hold a checkout of the repository (an
/// agent's work folder under them was recognised before this is asked).
fn outside_root(parts: &[String]) -> bool {
    const UNIX: [&str; 14] = [
        "usr",
        "lib",
        "lib64",
        "etc",
        "opt",
        "nix",
        "snap",
        "proc",
        "rustc",
        "Library",
        "System",
        "Applications",
        "bin",
        "sbin",
    ];
    const WINDOWS: [&str; 5] = [
        "program files",
        "program files (x86)",
        "windows",
        "programdata",
        "hostedtoolcache",
    ];
    match parts {
        [drive, first, ..] if drive.ends_with(':') => {
            WINDOWS.contains(&first.to_ascii_lowercase().as_str())
        }
        [first, ..] => UNIX.contains(&first.as_str()),
        [] => true,
    }
}

/// Directories that hold dependencies, toolchains or build output. A match must reach back to
/// such a directory (the repository holds that very path, e.g. vendored code): the file
/// `target/debug/build/x/out/lib.rs` is not the repository's `lib.rs`.
fn foreign_dir(part: &str) -> bool {
    const FOREIGN: [&str; 24] = [
        "node_modules",
        "site-packages",
        "dist-packages",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".cargo",
        ".rustup",
        "target",
        ".m2",
        ".gradle",
        ".nuget",
        "obj",
        "bin",
        "build",
        "dist",
        "out",
        ".next",
        "vendor",
        "pkg",
        "go-build",
        "hostedtoolcache",
        "_tool",
    ];
    FOREIGN.iter().any(|dir| part.eq_ignore_ascii_case(dir))
}

/// The repository file that `parts` names by its tail: the longest suffix of `parts` that is a
/// repository file; or, for a relative path, the one repository file that ends with all of
/// `parts`; or else the one file that shares the longest tail of at least two components.
///
/// `rooted`: the first component is a directory at the root of a file system (`/build/…`, a
/// container's work directory), not a dependency or output directory inside a project.
fn by_suffix(
    parts: &[String],
    relative: bool,
    rooted: bool,
    fold: bool,
    repo_files: &HashSet<String>,
) -> Option<String> {
    // A match must reach back to the first foreign directory of the path.
    let skip = usize::from(rooted);
    let must_cover = parts
        .iter()
        .skip(skip)
        .position(|part| foreign_dir(part))
        .map_or(1, |at| parts.len() - at - skip);
    let same = |a: &str, b: &str| {
        if fold {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };

    // For every file, the number of trailing components it shares with `parts`.
    let mut whole: Option<(usize, bool, Vec<&String>)> = None; // the file is a tail of `parts`
    let mut tails: Vec<&String> = Vec::new(); // `parts` is a tail of the file
    let mut partial: Option<(usize, Vec<&String>)> = None;
    for file in repo_files {
        let file_parts: Vec<&str> = file.split('/').collect();
        let shared = file_parts
            .iter()
            .rev()
            .zip(parts.iter().rev())
            .take_while(|(a, b)| same(a, b))
            .count();
        if shared == 0 || shared < must_cover {
            continue;
        }
        if shared == file_parts.len() {
            let exact = file_parts
                .iter()
                .rev()
                .zip(parts.iter().rev())
                .all(|(a, b)| *a == b.as_str());
            match &mut whole {
                Some((best, best_exact, files)) if *best == shared => {
                    if exact && !*best_exact {
                        *best_exact = true;
                        files.clear();
                    }
                    if exact == *best_exact {
                        files.push(file);
                    }
                }
                Some((best, _, _)) if *best > shared => {}
                _ => whole = Some((shared, exact, vec![file])),
            }
        } else if shared == parts.len() {
            tails.push(file);
        } else {
            match &mut partial {
                Some((best, files)) if *best == shared => files.push(file),
                Some((best, _)) if *best > shared => {}
                _ => partial = Some((shared, vec![file])),
            }
        }
    }
    let only = |files: &[&String]| match files {
        [one] => Some((*one).clone()),
        _ => None,
    };
    // A relative path that is the tail of a longer file than any file that is its own tail: the
    // tool ran in a subdirectory (`src/a.ts` printed in `web/`).
    let whole_len = whole.as_ref().map_or(0, |(len, _, _)| *len);
    if relative && !tails.is_empty() && parts.len() > whole_len {
        return only(&tails);
    }
    if let Some((_, _, files)) = &whole {
        return only(files);
    }
    match partial {
        Some((shared, files)) if shared >= 2 && tails.is_empty() => only(&files),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[&str]) -> HashSet<String> {
        list.iter().map(|f| (*f).to_owned()).collect()
    }

    const LINUX: &str = "/home/vsts/work/1/s";
    const WINDOWS: &str = "D:\\a\\1\\s";

    #[test]
    fn strips_this_agents_sources_directory() {
        let repo = files(&["src/lib.rs", "src/Lib.cs", "web/src/a.ts", "lib.rs"]);
        let map = |path: &str, sources: &str| repo_relative(path, sources, &repo);
        assert_eq!(
            map("/home/vsts/work/1/s/src/lib.rs", LINUX).as_deref(),
            Some("src/lib.rs")
        );
        assert_eq!(
            map("/home/vsts/work/1/s/src/lib.rs", "/home/vsts/work/1/s/").as_deref(),
            Some("src/lib.rs")
        );
        assert_eq!(
            map("D:\\a\\1\\s\\src\\Lib.cs", WINDOWS).as_deref(),
            Some("src/Lib.cs")
        );
        assert_eq!(
            map("d:\\A\\1\\S\\src\\lib.cs", WINDOWS).as_deref(),
            Some("src/Lib.cs")
        );
        assert_eq!(
            map("D:/a/1/s/src/Lib.cs", WINDOWS).as_deref(),
            Some("src/Lib.cs")
        );
        assert_eq!(
            map("/home/vsts/work/1/s/web/./src/../src/a.ts", LINUX).as_deref(),
            Some("web/src/a.ts")
        );
        // A file the repository does not hold, in one of its directories, is not another one.
        assert_eq!(map("/home/vsts/work/1/s/web/lib.rs", LINUX), None);
        // Build output under the checkout is not a repository file.
        assert_eq!(
            map("/home/vsts/work/1/s/target/debug/build/x/out/lib.rs", LINUX),
            None
        );
        assert_eq!(
            map(
                "D:\\a\\1\\s\\obj\\Debug\\net8.0\\App.AssemblyInfo.cs",
                WINDOWS
            ),
            None
        );
        // Case matters on Linux.
        assert_eq!(map("/home/vsts/work/1/s/SRC/main.rs", LINUX), None);
        assert_eq!(map("/home/vsts/work/1/s", LINUX), None);
    }

    #[test]
    fn relative_paths_start_at_the_repository_root() {
        let repo = files(&[
            "src/lib.rs",
            "main.go",
            "web/src/a.ts",
            "web/src/b.ts",
            "lib/src/b.ts",
        ]);
        let map = |path: &str| repo_relative(path, LINUX, &repo);
        assert_eq!(map("src/lib.rs").as_deref(), Some("src/lib.rs"));
        assert_eq!(map("./main.go").as_deref(), Some("main.go"));
        assert_eq!(map("src\\lib.rs").as_deref(), Some("src/lib.rs"));
        // Printed by a tool that ran in `web/`.
        assert_eq!(map("src/a.ts").as_deref(), Some("web/src/a.ts"));
        // Two files end with `src/b.ts`: no guess.
        assert_eq!(map("src/b.ts"), None);
        assert_eq!(map("../lib/src/b.ts").as_deref(), Some("lib/src/b.ts"));
        assert_eq!(map("node_modules/lodash/index.js"), None);
        assert_eq!(map(""), None);
        assert_eq!(map("./"), None);
    }

    #[test]
    fn another_agent_is_matched_by_the_longest_suffix() {
        let repo = files(&[
            "src/lib.rs",
            "crates/a/src/lib.rs",
            "src/App/Program.cs",
            "README.md",
        ]);
        let map = |path: &str| repo_relative(path, LINUX, &repo);
        assert_eq!(
            map("/Users/runner/work/1/s/src/lib.rs").as_deref(),
            Some("src/lib.rs")
        );
        assert_eq!(
            map("/__w/3/s/crates/a/src/lib.rs").as_deref(),
            Some("crates/a/src/lib.rs")
        );
        assert_eq!(
            map("D:\\a\\1\\s\\src\\App\\Program.cs").as_deref(),
            Some("src/App/Program.cs")
        );
        assert_eq!(
            map("C:\\agent\\_work\\7\\s\\SRC\\app\\program.cs").as_deref(),
            Some("src/App/Program.cs")
        );
        // A multi-repository checkout: `s/<repository>/…`.
        assert_eq!(
            map("/home/vsts/work/1/s/self/crates/a/src/lib.rs").as_deref(),
            Some("crates/a/src/lib.rs")
        );
        assert_eq!(
            map("/Users/runner/work/2/s/self/src/lib.rs").as_deref(),
            Some("src/lib.rs")
        );
        // A container's work directory.
        assert_eq!(map("/app/src/lib.rs").as_deref(), Some("src/lib.rs"));
        assert_eq!(
            map("/build/x/crates/a/src/lib.rs").as_deref(),
            Some("crates/a/src/lib.rs")
        );
        // `y/src/lib.rs` is `src/lib.rs` at the root, not `crates/a/src/lib.rs`.
        assert_eq!(map("/home/me/y/src/lib.rs").as_deref(), Some("src/lib.rs"));
    }

    #[test]
    fn ambiguous_short_matches_are_not_guessed() {
        let repo = files(&[
            "cmd/a/main.go",
            "cmd/b/main.go",
            "pkg/store/db.go",
            "backend/store/db.go",
        ]);
        let map = |path: &str| repo_relative(path, LINUX, &repo);
        assert_eq!(map("main.go"), None);
        assert_eq!(map("/other/checkout/main.go"), None);
        assert_eq!(map("store/db.go"), None);
        assert_eq!(map("/srv/x/cmd/c/main.go"), None);
        // The Go test output names a file by its package's import path.
        assert_eq!(
            map("github.com/acme/svc/cmd/a/main.go").as_deref(),
            Some("cmd/a/main.go")
        );
    }

    #[test]
    fn paths_outside_the_repository_are_none() {
        let repo = files(&[
            "include/stdio.h",
            "src/de.rs",
            "index.js",
            "src/lib.rs",
            "lib.rs",
        ]);
        let map = |path: &str| repo_relative(path, LINUX, &repo);
        assert_eq!(map("/usr/include/stdio.h"), None);
        assert_eq!(
            map("~/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.210/src/de.rs"),
            None
        );
        assert_eq!(
            map(
                "/home/vsts/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.210/src/de.rs"
            ),
            None
        );
        assert_eq!(
            map("/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/core/src/panicking.rs"),
            None
        );
        assert_eq!(
            map("/Users/runner/work/1/s/node_modules/lodash/index.js"),
            None
        );
        assert_eq!(map("/home/me/proj/node_modules/lodash/index.js"), None);
        assert_eq!(map("/home/me/proj/target/debug/build/x-1/out/lib.rs"), None);
        assert_eq!(
            map("C:\\Program Files\\dotnet\\sdk\\8.0.100\\Microsoft.Common.targets"),
            None
        );
        assert_eq!(
            map("/opt/hostedtoolcache/Python/3.12.1/x64/lib/python3.12/site-packages/x.py"),
            None
        );
    }

    #[test]
    fn vendored_dependencies_in_the_repository_are_found() {
        let repo = files(&[
            "vendor/github.com/x/y/y.go",
            "third_party/node_modules/pkg/index.js",
        ]);
        let map = |path: &str| repo_relative(path, LINUX, &repo);
        assert_eq!(
            map("/Users/runner/work/1/s/vendor/github.com/x/y/y.go").as_deref(),
            Some("vendor/github.com/x/y/y.go")
        );
        assert_eq!(
            map("/x/third_party/node_modules/pkg/index.js").as_deref(),
            Some("third_party/node_modules/pkg/index.js")
        );
    }

    #[test]
    fn file_urls_are_paths() {
        let repo = files(&["app/src/main/kotlin/My App.kt", "app/src/A.kt"]);
        let map = |path: &str, sources: &str| repo_relative(path, sources, &repo);
        assert_eq!(
            map("file:///home/vsts/work/1/s/app/src/A.kt", LINUX).as_deref(),
            Some("app/src/A.kt")
        );
        assert_eq!(
            map("file:///D:/a/1/s/app/src/A.kt", WINDOWS).as_deref(),
            Some("app/src/A.kt")
        );
        assert_eq!(
            map(
                "file:///home/vsts/work/1/s/app/src/main/kotlin/My%20App.kt",
                LINUX
            )
            .as_deref(),
            Some("app/src/main/kotlin/My App.kt")
        );
    }
}
