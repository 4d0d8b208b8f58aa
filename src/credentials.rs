//! Credentials: which token the agent presents to Azure DevOps (and to `origin` when it fetches
//! missing history), read once from the environment by [`crate::settings`], and masking every
//! secret with `##vso[task.setsecret]` before anything else is printed.
//!
//! One reader for every use: a value that arrived as an unexpanded `$(Name)` macro is never a
//! credential, wherever it is used.

use std::io::Write;

use base64::Engine as _;

use crate::azure_devops::Credential;
use crate::pipeline_log;

/// Environment variables that hold secrets.
pub(crate) const SECRET_VARIABLES: [&str; 5] = [
    "CODERABBIT_ACCESS_TOKEN",
    "CODERABBIT_PAT",
    "SYSTEM_ACCESSTOKEN",
    "CODERABBIT_LLM_API_KEY",
    "AGENT_PROXYPASSWORD",
];

/// Where the credential came from: it decides whose name the comments carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSource {
    /// An Entra ID access token of a service principal, from an Azure Resource Manager service
    /// connection (`CODERABBIT_ACCESS_TOKEN`; the connection's name when the task gave it).
    ServiceConnection(Option<String>),
    /// The dedicated CodeRabbit user's Personal Access Token (`CODERABBIT_PAT`).
    Pat,
    /// The job's own token (`SYSTEM_ACCESSTOKEN`): comments come from the build service.
    JobToken,
}

impl AuthSource {
    /// How the agent authenticated, in the user's words.
    pub fn describe(&self) -> String {
        match self {
            AuthSource::ServiceConnection(Some(name)) => {
                format!("an Entra ID token from the service connection `{name}`")
            }
            AuthSource::ServiceConnection(None) => {
                "an Entra ID access token (CODERABBIT_ACCESS_TOKEN)".to_owned()
            }
            AuthSource::Pat => "the CodeRabbit user's PAT".to_owned(),
            AuthSource::JobToken => "the job's System.AccessToken".to_owned(),
        }
    }
}

/// The credential the agent uses, and where it came from.
#[derive(Debug, Clone)]
pub struct Auth {
    pub credential: Credential,
    pub source: AuthSource,
}

/// Why there is no usable credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// `$(Name)` arrived literally: the variable does not exist or the secret was not mapped.
    Unexpanded,
    Absent,
}

impl Missing {
    /// The sentence a user reads.
    pub fn sentence(&self) -> &'static str {
        match self {
            Missing::Unexpanded => {
                "the access token arrived as an unexpanded `$(…)` macro: the secret variable does not exist in this pipeline or is not mapped — define it (e.g. CodeRabbitPAT, marked secret) and pass it as `accessToken: $(CodeRabbitPAT)` or `env: CODERABBIT_PAT: $(CodeRabbitPAT)`"
            }
            Missing::Absent => {
                "no access token: secret variables reach a step only when mapped — pass the CodeRabbit user's PAT as `accessToken: $(CodeRabbitPAT)` (task) or `env: CODERABBIT_PAT: $(CodeRabbitPAT)` (script)"
            }
        }
    }
}

/// The credentials in the environment, read once.
#[derive(Clone)]
pub struct Credentials {
    pub auth: Result<Auth, Missing>,
    /// Every secret value to mask, with the forms in which it could appear.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("auth", &self.auth)
            .field("secrets", &format_args!("{} masked", self.secrets.len()))
            .finish()
    }
}

/// A pipeline macro that was never expanded (`$(CodeRabbitPAT)` because no such variable
/// exists, or because a secret was not mapped) is not a credential.
fn is_unexpanded_macro(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("$(") && v.ends_with(')')
}

impl Credentials {
    /// Reads the credentials through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Self {
        let value = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut secrets = Vec::new();
        for name in SECRET_VARIABLES {
            // An unexpanded `$(Name)` is not a secret, and masking it would hide the sentence
            // that explains it.
            if let Some(secret) = value(name).filter(|v| !is_unexpanded_macro(v)) {
                if name == "CODERABBIT_PAT" {
                    secrets.push(
                        base64::engine::general_purpose::STANDARD
                            .encode(format!(":{}", secret.trim())),
                    );
                }
                secrets.push(secret);
            }
        }
        let mut unexpanded = false;
        let mut usable = |name: &str| match value(name) {
            Some(v) if is_unexpanded_macro(&v) => {
                unexpanded = true;
                None
            }
            other => other.map(|v| v.trim().to_owned()),
        };
        let auth = if let Some(token) = usable("CODERABBIT_ACCESS_TOKEN") {
            Some(Auth {
                credential: Credential::Bearer(token),
                source: AuthSource::ServiceConnection(value("CODERABBIT_SERVICE_CONNECTION")),
            })
        } else if let Some(pat) = usable("CODERABBIT_PAT") {
            Some(Auth {
                credential: Credential::Pat(pat),
                source: AuthSource::Pat,
            })
        } else {
            usable("SYSTEM_ACCESSTOKEN").map(|token| Auth {
                credential: Credential::Bearer(token),
                source: AuthSource::JobToken,
            })
        };
        let auth = match auth {
            Some(auth) => Ok(auth),
            None if unexpanded => Err(Missing::Unexpanded),
            None => Err(Missing::Absent),
        };
        Credentials { auth, secrets }
    }

    /// Every secret to mask.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// Masks every credential. In a pipeline this runs before anything else is printed.
    pub fn mask_all(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for secret in &self.secrets {
            pipeline_log::set_secret(out, secret)?;
        }
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Credentials {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Credentials::from_lookup(&|k| map.get(k).cloned())
    }

    #[test]
    fn unexpanded_macros_are_not_tokens() {
        assert!(is_unexpanded_macro("$(CodeRabbitPAT)"));
        assert!(!is_unexpanded_macro("abc$(x)"));
        let creds = read(&[("CODERABBIT_PAT", "$(CodeRabbitPAT)")]);
        assert_eq!(creds.auth.as_ref().unwrap_err(), &Missing::Unexpanded);
        assert!(creds.secrets().is_empty());
    }

    #[test]
    fn the_service_connection_then_the_pat_then_the_job_token() {
        let creds = read(&[
            ("CODERABBIT_PAT", "pat"),
            ("SYSTEM_ACCESSTOKEN", "job"),
            ("CODERABBIT_ACCESS_TOKEN", "entra"),
            ("CODERABBIT_SERVICE_CONNECTION", "reviewer-sp"),
        ]);
        let auth = creds.auth.unwrap();
        assert_eq!(
            auth.source,
            AuthSource::ServiceConnection(Some("reviewer-sp".into()))
        );
        assert_eq!(auth.credential.secret(), "entra");
        let auth = read(&[("CODERABBIT_PAT", " pat "), ("SYSTEM_ACCESSTOKEN", "job")])
            .auth
            .unwrap();
        assert_eq!(auth.source, AuthSource::Pat);
        assert_eq!(auth.credential.secret(), "pat");
        let auth = read(&[
            ("CODERABBIT_PAT", "$(CodeRabbitPAT)"),
            ("SYSTEM_ACCESSTOKEN", "job"),
        ])
        .auth
        .unwrap();
        assert_eq!(auth.source, AuthSource::JobToken);
        assert_eq!(read(&[]).auth.unwrap_err(), Missing::Absent);
    }

    #[test]
    fn a_pat_is_masked_also_as_its_basic_header() {
        let creds = read(&[("CODERABBIT_PAT", "abc"), ("CODERABBIT_LLM_API_KEY", "k")]);
        assert!(creds.secrets().contains(&"abc".to_owned()));
        assert!(creds.secrets().contains(&"OmFiYw==".to_owned()));
        assert!(creds.secrets().contains(&"k".to_owned()));
    }
}
