//! The network a request travels: proxies, TLS, timeouts, and which URLs may carry
//! credentials at all. It builds the `reqwest` client and knows nothing of any service.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use url::Url;

/// The agent's proxy (`AGENT_PROXYURL` and friends), used when the standard variables are unset.
#[derive(Clone)]
pub struct AgentProxy {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Regular expressions of URLs that bypass the proxy (`AGENT_PROXYBYPASSLIST`, a JSON array).
    pub bypass: Vec<String>,
}

impl fmt::Debug for AgentProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentProxy")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("bypass", &self.bypass)
            .finish()
    }
}

/// Transport settings (read from the environment by [`crate::settings`]).
#[derive(Debug, Clone)]
pub struct NetworkSettings {
    pub allow_insecure_http: bool,
    pub agent_proxy: Option<AgentProxy>,
    /// Timeout of one request, connection included.
    pub timeout: Duration,
    /// Most time spent waiting between retries of one request.
    pub max_wait: Duration,
}

impl Default for NetworkSettings {
    fn default() -> Self {
        NetworkSettings {
            allow_insecure_http: false,
            agent_proxy: None,
            timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(120),
        }
    }
}

/// Whether `url` names this machine.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether credentials may travel to `url`: https always, plain http only to this machine or
/// when the user allowed it for an on-premises server without TLS.
pub fn may_carry_credentials(url: &Url, allow_insecure_http: bool) -> bool {
    url.scheme() != "http" || is_loopback(url) || allow_insecure_http
}

/// Header names whose values are secrets: marked sensitive, so that no `Debug` output, and so
/// no log, ever shows them.
const SENSITIVE: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "cookie",
    "ocp-apim-subscription-key",
];

pub fn is_sensitive(name: &HeaderName) -> bool {
    SENSITIVE.contains(&name.as_str())
}

/// Marks every credential-bearing header of `headers` sensitive.
pub(super) fn mark_sensitive(headers: &mut HeaderMap) {
    for (name, value) in headers.iter_mut() {
        if is_sensitive(name) {
            value.set_sensitive(true);
        }
    }
}

/// The HTTP client: TLS with the operating system's trust store (native-tls: OpenSSL on Linux,
/// which honours `SSL_CERT_FILE`; Schannel on Windows; the keychain on macOS), the proxy, the
/// timeouts, no redirects (a redirect would carry the credential elsewhere), and `headers` on
/// every request.
pub(super) fn build_client(
    settings: &NetworkSettings,
    mut headers: HeaderMap,
) -> Result<reqwest::Client, reqwest::Error> {
    mark_sensitive(&mut headers);
    if !headers.contains_key(USER_AGENT) {
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("coderabbit-agent/", env!("CARGO_PKG_VERSION"))),
        );
    }
    let mut builder = reqwest::Client::builder()
        .use_native_tls()
        .default_headers(headers)
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(15)))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(proxy) = agent_proxy(settings) {
        builder = builder.proxy(proxy);
    }
    builder.build()
}

/// The agent's proxy. The settings leave it out when a standard proxy variable is set, which
/// reqwest reads itself (`NO_PROXY` included).
fn agent_proxy(settings: &NetworkSettings) -> Option<reqwest::Proxy> {
    let agent = settings.agent_proxy.clone()?;
    let Ok(proxy_url) = Url::parse(&agent.url) else {
        tracing::warn!("AGENT_PROXYURL is not a URL; connecting without the agent's proxy");
        return None;
    };
    let bypass: Vec<regex::Regex> = agent
        .bypass
        .iter()
        .filter_map(|p| regex::Regex::new(p).ok())
        .collect();
    let target = proxy_url.clone();
    let mut proxy = reqwest::Proxy::custom(move |url| {
        // As the agent does: only the bypass list goes direct.
        if bypass.iter().any(|re| re.is_match(url.as_str())) {
            None
        } else {
            Some(target.clone())
        }
    });
    if let Some(user) = &agent.username {
        proxy = proxy.basic_auth(user, agent.password.as_deref().unwrap_or_default());
    }
    Some(proxy)
}

/// `url` as it may appear in a log: without a user name or password.
pub fn loggable(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_carries_credentials_only_to_this_machine_or_when_allowed() {
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(may_carry_credentials(
            &url("https://dev.azure.com/o/"),
            false
        ));
        assert!(!may_carry_credentials(
            &url("http://tfs.example.com/tfs/"),
            false
        ));
        assert!(may_carry_credentials(
            &url("http://tfs.example.com/tfs/"),
            true
        ));
        for local in [
            "http://127.0.0.1:8080/",
            "http://localhost/",
            "http://[::1]:1/",
        ] {
            assert!(may_carry_credentials(&url(local), false), "{local}");
        }
        assert!(!may_carry_credentials(
            &url("http://localhost.example.com/"),
            false
        ));
    }

    #[test]
    fn credential_headers_never_show_in_debug_output() {
        let mut headers = HeaderMap::new();
        for name in [
            "Authorization",
            "api-key",
            "X-Api-Key",
            "Proxy-Authorization",
        ] {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_static("s3cr3t-value"),
            );
        }
        headers.insert("accept", HeaderValue::from_static("application/json"));
        mark_sensitive(&mut headers);
        let shown = format!("{headers:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(
            shown.contains("application/json"),
            "others still show: {shown}"
        );
    }

    #[test]
    fn logged_urls_lose_their_user_information() {
        let url = Url::parse("https://user:pa55@host/p?x=1").unwrap();
        assert_eq!(loggable(&url), "https://host/p?x=1");
    }
}
