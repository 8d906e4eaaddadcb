//! Consultation of the Alliance partners: a request per partner per candidate, their answers,
//! reminders and closing. The pure parts are [`reply`] and [`signals`] (reading a verdict),
//! [`automatic`] (receipts and absence notices), [`auth`] (is the sender the partner's domain),
//! [`token`] (reply tokens) and [`letters`] (the letters' contexts); [`answer`] records an
//! answer (counted only when authentic: token or thread, registered address, authenticated
//! sender); this file sends the requests and reminders.

pub mod answer;
pub mod auth;
pub mod automatic;
pub mod letters;
pub mod reply;
pub mod signals;
pub mod token;

pub use answer::record_answer;

use chrono::{DateTime, Utc};

use crate::domain::{ConsultationState, LetterKind};

use crate::app::App;
use crate::assess::municipality::Municipalities;
use crate::letters::{OutAttachment, Outgoing};
use crate::store::{self, consult as cs};

/// A local contact as one consulted: its own name, its one address (the only one an answer
/// counts from) and the plain-language letter.
pub fn local_partner(
    c: &crate::store::contacts::LocalContactRow,
) -> Option<crate::config::Partner> {
    let address = c.address.clone()?;
    Some(crate::config::Partner {
        id: c.consultee_id(),
        name: c.name.clone(),
        addresses: vec![address],
        contact: None,
        easy_read: true,
    })
}

/// Who is consulted on a nomination: the call's partners, then its confirmed local contacts
/// that have an address.
pub async fn consultees(
    intake: &App,
    submission_id: i64,
) -> anyhow::Result<Vec<crate::config::Partner>> {
    let mut out = intake.cfg.call.partners.clone();
    for c in crate::store::contacts::contacts_of(&intake.db, submission_id).await? {
        if c.status == crate::domain::ContactStatus::Confirmed
            && let Some(p) = local_partner(&c)
        {
            out.push(p);
        }
    }
    Ok(out)
}

/// The one consulted under `partner_id` (a call partner, or `local-<id>`), inside `tx`.
pub async fn consultee(
    intake: &App,
    tx: &mut crate::store::Tx,
    partner_id: &str,
) -> anyhow::Result<Option<crate::config::Partner>> {
    if let Some(p) = intake.cfg.call.partners.iter().find(|p| p.id == partner_id) {
        return Ok(Some(p.clone()));
    }
    let Some(id) = partner_id
        .strip_prefix(crate::domain::LOCAL_PREFIX)
        .and_then(|n| n.parse::<i64>().ok())
    else {
        return Ok(None);
    };
    Ok(crate::store::contacts::contact_by_id_tx(tx, id)
        .await?
        .as_ref()
        .and_then(local_partner))
}

/// Sends a consultation request to every partner and confirmed local contact for one
/// submission (idempotent per consultee). Returns how many requests were queued.
pub async fn request(intake: &App, reference: &str, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let call = &intake.cfg.call;
    let s = store::submission_by_reference(&intake.db, reference)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no submission {reference}"))?;
    let assessments = store::assessments_of(&intake.db, s.id).await?;
    let claims = store::claims_of(&intake.db, s.id).await?;
    let raw = store::message_raw(&intake.db, s.message_id)
        .await?
        .unwrap_or_default();
    let answer_by = answer_deadline(now, call.consultation.answer_days, call.time_zone);
    let base = request_context(intake, &s, &assessments, &claims, answer_by);
    let mut queued = 0;
    let consultees = consultees(intake, s.id).await?;
    let mut tx = intake.db.begin().await?;
    for p in &consultees {
        let tok = token::new_token();
        // The token makes the Message-ID unguessable: a reply naming it is a reply to us.
        let msgid = token::letter_message_id(
            "consult",
            &s.reference,
            &p.id,
            None,
            &tok,
            intake.letterhead.domain(),
        );
        if !cs::insert_consultation(&mut tx, s.id, &p.id, &tok, &msgid, now, answer_by).await? {
            continue;
        }
        let ctx = letters::ConsultationContext {
            partner_name: p.name.clone(),
            contact_name: p.contact.clone(),
            plain_language: p.easy_read,
            token_tag: token::subject_tag(&tok),
            ..base.clone()
        };
        let (text, html) = intake.templates.render("consultation", &ctx)?;
        let subject = format!(
            "{} {}",
            intake
                .templates
                .render_line(&call.letters.consultation_subject, &ctx)?,
            token::subject_tag(&tok)
        );
        for addr in &p.addresses {
            crate::outbox::queue_letter(
                &mut tx,
                &Outgoing {
                    reply_to: Some(token::reply_address(intake.letterhead.address(), &tok)),
                    subject: subject.clone(),
                    text: text.clone(),
                    html: html.clone(),
                    message_id: msgid.clone(),
                    attachments: vec![OutAttachment {
                        name: format!("voordracht-{}.eml", s.reference),
                        content_type: "message/rfc822".into(),
                        bytes: raw.clone(),
                    }],
                    ..intake.letterhead.letter(addr, now)
                },
                &format!("consultation:{}:{}:{}", s.reference, p.id, addr),
                LetterKind::Consultation,
                Some(s.id),
                now,
            )
            .await?;
        }
        store::event(
            &mut tx,
            now,
            "intake",
            "consultation_sent",
            Some(s.id),
            None,
            &p.id,
        )
        .await?;
        queued += 1;
    }
    tx.commit().await?;
    Ok(queued)
}

/// What every request for advice about nomination `s` says, whoever is asked: municipality,
/// themes, the advice per criterion with up to three evidence sentences, the deadline and the
/// pages, the answer date. The partner's name, plain language and token are filled in per
/// consulted.
fn request_context(
    intake: &App,
    s: &store::SubmissionRow,
    assessments: &[store::AssessmentRow],
    claims: &[store::ClaimRow],
    answer_by: DateTime<Utc>,
) -> letters::ConsultationContext {
    let call = &intake.cfg.call;
    let tz = call.time_zone;
    let m = s
        .municipality_code
        .as_deref()
        .and_then(|c| Municipalities::embedded().by_code(c));
    let summary = |id: &str| {
        let a = assessments.iter().find(|a| a.criterion == id);
        let ids: Vec<i64> = a
            .map(|a| serde_json::from_str(&a.evidence).unwrap_or_default())
            .unwrap_or_default();
        letters::CriterionSummary {
            title: call.criterion_title(id),
            verdict_nl: a
                .map(|a| a.effective())
                .unwrap_or(crate::domain::Verdict::NotFound)
                .word_nl()
                .to_string(),
            evidence: claims
                .iter()
                .filter(|c| ids.contains(&c.id) && c.kind == "evidence")
                .take(3)
                .map(|c| c.sentence.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect(),
        }
    };
    let mut themes: Vec<String> = claims.iter().filter_map(|c| c.domain.clone()).collect();
    themes.sort();
    themes.dedup();
    letters::ConsultationContext {
        call_title: call.title.clone(),
        partner_name: String::new(),
        contact_name: None,
        plain_language: false,
        reference: s.reference.clone(),
        municipality: m
            .map(|m| format!("gemeente {}", m.name))
            .unwrap_or_else(|| "onbekende gemeente".into()),
        province: m.map(|m| m.province.clone()).unwrap_or_default(),
        themes: themes.iter().map(|d| call.domain_title(d)).collect(),
        criteria: call.criteria.iter().map(|c| summary(&c.id)).collect(),
        principle: summary(&call.principle.id),
        on_time_nl: format!(
            "{}, ontvangen op {}",
            if s.on_time { "op tijd" } else { "te laat" },
            crate::letters::dutch_datetime(s.arrived_at, tz)
        ),
        pages_nl: match (s.pages, s.over_by) {
            // Too unsure to judge: no verdict to the partners either.
            (Some(p), _) if s.page_uncertain.is_some() => {
                format!("ongeveer {p} pagina's, de lengte wordt nog gecontroleerd")
            }
            (Some(p), Some(o)) => format!("{p} pagina's, {o} meer dan toegestaan"),
            (Some(p), None) => format!("{p} pagina's, dat mag"),
            _ => "aantal pagina's onbekend".into(),
        },
        answer_by_nl: crate::letters::dutch_date(answer_by, tz),
        attachment_names: vec![format!("voordracht-{}.eml", s.reference)],
        token_tag: String::new(),
        contact_address: intake.letterhead.address().to_string(),
        signature: call.letters.signature.clone(),
    }
}

/// The last moment an answer counts: the end (23:59:59 in the call's time zone) of the day
/// `answer_days` after `sent_at`. The letters say "uiterlijk 10 april", which means up to and
/// including 10 April, not the hour of day the request happened to be sent.
pub fn answer_deadline(
    sent_at: DateTime<Utc>,
    answer_days: u32,
    tz: chrono_tz::Tz,
) -> DateTime<Utc> {
    use chrono::TimeZone as _;
    let day = (sent_at + chrono::Duration::days(i64::from(answer_days)))
        .with_timezone(&tz)
        .date_naive();
    let next_midnight = day.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0));
    // Midnight may not exist on a DST change in some zones: then take the earliest valid moment.
    match next_midnight.and_then(|m| tz.from_local_datetime(&m).earliest()) {
        Some(t) => t.with_timezone(&Utc) - chrono::Duration::seconds(1),
        None => sent_at + chrono::Duration::days(i64::from(answer_days)),
    }
}

/// The automatic consultation modes: `on-intake` asks about every candidate as soon as it is
/// stored; `after-deadline` asks about all of them once the deadline and grace have passed.
/// Idempotent (a partner is asked once per candidate). Returns how many requests were queued.
pub async fn auto_request(intake: &App, now: DateTime<Utc>) -> anyhow::Result<usize> {
    use crate::config::ConsultMode;
    let due = match intake.cfg.call.consultation.mode {
        ConsultMode::Manual => false,
        ConsultMode::OnIntake => true,
        ConsultMode::AfterDeadline => now > intake.cfg.call.closes_at(),
    };
    if !due {
        return Ok(0);
    }
    let mut n = 0;
    for s in candidates(intake).await? {
        n += request(intake, &s.reference, now).await?;
    }
    Ok(n)
}

/// Current, on-time, identified submissions that meet the pre-assessment and are not consulted.
pub async fn candidates(intake: &App) -> anyhow::Result<Vec<store::SubmissionRow>> {
    let all = store::submissions(&intake.db).await?;
    let consulted: std::collections::HashSet<i64> = cs::all_consultations(&intake.db)
        .await?
        .into_iter()
        .map(|c| c.submission_id)
        .collect();
    Ok(all
        .into_iter()
        .filter(|s| {
            s.is_current
                && s.on_time
                && s.municipality_code.is_some()
                && s.meets_minimum
                && !consulted.contains(&s.id)
        })
        .collect())
}

/// The verdict in the words a partner added to the subject of one of our letters (`ours`: the
/// subjects we sent with this consultation's tag): reply prefixes, tags and our own subject
/// removed, what is left is read like an answer. None when nothing is left or it is unclear.
pub(crate) fn verdict_in_subject(subject: &str, ours: &[String]) -> Option<reply::PartnerVerdict> {
    fn without_tags(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("[c-") {
            out.push_str(&rest[..i]);
            rest = rest[i..]
                .find(']')
                .map(|j| &rest[i + j + 1..])
                .unwrap_or("");
        }
        out.push_str(rest);
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
    let mut rest = without_tags(&subject.to_lowercase());
    let mut ours: Vec<String> = ours
        .iter()
        .map(|o| without_tags(&o.to_lowercase()))
        .filter(|o| !o.is_empty())
        .collect();
    ours.sort_by_key(|o| std::cmp::Reverse(o.len()));
    for o in &ours {
        rest = rest.replace(o.as_str(), " ");
    }
    const PREFIXES: &[&str] = &[
        "re:",
        "antw:",
        "antwoord:",
        "aw:",
        "fw:",
        "fwd:",
        "doorst:",
        "wg:",
        "sv:",
        "vs:",
    ];
    let rest: Vec<&str> = rest
        .split_whitespace()
        .filter(|w| !PREFIXES.contains(w))
        .collect();
    let rest = rest.join(" ");
    let rest = rest.trim_matches(|c: char| !c.is_alphanumeric());
    if rest.is_empty() || ours.is_empty() {
        return None;
    }
    reply::read_reply(Some(rest), None).verdict
}

/// References with the call's prefix in a subject (`KVN-0042`, also lower case, in brackets or
/// without the leading zeros), in their stored form.
pub(crate) fn references_in(subject: &str, prefix: &str) -> Vec<crate::domain::Reference> {
    let upper = prefix.to_ascii_uppercase();
    subject
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter_map(|w| {
            let w = w.to_ascii_uppercase();
            let number = w.strip_prefix(&upper)?.strip_prefix('-')?;
            let n: i64 = number
                .parse()
                .ok()
                .filter(|_| number.bytes().all(|b| b.is_ascii_digit()))?;
            Some(crate::domain::Reference::new(&upper, n))
        })
        .collect()
}

/// Reminds partners who have not answered after the configured days, and closes
/// consultations past their answer date with "no answer". Returns (reminded, closed).
pub async fn remind_and_close(intake: &App, now: DateTime<Utc>) -> anyhow::Result<(usize, usize)> {
    let call = &intake.cfg.call;
    let mut reminded = 0;
    let mut closed = 0;
    for c in cs::all_consultations(&intake.db).await? {
        if c.state != ConsultationState::Sent && c.state != ConsultationState::Reminded {
            continue;
        }
        let mut tx = intake.db.begin().await?;
        // Each change is conditional on the state still being open: an answer recorded (or
        // another daemon's reminder sent) since the list was read wins, and nothing is sent.
        if now > c.answer_by {
            if !cs::move_consultation_state(&mut tx, c.id, &["sent", "reminded"], "no_answer", now)
                .await?
            {
                continue;
            }
            store::event(
                &mut tx,
                now,
                "intake",
                "consultation_closed",
                Some(c.submission_id),
                None,
                &format!("{}: no answer", c.partner_id),
            )
            .await?;
            closed += 1;
        } else if c.state == ConsultationState::Sent
            && now
                >= c.sent_at
                    + chrono::Duration::days(i64::from(call.consultation.reminder_after_days))
        {
            let Some(p) = consultee(intake, &mut tx, &c.partner_id).await? else {
                continue;
            };
            if !cs::move_consultation_state(&mut tx, c.id, &["sent"], "reminded", now).await? {
                continue;
            }
            let s = store::submission_by_id(&intake.db, c.submission_id).await?;
            let Some(s) = s else { continue };
            let m = s
                .municipality_code
                .as_deref()
                .and_then(|x| Municipalities::embedded().by_code(x));
            let ctx = letters::ReminderContext {
                call_title: call.title.clone(),
                partner_name: p.name.clone(),
                contact_name: p.contact.clone(),
                plain_language: p.easy_read,
                reference: s.reference.clone(),
                municipality: m
                    .map(|m| format!("gemeente {}", m.name))
                    .unwrap_or_else(|| "de gemeente".into()),
                province: m.map(|m| m.province.clone()).unwrap_or_default(),
                sent_on_nl: crate::letters::dutch_date(c.sent_at, call.time_zone),
                answer_by_nl: crate::letters::dutch_date(c.answer_by, call.time_zone),
                attachment_names: vec![],
                token_tag: token::subject_tag(&c.token),
                contact_address: intake.cfg.settings.mailbox.address.clone(),
                signature: call.letters.signature.clone(),
            };
            let (text, html) = intake.templates.render("reminder", &ctx)?;
            let subject = format!(
                "{} {}",
                intake
                    .templates
                    .render_line(&call.letters.reminder_subject, &ctx)?,
                token::subject_tag(&c.token)
            );
            for addr in &p.addresses {
                let msgid = token::letter_message_id(
                    "reminder",
                    &s.reference,
                    &p.id,
                    None,
                    &c.token,
                    intake.letterhead.domain(),
                );
                crate::outbox::queue_letter(
                    &mut tx,
                    &Outgoing {
                        reply_to: Some(token::reply_address(intake.letterhead.address(), &c.token)),
                        subject: subject.clone(),
                        text: text.clone(),
                        html: html.clone(),
                        message_id: msgid.clone(),
                        in_reply_to: Some(c.request_msgid.clone()),
                        references: vec![c.request_msgid.clone()],
                        ..intake.letterhead.letter(addr, now)
                    },
                    &format!("reminder:{}:{}:{}", s.reference, p.id, addr),
                    LetterKind::Reminder,
                    Some(s.id),
                    now,
                )
                .await?;
            }
            reminded += 1;
        }
        tx.commit().await?;
    }
    Ok((reminded, closed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;
    use chrono_tz::Europe::Amsterdam;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_answer_date_runs_to_the_end_of_the_stated_day_in_dutch_time() {
        // Sent on 27 March 2018 at 10:15 (summer time): 14 days gives 10 April, 23:59:59 CEST.
        let by = answer_deadline(utc("2018-03-27T08:15:00Z"), 14, Amsterdam);
        assert_eq!(by, utc("2018-04-10T21:59:59Z"));
        // Across the change to summer time (25 March): still the end of the local day.
        let by = answer_deadline(utc("2018-03-20T23:30:00Z"), 7, Amsterdam);
        assert_eq!(
            by,
            Amsterdam
                .with_ymd_and_hms(2018, 3, 28, 23, 59, 59)
                .unwrap()
                .with_timezone(&Utc)
        );
        // Late in the evening Dutch time counts as that Dutch day, not the UTC one.
        let by = answer_deadline(utc("2018-11-01T23:30:00Z"), 0, Amsterdam);
        assert_eq!(by, utc("2018-11-02T22:59:59Z"));
    }

    #[test]
    fn a_verdict_added_to_our_subject_is_read_and_our_own_words_are_not() {
        let consult =
            "Vraag om advies: gemeente Zwolle als koploper VN-Verdrag (KVN-0001) [C-ABCDEFGHJK]"
                .to_string();
        let reminder =
            "Herinnering: uw advies over gemeente Zwolle (KVN-0001) [C-ABCDEFGHJK]".to_string();
        let ours = [consult.clone(), reminder.clone()];
        let v = |s: &str| verdict_in_subject(s, &ours).map(|v| v.as_str());
        assert_eq!(v(&format!("STEUN - RE: {consult}")), Some("support"));
        assert_eq!(v(&format!("RE: {consult} -- bezwaar")), Some("objection"));
        assert_eq!(
            v(&format!("Antw: {reminder}: geen bezwaar")),
            Some("support")
        );
        assert_eq!(
            v(&format!("Geen oordeel | Re: {consult}")),
            Some("no_opinion")
        );
        assert_eq!(
            v(&format!("RE: {consult}")),
            None,
            "our own words carry no verdict"
        );
        assert_eq!(v(&format!("Re: Re: {reminder}")), None);
        assert_eq!(
            v("STEUN"),
            Some("support"),
            "a subject replaced by the verdict"
        );
        assert_eq!(
            verdict_in_subject("STEUN", &[]),
            None,
            "without our subject nothing is known to strip"
        );
    }

    #[test]
    fn references_are_found_in_a_subject_whatever_the_case_or_brackets() {
        let found = |s: &str| {
            references_in(s, "KVN")
                .iter()
                .map(|r| r.as_str().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(found("Advies over KVN-0042 (Utrecht)"), vec!["KVN-0042"]);
        assert_eq!(
            found("RE: [kvn-7] en (KVN-0008)"),
            vec!["KVN-0007", "KVN-0008"]
        );
        assert!(found("Advies over Utrecht").is_empty());
        assert!(found("KVN- zonder nummer, ABC-0042").is_empty());
    }
}
