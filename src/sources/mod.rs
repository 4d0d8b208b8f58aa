//! Sources of findings. Each source looks at the change and produces `Finding`s:
//! `rules` (the built-in reviewer, offline, no token), later an LLM reviewer and imported
//! findings (SARIF, rdjson, checkstyle).

pub mod import;
pub mod rules;
