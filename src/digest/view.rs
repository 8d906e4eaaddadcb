//! The template context: [`DigestData`] turned into ready-to-print Dutch strings.
//!
//! Templates only loop and print; every label, date and count is decided here, so the text and
//! the HTML version cannot drift apart and a template edit cannot break a number.

use serde::Serialize;

use super::chart::Chart;
use super::labels;
use super::{DigestData, NominationRow};
use crate::domain::Standing;

/// A label and a value, for "Gemeente: Utrecht" lines and two-column tables.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub label: String,
    pub value: String,
}

/// One nomination, printable.
#[derive(Debug, Clone, Serialize)]
pub struct NominationView {
    pub reference: String,
    pub municipality: String,
    pub province: String,
    pub arrived: String,
    pub on_time: String,
    pub pages: String,
    /// One-line summary, e.g. "Utrecht (Utrecht), 2 pagina's, op tijd".
    pub summary: String,
    /// All facts as label/value pairs (criteria, principle, themes, problems, …).
    pub fields: Vec<Field>,
    pub problems: Vec<String>,
}

/// One row of a simple list table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub cells: Vec<String>,
}

/// A simple list section: heading, column headers and rows (first cell is the row header).
#[derive(Debug, Clone, Serialize)]
pub struct ListSection {
    pub id: String,
    pub title: String,
    pub intro: String,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One chart with its table.
#[derive(Debug, Clone, Serialize)]
pub struct ChartView {
    pub cid: String,
    pub title: String,
    pub caption: String,
    pub alt: String,
    pub width: u32,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One consultation line.
#[derive(Debug, Clone, Serialize)]
pub struct ConsultationView {
    pub reference: String,
    pub municipality: String,
    pub partner: String,
    pub state: String,
    pub objection: bool,
    pub changed: String,
    pub note: String,
}

/// The whole digest context.
#[derive(Debug, Clone, Serialize)]
pub struct DigestView {
    pub call_title: String,
    pub now: String,
    pub today: String,
    /// "sinds 20 maart 2018 om 08:00" or "sinds het begin".
    pub since: String,
    pub summary: Vec<String>,
    pub new_count: usize,
    pub actions: Vec<String>,
    pub new_nominations: Vec<NominationView>,
    /// Late, over the limit, unidentified, unreadable, quarantined, bounces, failed deliveries:
    /// only the non-empty ones, in this order.
    pub problem_sections: Vec<ListSection>,
    pub mailbox_problems: Vec<String>,
    pub consultations: Vec<ConsultationView>,
    pub consultation_summary: String,
    pub objection_count: usize,
    pub total: usize,
    pub total_line: String,
    pub charts: Vec<ChartView>,
    pub csv_note: String,
}

impl DigestView {
    pub fn build(d: &DigestData, charts: &[Chart]) -> DigestView {
        let tz = d.tz;
        let since = match d.since {
            Some(s) => format!("sinds {}", labels::date_time(s, tz)),
            None => "sinds het begin van de oproep".to_string(),
        };
        let consultations = consultation_views(d);
        let objection_count = consultations.iter().filter(|c| c.objection).count();
        let total = d.all.len();
        DigestView {
            call_title: d.call_title.clone(),
            now: labels::date_time(d.now, tz),
            today: labels::date(d.now, tz),
            since,
            summary: summary(d, objection_count),
            new_count: d.new_nominations.len(),
            actions: d.actions.clone(),
            new_nominations: d
                .new_nominations
                .iter()
                .map(|r| nomination(r, d))
                .collect(),
            problem_sections: problem_sections(d),
            mailbox_problems: d.mailbox_problems.clone(),
            consultations,
            consultation_summary: consultation_summary(d, objection_count),
            objection_count,
            total,
            total_line: total_line(d),
            charts: charts.iter().map(ChartView::from).collect(),
            csv_note: "In de bijlage staat een CSV-bestand met alle voordrachten. Het opent in Excel met kolommen.".to_string(),
        }
    }
}

/// The sections of things to look at: late, too long, unidentified, unreadable attachments,
/// quarantined mails, bounces and failed deliveries (only those with something in them).
fn problem_sections(d: &DigestData) -> Vec<ListSection> {
    let tz = d.tz;
    let nom_section = |id: &str, title: &str, intro: &str, rows: &[NominationRow]| ListSection {
        id: id.to_string(),
        title: format!("{title} ({})", rows.len()),
        intro: intro.to_string(),
        headers: vec![
            "Referentie".into(),
            "Gemeente".into(),
            "Binnengekomen".into(),
            "Pagina's".into(),
        ],
        rows: rows
            .iter()
            .map(|r| Row {
                cells: vec![
                    r.reference.clone(),
                    municipality(r),
                    labels::date_time(r.arrived_at, tz),
                    pages(r),
                ],
            })
            .collect(),
    };
    let triple =
        |id: &str, title: &str, intro: &str, headers: [&str; 3], rows: Vec<[String; 3]>| {
            ListSection {
                id: id.to_string(),
                title: format!("{title} ({})", rows.len()),
                intro: intro.to_string(),
                headers: headers.iter().map(|h| h.to_string()).collect(),
                rows: rows
                    .into_iter()
                    .map(|c| Row { cells: c.to_vec() })
                    .collect(),
            }
        };

    [
        nom_section(
            "te-laat",
            "Te laat binnengekomen",
            "Deze voordrachten kwamen na de sluitingsdatum binnen. De gemeente heeft dat in de bevestiging gelezen. U beslist of ze toch meedoen.",
            &d.late,
        ),
        nom_section(
            "te-lang",
            "Meer pagina's dan toegestaan",
            "Deze brieven zijn langer dan toegestaan. Kijk of de telling klopt.",
            &d.over_limit,
        ),
        nom_section(
            "gemeente-onbekend",
            "Gemeente niet herkend",
            "Bij deze voordrachten weten we niet welke gemeente het is. Vul de gemeente in met de opdrachtregel.",
            &d.unidentified,
        ),
        triple(
            "onleesbaar",
            "Bijlagen die we niet konden lezen",
            "Lees deze bijlagen zelf. Misschien moet de gemeente een nieuwe versie sturen.",
            ["Referentie", "Bestand", "Reden"],
            d.unreadable
                .iter()
                .map(|(a, b, c)| [a.clone(), b.clone(), c.clone()])
                .collect(),
        ),
        triple(
            "quarantaine",
            "Mails in quarantaine",
            "Deze mails konden we niet verwerken. Ze staan apart in de mailbox. Bekijk ze zelf.",
            ["Binnengekomen", "Afzender", "Reden"],
            d.quarantined
                .iter()
                .map(|(t, from, why)| [labels::date_time(*t, tz), from.clone(), why.clone()])
                .collect(),
        ),
        triple(
            "onbestelbaar",
            "Mails die terugkwamen (onbestelbaar)",
            "Deze mails van ons kwamen terug. Zoek een ander adres en stuur ze opnieuw.",
            ["Aan", "Welke mail", "Reden"],
            d.bounces
                .iter()
                .map(|(a, b, c)| [a.clone(), b.clone(), c.clone()])
                .collect(),
        ),
        triple(
            "niet-verstuurd",
            "Mails die we niet konden versturen",
            "Het versturen van deze mails is mislukt. Controleer het adres en de mailserver.",
            ["Aan", "Welke mail", "Reden"],
            d.failed_deliveries
                .iter()
                .map(|f| [f.to.clone(), f.what.clone(), f.reason.clone()])
                .collect(),
        ),
    ]
    .into_iter()
    .filter(|s| !s.rows.is_empty())
    .collect()
}

/// The consultation answers, objections first.
fn consultation_views(d: &DigestData) -> Vec<ConsultationView> {
    let tz = d.tz;
    let mut consultations: Vec<_> = d.consultations.iter().collect();
    consultations.sort_by(|a, b| {
        a.state
            .rank()
            .cmp(&b.state.rank())
            .then_with(|| a.reference.cmp(&b.reference))
            .then_with(|| a.partner.cmp(&b.partner))
    });
    consultations
        .into_iter()
        .map(|c| ConsultationView {
            reference: c.reference.clone(),
            municipality: c.municipality.clone().unwrap_or_else(|| "onbekend".into()),
            partner: c.partner.clone(),
            state: if c.state == Standing::Objection && c.overridden {
                "bezwaar (VNG heeft besloten door te gaan)".to_string()
            } else {
                c.state.label_nl().to_string()
            },
            objection: c.state == Standing::Objection && !c.overridden,
            changed: labels::short_date_time(c.changed_at, tz),
            note: c.note.clone().unwrap_or_default(),
        })
        .collect()
}

/// How many questions to partners are answered, and the open objections.
fn consultation_summary(d: &DigestData, objection_count: usize) -> String {
    let answered = d
        .consultations
        .iter()
        .filter(|c| {
            matches!(
                c.state,
                Standing::Support | Standing::Objection | Standing::NoOpinion
            )
        })
        .count();
    if d.consultations.is_empty() {
        "Er zijn nog geen partners geraadpleegd.".to_string()
    } else {
        format!(
            "{} van de {} vragen aan partners zijn beantwoord. {}.",
            answered,
            d.consultations.len(),
            labels::count(objection_count, "open bezwaar", "open bezwaren")
        )
    }
}

/// The one-line summary: new nominations and every kind of problem, counted.
fn summary(d: &DigestData, objection_count: usize) -> Vec<String> {
    let mut summary = vec![labels::count(
        d.new_nominations.len(),
        "nieuwe voordracht",
        "nieuwe voordrachten",
    )];
    for (n, one, many) in [
        (d.late.len(), "te laat", "te laat"),
        (d.over_limit.len(), "te lang", "te lang"),
        (
            d.unidentified.len(),
            "zonder herkende gemeente",
            "zonder herkende gemeente",
        ),
        (
            d.unreadable.len(),
            "onleesbare bijlage",
            "onleesbare bijlagen",
        ),
        (
            d.quarantined.len(),
            "mail in quarantaine",
            "mails in quarantaine",
        ),
        (d.bounces.len(), "onbestelbare mail", "onbestelbare mails"),
        (
            d.failed_deliveries.len(),
            "mislukte verzending",
            "mislukte verzendingen",
        ),
        (
            d.mailbox_problems.len(),
            "probleem met de mailbox",
            "problemen met de mailbox",
        ),
        (
            objection_count,
            "open bezwaar van een partner",
            "open bezwaren van partners",
        ),
    ] {
        if n > 0 {
            summary.push(labels::count(n, one, many));
        }
    }

    summary
}

/// The totals: all nominations, on time, meeting the minimum.
fn total_line(d: &DigestData) -> String {
    let total = d.all.len();
    let on_time = d.all.iter().filter(|r| r.on_time).count();
    let meets = d.all.iter().filter(|r| r.meets_minimum).count();
    format!(
        "In totaal {}: {} op tijd, {} aan het minimum (genoeg criteria en het principe).",
        labels::count(total, "voordracht", "voordrachten"),
        on_time,
        if meets == 1 {
            "1 voldoet".to_string()
        } else {
            format!("{meets} voldoen")
        }
    )
}

impl From<&Chart> for ChartView {
    fn from(c: &Chart) -> ChartView {
        ChartView {
            cid: c.cid.clone(),
            title: c.title.clone(),
            caption: c.caption.clone(),
            alt: c.alt.clone(),
            width: c.width,
            headers: c.headers.clone(),
            rows: c
                .rows
                .iter()
                .map(|(label, cells)| Row {
                    cells: std::iter::once(label.clone())
                        .chain(cells.iter().cloned())
                        .collect(),
                })
                .collect(),
        }
    }
}

fn municipality(r: &NominationRow) -> String {
    r.municipality
        .clone()
        .unwrap_or_else(|| "onbekend".to_string())
}

fn pages(r: &NominationRow) -> String {
    match (r.pages, &r.page_basis) {
        (Some(p), Some(b)) => format!("{p} ({b})"),
        (Some(p), None) => p.to_string(),
        (None, _) => "onbekend".to_string(),
    }
}

/// Title of an id in an (id, title) list, or the id itself.
pub(crate) fn title_of(list: &[(String, String)], id: &str) -> String {
    list.iter()
        .find(|(i, _)| i == id)
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| id.to_string())
}

fn nomination(r: &NominationRow, d: &DigestData) -> NominationView {
    let tz = d.tz;
    let municipality = municipality(r);
    let province = r.province.clone().unwrap_or_else(|| "onbekend".into());
    let on_time = if r.on_time {
        "op tijd".to_string()
    } else {
        "te laat".to_string()
    };
    let pages = pages(r);
    let mut fields = vec![
        Field {
            label: "Gemeente".into(),
            value: match &r.code {
                Some(code) => format!("{municipality} ({code})"),
                None => municipality.clone(),
            },
        },
        Field {
            label: "Provincie".into(),
            value: province.clone(),
        },
        Field {
            label: "Binnengekomen".into(),
            value: format!("{} ({on_time})", labels::date_time(r.arrived_at, tz)),
        },
        Field {
            label: "Pagina's".into(),
            value: if r.page_check {
                format!("{pages}, controleer lengte")
            } else if r.over_limit {
                format!("{pages}, te veel")
            } else {
                pages.clone()
            },
        },
    ];
    for (id, title) in &d.criteria {
        let verdict = r
            .verdicts
            .iter()
            .find(|(c, _)| c == id)
            .map(|(_, v)| v.label_nl().to_string())
            .unwrap_or_else(|| "niet beoordeeld".into());
        fields.push(Field {
            label: format!("Criterium: {title}"),
            value: verdict,
        });
    }
    fields.push(Field {
        label: format!("Principe: {}", d.principle_title),
        value: r.principle.label_nl().to_string(),
    });
    fields.push(Field {
        label: "Voldoet aan minimum".into(),
        value: labels::yes_no(r.meets_minimum),
    });
    fields.push(Field {
        label: "Thema's".into(),
        value: if r.domains.is_empty() {
            "geen thema herkend".into()
        } else {
            r.domains
                .iter()
                .map(|id| title_of(&d.domains, id))
                .collect::<Vec<_>>()
                .join(", ")
        },
    });
    if r.status != "current" {
        fields.push(Field {
            label: "Status".into(),
            value: labels::status(&r.status),
        });
    }
    if !r.consultation.is_empty() {
        fields.push(Field {
            label: "Partners".into(),
            value: r
                .consultation
                .iter()
                .map(|(p, s)| format!("{p}: {}", s.label_nl()))
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    if let Some(dec) = &r.decision {
        fields.push(Field {
            label: "Besluit".into(),
            value: dec.label_nl().to_string(),
        });
    }
    let page_words = match r.pages {
        Some(1) => "1 pagina".to_string(),
        Some(p) => format!("{p} pagina's"),
        None => "aantal pagina's onbekend".to_string(),
    };
    let mut summary = format!("{municipality} ({province}), {page_words}, {on_time}");
    if r.over_limit {
        summary.push_str(", te lang");
    } else if r.page_check {
        summary.push_str(", controleer lengte");
    }
    NominationView {
        reference: r.reference.clone(),
        municipality,
        province,
        arrived: labels::date_time(r.arrived_at, tz),
        on_time,
        pages,
        summary,
        fields,
        problems: r.problems.clone(),
    }
}
