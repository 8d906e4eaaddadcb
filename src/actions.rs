//! Staff actions: every change a person makes, as one function each. Each takes the [`App`],
//! the actor (who, for the audit log) and typed arguments, does its work in one transaction
//! together with its audit event, and returns a typed result or an [`ActionError`] saying why it
//! was refused. The command line only parses arguments and prints; the web workspace calls the
//! same functions.
//!
//! To add a staff action: write it here (or in the module that owns its rules, like
//! [`crate::selection`]), give it an audit event, and call it from `cli` and `web`.

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::assess::municipality::Municipalities;
use crate::domain::{
    AnswerStatus, ContactStatus, Decision, MunicipalityCode, PartnerVerdict, Reference, Verdict,
};
use crate::selection;
use crate::store::{self, SubmissionRow};

pub use crate::domain::ActionError;

/// Who acts: a staff member's name or e-mail address, an office holder, or `intake` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// A name as given (trimmed, control characters removed); empty becomes `staff`.
    pub fn new(name: &str) -> Actor {
        let name = crate::clean::line(name, 120);
        Actor(if name.is_empty() {
            "staff".into()
        } else {
            name
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The nomination with this reference, or [`ActionError::NotFound`].
pub async fn nomination(app: &App, reference: &str) -> Result<SubmissionRow, ActionError> {
    let r = Reference::parse(reference)
        .ok_or_else(|| ActionError::NotFound(format!("nomination {}", reference.trim())))?;
    store::submission_by_reference(&app.db, r.as_str())
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("nomination {r}")))
}

/// What [`set_municipality`] did.
#[derive(Debug, Clone)]
pub struct MunicipalitySet {
    pub reference: String,
    pub code: String,
    pub name: String,
}

/// Staff correction of the municipality of a nomination.
pub async fn set_municipality(
    app: &App,
    actor: &Actor,
    reference: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<MunicipalitySet, ActionError> {
    let code = MunicipalityCode::parse(code).ok_or_else(|| {
        ActionError::Invalid(format!(
            "{code} is not a municipality code (GM and four digits)"
        ))
    })?;
    let m = Municipalities::embedded()
        .by_code(code.as_str())
        .ok_or_else(|| ActionError::NotFound(format!("municipality {code}")))?;
    let s = nomination(app, reference).await?;
    let mut tx = app.db.begin().await?;
    store::set_municipality(&mut tx, s.id, code.as_str(), actor.as_str()).await?;
    store::event(
        &mut tx,
        now,
        actor.as_str(),
        "set_municipality",
        Some(s.id),
        None,
        &format!("{:?} → {}", s.municipality_code, code),
    )
    .await?;
    tx.commit().await?;
    Ok(MunicipalitySet {
        reference: s.reference,
        code: code.to_string(),
        name: m.name.clone(),
    })
}

/// What [`make_current`] did.
#[derive(Debug, Clone)]
pub struct MadeCurrent {
    pub reference: String,
    /// The version that was current before, if another one was.
    pub replaced: Option<String>,
    /// It was current already: nothing changed.
    pub already: bool,
}

/// Makes a nomination the current version of its municipality (or of its sender, when the
/// municipality is unknown); the version that was current is kept as an earlier version.
pub async fn make_current(
    app: &App,
    actor: &Actor,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<MadeCurrent, ActionError> {
    let s = nomination(app, reference).await?;
    if s.is_current {
        return Ok(MadeCurrent {
            reference: s.reference,
            replaced: None,
            already: true,
        });
    }
    let mut tx = app.db.begin().await?;
    let previous = match &s.municipality_code {
        Some(code) => store::current_submission_for(&mut tx, code).await?,
        None => store::current_submission_from(&mut tx, &s.sender).await?,
    };
    if let Some(p) = &previous {
        store::set_current(&mut tx, p.id, false).await?;
    }
    store::set_current(&mut tx, s.id, true).await?;
    let detail = match &previous {
        Some(p) => format!(
            "{} is de geldende versie in plaats van {}",
            s.reference, p.reference
        ),
        None => format!("{} is de geldende versie", s.reference),
    };
    store::event(
        &mut tx,
        now,
        actor.as_str(),
        "make_current",
        Some(s.id),
        None,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(MadeCurrent {
        reference: s.reference,
        replaced: previous.map(|p| p.reference),
        already: false,
    })
}

/// What [`override_criterion`] did.
#[derive(Debug, Clone)]
pub struct Overridden {
    pub reference: String,
    pub criterion: String,
    pub verdict: Verdict,
    /// The pre-assessment after the override.
    pub meets_minimum: bool,
}

/// Staff override of the advice on one criterion (or the principle), with the pre-assessment
/// recomputed, in one transaction.
pub async fn override_criterion(
    app: &App,
    actor: &Actor,
    reference: &str,
    criterion: &str,
    verdict: Verdict,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Overridden, ActionError> {
    let call = &app.cfg.call;
    let known = call.criterion_ids().contains(&criterion) || criterion == call.principle.id;
    if !known {
        return Err(ActionError::Invalid(format!(
            "{criterion} is not a criterion of this call (use {} or {})",
            call.criterion_ids().join(", "),
            call.principle.id
        )));
    }
    let s = nomination(app, reference).await?;
    let mut tx = app.db.begin().await?;
    if !store::override_assessment(&mut tx, s.id, criterion, verdict, note, actor.as_str(), now)
        .await?
    {
        return Err(ActionError::NotFound(format!(
            "criterion {criterion} of {}",
            s.reference
        )));
    }
    let assessments = store::assessments_of_tx(&mut tx, s.id).await?;
    let met = |a: &store::AssessmentRow| a.effective() == Verdict::Met;
    let criteria_met = assessments
        .iter()
        .filter(|a| a.criterion != call.principle.id && met(a))
        .count();
    let principle = assessments
        .iter()
        .any(|a| a.criterion == call.principle.id && met(a));
    let meets = crate::domain::meets_minimum(
        criteria_met,
        principle,
        call.minimum_criteria,
        call.require_principle,
    );
    store::set_meets_minimum(&mut tx, s.id, meets).await?;
    store::event(
        &mut tx,
        now,
        actor.as_str(),
        "override",
        Some(s.id),
        None,
        &format!("{criterion} → {}: {note}", verdict.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(Overridden {
        reference: s.reference,
        criterion: criterion.to_string(),
        verdict,
        meets_minimum: meets,
    })
}

/// Staff set a partner's objection aside: it stays on record, the nomination can be
/// shortlisted again.
pub async fn set_aside_objection(
    app: &App,
    actor: &Actor,
    reference: &str,
    partner: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<String, ActionError> {
    let s = nomination(app, reference).await?;
    let cons = store::consult::consultations_of(&app.db, s.id).await?;
    let c = cons
        .iter()
        .find(|c| c.partner_id == partner)
        .ok_or_else(|| {
            ActionError::NotFound(format!(
                "consultation of {} with partner {partner}",
                s.reference
            ))
        })?;
    if c.verdict != Some(crate::domain::PartnerVerdict::Objection) {
        return Err(ActionError::Refused(format!(
            "{}: {partner} has not objected; nothing to set aside",
            s.reference
        )));
    }
    let mut tx = app.db.begin().await?;
    store::digest::override_objection(&mut tx, c.id, &format!("{note} ({})", actor.as_str()))
        .await?;
    store::event(
        &mut tx,
        now,
        actor.as_str(),
        "objection_set_aside",
        Some(s.id),
        None,
        &format!("{partner}: {note}"),
    )
    .await?;
    tx.commit().await?;
    Ok(s.reference)
}

/// Records a staff decision (see [`selection::record_decision`]).
pub async fn decide(
    app: &App,
    actor: &Actor,
    reference: &str,
    decision: Decision,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    selection::record_decision(app, reference, decision, note, actor.as_str(), now).await
}

/// One office holder ratifies (see [`selection::record_ratification`]).
pub async fn ratify(
    app: &App,
    office_holder: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<selection::Ratified, ActionError> {
    selection::record_ratification(app, office_holder, note, now).await
}

/// Queues the decision letters (see [`selection::letters::queue_decision_letters`]).
pub async fn queue_decision_letters(
    app: &App,
    now: DateTime<Utc>,
) -> Result<selection::letters::LettersQueued, ActionError> {
    selection::letters::queue_decision_letters(app, now).await
}

/// Asks every partner for advice on these nominations (see [`crate::consult::request`]).
/// Returns per reference how many requests were queued.
pub async fn consult(
    app: &App,
    references: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<(String, usize)>, ActionError> {
    let mut out = Vec::new();
    for r in references {
        let s = nomination(app, r).await?;
        let n = crate::consult::request(app, &s.reference, now).await?;
        out.push((s.reference, n));
    }
    Ok(out)
}

/// What [`accept_answer`] counted.
#[derive(Debug, Clone)]
pub struct AnswerSettled {
    pub answer_id: i64,
    pub reference: String,
    /// The partner id (or `local-<id>`) it now counts for.
    pub partner_id: String,
    pub verdict: Option<PartnerVerdict>,
}

/// Staff count a held or unclear answer for the consultation it names (or, for an answer that
/// matched none, for `link`: the nomination and partner staff name). The verdict is the one
/// staff give, else the one read from the answer; without either, the action is refused.
pub async fn accept_answer(
    app: &App,
    actor: &Actor,
    answer_id: i64,
    verdict: Option<PartnerVerdict>,
    link: Option<(&str, &str)>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<AnswerSettled, ActionError> {
    let a = store::consult::answer_by_id(&app.db, answer_id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("answer {answer_id}")))?;
    if !matches!(a.status, AnswerStatus::Held | AnswerStatus::NeedsReading) {
        return Err(ActionError::Refused(format!(
            "answer {answer_id} is {}: only a held or unclear answer is settled",
            a.status.label_nl()
        )));
    }
    let consultation = match (a.consultation_id, link) {
        (_, Some((reference, partner))) => {
            let s = nomination(app, reference).await?;
            store::consult::consultation_of(&app.db, s.id, partner)
                .await?
                .ok_or_else(|| {
                    ActionError::NotFound(format!("consultation of {} with {partner}", s.reference))
                })?
        }
        (Some(cid), None) => {
            let mut tx = app.db.begin().await?;
            store::consult::consultation_by_id_tx(&mut tx, cid)
                .await?
                .ok_or_else(|| ActionError::NotFound(format!("consultation {cid}")))?
        }
        (None, None) => {
            return Err(ActionError::Invalid(format!(
                "answer {answer_id} matched no consultation: name it with --reference REF --partner ID"
            )));
        }
    };
    let verdict = verdict.or(a.verdict).ok_or_else(|| {
        ActionError::Invalid(
            "say which verdict counts: --verdict steun|bezwaar|geen-oordeel".into(),
        )
    })?;
    let s = store::submission_by_id(&app.db, consultation.submission_id)
        .await?
        .ok_or_else(|| {
            ActionError::NotFound(format!("nomination {}", consultation.submission_id))
        })?;
    let mut tx = app.db.begin().await?;
    if a.consultation_id != Some(consultation.id) {
        store::contacts::link_answer(&mut tx, a.id, consultation.id).await?;
    }
    store::contacts::settle_answer(
        &mut tx,
        a.id,
        AnswerStatus::Counted,
        Some(verdict),
        actor.as_str(),
        note,
        now,
    )
    .await?;
    store::consult::record_answer(
        &mut tx,
        consultation.id,
        Some(verdict.as_str()),
        &a.motivation,
        now,
    )
    .await?;
    store::event(
        &mut tx,
        now,
        actor.as_str(),
        "answer_accepted",
        Some(s.id),
        Some(a.message_id),
        &format!(
            "antwoord {} telt voor {}: {}{}",
            a.id,
            consultation.partner_id,
            verdict.label_nl(),
            if note.is_empty() {
                String::new()
            } else {
                format!(" ({note})")
            }
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(AnswerSettled {
        answer_id: a.id,
        reference: s.reference,
        partner_id: consultation.partner_id,
        verdict: Some(verdict),
    })
}

/// Staff decide an answer does not count (with a note). The consultation then takes the
/// verdict of its latest counted answer, or waits again when there is none.
pub async fn reject_answer(
    app: &App,
    actor: &Actor,
    answer_id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<AnswerSettled, ActionError> {
    if note.trim().is_empty() {
        return Err(ActionError::Invalid("say why with --note".into()));
    }
    let a = store::consult::answer_by_id(&app.db, answer_id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("answer {answer_id}")))?;
    if a.status == AnswerStatus::Rejected {
        return Err(ActionError::Refused(format!(
            "answer {answer_id} was rejected already"
        )));
    }
    let mut tx = app.db.begin().await?;
    store::contacts::settle_answer(
        &mut tx,
        a.id,
        AnswerStatus::Rejected,
        None,
        actor.as_str(),
        note,
        now,
    )
    .await?;
    let mut reference = String::new();
    let mut partner_id = String::new();
    let mut submission = None;
    if let Some(cid) = a.consultation_id
        && let Some(c) = store::consult::consultation_by_id_tx(&mut tx, cid).await?
    {
        store::consult::restore_consultation(&mut tx, cid).await?;
        partner_id = c.partner_id.clone();
        submission = Some(c.submission_id);
        if let Some(s) = store::submission_by_id_tx(&mut tx, c.submission_id).await? {
            reference = s.reference;
        }
    }
    store::event(
        &mut tx,
        now,
        actor.as_str(),
        "answer_rejected",
        submission,
        Some(a.message_id),
        &format!("antwoord {} telt niet: {note}", a.id),
    )
    .await?;
    tx.commit().await?;
    Ok(AnswerSettled {
        answer_id: a.id,
        reference,
        partner_id,
        verdict: None,
    })
}

/// The kinds of local contact staff may give (`--kind`).
pub const CONTACT_KINDS: &[&str] = &[
    "adviesraad",
    "wmo-raad",
    "clientenraad",
    "participatieraad",
    "inclusieraad",
    "vn-panel",
    "ervaringsdeskundigen",
    "platform",
    "werkgroep",
    "lokale-partner",
    "anders",
];

/// Staff add a local contact to a nomination, confirmed: it is consulted with the next
/// `consult` of that nomination (or at once with [`consult`]).
pub async fn add_contact(
    app: &App,
    actor: &Actor,
    reference: &str,
    address: &str,
    name: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<i64, ActionError> {
    let address = crate::domain::EmailAddress::parse(address)
        .ok_or_else(|| ActionError::Invalid(format!("{address} is not an e-mail address")))?;
    if !CONTACT_KINDS.contains(&kind) {
        return Err(ActionError::Invalid(format!(
            "kind must be one of {}",
            CONTACT_KINDS.join(", ")
        )));
    }
    let name = crate::clean::line(name, crate::clean::MAX_NAME);
    if name.is_empty() {
        return Err(ActionError::Invalid(
            "give the organisation's name with --name".into(),
        ));
    }
    let s = nomination(app, reference).await?;
    let mut tx = app.db.begin().await?;
    let id = store::contacts::insert_contact(
        &mut tx,
        &store::contacts::NewContact {
            submission_id: s.id,
            name: &name,
            address: Some(address.as_str()),
            kind,
            source: "staff",
            sentence: None,
            status: ContactStatus::Confirmed,
            created_by: actor.as_str(),
            now,
        },
    )
    .await?;
    store::event(
        &mut tx,
        now,
        actor.as_str(),
        "contact_added",
        Some(s.id),
        None,
        &format!("{name} <{address}> ({kind})"),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Staff confirm a contact the intake proposed from the letter, with its address (then it is
/// consulted), or dismiss it (`address: None`).
pub async fn settle_contact(
    app: &App,
    actor: &Actor,
    contact_id: i64,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<store::contacts::LocalContactRow, ActionError> {
    let c = store::contacts::contact_by_id(&app.db, contact_id)
        .await?
        .ok_or_else(|| ActionError::NotFound(format!("contact {contact_id}")))?;
    let address = match address {
        Some(a) => Some(
            crate::domain::EmailAddress::parse(a)
                .ok_or_else(|| ActionError::Invalid(format!("{a} is not an e-mail address")))?,
        ),
        None => None,
    };
    let status = if address.is_some() {
        ContactStatus::Confirmed
    } else {
        ContactStatus::Dismissed
    };
    let mut tx = app.db.begin().await?;
    store::contacts::set_contact(&mut tx, c.id, status, address.as_ref().map(|a| a.as_str()))
        .await?;
    store::event(
        &mut tx,
        now,
        actor.as_str(),
        "contact_settled",
        Some(c.submission_id),
        None,
        &format!("{}: {}", c.name, status.label_nl()),
    )
    .await?;
    tx.commit().await?;
    Ok(store::contacts::contact_by_id(&app.db, contact_id)
        .await?
        .unwrap_or(c))
}
