//! What the rules know about a file's language, from its name alone: which language family it
//! belongs to, how its comments start, whether it is a key/value configuration format, and a
//! cheap, single-line test of whether a position is code rather than a string or a comment.
//!
//! Nothing here parses: every answer comes from one left-to-right scan of one line, which is
//! enough for the high-precision rules that use it and keeps them linear.

/// The language families that some rule treats specially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Language {
    /// JavaScript and TypeScript, and the component formats that embed them.
    JavaScript,
    Rust,
    Python,
    Ruby,
    /// C#, Visual Basic and F#.
    DotNet,
    /// Java, Kotlin, Groovy, Scala.
    Jvm,
    Go,
    /// Files that hold key/value settings rather than code (YAML, `.env`, INI, properties, …).
    Config,
    /// Markup and prose: HTML, XML, Markdown, reStructuredText.
    Markup,
    Other,
}

/// How comments start in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CommentSyntax {
    /// Line-comment leaders (`//`, `#`, `--`, …).
    pub line: &'static [&'static str],
    /// `/* … */` block comments (with ` * ` continuation lines).
    pub block: bool,
    /// `<!-- … -->` comments.
    pub markup: bool,
}

const C_LIKE: CommentSyntax = CommentSyntax {
    line: &["//"],
    block: true,
    markup: false,
};
const HASH: CommentSyntax = CommentSyntax {
    line: &["#"],
    block: false,
    markup: false,
};
const HASH_AND_C: CommentSyntax = CommentSyntax {
    line: &["#", "//"],
    block: true,
    markup: false,
};
const DASHES: CommentSyntax = CommentSyntax {
    line: &["--"],
    block: true,
    markup: false,
};
const SEMICOLON: CommentSyntax = CommentSyntax {
    line: &[";"],
    block: false,
    markup: false,
};
const INI: CommentSyntax = CommentSyntax {
    line: &[";", "#"],
    block: false,
    markup: false,
};
const PERCENT: CommentSyntax = CommentSyntax {
    line: &["%"],
    block: false,
    markup: false,
};
const APOSTROPHE: CommentSyntax = CommentSyntax {
    line: &["'"],
    block: false,
    markup: false,
};
const MARKUP: CommentSyntax = CommentSyntax {
    line: &[],
    block: false,
    markup: true,
};
const COMPONENT: CommentSyntax = CommentSyntax {
    line: &["//"],
    block: true,
    markup: true,
};
const BLOCK_ONLY: CommentSyntax = CommentSyntax {
    line: &[],
    block: true,
    markup: false,
};
/// Unknown formats: the common leaders, accepted only at the start of a line.
const UNKNOWN: CommentSyntax = CommentSyntax {
    line: &["//", "#"],
    block: true,
    markup: true,
};

/// A file's language and comment syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Syntax {
    pub language: Language,
    pub comments: CommentSyntax,
    /// Whether the comment syntax is a guess (unknown extension).
    pub guessed: bool,
}

impl Syntax {
    pub(super) fn of_path(path: &str) -> Syntax {
        let name = path.rsplit('/').next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        let known = |language, comments| Syntax {
            language,
            comments,
            guessed: false,
        };
        match lower.as_str() {
            "makefile" | "gnumakefile" | "dockerfile" | "containerfile" | "cmakelists.txt"
            | "gemfile" | "rakefile" | "podfile" | "vagrantfile" | "brewfile" | "procfile"
            | "codeowners" | ".gitignore" | ".gitattributes" | ".dockerignore"
            | ".editorconfig" | ".npmrc" | ".yarnrc" | ".pypirc" | ".netrc" => {
                return known(Language::Config, HASH);
            }
            "jenkinsfile" => return known(Language::Jvm, C_LIKE),
            _ => {}
        }
        if lower.starts_with(".env") || lower.starts_with("dockerfile.") {
            return known(Language::Config, HASH);
        }
        let extension = lower.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
        match extension {
            "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts" => {
                known(Language::JavaScript, C_LIKE)
            }
            "vue" | "svelte" | "astro" => known(Language::JavaScript, COMPONENT),
            "coffee" => known(Language::JavaScript, HASH),
            "rs" => known(Language::Rust, C_LIKE),
            "py" | "pyw" | "pyi" => known(Language::Python, HASH),
            "rb" | "rake" | "gemspec" | "ru" => known(Language::Ruby, HASH),
            "erb" => known(Language::Ruby, MARKUP),
            "cs" | "csx" | "fs" | "fsx" | "fsi" => known(Language::DotNet, C_LIKE),
            "vb" | "vbs" | "bas" => known(Language::DotNet, APOSTROPHE),
            "cshtml" | "razor" => known(Language::DotNet, COMPONENT),
            "java" | "kt" | "kts" | "groovy" | "gradle" | "scala" | "sc" => {
                known(Language::Jvm, C_LIKE)
            }
            "go" => known(Language::Go, C_LIKE),
            "c" | "h" | "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" | "inl" | "m" | "mm"
            | "swift" | "dart" | "proto" | "zig" | "sol" | "d" | "scss" | "less" | "jsonc"
            | "json5" | "cu" | "glsl" | "hlsl" | "wgsl" | "v" | "sv" | "kql" | "bicep" => {
                known(Language::Other, C_LIKE)
            }
            "php" => known(Language::Other, HASH_AND_C),
            "css" => known(Language::Other, BLOCK_ONLY),
            "sh" | "bash" | "zsh" | "fish" | "ksh" | "ps1" | "psm1" | "psd1" | "pl" | "pm"
            | "r" | "nix" | "ex" | "exs" | "cr" | "jl" | "cmake" | "mk" | "awk" | "tcl" | "nim"
            | "star" | "bzl" | "bazel" | "pp" => known(Language::Other, HASH),
            "tf" | "tfvars" | "hcl" => known(Language::Config, HASH_AND_C),
            "yaml" | "yml" | "toml" | "cfg" | "conf" | "properties" | "env" | "dotenv" => {
                known(Language::Config, HASH)
            }
            "ini" | "editorconfig" => known(Language::Config, INI),
            "json" => known(Language::Config, BLOCK_ONLY),
            "sql" | "lua" | "hs" | "lhs" | "elm" | "ada" | "adb" | "ads" | "vhd" | "vhdl" => {
                known(Language::Other, DASHES)
            }
            "lisp" | "lsp" | "clj" | "cljs" | "cljc" | "edn" | "el" | "scm" | "ss" | "rkt"
            | "asm" | "s" => known(Language::Other, SEMICOLON),
            "tex" | "sty" | "cls" | "erl" | "hrl" | "mat" => known(Language::Other, PERCENT),
            "html" | "htm" | "xhtml" | "xml" | "svg" | "xaml" | "csproj" | "vbproj" | "fsproj"
            | "props" | "targets" | "resx" | "nuspec" | "plist" | "md" | "markdown" | "mdx"
            | "rst" | "adoc" | "txt" => known(Language::Markup, MARKUP),
            _ => Syntax {
                language: Language::Other,
                comments: UNKNOWN,
                guessed: true,
            },
        }
    }
}

/// Whether byte offset `pos` of `line` lies in code: not inside a string literal opened earlier
/// on the line, and not after a line-comment leader or on a block-comment line.
///
/// A single-line approximation: strings and comments that span lines are not tracked.
pub(super) fn in_code(line: &str, pos: usize, language: Language) -> bool {
    let trimmed = line.trim_start();
    let c_like = !matches!(language, Language::Python | Language::Ruby);
    // A ` * ` continuation line of a block comment.
    if c_like
        && (trimmed == "*"
            || trimmed.starts_with("* ")
            || trimmed.starts_with("*\t")
            || trimmed.starts_with("*/"))
    {
        return false;
    }
    let (comment, quotes): (&[u8], &[u8]) = match language {
        Language::JavaScript => (b"//", b"\"'`"),
        Language::Python | Language::Ruby => (b"#", b"\"'"),
        Language::Go => (b"//", b"\"`"),
        _ => (b"//", b"\""),
    };
    let bytes = line.as_bytes();
    let end = pos.min(bytes.len());
    let mut string: Option<u8> = None;
    let mut i = 0;
    while i < end {
        let b = bytes[i];
        match string {
            Some(quote) => {
                if b == b'\\' {
                    i += 1;
                } else if b == quote {
                    string = None;
                }
            }
            None => {
                if quotes.contains(&b) {
                    string = Some(b);
                } else if bytes[i..].starts_with(comment) {
                    return false;
                } else if c_like && bytes[i..].starts_with(b"/*") {
                    match find(&bytes[i + 2..end], b"*/") {
                        Some(close) => i += close + 3,
                        None => return false,
                    }
                    continue;
                }
            }
        }
        i += 1;
    }
    string.is_none()
}

/// The position of `needle` in `haystack`.
pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Whether `haystack` contains `needle`, ignoring ASCII case (`needle` is lowercase).
pub(super) fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

/// `text[start..end]` widened by up to `margin` bytes on each side, as bytes (so the window
/// never has to fall on character boundaries).
pub(super) fn window(text: &str, start: usize, end: usize, margin: usize) -> &[u8] {
    let bytes = text.as_bytes();
    let from = start.saturating_sub(margin);
    let to = end.saturating_add(margin).min(bytes.len());
    bytes.get(from..to).unwrap_or(&[])
}

/// The extension of a path's file name, lowercased (`""` if none).
pub(super) fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Whether a path lies in a directory that by convention holds tests or test data.
pub(super) fn in_test_directory(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.iter().any(|part| {
        matches!(
            part.to_ascii_lowercase().as_str(),
            "test"
                | "tests"
                | "testdata"
                | "test-data"
                | "test_data"
                | "testfiles"
                | "fixtures"
                | "__fixtures__"
                | "__tests__"
                | "spec"
                | "specs"
                | "testing"
        )
    })
}

/// Whether a path is test code by convention: under a test directory, or named like a test
/// (`test_x.py`, `x_test.go`, `x.test.ts`, `x.spec.js`, `XTest.java`, `XTests.cs`, `tests.rs`).
pub(super) fn is_test_file(path: &str) -> bool {
    if in_test_directory(path) || path.split('/').any(|part| part == "benches") {
        return true;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
    let lower = stem.to_ascii_lowercase();
    matches!(lower.as_str(), "test" | "tests" | "conftest")
        || lower.starts_with("test_")
        || lower.ends_with("_test")
        || lower.ends_with("_tests")
        || lower.ends_with("_spec")
        || stem.ends_with("Test")
        || stem.ends_with("Tests")
        || stem.ends_with("Spec")
        || name.contains(".test.")
        || name.contains(".spec.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_come_from_file_names() {
        assert_eq!(
            Syntax::of_path("web/app.test.tsx").language,
            Language::JavaScript
        );
        assert_eq!(Syntax::of_path("src/lib.rs").language, Language::Rust);
        assert_eq!(
            Syntax::of_path("deploy/.env.production").language,
            Language::Config
        );
        assert_eq!(Syntax::of_path("Dockerfile").comments, HASH);
        assert_eq!(Syntax::of_path("docs/README.md").comments, MARKUP);
        assert!(Syntax::of_path("LICENSE").guessed);
    }

    #[test]
    fn in_code_skips_strings_and_comments() {
        let js = Language::JavaScript;
        assert!(in_code("  foo(); bar", 9, js));
        assert!(!in_code("  'foo bar'", 5, js));
        assert!(!in_code("  // foo bar", 7, js));
        assert!(!in_code("  * foo bar", 4, js));
        assert!(in_code("  *count += 1; bar", 15, Language::Rust));
        assert!(!in_code("  /* a bar", 7, js));
        assert!(in_code("  /* a */ bar", 10, js));
        assert!(!in_code(r#"  "a \" b" c"#, 7, js));
        assert!(in_code(r#"  "a \" b" c"#, 11, js));
        assert!(!in_code("x = 1  # foo", 9, Language::Python));
        assert!(in_code("x = '#' ; foo", 10, Language::Python));
    }

    #[test]
    fn test_directories_are_recognised() {
        assert!(in_test_directory("crate/tests/data/key.pem"));
        assert!(in_test_directory("pkg/testdata/x.zip"));
        assert!(!in_test_directory("src/testing_utils.rs"));
        assert!(!in_test_directory("tests"));
    }

    #[test]
    fn test_files_are_recognised_by_name() {
        for path in [
            "pkg/foo_test.go",
            "test_api.py",
            "web/app.test.ts",
            "web/app.spec.js",
            "src/FooTest.java",
            "Api/ClientTests.cs",
            "src/common/test_stream.rs",
            "src/tests.rs",
            "benches/parse.rs",
        ] {
            assert!(is_test_file(path), "{path}");
        }
        for path in [
            "src/attest.rs",
            "src/contest.py",
            "src/latest.ts",
            "src/Testing.java",
        ] {
            assert!(!is_test_file(path), "{path}");
        }
    }

    #[test]
    fn windows_are_byte_bounded() {
        assert_eq!(window("abcdef", 2, 3, 1), b"bcd");
        assert_eq!(window("abc", 0, 3, 10), b"abc");
        assert!(contains_ignore_case(b"a FAKE key", b"fake"));
        assert_eq!(extension("a/b.tar.GZ"), "gz");
        assert_eq!(extension("a/.bashrc"), "");
    }
}
