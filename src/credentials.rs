//! Credentials from the environment: which token the agent uses, and masking every credential
//! with `##vso[task.setsecret]` before anything else is printed.

use std::io::Write;

use base64::Engine as _;

use crate::azure_devops::Credential;
use crate::pipeline;

/// Environment variables that hold secrets.
pub const SECRET_VARIABLES: [&str; 4] = [
    "CODERABBIT_PAT",
    "SYSTEM_ACCESSTOKEN",
    "CODERABBIT_LLM_API_KEY",
    "AGENT_PROXYPASSWORD",
];

fn non_empty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A pipeline macro that was never expanded (`$(CodeRabbitPAT)` because no such variable
/// exists, or because a secret was not mapped) is not a credential.
fn is_unexpanded_macro(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("$(") && v.ends_with(')')
}

/// Every secret value to mask, with the forms in which it could appear (a PAT also as the
/// base64 of its Basic header).
pub fn secrets_to_mask() -> Vec<String> {
    let mut secrets = Vec::new();
    for name in SECRET_VARIABLES {
        // An unexpanded `$(Name)` is not a secret, and masking it would hide the sentence
        // that explains it.
        if let Some(value) = non_empty(name).filter(|v| !is_unexpanded_macro(v)) {
            if name == "CODERABBIT_PAT" {
                secrets.push(base64::engine::general_purpose::STANDARD.encode(format!(":{value}")));
            }
            secrets.push(value);
        }
    }
    secrets
}

/// Masks every credential in the environment. In a pipeline this must run before anything
/// else is printed.
pub fn mask_all(out: &mut dyn Write) -> std::io::Result<()> {
    for secret in secrets_to_mask() {
        pipeline::set_secret(out, &secret)?;
    }
    out.flush()
}

/// Where the token came from, when there is none usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// `$(Name)` arrived literally: the variable does not exist or the secret was not mapped.
    Unexpanded,
    Absent,
}

/// The credential for the Azure DevOps API: the PAT, else `SYSTEM_ACCESSTOKEN`.
pub fn from_env() -> Result<Credential, Missing> {
    let pat = std::env::var("CODERABBIT_PAT")
        .ok()
        .filter(|v| !v.trim().is_empty());
    match pat {
        Some(value) if !is_unexpanded_macro(&value) => {
            return Ok(Credential::Pat(value.trim().to_owned()));
        }
        Some(_) => {
            if let Some(token) = non_empty("SYSTEM_ACCESSTOKEN").filter(|t| !is_unexpanded_macro(t))
            {
                return Ok(Credential::Bearer(token.trim().to_owned()));
            }
            return Err(Missing::Unexpanded);
        }
        None => {}
    }
    match non_empty("SYSTEM_ACCESSTOKEN") {
        Some(token) if !is_unexpanded_macro(&token) => {
            Ok(Credential::Bearer(token.trim().to_owned()))
        }
        Some(_) => Err(Missing::Unexpanded),
        None => Err(Missing::Absent),
    }
}

/// The sentence for a missing token.
pub fn missing_sentence(missing: &Missing) -> &'static str {
    match missing {
        Missing::Unexpanded => {
            "the access token arrived as an unexpanded `$(…)` macro: the secret variable does not exist in this pipeline or is not mapped — define it (e.g. CodeRabbitPAT, marked secret) and pass it as `accessToken: $(CodeRabbitPAT)` or `env: CODERABBIT_PAT: $(CodeRabbitPAT)`"
        }
        Missing::Absent => {
            "no access token: secret variables reach a step only when mapped — pass the CodeRabbit user's PAT as `accessToken: $(CodeRabbitPAT)` (task) or `env: CODERABBIT_PAT: $(CodeRabbitPAT)` (script)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexpanded_macros_are_not_tokens() {
        assert!(is_unexpanded_macro("$(CodeRabbitPAT)"));
        assert!(!is_unexpanded_macro("abc$(x)"));
    }
}
