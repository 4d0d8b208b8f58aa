//! The HTTPS transport every service client of the agent shares (Azure DevOps today, the
//! language model's API next).
//!
//! It owns how a request reaches a server and when it is sent again: the HTTP client (TLS with
//! the operating system's trust store, proxies, timeouts, plain-http refusal), retries with
//! jittered backoff that honour `Retry-After` and `X-RateLimit-Delay` within a total wait budget,
//! pauses that hold back every request of the run to a throttled host, a refused server
//! certificate told as one sentence that names the host and the fix, the rule that a request
//! which changes something is sent again only when the server cannot have acted on it, request
//! counting, and keeping credentials out of logs. It knows no service: what an answer means is
//! the caller's classification hook ([`Verdict`]), and what went wrong on the network is a
//! [`Failure`] the caller words for its users.

mod backoff;
mod certificate;
mod network;
mod pause;
mod transport;

pub use backoff::{Jitter, RetryPolicy};
pub use certificate::{CertificateFault, CertificateProblem};
pub use network::{
    AgentProxy, NetworkSettings, is_loopback, is_sensitive, loggable, may_carry_credentials,
};
pub use pause::{HostPauses, PauseTooLong, host_key};
pub use transport::{Answer, Error, Failure, Request, Transport, Verdict};
