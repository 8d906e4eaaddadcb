//! From the database to the digest's plain data: [`Snapshot::load`] reads everything the digest,
//! the exports and the shortlist need in a handful of queries (through `store::digest`); the
//! functions below turn that snapshot into [`DigestData`], [`NominationRow`]s and shortlist
//! [`Candidate`]s. Those functions are pure: they take the snapshot, the call and `now`.
//!
//! Staff corrections always win: an overridden criterion verdict counts as the staff set it,
//! a municipality set by staff is the municipality, and an objection that staff overrode no
//! longer blocks the shortlist. The latest decision per nomination counts.
//!
//! This module must not write, send or render anything.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::{ConsultationRow, DeliveryProblem, DigestData, NominationRow, labels};
use crate::assess::municipality::Municipalities;
use crate::config::Call;
use crate::domain::{LetterKind, OutboxStatus, Standing, Verdict};
use crate::store::digest::{
    self as sd, DecisionRow, DocumentBrief, MessageBrief, OutboxBrief, RatificationRow,
};
use crate::store::{self, AssessmentRow, Db, MailboxStateRow, SubmissionRow, consult};

/// Audit-log action that records which failed delivery a sent digest reported (detail
/// `outbox:<id>`), so each failure is reported exactly once.
pub const REPORTED_FAILURE: &str = "digest_reported_failure";

/// Everything the digest, the exports and the shortlist read, loaded at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub submissions: Vec<SubmissionRow>,
    pub assessments: Vec<AssessmentRow>,
    /// (submission id, domain id) of evidence claims.
    pub domains: Vec<(i64, String)>,
    pub documents: Vec<DocumentBrief>,
    pub consultations: Vec<consult::ConsultationRow>,
    pub decisions: Vec<DecisionRow>,
    pub ratifications: Vec<RatificationRow>,
    pub outbox: Vec<OutboxBrief>,
    pub quarantined: Vec<MessageBrief>,
    /// Bounces that could not be linked to a letter of ours.
    pub unlinked_bounces: Vec<MessageBrief>,
    pub mailboxes: Vec<MailboxStateRow>,
    /// Outbox ids of failed deliveries a previous digest already reported.
    pub reported_failures: BTreeSet<i64>,
    /// Local contacts of every nomination (proposed, confirmed, dismissed).
    pub contacts: Vec<crate::store::contacts::LocalContactRow>,
    /// Partner answers that wait for staff (held or unclear).
    pub to_settle: Vec<consult::AnswerToSettle>,
}

impl Snapshot {
    /// The current version of every nomination.
    pub fn current(&self) -> Vec<&SubmissionRow> {
        self.submissions.iter().filter(|s| s.is_current).collect()
    }

    /// The references of current nominations without a decision.
    pub fn undecided(&self) -> Vec<String> {
        self.current()
            .into_iter()
            .filter(|s| self.decision_of(s.id).is_none())
            .map(|s| s.reference.clone())
            .collect()
    }

    /// The office holders of `call` who have not ratified the selection yet.
    pub fn not_ratified_by<'a>(&self, call: &'a Call) -> Vec<&'a str> {
        call.office_holders
            .iter()
            .filter(|h| !self.ratifications.iter().any(|r| r.office_holder == h.name))
            .map(|h| h.name.as_str())
            .collect()
    }

    /// Reads the snapshot from the database.
    pub async fn load(db: &Db) -> anyhow::Result<Snapshot> {
        let reported_failures = sd::event_details(db, REPORTED_FAILURE)
            .await?
            .iter()
            .filter_map(|d| d.strip_prefix("outbox:")?.parse().ok())
            .collect();
        Ok(Snapshot {
            submissions: store::submissions(db).await?,
            assessments: sd::all_assessments(db).await?,
            domains: sd::evidence_domains(db).await?,
            documents: sd::all_documents(db).await?,
            consultations: consult::all_consultations(db).await?,
            decisions: sd::all_decisions(db).await?,
            ratifications: sd::ratifications(db).await?,
            outbox: sd::outbox_briefs(db).await?,
            quarantined: sd::messages_with_status(db, "quarantined").await?,
            unlinked_bounces: sd::unlinked_bounces(db).await?,
            mailboxes: store::all_mailbox_states(db).await?,
            reported_failures,
            contacts: crate::store::contacts::all_contacts(db).await?,
            to_settle: consult::answers_to_settle(db).await?,
        })
    }

    pub fn submission(&self, id: i64) -> Option<&SubmissionRow> {
        self.submissions.iter().find(|s| s.id == id)
    }

    /// The decision that counts for a submission: the latest one.
    pub fn decision_of(&self, submission_id: i64) -> Option<&DecisionRow> {
        self.decisions
            .iter()
            .filter(|d| d.submission_id == submission_id)
            .max_by_key(|d| (d.decided_at, d.id))
    }

    /// Failed deliveries that no sent digest has reported yet.
    pub fn unreported_failures(&self) -> Vec<&OutboxBrief> {
        self.outbox
            .iter()
            .filter(|o| o.status == OutboxStatus::Failed && !self.reported_failures.contains(&o.id))
            .collect()
    }

    fn assessments_of(&self, submission_id: i64) -> impl Iterator<Item = &AssessmentRow> {
        self.assessments
            .iter()
            .filter(move |a| a.submission_id == submission_id)
    }
}

/// The twelve provinces, in the order of the municipality register.
pub fn provinces() -> Vec<String> {
    Municipalities::embedded().provinces()
}

/// Name and province of a municipality code.
fn municipality_of(code: Option<&str>) -> (Option<String>, Option<String>) {
    match code.and_then(|c| Municipalities::embedded().by_code(c)) {
        Some(m) => (Some(m.name.clone()), Some(m.province.clone())),
        None => (None, None),
    }
}

/// A partner's name, or a local contact's as "naam (lokaal)".
fn partner_name(call: &Call, snap: &Snapshot, id: &str) -> String {
    if let Some(p) = call.partners.iter().find(|p| p.id == id) {
        return p.name.clone();
    }
    snap.contacts
        .iter()
        .find(|c| c.consultee_id() == id)
        .map(|c| format!("{} (lokaal)", c.name))
        .unwrap_or_else(|| id.to_string())
}

/// The state of one consultation as the digest names it (see [`consult::ConsultationRow::standing`]).
pub fn consultation_state(c: &consult::ConsultationRow) -> crate::domain::Standing {
    c.standing()
}

/// When the consultation last changed (request, reminder, answer or closing).
fn consultation_changed(c: &consult::ConsultationRow) -> DateTime<Utc> {
    [Some(c.sent_at), c.reminded_at, c.answered_at, c.closed_at]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(c.sent_at)
}

/// Effective verdict (after staff override) of one criterion of a submission.
fn verdict_of(snap: &Snapshot, submission_id: i64, criterion: &str) -> Verdict {
    snap.assessments_of(submission_id)
        .find(|a| a.criterion == criterion)
        .map(|a| a.effective())
        .unwrap_or(Verdict::NotFound)
}

/// Number of criteria met and whether the principle is met, after staff overrides.
fn criteria_met(call: &Call, snap: &Snapshot, submission_id: i64) -> (usize, bool) {
    let met = call
        .criteria
        .iter()
        .filter(|c| verdict_of(snap, submission_id, &c.id) == Verdict::Met)
        .count();
    let principle = verdict_of(snap, submission_id, &call.principle.id) == Verdict::Met;
    (met, principle)
}

/// The minimum of the call (criteria and, when required, the principle), after overrides.
fn meets_minimum(call: &Call, snap: &Snapshot, submission_id: i64) -> bool {
    let (met, principle) = criteria_met(call, snap, submission_id);
    crate::domain::meets_minimum(
        met,
        principle,
        call.minimum_criteria,
        call.require_principle,
    )
}

/// Domains of a submission, in the call's order (unknown ids after them).
fn domains_of(call: &Call, snap: &Snapshot, submission_id: i64) -> Vec<String> {
    let mine: Vec<&String> = snap
        .domains
        .iter()
        .filter(|(s, _)| *s == submission_id)
        .map(|(_, d)| d)
        .collect();
    let mut out: Vec<String> = call
        .domains
        .iter()
        .filter(|d| mine.contains(&&d.id))
        .map(|d| d.id.clone())
        .collect();
    for d in mine {
        if !out.contains(d) {
            out.push(d.clone());
        }
    }
    out
}

/// `current`, `late` or `superseded` (Dutch: [`labels::status`]).
pub fn status_of(s: &SubmissionRow) -> &'static str {
    if !s.is_current {
        "superseded"
    } else if !s.on_time {
        "late"
    } else {
        "current"
    }
}

/// Dutch label of a document status.
fn document_problem(d: &DocumentBrief) -> String {
    let what = match d.status.as_str() {
        "poorly_readable" => "slecht leesbaar: controleer de tekst",
        "scan_without_text" => "scan zonder tekst",
        "protected" => "beveiligd met een wachtwoord",
        "unreadable" => "kon niet worden gelezen",
        "unsupported" => "bestandssoort niet ondersteund",
        "too_large" => "te groot om te lezen",
        other => other,
    };
    match &d.reason {
        Some(r) if !r.is_empty() => format!("{what} ({r})"),
        _ => what.to_string(),
    }
}

/// One nomination as the staff see it.
pub fn nomination_row(call: &Call, snap: &Snapshot, s: &SubmissionRow) -> NominationRow {
    let (municipality, province) = municipality_of(s.municipality_code.as_deref());
    let mut problems = Vec::new();
    for d in snap.documents.iter().filter(|d| d.submission_id == s.id) {
        let ocr = crate::store::ocr_label_nl(&d.text_basis, d.ocr_confidence);
        let problem = match (d.status.as_str(), ocr) {
            ("ok", None) => continue,
            ("ok", Some(ocr)) => ocr,
            (_, None) => document_problem(d),
            (_, Some(ocr)) => format!("{}; {ocr}", document_problem(d)),
        };
        problems.push(format!(
            "bijlage {}: {problem}",
            d.name.as_deref().unwrap_or("tekst in de e-mail"),
        ));
    }
    if s.page_uncertain.is_some() {
        problems.push(format!(
            "controleer lengte: {} pagina's ({}), te onzeker om over de grens van {} te oordelen",
            s.pages.unwrap_or(0),
            s.page_basis.as_deref().unwrap_or("onbekend"),
            call.max_pages
        ));
    } else if let Some(over) = s.over_by.filter(|o| *o > 0) {
        problems.push(format!(
            "{} pagina's, {over} meer dan de {} toegestaan",
            s.pages.unwrap_or(0),
            call.max_pages
        ));
    }
    if s.municipality_code.is_none() {
        problems.push("gemeente niet herkend".to_string());
    }
    if !s.municipality_by_staff {
        problems.extend(s.flags());
    }
    for p in s.non_a4_list() {
        problems.push(format!("geen A4: {p}"));
    }
    let mut consultation: Vec<(String, Standing)> = snap
        .consultations
        .iter()
        .filter(|c| c.submission_id == s.id)
        .map(|c| {
            (
                partner_name(call, snap, &c.partner_id),
                consultation_state(c),
            )
        })
        .collect();
    consultation.sort_by_key(|(_, st)| st.rank());
    NominationRow {
        reference: s.reference.clone(),
        municipality,
        code: s.municipality_code.clone(),
        province,
        arrived_at: s.arrived_at,
        on_time: s.on_time,
        pages: s.pages.and_then(|p| u32::try_from(p).ok()),
        page_basis: s.page_basis.as_deref().map(labels::page_basis),
        over_limit: s.over_by.is_some_and(|o| o > 0) && s.page_uncertain.is_none(),
        page_check: s.page_uncertain.is_some(),
        verdicts: call
            .criteria
            .iter()
            .map(|c| (c.id.clone(), verdict_of(snap, s.id, &c.id)))
            .collect(),
        principle: verdict_of(snap, s.id, &call.principle.id),
        meets_minimum: meets_minimum(call, snap, s.id),
        domains: domains_of(call, snap, s.id),
        status: status_of(s).to_string(),
        problems,
        consultation,
        local_contacts: snap
            .contacts
            .iter()
            .filter(|c| {
                c.submission_id == s.id && c.status != crate::domain::ContactStatus::Confirmed
            })
            .map(|c| format!("{}: {}", c.name, c.status.label_nl()))
            .collect(),
        decision: snap.decision_of(s.id).map(|d| d.decision),
    }
}

/// Nominations in reference order: the current versions, or every version (for the export).
pub fn nomination_rows(
    call: &Call,
    snap: &Snapshot,
    include_superseded: bool,
) -> Vec<NominationRow> {
    snap.submissions
        .iter()
        .filter(|s| include_superseded || s.is_current)
        .map(|s| nomination_row(call, snap, s))
        .collect()
}

fn in_window(t: DateTime<Utc>, since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    since.is_none_or(|s| t > s) && t <= now
}

/// Dutch description of an outgoing mail, e.g. "ontvangstbevestiging KVN-0005" or
/// "adviesvraag KVN-0002 (Per Saldo)".
fn describe_letter(call: &Call, snap: &Snapshot, o: &OutboxBrief) -> String {
    let what = o.kind.label_nl();
    let reference = o
        .submission_id
        .and_then(|id| snap.submission(id))
        .map(|s| format!(" {}", s.reference))
        .unwrap_or_default();
    let partner = match o.kind {
        LetterKind::Consultation | LetterKind::Reminder => o
            .key
            .split(':')
            .nth(2)
            .map(|p| format!(" ({})", partner_name(call, snap, p)))
            .unwrap_or_default(),
        _ => String::new(),
    };
    format!("{what}{reference}{partner}")
}

/// The digest's data: the "since" sections hold what happened in `(since, now]`; consultations
/// and totals are the whole state at `now`.
pub fn digest_data(
    call: &Call,
    snap: &Snapshot,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DigestData {
    let tz = call.time_zone;
    let new_subs: Vec<&SubmissionRow> = snap
        .submissions
        .iter()
        .filter(|s| in_window(s.created_at, since, now))
        .collect();
    let rows: Vec<(&SubmissionRow, NominationRow)> = new_subs
        .iter()
        .map(|s| (*s, nomination_row(call, snap, s)))
        .collect();
    let pick = |f: &dyn Fn(&SubmissionRow, &NominationRow) -> bool| -> Vec<NominationRow> {
        rows.iter()
            .filter(|(s, r)| f(s, r))
            .map(|(_, r)| r.clone())
            .collect()
    };
    DigestData {
        call_title: call.title.clone(),
        since,
        now,
        tz,
        new_nominations: pick(&|_, _| true),
        late: pick(&|s, _| !s.on_time),
        over_limit: pick(&|_, r| r.over_limit),
        unidentified: pick(&|s, _| s.municipality_code.is_none()),
        unreadable: unreadable(snap, &new_subs),
        quarantined: quarantined(snap, since, now),
        bounces: bounces(call, snap, since, now),
        failed_deliveries: failed_deliveries(call, snap),
        mailbox_problems: mailbox_problems(snap, tz),
        consultations: consultation_rows(call, snap),
        actions: actions(call, snap, now),
        all: nomination_rows(call, snap, false),
        provinces: provinces(),
        domains: call
            .domains
            .iter()
            .map(|d| (d.id.clone(), d.title.clone()))
            .collect(),
        criteria: call
            .criteria
            .iter()
            .map(|c| (c.id.clone(), c.title.clone()))
            .collect(),
        principle_title: call.principle.title.clone(),
    }
}

/// Attachments of the new nominations that could not be read: reference, file, why.
fn unreadable(snap: &Snapshot, new_subs: &[&SubmissionRow]) -> Vec<(String, String, String)> {
    snap.documents
        .iter()
        .filter(|d| d.status != "ok")
        .filter_map(|d| {
            let s = new_subs.iter().find(|s| s.id == d.submission_id)?;
            Some((
                s.reference.clone(),
                d.name
                    .clone()
                    .unwrap_or_else(|| "tekst in de e-mail".into()),
                document_problem(d),
            ))
        })
        .collect()
}

/// Mails quarantined in the window: arrival, sender, reason.
fn quarantined(
    snap: &Snapshot,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, String, String)> {
    snap.quarantined
        .iter()
        .filter(|m| in_window(m.stored_at, since, now))
        .map(|m| {
            (
                m.arrived_at,
                m.from_address
                    .clone()
                    .unwrap_or_else(|| "(onbekend)".into()),
                m.reason.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// Our letters that came back in the window, and bounces we could not link: to, what, why.
fn bounces(
    call: &Call,
    snap: &Snapshot,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<(String, String, String)> {
    snap.outbox
        .iter()
        .filter(|o| o.bounced_at.is_some_and(|b| in_window(b, since, now)))
        .map(|o| {
            (
                o.recipient.clone(),
                describe_letter(call, snap, o),
                o.bounce_reason.clone().unwrap_or_default(),
            )
        })
        .chain(
            snap.unlinked_bounces
                .iter()
                .filter(|m| in_window(m.stored_at, since, now))
                .map(|m| {
                    (
                        "(onbekend)".to_string(),
                        "een mail die we niet konden terugvinden".to_string(),
                        format!(
                            "onbestelbaar-melding van {}",
                            m.from_address.as_deref().unwrap_or("onbekende afzender")
                        ),
                    )
                }),
        )
        .collect()
}

/// Letters given up on and not reported in an earlier digest.
fn failed_deliveries(call: &Call, snap: &Snapshot) -> Vec<DeliveryProblem> {
    snap.unreported_failures()
        .into_iter()
        .map(|o| DeliveryProblem {
            to: o.recipient.clone(),
            what: describe_letter(call, snap, o),
            reason: o.last_error.clone().unwrap_or_default(),
        })
        .collect()
}

/// Mailboxes that cannot be read, since when and why.
fn mailbox_problems(snap: &Snapshot, tz: chrono_tz::Tz) -> Vec<String> {
    snap.mailboxes
        .iter()
        .filter_map(|m| {
            let since = m.failing_since?;
            Some(format!(
                "De mailbox {} is niet bereikbaar sinds {}. Laatste fout: {}",
                m.mailbox,
                labels::date_time(since, tz),
                m.last_error.as_deref().unwrap_or("onbekend")
            ))
        })
        .collect()
}

/// Every consultation with its state and, for an answer, its motivation on one line.
fn consultation_rows(call: &Call, snap: &Snapshot) -> Vec<ConsultationRow> {
    snap.consultations
        .iter()
        .filter_map(|c| {
            let s = snap.submission(c.submission_id)?;
            let state = consultation_state(c);
            let note = match state {
                Standing::Objection
                | Standing::Support
                | Standing::NeedsReading
                | Standing::NoOpinion => c
                    .motivation
                    .as_ref()
                    .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|m| !m.is_empty()),
                _ => None,
            };
            Some(ConsultationRow {
                reference: s.reference.clone(),
                municipality: municipality_of(s.municipality_code.as_deref()).0,
                partner: partner_name(call, snap, &c.partner_id),
                state,
                changed_at: consultation_changed(c),
                note,
                overridden: c.staff_override.is_some(),
            })
        })
        .collect()
}

/// What needs a staff action now, in plain Dutch with the command that does it. These are
/// repeated in every digest until they are done.
pub fn actions(call: &Call, snap: &Snapshot, now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    let current = snap.current();
    for s in current.iter().filter(|s| s.municipality_code.is_none()) {
        out.push(format!(
            "Stel vast welke gemeente {} heeft gestuurd (afzender {}): intake set-municipality {} GM….",
            s.reference, s.sender, s.reference
        ));
    }
    for s in snap
        .submissions
        .iter()
        .filter(|s| s.other_sender && !s.is_current)
    {
        let follows = s
            .supersedes
            .and_then(|id| snap.submission(id))
            .filter(|p| p.is_current);
        if let Some(p) = follows {
            out.push(format!(
                "Beslis welke versie telt: {} kwam van een ander afzenderdomein ({}) dan de geldende versie {}. Laat het zo, of maak {} geldend: intake make-current {}.",
                s.reference, s.sender, p.reference, s.reference, s.reference
            ));
        }
    }
    // Objections first: they weigh heavily (partners and local contacts alike).
    for c in &snap.consultations {
        let Some(s) = snap.submission(c.submission_id) else {
            continue;
        };
        let partner = partner_name(call, snap, &c.partner_id);
        match consultation_state(c) {
            // An answer to read is listed above, with the command that settles it.
            Standing::Objection if c.staff_override.is_none() && s.is_current => out.push(format!(
                "Beslis over het bezwaar van {partner} tegen {}: het weegt zwaar. Leg het alleen met reden terzijde: intake set-aside-objection {} {} --note ….",
                s.reference, s.reference, c.partner_id
            )),
            _ => {}
        }
    }
    for t in &snap.to_settle {
        let a = &t.answer;
        let about = match (&t.reference, &t.partner_id) {
            (Some(r), Some(p)) => format!("over {r} van {}", partner_name(call, snap, p)),
            _ => "dat bij geen consultatie past".to_string(),
        };
        let why = a
            .hold_reason
            .clone()
            .unwrap_or_else(|| "het oordeel is niet duidelijk".to_string());
        let objection = if a.highlight.is_some() {
            " Let op: er staat een bezwaar in."
        } else {
            ""
        };
        out.push(format!(
            "Beoordeel antwoord {} {about} (van {}): {why}.{objection} Telt het: intake answer accept {} --verdict steun|bezwaar|geen-oordeel; telt het niet: intake answer reject {} --note ….",
            a.id, a.from_address, a.id, a.id
        ));
    }
    for s in current.iter() {
        let proposed = snap
            .contacts
            .iter()
            .filter(|c| {
                c.submission_id == s.id && c.status == crate::domain::ContactStatus::Proposed
            })
            .count();
        if proposed > 0 {
            out.push(format!(
                "De brief van {} noemt {}. Bevestig met een adres of wijs af: intake contacts list {}.",
                s.reference,
                labels::count(proposed, "lokale organisatie", "lokale organisaties"),
                s.reference
            ));
        }
    }
    for s in current
        .iter()
        .filter(|s| !s.on_time && snap.decision_of(s.id).is_none())
    {
        out.push(format!(
            "Beslis of de te late voordracht {} toch meedoet: intake decide {} selected|reserve|rejected --note ….",
            s.reference, s.reference
        ));
    }
    for s in current.iter().filter(|s| {
        (s.over_by.is_some_and(|o| o > 0) || s.page_uncertain.is_some())
            && snap.decision_of(s.id).is_none()
    }) {
        out.push(format!(
            "Kijk of de paginatelling van {} klopt ({} pagina's, maximaal {}).",
            s.reference,
            s.pages.unwrap_or(0),
            call.max_pages
        ));
    }
    if now > call.closes_at() {
        let undecided = current
            .iter()
            .filter(|s| snap.decision_of(s.id).is_none())
            .count();
        if undecided > 0 {
            out.push(format!(
                "{} zonder besluit. Een voorstel: intake shortlist.",
                labels::count(
                    undecided,
                    "actuele voordracht is",
                    "actuele voordrachten zijn"
                )
            ));
        } else if !current.is_empty() {
            let missing = snap.not_ratified_by(call);
            if !missing.is_empty() {
                out.push(format!(
                    "Alle voordrachten hebben een besluit. Nog niet bekrachtigd door: {}.",
                    missing.join("; ")
                ));
            } else if !snap.outbox.iter().any(|o| o.kind.is_decision()) {
                out.push(
                    "De keuze is bekrachtigd. Verstuur de brieven: intake letters --send."
                        .to_string(),
                );
            }
        }
    }
    out
}

/// One nomination as the shortlist sees it (staff overrides applied by the caller).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Candidate {
    pub reference: String,
    pub municipality: String,
    pub province: String,
    /// Domain (theme) ids.
    pub domains: Vec<String>,
    /// Number of criteria met (after staff override).
    pub criteria_met: usize,
    /// The principle is met (after staff override).
    pub principle: bool,
    /// At least one partner objected.
    pub has_objection: bool,
    /// Staff recorded that the objection does not block this nomination.
    pub objection_overridden: bool,
    /// A partner's latest answer could not be read: it blocks until staff settle it.
    pub unread_answer: bool,
    /// How many partners and local contacts support it (STEUN answers that count).
    pub supporters: usize,
    pub on_time: bool,
    /// Not superseded by a newer version from the same municipality.
    pub current: bool,
    /// How convincing the letter is, higher is better (e.g. share of criteria met with
    /// strong evidence, 0.0–1.0). Used only after coverage and balance.
    pub strength: f64,
}

/// The shortlist's view of every current nomination (staff overrides applied). Strength is the
/// mean verdict score over the criteria and the principle (met 1, weak ½, not found 0).
pub fn candidates(call: &Call, snap: &Snapshot) -> Vec<Candidate> {
    snap.submissions
        .iter()
        .filter(|s| s.is_current)
        .map(|s| {
            let (municipality, province) = municipality_of(s.municipality_code.as_deref());
            let (met, principle) = criteria_met(call, snap, s.id);
            let ids: Vec<&str> = call
                .criteria
                .iter()
                .map(|c| c.id.as_str())
                .chain(std::iter::once(call.principle.id.as_str()))
                .collect();
            let strength = ids
                .iter()
                .map(|id| verdict_of(snap, s.id, id).score())
                .sum::<f64>()
                / ids.len().max(1) as f64;
            let objections: Vec<&consult::ConsultationRow> = snap
                .consultations
                .iter()
                .filter(|c| c.submission_id == s.id && consultation_state(c) == Standing::Objection)
                .collect();
            Candidate {
                reference: s.reference.clone(),
                municipality: municipality.unwrap_or_else(|| "(gemeente onbekend)".into()),
                province: province.unwrap_or_else(|| "(provincie onbekend)".into()),
                domains: domains_of(call, snap, s.id),
                criteria_met: met,
                principle,
                has_objection: !objections.is_empty(),
                objection_overridden: !objections.is_empty()
                    && objections.iter().all(|c| c.staff_override.is_some()),
                unread_answer: snap.consultations.iter().any(|c| {
                    c.submission_id == s.id && consultation_state(c) == Standing::NeedsReading
                }),
                supporters: snap
                    .consultations
                    .iter()
                    .filter(|c| {
                        c.submission_id == s.id && consultation_state(c) == Standing::Support
                    })
                    .count(),
                on_time: s.on_time,
                current: s.is_current,
                strength,
            }
        })
        .collect()
}

/// Count of current nominations per latest decision (`selected`, `reserve`, `rejected`).
pub fn decision_counts(snap: &Snapshot) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for s in snap.submissions.iter().filter(|s| s.is_current) {
        if let Some(d) = snap.decision_of(s.id) {
            *out.entry(d.decision.as_str().to_string()).or_insert(0) += 1;
        }
    }
    out
}
