//! gcc and clang diagnostics, and the linkers' errors (GNU ld, gold, lld, mold, Apple ld).
//!
//! `src/a.c:12:5: error: …` (also `fatal error:`), for C-family sources only, with the lines that
//! belong to it: the snippet and caret, a fix-it under the caret (`|     ;`), `note:` lines and
//! `-fdiagnostics-parseable-fixits` lines, kept as help. The warning flag in brackets
//! (`[-Werror=unused-variable]`) becomes the code. The drivers' own errors (`gcc: error: …`) count;
//! `collect2: error: ld returned 1 exit status` and `clang: error: linker command failed` only
//! say that the link failed, so they are weak. Linker errors carry no line unless the object has
//! debug information (`/src/a.c:12: undefined reference to …`).

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, group, indented, number, push_help, regex, unecho};

static DIAG: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?P<path>(?:[A-Za-z]:)?[^\s:][^:]*?\.(?P<ext>[A-Za-z0-9+]+)):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<kind>fatal error|error|warning|note): (?P<msg>.+)$",
    )
});
static FLAG: LazyLock<Regex> = LazyLock::new(|| regex(r"\s+\[(?P<flag>-W[^\]\s]+)\]$"));
static DRIVER: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:[\w.+-]*-)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|cc1|cc1plus|cc1obj|collect2|cpp)(?:-\d+(?:\.\d+)*)?(?:\.exe)?: (?:fatal error|error): (?P<msg>.+)$",
    )
});
static LINK_WRAPPER: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?:ld returned \d+ exit status|linker command failed with exit code)")
});
static LINKER: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:(?:[A-Za-z]:)?[^\s:]*[/\\])?(?:ld|ld\.bfd|ld\.gold|ld\.lld|lld|lld-link|ld64\.lld|ld64|mold)(?:\.exe)?: (?P<msg>.+)$",
    )
});
static UNDEFINED: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:(?:(?:[A-Za-z]:)?[^\s:]*[/\\])?ld(?:\.\w+)?(?:\.exe)?: )?(?:[^\s:]+\.o(?:bj)?:)?(?P<file>(?:[A-Za-z]:)?[^\s:][^:]*?):(?:(?P<line>\d+)|\(\.[\w.$]+\+0x[0-9a-fA-F]+\)): (?P<msg>(?:undefined reference to|multiple definition of) .+)$",
    )
});
static APPLE_UNDEFINED: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?:ld: )?Undefined symbols(?: for architecture (?P<arch>\S+))?:$"));
static APPLE_SYMBOL: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"^\s+"?(?P<symbol>[^",]+)"?, referenced from:$"#));
static CARET: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*(?:\|\s*)?[~^][~^\s]*$"));
static FIX_IT: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*(?:\|\s*)?(?P<text>[^\s|~^][^|]*)$"));

/// Source extensions of the C family (C, C++, Objective-C, CUDA, assembly, headers).
const C_FAMILY: [&str; 24] = [
    "c", "h", "cc", "cp", "cpp", "cxx", "c++", "hpp", "hh", "hxx", "h++", "m", "mm", "cu", "cuh",
    "inl", "ipp", "tcc", "tpp", "s", "asm", "ino", "ixx", "cppm",
];

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut apple_block = false;
    let mut index = 0;
    while index < log.len() {
        let (line, echo) = unecho(log.line(index));
        if let Some(caps) = APPLE_UNDEFINED.captures(line) {
            apple_block = true;
            index = apple(log, index, caps.name("arch").map(|m| m.as_str()), out);
            continue;
        }
        if line.contains(": ") {
            if let Some(next) = diagnostic(log, index, line, echo, out) {
                index = next;
                continue;
            }
            if let Some(caps) = DRIVER.captures(line) {
                let message = &caps["msg"];
                let error = BuildError::new("gcc", message, index);
                out.push(if LINK_WRAPPER.is_match(message) {
                    Found::weak(error)
                } else {
                    Found::error(error).echoed(echo)
                });
            } else if let Some(caps) = UNDEFINED.captures(line) {
                let mut error = BuildError::new("gcc", &caps["msg"], index);
                if caps.name("line").is_some() {
                    error = error.at(group(&caps, "file"), number(caps.name("line")), None);
                }
                out.push(Found::error(error).echoed(echo));
            } else if let Some(caps) = LINKER.captures(line) {
                if let Some(next) = linker(log, index, &caps["msg"], apple_block, out) {
                    index = next;
                    continue;
                }
            }
        }
        index += 1;
    }
}

/// A compiler diagnostic at `start`; returns where to continue.
fn diagnostic(
    log: &Log<'_>,
    start: usize,
    line: &str,
    echo: bool,
    out: &mut Vec<Found>,
) -> Option<usize> {
    let caps = DIAG.captures(line)?;
    if !matches!(&caps["kind"], "error" | "fatal error") {
        return None;
    }
    let ext = caps["ext"].to_ascii_lowercase();
    if !C_FAMILY.contains(&ext.as_str()) {
        return None;
    }
    let mut message = &caps["msg"];
    let mut code = None;
    if let Some(flag) = FLAG.captures(message) {
        let last = flag["flag"].rsplit(',').next().unwrap_or_default();
        code = Some(match last.strip_prefix("-Werror=") {
            Some(name) => format!("-W{name}"),
            None => last.to_owned(),
        });
        message = &message[..flag.get(0).map_or(message.len(), |m| m.start())];
    }
    let mut error = BuildError::new("gcc", message, start)
        .at(
            group(&caps, "path"),
            number(caps.name("line")),
            number(caps.name("col")),
        )
        .with_code(code.as_deref());
    let mut index = start + 1;
    let mut after_caret = false;
    while index < log.len() {
        let line = log.line(index);
        if let Some(note) = DIAG.captures(line) {
            if &note["kind"] != "note" {
                break;
            }
            push_help(&mut error.help, line);
        } else if line.starts_with("note: ") || line.starts_with("fix-it:") {
            push_help(&mut error.help, line);
        } else if line.starts_with("In file included from ") {
            // The include chain of a note that follows.
        } else if !indented(line) {
            break;
        } else if CARET.is_match(line) {
            after_caret = true;
            index += 1;
            continue;
        } else if after_caret {
            if let Some(fix) = FIX_IT.captures(line) {
                push_help(&mut error.help, &format!("fix-it: {}", fix["text"].trim()));
            }
        }
        after_caret = false;
        index += 1;
    }
    out.push(Found::error(error).echoed(echo));
    Some(index)
}

/// A linker's line (`/usr/bin/ld: …`, `ld.lld: error: …`); returns where to continue, or `None`
/// when the line is not an error.
fn linker(
    log: &Log<'_>,
    start: usize,
    message: &str,
    apple_block: bool,
    out: &mut Vec<Found>,
) -> Option<usize> {
    let message = message.strip_prefix("error: ").unwrap_or(message);
    let context = message.ends_with("':") && message.contains("function")
        || message.starts_with("warning:")
        || message.starts_with("note:")
        || message.starts_with("Undefined symbols")
        || apple_block && message.starts_with("symbol(s) not found");
    if context {
        return None;
    }
    let mut error = BuildError::new("gcc", message, start);
    let mut index = start + 1;
    // lld: `>>> referenced by main.c:5 (src/main.c:5)`.
    while log.line(index).starts_with(">>> ") {
        push_help(&mut error.help, log.line(index));
        index += 1;
    }
    out.push(Found::error(error));
    Some(index)
}

/// Apple ld's block: one error per undefined symbol; returns where to continue.
fn apple(log: &Log<'_>, start: usize, arch: Option<&str>, out: &mut Vec<Found>) -> usize {
    let mut index = start + 1;
    while index < log.len() && indented(log.line(index)) {
        if let Some(caps) = APPLE_SYMBOL.captures(log.line(index)) {
            let message = match arch {
                Some(arch) => format!(
                    "undefined symbol for architecture {arch}: {}",
                    &caps["symbol"]
                ),
                None => format!("undefined symbol: {}", &caps["symbol"]),
            };
            let mut error = BuildError::new("gcc", &message, index);
            index += 1;
            while APPLE_SYMBOL.captures(log.line(index)).is_none()
                && log.line(index).starts_with("      ")
            {
                push_help(
                    &mut error.help,
                    &format!("referenced from {}", log.line(index).trim()),
                );
                index += 1;
            }
            out.push(Found::error(error));
        } else {
            index += 1;
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::super::BuildError;
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<(BuildError, bool)> {
        found(extract, text)
            .into_iter()
            .map(|f| (f.error, f.weak))
            .collect()
    }

    #[test]
    fn gcc_error_with_snippet_note_and_flag() {
        let found = run("src/net.c: In function 'connect_all':
src/net.c:42:9: error: implicit declaration of function 'open_socket'; did you mean 'open_sockets'? [-Werror=implicit-function-declaration]
   42 |         open_socket(host);
      |         ^~~~~~~~~~~
      |         open_sockets
src/net.h:7:5: note: 'open_sockets' declared here
    7 | int open_sockets(const char *host);
      |     ^~~~~~~~~~~~
src/net.c:50:13: warning: unused variable 'n' [-Wunused-variable]
cc1: all warnings being treated as errors
make: *** [Makefile:12: src/net.o] Error 1");
        assert_eq!(found.len(), 1);
        let e = &found[0].0;
        assert_eq!(
            e.message,
            "implicit declaration of function 'open_socket'; did you mean 'open_sockets'?"
        );
        assert_eq!(e.code.as_deref(), Some("-Wimplicit-function-declaration"));
        assert_eq!(
            (e.path.as_deref(), e.line, e.column),
            (Some("src/net.c"), Some(42), Some(9))
        );
        assert_eq!(
            e.help,
            [
                "fix-it: open_sockets",
                "src/net.h:7:5: note: 'open_sockets' declared here"
            ]
        );
    }

    #[test]
    fn clang_fix_it_fatal_errors_and_other_languages() {
        let found = run("main.c:5:11: error: expected ';' after return statement
    5 |   return 0
      |           ^
      |           ;
1 error generated.
include/cfg.h:1:10: fatal error: 'yaml.h' file not found
    1 | #include <yaml.h>
      |          ^~~~~~~~
src/app.py:12: error: Incompatible types in assignment  [assignment]
App.java:3: error: cannot find symbol
gcc: error: unrecognized command-line option '-fno-such-thing'");
        let errors: Vec<_> = found.iter().map(|(e, _)| e).collect();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert_eq!(errors[0].help, ["fix-it: ;"]);
        assert_eq!(errors[1].message, "'yaml.h' file not found");
        assert_eq!(
            errors[2].message,
            "unrecognized command-line option '-fno-such-thing'"
        );
        assert_eq!(errors[2].path, None);
    }

    #[test]
    fn linker_errors() {
        let found = run(
            "/usr/bin/ld: CMakeFiles/app.dir/main.c.o: in function `main':
main.c:(.text+0x1e): undefined reference to `parse_config'
/usr/bin/ld: /home/vsts/work/1/s/src/io.c:33: undefined reference to `log_line'
/usr/bin/ld: cannot find -lyaml: No such file or directory
/usr/bin/ld: warning: libfoo.so.1, needed by bar.so, not found
ld.lld: error: undefined symbol: net_init
>>> referenced by main.c:5 (src/main.c:5)
>>>               main.o:(main)
collect2: error: ld returned 1 exit status",
        );
        let strong: Vec<_> = found
            .iter()
            .filter(|(_, weak)| !weak)
            .map(|(e, _)| e)
            .collect();
        assert_eq!(strong.len(), 4, "{strong:#?}");
        assert_eq!(strong[0].message, "undefined reference to `parse_config'");
        assert_eq!(strong[0].path, None);
        assert_eq!(
            strong[1].path.as_deref(),
            Some("/home/vsts/work/1/s/src/io.c")
        );
        assert_eq!(strong[1].line, Some(33));
        assert_eq!(
            strong[2].message,
            "cannot find -lyaml: No such file or directory"
        );
        assert_eq!(strong[3].message, "undefined symbol: net_init");
        assert_eq!(strong[3].help.len(), 2);
        assert!(found.last().is_some_and(|(_, weak)| *weak));
    }

    #[test]
    fn apple_linker_block() {
        let found = run("Undefined symbols for architecture arm64:
  \"_net_init\", referenced from:
      _main in main.o
ld: symbol(s) not found for architecture arm64
clang: error: linker command failed with exit code 1 (use -v to see invocation)");
        let strong: Vec<_> = found
            .iter()
            .filter(|(_, weak)| !weak)
            .map(|(e, _)| e)
            .collect();
        assert_eq!(strong.len(), 1, "{strong:#?}");
        assert_eq!(
            strong[0].message,
            "undefined symbol for architecture arm64: _net_init"
        );
        assert_eq!(strong[0].help, ["referenced from _main in main.o"]);
    }
}
