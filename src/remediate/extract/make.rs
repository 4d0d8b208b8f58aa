//! GNU make's own errors.
//!
//! A makefile that make cannot read is reported at its line, `Makefile:3: *** missing separator.
//! Stop.`; a target it cannot build without a command failing first, `make: *** No rule to make
//! target 'x', needed by 'all'.  Stop.`. A recipe that failed (`make[1]: *** [Makefile:4: lib]
//! Error 2`, `make: *** [lib] Error 1`) only wraps what its command printed above: weak. The
//! directories make enters are read by [`super::directory`].

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, group, number, regex, unecho};

static AT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?P<path>(?:[A-Za-z]:)?[^\s:*][^:*]*?):(?P<line>\d+): \*\*\* (?P<msg>.+?)\.?(?:  Stop\.)?$",
    )
});
static MAKE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:[^\s:]*[/\\])?(?:g?make|mingw32-make)(?:\.exe)?(?:\[\d+\])?: \*\*\* (?P<msg>.+?)\.?(?:  Stop\.)?$",
    )
});
/// A recipe's failure: `[Makefile:4: lib] Error 2`, `[lib] Error 1`, `[all] Interrupt`.
static RECIPE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^\[.+\] (?:Error -?\d+(?: \(ignored\))?|Interrupt|Segmentation fault.*)$")
});

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    for index in 0..log.len() {
        let (line, echo) = unecho(log.line(index));
        if !line.contains("*** ") {
            continue;
        }
        if let Some(caps) = MAKE.captures(line) {
            let message = &caps["msg"];
            if message.starts_with("Waiting for unfinished jobs") {
                continue;
            }
            let error = BuildError::new("make", message, index);
            out.push(if RECIPE.is_match(message) {
                Found::weak(error)
            } else {
                Found::error(error).echoed(echo)
            });
        } else if let Some(caps) = AT_LINE.captures(line) {
            let error = BuildError::new("make", &caps["msg"], index).at(
                group(&caps, "path"),
                number(caps.name("line")),
                None,
            );
            out.push(Found::error(error).echoed(echo));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    #[test]
    fn makefile_errors_and_recipe_failures() {
        // GNU Make 4.3.
        let found = found(
            extract,
            "make[1]: Entering directory '/w/s/docs'
Makefile:3: *** missing separator.  Stop.
make[1]: Leaving directory '/w/s/docs'
make: *** [Makefile:4: docs] Error 2
make: *** No rule to make target 'lib/missing.o', needed by 'all'.  Stop.
make: Target 'all' not remade because of errors.
make: *** Waiting for unfinished jobs....
src/a.c:1:1: error: *** not make's
D:\\a\\1\\s\\docs\\Makefile:7: *** recipe commences before first target.  Stop.",
        );
        let shown: Vec<_> = found
            .iter()
            .map(|f| {
                (
                    f.error.path.as_deref(),
                    f.error.line,
                    f.error.message.as_str(),
                    f.weak,
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (Some("Makefile"), Some(3), "missing separator", false),
                (None, None, "[Makefile:4: docs] Error 2", true),
                (
                    None,
                    None,
                    "No rule to make target 'lib/missing.o', needed by 'all'",
                    false
                ),
                (
                    Some("D:\\a\\1\\s\\docs\\Makefile"),
                    Some(7),
                    "recipe commences before first target",
                    false
                ),
            ]
        );
    }
}
