//! A partner's answer, inside the pipeline's transaction: which consultation it belongs to
//! ([`find_consultation`]), what to do with it ([`plan`], pure), its rows (`store_answer`)
//! and the thank-you (`queue_thanks`, capped per address per day).
//!
//! An answer counts only when all of these hold:
//! - it names the consultation by its token (plus-address, subject tag or quoted letter) or
//!   replies to one of our letters, whose Message-ID carries the token ([`super::token`]);
//!   a reference in the subject alone finds the consultation for staff but never counts;
//! - the From header is one ASCII address, a registered address of that consultation's partner;
//! - the sender is authenticated ([`super::auth`]).
//!
//! Everything else is held for staff with the reason. Receipts, absence notices and notes of
//! thanks are stored but are not answers ([`super::automatic`]). A later unclear answer puts the
//! consultation back to "needs reading": its earlier verdict no longer counts until staff
//! settle it (the earlier answer stays in the history).

use chrono::{DateTime, Utc};

use super::auth::{self, Evidence};
use super::automatic::{self, AutoHeaders, Automatic};
use super::reply::{self, PartnerVerdict, ReplyReading};
use super::{letters, token};
use crate::app::App;
use crate::assess::municipality::Municipalities;
use crate::config::Partner;
use crate::letters::Outgoing;
use crate::mail::MailFacts;
use crate::store::consult::{self as cs, ConsultationRow, NewAnswer};
use crate::store::{self, Tx};

pub use crate::domain::{AnswerStatus, HoldReason};

/// How the consultation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchBasis {
    /// The token, in the plus-address, the subject tag or the quoted letter.
    Token,
    /// In-Reply-To/References name one of our letters (whose Message-ID carries the token).
    Thread,
    /// Only the reference in the subject of a mail from a registered partner address.
    SubjectReference,
}

/// What to do with an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Counted(PartnerVerdict),
    NeedsReading,
    Held(HoldReason, String),
    Automatic(Automatic),
    Note,
}

impl Disposition {
    fn status(&self) -> AnswerStatus {
        match self {
            Disposition::Counted(_) => AnswerStatus::Counted,
            Disposition::NeedsReading => AnswerStatus::NeedsReading,
            Disposition::Held(..) => AnswerStatus::Held,
            Disposition::Automatic(_) => AnswerStatus::Automatic,
            Disposition::Note => AnswerStatus::Note,
        }
    }

    /// Dutch, for staff: why it was not counted.
    fn reason_nl(&self) -> Option<String> {
        match self {
            Disposition::Counted(_) => None,
            Disposition::NeedsReading => {
                Some("geen duidelijk oordeel: lees het antwoord zelf".into())
            }
            Disposition::Held(_, why) => Some(why.clone()),
            Disposition::Automatic(a) => Some(a.label_nl().into()),
            Disposition::Note => Some("alleen een bedankje; het oordeel blijft staan".into()),
        }
    }
}

/// Everything [`plan`] decides on.
#[derive(Debug, Clone)]
pub struct AnswerFacts<'a> {
    pub matched: Option<MatchBasis>,
    /// The matched consultation's partner.
    pub partner: Option<&'a Partner>,
    pub evidence: &'a Evidence,
    pub reading: &'a ReplyReading,
    pub automatic: Option<Automatic>,
    /// Only thanks, after the consultation was answered already.
    pub acknowledgement: bool,
}

/// Whether the From header is exactly one registered address of `partner` (ASCII only, so a
/// look-alike such as U+212A KELVIN SIGN for `k` never matches).
pub fn registered_sender(partner: &Partner, evidence: &Evidence) -> bool {
    evidence
        .sender
        .single_address()
        .is_some_and(|a| partner.addresses.iter().any(|r| r.eq_ignore_ascii_case(a)))
}

/// Decides what becomes of an answer (see the module documentation for the rules and order).
pub fn plan(a: &AnswerFacts<'_>) -> Disposition {
    let Some(basis) = a.matched else {
        return Disposition::Held(
            HoldReason::Unmatched,
            "geen bijbehorende consultatie gevonden".into(),
        );
    };
    if let Some(kind) = a.automatic {
        return Disposition::Automatic(kind);
    }
    if a.acknowledgement {
        return Disposition::Note;
    }
    if basis == MatchBasis::SubjectReference {
        return Disposition::Held(
            HoldReason::NoTokenOrThread,
            "geen code van onze vraag en geen antwoord op onze brief; alleen het kenmerk in het onderwerp".into(),
        );
    }
    if !a.partner.is_some_and(|p| registered_sender(p, a.evidence)) {
        return Disposition::Held(
            HoldReason::UnregisteredSender,
            "afzender is geen geregistreerd adres van deze partner".into(),
        );
    }
    if let Err(f) = &a.evidence.authenticity {
        return Disposition::Held(HoldReason::NotAuthentic, f.reason_nl());
    }
    match a.reading.verdict {
        Some(v) => Disposition::Counted(v),
        None => Disposition::NeedsReading,
    }
}

/// Finds the consultation an answer belongs to, and how.
pub async fn find_consultation(
    intake: &App,
    tx: &mut Tx,
    f: &MailFacts,
) -> anyhow::Result<Option<(ConsultationRow, MatchBasis)>> {
    let recipients: Vec<&str> = f.recipients.iter().map(String::as_str).collect();
    let body = f.text.as_deref().or(f.html.as_deref()).unwrap_or("");
    if let Some(t) = token::find_token(&recipients, &f.subject, body)
        && let Some(c) = cs::consultation_by_token(tx, &t).await?
    {
        return Ok(Some((c, MatchBasis::Token)));
    }
    let domains: Vec<&str> = intake
        .letterhead
        .own_addresses()
        .iter()
        .map(|a| a.domain())
        .collect();
    let ids: Vec<String> = f.in_reply_to.iter().chain(&f.references).cloned().collect();
    if let Some(t) = token::token_in_message_ids(&ids, &domains)
        && let Some(c) = cs::consultation_by_token(tx, &t).await?
    {
        return Ok(Some((c, MatchBasis::Thread)));
    }
    // A new mail from a registered partner address that names the reference in its subject
    // ("Advies KVN-0042"): that partner's consultation, found for staff, never counted.
    if let Some(p) = f
        .from
        .as_ref()
        .and_then(|a| intake.cfg.call.partner_by_address(a))
    {
        for reference in super::references_in(&f.subject, &intake.cfg.call.reference_prefix) {
            if let Some(c) = cs::consultation_by_reference(tx, reference.as_str(), &p.id).await? {
                return Ok(Some((c, MatchBasis::SubjectReference)));
            }
        }
    }
    Ok(None)
}

fn auto_headers(f: &MailFacts) -> AutoHeaders<'_> {
    AutoHeaders {
        auto_submitted: f.auto_submitted.as_deref(),
        precedence: f.precedence.as_deref(),
        autoreply_headers: f.autoreply_headers,
    }
}

/// What an answer says, before anyone decides on it: its reading and whether it is automatic.
/// `ours` are the subjects of our letters of its consultation: when the body says nothing
/// clear (and nothing objecting), a verdict the partner added to our subject counts
/// ("STEUN - RE: Vraag om advies …").
pub fn read_answer(f: &MailFacts, ours: &[String]) -> (ReplyReading, Option<Automatic>) {
    let mut reading = reply::read_reply(f.text.as_deref(), f.html.as_deref());
    if reading.verdict.is_none() && reading.objection.is_none() && !ours.is_empty() {
        reading.verdict = super::verdict_in_subject(&f.subject, ours);
    }
    let objects = reading.objection.is_some();
    let automatic = automatic::automatic(
        &f.subject,
        &reading.new_text,
        reading.verdict,
        objects,
        auto_headers(f),
    );
    (reading, automatic)
}

/// Records a partner's answer, inside the pipeline's transaction. `evidence` is what
/// [`auth::evidence`] found before the transaction (`None`: nothing could be collected).
pub async fn record_answer(
    intake: &App,
    tx: &mut Tx,
    message_id: i64,
    f: &MailFacts,
    evidence: Option<&Evidence>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let none = Evidence::none();
    let evidence = evidence.unwrap_or(&none);
    let found = find_consultation(intake, tx, f).await?;
    let ours = match &found {
        Some((c, _)) => cs::subjects_with_tag(tx, &token::subject_tag(&c.token)).await?,
        None => Vec::new(),
    };
    let (reading, automatic) = read_answer(f, &ours);
    let headers = auto_headers(f);
    let objects = reading.objection.is_some();
    let consultation = found.as_ref().map(|(c, _)| c);
    let partner = match consultation {
        Some(c) => super::consultee(intake, tx, &c.partner_id).await?,
        None => None,
    };
    let partner = partner.as_ref();
    let disposition = plan(&AnswerFacts {
        matched: found.as_ref().map(|(_, b)| *b),
        partner,
        evidence,
        automatic,
        acknowledgement: consultation
            .is_some_and(|c| c.state == crate::domain::ConsultationState::Answered)
            && automatic::is_acknowledgement(&reading.new_text, reading.verdict, objects),
        reading: &reading,
    });
    let from = evidence
        .sender
        .addresses
        .first()
        .cloned()
        .or_else(|| f.from.as_ref().map(|a| a.as_str().to_string()))
        .unwrap_or_default();
    let earlier = match consultation {
        Some(c) => cs::answers_count(tx, c.id).await?,
        None => 0,
    };
    store_answer(
        tx,
        message_id,
        consultation,
        &from,
        &reading,
        evidence,
        &disposition,
        now,
    )
    .await?;
    let (Some(c), Some(p)) = (consultation, partner) else {
        return Ok(());
    };
    if disposition.status().sets_consultation() && !headers.auto_submitted() {
        let thanks = Thanks {
            consultation: c,
            partner: p,
            to: &from,
            verdict: reading.verdict,
            motivation: &reading.motivation,
            earlier,
            in_reply_to: f.message_id.as_deref(),
        };
        queue_thanks(intake, tx, &thanks, now).await?;
    }
    Ok(())
}

/// The answer's row, the consultation's new state and the audit event.
#[allow(clippy::too_many_arguments)]
async fn store_answer(
    tx: &mut Tx,
    message_id: i64,
    consultation: Option<&ConsultationRow>,
    from: &str,
    reading: &ReplyReading,
    evidence: &Evidence,
    disposition: &Disposition,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let verdict = reading.verdict.map(PartnerVerdict::as_str);
    let status = disposition.status();
    let reason = disposition.reason_nl();
    let authentication = auth::describe(&evidence.authenticity);
    let highlight = match disposition {
        Disposition::NeedsReading | Disposition::Held(..) => reading.objection.as_deref(),
        _ => None,
    };
    cs::insert_answer(
        tx,
        &NewAnswer {
            consultation_id: consultation.map(|c| c.id),
            message_id,
            from_address: from,
            verdict,
            motivation: &reading.motivation,
            status,
            hold: match disposition {
                Disposition::Held(h, _) => Some(*h),
                _ => None,
            },
            hold_reason: reason.as_deref(),
            highlight,
            authentication: Some(&authentication),
            received_at: now,
        },
    )
    .await?;
    if let Some(c) = consultation
        && status.sets_consultation()
    {
        // Counted: its verdict; needs reading: no verdict until staff settle it.
        let counted = match disposition {
            Disposition::Counted(v) => Some(v.as_str()),
            _ => None,
        };
        cs::record_answer(tx, c.id, counted, &reading.motivation, now).await?;
    }
    let (kind, detail) = match (disposition, consultation) {
        (Disposition::Counted(v), Some(c)) => (
            "answer_recorded",
            format!("{}: {}", c.partner_id, v.as_str()),
        ),
        (Disposition::NeedsReading, Some(c)) => (
            "answer_recorded",
            format!("{}: needs_reading", c.partner_id),
        ),
        (Disposition::Automatic(_) | Disposition::Note, _) => {
            ("answer_not_an_answer", status.as_str().to_string())
        }
        (Disposition::Held(h, _), _) => ("answer_held", h.as_str().to_string()),
        (_, None) => ("answer_held", "no matching consultation".to_string()),
    };
    store::event(
        tx,
        now,
        "intake",
        kind,
        consultation.map(|c| c.submission_id),
        Some(message_id),
        &detail,
    )
    .await?;
    Ok(())
}

/// What a thank-you confirms.
struct Thanks<'a> {
    consultation: &'a ConsultationRow,
    partner: &'a Partner,
    to: &'a str,
    verdict: Option<PartnerVerdict>,
    motivation: &'a str,
    /// Counted answers before this one.
    earlier: i64,
    in_reply_to: Option<&'a str>,
}

/// A short thank-you confirming what was recorded, through the outbox as an automatic reply:
/// [`crate::outbox::queue_reply`] holds it back once this address (or everyone together) got
/// the daily cap of automatic replies (`[outbox] daily_cap_per_address`, `daily_cap_total`), so a
/// loop or a flood of answers never becomes a flood of letters; the answers are still recorded.
async fn queue_thanks(
    intake: &App,
    tx: &mut Tx,
    t: &Thanks<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(to) = crate::domain::EmailAddress::parse(t.to) else {
        return Ok(());
    };
    let c = t.consultation;
    let call = &intake.cfg.call;
    let s = store::submission_by_id_tx(tx, c.submission_id).await?;
    let reference = s.as_ref().map(|s| s.reference.clone()).unwrap_or_default();
    let municipality = s
        .as_ref()
        .and_then(|s| s.municipality_code.as_deref())
        .and_then(|code| Municipalities::embedded().by_code(code))
        .map(|m| format!("gemeente {}", m.name))
        .unwrap_or_else(|| "de gemeente".into());
    let ctx = letters::ThanksContext {
        call_title: call.title.clone(),
        partner_name: t.partner.name.clone(),
        contact_name: t.partner.contact.clone(),
        plain_language: t.partner.easy_read,
        reference: reference.clone(),
        municipality,
        verdict_nl: t.verdict.map(|v| v.label_nl().to_string()),
        motivation_start: letters::motivation_start(t.motivation),
        replaces_earlier: t.earlier > 0,
        answer_by_nl: crate::letters::dutch_date(c.answer_by, call.time_zone),
        token_tag: token::subject_tag(&c.token),
        contact_address: intake.letterhead.address().to_string(),
        signature: call.letters.signature.clone(),
    };
    let (text, html) = intake.templates.render("thanks", &ctx)?;
    let subject = format!(
        "{} {}",
        intake
            .templates
            .render_line(&call.letters.thanks_subject, &ctx)?,
        token::subject_tag(&c.token)
    );
    let n = t.earlier + 1;
    let domain = intake.letterhead.domain();
    let letter = Outgoing {
        reply_to: Some(token::reply_address(intake.letterhead.address(), &c.token)),
        subject,
        text,
        html,
        message_id: token::letter_message_id(
            "thanks",
            &reference,
            &c.partner_id,
            Some(n),
            &c.token,
            domain,
        ),
        in_reply_to: t.in_reply_to.map(|m| format!("<{m}>")),
        automatic: true,
        ..intake.letterhead.letter(to.as_str(), now)
    };
    let key = format!("thanks:{}:{n}", c.id);
    let caps = intake.outbox.caps;
    let queued = crate::outbox::queue_reply(
        tx,
        &letter,
        &key,
        crate::domain::LetterKind::Thanks,
        Some(c.submission_id),
        now,
        caps,
    )
    .await?;
    if let crate::outbox::Queued::Capped(why) = queued {
        let detail = format!("{}: {why}", c.partner_id);
        store::event(
            tx,
            now,
            "intake",
            "no_thanks",
            Some(c.submission_id),
            None,
            &detail,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consult::auth::{Basis, Failure, SenderFacts};

    fn partner() -> Partner {
        Partner {
            id: "lfb".into(),
            name: "LFB".into(),
            addresses: vec!["kim@lfb.nl".into()],
            contact: None,
            easy_read: true,
        }
    }

    fn evidence(address: &str, authenticity: auth::Authenticity) -> Evidence {
        Evidence {
            sender: SenderFacts {
                from_headers: 1,
                addresses: vec![address.to_string()],
            },
            authenticity,
        }
    }

    fn reading(verdict: Option<PartnerVerdict>) -> ReplyReading {
        ReplyReading {
            verdict,
            motivation: String::new(),
            new_text: String::new(),
            objection: None,
        }
    }

    fn decide(basis: Option<MatchBasis>, e: &Evidence, r: &ReplyReading) -> Disposition {
        let p = partner();
        plan(&AnswerFacts {
            matched: basis,
            partner: Some(&p),
            evidence: e,
            reading: r,
            automatic: None,
            acknowledgement: false,
        })
    }

    #[test]
    fn an_authentic_answer_from_a_registered_address_with_a_token_counts() {
        let e = evidence("Kim@LFB.nl", Ok(Basis::Dmarc));
        let r = reading(Some(PartnerVerdict::Objection));
        assert_eq!(
            decide(Some(MatchBasis::Token), &e, &r),
            Disposition::Counted(PartnerVerdict::Objection)
        );
        assert_eq!(
            decide(Some(MatchBasis::Thread), &e, &reading(None)),
            Disposition::NeedsReading
        );
    }

    #[test]
    fn anything_less_is_held_with_its_reason() {
        let ok = evidence("kim@lfb.nl", Ok(Basis::Dmarc));
        let r = reading(Some(PartnerVerdict::Objection));
        let held = |d: Disposition| match d {
            Disposition::Held(h, _) => Some(h),
            _ => None,
        };
        assert_eq!(held(decide(None, &ok, &r)), Some(HoldReason::Unmatched));
        assert_eq!(
            held(decide(Some(MatchBasis::SubjectReference), &ok, &r)),
            Some(HoldReason::NoTokenOrThread)
        );
        let kelvin = evidence("\u{212A}im@lfb.nl", Ok(Basis::Dmarc));
        assert_eq!(
            held(decide(Some(MatchBasis::Token), &kelvin, &r)),
            Some(HoldReason::UnregisteredSender)
        );
        let forged = evidence(
            "kim@lfb.nl",
            Err(Failure::NotAligned("evil.example".into())),
        );
        assert_eq!(
            held(decide(Some(MatchBasis::Token), &forged, &r)),
            Some(HoldReason::NotAuthentic)
        );
    }

    #[test]
    fn receipts_and_notes_of_thanks_are_not_answers() {
        let p = partner();
        let e = evidence("kim@lfb.nl", Ok(Basis::Dmarc));
        let r = reading(None);
        let facts = |automatic, acknowledgement| AnswerFacts {
            matched: Some(MatchBasis::Token),
            partner: Some(&p),
            evidence: &e,
            reading: &r,
            automatic,
            acknowledgement,
        };
        assert_eq!(
            plan(&facts(Some(Automatic::Receipt), false)),
            Disposition::Automatic(Automatic::Receipt)
        );
        assert_eq!(plan(&facts(None, true)), Disposition::Note);
    }

    #[test]
    fn statuses_and_hold_reasons_have_stable_names() {
        for s in AnswerStatus::ALL {
            assert_eq!(AnswerStatus::parse(s.as_str()), Some(s));
        }
        for h in HoldReason::ALL {
            assert_eq!(HoldReason::parse(h.as_str()), Some(h));
        }
        assert!(AnswerStatus::NeedsReading.sets_consultation());
        assert!(!AnswerStatus::Held.sets_consultation());
    }
}
