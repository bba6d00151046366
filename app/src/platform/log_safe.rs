//! Log hygiene for values that come from the outside world (paths, headers, usernames):
//! `clean` bounds their length and escapes control characters, and `LogBudget` (through the
//! `log_budget!` macro) caps how many lines per second one kind of per-request warning may
//! write, so one client cannot flood the log.

use std::sync::Mutex;

/// Characters of a user-supplied value kept in a log line.
pub const MAX_LOGGED_CHARS: usize = 64;

/// Marks a value that was cut to `MAX_LOGGED_CHARS`.
pub const TRUNCATED: char = '…';

/// At most `MAX_LOGGED_CHARS` characters of `value`, followed by `…` when it was longer;
/// control characters (newlines, escape sequences, NUL …) are written as Rust escapes
/// (`\n`, `\u{1b}`) so one value is always one harmless piece of one line.
pub fn clean(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(MAX_LOGGED_CHARS + 8));
    let mut chars = value.chars();
    for c in chars.by_ref().take(MAX_LOGGED_CHARS) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if chars.next().is_some() {
        out.push(TRUNCATED);
    }
    out
}

/// A per-second allowance of log lines for one kind of event.
pub struct LogBudget {
    per_second: u32,
    state: Mutex<BudgetState>,
}

struct BudgetState {
    second: u64,
    used: u32,
    suppressed: u64,
}

impl LogBudget {
    pub const fn per_second(per_second: u32) -> Self {
        Self { per_second, state: Mutex::new(BudgetState { second: 0, used: 0, suppressed: 0 }) }
    }

    /// `Some(n)` when a line may be written now, `n` being how many were suppressed since the
    /// last one written (log it, so the count is not lost); `None` when over budget.
    pub fn allow(&self) -> Option<u64> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        self.allow_at(now)
    }

    pub fn allow_at(&self, now_second: u64) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.second != now_second {
            state.second = now_second;
            state.used = 0;
        }
        if state.used >= self.per_second {
            state.suppressed += 1;
            return None;
        }
        state.used += 1;
        Some(std::mem::take(&mut state.suppressed))
    }
}

/// `log_budget!(10)`: `Some(suppressed)` if this call site may log now (at most 10 lines per
/// second), else `None`. Each call site has its own budget.
#[macro_export]
macro_rules! log_budget {
    ($per_second:expr) => {{
        static BUDGET: $crate::platform::log_safe::LogBudget =
            $crate::platform::log_safe::LogBudget::per_second($per_second);
        BUDGET.allow()
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_pass_unchanged() {
        assert_eq!(clean("alice"), "alice");
        assert_eq!(clean(""), "");
        assert_eq!(clean("ünïcödé ok"), "ünïcödé ok");
    }

    #[test]
    fn long_values_are_cut_at_64_characters_with_a_marker() {
        let exactly = "x".repeat(64);
        assert_eq!(clean(&exactly), exactly);
        assert_eq!(clean(&"x".repeat(65)), format!("{}…", "x".repeat(64)));
        // Characters, not bytes: a multi-byte value is never split inside a character.
        assert_eq!(clean(&"é".repeat(100)), format!("{}…", "é".repeat(64)));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("bob\nlevel=error fake"), "bob\\nlevel=error fake");
        assert_eq!(clean("a\r\tb"), "a\\r\\tb");
        assert_eq!(clean("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(clean("nul\0"), "nul\\u{0}");
        assert_eq!(clean("del\u{7f}"), "del\\u{7f}");
    }

    #[test]
    fn escaping_cannot_push_the_output_past_the_limit_by_much() {
        let nasty = "\n".repeat(1000);
        let cleaned = clean(&nasty);
        assert_eq!(cleaned, format!("{}…", "\\n".repeat(64)));
    }

    #[test]
    fn the_budget_allows_n_lines_per_second_and_counts_the_rest() {
        let budget = LogBudget::per_second(3);
        assert_eq!(budget.allow_at(100), Some(0));
        assert_eq!(budget.allow_at(100), Some(0));
        assert_eq!(budget.allow_at(100), Some(0));
        assert_eq!(budget.allow_at(100), None);
        assert_eq!(budget.allow_at(100), None);
        // A new second: the first line written reports the two suppressed ones.
        assert_eq!(budget.allow_at(101), Some(2));
        assert_eq!(budget.allow_at(101), Some(0));
    }

    #[test]
    fn each_macro_call_site_has_its_own_budget() {
        let site_a: Vec<_> = (0..4).map(|_| crate::log_budget!(1)).collect();
        assert_eq!(site_a[0], Some(0));
        // Within at most two seconds, so at most two of the four calls get through.
        assert!(site_a.iter().filter(|a| a.is_some()).count() <= 2, "{site_a:?}");
        assert_eq!(crate::log_budget!(1), Some(0), "another call site starts fresh");
    }
}
