//! The same error reported twice, and the step failure that only says "it failed".
//!
//! Tools and the agent repeat themselves: MSBuild lists every error again after "Build FAILED.",
//! Maven again under "Failed to execute goal", Jest again under "Summary of all failing tests",
//! and the agent echoes a task's issues as `##[error]` lines (with another path spelling and a
//! capitalised `Error`). Two reports are the same error when they name the same file (by its
//! last component, without regard to case), line, column and code where both have them, and one
//! message contains the other; the more detailed report is kept, with the help of the other if
//! it has none. Weak reports are kept only when nothing better was found: a tool's wrapper around
//! errors printed above (npm's failed script, Maven's failed goal) only without errors, and the
//! step failing (`##[error]Bash exited with code '1'.`) only when the log holds nothing else.

use std::collections::HashMap;

use super::{BuildError, Found};

const AZURE: &str = "azure-pipelines";

/// How many of the reports before it an `##[error]` echo is compared with: the agent writes an
/// issue next to the tool's line, and the bound keeps a log of thousands of issues linear.
const ECHO_REACH: usize = 64;

pub(super) fn resolve(mut found: Vec<Found>) -> Vec<BuildError> {
    let best = found.iter().map(tier).max().unwrap_or(Tier::StepFailed);
    found.retain(|f| tier(f) == best);
    found.sort_by_key(|f| f.error.log_line);

    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    let mut by_place: HashMap<(String, u32), Vec<usize>> = HashMap::new();
    let mut generic: Vec<usize> = Vec::new();
    for report in found {
        let duplicate = if report.error.tool == AZURE {
            // An `##[error]` line no extractor understood: the same as an error near it whose
            // message it repeats.
            (kept.len().saturating_sub(ECHO_REACH)..kept.len())
                .find(|&s| contains_either(&kept[s].error.message, &report.error.message))
        } else {
            by_place
                .get(&place(&report.error))
                .and_then(|slots| slots.iter().copied().find(|&s| same(&kept[s], &report)))
                .or_else(|| {
                    let recent = &generic[generic.len().saturating_sub(ECHO_REACH)..];
                    recent
                        .iter()
                        .copied()
                        .find(|&s| contains_either(&kept[s].error.message, &report.error.message))
                })
        };
        match duplicate {
            Some(slot) => merge(&mut kept[slot], report),
            None => {
                let slot = kept.len();
                if report.error.tool == AZURE {
                    generic.push(slot);
                } else {
                    by_place.entry(place(&report.error)).or_default().push(slot);
                }
                kept.push(report);
            }
        }
    }
    let mut errors: Vec<BuildError> = kept.into_iter().map(|f| f.error).collect();
    errors.sort_by_key(|e| e.log_line);
    errors
}

/// What a report is worth: an error; a tool's wrapper around errors (npm's failed script,
/// Maven's failed goal, Gradle's failed task), which says at least which tool and what; or the
/// step failing with an exit code. Only the reports of the best tier present are kept.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    StepFailed,
    Wrapper,
    Error,
}

fn tier(found: &Found) -> Tier {
    match (found.weak, found.error.tool) {
        (false, _) => Tier::Error,
        (true, AZURE) => Tier::StepFailed,
        (true, _) => Tier::Wrapper,
    }
}

/// The file name (last component, lower case) and line: where two reports can be the same.
fn place(error: &BuildError) -> (String, u32) {
    let name = error
        .path
        .as_deref()
        .map(|p| p.rsplit(['/', '\\']).next().unwrap_or(p).to_lowercase())
        .unwrap_or_default();
    (name, error.line.unwrap_or(0))
}

fn same(a: &Found, b: &Found) -> bool {
    let (x, y) = (&a.error, &b.error);
    let fits = |p: Option<u32>, q: Option<u32>| p.is_none() || q.is_none() || p == q;
    let codes = match (&x.code, &y.code) {
        (Some(p), Some(q)) => p.eq_ignore_ascii_case(q),
        _ => true,
    };
    let located = x.path.is_some() && x.line.is_some();
    x.tool == y.tool
        && same_file(x.path.as_deref(), y.path.as_deref())
        && fits(x.column, y.column)
        && codes
        && if located {
            contains_either(&x.message, &y.message)
        } else {
            x.message == y.message
        }
}

/// Whether two spellings of a path can name the same file: one is the other's tail, in whole
/// components and without regard to case or separators (`src\\Lib.cs` and `D:/a/1/s/src/Lib.cs`;
/// not `lib/src/util.c` and `app/src/util.c`, two files that two sub-makes compiled).
fn same_file(a: Option<&str>, b: Option<&str>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return true;
    };
    let parts = |p: &str| -> Vec<String> {
        p.split(['/', '\\'])
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (parts(a), parts(b));
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    long.ends_with(short)
}

fn contains_either(a: &str, b: &str) -> bool {
    !a.is_empty() && !b.is_empty() && (a.contains(b) || b.contains(a))
}

/// How much a report says: its position, code and help, and then whether it is the tool's own
/// line rather than an echo.
fn detail(found: &Found) -> (usize, bool) {
    let e = &found.error;
    let fields = [
        e.path.is_some(),
        e.line.is_some(),
        e.column.is_some(),
        e.code.is_some(),
    ]
    .into_iter()
    .filter(|&f| f)
    .count();
    (fields + e.help.len().min(4), !found.echo)
}

fn merge(kept: &mut Found, other: Found) {
    let (mut winner, loser) = if detail(&other) > detail(kept) {
        (
            other,
            std::mem::replace(kept, Found::error(BuildError::new(AZURE, "", 0))),
        )
    } else {
        (
            std::mem::replace(kept, Found::error(BuildError::new(AZURE, "", 0))),
            other,
        )
    };
    let e = &mut winner.error;
    let l = loser.error;
    if e.help.is_empty() {
        e.help = l.help;
    }
    if e.path.is_none() && e.line.is_none() {
        e.path = l.path;
        e.line = l.line;
    }
    e.column = e.column.or(l.column);
    e.code = e.code.take().or(l.code);
    if e.message.len() < l.message.len() && l.message.contains(e.message.as_str()) {
        e.message = l.message;
    }
    *kept = winner;
}

#[cfg(test)]
mod tests {
    use super::super::extract;
    use super::super::tests::lines;

    #[test]
    fn msbuild_summary_and_echo_are_one_error() {
        let log = lines(
            "/home/vsts/work/1/s/src/App/Program.cs(10,13): error CS0103: The name 'x' does not exist in the current context [/home/vsts/work/1/s/src/App/App.csproj]\n\
             ##[error]src/App/Program.cs(10,13): Error CS0103: The name 'x' does not exist in the current context\n\
             \n\
             Build FAILED.\n\
             \n\
             /home/vsts/work/1/s/src/App/Program.cs(10,13): error CS0103: The name 'x' does not exist in the current context [/home/vsts/work/1/s/src/App/App.csproj]\n\
             \x20   0 Warning(s)\n\
             \x20   1 Error(s)",
        );
        let found = extract(&log);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].log_line, 0);
        assert_eq!(
            found[0].path.as_deref(),
            Some("/home/vsts/work/1/s/src/App/Program.cs")
        );
        assert_eq!(found[0].code.as_deref(), Some("CS0103"));
    }

    #[test]
    fn an_echo_of_an_unknown_line_is_merged_with_the_tool_error() {
        let log = lines(
            "##[error]undefined reference to `parse_config'\n\
             /usr/bin/ld: main.o: in function `main':\n\
             main.c:(.text+0x1e): undefined reference to `parse_config'\n\
             collect2: error: ld returned 1 exit status",
        );
        let found = extract(&log);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].tool, "gcc");
    }

    #[test]
    fn different_errors_on_one_line_stay_apart() {
        let log = lines(
            "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\n\
             src/a.ts(3,7): error TS2454: Variable 'y' is used before being assigned.",
        );
        assert_eq!(extract(&log).len(), 2);
    }
}
