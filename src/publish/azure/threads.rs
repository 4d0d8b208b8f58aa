//! What the agent writes on the pull request: the text and anchor of a finding's thread, the
//! summary thread, and their bookkeeping properties (never visible text).

use serde_json::{Map, Value, json};

use crate::azure_devops::models::{
    Comment, CommentIterationContext, CommentPosition, CommentThreadContext,
    GitPullRequestCommentThread, GitPullRequestCommentThreadContext, typed_property,
};
use crate::finding::Finding;
use crate::publish::markdown::{MAX_COMMENT_CHARS, truncate, utf16_len};

use super::reconcile::{FINGERPRINT, HEAD, ITERATION, KIND, Kind, SOURCE, SUPPORTS_MARKDOWN};

/// The UTF-16 lengths of the head lines that findings end on, for exclusive end offsets; each
/// file is read once.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineLengths(std::collections::HashMap<(String, u32), u32>);

impl LineLengths {
    pub(crate) fn of(repo: &git2::Repository, head: git2::Oid, findings: &[Finding]) -> Self {
        let mut lengths = std::collections::HashMap::new();
        let Ok(tree) = repo.find_commit(head).and_then(|c| c.tree()) else {
            return LineLengths(lengths);
        };
        let mut by_path: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
        for finding in findings.iter().filter(|f| f.line > 0) {
            by_path
                .entry(finding.path.as_str())
                .or_default()
                .push(finding.end_line.max(finding.line));
        }
        for (path, lines) in by_path {
            let Some(blob) = tree
                .get_path(std::path::Path::new(path))
                .ok()
                .and_then(|entry| repo.find_blob(entry.id()).ok())
            else {
                continue;
            };
            let text = String::from_utf8_lossy(blob.content());
            let all: Vec<&str> = text.lines().collect();
            for line in lines {
                if let Some(content) = all.get(line as usize - 1) {
                    let length = content.trim_end_matches('\r').encode_utf16().count();
                    lengths.insert(
                        (path.to_owned(), line),
                        u32::try_from(length).unwrap_or(u32::MAX),
                    );
                }
            }
        }
        LineLengths(lengths)
    }

    pub(crate) fn get(&self, path: &str, line: u32) -> Option<u32> {
        self.0.get(&(path.to_owned(), line)).copied()
    }
}

/// Where a finding's thread goes: the latest iteration and the file's change in it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Anchor {
    pub iteration: Option<u32>,
    pub change_tracking_id: Option<u32>,
    /// UTF-16 length of the finding's last line, for an exclusive end offset.
    pub end_line_length: Option<u32>,
}

fn properties(kind: Kind, extra: &[(&str, Value)]) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(
        KIND.to_owned(),
        typed_property("System.String", json!(kind.as_str())),
    );
    map.insert(
        SUPPORTS_MARKDOWN.to_owned(),
        typed_property("System.Int32", json!(1)),
    );
    for (key, value) in extra {
        map.insert((*key).to_owned(), value.clone());
    }
    map
}

/// The body of a finding's comment: severity, rule, message, and a suggestion block when the
/// finding carries a replacement for exactly its lines.
pub(crate) fn finding_body(finding: &Finding) -> String {
    let mut body = format!(
        "**{}** · `{}` · {}\n\n{}\n",
        capitalise(finding.severity.as_str()),
        finding.rule,
        finding.category,
        finding.message.trim_end()
    );
    if let Some(replacement) = &finding.suggestion {
        let fence = fence_for(replacement);
        body.push_str(&format!(
            "\n{fence}suggestion\n{}\n{fence}\n",
            replacement.trim_end_matches('\n')
        ));
    }
    let footer = format!("\n<sub>coderabbit-agent · {}</sub>", finding.source);
    // A finding's text comes from its source (an imported tool, an LLM): keep it within the
    // service's limit.
    truncate(body, MAX_COMMENT_CHARS - utf16_len(&footer)) + &footer
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// A backtick fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// A new inline thread for `finding`: right side, 1-based lines, end offset exclusive.
#[cfg(test)]
pub(crate) fn finding_thread(finding: &Finding, anchor: Anchor) -> GitPullRequestCommentThread {
    inline_thread(Kind::Finding, finding, anchor, &[])
}

/// A new inline thread of `kind` for `finding`, with extra bookkeeping properties.
pub(super) fn inline_thread(
    kind: Kind,
    finding: &Finding,
    anchor: Anchor,
    extra: &[(&str, Value)],
) -> GitPullRequestCommentThread {
    let file_path = format!("/{}", finding.path);
    let thread_context = if finding.line == 0 {
        CommentThreadContext {
            file_path: Some(file_path),
            ..CommentThreadContext::default()
        }
    } else {
        let end_line = finding.end_line.max(finding.line);
        CommentThreadContext {
            file_path: Some(file_path),
            right_file_start: Some(CommentPosition {
                line: finding.line,
                offset: 1,
            }),
            right_file_end: Some(CommentPosition {
                line: end_line,
                // Exclusive end: one past the last character, so the range covers whole lines.
                offset: anchor.end_line_length.map_or(1, |len| len + 1),
            }),
        }
    };
    let pr_context = anchor
        .iteration
        .map(|iteration| GitPullRequestCommentThreadContext {
            change_tracking_id: anchor.change_tracking_id,
            iteration_context: Some(CommentIterationContext {
                first_comparing_iteration: iteration,
                second_comparing_iteration: iteration,
            }),
        });
    GitPullRequestCommentThread {
        comments: vec![Comment::text(finding_body(finding))],
        status: Some(json!("active")),
        thread_context: Some(thread_context),
        pull_request_thread_context: pr_context,
        properties: Some(properties(kind, &{
            let mut all = vec![
                (
                    FINGERPRINT,
                    typed_property("System.String", json!(finding.fingerprint.as_str())),
                ),
                (
                    SOURCE,
                    typed_property("System.String", json!(finding.source.as_str())),
                ),
            ];
            all.extend(extra.iter().cloned());
            all
        })),
        ..GitPullRequestCommentThread::default()
    }
}

/// A new summary thread: PR-level (no file), no status so that it never waits for resolution.
pub(crate) fn summary_thread(
    content: String,
    head: &str,
    iteration: Option<u32>,
) -> GitPullRequestCommentThread {
    GitPullRequestCommentThread {
        comments: vec![Comment::text(content)],
        properties: Some(summary_properties(head, iteration)),
        ..GitPullRequestCommentThread::default()
    }
}

/// A new summary thread with the given properties (the state included).
pub(crate) fn summary_thread_with(
    content: String,
    properties: Map<String, Value>,
) -> GitPullRequestCommentThread {
    GitPullRequestCommentThread {
        comments: vec![Comment::text(content)],
        properties: Some(properties),
        ..GitPullRequestCommentThread::default()
    }
}

/// The summary's properties: what it describes (head commit and iteration), so that a re-run
/// on the same head needs no request to learn the iteration.
pub(crate) fn summary_properties(head: &str, iteration: Option<u32>) -> Map<String, Value> {
    let mut extra = vec![(HEAD, typed_property("System.String", json!(head)))];
    if let Some(iteration) = iteration {
        extra.push((ITERATION, typed_property("System.Int32", json!(iteration))));
    }
    properties(Kind::Summary, &extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Category, Fingerprint, Severity};

    fn finding(line: u32, end_line: u32, suggestion: Option<&str>) -> Finding {
        Finding {
            path: "src/a b.rs".into(),
            line,
            end_line,
            severity: Severity::Major,
            category: Category::Correctness,
            rule: "tests/focused-test".into(),
            source: "builtin".into(),
            message: "focused".into(),
            suggestion: suggestion.map(str::to_owned),
            fingerprint: Fingerprint("fp".into()),
        }
    }

    #[test]
    fn a_range_covers_whole_lines_with_an_exclusive_end() {
        let anchor = Anchor {
            iteration: Some(3),
            change_tracking_id: Some(7),
            end_line_length: Some(20),
        };
        let thread = finding_thread(&finding(10, 12, Some("it(\"x\", () => {})\n")), anchor);
        let json = serde_json::to_value(&thread).unwrap();
        assert_eq!(json["threadContext"]["filePath"], "/src/a b.rs");
        assert_eq!(
            json["threadContext"]["rightFileStart"],
            json!({"line": 10, "offset": 1})
        );
        assert_eq!(
            json["threadContext"]["rightFileEnd"],
            json!({"line": 12, "offset": 21})
        );
        assert_eq!(json["pullRequestThreadContext"]["changeTrackingId"], 7);
        assert_eq!(
            json["pullRequestThreadContext"]["iterationContext"]["secondComparingIteration"],
            3
        );
        assert_eq!(json["properties"]["CodeRabbit.Kind"]["value"], "finding");
        assert_eq!(json["properties"]["CodeRabbit.Fingerprint"]["value"], "fp");
        let body = json["comments"][0]["content"].as_str().unwrap();
        assert!(
            body.contains("```suggestion\nit(\"x\", () => {})\n```"),
            "{body}"
        );
        assert!(!body.contains("fp"), "bookkeeping never shows in text");
    }

    #[test]
    fn a_whole_file_finding_has_no_positions() {
        let thread = finding_thread(&finding(0, 0, None), Anchor::default());
        let context = thread.thread_context.unwrap();
        assert!(context.right_file_start.is_none());
        assert!(thread.pull_request_thread_context.is_none());
    }

    #[test]
    fn a_huge_message_stays_within_the_comment_limit() {
        let mut huge = finding(1, 1, None);
        huge.message = "word ".repeat(20_000) + "\n" + &"line\n".repeat(40_000);
        let body = finding_body(&huge);
        assert!(utf16_len(&body) <= MAX_COMMENT_CHARS);
        assert!(body.ends_with("</sub>"));
    }

    #[test]
    fn a_message_of_one_huge_line_keeps_its_start_and_the_lines_after_it() {
        let mut huge = finding(1, 1, Some("let x = 1;"));
        huge.message = format!("{}\nsecond line", "minified();".repeat(20_000));
        let body = finding_body(&huge);
        assert!(utf16_len(&body) <= MAX_COMMENT_CHARS);
        assert!(
            body.contains("minified();minified();"),
            "the message's start stays"
        );
        assert!(body.contains("second line"));
        assert!(
            body.contains("```suggestion\nlet x = 1;\n```"),
            "{}",
            &body[body.len() - 300..]
        );
    }

    #[test]
    fn suggestion_fences_outgrow_backticks_in_the_code() {
        assert_eq!(fence_for("let s = \"```\";"), "````");
        assert_eq!(fence_for("plain"), "```");
    }
}
