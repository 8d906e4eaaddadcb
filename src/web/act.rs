//! The forms that change something. Each handler takes a CSRF-checked [`Form`] (so a signed-in
//! person), checks the role, calls one staff action of [`crate::actions`] with the signed-in
//! person as actor (the action writes its audit event in its own transaction), and answers
//! with a redirect to the page with what happened (`?gedaan=…`), or the page again with the
//! refusal in plain Dutch.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use super::Web;
use super::nomination::Notice;
use super::pages::{consultations_page, nomination_page, ratification_page};
use super::session::{Form, Staff};
use crate::actions::{self, ActionError};
use crate::domain::{Decision, PartnerVerdict, Verdict};
use crate::store;

/// A refusal of the core in the words staff read.
pub fn refusal_nl(e: &ActionError) -> String {
    match e {
        ActionError::NotFound(what) => format!("Niet gevonden: {what}."),
        ActionError::Invalid(why) => format!("Dat kan niet: {why}."),
        ActionError::UnknownOfficeHolder { given, .. } => format!(
            "{given} staat niet als bestuurder in de oproep; alleen de bestuurders van de oproep bekrachtigen."
        ),
        ActionError::AlreadyRatified(by) => format!(
            "De keuze is al bekrachtigd door {}; besluiten kunnen niet meer veranderen.",
            by.join(" en ")
        ),
        ActionError::Undecided(refs) => format!(
            "Nog niet alle actuele voordrachten hebben een besluit ({}): {}.",
            refs.len(),
            refs.join(", ")
        ),
        ActionError::NothingSelected => {
            "Er is nog geen voordracht gekozen; er valt niets te bekrachtigen.".into()
        }
        ActionError::NotRatified(missing) => format!(
            "De keuze is nog niet bekrachtigd door: {}.",
            missing.join(" en ")
        ),
        ActionError::Refused(why) => format!("Geweigerd: {why}."),
        ActionError::Other(_) => "Er ging aan onze kant iets mis.".into(),
    }
}

fn status_of(e: &ActionError) -> StatusCode {
    match e {
        ActionError::NotFound(_) => StatusCode::NOT_FOUND,
        ActionError::Invalid(_) | ActionError::UnknownOfficeHolder { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::CONFLICT,
    }
}

/// The page a form was on, shown again with a refusal.
enum Page<'a> {
    Nomination(&'a str),
    Consultations,
    Ratification,
}

/// A refused action: the page the form was on again, with the refusal in plain Dutch (or the
/// error page, for a fault of the program rather than a refusal).
async fn refused(web: &Web, staff: &Staff, page: Page<'_>, e: ActionError) -> Response {
    let status = status_of(&e);
    let notice = match e {
        ActionError::Other(e) => return web.internal_error(e, Some(staff)),
        e => Notice {
            done: None,
            error: Some(refusal_nl(&e)),
        },
    };
    match page {
        Page::Nomination(reference) => {
            nomination_page(web, staff, reference, &notice, status).await
        }
        Page::Consultations => consultations_page(web, staff, &notice, status).await,
        Page::Ratification => ratification_page(web, staff, &notice, status).await,
    }
}

/// After an action on a nomination: back to its page with what happened, or the page with
/// the refusal.
async fn after<T>(
    web: &Web,
    staff: &Staff,
    reference: &str,
    done: &str,
    result: Result<T, ActionError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!(
            "/voordrachten/{}?gedaan={done}#melding",
            reference.trim().to_uppercase()
        ))
        .into_response(),
        Err(e) => refused(web, staff, Page::Nomination(reference), e).await,
    }
}

/// The shape of every form on a nomination's page: refused unless the signed-in role may act
/// (`what`: the action, in the words of the refusal), then `run` (not started before the
/// check), then back to the page with what was `done`, or with the refusal.
async fn act_on<T>(
    web: &Web,
    staff: &Staff,
    reference: &str,
    what: &str,
    done: &str,
    run: impl Future<Output = Result<T, ActionError>>,
) -> Response {
    if !staff.role().can_act() {
        return web.forbidden(staff, what);
    }
    after(web, staff, reference, done, run.await).await
}

/// A required note, trimmed; refused when empty.
fn note(text: &str) -> Result<String, ActionError> {
    let n = crate::clean::line(text, 2000);
    if n.trim().is_empty() {
        Err(ActionError::Invalid("vul een toelichting in".into()))
    } else {
        Ok(n)
    }
}

#[derive(Debug, Deserialize)]
pub struct MunicipalityForm {
    code: String,
}

/// `POST /voordrachten/{reference}/gemeente`.
pub async fn set_municipality(
    State(web): State<Arc<Web>>,
    Path(reference): Path<String>,
    form: Form<MunicipalityForm>,
) -> Response {
    let staff = &form.staff;
    let run = async {
        actions::set_municipality(
            &web.app,
            &staff.actor(),
            &reference,
            &form.data.code,
            Utc::now(),
        )
        .await
    };
    act_on(
        &web,
        staff,
        &reference,
        "de gemeente corrigeren",
        "gemeente",
        run,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct OverrideForm {
    criterium: String,
    oordeel: String,
    toelichting: String,
}

/// `POST /voordrachten/{reference}/beoordeling`.
pub async fn override_criterion(
    State(web): State<Arc<Web>>,
    Path(reference): Path<String>,
    form: Form<OverrideForm>,
) -> Response {
    let staff = &form.staff;
    let d = &form.data;
    let run = async {
        let verdict = Verdict::parse(&d.oordeel)
            .ok_or_else(|| ActionError::Invalid("kies een oordeel".into()))?;
        let note = note(&d.toelichting)?;
        actions::override_criterion(
            &web.app,
            &staff.actor(),
            &reference,
            &d.criterium,
            verdict,
            &note,
            Utc::now(),
        )
        .await
    };
    act_on(
        &web,
        staff,
        &reference,
        "het advies aanpassen",
        "advies",
        run,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// `POST /voordrachten/{reference}/raadplegen`: asks every partner for advice and sends the
/// requests now.
pub async fn consult(
    State(web): State<Arc<Web>>,
    Path(reference): Path<String>,
    form: Form<Empty>,
) -> Response {
    let staff = &form.staff;
    let now = Utc::now();
    let run = async {
        let done = actions::consult(&web.app, std::slice::from_ref(&reference), now).await?;
        // The core's consult has no actor yet: the workspace records who asked.
        let s = actions::nomination(&web.app, &reference).await?;
        let queued: usize = done.iter().map(|(_, n)| n).sum();
        let mut tx = web.app.db.begin().await?;
        store::event(
            &mut tx,
            now,
            staff.actor().as_str(),
            "consult_requested",
            Some(s.id),
            None,
            &format!("{queued} verzoek(en) aan partners in de verzendrij"),
        )
        .await?;
        tx.commit().await?;
        if let Err(e) = web.app.send_now().await {
            // Queued is enough: the daemon sends what is left.
            tracing::warn!(error = %format!("{e:#}"), "consultation requests queued, not sent yet");
        }
        Ok::<_, ActionError>(())
    };
    act_on(
        &web,
        staff,
        &reference,
        "partners om advies vragen",
        "raadpleging",
        run,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ObjectionForm {
    partner: String,
    toelichting: String,
}

/// `POST /voordrachten/{reference}/bezwaar`.
pub async fn set_aside_objection(
    State(web): State<Arc<Web>>,
    Path(reference): Path<String>,
    form: Form<ObjectionForm>,
) -> Response {
    let staff = &form.staff;
    let d = &form.data;
    let run = async {
        let note = note(&d.toelichting)?;
        actions::set_aside_objection(
            &web.app,
            &staff.actor(),
            &reference,
            &d.partner,
            &note,
            Utc::now(),
        )
        .await
    };
    act_on(
        &web,
        staff,
        &reference,
        "een bezwaar terzijde leggen",
        "bezwaar",
        run,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    besluit: String,
    toelichting: String,
}

/// `POST /voordrachten/{reference}/besluit`.
pub async fn decide(
    State(web): State<Arc<Web>>,
    Path(reference): Path<String>,
    form: Form<DecisionForm>,
) -> Response {
    let staff = &form.staff;
    let d = &form.data;
    let run = async {
        let decision = Decision::parse(&d.besluit)
            .ok_or_else(|| ActionError::Invalid("kies een besluit".into()))?;
        let note = note(&d.toelichting)?;
        actions::decide(
            &web.app,
            &staff.actor(),
            &reference,
            decision,
            &note,
            Utc::now(),
        )
        .await
    };
    act_on(
        &web,
        staff,
        &reference,
        "een besluit vastleggen",
        "besluit",
        run,
    )
    .await
}

/// `POST /voordrachten/{reference}/geldend`.
pub async fn make_current(
    State(web): State<Arc<Web>>,
    Path(reference): Path<String>,
    form: Form<Empty>,
) -> Response {
    let staff = &form.staff;
    let run =
        async { actions::make_current(&web.app, &staff.actor(), &reference, Utc::now()).await };
    act_on(
        &web,
        staff,
        &reference,
        "de geldende versie kiezen",
        "geldend",
        run,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RatifyForm {
    toelichting: String,
}

/// `POST /bekrachtiging`: the signed-in office holder ratifies, in their own name only.
pub async fn ratify(State(web): State<Arc<Web>>, form: Form<RatifyForm>) -> Response {
    let staff = &form.staff;
    if !staff.role().can_ratify() {
        return web.forbidden(staff, "de keuze bekrachtigen");
    }
    let typed = crate::clean::line(&form.data.toelichting, 2000);
    let note = if typed.trim().is_empty() {
        format!("in de werkplek, aangemeld als {}", staff.account.email)
    } else {
        format!(
            "{typed} (in de werkplek, aangemeld als {})",
            staff.account.email
        )
    };
    match actions::ratify(&web.app, &staff.account.name, Some(&note), Utc::now()).await {
        Ok(_) => Redirect::to("/bekrachtiging?gedaan=bekrachtigd#melding").into_response(),
        Err(e) => refused(&web, staff, Page::Ratification, e).await,
    }
}

/// `POST /bekrachtiging/brieven`: queues the decision letters (only after both office holders
/// ratified; the core refuses otherwise) and sends them now.
pub async fn send_letters(State(web): State<Arc<Web>>, form: Form<Empty>) -> Response {
    let staff = &form.staff;
    if !staff.role().can_send_letters() {
        return web.forbidden(staff, "de besluitbrieven versturen");
    }
    let now = Utc::now();
    let r = async {
        let q = actions::queue_decision_letters(&web.app, now).await?;
        let mut tx = web.app.db.begin().await?;
        store::event(
            &mut tx,
            now,
            staff.actor().as_str(),
            "decision_letters_queued",
            None,
            None,
            &format!(
                "{} brief(ven) gekozen, {} niet gekozen in de verzendrij ({} al eerder); {} zonder brief",
                q.selected,
                q.not_selected,
                q.already,
                q.skipped.len()
            ),
        )
        .await?;
        tx.commit().await?;
        if let Err(e) = web.app.send_now().await {
            tracing::warn!(error = %format!("{e:#}"), "decision letters queued, not sent yet");
        }
        Ok::<_, ActionError>(q)
    }
    .await;
    match r {
        Ok(q) if q.skipped.is_empty() => {
            Redirect::to("/bekrachtiging?gedaan=brieven#melding").into_response()
        }
        Ok(q) => {
            let list: Vec<String> = q
                .skipped
                .iter()
                .map(|(r, why)| format!("{r}: {why}"))
                .collect();
            let notice = Notice {
                done: Some("De besluitbrieven zijn in de verzendrij gezet.".into()),
                error: Some(format!("Geen brief voor: {}.", list.join("; "))),
            };
            ratification_page(&web, staff, &notice, StatusCode::OK).await
        }
        Err(e) => refused(&web, staff, Page::Ratification, e).await,
    }
}

/// Where an answer form came from: its answer's nomination page, or the consultation board.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Back {
    #[default]
    Raadpleging,
    Voordracht,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    /// `steun`, `bezwaar`, `geen-oordeel`, or empty: the verdict read from the answer.
    oordeel: String,
    toelichting: String,
    /// For an answer that matched no consultation: the nomination and partner it is about.
    voordracht: String,
    partner: String,
    van: Back,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RejectForm {
    toelichting: String,
    van: Back,
}

/// After settling an answer: back where the form was (only our own two pages; the
/// reference comes from the database), or that page with the refusal.
async fn after_answer(
    web: &Web,
    staff: &Staff,
    back: Back,
    reference: Option<&str>,
    done: &str,
    result: Result<actions::AnswerSettled, ActionError>,
) -> Response {
    match result {
        Ok(a) if back == Back::Voordracht && !a.reference.is_empty() => Redirect::to(&format!(
            "/voordrachten/{}?gedaan={done}#melding",
            a.reference
        ))
        .into_response(),
        Ok(_) => Redirect::to(&format!("/raadpleging?gedaan={done}#melding")).into_response(),
        Err(e) => {
            let page = match (back, reference) {
                (Back::Voordracht, Some(r)) => Page::Nomination(r),
                _ => Page::Consultations,
            };
            refused(web, staff, page, e).await
        }
    }
}

/// The nomination an answer belongs to, for showing a refusal on its page.
async fn reference_of_answer(web: &Web, answer_id: i64) -> Option<String> {
    let a = store::consult::answer_by_id(&web.app.db, answer_id)
        .await
        .ok()??;
    let mut tx = web.app.db.begin().await.ok()?;
    let c = store::consult::consultation_by_id_tx(&mut tx, a.consultation_id?)
        .await
        .ok()??;
    store::submission_by_id_tx(&mut tx, c.submission_id)
        .await
        .ok()?
        .map(|s| s.reference)
}

/// `POST /antwoorden/{id}/tellen`: a held or unclear answer counts, with the verdict staff
/// read in it (or the one the intake read).
pub async fn accept_answer(
    State(web): State<Arc<Web>>,
    Path(id): Path<i64>,
    form: Form<AcceptForm>,
) -> Response {
    let staff = &form.staff;
    if !staff.role().can_act() {
        return web.forbidden(staff, "een antwoord laten tellen");
    }
    let d = &form.data;
    let r = async {
        let verdict = if d.oordeel.trim().is_empty() {
            None
        } else {
            Some(
                PartnerVerdict::from_staff_word(&d.oordeel)
                    .ok_or_else(|| ActionError::Invalid("kies een oordeel".into()))?,
            )
        };
        let link = match (d.voordracht.trim(), d.partner.trim()) {
            ("", "") => None,
            ("", _) | (_, "") => {
                return Err(ActionError::Invalid(
                    "kies bij een los antwoord zowel de voordracht als de partner".into(),
                ));
            }
            (r, p) => Some((r, p)),
        };
        let note = crate::clean::line(&d.toelichting, 2000);
        actions::accept_answer(
            &web.app,
            &staff.actor(),
            id,
            verdict,
            link,
            note.trim(),
            Utc::now(),
        )
        .await
    }
    .await;
    let reference = match &r {
        Err(_) => reference_of_answer(&web, id).await,
        Ok(_) => None,
    };
    after_answer(&web, staff, d.van, reference.as_deref(), "antwoord-telt", r).await
}

/// `POST /antwoorden/{id}/niet-tellen`: an answer does not count (with a reason).
pub async fn reject_answer(
    State(web): State<Arc<Web>>,
    Path(id): Path<i64>,
    form: Form<RejectForm>,
) -> Response {
    let staff = &form.staff;
    if !staff.role().can_act() {
        return web.forbidden(staff, "een antwoord niet laten tellen");
    }
    let d = &form.data;
    let r = async {
        let note = note(&d.toelichting)?;
        actions::reject_answer(&web.app, &staff.actor(), id, &note, Utc::now()).await
    }
    .await;
    let reference = match &r {
        Err(_) => reference_of_answer(&web, id).await,
        Ok(_) => None,
    };
    after_answer(
        &web,
        staff,
        d.van,
        reference.as_deref(),
        "antwoord-telt-niet",
        r,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    naam: String,
    adres: String,
    soort: String,
}

/// `POST /voordrachten/{reference}/contacten`: staff add a local contact (consulted with the
/// next request for advice).
pub async fn add_contact(
    State(web): State<Arc<Web>>,
    Path(reference): Path<String>,
    form: Form<ContactForm>,
) -> Response {
    let staff = &form.staff;
    let d = &form.data;
    let run = async {
        actions::add_contact(
            &web.app,
            &staff.actor(),
            &reference,
            d.adres.trim(),
            &d.naam,
            d.soort.trim(),
            Utc::now(),
        )
        .await
    };
    act_on(
        &web,
        staff,
        &reference,
        "een lokale organisatie toevoegen",
        "contact",
        run,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettleContactForm {
    /// `bevestigen` (with `adres`) or `afwijzen`.
    actie: String,
    adres: String,
}

/// `POST /voordrachten/{reference}/contacten/{id}`: confirm a proposed local contact with
/// its address, or dismiss it.
pub async fn settle_contact(
    State(web): State<Arc<Web>>,
    Path((reference, id)): Path<(String, i64)>,
    form: Form<SettleContactForm>,
) -> Response {
    let staff = &form.staff;
    if !staff.role().can_act() {
        return web.forbidden(staff, "een lokale organisatie bevestigen");
    }
    let d = &form.data;
    let r = async {
        // The contact must belong to the nomination of the page it was settled on.
        let s = actions::nomination(&web.app, &reference).await?;
        match store::contacts::contact_by_id(&web.app.db, id).await? {
            Some(c) if c.submission_id == s.id => {}
            _ => {
                return Err(ActionError::NotFound(format!(
                    "contact {id} van {}",
                    s.reference
                )));
            }
        }
        let address = match d.actie.as_str() {
            "bevestigen" if d.adres.trim().is_empty() => {
                return Err(ActionError::Invalid(
                    "vul het e-mailadres in om te bevestigen".into(),
                ));
            }
            "bevestigen" => Some(d.adres.trim()),
            "afwijzen" => None,
            _ => return Err(ActionError::Invalid("kies bevestigen of afwijzen".into())),
        };
        let done = if address.is_some() {
            "contact-bevestigd"
        } else {
            "contact-afgewezen"
        };
        actions::settle_contact(&web.app, &staff.actor(), id, address, Utc::now()).await?;
        Ok(done)
    }
    .await;
    let done = r.as_ref().map(|d| *d).unwrap_or("contact");
    after(&web, staff, &reference, done, r).await
}
