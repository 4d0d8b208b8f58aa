//! PowerShell error records.
//!
//! Windows PowerShell (and PowerShell 7 with `$ErrorView = 'NormalView'`) prints a record as the
//! message, `At /…/deploy.ps1:12 char:5`, the offending line under `+ ` with `~` marks, and
//! `+ CategoryInfo : …` and `+ FullyQualifiedErrorId : …` lines; PowerShell 7's default view
//! prints `MethodInvocationException: /…/deploy.ps1:44`, `Line |`, the numbered source line, the
//! marks and the message after `| `. A record typed at a prompt (`At line:1 char:1`) names no
//! file. The `FullyQualifiedErrorId` is the error's code.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, group, number, regex, unecho};

static AT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^At (?P<path>.+?\.ps[md]?1):(?P<line>\d+) char:(?P<col>\d+)$"));
static CONCISE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:(?P<kind>[A-Z]\w*): )?(?P<path>(?:[A-Za-z]:[\\/]|/|\.{1,2}[\\/])[^:]*?\.ps[md]?1):(?P<line>\d+)$",
    )
});
static ERROR_ID: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s*\+ FullyQualifiedErrorId\s*: (?P<id>[^,\s]+)"));
static SOURCE_MARK: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*\+ "));
static CONCISE_TEXT: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*\| (?P<text>.*)$"));

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    for index in 0..log.len() {
        let (line, _) = unecho(log.line(index));
        let candidate = line.starts_with("At ") || line.ends_with(|c: char| c.is_ascii_digit());
        if !candidate || !line.contains(".ps") {
            continue;
        }
        if let Some(caps) = AT.captures(line) {
            normal_view(log, index, &caps, out);
        } else if let Some(caps) = CONCISE.captures(line) {
            if unecho(log.line(index + 1)).0.trim_end() == "Line |" {
                concise_view(log, index, &caps, out);
            }
        }
    }
}

fn normal_view(log: &Log<'_>, at: usize, caps: &regex::Captures<'_>, out: &mut Vec<Found>) {
    // The message is the text above `At …`, up to a blank line or another record.
    let mut start = at;
    while start > 0 && at - start < 4 {
        let (above, _) = unecho(log.line(start - 1));
        if above.trim().is_empty() || SOURCE_MARK.is_match(above) || AT.is_match(above) {
            break;
        }
        start -= 1;
    }
    let message: Vec<&str> = (start..at).map(|i| unecho(log.line(i)).0.trim()).collect();
    let message = message.join(" ");
    let message = if message.is_empty() {
        "PowerShell error"
    } else {
        message.as_str()
    };
    let code = (at + 1..log.len().min(at + 8))
        .map(|i| unecho(log.line(i)).0)
        .take_while(|l| SOURCE_MARK.is_match(l))
        .find_map(|l| {
            ERROR_ID
                .captures(l)
                .and_then(|c| group(&c, "id").map(str::to_owned))
        });
    let error = BuildError::new("powershell", message, start)
        .at(
            group(caps, "path"),
            number(caps.name("line")),
            number(caps.name("col")),
        )
        .with_code(code.as_deref());
    out.push(Found::error(error));
}

fn concise_view(log: &Log<'_>, at: usize, caps: &regex::Captures<'_>, out: &mut Vec<Found>) {
    let text: Vec<&str> = (at + 2..log.len().min(at + 12))
        .map(|i| unecho(log.line(i)).0)
        .take_while(|l| {
            l.trim_start()
                .starts_with(|c: char| c.is_ascii_digit() || c == '|')
        })
        .filter_map(|l| CONCISE_TEXT.captures(l))
        .filter_map(|c| c.name("text").map(|m| m.as_str().trim()))
        .filter(|t| !t.is_empty() && !t.chars().all(|c| c == '~'))
        .collect();
    let message = if text.is_empty() {
        group(caps, "kind").unwrap_or("PowerShell error").to_owned()
    } else {
        text.join(" ")
    };
    let error = BuildError::new("powershell", &message, at)
        .at(group(caps, "path"), number(caps.name("line")), None)
        .with_code(group(caps, "kind"));
    out.push(Found::error(error));
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<BuildError> {
        found(extract, text).into_iter().map(|f| f.error).collect()
    }

    // PowerShell is not in Debian's archive, so no fixture here comes from running it. The two
    // layouts follow the records quoted in alanrenouf/vCheck-vSphere#679 (NormalView on Linux:
    // "At /home/…/vCheck.ps1:833 char:2", "+ FullyQualifiedErrorId : InvokeMethodOnNull") and
    // shupershuff/PalworldServerTools#9 (PowerShell 7's ConciseView: "MethodInvocationException:
    // /home/…/PalworldServerTools.ps1:44", "Line |"), with this project's names.
    #[test]
    fn normal_and_concise_views() {
        let found = run("You cannot call a method on a null-valued expression.
At /home/vsts/work/1/s/deploy scripts/deploy.ps1:33 char:2
+     ($settings.GetEnumerator() | Where-Object { $_.Name -match 'x' })
+     ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    + CategoryInfo          : InvalidOperation: (:) [], RuntimeException
    + FullyQualifiedErrorId : InvokeMethodOnNull

Get-Item : Cannot find path 'x' because it does not exist.
At line:1 char:1
+ Get-Item x
MethodInvocationException: D:\\a\\1\\s\\build\\Publish.ps1:44
Line |
  44 |  $root = ((Get-ChildItem -Path $PSScriptRoot)[0].FullName).Substring(2, -1)
     |  ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
     | Exception calling \"Substring\" with \"2\" argument(s): \"length ('-1') must be a non-negative value.\"
");
        let shown: Vec<_> = found
            .iter()
            .map(|e| {
                (
                    e.path.as_deref(),
                    e.line,
                    e.code.as_deref(),
                    e.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    Some("/home/vsts/work/1/s/deploy scripts/deploy.ps1"),
                    Some(33),
                    Some("InvokeMethodOnNull"),
                    "You cannot call a method on a null-valued expression."
                ),
                (
                    Some("D:\\a\\1\\s\\build\\Publish.ps1"),
                    Some(44),
                    Some("MethodInvocationException"),
                    "Exception calling \"Substring\" with \"2\" argument(s): \"length ('-1') must be a non-negative value.\""
                ),
            ]
        );
    }
}
