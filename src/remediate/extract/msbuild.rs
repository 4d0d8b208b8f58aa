//! MSBuild and `dotnet build` errors, in MSBuild's canonical format.
//!
//! `origin(position): [fatal] error CODE: text [project]`, where the origin is a file
//! (`Program.cs(10,13)`, positions `(l)`, `(l,c)`, `(l-l)`, `(l,c,l,c)`), a project or solution
//! (`App.csproj : error NU1101: …`), a tool (`MSBUILD : error MSB1009: …`, `CSC : error CS5001`,
//! `LINK : fatal error LNK1181`) or nothing (`error NETSDK1045: …`). The project in brackets that
//! MSBuild appends is not part of the message. A parallel build's node prefix (`2>`) and the
//! agent's `##[error]` echo (`##[error]src\App\Program.cs(10,13): Error CS0103: …`) are read too;
//! the repeats after "Build FAILED." are merged by de-duplication. TypeScript's errors have the
//! same shape and belong to `tsc` unless MSBuild appended a project.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, group, regex, unecho};

static CANONICAL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:\s*\d+>)?\s*(?P<origin>(?:[A-Za-z]:)?[^:]*?)(?:\((?P<pos>\d+(?:[,-]\d+){0,3})\))?\s*:\s*(?:fatal )?(?i:error)(?:\s+(?P<code>[A-Za-z]+\d+))?\s*:\s*(?P<msg>.*)$",
    )
});
static BARE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?:\s*\d+>)?\s*(?:fatal )?(?i:error) (?P<code>[A-Za-z]+\d+)\s*:\s*(?P<msg>.+)$")
});
static PROJECT: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\s+\[[^\[\]]+?\.(?:[a-z]*proj|sln|slnx|slnf|targets|props|proj)(?:::[^\]]*)?\]$")
});
static TS_CODE: LazyLock<Regex> = LazyLock::new(|| regex(r"^TS\d+$"));

/// Origins that name a tool, not a file.
const TOOLS: [&str; 11] = [
    "msbuild", "exec", "csc", "vbc", "fsc", "link", "cl", "lib", "rc", "midl", "nuget",
];

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    for index in 0..log.len() {
        let (line, echo) = unecho(log.line(index));
        // Cheap test first: the category is always spelled `error`, in some case.
        if !line.contains("rror") && !line.contains("RROR") {
            continue;
        }
        if let Some(error) = parse(line, index) {
            out.push(Found::error(error).echoed(echo));
        }
    }
}

fn parse(line: &str, index: usize) -> Option<BuildError> {
    let (origin, position, code, message) = if let Some(caps) = CANONICAL.captures(line) {
        (
            group(&caps, "origin")
                .map(str::trim)
                .filter(|o| !o.is_empty()),
            group(&caps, "pos"),
            group(&caps, "code"),
            group(&caps, "msg")?,
        )
    } else {
        let caps = BARE.captures(line)?;
        (None, None, group(&caps, "code"), group(&caps, "msg")?)
    };
    let project = PROJECT.find(message);
    let known_tool = origin.is_some_and(|o| TOOLS.contains(&o.to_ascii_lowercase().as_str()));
    if code.is_none() && position.is_none() && project.is_none() && !known_tool {
        return None;
    }
    if code.is_some_and(|c| TS_CODE.is_match(c)) && project.is_none() {
        return None;
    }
    let message = match project {
        Some(found) => &message[..found.start()],
        None => message,
    };
    if message.trim().is_empty() {
        return None;
    }
    let path = origin.filter(|o| {
        !known_tool && (position.is_some() || o.contains(['/', '\\']) || has_extension(o))
    });
    let (line_number, column) = position.map(parse_position).unwrap_or_default();
    Some(
        BuildError::new("msbuild", message, index)
            .at(path, line_number, column)
            .with_code(code),
    )
}

fn has_extension(origin: &str) -> bool {
    origin.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// `12`, `12,5`, `12-14`, `12,5-9`, `12,5,12,9`: the line, and the column when one follows a comma.
fn parse_position(position: &str) -> (Option<u32>, Option<u32>) {
    let mut numbers = position.split([',', '-']);
    let line = numbers.next().and_then(|n| n.parse().ok());
    let column = position
        .split_once(',')
        .and_then(|(_, rest)| rest.split([',', '-']).next())
        .and_then(|n| n.parse().ok());
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Option<BuildError> {
        parse(unecho(line).0, 0)
    }

    #[test]
    fn compiler_errors_with_positions_and_project() {
        let e = one("/home/vsts/work/1/s/src/App/Program.cs(10,13): error CS0103: The name 'x' does not exist in the current context [/home/vsts/work/1/s/src/App/App.csproj]").expect("error");
        assert_eq!(
            e.path.as_deref(),
            Some("/home/vsts/work/1/s/src/App/Program.cs")
        );
        assert_eq!((e.line, e.column), (Some(10), Some(13)));
        assert_eq!(e.code.as_deref(), Some("CS0103"));
        assert_eq!(
            e.message,
            "The name 'x' does not exist in the current context"
        );

        let e = one("  2>D:\\a\\1\\s\\src\\Lib\\Parser.cs(23,50,23,51): error CS1002: ; expected [D:\\a\\1\\s\\src\\Lib\\Lib.csproj::TargetFramework=net8.0]").expect("error");
        assert_eq!(e.path.as_deref(), Some("D:\\a\\1\\s\\src\\Lib\\Parser.cs"));
        assert_eq!((e.line, e.column), (Some(23), Some(50)));
        assert_eq!(e.message, "; expected");

        let e = one("##[error]src\\App\\Program.cs(10,13): Error CS0103: The name 'x' does not exist in the current context").expect("echo");
        assert_eq!(e.code.as_deref(), Some("CS0103"));

        let e = one("C:\\src\\main.cpp(12): error C2065: 'x': undeclared identifier").expect("cl");
        assert_eq!((e.line, e.column), (Some(12), None));
    }

    #[test]
    fn errors_without_a_file() {
        let e = one("MSBUILD : error MSB1009: Project file does not exist.").expect("msbuild");
        assert_eq!((e.path, e.code.as_deref()), (None, Some("MSB1009")));
        let e = one("LINK : fatal error LNK1181: cannot open input file 'yaml.lib' [D:\\a\\1\\s\\app.vcxproj]").expect("link");
        assert_eq!(e.message, "cannot open input file 'yaml.lib'");
        let e = one("/home/vsts/work/1/s/App/App.csproj : error NU1101: Unable to find package Acme.Core. No packages exist with this id in source(s): nuget.org").expect("nuget");
        assert_eq!(
            e.path.as_deref(),
            Some("/home/vsts/work/1/s/App/App.csproj")
        );
        let e = one("error NETSDK1045: The current .NET SDK does not support targeting .NET 10.0.")
            .expect("bare");
        assert_eq!(e.code.as_deref(), Some("NETSDK1045"));
        let e = one("EXEC : error : npm run build failed [/s/Web/Web.csproj]").expect("exec");
        assert_eq!((e.path, e.code), (None, None));
    }

    #[test]
    fn not_msbuild_errors() {
        for line in [
            "gcc: error: unrecognized command-line option",
            "collect2: error: ld returned 1 exit status",
            "src/a.c:12:5: error: expected ';'",
            "Program.cs(5,17): warning CS0168: The variable 'e' is declared but never used",
            "    0 Error(s)",
            "Error: The process '/usr/bin/dotnet' failed with exit code 1",
            "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
            "error TS5023: Unknown compiler option 'strictest'.",
            "ERROR: Could not find a version that satisfies the requirement acme==9.9",
            "fatal: error: something",
            "Some error: occurred here",
            "  Errors.cs -> obj/Errors.dll",
        ] {
            assert!(one(line).is_none(), "{line}");
        }
    }
}
