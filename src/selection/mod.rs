//! The selection: the shortlist proposal, the staff decisions, the ratification by the two
//! office holders and the letters that announce the outcome.
//!
//! Order of the final steps, enforced here: every current nomination gets a decision
//! ([`record_decision`]), then both office holders ratify ([`record_ratification`]), which
//! freezes the decisions, then [`letters::queue_decision_letters`] queues one letter per
//! current nomination through the outbox (key `decision:<reference>`, so a second run sends
//! nothing twice). Nothing is rejected automatically: a nomination without a decision blocks
//! the ratification. The staff actions in [`crate::actions`] call these.

pub mod letters;
pub mod shortlist;

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::digest::collect::{self, Snapshot};
use crate::domain::ActionError;
use crate::domain::Decision;
use crate::store::{self, digest as sd};

/// The shortlist proposal from the database (staff overrides applied).
pub async fn shortlist_proposal(
    app: &App,
    size: Option<usize>,
) -> anyhow::Result<shortlist::Shortlist> {
    let call = &app.cfg.call;
    let snap = Snapshot::load(&app.db).await?;
    // Themes by their Dutch titles, so the explanations read as the staff know them.
    let mut cands = collect::candidates(call, &snap);
    for c in &mut cands {
        c.domains = c.domains.iter().map(|d| call.domain_title(d)).collect();
    }
    let domains: Vec<String> = call.domains.iter().map(|d| d.title.clone()).collect();
    Ok(shortlist::shortlist(
        &cands,
        size.unwrap_or(call.selection_size),
        call.minimum_criteria,
        call.require_principle,
        &collect::provinces(),
        &domains,
    ))
}

/// Records a staff decision on `reference`, in the audit log too. Refused once ratified.
pub async fn record_decision(
    app: &App,
    reference: &str,
    decision: Decision,
    note: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let reference = reference.trim().to_uppercase();
    let s = store::submission_by_reference(&app.db, &reference)
        .await?
        .ok_or_else(|| ActionError::NotFound(reference.clone()))?;
    let ratified = sd::ratifications(&app.db).await?;
    if !ratified.is_empty() {
        return Err(ActionError::AlreadyRatified(
            ratified.into_iter().map(|r| r.office_holder).collect(),
        ));
    }
    let mut tx = app.db.begin().await?;
    sd::insert_decision(&mut tx, s.id, decision, Some(note), by, now).await?;
    store::event(
        &mut tx,
        now,
        by,
        "decision",
        Some(s.id),
        None,
        &format!("{}: {note}", decision.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a ratification did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ratified {
    /// The office holder's name as in the call config.
    pub office_holder: String,
    /// This office holder had already ratified (nothing changed).
    pub already: bool,
    /// Office holders who have not ratified yet.
    pub missing: Vec<String>,
}

/// Records the ratification by `by` (an office holder's name or role from the call config,
/// case-insensitive). Every current nomination must have a decision and at least one must be
/// selected.
pub async fn record_ratification(
    app: &App,
    by: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Ratified, ActionError> {
    let call = &app.cfg.call;
    let wanted = by.trim();
    let holder = call
        .office_holders
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(wanted) || h.role.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| ActionError::UnknownOfficeHolder {
            given: by.to_string(),
            valid: call
                .office_holders
                .iter()
                .map(|h| format!("{} ({})", h.name, h.role))
                .collect(),
        })?;
    let snap = Snapshot::load(&app.db).await?;
    let undecided: Vec<String> = snap
        .submissions
        .iter()
        .filter(|s| s.is_current && snap.decision_of(s.id).is_none())
        .map(|s| s.reference.clone())
        .collect();
    if !undecided.is_empty() {
        return Err(ActionError::Undecided(undecided));
    }
    if collect::decision_counts(&snap)
        .get("selected")
        .copied()
        .unwrap_or(0)
        == 0
    {
        return Err(ActionError::NothingSelected);
    }
    let mut tx = app.db.begin().await?;
    let added = sd::insert_ratification(&mut tx, &holder.name, note, now).await?;
    if added {
        store::event(
            &mut tx,
            now,
            &holder.name,
            "ratification",
            None,
            None,
            &format!(
                "{} ({}) bekrachtigt de keuze{}",
                holder.name,
                holder.role,
                note.map(|n| format!(": {n}")).unwrap_or_default()
            ),
        )
        .await?;
    }
    let done = sd::ratifications_tx(&mut tx).await?;
    tx.commit().await?;
    let missing = call
        .office_holders
        .iter()
        .filter(|h| !done.iter().any(|r| r.office_holder == h.name))
        .map(|h| h.name.clone())
        .collect();
    Ok(Ratified {
        office_holder: holder.name.clone(),
        already: !added,
        missing,
    })
}
