//! A pull request as Azure Repos presents it to a PR build: an origin repository where main
//! moves on after the feature branch forks, the synthetic merge commit M published as
//! `refs/pull/1/merge`, and checkouts made the way the pipeline's checkout step makes them.

use std::path::Path;

use super::{Repo, git, git_text};

pub struct PullRequestFixture {
    pub origin: Repo,
    pub fork_point: String,
    pub target: String,
    pub source: String,
    pub merge: String,
}

/// Lines built at run time so that this file never trips the rules it tests.
pub fn marker(parts: &[&str]) -> String {
    parts.concat()
}

impl PullRequestFixture {
    /// main forks; the feature adds `feature_files` and edits `src/app.rs`; main then moves (ten
    /// header lines shift every line of M below S's numbers); M merges feature into main.
    pub fn new(feature_files: &[(&str, String)]) -> Self {
        let origin = Repo::new();
        let app: String = (1..=20).map(|i| format!("fn f{i}() {{}}\n")).collect();
        origin
            .write("src/app.rs", &app)
            .write("README.md", "# app\n")
            .write(".coderabbit.yaml", "reviews:\n  profile: assertive\n");
        let fork_point = origin.commit("base");
        origin.git(["checkout", "-q", "-b", "feature"]);
        let mut feature_app = app.clone();
        feature_app.push_str(&marker(&["// FIX", "ME: validate the input\n"]));
        origin.write("src/app.rs", &feature_app);
        for (path, content) in feature_files {
            origin.write(path, content);
        }
        let source = origin.commit("feature work");
        origin.git(["checkout", "-q", "main"]);
        let header: String = (1..=10).map(|i| format!("// header {i}\n")).collect();
        origin.write("src/app.rs", format!("{header}{app}"));
        origin.write("CHANGELOG.md", "main moved on\n");
        let target = origin.commit("main moves");
        let merge = Self::merge(&origin, 1);
        PullRequestFixture {
            origin,
            fork_point,
            target,
            source,
            merge,
        }
    }

    /// Merges feature into main detached, publishes it as `refs/pull/<id>/merge`.
    fn merge(origin: &Repo, id: u32) -> String {
        origin.git(["checkout", "-q", "--detach", "main"]);
        origin.git([
            "merge",
            "-q",
            "--no-ff",
            "feature",
            "-m",
            &format!("Merge pull request {id}"),
        ]);
        let merge = origin.head();
        origin.git(["update-ref", &format!("refs/pull/{id}/merge"), &merge]);
        origin.git(["checkout", "-q", "main"]);
        merge
    }

    /// Pushes another commit to the feature branch (a new iteration) and re-merges.
    pub fn push_to_feature(&mut self, files: &[(&str, Option<String>)]) {
        self.origin.git(["checkout", "-q", "feature"]);
        for (path, content) in files {
            match content {
                Some(content) => {
                    self.origin.write(path, content);
                }
                None => {
                    self.origin.remove(path);
                }
            }
        }
        self.source = self.origin.commit("more feature work");
        self.origin.git(["checkout", "-q", "main"]);
        self.merge = Self::merge(&self.origin, 1);
    }

    /// `git diff --name-status merge-base..S`, as the PR's iteration changes: (path, change type).
    pub fn changes(&self) -> Vec<(String, String)> {
        let out = git_text(
            self.origin.path(),
            [
                "diff",
                "--name-status",
                "--no-renames",
                &self.fork_point,
                &self.source,
            ],
        );
        out.lines()
            .filter_map(|line| {
                let (status, path) = line.split_once('\t')?;
                let kind = match status {
                    "A" => "add",
                    "D" => "delete",
                    _ => "edit",
                };
                Some((format!("/{path}"), kind.to_owned()))
            })
            .collect()
    }

    /// A checkout of M like the checkout step's (optionally `fetchDepth`).
    pub fn checkout(&self, depth: Option<u32>) -> tempfile::TempDir {
        let work = tempfile::tempdir().expect("tempdir");
        self.checkout_into(work.path(), depth);
        work
    }

    pub fn checkout_into(&self, dir: &Path, depth: Option<u32>) {
        let url = format!("file://{}", self.origin.path().display());
        if !dir.join(".git").exists() {
            git(dir, ["init", "-q"]);
            git(dir, ["remote", "add", "origin", &url]);
        }
        let mut fetch = vec!["fetch".to_owned(), "-q".to_owned(), "--no-tags".to_owned()];
        if let Some(depth) = depth {
            fetch.push(format!("--depth={depth}"));
        }
        fetch.push("origin".to_owned());
        fetch.push("+refs/pull/1/merge:refs/remotes/pull/1/merge".to_owned());
        git(dir, &fetch);
        git(dir, ["checkout", "-q", "--force", "--detach", &self.merge]);
    }
}
