//! What a person's comment asks of the agent: a command addressed to it (`@coderabbitai pause`,
//! or the mention Azure DevOps stores for the agent's user, `@<identity-id>`), a dismissal of a
//! finding ("false positive", "won't fix"), or a question. Pure text in, meaning out.
//!
//! Only prose counts: fenced and indented code blocks, inline code and quoted lines (`> …`) are
//! read as if they were not there, so that quoting or documenting a command does not run it.

/// A command addressed to the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Pause,
    Resume,
    /// Never review this pull request (meant for the description).
    Ignore,
    /// An incremental review.
    Review,
    /// Re-review everything and re-post what is missing.
    FullReview,
    /// Set all the agent's active threads to `fixed`.
    Resolve,
    /// Regenerate the summary.
    Summary,
    /// Reply with the effective configuration.
    Configuration,
    Help,
    /// Create a work item from the finding of this thread.
    CreateWorkItem,
    /// Words the agent does not know: the reply is the help text.
    Unknown(String),
}

impl Command {
    /// The words of every command, for the help text, in the order they are listed.
    pub(crate) const HELP: [(&'static str, &'static str); 10] = [
        ("pause", "stop reviewing this pull request until `resume`"),
        ("resume", "review this pull request again"),
        (
            "ignore",
            "in the pull request description: never review this pull request",
        ),
        ("review", "review the changes since the last review"),
        (
            "full review",
            "review the whole pull request again and re-post what is missing",
        ),
        ("resolve", "mark all of my open comments as resolved"),
        ("summary", "write the summary again"),
        ("configuration", "show the configuration in effect"),
        (
            "create work item",
            "in one of my comments' threads: create a work item from it, linked to this pull request",
        ),
        ("help", "this list"),
    ];
}

/// How the agent is addressed: by name, and by the identity id of its user.
#[derive(Debug, Clone)]
pub(crate) struct Addressee {
    /// The token owner's identity id (`@<id>` is how Azure DevOps stores a mention).
    pub identity_id: Option<String>,
}

/// The name CodeRabbit users write.
pub(crate) const NAME: &str = "@coderabbitai";

impl Addressee {
    /// Where in `line` the agent is mentioned, and the length of the mention.
    fn mention_in(&self, line: &str) -> Option<(usize, usize)> {
        let lower = line.to_ascii_lowercase();
        let mut best: Option<(usize, usize)> = None;
        let mut consider = |needle: &str| {
            let mut from = 0;
            while let Some(found) = lower[from..].find(needle) {
                let at = from + found;
                let end = at + needle.len();
                // `@coderabbitaix` is someone else.
                let mut next = lower[end..].chars();
                let ends = match next.next() {
                    None => true,
                    // `@coderabbitai.com` is a host name, `@coderabbitai.` ends a sentence.
                    Some('.') => next.next().is_none_or(|c| !c.is_alphanumeric()),
                    Some(c) => !(c.is_alphanumeric() || c == '_' || c == '-'),
                };
                let starts = lower[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
                let whole = ends && starts;
                if whole {
                    if best.is_none_or(|(b, _)| at < b) {
                        best = Some((at, needle.len()));
                    }
                    break;
                }
                from = end;
            }
        };
        consider(NAME);
        if let Some(id) = &self.identity_id {
            consider(&format!("@<{}>", id.to_ascii_lowercase()));
        }
        best
    }

    /// Whether the prose of `text` mentions the agent.
    pub(crate) fn is_mentioned(&self, text: &str) -> bool {
        prose(text)
            .iter()
            .any(|line| self.mention_in(line).is_some())
    }

    /// The first command addressed to the agent in the prose of `text`, if any. A mention with
    /// nothing after it is not a command.
    pub(crate) fn command(&self, text: &str) -> Option<Command> {
        for line in prose(text) {
            let mut rest = line.as_str();
            while let Some((at, len)) = self.mention_in(rest) {
                let after = &rest[at + len..];
                let words: Vec<String> = after
                    .split_whitespace()
                    .map(|w| {
                        w.trim_matches(|c: char| !c.is_alphanumeric())
                            .to_ascii_lowercase()
                    })
                    .skip_while(|w| w.is_empty())
                    .take_while(|w| !w.is_empty())
                    .collect();
                if !words.is_empty() {
                    return Some(parse_words(&words, after));
                }
                rest = after;
            }
        }
        None
    }
}

fn parse_words(words: &[String], raw: &str) -> Command {
    let first = words[0].as_str();
    let second = words.get(1).map(String::as_str);
    let third = words.get(2).map(String::as_str);
    match (first, second, third) {
        ("full", Some("review"), _) => Command::FullReview,
        ("create", Some("work"), Some("item")) => Command::CreateWorkItem,
        ("create", Some("workitem"), _) => Command::CreateWorkItem,
        ("pause", ..) => Command::Pause,
        ("resume", ..) => Command::Resume,
        ("ignore", ..) => Command::Ignore,
        ("review", ..) => Command::Review,
        ("resolve", ..) => Command::Resolve,
        ("summary", ..) => Command::Summary,
        ("configuration" | "config", ..) => Command::Configuration,
        ("help", ..) => Command::Help,
        _ => Command::Unknown(raw.split_whitespace().take(6).collect::<Vec<_>>().join(" ")),
    }
}

/// The lines of `text` that are prose: without fenced or indented code blocks, inline code
/// and quoted lines.
pub(crate) fn prose(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut previous_blank = true;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some((ch, len)) = fence {
            let run = trimmed.chars().take_while(|&c| c == ch).count();
            if run >= len && trimmed[run..].trim().is_empty() {
                fence = None;
            }
            continue;
        }
        if indent < 4 {
            let ch = trimmed.chars().next();
            if let Some(ch @ ('`' | '~')) = ch {
                let run = trimmed.chars().take_while(|&c| c == ch).count();
                if run >= 3 {
                    fence = Some((ch, run));
                    previous_blank = false;
                    continue;
                }
            }
        }
        // An indented code block starts after a blank line.
        let is_code = indent >= 4 && previous_blank && !trimmed.is_empty();
        previous_blank = trimmed.is_empty() || (is_code && previous_blank);
        if is_code || trimmed.starts_with('>') {
            continue;
        }
        lines.push(without_inline_code(line));
    }
    lines
}

fn without_inline_code(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        let run = rest[start..].chars().take_while(|&c| c == '`').count();
        let ticks = &rest[start..start + run];
        out.push_str(&rest[..start]);
        let after = &rest[start + run..];
        match after.find(ticks) {
            Some(end) => {
                out.push(' ');
                rest = &after[end + run..];
            }
            None => {
                out.push_str(ticks);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a person's reply in one of the agent's finding threads means, when it is not a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// "false positive", "won't fix": silence the finding for the rest of the pull request.
    Dismissal,
    /// A question for the agent.
    Question,
    /// Anything else (a note between people): no answer.
    Other,
}

/// Reads a reply in a finding thread.
pub(crate) fn reply(addressee: &Addressee, text: &str) -> Reply {
    let prose = prose(text).join("\n").to_lowercase().replace('’', "'");
    const DISMISSALS: [&str; 6] = [
        "false positive",
        "false-positive",
        "won't fix",
        "wont fix",
        "will not fix",
        "wontfix",
    ];
    if DISMISSALS.iter().any(|d| prose.contains(d)) {
        return Reply::Dismissal;
    }
    if prose.contains('?') || addressee.is_mentioned(text) {
        return Reply::Question;
    }
    Reply::Other
}

/// The help text: every command, and how to address the agent.
pub(crate) fn help_text(unknown: Option<&str>) -> String {
    let mut text = String::new();
    if let Some(words) = unknown {
        let words: String = words
            .chars()
            .filter(|c| !matches!(c, '<' | '>' | '@' | '`' | '[' | ']'))
            .take(80)
            .collect();
        text.push_str(&format!("I do not know the command \"{}\". ", words.trim()));
    }
    text.push_str("Write `@coderabbitai` followed by one of:\n\n");
    for (words, what) in Command::HELP {
        text.push_str(&format!("- `{words}`: {what}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "6f2b1c3d-1111-2222-3333-444455556666";

    fn me() -> Addressee {
        Addressee {
            identity_id: Some(ID.to_owned()),
        }
    }

    fn command(text: &str) -> Option<Command> {
        me().command(text)
    }

    #[test]
    fn every_command_is_recognised() {
        let cases = [
            ("@coderabbitai pause", Command::Pause),
            ("@coderabbitai resume", Command::Resume),
            ("@coderabbitai ignore", Command::Ignore),
            ("@coderabbitai review", Command::Review),
            ("@coderabbitai full review", Command::FullReview),
            ("@coderabbitai resolve", Command::Resolve),
            ("@coderabbitai summary", Command::Summary),
            ("@coderabbitai configuration", Command::Configuration),
            ("@coderabbitai help", Command::Help),
            ("@coderabbitai create work item", Command::CreateWorkItem),
        ];
        for (text, expected) in cases {
            assert_eq!(command(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn the_stored_mention_of_the_agents_user_addresses_it() {
        let upper = format!("@<{}> full review", ID.to_uppercase());
        assert_eq!(command(&upper), Some(Command::FullReview));
        assert_eq!(
            command("@<00000000-0000-0000-0000-000000000000> pause"),
            None,
            "another user's mention"
        );
        let nobody = Addressee { identity_id: None };
        assert_eq!(nobody.command(&format!("@<{ID}> pause")), None);
    }

    #[test]
    fn case_punctuation_and_surrounding_prose() {
        assert_eq!(
            command("Thanks! @CodeRabbitAI Pause, please."),
            Some(Command::Pause)
        );
        assert_eq!(command("@coderabbitai: resolve"), Some(Command::Resolve));
        assert_eq!(
            command("first line\n\n@coderabbitai   full   review\nmore"),
            Some(Command::FullReview)
        );
    }

    #[test]
    fn not_a_command() {
        assert_eq!(command("please pause the review"), None);
        assert_eq!(command("@coderabbitai"), None, "a bare mention");
        assert_eq!(command("@coderabbitaix pause"), None, "another name");
        assert_eq!(command("mail me at x@coderabbitai.com"), None);
    }

    #[test]
    fn unknown_words_get_the_help_text() {
        assert_eq!(
            command("@coderabbitai dance now"),
            Some(Command::Unknown("dance now".into()))
        );
        let help = help_text(Some("dance <img src=x>"));
        assert!(help.contains("\"dance img src=x\""), "{help}");
        for (words, _) in Command::HELP {
            assert!(help.contains(&format!("`{words}`")), "{words}");
        }
    }

    #[test]
    fn code_blocks_quotes_and_inline_code_are_not_commands() {
        assert_eq!(command("```\n@coderabbitai pause\n```"), None);
        assert_eq!(command("~~~~text\n@coderabbitai pause\n~~~~"), None);
        assert_eq!(command("> @coderabbitai pause"), None);
        assert_eq!(command("  > quoted @coderabbitai pause"), None);
        assert_eq!(command("write `@coderabbitai pause` to pause"), None);
        assert_eq!(command("text\n\n    @coderabbitai pause\n"), None);
        assert_eq!(
            command("```\n@coderabbitai pause\n```\n@coderabbitai resume"),
            Some(Command::Resume),
            "prose after the block counts"
        );
        assert_eq!(
            command("```\nunclosed fence\n@coderabbitai pause"),
            None,
            "an unclosed fence runs to the end"
        );
    }

    #[test]
    fn replies_in_a_finding_thread() {
        assert_eq!(reply(&me(), "This is a false positive."), Reply::Dismissal);
        assert_eq!(reply(&me(), "Won’t fix: legacy code"), Reply::Dismissal);
        assert_eq!(reply(&me(), "Why is this a problem?"), Reply::Question);
        assert_eq!(reply(&me(), "@coderabbitai explain"), Reply::Question);
        assert_eq!(reply(&me(), "Done, thanks"), Reply::Other);
        assert_eq!(
            reply(&me(), "> false positive?\n\nfixed it"),
            Reply::Other,
            "a quote is not the reply"
        );
    }
}
