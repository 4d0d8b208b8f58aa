//! Injected faults: what the next requests suffer instead of (or on top of) a normal answer.
//! One-shot faults are consumed in the order they were queued; "fail after N writes" applies once
//! N more writes have succeeded and then to every request.

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

#[derive(Debug, Default)]
pub(super) struct Faults {
    pub(super) latency: Duration,
    queue: VecDeque<Fault>,
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
