//! The environment, read once: where the agent runs (the pipeline context), which credential
//! it uses, how it reaches the network, the plan, the language model settings and the agent's
//! own variables. Every other module receives these typed settings; none reads the environment
//! itself (ripgrep's `LowArgs`/`HiArgs`, reviewdog's `cienv`).
//!
//! LLM settings and credentials come only from here — the pipeline — never from
//! `.coderabbit.yaml`: a pull request must not be able to redirect the agent's keys.

use std::path::PathBuf;
use std::time::Duration;

use crate::azure_devops::{AgentProxy, Credential, NetworkSettings};
use crate::context::Context;
use crate::credentials::Credentials;
use crate::error::UserError;
use crate::git::{FetchAuth, FetchCredential};
use crate::sources::llm::{ApiKey, LlmSettings, Provider};

/// The subscription plan (`CODERABBIT_PLAN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Plan {
    #[default]
    Free,
    Pro,
}

/// The language model settings, as the pipeline gave them (validated when the reviewer starts).
#[derive(Clone, Default)]
pub struct LlmEnv {
    pub provider: Option<String>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key: Option<String>,
    pub api_version: Option<String>,
    pub token_budget: Option<String>,
}

impl std::fmt::Debug for LlmEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmEnv")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("api_version", &self.api_version)
            .field("token_budget", &self.token_budget)
            .finish()
    }
}

impl LlmEnv {
    /// The names `CODERABBIT_LLM_PROVIDER` accepts, `none` first.
    pub const PROVIDERS: [&'static str; 4] = ["none", "openai", "azure-openai", "anthropic"];

    /// The provider, if one is configured; one sentence when the name is not a provider.
    pub fn provider(&self) -> Result<Option<Provider>, UserError> {
        let name = self.provider.as_deref().unwrap_or_default().trim();
        if name.is_empty() || name.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        Provider::parse(name).map(Some).ok_or_else(|| {
            UserError::new(format!(
                "CODERABBIT_LLM_PROVIDER is `{name}`, which is not a provider: use one of {}",
                Self::PROVIDERS.join(", ")
            ))
        })
    }

    /// The model settings, when a provider is configured; one sentence for what is missing.
    pub fn model_settings(&self) -> Result<Option<LlmSettings>, UserError> {
        let Some(provider) = self.provider()? else {
            return Ok(None);
        };
        let base_url = match (&self.base_url, provider) {
            (Some(url), _) => url.clone(),
            (None, Provider::OpenAi) => "https://api.openai.com/v1".to_owned(),
            (None, Provider::Anthropic) => "https://api.anthropic.com".to_owned(),
            (None, Provider::AzureOpenAi) => {
                return Err(UserError::new(
                    "CODERABBIT_LLM_BASE_URL is not set: for azure-openai give the resource's endpoint (llmBaseUrl), e.g. https://NAME.openai.azure.com",
                ));
            }
        };
        let Some(model) = self.model.clone() else {
            return Err(UserError::new(format!(
                "CODERABBIT_LLM_MODEL is not set: name the model (llmModel){}",
                if provider == Provider::AzureOpenAi {
                    " — for azure-openai, the deployment name"
                } else {
                    ""
                }
            )));
        };
        let api_key = self.api_key.clone().unwrap_or_default();
        if api_key.is_empty() && provider != Provider::OpenAi {
            return Err(UserError::new(format!(
                "CODERABBIT_LLM_API_KEY is not set: {provider} needs an API key (llmApiKey, from a secret variable)"
            )));
        }
        let mut settings = LlmSettings::new(provider, base_url, model, ApiKey::new(api_key));
        settings.api_version = self.api_version.clone();
        if let Some(budget) = &self.token_budget {
            settings.token_budget = budget.parse().map_err(|_| {
                UserError::new(format!(
                    "CODERABBIT_LLM_TOKEN_BUDGET is `{budget}`, which is not a number of tokens"
                ))
            })?;
        }
        Ok(Some(settings))
    }
}

/// The agent's own variables, beyond the pull request context.
#[derive(Debug, Clone, Default)]
pub struct Pipeline {
    /// `TF_BUILD=True`: the agent runs inside Azure Pipelines (logging commands apply).
    pub in_pipeline: bool,
    /// `SYSTEM_COLLECTIONURI`, also outside PR builds (for `doctor`).
    pub collection_uri: Option<String>,
    /// `SYSTEM_TEAMPROJECT`: the project's name, for links people open.
    pub team_project: Option<String>,
    /// `SYSTEM_TEAMPROJECTID`: the project's id.
    pub team_project_id: Option<String>,
    /// `BUILD_REPOSITORY_ID`: the repository the pipeline runs for (the conversation
    /// pipeline refuses a payload of another one).
    pub repository_id: Option<String>,
    /// `BUILD_REPOSITORY_PROVIDER`: `TfsGit` for Azure Repos.
    pub repository_provider: Option<String>,
    /// `CODERABBIT_EVENT_FILE`: the service hook payload `respond` reads when no `--event` is
    /// given (the conversation pipeline sets it).
    pub event_file: Option<PathBuf>,
    /// `BUILD_SOURCESDIRECTORY`: the checkout.
    pub sources_directory: Option<PathBuf>,
    /// `AGENT_TEMPDIRECTORY`: where the build summary file is written.
    pub temp_directory: Option<PathBuf>,
    /// `SYSTEM_TASKINSTANCEID`: the agent's own step, left out of a failed build's steps.
    pub task_instance_id: Option<String>,
    /// `SYSTEM_PULLREQUEST_ISFORK=True`: secrets are not available.
    pub is_fork: bool,
    /// `GIT_CONFIG_COUNT`: configuration entries the environment already passes to git.
    pub git_config_count: usize,
}

/// Everything the agent takes from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub context: Context,
    pub credentials: Credentials,
    pub network: NetworkSettings,
    pub plan: Plan,
    pub llm: LlmEnv,
    pub pipeline: Pipeline,
    /// `NO_COLOR` set and not empty.
    pub no_color: bool,
}

impl Settings {
    /// The credential to fetch missing history from `origin` with: the same one the agent
    /// presents to the REST API.
    pub fn fetch_auth(&self) -> FetchAuth {
        let credential = match &self.credentials.auth {
            Ok(auth) => match &auth.credential {
                Credential::Pat(pat) => FetchCredential::Pat(pat.clone()),
                Credential::Bearer(token) => FetchCredential::Bearer(token.clone()),
            },
            Err(_) => FetchCredential::None,
        };
        FetchAuth {
            credential,
            existing_config_entries: self.pipeline.git_config_count,
        }
    }

    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let is_true = |name: &str| var(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let seconds = |name: &str, default: u64| {
            var(name)
                .and_then(|v| v.parse::<u64>().ok())
                .map_or(Duration::from_secs(default), Duration::from_secs)
        };
        let agent_proxy = var("AGENT_PROXYURL").map(|url| AgentProxy {
            url,
            username: var("AGENT_PROXYUSERNAME"),
            password: var("AGENT_PROXYPASSWORD"),
            bypass: var("AGENT_PROXYBYPASSLIST")
                .and_then(|list| serde_json::from_str::<Vec<String>>(&list).ok())
                .unwrap_or_default(),
        });
        let standard_proxy = [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ]
        .iter()
        .any(|name| lookup(name).is_some());
        let network = NetworkSettings {
            allow_insecure_http: is_true("CODERABBIT_ALLOW_INSECURE_HTTP"),
            // The standard variables win; reqwest reads them itself, NO_PROXY included.
            agent_proxy: agent_proxy.filter(|_| !standard_proxy),
            timeout: seconds("CODERABBIT_HTTP_TIMEOUT_SECS", 30),
            max_wait: seconds("CODERABBIT_MAX_RETRY_WAIT_SECS", 120),
        };
        let plan = match var("CODERABBIT_PLAN") {
            Some(p) if p.eq_ignore_ascii_case("pro") => Plan::Pro,
            _ => Plan::Free,
        };
        let llm = LlmEnv {
            provider: var("CODERABBIT_LLM_PROVIDER"),
            base_url: var("CODERABBIT_LLM_BASE_URL"),
            model: var("CODERABBIT_LLM_MODEL"),
            api_key: var("CODERABBIT_LLM_API_KEY"),
            api_version: var("CODERABBIT_LLM_API_VERSION"),
            token_budget: var("CODERABBIT_LLM_TOKEN_BUDGET"),
        };
        let pipeline = Pipeline {
            in_pipeline: is_true("TF_BUILD"),
            collection_uri: var("SYSTEM_COLLECTIONURI"),
            team_project: var("SYSTEM_TEAMPROJECT"),
            team_project_id: var("SYSTEM_TEAMPROJECTID"),
            repository_id: var("BUILD_REPOSITORY_ID"),
            event_file: var("CODERABBIT_EVENT_FILE").map(PathBuf::from),
            repository_provider: var("BUILD_REPOSITORY_PROVIDER"),
            sources_directory: var("BUILD_SOURCESDIRECTORY").map(PathBuf::from),
            temp_directory: var("AGENT_TEMPDIRECTORY").map(PathBuf::from),
            task_instance_id: var("SYSTEM_TASKINSTANCEID"),
            is_fork: is_true("SYSTEM_PULLREQUEST_ISFORK"),
            git_config_count: var("GIT_CONFIG_COUNT")
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
        };
        Settings {
            context: Context::from_lookup(lookup),
            credentials: Credentials::from_lookup(lookup),
            network,
            plan,
            llm,
            pipeline,
            no_color: lookup("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(&|k| map.get(k).cloned())
    }

    #[test]
    fn plan_provider_and_pipeline_variables() {
        let s = settings(&[
            ("CODERABBIT_PLAN", "PRO"),
            ("CODERABBIT_LLM_PROVIDER", "azure-openai"),
            ("TF_BUILD", "True"),
            ("SYSTEM_PULLREQUEST_ISFORK", "true"),
            ("GIT_CONFIG_COUNT", "2"),
        ]);
        assert_eq!(s.plan, Plan::Pro);
        assert_eq!(s.llm.provider().unwrap(), Some(Provider::AzureOpenAi));
        assert!(s.pipeline.in_pipeline && s.pipeline.is_fork);
        assert_eq!(s.pipeline.git_config_count, 2);
        assert_eq!(settings(&[]).plan, Plan::Free);
        assert_eq!(settings(&[]).llm.provider().unwrap(), None);
    }

    #[test]
    fn an_unknown_provider_is_one_sentence() {
        let s = settings(&[("CODERABBIT_LLM_PROVIDER", "gpt")]);
        let err = s.llm.provider().unwrap_err().to_string();
        assert!(
            err.contains("`gpt`") && err.contains("azure-openai"),
            "{err}"
        );
    }

    #[test]
    fn model_settings_say_what_is_missing() {
        assert!(settings(&[]).llm.model_settings().unwrap().is_none());
        let azure = settings(&[("CODERABBIT_LLM_PROVIDER", "azure-openai")]);
        assert!(
            azure
                .llm
                .model_settings()
                .unwrap_err()
                .to_string()
                .contains("CODERABBIT_LLM_BASE_URL")
        );
        let ollama = settings(&[
            ("CODERABBIT_LLM_PROVIDER", "openai"),
            ("CODERABBIT_LLM_BASE_URL", "http://localhost:11434/v1"),
            ("CODERABBIT_LLM_MODEL", "qwen2.5-coder"),
            ("CODERABBIT_LLM_TOKEN_BUDGET", "1000"),
        ]);
        let model = ollama.llm.model_settings().unwrap().unwrap();
        assert_eq!(model.token_budget, 1000);
        let anthropic = settings(&[
            ("CODERABBIT_LLM_PROVIDER", "anthropic"),
            ("CODERABBIT_LLM_MODEL", "claude"),
        ]);
        assert!(
            anthropic
                .llm
                .model_settings()
                .unwrap_err()
                .to_string()
                .contains("API key")
        );
    }

    #[test]
    fn the_agent_proxy_applies_unless_a_standard_variable_is_set() {
        let s = settings(&[("AGENT_PROXYURL", "http://proxy:8080")]);
        assert!(s.network.agent_proxy.is_some());
        let s = settings(&[
            ("AGENT_PROXYURL", "http://proxy:8080"),
            ("HTTPS_PROXY", "http://other:3128"),
        ]);
        assert!(s.network.agent_proxy.is_none());
    }

    #[test]
    fn the_api_key_never_shows_in_debug_output() {
        let s = settings(&[("CODERABBIT_LLM_API_KEY", "sk-secret-value")]);
        assert!(!format!("{s:?}").contains("sk-secret-value"));
    }
}
