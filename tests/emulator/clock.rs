//! Timestamps and identifiers the service would assign: ISO 8601 UTC dates that strictly increase
//! (so "last updated" comparisons are never ties), and deterministic GUIDs and object ids.

use std::time::{SystemTime, UNIX_EPOCH};

/// Hands out strictly increasing timestamps, one millisecond apart at least.
#[derive(Debug, Default)]
pub(super) struct Clock {
    last_millis: u64,
}

impl Clock {
    pub(super) fn now(&mut self) -> String {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        self.last_millis = wall.max(self.last_millis + 1);
        iso8601(self.last_millis)
    }
}

/// `2026-01-02T03:04:05.678Z` for milliseconds since the epoch.
pub(super) fn iso8601(millis: u64) -> String {
    let days = millis / 86_400_000;
    let in_day = millis % 86_400_000;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

fn fnv1a(seed: &str, basis: u64) -> u64 {
    seed.bytes().fold(basis, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A GUID derived from `seed`: the same seed always gives the same GUID.
pub(super) fn guid(seed: &str) -> String {
    let hex = format!(
        "{:016x}{:016x}",
        fnv1a(seed, 0xcbf2_9ce4_8422_2325),
        fnv1a(seed, 0x8422_2325_cbf2_9ce4)
    );
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A 40-hex-digit Git object id derived from `seed`.
pub(super) fn object_id(seed: &str) -> String {
    format!(
        "{:016x}{:016x}{:08x}",
        fnv1a(seed, 0xcbf2_9ce4_8422_2325),
        fnv1a(seed, 0x8422_2325_cbf2_9ce4),
        fnv1a(seed, 0x1234_5678_9abc_def0) >> 32
    )
}
