//! Publishing to an Azure DevOps pull request — "just another renderer" plus reconciliation
//! with what an earlier run left there. [`writer`] is the one writer of the agent's threads;
//! [`review`] and [`remediation`] say what each command wants on the PR; [`threads`] renders a
//! thread's text, anchor and bookkeeping properties; [`reconcile`] plans from what is there;
//! [`summary`] is the review's summary comment; [`status`] the PR statuses.

mod reconcile;
pub(crate) mod remediation;
mod review;
mod state;
mod status;
mod summary;
mod threads;
mod writer;

pub(crate) use reconcile::{Existing, Kind, recognise};
pub(crate) use review::{Report, Settings, publish};
pub(crate) use state::{CommentRef, STATE, State, single_summary};
pub(crate) use status::status;
pub(crate) use threads::{LineLengths, summary_properties, summary_thread_with};
pub(crate) use writer::{ThreadWriter, answered};
