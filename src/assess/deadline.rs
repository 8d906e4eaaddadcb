//! The deadline check: the arrival time (server time, see DESIGN.md) against the call's
//! deadline in its own time zone, inclusive to the second, plus the configured grace.

use chrono::{DateTime, Utc};

use crate::config::Call;

/// The outcome, with the difference recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineFinding {
    pub on_time: bool,
    /// The deadline as an instant.
    pub deadline: DateTime<Utc>,
    /// Arrival minus deadline, in seconds (negative: before the deadline).
    pub diff_secs: i64,
    /// Late, but within the grace period.
    pub within_grace: bool,
}

pub fn check(arrival: DateTime<Utc>, call: &Call) -> DeadlineFinding {
    let deadline = call.deadline_utc();
    let closes = call.closes_at();
    DeadlineFinding {
        on_time: arrival <= closes,
        deadline,
        diff_secs: (arrival - deadline).num_seconds(),
        within_grace: arrival > deadline && arrival <= closes,
    }
}

/// "2 uur en 5 minuten" — how late, in plain Dutch.
pub fn late_by_nl(diff_secs: i64) -> String {
    let s = diff_secs.max(1);
    let days = s / 86_400;
    let hours = (s % 86_400) / 3600;
    let minutes = (s % 3600) / 60;
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(if days == 1 {
            "1 dag".to_string()
        } else {
            format!("{days} dagen")
        });
    }
    if hours > 0 {
        parts.push(format!("{hours} uur"));
    }
    if minutes > 0 && days == 0 {
        parts.push(if minutes == 1 {
            "1 minuut".to_string()
        } else {
            format!("{minutes} minuten")
        });
    }
    if parts.is_empty() {
        return "minder dan een minuut".to_string();
    }
    match parts.len() {
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} en {last}", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn call() -> Call {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/intake.toml");
        crate::config::Config::load_with_env(&path, &[])
            .unwrap()
            .call
    }

    #[test]
    fn the_last_second_of_21_march_amsterdam_time_is_on_time_and_the_next_is_late() {
        let c = call();
        // 23:59:59 CET = 22:59:59 UTC
        let last = Utc.with_ymd_and_hms(2018, 3, 21, 22, 59, 59).unwrap();
        let f = check(last, &c);
        assert!(f.on_time);
        assert_eq!(f.diff_secs, 0);
        let next = Utc.with_ymd_and_hms(2018, 3, 21, 23, 0, 0).unwrap();
        let f = check(next, &c);
        assert!(!f.on_time);
        assert_eq!(f.diff_secs, 1);
    }

    #[test]
    fn grace_minutes_extend_the_deadline() {
        let mut c = call();
        c.grace_minutes = 15;
        let t = Utc.with_ymd_and_hms(2018, 3, 21, 23, 10, 0).unwrap();
        let f = check(t, &c);
        assert!(f.on_time && f.within_grace);
    }

    #[test]
    fn a_deadline_in_summer_time_uses_the_summer_offset() {
        let mut c = call();
        // 25 March 2018 is the DST change: 23:59:59 CEST = 21:59:59 UTC.
        c.deadline = chrono::NaiveDate::from_ymd_opt(2018, 3, 25)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap();
        assert_eq!(
            c.deadline_utc(),
            Utc.with_ymd_and_hms(2018, 3, 25, 21, 59, 59).unwrap()
        );
        assert!(!check(Utc.with_ymd_and_hms(2018, 3, 25, 22, 0, 0).unwrap(), &c).on_time);
    }

    #[test]
    fn lateness_is_said_in_plain_dutch() {
        assert_eq!(late_by_nl(30), "minder dan een minuut");
        assert_eq!(late_by_nl(7500), "2 uur en 5 minuten");
        assert_eq!(late_by_nl(90_000), "1 dag en 1 uur");
    }
}
