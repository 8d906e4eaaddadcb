//! One nomination's page: the facts and findings, the letter with its evidence marked, the
//! documents, versions, partner answers, decision and audit history, and the forms that act on
//! it. This file builds the page's plain data from the database ([`view`]); the template lays
//! it out. The forms post to `act`, which shows this page again with what happened.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::value::Serde as S;
use serde::Serialize;

use super::Web;
use super::letter::{self, Mark, Placed, Segment};
use super::pages::consultee_name;
use crate::assess::claims::ClaimKind;
use crate::assess::municipality::Municipalities;
use crate::config::Call;
use crate::digest::collect::{self, Snapshot};
use crate::digest::{NominationRow, labels};
use crate::domain::{AnswerStatus, ContactStatus, Decision, Standing, Verdict};
use crate::store::{self, SubmissionRow, consult as cs};

fn when(t: DateTime<Utc>, tz: Tz) -> String {
    labels::date_time(t, tz)
}

/// CSS class of a criterion id (`c1`, `c2`, …) or `cp` for the principle.
pub fn criterion_class(call: &Call, id: &str) -> String {
    if id == call.principle.id {
        return "cp".into();
    }
    let safe: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("c{safe}")
}

/// Short tag of a criterion: its id, `P` for the principle.
fn criterion_tag(call: &Call, id: &str) -> String {
    if id == call.principle.id {
        "P".into()
    } else {
        id.to_string()
    }
}

/// A verdict as pages show it: label and a CSS class (the class only adds colour).
#[derive(Debug, Clone, Serialize)]
pub struct VerdictView {
    pub value: &'static str,
    pub label: &'static str,
    pub class: &'static str,
}

pub fn verdict_view(v: Verdict) -> VerdictView {
    VerdictView {
        value: v.as_str(),
        label: v.label_nl(),
        class: match v {
            Verdict::Met => "ok",
            Verdict::Weak => "warn",
            Verdict::NotFound => "no",
        },
    }
}

#[derive(Debug, Serialize)]
struct Evidence {
    sentence: String,
    page: Option<i32>,
    tag: String,
    domain: Option<String>,
    kind: &'static str,
    counted: bool,
}

#[derive(Debug, Serialize)]
struct CriterionView {
    id: String,
    title: String,
    description: String,
    class: String,
    tag: String,
    machine: VerdictView,
    machine_note: String,
    staff: Option<VerdictView>,
    staff_note: Option<String>,
    staff_by: Option<String>,
    staff_at: Option<String>,
    effective: VerdictView,
    evidence: Vec<Evidence>,
}

#[derive(Debug, Serialize)]
struct LetterView {
    name: String,
    segments: Vec<Segment>,
    unplaced: Vec<Mark>,
}

#[derive(Debug, Serialize)]
struct DocumentView {
    index: i32,
    name: String,
    format: String,
    role: String,
    pages: Option<i32>,
    page_basis: Option<String>,
    paper: Option<String>,
    status: String,
    ok: bool,
    reason: Option<String>,
    size: String,
    href: String,
}

#[derive(Debug, Serialize)]
struct VersionView {
    reference: String,
    href: String,
    version: i32,
    arrived: String,
    current: bool,
    this: bool,
    note: Option<String>,
    on_time: bool,
}

#[derive(Debug, Serialize)]
struct AnswerView {
    id: i64,
    /// Held or unclear: staff settle it here.
    can_settle: bool,
    /// Always true here (the answer belongs to this consultation); the settle form asks no link.
    linked: bool,
    verdict_code: Option<&'static str>,
    received: String,
    from: String,
    verdict: Option<&'static str>,
    status: &'static str,
    motivation: String,
    hold_reason: Option<String>,
    highlight: Option<String>,
    authentication: Option<String>,
}

#[derive(Debug, Serialize)]
struct ConsultationView {
    partner_id: String,
    partner: String,
    state: &'static str,
    state_code: &'static str,
    #[serde(skip)]
    rank: u8,
    sent: String,
    answer_by: String,
    reminded: Option<String>,
    answered: Option<String>,
    motivation: Option<String>,
    set_aside: Option<String>,
    can_set_aside: bool,
    answers: Vec<AnswerView>,
}

#[derive(Debug, Serialize)]
struct ContactView {
    id: i64,
    name: String,
    address: Option<String>,
    kind: String,
    from_letter: bool,
    sentence: Option<String>,
    status: &'static str,
    status_code: &'static str,
    proposed: bool,
    /// A consultation request went to it.
    asked: bool,
    by: String,
    at: String,
}

#[derive(Debug, Serialize)]
struct DecisionView {
    value: &'static str,
    label: &'static str,
    note: Option<String>,
    by: String,
    at: String,
}

#[derive(Debug, Serialize)]
struct EventView {
    at: String,
    actor: String,
    action: String,
    detail: String,
}

#[derive(Debug, Serialize)]
struct Option_ {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Debug, Serialize)]
struct Group {
    label: String,
    options: Vec<Option_>,
}

#[derive(Debug, Serialize)]
struct Facts {
    reference: String,
    municipality: Option<String>,
    code: Option<String>,
    province: Option<String>,
    basis: Option<String>,
    confidence: Option<String>,
    by_staff: bool,
    flags: Vec<String>,
    sender: String,
    sender_name: Option<String>,
    reply_to: Option<String>,
    subject: Option<String>,
    arrived: String,
    deadline: String,
    on_time: bool,
    deadline_diff: String,
    pages: Option<i32>,
    page_note: Option<String>,
    page_basis: Option<String>,
    over_by: Option<i32>,
    max_pages: u32,
    non_a4: Vec<String>,
    version: i32,
    version_note: Option<String>,
    current: bool,
    other_sender: bool,
    meets_minimum: bool,
    status: String,
}

/// Dutch words for the audit log's actions.
fn action_label(action: &str) -> String {
    match action {
        "set_municipality" => "gemeente gecorrigeerd",
        "make_current" => "geldende versie gekozen",
        "override" => "advies aangepast",
        "objection_set_aside" => "bezwaar terzijde gelegd",
        "decision" => "besluit",
        "consult_requested" => "partners om advies gevraagd",
        "ratification" => "bekrachtiging",
        "nomination" => "voordracht ontvangen",
        "stored" => "opgeslagen",
        "duplicate" => "dubbel ontvangen",
        "consultation_sent" => "verzoek om advies verstuurd",
        "consultation_closed" => "raadpleging gesloten",
        "answer_recorded" => "antwoord van een partner ontvangen",
        "answer_held" => "antwoord vastgehouden",
        "answer_not_an_answer" => "bericht van een partner, geen antwoord",
        "decision_letter" => "besluitbrief",
        "decision_letters_queued" => "besluitbrieven in de verzendrij",
        "no_confirmation" => "geen ontvangstbevestiging",
        "no_thanks" => "geen bedankje",
        "quarantined" => "in quarantaine",
        "answer_accepted" => "antwoord telt mee",
        "answer_rejected" => "antwoord telt niet",
        "contact_added" => "lokale organisatie toegevoegd",
        "contact_settled" => "lokale organisatie beoordeeld",
        other => other,
    }
    .to_string()
}

/// "3 uur en 12 minuten te laat" / "2 dagen voor de deadline".
fn deadline_diff(secs: i64) -> String {
    let abs = secs.unsigned_abs();
    let (days, hours, minutes) = (abs / 86_400, (abs % 86_400) / 3600, (abs % 3600) / 60);
    let amount = if days > 0 {
        format!(
            "{days} dag{} en {hours} uur",
            if days == 1 { "" } else { "en" }
        )
    } else if hours > 0 {
        format!("{hours} uur en {minutes} minuten")
    } else {
        format!("{minutes} minuten")
    };
    if secs > 0 {
        format!("{amount} te laat")
    } else {
        format!("{amount} voor de deadline")
    }
}

fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} kB", (bytes + 1023) / 1024)
    }
}

/// The municipalities for the correction form, grouped by province, the current one selected.
fn municipality_groups(current: Option<&str>) -> Vec<Group> {
    let all = Municipalities::embedded();
    all.provinces()
        .into_iter()
        .map(|p| {
            let mut options: Vec<Option_> = all
                .all()
                .iter()
                .filter(|m| m.province == p)
                .map(|m| Option_ {
                    value: m.code.clone(),
                    label: m.name.clone(),
                    selected: current == Some(m.code.as_str()),
                })
                .collect();
            options.sort_by(|a, b| a.label.cmp(&b.label));
            Group { label: p, options }
        })
        .collect()
}

/// A page's notice: what an action did, or why it was refused.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Notice {
    pub done: Option<String>,
    pub error: Option<String>,
}

/// Everything the nomination page shows, or `None` when there is no such nomination.
pub async fn view(
    web: &Web,
    reference: &str,
    notice: &Notice,
) -> anyhow::Result<Option<minijinja::Value>> {
    let app = &web.app;
    let call = &app.cfg.call;
    let tz = call.time_zone;
    let Some(r) = crate::domain::Reference::parse(reference) else {
        return Ok(None);
    };
    let Some(s) = store::submission_by_reference(&app.db, r.as_str()).await? else {
        return Ok(None);
    };
    let snap = Snapshot::load(&app.db).await?;
    let row = collect::nomination_row(call, &snap, &s);
    let claims = store::claims_of(&app.db, s.id).await?;
    let assessments = store::assessments_of(&app.db, s.id).await?;
    let documents = store::documents_of(&app.db, s.id).await?;
    let texts = store::staff::document_texts(&app.db, s.id).await?;
    let consultations = cs::consultations_of(&app.db, s.id).await?;
    let events = store::events_of(&app.db, s.id).await?;
    let contacts = store::contacts::contacts_of(&app.db, s.id).await?;

    let mut ids: Vec<String> = call.criteria.iter().map(|c| c.id.clone()).collect();
    ids.push(call.principle.id.clone());
    let legend: Vec<BTreeMap<&str, String>> = ids
        .iter()
        .map(|id| {
            BTreeMap::from([
                ("class", criterion_class(call, id)),
                ("tag", criterion_tag(call, id)),
                ("title", call.criterion_title(id)),
            ])
        })
        .collect();
    let contact_views = contact_views(&contacts, &consultations, tz);
    // Confirmed local contacts that were not asked yet: the consult button asks them (the
    // request is idempotent per one consulted).
    let contacts_to_ask = contact_views
        .iter()
        .filter(|c| c.status_code == ContactStatus::Confirmed.as_str() && !c.asked)
        .count();
    let mut decisions: Vec<DecisionView> = snap
        .decisions
        .iter()
        .filter(|d| d.submission_id == s.id)
        .map(|d| DecisionView {
            value: d.decision.as_str(),
            label: d.decision.label_nl(),
            note: d.note.clone(),
            by: d.decided_by.clone(),
            at: when(d.decided_at, tz),
        })
        .collect();
    decisions.reverse();
    let ratified: Vec<String> = snap
        .ratifications
        .iter()
        .map(|r| r.office_holder.clone())
        .collect();
    let event_views: Vec<EventView> = events
        .iter()
        .rev()
        .map(|e| EventView {
            at: when(e.at, tz),
            actor: e.actor.clone(),
            action: action_label(&e.action),
            detail: e.detail.clone(),
        })
        .collect();
    let verdict_options: Vec<VerdictView> = [Verdict::Met, Verdict::Weak, Verdict::NotFound]
        .into_iter()
        .map(verdict_view)
        .collect();
    let decision_options: Vec<BTreeMap<&str, &str>> =
        [Decision::Selected, Decision::Reserve, Decision::Rejected]
            .into_iter()
            .map(|d| BTreeMap::from([("value", d.as_str()), ("label", d.label_nl())]))
            .collect();
    let attention = super::list::items(call, &snap, true)
        .into_iter()
        .find(|i| i.row.reference == s.reference)
        .map(|i| i.attention)
        .unwrap_or_default();
    Ok(Some(minijinja::context! {
        n => S(facts(call, &s, &row)),
        attention => S(attention),
        criteria => S(criterion_views(call, &ids, &assessments, &claims, tz)),
        letters => S(letter_views(call, &texts, &documents, &assessments, &claims)),
        legend => S(legend),
        documents => S(document_views(&s, &documents)),
        mail_href => S(format!("/voordrachten/{}/mail", s.reference)),
        versions => S(version_views(&snap, &s, tz)),
        consultations => S(consultation_views(app, &consultations, &contacts).await?),
        consulted => S(!consultations.is_empty()),
        contacts => S(contact_views),
        contacts_to_ask => S(contacts_to_ask),
        contact_kinds => S(crate::actions::CONTACT_KINDS),
        verdicts => S(super::pages::verdict_choices()),
        partner_count => S(call.partners.len()),
        decisions => S(decisions),
        decision => S(decisions_first(&snap, &s)),
        ratified => S(ratified),
        events => S(event_views),
        municipalities => S(municipality_groups(s.municipality_code.as_deref())),
        verdict_options => S(verdict_options),
        decision_options => S(decision_options),
        notice => S(notice),
        base => S(format!("/voordrachten/{}", s.reference)),
    }))
}

/// How a claim is marked in the letter and the evidence list: its criterion's colour and tag,
/// and a label saying what it is evidence of (and why it does not count, if it does not).
fn mark(call: &Call, c: &store::ClaimRow) -> Mark {
    let kind = ClaimKind::parse(&c.kind).unwrap_or(ClaimKind::Evidence);
    let counted = kind == ClaimKind::Evidence;
    let domain = c.domain.as_deref().map(|d| call.domain_title(d));
    let tag = match &domain {
        Some(d) => format!("{} {d}", criterion_tag(call, &c.criterion)),
        None => criterion_tag(call, &c.criterion),
    };
    let mut label = format!("bewijs voor {}", call.criterion_title(&c.criterion));
    if let Some(d) = &domain {
        label.push_str(&format!(", thema {d}"));
    }
    if !counted {
        label.push_str(&format!(" (telt niet: {})", kind.label_nl()));
    }
    Mark {
        class: criterion_class(call, &c.criterion),
        tag,
        label,
        evidence: counted,
    }
}

/// Per criterion (and the principle): the advice, staff's override and the evidence.
fn criterion_views(
    call: &Call,
    ids: &[String],
    assessments: &[store::AssessmentRow],
    claims: &[store::ClaimRow],
    tz: Tz,
) -> Vec<CriterionView> {
    ids.iter()
        .filter_map(|id| {
            let a = assessments.iter().find(|a| &a.criterion == id)?;
            let evidence_ids: Vec<i64> = serde_json::from_str(&a.evidence).unwrap_or_default();
            let title = call.criterion_title(id);
            let description = if *id == call.principle.id {
                call.principle.description.clone()
            } else {
                call.criteria
                    .iter()
                    .find(|c| &c.id == id)
                    .map(|c| c.description.clone())
                    .unwrap_or_default()
            };
            Some(CriterionView {
                id: id.clone(),
                title,
                description,
                class: criterion_class(call, id),
                tag: criterion_tag(call, id),
                machine: verdict_view(a.machine_verdict),
                machine_note: a.note.clone(),
                staff: a.staff_verdict.map(verdict_view),
                staff_note: a.staff_note.clone(),
                staff_by: a.staff_by.clone(),
                staff_at: a.staff_at.map(|t| when(t, tz)),
                effective: verdict_view(a.effective()),
                evidence: claims
                    .iter()
                    .filter(|c| &c.criterion == id)
                    .filter(|c| evidence_ids.contains(&c.id) || c.kind != "evidence")
                    .map(|c| {
                        let kind = ClaimKind::parse(&c.kind).unwrap_or(ClaimKind::Evidence);
                        Evidence {
                            sentence: c.sentence.split_whitespace().collect::<Vec<_>>().join(" "),
                            page: c.page,
                            tag: mark(call, c).tag,
                            domain: c.domain.as_deref().map(|d| call.domain_title(d)),
                            kind: kind.label_nl(),
                            counted: kind == ClaimKind::Evidence,
                        }
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The letter: every document with text, its claims marked. Claims that are not evidence of
/// an assessment (nor a shown intention or negation) are left out, as in the criteria.
fn letter_views(
    call: &Call,
    texts: &[(i32, String)],
    documents: &[store::DocumentRow],
    assessments: &[store::AssessmentRow],
    claims: &[store::ClaimRow],
) -> Vec<LetterView> {
    let shown: Vec<i64> = assessments
        .iter()
        .flat_map(|a| serde_json::from_str::<Vec<i64>>(&a.evidence).unwrap_or_default())
        .collect();
    texts
        .iter()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(idx, text)| {
            let placed: Vec<Placed<'_>> = claims
                .iter()
                .filter(|c| c.document_idx == *idx)
                .filter(|c| shown.contains(&c.id) || c.kind != "evidence")
                .map(|c| Placed {
                    sentence: &c.sentence,
                    offset: usize::try_from(c.byte_offset).unwrap_or(usize::MAX),
                    mark: mark(call, c),
                })
                .collect();
            let (segments, unplaced) = letter::segments(text, &placed);
            let name = documents
                .iter()
                .find(|d| d.idx == *idx)
                .and_then(|d| d.name.clone())
                .map(|n| crate::clean::line(&n, crate::clean::MAX_NAME))
                .unwrap_or_else(|| "tekst in de e-mail".into());
            LetterView {
                name,
                segments,
                unplaced,
            }
        })
        .collect()
}

/// The documents of the mail, with their pages, paper and whether they could be read.
fn document_views(s: &SubmissionRow, documents: &[store::DocumentRow]) -> Vec<DocumentView> {
    documents
        .iter()
        .map(|d| DocumentView {
            index: d.idx,
            name: d
                .name
                .as_deref()
                .map(|n| crate::clean::line(n, crate::clean::MAX_NAME))
                .unwrap_or_else(|| "tekst in de e-mail".into()),
            format: d.format.clone(),
            role: d.role.clone(),
            pages: d.pages,
            page_basis: d.page_basis.clone(),
            paper: match (d.paper_w_pt, d.paper_h_pt, d.is_a4) {
                (_, _, Some(true)) => Some("A4".into()),
                (Some(w), Some(h), _) => Some(format!("{:.0} × {:.0} mm", w * 0.3528, h * 0.3528)),
                _ => None,
            },
            status: d.status.clone(),
            ok: d.status == "ok",
            reason: d.reason.clone(),
            size: size(d.bytes),
            href: format!("/voordrachten/{}/documenten/{}", s.reference, d.idx),
        })
        .collect()
}

/// Every nomination from the same municipality or the same sender, oldest first.
fn version_views(snap: &Snapshot, s: &SubmissionRow, tz: Tz) -> Vec<VersionView> {
    let mut versions: Vec<&SubmissionRow> = snap
        .submissions
        .iter()
        .filter(|v| {
            (s.municipality_code.is_some() && v.municipality_code == s.municipality_code)
                || v.sender == s.sender
        })
        .collect();
    versions.sort_by_key(|v| v.seq);
    versions
        .iter()
        .map(|v| VersionView {
            reference: v.reference.clone(),
            href: format!("/voordrachten/{}", v.reference),
            version: v.version,
            arrived: when(v.arrived_at, tz),
            current: v.is_current,
            this: v.id == s.id,
            note: v.version_note.clone(),
            on_time: v.on_time,
        })
        .collect()
}

/// Each consulted (partner or local contact) with its state and every answer, objections and
/// answers to read first.
async fn consultation_views(
    app: &crate::app::App,
    consultations: &[cs::ConsultationRow],
    contacts: &[store::contacts::LocalContactRow],
) -> anyhow::Result<Vec<ConsultationView>> {
    let call = &app.cfg.call;
    let tz = call.time_zone;
    let mut consult_views = Vec::new();
    for c in consultations {
        let answers = cs::answers_of(&app.db, c.id).await?;
        let standing = c.standing();
        consult_views.push(ConsultationView {
            partner_id: c.partner_id.clone(),
            partner: consultee_name(call, contacts, &c.partner_id),
            state: standing.label_nl(),
            can_set_aside: standing == Standing::Objection && c.staff_override.is_none(),
            state_code: standing.as_str(),
            rank: standing.rank(),
            sent: when(c.sent_at, tz),
            answer_by: labels::date(c.answer_by, tz),
            reminded: c.reminded_at.map(|t| when(t, tz)),
            answered: c.answered_at.map(|t| when(t, tz)),
            motivation: c.motivation.clone(),
            set_aside: c.staff_override.clone(),
            answers: answers
                .into_iter()
                .map(|a| AnswerView {
                    id: a.id,
                    can_settle: matches!(a.status, AnswerStatus::Held | AnswerStatus::NeedsReading),
                    linked: true,
                    verdict_code: a.verdict.map(|v| v.as_str()),
                    received: when(a.received_at, tz),
                    from: a.from_address,
                    verdict: a.verdict.map(|v| v.label_nl()),
                    status: a.status.label_nl(),
                    motivation: a.motivation,
                    hold_reason: a.hold_reason,
                    highlight: a.highlight,
                    authentication: a.authentication,
                })
                .collect(),
        });
    }
    consult_views.sort_by_key(|c| c.rank);
    Ok(consult_views)
}

/// The local organisations: proposed from the letter or added by staff, and whether asked.
fn contact_views(
    contacts: &[store::contacts::LocalContactRow],
    consultations: &[cs::ConsultationRow],
    tz: Tz,
) -> Vec<ContactView> {
    contacts
        .iter()
        .map(|c| {
            let asked = consultations
                .iter()
                .any(|x| x.partner_id == c.consultee_id());
            ContactView {
                id: c.id,
                name: c.name.clone(),
                address: c.address.clone(),
                kind: c.kind.clone(),
                from_letter: c.source == "letter",
                sentence: c
                    .sentence
                    .as_ref()
                    .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" ")),
                status: c.status.label_nl(),
                status_code: c.status.as_str(),
                proposed: c.status == ContactStatus::Proposed,
                asked,
                by: c.created_by.clone(),
                at: when(c.created_at, tz),
            }
        })
        .collect()
}

/// The facts of the nomination: municipality, sender, dates, pages, version, status.
fn facts(call: &Call, s: &SubmissionRow, row: &NominationRow) -> Facts {
    let tz = call.time_zone;
    let (municipality, province) = (row.municipality.clone(), row.province.clone());
    Facts {
        reference: s.reference.clone(),
        municipality,
        code: s.municipality_code.clone(),
        province,
        basis: s.municipality_basis.clone(),
        confidence: s.municipality_confidence.clone(),
        by_staff: s.municipality_by_staff,
        flags: s.flags(),
        sender: s.sender.clone(),
        sender_name: s
            .sender_name
            .as_deref()
            .map(|n| crate::clean::line(n, crate::clean::MAX_NAME)),
        reply_to: s.reply_to.clone(),
        subject: s.subject.clone(),
        arrived: when(s.arrived_at, tz),
        deadline: when(s.deadline_at, tz),
        on_time: s.on_time,
        deadline_diff: deadline_diff(s.deadline_diff_secs),
        pages: s.pages,
        page_note: s.page_note.clone(),
        page_basis: s.page_basis.clone(),
        over_by: s.over_by.filter(|o| *o > 0),
        max_pages: call.max_pages,
        non_a4: s.non_a4_list(),
        version: s.version,
        version_note: s.version_note.clone(),
        current: s.is_current,
        other_sender: s.other_sender,
        meets_minimum: row.meets_minimum,
        status: labels::status(&row.status),
    }
}

/// The decision that counts, as a value for the form's default.
fn decisions_first(snap: &Snapshot, s: &SubmissionRow) -> Option<&'static str> {
    snap.decision_of(s.id).map(|d| d.decision.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_difference_reads_as_dutch() {
        assert_eq!(
            deadline_diff(-2 * 86_400 - 3600),
            "2 dagen en 1 uur voor de deadline"
        );
        assert_eq!(
            deadline_diff(3 * 3600 + 12 * 60),
            "3 uur en 12 minuten te laat"
        );
        assert_eq!(deadline_diff(59), "0 minuten te laat");
        assert_eq!(deadline_diff(86_400), "1 dag en 0 uur te laat");
    }

    #[test]
    fn sizes_are_rounded_up_to_kilobytes() {
        assert_eq!(size(1), "1 kB");
        assert_eq!(size(2048), "2 kB");
        assert_eq!(size(3 * 1024 * 1024), "3.0 MB");
    }
}
