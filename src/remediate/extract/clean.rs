//! One raw log line to the text the tool printed: without the agent's timestamp and without the
//! terminal's escape sequences.
//!
//! The agent prefixes every line it stores with `2026-11-30T10:00:00.1234567Z ` (UTC, seven
//! fractional digits, one space). Tools that color their output (cargo, jest, vitest, eslint,
//! npm) leave CSI sequences (`ESC [ … m`) and sometimes OSC ones (`ESC ] 8 ;; url ESC \`, a
//! hyperlink) in the line. Everything else is kept byte for byte, including a trailing `\r`.

/// The byte that starts every escape sequence.
const ESC: u8 = 0x1b;

/// Strips the agent's timestamp prefix and ANSI escape sequences (CSI, OSC and the other
/// `ESC`-introduced sequences), and keeps the rest byte for byte. Linear in the line's length.
pub fn clean_line(raw: &str) -> String {
    let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    strip_escapes(strip_timestamp(raw))
}

/// `line` without a leading `YYYY-MM-DDTHH:MM:SS[.fraction]Z ` (or the whole line when it is
/// only the timestamp, an empty line of the log).
fn strip_timestamp(line: &str) -> &str {
    let bytes = line.as_bytes();
    let digits = |from: usize, to: usize| {
        bytes
            .get(from..to)
            .is_some_and(|run| run.iter().all(u8::is_ascii_digit))
    };
    let at = |index: usize, byte: u8| bytes.get(index) == Some(&byte);
    let shaped = digits(0, 4)
        && at(4, b'-')
        && digits(5, 7)
        && at(7, b'-')
        && digits(8, 10)
        && at(10, b'T')
        && digits(11, 13)
        && at(13, b':')
        && digits(14, 16)
        && at(16, b':')
        && digits(17, 19);
    if !shaped {
        return line;
    }
    let mut end = 19;
    if at(end, b'.') {
        let fraction = end + 1;
        end = fraction;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == fraction {
            return line;
        }
    }
    if !at(end, b'Z') {
        return line;
    }
    end += 1;
    match bytes.get(end) {
        None => "",
        Some(b' ') => &line[end + 1..],
        Some(_) => line,
    }
}

fn strip_escapes(line: &str) -> String {
    let bytes = line.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == ESC) else {
        return line.to_owned();
    };
    let mut out = String::with_capacity(line.len());
    let mut kept = 0;
    let mut index = first;
    while index < bytes.len() {
        if bytes[index] == ESC {
            out.push_str(&line[kept..index]);
            index = escape_end(bytes, index);
            kept = index;
        } else {
            index += 1;
        }
    }
    out.push_str(&line[kept..]);
    out
}

/// Where the escape sequence that starts at `start` (an `ESC`) ends. Only ASCII bytes are
/// consumed, except inside OSC-like strings, which end at an ASCII terminator; so the result is
/// always a character boundary.
fn escape_end(bytes: &[u8], start: usize) -> usize {
    let len = bytes.len();
    let Some(&kind) = bytes.get(start + 1) else {
        return len;
    };
    let run = |mut index: usize, range: std::ops::RangeInclusive<u8>| {
        while bytes.get(index).is_some_and(|b| range.contains(b)) {
            index += 1;
        }
        index
    };
    match kind {
        // CSI: parameters, intermediates, one final byte.
        b'[' => {
            let index = run(run(start + 2, 0x30..=0x3f), 0x20..=0x2f);
            match bytes.get(index) {
                Some(0x40..=0x7e) => index + 1,
                _ => index,
            }
        }
        // OSC, DCS, SOS, PM, APC: a string ended by BEL or ST (`ESC \`), or by the line's end.
        b']' | b'P' | b'X' | b'^' | b'_' => {
            let mut index = start + 2;
            while index < len {
                match bytes[index] {
                    0x07 => return index + 1,
                    ESC if bytes.get(index + 1) == Some(&b'\\') => return index + 2,
                    ESC => return index,
                    _ => index += 1,
                }
            }
            len
        }
        // nF sequences (`ESC ( B`, a character set): intermediates, then one final byte.
        0x20..=0x2f => {
            let index = run(start + 1, 0x20..=0x2f);
            match bytes.get(index) {
                Some(0x30..=0x7e) => index + 1,
                _ => index,
            }
        }
        // Two-byte sequences (`ESC =`, `ESC 7`, `ESC M`…).
        0x30..=0x7e => start + 2,
        // A lone ESC.
        _ => start + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_the_agent_timestamp() {
        assert_eq!(
            clean_line("2026-11-30T10:00:00.1234567Z ##[section]Starting: Build"),
            "##[section]Starting: Build"
        );
        assert_eq!(clean_line("2026-11-30T10:00:00Z x"), "x");
        assert_eq!(clean_line("2026-11-30T10:00:00.1234567Z"), "");
        assert_eq!(
            clean_line("2026-11-30T10:00:00.1234567Z   indented"),
            "  indented"
        );
        assert_eq!(clean_line("\u{feff}2026-11-30T10:00:00.1Z x"), "x");
        // Only the agent's prefix: a timestamp the tool printed stays.
        assert_eq!(
            clean_line("2026-11-30T10:00:00.1Z 2026-11-30T10:00:00.2Z tool"),
            "2026-11-30T10:00:00.2Z tool"
        );
        assert_eq!(clean_line("2026-11-30 10:00:00 x"), "2026-11-30 10:00:00 x");
        assert_eq!(
            clean_line("2026-11-30T10:00:00.Z x"),
            "2026-11-30T10:00:00.Z x"
        );
        assert_eq!(
            clean_line("2026-11-30T10:00:00.1Zx"),
            "2026-11-30T10:00:00.1Zx"
        );
    }

    #[test]
    fn strips_csi_and_osc_sequences() {
        assert_eq!(
            clean_line("\u{1b}[1m\u{1b}[38;5;9merror[E0308]\u{1b}[0m\u{1b}[1m: mismatched\u{1b}[m"),
            "error[E0308]: mismatched"
        );
        assert_eq!(
            clean_line("see \u{1b}]8;;https://x.test/a\u{7}link\u{1b}]8;;\u{7} here"),
            "see link here"
        );
        assert_eq!(
            clean_line("\u{1b}]8;;file:///a\u{1b}\\a.rs\u{1b}]8;;\u{1b}\\:3"),
            "a.rs:3"
        );
        assert_eq!(clean_line("\u{1b}(B\u{1b}[mplain\u{1b}[K"), "plain");
        assert_eq!(clean_line("\u{1b}[?25lhidden\u{1b}[?25h"), "hidden");
        assert_eq!(clean_line("\u{1b}=keypad\u{1b}>"), "keypad");
        // Broken sequences end where they stop making sense; nothing panics.
        assert_eq!(clean_line("tail \u{1b}"), "tail ");
        assert_eq!(clean_line("a\u{1b}[31é"), "aé");
        assert_eq!(clean_line("a\u{1b}]unterminated é"), "a");
        assert_eq!(clean_line("a\u{1b}]title\u{1b}[31mred"), "ared");
    }

    #[test]
    fn keeps_everything_else_byte_for_byte() {
        for text in [
            "  3:7  error  'x' is assigned  no-unused-vars\r",
            "\t● Suite › test",
            "émoji 🦀 ünïcode \u{fffd}",
            "",
        ] {
            assert_eq!(clean_line(text), text);
        }
    }

    #[test]
    fn a_megabyte_line_is_linear() {
        let line = format!("2026-11-30T10:00:00.1Z {}", "\u{1b}[31mé".repeat(200_000));
        let cleaned = clean_line(&line);
        assert_eq!(cleaned, "é".repeat(200_000));
        let unterminated = format!("x\u{1b}]{}", "é".repeat(500_000));
        assert_eq!(clean_line(&unterminated), "x");
    }
}
