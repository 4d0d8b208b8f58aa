//! Build failure remediation (Pro): read a failed PR build's logs, find the errors, tie them to the PR.

pub mod extract;
