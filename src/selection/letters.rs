//! The letters to selected and not-selected municipalities: rendered from
//! `selected.{txt,html}.j2` and `not_selected.{txt,html}.j2`, queued once per nomination after
//! both office holders ratified.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::app::App;
use crate::digest::collect::{self, Snapshot};
use crate::digest::{RenderedLetter, labels};
use crate::domain::ActionError;
use crate::domain::{Decision, LetterKind};
use crate::letters::Outgoing;
use crate::store;

/// The decision a letter reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionLetterKind {
    Selected,
    NotSelected,
}

impl DecisionLetterKind {
    /// Base name of the template pair: `<base>.txt.j2` and `<base>.html.j2`.
    pub fn template_base(self) -> &'static str {
        match self {
            DecisionLetterKind::Selected => "selected",
            DecisionLetterKind::NotSelected => "not_selected",
        }
    }

    /// The outbox kind of the letter.
    pub fn letter_kind(self) -> LetterKind {
        match self {
            DecisionLetterKind::Selected => LetterKind::Selected,
            DecisionLetterKind::NotSelected => LetterKind::NotSelected,
        }
    }
}

/// What the decision letters may use. Dates are shown in `tz`.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionLetterData {
    pub call_title: String,
    pub reference: String,
    pub municipality: String,
    /// When the nomination arrived (shown so the municipality recognises its letter).
    pub arrived_at: DateTime<Utc>,
    /// Date of the ratification.
    pub ratified_at: DateTime<Utc>,
    /// Names and roles of the office holders who ratified, e.g. "J. Jansen, voorzitter".
    pub ratified_by: Vec<String>,
    /// How many koplopers were chosen in total.
    pub selected_count: usize,
    /// Free text from the staff for this municipality (optional).
    pub note: Option<String>,
    /// Name and address the municipality can reply to.
    pub contact_name: String,
    pub contact_email: String,
    #[serde(skip)]
    pub tz: Tz,
}

/// Render the letter to a selected or not-selected municipality.
pub fn render_decision_letter(
    kind: DecisionLetterKind,
    data: &DecisionLetterData,
    templates: &crate::letters::Templates,
) -> anyhow::Result<RenderedLetter> {
    let ctx = DecisionView::build(data);
    let (subject, text, html) = templates.render_with_subject(kind.template_base(), &ctx)?;
    Ok(RenderedLetter {
        subject,
        text,
        html,
    })
}

/// Context of the decision letters.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    pub call_title: String,
    pub reference: String,
    pub municipality: String,
    pub arrived: String,
    pub ratified: String,
    pub ratified_by: Vec<String>,
    pub selected_count: usize,
    pub note: String,
    pub contact_name: String,
    pub contact_email: String,
}

impl DecisionView {
    /// A filled-in example, for `check-config` and previews of the templates.
    pub fn example() -> DecisionView {
        DecisionView {
            call_title: "Koplopers VN-Verdrag Handicap".into(),
            reference: "KVN-0042".into(),
            municipality: "Súdwest-Fryslân".into(),
            arrived: "20 maart 2018".into(),
            ratified: "15 mei 2018".into(),
            ratified_by: vec!["A. de Vries".into(), "B. Jansen".into()],
            selected_count: 25,
            note: "Uw aanpak met het VN-panel sprak de commissie aan.".into(),
            contact_name: "Team Koplopers".into(),
            contact_email: "koplopers@vng.nl".into(),
        }
    }

    pub fn build(d: &DecisionLetterData) -> DecisionView {
        DecisionView {
            call_title: d.call_title.clone(),
            reference: d.reference.clone(),
            municipality: d.municipality.clone(),
            arrived: labels::date(d.arrived_at, d.tz),
            ratified: labels::date(d.ratified_at, d.tz),
            ratified_by: d.ratified_by.clone(),
            selected_count: d.selected_count,
            note: d.note.clone().unwrap_or_default(),
            contact_name: d.contact_name.clone(),
            contact_email: d.contact_email.clone(),
        }
    }
}
/// What `letters --send` queued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LettersQueued {
    /// Letters to selected municipalities newly queued.
    pub selected: usize,
    /// Letters to not-selected municipalities (reserve or rejected) newly queued.
    pub not_selected: usize,
    /// Letters queued on an earlier run (not queued again).
    pub already: usize,
    /// (reference, reason) of nominations that got no letter.
    pub skipped: Vec<(String, String)>,
}

/// Queues the decision letters, one per current nomination (key `decision:<reference>`), only
/// after every office holder ratified. Idempotent.
pub async fn queue_decision_letters(
    app: &App,
    now: DateTime<Utc>,
) -> Result<LettersQueued, ActionError> {
    let call = &app.cfg.call;
    let snap = Snapshot::load(&app.db).await?;
    let current = ready_for_letters(call, &snap)?;
    let signed = Signed {
        ratified_at: snap
            .ratifications
            .iter()
            .map(|r| r.ratified_at)
            .max()
            .unwrap_or(now),
        ratified_by: call
            .office_holders
            .iter()
            .map(|h| format!("{}, {}", h.name, h.role))
            .collect(),
        selected_count: current
            .iter()
            .filter(|s| {
                snap.decision_of(s.id)
                    .is_some_and(|d| d.decision == Decision::Selected)
            })
            .count(),
    };
    let mut out = LettersQueued::default();
    let mut tx = app.db.begin().await?;
    for s in current {
        let Some(decision) = snap.decision_of(s.id) else {
            continue;
        };
        let kind = if decision.decision == Decision::Selected {
            DecisionLetterKind::Selected
        } else {
            DecisionLetterKind::NotSelected
        };
        if crate::domain::EmailAddress::parse(&s.sender).is_none() {
            out.skipped.push((
                s.reference.clone(),
                format!("afzender {:?} is geen e-mailadres", s.sender),
            ));
            continue;
        }
        let letter = decision_letter(app, &snap, s, kind, &signed)?;
        let kind_str = kind.template_base();
        let added = crate::outbox::queue_letter(
            &mut tx,
            &Outgoing {
                subject: letter.subject.clone(),
                text: letter.text,
                html: letter.html,
                message_id: app.letterhead.message_id("decision", &s.reference),
                ..app.letterhead.letter(&s.sender, now)
            },
            &format!("decision:{}", s.reference),
            kind.letter_kind(),
            Some(s.id),
            now,
        )
        .await
        .with_context(|| format!("failed to queue the letter for {}", s.reference))?;
        if added {
            store::event(
                &mut tx,
                now,
                "intake",
                "decision_letter",
                Some(s.id),
                None,
                kind_str,
            )
            .await?;
            match kind {
                DecisionLetterKind::Selected => out.selected += 1,
                DecisionLetterKind::NotSelected => out.not_selected += 1,
            }
        } else {
            out.already += 1;
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// The current nominations, once both office holders ratified and every one has a decision;
/// else why not.
fn ready_for_letters<'a>(
    call: &crate::config::Call,
    snap: &'a Snapshot,
) -> Result<Vec<&'a store::SubmissionRow>, ActionError> {
    let missing = snap.not_ratified_by(call);
    if !missing.is_empty() {
        return Err(ActionError::NotRatified(
            missing.into_iter().map(str::to_string).collect(),
        ));
    }
    let undecided = snap.undecided();
    if !undecided.is_empty() {
        return Err(ActionError::Undecided(undecided));
    }
    Ok(snap.current())
}

/// What every decision letter says about the ratification.
struct Signed {
    ratified_at: DateTime<Utc>,
    ratified_by: Vec<String>,
    selected_count: usize,
}

/// The decision letter of one nomination, rendered.
fn decision_letter(
    app: &App,
    snap: &Snapshot,
    s: &store::SubmissionRow,
    kind: DecisionLetterKind,
    signed: &Signed,
) -> anyhow::Result<RenderedLetter> {
    let call = &app.cfg.call;
    let row = collect::nomination_row(call, snap, s);
    let municipality = row
        .municipality
        .clone()
        .or_else(|| s.sender_name.clone())
        .unwrap_or_else(|| s.sender.clone());
    render_decision_letter(
        kind,
        &DecisionLetterData {
            call_title: call.title.clone(),
            reference: s.reference.clone(),
            municipality,
            arrived_at: s.arrived_at,
            ratified_at: signed.ratified_at,
            ratified_by: signed.ratified_by.clone(),
            selected_count: signed.selected_count,
            // The decision note is internal (audit log); it never goes to the municipality.
            note: None,
            contact_name: app.letterhead.name().to_string(),
            contact_email: app.letterhead.address().to_string(),
            tz: call.time_zone,
        },
        &app.templates,
    )
    .with_context(|| format!("failed to render the letter for {}", s.reference))
}
