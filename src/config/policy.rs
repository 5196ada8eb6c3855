//! Rate-limit policies and their configuration format, `COUNT/WINDOW`: `30/1m` is 30 hits a
//! minute, `5/15m` five per quarter hour, `20/1h` twenty an hour; the window's unit is `s`,
//! `m`, `h` or `d`, its number may be left out (`30/m`).

use std::fmt;
use std::time::Duration;

/// A limit: at most `limit` hits per `window` for each key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Names the policy in keys and metrics.
    pub name: &'static str,
    pub limit: u64,
    pub window: Duration,
}

/// The shortest window: the `RateLimit-Reset` and `Retry-After` headers count whole seconds.
pub const MIN_WINDOW: Duration = Duration::from_secs(1);
/// The longest window: in-process counters left idle this long are dropped.
pub const MAX_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

impl Policy {
    /// Parse `COUNT/WINDOW` for the policy `name`. The error says what is wrong in words a
    /// deployer understands; the caller names the setting.
    pub fn parse(name: &'static str, text: &str) -> Result<Self, String> {
        let (count, window) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not COUNT/WINDOW, like 20/1h or 5/15m"))?;
        let limit: u64 = count
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: the count {count:?} is not a whole number"))?;
        if limit == 0 {
            return Err(format!("{text:?}: the count must be at least 1"));
        }
        let window = parse_window(window.trim()).ok_or_else(|| {
            format!("{text:?}: the window {window:?} is not a number and a unit s, m, h or d, like 1h or 15m")
        })?;
        if !(MIN_WINDOW..=MAX_WINDOW).contains(&window) {
            return Err(format!("{text:?}: the window must be between 1s and 1d"));
        }
        Ok(Self {
            name,
            limit,
            window,
        })
    }
}

fn parse_window(text: &str) -> Option<Duration> {
    let split = text.len().checked_sub(1)?;
    let (number, unit) = text.split_at_checked(split)?;
    let unit_secs: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => return None,
    };
    let number: u64 = if number.is_empty() {
        1
    } else if number.bytes().all(|byte| byte.is_ascii_digit()) {
        number.parse().ok()?
    } else {
        return None;
    };
    number.checked_mul(unit_secs).map(Duration::from_secs)
}

/// `COUNT/WINDOW` again, with the window in its largest whole unit (`20/1h`).
impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.window.as_secs();
        let (number, unit) = [(24 * 60 * 60, "d"), (60 * 60, "h"), (60, "m")]
            .into_iter()
            .find(|(unit_secs, _)| secs.is_multiple_of(*unit_secs))
            .map_or((secs, "s"), |(unit_secs, unit)| (secs / unit_secs, unit));
        write!(f, "{}/{number}{unit}", self.limit)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parse(text: &str) -> Result<(u64, u64), String> {
        Policy::parse("test", text).map(|policy| (policy.limit, policy.window.as_secs()))
    }

    #[test]
    fn reads_count_per_window() {
        for (text, expected) in [
            ("30/1m", (30, 60)),
            ("5/15m", (5, 15 * 60)),
            ("20/1h", (20, 60 * 60)),
            ("6000/m", (6000, 60)),
            ("1/1d", (1, 24 * 60 * 60)),
            ("50000/1s", (50_000, 1)),
            (" 3 / 2h ", (3, 2 * 60 * 60)),
            ("7/90s", (7, 90)),
        ] {
            assert_eq!(parse(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_policy() {
        for text in [
            "",
            "20",
            "/1h",
            "20/",
            "0/1h",
            "-1/1h",
            "1.5/1h",
            "x/1h",
            "20/1",
            "20/h1",
            "20/1w",
            "20/1 h",
            "20/+1h",
            "20/0s",
            "20/2d",
            "20/86401s",
            "off",
            "20/1h/2",
            "99999999999999999999/1h",
            "1/99999999999999999999d",
        ] {
            assert!(parse(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn displays_in_the_largest_whole_unit() {
        for (text, shown) in [
            ("20/60m", "20/1h"),
            ("5/15m", "5/15m"),
            ("1/86400s", "1/1d"),
            ("3/90s", "3/90s"),
        ] {
            assert_eq!(Policy::parse("test", text).unwrap().to_string(), shown);
        }
    }

    proptest! {
        #[test]
        fn any_valid_policy_reads_back_what_it_says(
            limit in 1u64..=u64::MAX,
            (number, unit, unit_secs) in prop_oneof![
                (1u64..=86_400).prop_map(|n| (n, "s", 1)),
                (1u64..=1_440).prop_map(|n| (n, "m", 60)),
                (1u64..=24).prop_map(|n| (n, "h", 3_600)),
                Just((1u64, "d", 86_400)),
            ],
        ) {
            let policy = Policy::parse("test", &format!("{limit}/{number}{unit}")).unwrap();
            prop_assert_eq!(policy.limit, limit);
            prop_assert_eq!(policy.window, Duration::from_secs(number * unit_secs));
            prop_assert_eq!(Policy::parse("test", &policy.to_string()).unwrap(), policy);
        }

        #[test]
        fn never_panics(text in "\\PC{0,24}") {
            let _ = Policy::parse("test", &text);
        }
    }
}
