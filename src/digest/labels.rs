//! Short Dutch labels for the machine codes in the digest data, and Dutch date formatting.
//!
//! Only single words and short phrases live here (the letters' sentences are in the
//! templates). An unknown code is shown as it is, never dropped: a new state added elsewhere
//! then still reaches the staff.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;

/// Dutch label of a nomination status (`current`, `superseded`, `late`).
pub fn status(code: &str) -> String {
    match code {
        "current" => "actueel",
        "superseded" => "vervangen door nieuwere versie",
        "late" => "te laat",
        other => other,
    }
    .to_string()
}

/// Dutch label of a consultation state.
pub fn consultation_state(code: &str) -> String {
    match code {
        "sent" => "gevraagd, nog geen antwoord",
        "reminded" => "herinnering gestuurd",
        "support" => "steunt",
        "objection" => "BEZWAAR",
        "no_opinion" => "geen mening",
        "needs_reading" => "antwoord niet herkend, lees het zelf",
        "no_answer" => "geen antwoord gekregen",
        other => other,
    }
    .to_string()
}

/// Order in which consultation states are listed: objections first, then what needs reading,
/// then open requests, then answers.
pub fn consultation_rank(code: &str) -> u8 {
    match code {
        "objection" => 0,
        "needs_reading" => 1,
        "no_answer" => 2,
        "reminded" => 3,
        "sent" => 4,
        "support" => 5,
        "no_opinion" => 6,
        _ => 7,
    }
}

/// `ja` or `nee`.
pub fn yes_no(b: bool) -> String {
    if b { "ja" } else { "nee" }.to_string()
}

/// "21 maart 2018".
pub fn date(t: DateTime<Utc>, tz: Tz) -> String {
    crate::letters::dutch_date(t, tz)
}

/// "21 maart 2018 om 23:59".
pub fn date_time(t: DateTime<Utc>, tz: Tz) -> String {
    let l = t.with_timezone(&tz);
    format!("{} om {:02}:{:02}", date(t, tz), l.hour(), l.minute())
}

/// "21-03 23:59": short form for tables.
pub fn short_date_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%d-%m %H:%M").to_string()
}

/// "2018-03-21 23:59": sortable form for spreadsheets.
pub fn sortable_date_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// "1 voordracht" / "3 voordrachten".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_are_shown_in_dutch_in_the_call_time_zone() {
        let t = Utc.with_ymd_and_hms(2018, 3, 21, 22, 59, 0).unwrap();
        let tz: Tz = "Europe/Amsterdam".parse().unwrap();
        assert_eq!(date_time(t, tz), "21 maart 2018 om 23:59");
        assert_eq!(short_date_time(t, tz), "21-03 23:59");
    }

    #[test]
    fn unknown_codes_are_shown_as_they_are() {
        assert_eq!(consultation_state("objection"), "BEZWAAR");
        assert_eq!(consultation_state("maybe"), "maybe");
    }
}
