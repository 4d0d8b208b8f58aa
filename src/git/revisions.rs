//! (being written)
pub struct Revisions;
pub fn resolve_local() {}
pub fn resolve_pull_request() {}
