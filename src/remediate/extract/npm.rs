//! npm's own errors: `npm ERR!` (npm 6 to 9) and `npm error` (npm 10 and later); and the line
//! pnpm and Yarn print for a script that failed.
//!
//! npm prints one block of such lines per failure: key-value lines (`code E404`, `errno -2`,
//! `syscall open`, `path …`), the message, details and advice. The error is the block's code and
//! its first meaningful line (`404 Not Found - GET https://registry.npmjs.org/…`,
//! `ERESOLVE unable to resolve dependency tree`); the lines after it are kept as help. It names no
//! file of the repository. A script that failed (`code ELIFECYCLE`, `Lifecycle script \`build\`
//! failed with error:`, `command failed`) only wraps the errors its command printed above: weak.
//! A run over several workspaces fails once per workspace (`workspace web@1.0.0`): the
//! workspace names the error.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, push_help, regex};

static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?P<key>code|errno|syscall|path|dest|workspace|location|command|signal|cwd|type) (?P<value>.*)$",
    )
});
static WRAPPER: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:Lifecycle script `[^`]*` failed|command failed|Test failed\.|Failed at the |\S+@\S+ \w[\w:-]*: `|Exit status \d+)",
    )
});
/// Lines that are npm's advice, not the error.
static NOISE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:A complete log of this run can be found in|Log files were not written|You can rerun the command with|This is probably not a problem with npm|\s*/\S+\.log$|\s*[A-Za-z]:\\\S+\.log$)",
    )
});

/// pnpm's and Yarn's own line for a script that failed.
static RUNNER_FAILED: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?P<runner>\[ELIFECYCLE\]|error) (?P<msg>Command failed with (?:exit code \d+|signal \w+)\.)$",
    )
});

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    runners(log, out);
    let mut index = 0;
    while index < log.len() {
        if body(log.line(index)).is_none() {
            index += 1;
            continue;
        }
        let start = index;
        let mut code: Option<&str> = None;
        let mut workspace: Option<&str> = None;
        let mut message: Option<(usize, &str)> = None;
        let mut wrapper = false;
        let mut help = Vec::new();
        while let Some(text) = body(log.line(index)) {
            let text = text.trim_end();
            if let Some(caps) = KEY_VALUE.captures(text) {
                if &caps["key"] == "code" && code.is_none() {
                    code = caps.name("value").map(|m| m.as_str().trim());
                }
                if &caps["key"] == "workspace" && workspace.is_none() {
                    workspace = caps.name("value").map(|m| m.as_str().trim());
                }
                if &caps["key"] == "command" && caps["value"].trim() == "failed" {
                    wrapper = true;
                }
            } else if !text.trim().is_empty() && !NOISE.is_match(text) {
                match message {
                    None => {
                        wrapper |= WRAPPER.is_match(text.trim());
                        message = Some((index, text.trim()));
                    }
                    Some(_) => push_help(&mut help, text),
                }
            }
            index += 1;
        }
        // An exit status is not a code (`npm error code 2` after a failed script).
        let code = code.filter(|c| !c.chars().all(|ch| ch.is_ascii_digit() || ch == '-'));
        wrapper |= code == Some("ELIFECYCLE");
        let Some((at, text)) = message.or_else(|| code.map(|c| (start, c))) else {
            continue;
        };
        // `npm --workspaces` fails once per workspace, each with the same words.
        let text = match workspace {
            Some(workspace) => format!("{workspace}: {text}"),
            None => text.to_owned(),
        };
        let mut error = BuildError::new("npm", &text, at).with_code(code);
        error.help = help;
        out.push(if wrapper {
            Found::weak(error)
        } else {
            Found::error(error)
        });
    }
}

/// The text after npm's prefix, when the line is one of npm's error lines.
/// pnpm (`[ELIFECYCLE] Command failed with exit code 3.`, after its package's `Failed` line) and
/// Yarn (`error Command failed with exit code 3.`): a script failed, wrapping what it printed.
/// A script pnpm stopped because another one failed (`signal SIGTERM`) did not fail itself.
fn runners(log: &Log<'_>, out: &mut Vec<Found>) {
    for index in 0..log.len() {
        let line = log.line(index);
        if !line.starts_with("[ELIFECYCLE] ") && !line.starts_with("error Command ") {
            continue;
        }
        let Some(caps) = RUNNER_FAILED.captures(line) else {
            continue;
        };
        let message = &caps["msg"];
        let error = if &caps["runner"] == "error" {
            BuildError::new("yarn", message, index)
        } else {
            if message.contains("signal SIGTERM") {
                continue;
            }
            let package = index
                .checked_sub(1)
                .filter(|&above| log.line(above) == "Failed")
                .and_then(|above| log.dir(above));
            match package {
                Some(dir) => BuildError::new("pnpm", &format!("{dir}: {message}"), index),
                None => BuildError::new("pnpm", message, index),
            }
        };
        out.push(Found::weak(error));
    }
}

fn body(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("npm ERR!")
        .or_else(|| line.strip_prefix("npm error"))?;
    match rest.chars().next() {
        None => Some(""),
        Some(' ') => Some(&rest[1..]),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<(BuildError, bool)> {
        found(extract, text)
            .into_iter()
            .map(|f| (f.error, f.weak))
            .collect()
    }

    #[test]
    fn registry_and_resolution_errors() {
        let found = run("npm ERR! code E404
npm ERR! 404 Not Found - GET https://registry.npmjs.org/@acme%2fwidgets - Not found
npm ERR! 404
npm ERR! 404  '@acme/widgets@^2.1.0' is not in this registry.

npm ERR! A complete log of this run can be found in:
npm ERR!     /home/vsts/.npm/_logs/2026-11-30T10_00_00_000Z-debug-0.log");
        assert_eq!(found.len(), 1, "{found:#?}");
        let (e, weak) = &found[0];
        assert!(!weak);
        assert_eq!(e.code.as_deref(), Some("E404"));
        assert_eq!(
            e.message,
            "404 Not Found - GET https://registry.npmjs.org/@acme%2fwidgets - Not found"
        );
        assert_eq!(
            e.help,
            [
                "404",
                "404  '@acme/widgets@^2.1.0' is not in this registry."
            ]
        );
    }

    #[test]
    fn failed_scripts_are_weak() {
        let found = run("npm error Lifecycle script `build` failed with error:
npm error code 2
npm error path /home/vsts/work/1/s/web
npm error workspace web@1.0.0
npm error location /home/vsts/work/1/s/web
npm error command failed
npm error command sh -c tsc -p .");
        assert_eq!(found.len(), 1);
        assert!(found[0].1);
        assert_eq!(found[0].0.code, None);

        let old = run("npm ERR! code ELIFECYCLE
npm ERR! errno 1
npm ERR! web@1.0.0 test: `jest --ci`
npm ERR! Exit status 1");
        assert!(old[0].1);
        assert_eq!(old[0].0.message, "web@1.0.0 test: `jest --ci`");
    }

    #[test]
    fn warnings_and_look_alikes_are_not_npm_errors() {
        assert!(
            run("npm WARN deprecated inflight@1.0.6\nnpm errors-handler ok\nnpm error-free")
                .is_empty()
        );
    }
}
