//! `coderabbit-agent doctor`: checks the token and the pipeline context, one line per check
//! with its verdict and, when something is wrong, the fix. It only reads; it never writes.

use std::io::Write;

use anyhow::Result;

use crate::azure_devops::{self, ApiError, Client, PullRequestApi, PullRequestRef};
use crate::cli::RepoArgs;
use crate::context::{Context, PullRequestBuild};
use crate::credentials::{Auth, AuthSource};
use crate::error::{UserError, exit};
use crate::settings::{Plan, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Warn,
    Fail,
    Skip,
}

struct Report<'w> {
    out: &'w mut dyn Write,
    failed: usize,
}

impl Report<'_> {
    fn line(&mut self, verdict: Verdict, check: &str, detail: &str) -> std::io::Result<()> {
        let tag = match verdict {
            Verdict::Ok => "ok  ",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        };
        if verdict == Verdict::Fail {
            self.failed += 1;
        }
        writeln!(self.out, "{tag}  {check}: {detail}")
    }

    fn api(&mut self, check: &str, result: Result<String, ApiError>) -> std::io::Result<bool> {
        match result {
            Ok(detail) => self.line(Verdict::Ok, check, &detail).map(|()| true),
            Err(err) => self
                .line(Verdict::Fail, check, &err.to_string())
                .map(|()| false),
        }
    }
}

/// Does a display name look like a dedicated review account rather than a person?
fn looks_dedicated(name: &str) -> bool {
    let lower = name.to_lowercase();
    ["coderabbit", "review", "bot", "service", "automation"]
        .iter()
        .any(|w| lower.contains(w))
}

pub(super) fn run(_args: &RepoArgs, settings: &Settings, out: &mut dyn Write) -> Result<i32> {
    let mut report = Report { out, failed: 0 };
    let pr = match &settings.context {
        Context::PullRequest(pr) => {
            report.line(
                Verdict::Ok,
                "pipeline",
                &format!(
                    "pull request {} in repository {} of project {} at {}",
                    pr.pull_request_id, pr.repository_id, pr.project, pr.collection_uri
                ),
            )?;
            Some(pr.clone())
        }
        Context::OtherBuild { reason } => {
            report.line(Verdict::Warn, "pipeline", &format!("a pipeline build, but not for a pull request (Build.Reason {reason}): the review runs only in PR validation builds — add the pipeline as a build validation branch policy"))?;
            None
        }
        Context::Local => {
            report.line(
                Verdict::Skip,
                "pipeline",
                "not in Azure Pipelines: the checks that need a pull request are skipped",
            )?;
            None
        }
    };
    let collection = pr
        .as_ref()
        .map(|p| p.collection_uri.clone())
        .or_else(|| settings.pipeline.collection_uri.clone());
    let auth = match &settings.credentials.auth {
        Ok(auth) => {
            report.line(
                Verdict::Ok,
                "authentication",
                &format!("with {}", auth.source.describe()),
            )?;
            Some(auth)
        }
        Err(missing) => {
            report.line(Verdict::Fail, "token", missing.sentence())?;
            None
        }
    };
    if let (Some(collection), Some(auth)) = (collection, auth) {
        check_service(&mut report, &collection, auth, pr.as_ref(), settings)?;
    }
    if report.failed > 0 {
        return Err(UserError::new(format!(
            "{} check(s) failed: see the lines marked FAIL above for the fix",
            report.failed
        ))
        .into());
    }
    Ok(exit::OK)
}

fn check_service(
    report: &mut Report<'_>,
    collection: &str,
    auth: &Auth,
    pr: Option<&PullRequestBuild>,
    settings: &Settings,
) -> Result<()> {
    let client = match Client::new(collection, &auth.credential, settings.network.clone()) {
        Ok(client) => client,
        Err(err) => {
            report.line(Verdict::Fail, "connection", &err.to_string())?;
            return Ok(());
        }
    };
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let identity = azure_devops::identity::connection_data(&client).await;
        let known = match identity {
            Ok(data) => {
                let user = data.authenticated_user.unwrap_or_default();
                let name = user.provider_display_name.clone().unwrap_or_else(|| "an unnamed identity".into());
                let account = user.account().map(|a| format!(" <{a}>")).unwrap_or_default();
                report.line(Verdict::Ok, "token", &format!("authenticates as {name}{account}"))?;
                match &auth.source {
                    AuthSource::JobToken => report.line(Verdict::Warn, "reviewer identity", "System.AccessToken is in use: comments will come from the build service — create a PAT for the dedicated CodeRabbit user and pass it as accessToken, or use a service connection")?,
                    AuthSource::Pat | AuthSource::ServiceConnection(_) if !looks_dedicated(&name) => report.line(Verdict::Warn, "reviewer identity", &format!("reviews will be attributed to {name}, which does not look like a dedicated review identity — name the user or service principal CodeRabbit"))?,
                    AuthSource::Pat | AuthSource::ServiceConnection(_) => report.line(Verdict::Ok, "reviewer identity", &format!("reviews will be attributed to {name}"))?,
                }
                true
            }
            Err(err) => {
                report.line(Verdict::Fail, "token", &err.to_string())?;
                false
            }
        };
        let Some(pr) = pr else { return Ok::<(), anyhow::Error>(()) };
        if !known {
            return Ok(());
        }
        let api = PullRequestApi::new(&client, PullRequestRef { project: pr.project.clone(), repository: pr.repository_id.clone(), id: pr.pull_request_id });
        let read = api.pull_request().await.map(|p| format!("\"{}\" ({})", p.title, p.status.unwrap_or_default()));
        report.api("read the pull request", read)?;
        let threads = api.threads().await.map(|t| format!("{} thread(s); commenting needs Code (Read & write) and Contribute to pull requests", t.len()));
        report.api("list threads", threads)?;
        let pro = settings.plan == Plan::Pro;
        match (pro, pr.build_id.as_deref()) {
            (false, _) => report.line(Verdict::Skip, "read the build timeline", "CODERABBIT_PLAN is not pro: build failure remediation is a Pro feature")?,
            (true, None) => report.line(Verdict::Skip, "read the build timeline", "BUILD_BUILDID is not set")?,
            (true, Some(build)) => {
                let timeline = azure_devops::builds::timeline(&client, &pr.project, build)
                    .await
                    .map(|t| format!("{} record(s) (the token has Build (Read))", t.records.len()));
                report.api("read the build timeline", timeline)?;
            }
        }
        Ok(())
    })?;
    Ok(())
}
