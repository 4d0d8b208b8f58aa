//! What the agent needs to talk to a model: the provider, where it is, which model, the key and
//! the limits of one run. Filled by the caller from the pipeline's variables, never from the
//! repository's configuration; this module reads no environment.

use std::fmt;
use std::time::Duration;

/// Which wire format the model server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Any OpenAI-compatible Chat Completions server (`{base}/chat/completions`, Bearer key):
    /// OpenAI, Azure AI Foundry's v1 endpoint, Ollama, vLLM, LM Studio, LiteLLM.
    OpenAi,
    /// Azure OpenAI's deployment URL (`{endpoint}/openai/deployments/{deployment}/chat/
    /// completions?api-version=…`, `api-key` header); the model is the deployment name.
    AzureOpenAi,
    /// Anthropic's Messages API (`{base}/v1/messages`, `x-api-key`, `anthropic-version`).
    Anthropic,
}

impl Provider {
    /// The name used by `CODERABBIT_LLM_PROVIDER` and the task's `llmProvider` input.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::AzureOpenAi => "azure-openai",
            Provider::Anthropic => "anthropic",
        }
    }

    /// Parses a provider name; `None` for `none`, the empty string or an unknown name.
    pub fn parse(name: &str) -> Option<Provider> {
        match name.trim().to_ascii_lowercase().as_str() {
            "openai" => Some(Provider::OpenAi),
            "azure-openai" | "azure_openai" | "azureopenai" => Some(Provider::AzureOpenAi),
            "anthropic" => Some(Provider::Anthropic),
            _ => None,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A credential: printed, logged and debug-formatted only as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The Azure OpenAI API version used when none is given: the GA version with structured
/// outputs.
pub const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";

/// Most input plus output tokens one run spends by default: a 100-file pull request fits.
pub const DEFAULT_TOKEN_BUDGET: u64 = 600_000;

/// Most requests one run makes by default.
pub const DEFAULT_MAX_REQUESTS: u32 = 200;

/// How the agent reaches the model and how much one run may spend.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub provider: Provider,
    /// The server's base URL: `https://api.openai.com/v1`, `http://localhost:11434/v1`, an Azure
    /// resource endpoint `https://name.openai.azure.com`, `https://api.anthropic.com`.
    pub base_url: String,
    /// The model name; for Azure OpenAI the deployment name.
    pub model: String,
    pub api_key: ApiKey,
    /// Azure OpenAI's `api-version` (default [`DEFAULT_AZURE_API_VERSION`]); for Anthropic the
    /// `anthropic-version` header when given (default `2023-06-01`).
    pub api_version: Option<String>,
    /// Most input plus output tokens of the run.
    pub token_budget: u64,
    /// Most requests of the run.
    pub max_requests: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// How long one question may take, the answer and any retries included.
    pub timeout: Duration,
}

impl LlmSettings {
    /// Settings with the run's defaults for everything but where and what to ask.
    pub fn new(
        provider: Provider,
        base_url: impl Into<String>,
        model: impl Into<String>,
        api_key: ApiKey,
    ) -> Self {
        LlmSettings {
            provider,
            base_url: base_url.into(),
            model: model.into(),
            api_key,
            api_version: None,
            token_budget: DEFAULT_TOKEN_BUDGET,
            max_requests: DEFAULT_MAX_REQUESTS,
            concurrency: 4,
            timeout: Duration::from_secs(120),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows_in_debug_or_display() {
        let settings = LlmSettings::new(
            Provider::OpenAi,
            "http://127.0.0.1:1/v1",
            "m",
            ApiKey::new("sk-very-secret-value"),
        );
        let shown = format!("{settings:?} {}", settings.api_key);
        assert!(!shown.contains("sk-very-secret-value"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn provider_names_round_trip() {
        for p in [Provider::OpenAi, Provider::AzureOpenAi, Provider::Anthropic] {
            assert_eq!(Provider::parse(p.as_str()), Some(p));
        }
        assert_eq!(Provider::parse("none"), None);
    }
}
