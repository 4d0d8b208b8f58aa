//! The directory a line of the log was printed in, when the log says it, and the relative paths
//! of errors resolved against it.
//!
//! A tool writes paths relative to the directory it runs in, and a build that runs tools in
//! several directories says which in three ways this module reads:
//!
//! - GNU make, recursing (`make -C lib`, `$(MAKE) -C app`), prints `make[1]: Entering directory
//!   '/…/lib'` before the sub-make's output and `make[1]: Leaving directory '/…/lib'` after it;
//!   the directories nest.
//! - pnpm, running a script in every package (`pnpm -r run build`), announces each package with
//!   `packages/core build$ tsc` and prefixes its output lines with `packages/core build: `. The
//!   prefix is taken off the line (the extractors read the tool's own text) and its directory is
//!   the line's.
//! - npm, running a script in every workspace (`npm test --workspaces`), prints the script's
//!   output after `> name@1.0.0 test` and, when the script fails, `npm error path /…/packages/web`
//!   next to `npm error workspace name@1.0.0`: the lines since the header were printed there.
//!
//! An error's relative path is then joined to its directory ([`resolve`]); absolute paths, URLs
//! and paths of errors outside such a block are left as the tool wrote them.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, regex};

static MAKE_DIRECTORY: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:[^\s:]*[/\\])?(?:g?make|mingw32-make)(?:\.exe)?(?:\[\d+\])?: (?P<verb>Entering|Leaving) directory [`'‘](?P<dir>.+)['’]$",
    )
});
/// pnpm announcing a package's script: `packages/core check$ tsc --noEmit -p .`.
static PNPM_START: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?P<prefix>(?P<dir>[^\s$][^$]*?) [^\s$]+)\$ \S"));
/// The header npm prints before running a package's script: `> web-app@1.0.0 test`.
static NPM_HEADER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^> (?:@[\w.-]+/)?[\w.-]+@\S+ [\w:.-]+$"));
static NPM_KEY: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^npm (?:error|ERR!) (?P<key>path|workspace) (?P<value>.+)$"));

/// The directory of every line (`None` where the log does not say), taking workspace runners'
/// prefixes off the lines.
pub(super) fn track<'a>(lines: &mut [&'a str]) -> Vec<Option<&'a str>> {
    let mut dirs: Vec<Option<&'a str>> = vec![None; lines.len()];
    let mut make: Vec<&'a str> = Vec::new();
    let mut pnpm: Vec<(&'a str, &'a str)> = Vec::new();
    let mut npm_block: Option<usize> = None;
    let mut npm_path: Option<&'a str> = None;
    for index in 0..lines.len() {
        let line = lines[index];
        if let Some(caps) = (line.ends_with(['\'', '’']) && line.contains(" directory "))
            .then(|| MAKE_DIRECTORY.captures(line))
            .flatten()
        {
            let dir = caps.name("dir").map_or("", |m| m.as_str());
            if &caps["verb"] == "Entering" {
                make.push(dir);
            } else if let Some(at) = make.iter().rposition(|d| *d == dir) {
                make.truncate(at);
            }
            continue;
        }
        if let Some(caps) = line
            .contains("$ ")
            .then(|| PNPM_START.captures(line))
            .flatten()
        {
            if let (Some(prefix), Some(dir)) = (caps.name("prefix"), caps.name("dir")) {
                if !pnpm.iter().any(|(p, _)| *p == prefix.as_str()) {
                    pnpm.push((prefix.as_str(), dir.as_str()));
                }
            }
        }
        if let Some((rest, dir)) = pnpm.iter().find_map(|(prefix, dir)| {
            let rest = line.strip_prefix(prefix)?.strip_prefix(':')?;
            Some((rest.strip_prefix(' ').unwrap_or(rest), *dir))
        }) {
            lines[index] = rest;
            dirs[index] = Some(dir);
            continue;
        }
        if line.starts_with("> ") && NPM_HEADER.is_match(line) {
            npm_block = Some(index);
            npm_path = None;
        } else if let Some(caps) = line
            .starts_with("npm ")
            .then(|| NPM_KEY.captures(line))
            .flatten()
        {
            let value = caps.name("value").map_or("", |m| m.as_str().trim());
            match &caps["key"] {
                "path" => npm_path = Some(value),
                _ => {
                    // A workspace's failure: its lines since the header ran in its path.
                    if let (Some(start), Some(path)) = (npm_block.take(), npm_path) {
                        for dir in &mut dirs[start..=index] {
                            dir.get_or_insert(path);
                        }
                    }
                }
            }
        }
        if let Some(dir) = make.last() {
            dirs[index] = Some(dir);
        }
    }
    dirs
}

/// Joins the error's relative path to `dir`, the directory the tool ran in.
pub(super) fn resolve(error: &mut BuildError, dir: &str) {
    let Some(path) = error.path.as_deref() else {
        return;
    };
    if absolute(path) || dir.is_empty() {
        return;
    }
    let windows = dir.contains('\\') && !dir.contains('/');
    let separator = if windows { '\\' } else { '/' };
    let path = path
        .strip_prefix("./")
        .or_else(|| path.strip_prefix(".\\"))
        .unwrap_or(path);
    let path = if windows {
        path.replace('/', "\\")
    } else {
        path.to_owned()
    };
    error.path = Some(format!(
        "{}{separator}{path}",
        dir.trim_end_matches(['/', '\\'])
    ));
}

/// Whether a path is absolute (or a URL, or under the home directory): nothing to join.
fn absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with(['/', '\\', '~'])
        || path.contains("://")
        || bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(text: &str) -> (Vec<String>, Vec<Option<String>>) {
        let mut lines: Vec<&str> = text.lines().collect();
        let dirs = track(&mut lines);
        (
            lines.into_iter().map(str::to_owned).collect(),
            dirs.into_iter().map(|d| d.map(str::to_owned)).collect(),
        )
    }

    #[test]
    fn make_directories_nest_and_end() {
        let (_, dirs) = tracked(
            "make -C lib
make[1]: Entering directory '/w/s/lib'
src/a.c:1:1: error: x
make[2]: Entering directory `/w/s/lib/sub'
b.c:2:2: error: y
make[2]: Leaving directory `/w/s/lib/sub'
src/c.c:3:3: error: z
make[1]: Leaving directory '/w/s/lib'
top.c:4:4: error: w",
        );
        assert_eq!(dirs[0], None);
        assert_eq!(dirs[2].as_deref(), Some("/w/s/lib"));
        assert_eq!(dirs[4].as_deref(), Some("/w/s/lib/sub"));
        assert_eq!(dirs[6].as_deref(), Some("/w/s/lib"));
        assert_eq!(dirs[8], None);
    }

    #[test]
    fn pnpm_prefixes_are_taken_off_and_name_the_directory() {
        let (lines, dirs) = tracked(
            "Scope: 2 of 3 workspace projects
packages/admin ui build$ tsc -p .
packages/admin ui build: src/a.ts(6,9): error TS2322: Type 'string' is not assignable.
packages/admin ui build: Failed
not a prefixed line: src/b.ts(1,1): error TS1: x",
        );
        assert_eq!(
            lines[2],
            "src/a.ts(6,9): error TS2322: Type 'string' is not assignable."
        );
        assert_eq!(dirs[2].as_deref(), Some("packages/admin ui"));
        assert_eq!(lines[4], "not a prefixed line: src/b.ts(1,1): error TS1: x");
        assert_eq!(dirs[4], None);
    }

    #[test]
    fn npm_workspace_failures_name_their_directory() {
        let (_, dirs) = tracked(
            "> web@1.0.0 test
> jest
FAIL src/a.test.js
npm error code 1
npm error path /w/s/packages/web app
npm error workspace web@1.0.0
> api@1.0.0 test
> vitest run
npm error path /w/s/packages/api
> solo@1.0.0 build
npm error path /w/s",
        );
        assert_eq!(dirs[2].as_deref(), Some("/w/s/packages/web app"));
        // No `workspace` line: not a workspace run, nothing is said.
        assert_eq!(dirs[7], None);
        assert_eq!(dirs[9], None);
    }

    #[test]
    fn relative_paths_are_joined_and_others_kept() {
        let mut error = BuildError::new("gcc", "x", 0).at(Some("./src/a.c"), Some(1), None);
        resolve(&mut error, "/w/s/lib/");
        assert_eq!(error.path.as_deref(), Some("/w/s/lib/src/a.c"));
        let mut windows = BuildError::new("gcc", "x", 0).at(Some("src/a.c"), Some(1), None);
        resolve(&mut windows, "D:\\a\\1\\s\\lib");
        assert_eq!(windows.path.as_deref(), Some("D:\\a\\1\\s\\lib\\src\\a.c"));
        for kept in [
            "/usr/include/x.h",
            "C:\\x\\a.c",
            "file:///w/a.kt",
            "~/.cargo/x.rs",
        ] {
            let mut error = BuildError::new("gcc", "x", 0).at(Some(kept), Some(1), None);
            resolve(&mut error, "/w/s/lib");
            assert_eq!(error.path.as_deref(), Some(kept));
        }
    }
}
