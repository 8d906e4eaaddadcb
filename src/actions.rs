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
use crate::domain::{Decision, MunicipalityCode, Reference, Verdict};
use crate::selection;
use crate::store::{self, SubmissionRow};

/// Why a staff action was refused. Everything but [`ActionError::Other`] is the person's to
/// fix; `Other` is a failure (database, outbox) with its cause chain.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no nomination {0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{given:?} is not an office holder of this call; use one of: {}", valid.join("; "))]
    UnknownOfficeHolder { given: String, valid: Vec<String> },
    #[error("the selection was already ratified by {}; decisions can no longer change", .0.join("; "))]
    AlreadyRatified(Vec<String>),
    #[error("{} current nomination(s) have no decision yet: {}", .0.len(), .0.join(", "))]
    Undecided(Vec<String>),
    #[error("no nomination is selected; there is nothing to ratify")]
    NothingSelected,
    #[error("the selection is not ratified yet by: {}", .0.join("; "))]
    NotRatified(Vec<String>),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

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
        .ok_or_else(|| ActionError::NotFound(reference.trim().to_string()))?;
    store::submission_by_reference(&app.db, r.as_str())
        .await?
        .ok_or_else(|| ActionError::NotFound(r.to_string()))
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
    if c.verdict.as_deref() != Some("objection") {
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
