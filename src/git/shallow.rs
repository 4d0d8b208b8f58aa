//! (being written)
pub struct FetchAuth;
pub fn ensure_commits() {}
