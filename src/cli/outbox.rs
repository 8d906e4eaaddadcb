//! `intake outbox` (every outgoing letter with its state, attempts and last error) and
//! `intake letters show KEY|REF` (a letter as its addressee received it: the text part, with
//! its state). Staff-facing, so in Dutch; the letters themselves come from the outbox rows,
//! which hold each letter exactly as it was (or will be) sent.

use std::process::ExitCode;
use std::sync::Arc;

use super::{EXIT_NOT_FOUND, truncate};
use crate::app::App;
use crate::domain::OutboxStatus;
use crate::store::{self, OutboxRow};

/// Which letters `intake outbox --state` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StateFilter {
    /// Not sent yet (waiting, or to be tried again).
    Pending,
    /// Accepted by the mail server (or written to the file outbox).
    Sent,
    /// Given up after the last attempt.
    Failed,
    /// Sent, and a bounce came back (undeliverable).
    Bounced,
}

impl StateFilter {
    fn matches(self, o: &OutboxRow) -> bool {
        match self {
            StateFilter::Pending => o.status == OutboxStatus::Pending,
            StateFilter::Sent => o.status == OutboxStatus::Sent,
            StateFilter::Failed => o.status == OutboxStatus::Failed,
            StateFilter::Bounced => o.bounced_at.is_some(),
        }
    }
}

/// The one Dutch label of a letter's state.
pub fn state_nl(o: &OutboxRow) -> &'static str {
    if o.bounced_at.is_some() {
        "onbestelbaar"
    } else if o.status == OutboxStatus::Pending && o.attempts > 0 {
        "wordt opnieuw geprobeerd"
    } else {
        o.status.label_nl()
    }
}

/// "1 poging", "3 pogingen".
fn attempts_nl(n: i32) -> String {
    if n == 1 {
        "1 poging".to_string()
    } else {
        format!("{n} pogingen")
    }
}

/// `intake outbox [--state …]`.
pub async fn list(intake: &Arc<App>, state: Option<StateFilter>) -> anyhow::Result<ExitCode> {
    let rows: Vec<OutboxRow> = store::outbox_all(&intake.db)
        .await?
        .into_iter()
        .filter(|o| state.is_none_or(|s| s.matches(o)))
        .collect();
    if rows.is_empty() {
        println!(
            "Geen brieven{}.",
            if state.is_some() {
                " in deze staat"
            } else {
                ""
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<32} {:<22} {:<32} {:<26} pogingen",
        "sleutel", "soort", "aan", "staat"
    );
    for o in &rows {
        println!(
            "{:<32} {:<22} {:<32} {:<26} {}",
            truncate(&o.key, 32),
            truncate(o.kind.label_nl(), 22),
            truncate(&o.recipient, 32),
            truncate(state_nl(o), 26),
            o.attempts
        );
        if let Some(e) = &o.last_error {
            println!(
                "    laatste fout: {}",
                truncate(&crate::clean::line(e, 1000), 160)
            );
        }
        if let Some(why) = o.bounced_at.and(o.bounce_reason.as_deref()) {
            println!(
                "    teruggekomen: {}",
                truncate(&crate::clean::line(why, 1000), 160)
            );
        }
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for o in &rows {
        let s = state_nl(o);
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    println!(
        "\n{}: {}. Eén brief lezen: intake letters show SLEUTEL (of een kenmerk).",
        if rows.len() == 1 {
            "1 brief".to_string()
        } else {
            format!("{} brieven", rows.len())
        },
        counts
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// `intake letters show KEY|REF`: one letter by outbox key, or every letter about a nomination.
pub async fn show_letters(intake: &Arc<App>, what: &str) -> anyhow::Result<ExitCode> {
    let what = what.trim();
    let letters = match store::outbox_by_key(&intake.db, what).await? {
        Some(o) => vec![o],
        None => match store::submission_by_reference(&intake.db, &what.to_uppercase()).await? {
            Some(s) => {
                let suffix = format!(":{}", s.reference);
                store::outbox_all(&intake.db)
                    .await?
                    .into_iter()
                    .filter(|o| o.submission_id == Some(s.id) || o.key.ends_with(&suffix))
                    .collect()
            }
            None => {
                eprintln!(
                    "geen brief met sleutel {what:?} en geen voordracht met dat kenmerk \
                     (intake outbox toont de sleutels)"
                );
                return Ok(ExitCode::from(EXIT_NOT_FOUND));
            }
        },
    };
    if letters.is_empty() {
        eprintln!("er zijn (nog) geen brieven over {}", what.to_uppercase());
        return Ok(ExitCode::from(EXIT_NOT_FOUND));
    }
    let tz = intake.cfg.call.time_zone;
    for (i, o) in letters.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!("{}", render_letter(o, tz));
    }
    Ok(ExitCode::SUCCESS)
}

/// One letter for the terminal: its state and addressing, then the text part as sent.
pub fn render_letter(o: &OutboxRow, tz: chrono_tz::Tz) -> String {
    let mut out = String::new();
    let when = |t| crate::letters::dutch_datetime(t, tz);
    out.push_str(&format!("brief {} ({})\n", o.key, o.kind.label_nl()));
    let state = match (o.status, o.sent_at) {
        (OutboxStatus::Sent, Some(at)) => format!("verzonden op {}", when(at)),
        (OutboxStatus::Pending, _) if o.attempts > 0 => {
            format!("wordt opnieuw geprobeerd vanaf {}", when(o.next_attempt_at))
        }
        (OutboxStatus::Pending, _) => format!("in de wachtrij sinds {}", when(o.created_at)),
        _ => state_nl(o).to_string(),
    };
    out.push_str(&format!(
        "  staat:      {state} ({})\n",
        attempts_nl(o.attempts)
    ));
    if let Some(e) = &o.last_error {
        out.push_str(&format!("  fout:       {}\n", crate::clean::line(e, 1000)));
    }
    if let Some(at) = o.bounced_at {
        out.push_str(&format!(
            "  onbestelbaar teruggekomen op {}: {}\n",
            when(at),
            crate::clean::line(o.bounce_reason.as_deref().unwrap_or("-"), 1000)
        ));
    }
    out.push_str(&format!("  aan:        {}\n", o.recipient));
    let cc: Vec<String> = serde_json::from_str(&o.cc).unwrap_or_default();
    if !cc.is_empty() {
        out.push_str(&format!("  kopie aan:  {}\n", cc.join(", ")));
    }
    out.push_str(&format!("  van:        {}\n", o.sender));
    out.push_str(&format!(
        "  onderwerp:  {}\n",
        crate::clean::line(&o.subject, 1000)
    ));
    let rule = "-".repeat(72);
    out.push_str(&rule);
    out.push('\n');
    let facts = crate::mail::facts(&o.raw);
    match facts.text {
        Some(text) => {
            let text = text.replace("\r\n", "\n");
            out.push_str(text.trim_end());
            out.push('\n');
        }
        None => out.push_str("(deze brief heeft geen tekstdeel)\n"),
    }
    out.push_str(&rule);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LetterKind;
    use chrono::{TimeZone, Utc};

    fn row(status: OutboxStatus, attempts: i32) -> OutboxRow {
        let t = Utc.with_ymd_and_hms(2018, 3, 12, 8, 47, 0).unwrap();
        OutboxRow {
            id: 1,
            key: "confirmation:KVN-0002".into(),
            kind: LetterKind::Confirmation,
            submission_id: Some(2),
            recipient: "inclusie@zwolle.nl".into(),
            sender: "koplopers@vng.nl".into(),
            subject: "Ontvangen: uw voordracht".into(),
            message_id: "<a@vng.nl>".into(),
            raw: b"From: koplopers@vng.nl\r\nTo: inclusie@zwolle.nl\r\nSubject: x\r\n\
                   Content-Type: text/plain; charset=utf-8\r\n\r\nGeachte heer,\r\n\r\nWij hebben uw voordracht ontvangen.\r\n"
                .to_vec(),
            status,
            attempts,
            next_attempt_at: t,
            claimed_by: None,
            claimed_until: None,
            last_error: (attempts > 0 && status != OutboxStatus::Sent).then(|| "451 try later".into()),
            created_at: t,
            sent_at: (status == OutboxStatus::Sent).then_some(t),
            bounced_at: None,
            bounce_reason: None,
            cc: "[]".into(),
        }
    }

    #[test]
    fn a_letter_is_shown_with_its_state_and_the_text_its_addressee_received() {
        let tz: chrono_tz::Tz = "Europe/Amsterdam".parse().unwrap();
        let shown = render_letter(&row(OutboxStatus::Sent, 1), tz);
        assert!(
            shown.starts_with("brief confirmation:KVN-0002 (ontvangstbevestiging)\n"),
            "{shown}"
        );
        assert!(
            shown.contains("staat:      verzonden op 12 maart 2018 om 9.47 uur (1 poging)"),
            "{shown}"
        );
        assert!(shown.contains("aan:        inclusie@zwolle.nl"), "{shown}");
        assert!(
            shown.contains("Geachte heer,\n\nWij hebben uw voordracht ontvangen.\n"),
            "{shown}"
        );
        let retry = render_letter(&row(OutboxStatus::Pending, 2), tz);
        assert!(
            retry.contains("wordt opnieuw geprobeerd vanaf 12 maart 2018 om 9.47 uur (2 pogingen)"),
            "{retry}"
        );
        assert!(retry.contains("fout:       451 try later"), "{retry}");
    }

    #[test]
    fn each_state_of_a_letter_has_one_dutch_label() {
        assert_eq!(state_nl(&row(OutboxStatus::Pending, 0)), "in de wachtrij");
        assert_eq!(
            state_nl(&row(OutboxStatus::Pending, 1)),
            "wordt opnieuw geprobeerd"
        );
        assert_eq!(state_nl(&row(OutboxStatus::Sent, 1)), "verzonden");
        assert_eq!(state_nl(&row(OutboxStatus::Failed, 12)), "mislukt");
        let mut bounced = row(OutboxStatus::Sent, 1);
        bounced.bounced_at = Some(bounced.created_at);
        assert_eq!(state_nl(&bounced), "onbestelbaar");
        assert!(StateFilter::Bounced.matches(&bounced));
        assert!(!StateFilter::Pending.matches(&bounced));
    }
}
