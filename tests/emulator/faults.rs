//! Injected faults: what the next requests suffer instead of (or on top of) a normal answer.
//! One-shot faults are consumed in the order they were queued; "fail after N writes" applies once
//! N more writes have succeeded and then to every request. Write faults wait for the next writes
//! whose `METHOD path` matches their pattern, and come in both kinds a client must survive: the
//! write failed (nothing stored), or it was stored and the answer was lost.

use std::collections::VecDeque;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Fault {
    /// Answer this status with a JSON error body.
    Status(u16),
    /// Answer 429 with `Retry-After`.
    RateLimited { retry_after_secs: u64 },
    /// Serve normally, adding `X-RateLimit-Delay`.
    Throttled { delay_secs: f64 },
    /// Close the connection without answering.
    Drop,
}

/// What a write suffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteFault {
    /// Not stored; answered with this status.
    Refused(u16),
    /// Not stored; the connection is closed without an answer.
    RefusedDropped,
    /// Stored, then answered with this status (a 5xx after the service committed it).
    AppliedThenStatus(u16),
    /// Stored, then the connection is closed without an answer.
    AppliedThenDropped,
}

#[derive(Debug)]
struct PendingWriteFault {
    /// Matched against `METHOD path`, e.g. `POST .*/threads$`.
    pattern: regex::Regex,
    remaining: usize,
    fault: WriteFault,
}

#[derive(Debug, Default)]
pub(super) struct Faults {
    pub(super) latency: Duration,
    queue: VecDeque<Fault>,
    writes: Vec<PendingWriteFault>,
    after_writes: Option<AfterWrites>,
}

#[derive(Debug)]
struct AfterWrites {
    remaining: usize,
    fault: Fault,
}

impl Faults {
    pub(super) fn push(&mut self, n: usize, fault: Fault) {
        self.queue.extend(std::iter::repeat_n(fault, n));
    }

    pub(super) fn fail_after_writes(&mut self, n: usize, fault: Fault) {
        self.after_writes = Some(AfterWrites {
            remaining: n,
            fault,
        });
    }

    pub(super) fn push_write(&mut self, pattern: &str, n: usize, fault: WriteFault) {
        let pattern = regex::Regex::new(pattern)
            .unwrap_or_else(|error| panic!("bad write fault pattern {pattern:?}: {error}"));
        self.writes.push(PendingWriteFault {
            pattern,
            remaining: n,
            fault,
        });
    }

    /// The write fault the write `method path` suffers, if any.
    pub(super) fn next_write(&mut self, method: &str, path: &str) -> Option<WriteFault> {
        let line = format!("{method} {path}");
        let pending = self
            .writes
            .iter_mut()
            .find(|pending| pending.remaining > 0 && pending.pattern.is_match(&line))?;
        pending.remaining -= 1;
        Some(pending.fault)
    }

    /// The fault the current request suffers, if any.
    pub(super) fn next(&mut self) -> Option<Fault> {
        if let Some(fault) = self.queue.pop_front() {
            return Some(fault);
        }
        match &self.after_writes {
            Some(after) if after.remaining == 0 => Some(after.fault),
            _ => None,
        }
    }

    /// Counts a write the service carried out.
    pub(super) fn write_succeeded(&mut self) {
        if let Some(after) = &mut self.after_writes {
            after.remaining = after.remaining.saturating_sub(1);
        }
    }
}
