//! The pages that only read: the nominations table, one nomination (built in `nomination`),
//! downloads of the originals, the consultation board, the selection, the ratification page,
//! the exports and the digest. Every handler takes a signed-in [`Staff`]; without one the
//! extractor has already answered.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::value::Serde as S;
use serde::{Deserialize, Serialize};

use super::Web;
use super::list::{self, ConsultSummary, Filter};
use super::nomination::{self, Notice, verdict_view};
use super::session::{Staff, encode_query};
use crate::digest::collect::{self, Snapshot};
use crate::digest::export::ExportFormat;
use crate::digest::labels;
use crate::domain::{ContactStatus, Decision, PartnerVerdict};
use crate::store::{self, consult as cs};

/// `GET /`: the nominations.
pub async fn home(_staff: Staff) -> Redirect {
    Redirect::to(super::session::HOME)
}

/// Anything else: 404 (after the sign-in check, so the site's shape is not shown to strangers).
pub async fn not_found(State(web): State<Arc<Web>>, staff: Staff) -> Response {
    web.not_found_page("Deze pagina", Some(&staff))
}

// ---------------------------------------------------------------------------------------------
// Nominations table

#[derive(Debug, Serialize)]
struct RowView {
    reference: String,
    href: String,
    municipality: Option<String>,
    province: Option<String>,
    arrived: String,
    on_time: bool,
    pages: Option<u32>,
    over_limit: bool,
    verdicts: Vec<nomination::VerdictView>,
    principle: nomination::VerdictView,
    meets_minimum: bool,
    consultation: &'static str,
    consultation_code: &'static str,
    decision: Option<&'static str>,
    attention: Vec<String>,
    current: bool,
}

#[derive(Debug, Serialize)]
struct SortLink {
    label: String,
    href: String,
    /// `ascending`, `descending` or `none` (for aria-sort).
    sort: &'static str,
}

#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices(current: &str, options: &[(&str, &str)]) -> Vec<Choice> {
    std::iter::once(("", "alle"))
        .chain(options.iter().copied())
        .map(|(value, label)| Choice {
            value: value.to_string(),
            label: label.to_string(),
            selected: current.trim() == value,
        })
        .collect()
}

/// The query string of `f` with the order replaced.
fn query_with_order(f: &Filter, column: &str, direction: &str) -> String {
    let pairs = [
        ("provincie", f.provincie.as_str()),
        ("op_tijd", &f.op_tijd),
        ("advies", &f.advies),
        ("raadpleging", &f.raadpleging),
        ("besluit", &f.besluit),
        ("aandacht", &f.aandacht),
        ("versies", &f.versies),
        ("zoek", &f.zoek),
        ("sorteer", column),
        ("richting", direction),
    ];
    pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode_query(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
}

/// `GET /voordrachten`: the table with its filters, counts and charts.
pub async fn nominations(
    State(web): State<Arc<Web>>,
    staff: Staff,
    Query(filter): Query<Filter>,
) -> Response {
    let page = PageOf {
        template: "web/nominations.html.j2",
        title: "Voordrachten",
        nav: "voordrachten",
    };
    let view = nominations_view(&web, &filter).await;
    shown(&web, &staff, page, view, StatusCode::OK)
}

/// One row of the nominations list.
fn row_view(i: &list::Item, tz: chrono_tz::Tz) -> RowView {
    RowView {
        reference: i.row.reference.clone(),
        href: format!("/voordrachten/{}", i.row.reference),
        municipality: i.row.municipality.clone(),
        province: i.row.province.clone(),
        arrived: labels::short_date_time(i.row.arrived_at, tz),
        on_time: i.row.on_time,
        pages: i.row.pages,
        over_limit: i.row.over_limit,
        verdicts: i
            .row
            .verdicts
            .iter()
            .map(|(_, v)| verdict_view(*v))
            .collect(),
        principle: verdict_view(i.row.principle),
        meets_minimum: i.row.meets_minimum,
        consultation: i.consultation.label_nl(),
        consultation_code: i.consultation.as_str(),
        decision: i.row.decision.map(Decision::label_nl),
        attention: i.attention.clone(),
        current: i.current,
    }
}

/// The sortable column headers: each a link that sorts by it (again: the other way), and
/// its `aria-sort` state.
fn sort_links(filter: &Filter) -> std::collections::BTreeMap<&'static str, SortLink> {
    let columns = [
        ("kenmerk", "Kenmerk"),
        ("gemeente", "Gemeente"),
        ("provincie", "Provincie"),
        ("ontvangen", "Ontvangen"),
        ("paginas", "Pagina's"),
        ("criteria", "Criteria"),
        ("besluit", "Besluit"),
    ];
    let active = if filter.sorteer.trim().is_empty() {
        "kenmerk"
    } else {
        filter.sorteer.trim()
    };
    let descending = filter.richting.trim() == "af";
    columns
        .iter()
        .map(|(key, label)| {
            let is_active = *key == active;
            let next = if is_active && !descending { "af" } else { "" };
            (
                *key,
                SortLink {
                    label: label.to_string(),
                    href: format!("/voordrachten?{}", query_with_order(filter, key, next)),
                    sort: match (is_active, descending) {
                        (false, _) => "none",
                        (true, false) => "ascending",
                        (true, true) => "descending",
                    },
                },
            )
        })
        .collect()
}

async fn nominations_view(web: &Web, filter: &Filter) -> anyhow::Result<minijinja::Value> {
    let call = &web.app.cfg.call;
    let tz = call.time_zone;
    let snap = Snapshot::load(&web.app.db).await?;
    let all = list::items(call, &snap, filter.versies == "alle");
    let provinces = collect::provinces();
    let domains: Vec<(String, String)> = call
        .domains
        .iter()
        .map(|d| (d.id.clone(), d.title.clone()))
        .collect();
    let mut province_bars = list::bars(list::by_province(&all, &provinces));
    for b in &mut province_bars {
        b.href = Some(format!(
            "/voordrachten?provincie={}#lijst",
            encode_query(&b.label)
        ));
    }
    let theme_bars = list::bars(list::by_theme(&all, &domains));
    let total_current = all.iter().filter(|i| i.current).count();
    let attention_total = all
        .iter()
        .filter(|i| i.current && !i.attention.is_empty())
        .count();
    let kept = list::apply(all, filter);
    let rows: Vec<RowView> = kept.iter().map(|i| row_view(i, tz)).collect();
    let sort = sort_links(filter);
    let mut province_options: Vec<(&str, &str)> =
        provinces.iter().map(|p| (p.as_str(), p.as_str())).collect();
    province_options.push(("onbekend", "onbekend"));
    let consult_options: Vec<(&str, &str)> = ConsultSummary::ALL
        .iter()
        .map(|c| (c.as_str(), c.label_nl()))
        .collect();
    let chart_height = |n: usize| u32::try_from(n).unwrap_or(0) * list::ROW_HEIGHT;
    Ok(minijinja::context! {
        rows => S(rows),
        shown => S(kept.len()),
        total => S(total_current),
        attention_total => S(attention_total),
        filter => S(filter),
        filtered => S(filter.is_active()),
        criteria => S(call.criteria.iter().map(|c| (c.id.clone(), c.title.clone())).collect::<Vec<_>>()),
        principle_title => S(&call.principle.title),
        sort => S(sort),
        province_bars => S(&province_bars),
        province_chart_height => S(chart_height(province_bars.len())),
        theme_bars => S(&theme_bars),
        theme_chart_height => S(chart_height(theme_bars.len())),
        bar_max => S(list::BAR_MAX),
        options => minijinja::context! {
            provincie => S(choices(&filter.provincie, &province_options)),
            op_tijd => S(choices(&filter.op_tijd, &[("ja", "op tijd"), ("nee", "te laat")])),
            advies => S(choices(&filter.advies, &[("voldoet", "voldoet aan de voorselectie"), ("niet", "voldoet niet")])),
            raadpleging => S(choices(&filter.raadpleging, &consult_options)),
            besluit => S(choices(&filter.besluit, &[("geen", "nog geen besluit"), ("selected", "gekozen"), ("reserve", "reserve"), ("rejected", "niet gekozen")])),
            aandacht => S(choices(&filter.aandacht, &[("ja", "alleen wat aandacht vraagt")])),
            versies => S(choices(&filter.versies, &[("alle", "ook eerdere versies")])),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// One nomination

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    gedaan: String,
}

impl Notice {
    /// What the redirect after an action (`?gedaan=…`) says was done; no error.
    fn done(code: &str) -> Notice {
        Notice {
            done: done_message(code),
            error: None,
        }
    }
}

/// Which page, in the layout: its template, title and menu item.
struct PageOf<'a> {
    template: &'a str,
    title: &'a str,
    nav: &'a str,
}

/// A page from its view, answered with `status` (after a refused action: the refusal's status;
/// a page that failed keeps its own); a view that failed is the error page.
fn shown(
    web: &Web,
    staff: &Staff,
    page: PageOf<'_>,
    view: anyhow::Result<minijinja::Value>,
    status: StatusCode,
) -> Response {
    match view {
        Ok(ctx) => {
            let mut resp = web.page(page.template, page.title, page.nav, ctx, Some(staff));
            if resp.status() == StatusCode::OK {
                *resp.status_mut() = status;
            }
            resp
        }
        Err(e) => web.internal_error(e, Some(staff)),
    }
}

/// What an action did, by the code it redirects with (`?gedaan=…`): fixed texts only.
pub fn done_message(code: &str) -> Option<String> {
    Some(
        match code {
            "gemeente" => "De gemeente is aangepast.",
            "advies" => "Het advies is aangepast; de voorselectie is opnieuw berekend.",
            "raadpleging" => "De partners zijn om advies gevraagd.",
            "bezwaar" => "Het bezwaar is terzijde gelegd. Het blijft bewaard.",
            "besluit" => "Het besluit is vastgelegd.",
            "geldend" => "Deze versie is nu de geldende versie.",
            "bekrachtigd" => "Uw bekrachtiging is vastgelegd.",
            "brieven" => "De besluitbrieven zijn in de verzendrij gezet en verstuurd.",
            "antwoord-telt" => "Het antwoord telt nu mee voor de raadpleging.",
            "antwoord-telt-niet" => {
                "Het antwoord telt niet mee. Het blijft bewaard met uw toelichting."
            }
            "contact" => {
                "De lokale organisatie is toegevoegd; zij krijgt het verzoek om advies bij de volgende raadpleging."
            }
            "contact-bevestigd" => {
                "De lokale organisatie is bevestigd; zij krijgt het verzoek om advies bij de volgende raadpleging."
            }
            "contact-afgewezen" => "De lokale organisatie wordt niet geraadpleegd.",
            _ => return None,
        }
        .to_string(),
    )
}

/// `GET /voordrachten/{reference}`.
pub async fn nomination(
    State(web): State<Arc<Web>>,
    staff: Staff,
    Path(reference): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = Notice::done(&q.gedaan);
    nomination_page(&web, &staff, &reference, &notice, StatusCode::OK).await
}

/// The nomination page with a notice and status (also after an action).
pub async fn nomination_page(
    web: &Web,
    staff: &Staff,
    reference: &str,
    notice: &Notice,
    status: StatusCode,
) -> Response {
    let view = match nomination::view(web, reference, notice).await {
        Ok(None) => return web.not_found_page("Deze voordracht", Some(staff)),
        Ok(Some(ctx)) => Ok(ctx),
        Err(e) => Err(e),
    };
    let title = format!("Voordracht {}", reference.trim().to_uppercase());
    let page = PageOf {
        template: "web/nomination.html.j2",
        title: &title,
        nav: "voordrachten",
    };
    shown(web, staff, page, view, status)
}

/// A file to download: never shown inline, never sniffed.
fn download(bytes: Vec<u8>, file_name: &str, content_type: &'static str) -> Response {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        encode_query(file_name).replace('/', "%2F")
    );
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// `GET /voordrachten/{reference}/documenten/{index}`: the original attachment (or the mail
/// body's text), as sent.
pub async fn document(
    State(web): State<Arc<Web>>,
    staff: Staff,
    Path((reference, index)): Path<(String, i32)>,
) -> Response {
    let found = async {
        let Some(r) = crate::domain::Reference::parse(&reference) else {
            return anyhow::Ok(None);
        };
        let Some(s) = store::submission_by_reference(&web.app.db, r.as_str()).await? else {
            return Ok(None);
        };
        let docs = store::documents_of(&web.app.db, s.id).await?;
        let Some(d) = docs.into_iter().find(|d| d.idx == index) else {
            return Ok(None);
        };
        let name = d
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-tekst.txt", s.reference));
        if d.origin == "body" {
            let texts = store::staff::document_texts(&web.app.db, s.id).await?;
            let text = texts
                .into_iter()
                .find(|(i, _)| *i == index)
                .map(|(_, t)| t)
                .unwrap_or_default();
            return Ok(Some((
                text.into_bytes(),
                format!("{}-tekst.txt", s.reference),
            )));
        }
        let Some(raw) = store::message_raw(&web.app.db, d.message_id).await? else {
            return Ok(None);
        };
        let bytes =
            crate::documents::original(&raw, &d.path, &d.sha256, &web.app.cfg.settings.documents)
                .await;
        Ok(bytes.map(|b| (b, name)))
    }
    .await;
    match found {
        Ok(Some((bytes, name))) => download(bytes, &name, "application/octet-stream"),
        Ok(None) => web.not_found_page("Dit document", Some(&staff)),
        Err(e) => web.internal_error(e, Some(&staff)),
    }
}

/// `GET /voordrachten/{reference}/mail`: the e-mail as it arrived (`.eml`).
pub async fn original_mail(
    State(web): State<Arc<Web>>,
    staff: Staff,
    Path(reference): Path<String>,
) -> Response {
    let found = async {
        let Some(r) = crate::domain::Reference::parse(&reference) else {
            return anyhow::Ok(None);
        };
        let Some(s) = store::submission_by_reference(&web.app.db, r.as_str()).await? else {
            return Ok(None);
        };
        Ok(store::message_raw(&web.app.db, s.message_id)
            .await?
            .map(|raw| (raw, format!("voordracht-{}.eml", s.reference))))
    }
    .await;
    match found {
        Ok(Some((raw, name))) => download(raw, &name, "application/octet-stream"),
        Ok(None) => web.not_found_page("Deze e-mail", Some(&staff)),
        Err(e) => web.internal_error(e, Some(&staff)),
    }
}

// ---------------------------------------------------------------------------------------------
// Consultation board

#[derive(Debug, Serialize)]
struct SettleView {
    id: i64,
    /// Matched a consultation; otherwise staff name the nomination and partner.
    linked: bool,
    verdict_code: Option<&'static str>,
    reference: Option<String>,
    href: Option<String>,
    partner: Option<String>,
    from: String,
    received: String,
    status: &'static str,
    verdict: Option<&'static str>,
    reason: Option<String>,
    highlight: Option<String>,
    authentication: Option<String>,
    text: String,
}

#[derive(Debug, Serialize)]
struct PartnerState {
    partner: String,
    state: &'static str,
    state_code: &'static str,
    #[serde(skip)]
    rank: u8,
    changed: String,
    note: Option<String>,
    set_aside: bool,
}

#[derive(Debug, Serialize)]
struct CandidateBoard {
    reference: String,
    href: String,
    municipality: Option<String>,
    summary: &'static str,
    summary_code: &'static str,
    partners: Vec<PartnerState>,
    rank: u8,
}

/// `GET /raadpleging`: answers that wait for staff (with their text) first, then per
/// candidate each partner's state, objections and unread answers first.
pub async fn consultations(
    State(web): State<Arc<Web>>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = Notice::done(&q.gedaan);
    consultations_page(&web, &staff, &notice, StatusCode::OK).await
}

/// The consultation board with a notice and status (also after settling an answer).
pub async fn consultations_page(
    web: &Web,
    staff: &Staff,
    notice: &Notice,
    status: StatusCode,
) -> Response {
    let page = PageOf {
        template: "web/consultations.html.j2",
        title: "Raadpleging van de partners",
        nav: "raadpleging",
    };
    shown(
        web,
        staff,
        page,
        consultations_view(web, notice).await,
        status,
    )
}

/// The name of one consulted: a partner of the call, or a local contact ("naam (lokaal)").
pub fn consultee_name(
    call: &crate::config::Call,
    contacts: &[store::contacts::LocalContactRow],
    id: &str,
) -> String {
    if let Some(p) = call.partners.iter().find(|p| p.id == id) {
        return p.name.clone();
    }
    contacts
        .iter()
        .find(|c| c.consultee_id() == id)
        .map(|c| format!("{} (lokaal)", c.name))
        .unwrap_or_else(|| id.to_string())
}

/// The verdicts staff choose from when an answer counts.
#[derive(Debug, Serialize)]
pub struct VerdictChoice {
    value: &'static str,
    label: &'static str,
}

pub fn verdict_choices() -> Vec<VerdictChoice> {
    PartnerVerdict::ALL
        .iter()
        .map(|v| VerdictChoice {
            value: v.as_str(),
            label: v.label_nl(),
        })
        .collect()
}

/// One consulted partner's (or contact's) state on the consultation board.
fn partner_state(c: &cs::ConsultationRow, partner: String, tz: chrono_tz::Tz) -> PartnerState {
    let standing = c.standing();
    PartnerState {
        partner,
        state: standing.label_nl(),
        state_code: standing.as_str(),
        rank: standing.rank(),
        changed: labels::date_time(
            [Some(c.sent_at), c.reminded_at, c.answered_at, c.closed_at]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(c.sent_at),
            tz,
        ),
        note: c
            .motivation
            .as_ref()
            .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|m| !m.is_empty()),
        set_aside: c.staff_override.is_some(),
    }
}

/// A local contact not asked yet (proposed from the letter, confirmed, or dismissed) on the
/// consultation board, after the ones asked.
fn contact_state(c: &store::contacts::LocalContactRow, tz: chrono_tz::Tz) -> PartnerState {
    let (state, state_code) = match c.status {
        ContactStatus::Proposed => (
            "voorgesteld uit de brief: bevestig of wijs af",
            "contact_proposed",
        ),
        ContactStatus::Confirmed => ("bevestigd, nog niet gevraagd", "contact_confirmed"),
        ContactStatus::Dismissed => ("niet raadplegen", "contact_dismissed"),
    };
    PartnerState {
        partner: format!("{} (lokaal)", c.name),
        state,
        state_code,
        rank: 50,
        changed: labels::date_time(c.created_at, tz),
        note: c
            .sentence
            .as_ref()
            .map(|m| format!("“{}”", m.split_whitespace().collect::<Vec<_>>().join(" "))),
        set_aside: false,
    }
}

async fn consultations_view(web: &Web, notice: &Notice) -> anyhow::Result<minijinja::Value> {
    let call = &web.app.cfg.call;
    let tz = call.time_zone;
    let contacts = store::contacts::all_contacts(&web.app.db).await?;
    let partner_name = |id: &str| consultee_name(call, &contacts, id);
    let settle: Vec<SettleView> = cs::answers_to_settle(&web.app.db)
        .await?
        .into_iter()
        .map(|a| SettleView {
            id: a.answer.id,
            linked: a.partner_id.is_some(),
            verdict_code: a.answer.verdict.map(|v| v.as_str()),
            href: a.reference.as_ref().map(|r| format!("/voordrachten/{r}")),
            reference: a.reference,
            partner: a.partner_id.as_deref().map(partner_name),
            from: a.answer.from_address,
            received: labels::date_time(a.answer.received_at, tz),
            status: a.answer.status.label_nl(),
            verdict: a.answer.verdict.map(|v| v.label_nl()),
            reason: a.answer.hold_reason,
            highlight: a.answer.highlight,
            authentication: a.answer.authentication,
            text: a.answer.motivation,
        })
        .collect();
    let snap = Snapshot::load(&web.app.db).await?;
    let items = list::items(call, &snap, false);
    let mut boards: Vec<CandidateBoard> = snap
        .submissions
        .iter()
        .filter_map(|s| {
            let mut partners: Vec<PartnerState> = snap
                .consultations
                .iter()
                .filter(|c| c.submission_id == s.id)
                .map(|c| partner_state(c, partner_name(&c.partner_id), tz))
                .collect();
            // Local contacts not asked yet: proposed from the letter, confirmed, dismissed.
            for c in contacts.iter().filter(|c| {
                c.submission_id == s.id
                    && !snap
                        .consultations
                        .iter()
                        .any(|x| x.submission_id == s.id && x.partner_id == c.consultee_id())
            }) {
                partners.push(contact_state(c, tz));
            }
            if partners.is_empty() {
                return None;
            }
            partners.sort_by_key(|p| p.rank);
            let summary = items
                .iter()
                .find(|i| i.row.reference == s.reference)
                .map(|i| i.consultation)
                .unwrap_or(ConsultSummary::Done);
            let rank = match summary {
                ConsultSummary::Unread => 0,
                ConsultSummary::Objection => 1,
                ConsultSummary::Open => 2,
                _ => 3,
            };
            Some(CandidateBoard {
                reference: s.reference.clone(),
                href: format!("/voordrachten/{}", s.reference),
                municipality: collect::nomination_row(call, &snap, s).municipality,
                summary: summary.label_nl(),
                summary_code: summary.as_str(),
                partners,
                rank,
            })
        })
        .collect();
    boards.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.reference.cmp(&b.reference)));
    let not_consulted: Vec<(String, String)> = items
        .iter()
        .filter(|i| i.consultation == ConsultSummary::None)
        .map(|i| {
            (
                i.row.reference.clone(),
                i.row.municipality.clone().unwrap_or_default(),
            )
        })
        .collect();
    Ok(minijinja::context! {
        notice => S(notice),
        verdicts => S(verdict_choices()),
        partner_choices => S(call.partners.iter().map(|p| (p.id.clone(), p.name.clone())).collect::<Vec<_>>()),
        settle => S(settle),
        boards => S(boards),
        not_consulted => S(not_consulted),
        partners => S(call.partners.iter().map(|p| p.name.clone()).collect::<Vec<_>>()),
    })
}

// ---------------------------------------------------------------------------------------------
// Selection

/// Where a province sits in the tile map (column, row); roughly the map of the Netherlands.
fn tile_position(province: &str) -> Option<(u32, u32)> {
    Some(match province {
        "Fryslân" | "Friesland" => (1, 0),
        "Groningen" => (2, 0),
        "Noord-Holland" => (0, 1),
        "Flevoland" => (1, 1),
        "Drenthe" => (2, 1),
        "Zuid-Holland" => (0, 2),
        "Utrecht" => (1, 2),
        "Overijssel" => (2, 2),
        "Zeeland" => (0, 3),
        "Noord-Brabant" => (1, 3),
        "Gelderland" => (2, 3),
        "Limburg" => (2, 4),
        _ => return None,
    })
}

#[derive(Debug, Serialize)]
struct Tile {
    name: String,
    x: u32,
    y: u32,
    nominations: usize,
    proposed: usize,
    selected: usize,
}

#[derive(Debug, Serialize)]
struct PickView {
    reference: String,
    href: String,
    municipality: String,
    province: String,
    why: String,
    decision: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct DecidedView {
    reference: String,
    href: String,
    municipality: Option<String>,
    province: Option<String>,
    decision: Option<&'static str>,
    decision_code: Option<&'static str>,
    note: Option<String>,
    by: Option<String>,
    at: Option<String>,
}

/// Tile geometry, in SVG units.
const TILE_W: u32 = 150;
const TILE_H: u32 = 84;

/// `GET /selectie`: the shortlist proposal, the spread over the provinces, the decisions.
pub async fn selection(State(web): State<Arc<Web>>, staff: Staff) -> Response {
    let page = PageOf {
        template: "web/selection.html.j2",
        title: "Selectie",
        nav: "selectie",
    };
    let view = selection_view(&web).await;
    shown(&web, &staff, page, view, StatusCode::OK)
}

async fn selection_view(web: &Web) -> anyhow::Result<minijinja::Value> {
    let call = &web.app.cfg.call;
    let tz = call.time_zone;
    let proposal = crate::selection::shortlist_proposal(&web.app, None).await?;
    let snap = Snapshot::load(&web.app.db).await?;
    let items = list::items(call, &snap, false);
    let decision_of = |reference: &str| {
        snap.submissions
            .iter()
            .find(|s| s.reference == reference)
            .and_then(|s| snap.decision_of(s.id))
    };
    let pick_view = |p: &crate::selection::shortlist::Pick| PickView {
        reference: p.reference.clone(),
        href: format!("/voordrachten/{}", p.reference),
        municipality: p.municipality.clone(),
        province: p.province.clone(),
        why: p.why.clone(),
        decision: decision_of(&p.reference).map(|d| d.decision.label_nl()),
    };
    let provinces = collect::provinces();
    let mut extra_row = 5;
    let mut extra_col = 0;
    let tiles: Vec<Tile> = provinces
        .iter()
        .map(|p| {
            let (x, y) = tile_position(p).unwrap_or_else(|| {
                let at = (extra_col, extra_row);
                extra_col += 1;
                if extra_col == 3 {
                    extra_col = 0;
                    extra_row += 1;
                }
                at
            });
            let here: Vec<&list::Item> = items
                .iter()
                .filter(|i| i.row.province.as_deref() == Some(p.as_str()))
                .collect();
            Tile {
                name: p.clone(),
                x: x * (TILE_W + 8),
                y: y * (TILE_H + 8),
                nominations: here.len(),
                proposed: proposal.picks.iter().filter(|k| &k.province == p).count(),
                selected: here
                    .iter()
                    .filter(|i| i.row.decision == Some(Decision::Selected))
                    .count(),
            }
        })
        .collect();
    let map_height = tiles.iter().map(|t| t.y + TILE_H).max().unwrap_or(TILE_H);
    let decided: Vec<DecidedView> = items
        .iter()
        .map(|i| {
            let d = decision_of(&i.row.reference);
            DecidedView {
                reference: i.row.reference.clone(),
                href: format!("/voordrachten/{}", i.row.reference),
                municipality: i.row.municipality.clone(),
                province: i.row.province.clone(),
                decision: d.map(|d| d.decision.label_nl()),
                decision_code: d.map(|d| d.decision.as_str()),
                note: d.and_then(|d| d.note.clone()),
                by: d.map(|d| d.decided_by.clone()),
                at: d.map(|d| labels::date_time(d.decided_at, tz)),
            }
        })
        .collect();
    let counts = collect::decision_counts(&snap);
    let undecided = decided.iter().filter(|d| d.decision.is_none()).count();
    Ok(minijinja::context! {
        objective => S(proposal.objective),
        picks => S(proposal.picks.iter().map(pick_view).collect::<Vec<_>>()),
        reserves => S(proposal.reserves.iter().map(pick_view).collect::<Vec<_>>()),
        excluded => S(proposal.excluded),
        tiles => S(tiles),
        tile_w => S(TILE_W),
        tile_h => S(TILE_H),
        map_width => S(3 * TILE_W + 16),
        map_height => S(map_height),
        decided => S(decided),
        selected => S(counts.get("selected").copied().unwrap_or(0)),
        reserve => S(counts.get("reserve").copied().unwrap_or(0)),
        rejected => S(counts.get("rejected").copied().unwrap_or(0)),
        undecided => S(undecided),
        selection_size => S(call.selection_size),
    })
}

// ---------------------------------------------------------------------------------------------
// Ratification

#[derive(Debug, Serialize)]
struct HolderView {
    name: String,
    role: String,
    ratified: Option<String>,
    note: Option<String>,
    is_me: bool,
}

/// `GET /bekrachtiging`.
pub async fn ratification(
    State(web): State<Arc<Web>>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = Notice::done(&q.gedaan);
    ratification_page(&web, &staff, &notice, StatusCode::OK).await
}

/// The ratification page with a notice (also after an action).
pub async fn ratification_page(
    web: &Web,
    staff: &Staff,
    notice: &Notice,
    status: StatusCode,
) -> Response {
    let page = PageOf {
        template: "web/ratification.html.j2",
        title: "Bekrachtiging",
        nav: "bekrachtiging",
    };
    let view = ratification_view(web, staff, notice).await;
    shown(web, staff, page, view, status)
}

async fn ratification_view(
    web: &Web,
    staff: &Staff,
    notice: &Notice,
) -> anyhow::Result<minijinja::Value> {
    let call = &web.app.cfg.call;
    let tz = call.time_zone;
    let snap = Snapshot::load(&web.app.db).await?;
    let holders: Vec<HolderView> = call
        .office_holders
        .iter()
        .map(|h| {
            let r = snap
                .ratifications
                .iter()
                .find(|r| r.office_holder == h.name);
            HolderView {
                name: h.name.clone(),
                role: h.role.clone(),
                ratified: r.map(|r| labels::date_time(r.ratified_at, tz)),
                note: r.and_then(|r| r.note.clone()),
                is_me: staff.role().can_ratify() && staff.account.name == h.name,
            }
        })
        .collect();
    let current = snap.current();
    let undecided = snap.undecided();
    let by_decision = |d: Decision| -> Vec<(String, String, String)> {
        current
            .iter()
            .filter(|s| snap.decision_of(s.id).map(|x| x.decision) == Some(d))
            .map(|s| {
                let row = collect::nomination_row(call, &snap, s);
                (
                    s.reference.clone(),
                    row.municipality
                        .unwrap_or_else(|| "(gemeente onbekend)".into()),
                    row.province.unwrap_or_default(),
                )
            })
            .collect()
    };
    let selected = by_decision(Decision::Selected);
    let all_ratified = holders.iter().all(|h| h.ratified.is_some());
    let me = holders.iter().find(|h| h.is_me);
    let letters: Vec<&store::digest::OutboxBrief> = snap
        .outbox
        .iter()
        .filter(|o| o.kind.is_decision())
        .collect();
    let letters_sent = letters
        .iter()
        .filter(|o| o.status == crate::domain::OutboxStatus::Sent)
        .count();
    Ok(minijinja::context! {
        holders => S(&holders),
        undecided => S(&undecided),
        selected => S(&selected),
        reserve => S(by_decision(Decision::Reserve)),
        rejected => S(by_decision(Decision::Rejected)),
        selection_size => S(call.selection_size),
        all_ratified => S(all_ratified),
        can_ratify_now => S(me.is_some_and(|h| h.ratified.is_none()) && undecided.is_empty() && !selected.is_empty()),
        i_ratified => S(me.is_some_and(|h| h.ratified.is_some())),
        holder_account_unknown => S(staff.role().can_ratify() && me.is_none()),
        letters_queued => S(letters.len()),
        letters_sent => S(letters_sent),
        can_send_letters => S(staff.role().can_send_letters() && all_ratified && !selected.is_empty()),
        notice => S(notice),
    })
}

// ---------------------------------------------------------------------------------------------
// Export and digest

/// `GET /export`.
pub async fn export_page(State(web): State<Arc<Web>>, staff: Staff) -> Response {
    let count = store::submissions(&web.app.db).await.map(|s| s.len());
    match count {
        Ok(n) => web.page(
            "web/export.html.j2",
            "Export",
            "export",
            minijinja::context! { count => n },
            Some(&staff),
        ),
        Err(e) => web.internal_error(e, Some(&staff)),
    }
}

/// `GET /export/voordrachten.csv` and `/export/voordrachten.xlsx`: every version of every
/// nomination with its findings, consultation and decision.
pub async fn export_file(
    State(web): State<Arc<Web>>,
    staff: Staff,
    Path(file): Path<String>,
) -> Response {
    let (format, ext, mime) = match file.as_str() {
        "voordrachten.csv" => (ExportFormat::Csv, "csv", "text/csv; charset=utf-8"),
        "voordrachten.xlsx" => (
            ExportFormat::Xlsx,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        _ => return web.not_found_page("Dit bestand", Some(&staff)),
    };
    match crate::digest::export::export_bytes(&web.app, format).await {
        Ok((bytes, _)) => {
            let date = Utc::now()
                .with_timezone(&web.app.cfg.call.time_zone)
                .format("%Y-%m-%d");
            download(bytes, &format!("voordrachten-{date}.{ext}"), mime)
        }
        Err(e) => web.internal_error(e, Some(&staff)),
    }
}

#[derive(Debug, Serialize)]
struct Brief {
    reference: String,
    href: String,
    municipality: Option<String>,
    arrived: String,
    note: String,
}

/// `GET /overzicht`: the digest as a page: what needs doing, and what happened since the last
/// digest that was sent.
pub async fn digest(State(web): State<Arc<Web>>, staff: Staff) -> Response {
    let page = PageOf {
        template: "web/digest.html.j2",
        title: "Overzicht",
        nav: "overzicht",
    };
    let view = digest_view(&web).await;
    shown(&web, &staff, page, view, StatusCode::OK)
}

async fn digest_view(web: &Web) -> anyhow::Result<minijinja::Value> {
    let call = &web.app.cfg.call;
    let tz = call.time_zone;
    let now = Utc::now();
    let since = store::digest::last_sent_digest(&web.app.db)
        .await?
        .map(|d| d.period_end);
    let snap = Snapshot::load(&web.app.db).await?;
    let d = collect::digest_data(call, &snap, since, now);
    let brief = |r: &crate::digest::NominationRow, note: String| Brief {
        reference: r.reference.clone(),
        href: format!("/voordrachten/{}", r.reference),
        municipality: r.municipality.clone(),
        arrived: labels::date_time(r.arrived_at, tz),
        note,
    };
    let with = |rows: &[crate::digest::NominationRow],
                f: &dyn Fn(&crate::digest::NominationRow) -> String| {
        rows.iter().map(|r| brief(r, f(r))).collect::<Vec<_>>()
    };
    let totals = minijinja::context! {
        current => S(d.all.len()),
        on_time => S(d.all.iter().filter(|r| r.on_time).count()),
        meets => S(d.all.iter().filter(|r| r.meets_minimum).count()),
        decided => S(d.all.iter().filter(|r| r.decision.is_some()).count()),
    };
    Ok(minijinja::context! {
        since => S(since.map(|s| labels::date_time(s, tz))),
        now => S(labels::date_time(now, tz)),
        actions => S(d.actions),
        mailbox_problems => S(d.mailbox_problems),
        new_nominations => S(with(&d.new_nominations, &|r| r.province.clone().unwrap_or_default())),
        late => S(with(&d.late, &|_| "te laat".to_string())),
        over_limit => S(with(&d.over_limit, &|r| format!("{} pagina's", r.pages.unwrap_or(0)))),
        unidentified => S(with(&d.unidentified, &|_| "gemeente niet herkend".to_string())),
        unreadable => S(d.unreadable),
        quarantined => S(d.quarantined.iter().map(|(at, from, why)| (labels::date_time(*at, tz), from.clone(), why.clone())).collect::<Vec<_>>()),
        bounces => S(d.bounces),
        failed => S(d.failed_deliveries),
        totals => S(totals),
    })
}
