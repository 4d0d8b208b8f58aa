//! Publishing to an Azure DevOps pull request — "just another renderer" plus reconciliation
//! with what an earlier run left there. [`writer`] is the one writer of the agent's threads;
//! [`review`] and [`remediation`] say what each command wants on the PR; [`threads`] renders a
//! thread's text, anchor and bookkeeping properties; [`reconcile`] plans from what is there;
//! [`summary`] is the review's summary comment; [`status`] the PR statuses.

mod reconcile;
pub mod remediation;
mod review;
mod state;
mod status;
mod summary;
mod threads;
mod writer;

pub use reconcile::{Existing, FINGERPRINT, Kind, Plan, plan, plan_kind, recognise};
pub use review::{Report, Settings, publish};
pub use state::{CommentRef, STATE, State, single_summary};
pub use status::status;
pub use threads::{
    Anchor, LineLengths, finding_body, finding_thread, summary_properties, summary_thread,
    summary_thread_with,
};
pub use writer::{InlineReport, SingleChange, ThreadWriter, answered};
