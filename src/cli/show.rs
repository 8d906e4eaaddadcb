//! `intake show REF` and `intake consultations`: what staff read about nominations, in Dutch,
//! with one Dutch label per state (the same words as the digest and the export).
//!
//! Only printing: the data comes from [`crate::store`], the labels from the states' own
//! `label_nl` (e.g. [`crate::domain::Standing`]) and [`crate::digest::labels`]. Text from outside (names, sentences) is cleaned
//! before it is printed.

use std::process::ExitCode;
use std::sync::Arc;

use super::{EXIT_NOT_FOUND, municipality_name, truncate};
use crate::app::App;
use crate::assess::claims::ClaimKind;
use crate::assess::municipality::{Confidence, Municipalities};
use crate::config::Call;
use crate::digest::collect;
use crate::digest::labels;
use crate::domain::Standing;
use crate::store;

/// `intake show REF`: one nomination with its findings and evidence.
pub async fn show(intake: &Arc<App>, reference: &str) -> anyhow::Result<ExitCode> {
    let Some(s) =
        store::submission_by_reference(&intake.db, &reference.trim().to_uppercase()).await?
    else {
        eprintln!("geen voordracht met kenmerk {reference}");
        return Ok(ExitCode::from(EXIT_NOT_FOUND));
    };
    let call = &intake.cfg.call;
    print_facts(call, &s);
    let documents = store::documents_of(&intake.db, s.id).await?;
    print_documents(&documents);
    print_assessment(intake, &s, &documents).await?;
    print_consultation(intake, &s).await?;
    print_contacts(intake, &s).await?;
    print_decision(intake, &s).await?;
    Ok(ExitCode::SUCCESS)
}

/// Municipality, sender, recognition, arrival, pages, version and status.
fn print_facts(call: &Call, s: &store::SubmissionRow) {
    let tz = call.time_zone;
    let m = s
        .municipality_code
        .as_deref()
        .and_then(|c| Municipalities::embedded().by_code(c));
    println!(
        "{} — {}",
        s.reference,
        m.map(|m| format!("gemeente {} ({})", m.name, m.province))
            .unwrap_or_else(|| "gemeente onbekend".into())
    );
    let name = crate::clean::line(
        s.sender_name.as_deref().unwrap_or(""),
        crate::clean::MAX_NAME,
    );
    println!(
        "  afzender:     {}",
        if name.is_empty() {
            s.sender.clone()
        } else {
            format!("{name} <{}>", s.sender)
        }
    );
    if let Some(r) = &s.reply_to {
        println!(
            "  antwoord-aan: {r} (wijkt af van de afzender; de bevestiging ging naar de afzender)"
        );
    }
    if s.other_sender {
        println!(
            "  LET OP:       deze versie kwam van een ander afzenderdomein; een medewerker beslist welke versie telt (intake make-current {})",
            s.reference
        );
    }
    println!(
        "  herkenning:   {}{}{}",
        s.municipality_basis.as_deref().unwrap_or("-"),
        s.municipality_confidence
            .as_deref()
            .map(|c| format!(" ({})", confidence_nl(c)))
            .unwrap_or_default(),
        if s.municipality_by_staff {
            "; gemeente gezet door de staf"
        } else {
            ""
        }
    );
    for f in s.flags() {
        println!("  LET OP:       {f}");
    }
    println!(
        "  ontvangen:    {} — {} (deadline {}; {})",
        crate::letters::dutch_datetime(s.arrived_at, tz),
        if s.on_time { "op tijd" } else { "TE LAAT" },
        crate::letters::dutch_datetime(s.deadline_at, tz),
        deadline_distance_nl(s.deadline_diff_secs)
    );
    println!("  pagina's:     {}", s.page_note.as_deref().unwrap_or("-"));
    for p in s.non_a4_list() {
        println!("  papier:       {p}");
    }
    println!(
        "  versie:       {}{}",
        s.version,
        s.version_note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    println!("  status:       {}", labels::status(collect::status_of(s)));
}

/// Each document: name, format, role, pages, OCR, whether it could be read.
fn print_documents(documents: &[store::DocumentRow]) {
    println!("  documenten:");
    for d in documents {
        let pages = match (d.pages, d.page_basis.as_deref()) {
            (Some(p), Some(b)) => format!(", {} ({})", pages_nl(p), labels::page_basis(b)),
            (Some(p), None) => format!(", {}", pages_nl(p)),
            (None, _) => String::new(),
        };
        let ocr = d
            .ocr_label_nl()
            .map(|l| format!(", {l}"))
            .unwrap_or_default();
        println!(
            "    - {}: {}, {}{pages}{ocr}, {}{}",
            d.name
                .as_deref()
                .map(|n| crate::clean::line(n, crate::clean::MAX_NAME))
                .unwrap_or_else(|| "tekst in de e-mail".into()),
            format_nl(&d.format),
            role_nl(&d.role),
            document_status_nl(&d.status),
            d.reason
                .as_deref()
                .map(|r| format!(": {}", crate::clean::line(r, 300)))
                .unwrap_or_default()
        );
    }
}

/// The advice per criterion and the principle, with up to four evidence sentences each, and
/// the pre-assessment.
async fn print_assessment(
    intake: &App,
    s: &store::SubmissionRow,
    documents: &[store::DocumentRow],
) -> anyhow::Result<()> {
    let call = &intake.cfg.call;
    // Claims found in OCR text are marked: a misread word can make or break one.
    let from_ocr = |idx: i32| {
        documents
            .iter()
            .any(|d| d.idx == idx && d.text_basis != "text")
    };
    let claims = store::claims_of(&intake.db, s.id).await?;
    println!("  beoordeling (advies; de staf beslist):");
    let assessments = store::assessments_of(&intake.db, s.id).await?;
    for id in call
        .criteria
        .iter()
        .chain(std::iter::once(&call.principle))
        .map(|c| c.id.as_str())
    {
        let Some(a) = assessments.iter().find(|a| a.criterion == id) else {
            continue;
        };
        let staff = a
            .staff_verdict
            .map(|v| {
                format!(
                    "; staf: {}{}",
                    v.label_nl(),
                    staff_note(a.staff_by.as_deref(), a.staff_note.as_deref())
                )
            })
            .unwrap_or_default();
        println!(
            "    {}: {} — {}{staff}",
            criterion_heading(call, id),
            a.machine_verdict.label_nl(),
            a.note
        );
        let ev: Vec<i64> = serde_json::from_str(&a.evidence).unwrap_or_default();
        for c in claims.iter().filter(|c| ev.contains(&c.id)).take(4) {
            let sentence: String = c.sentence.split_whitespace().collect::<Vec<_>>().join(" ");
            let kind = ClaimKind::parse(&c.kind);
            println!(
                "      «{}»{}{}{}",
                truncate(&crate::clean::line(&sentence, 1000), 160),
                c.domain
                    .as_deref()
                    .map(|d| format!(" [{}]", call.domain_title(d)))
                    .unwrap_or_default(),
                match kind {
                    Some(ClaimKind::Evidence) => String::new(),
                    Some(k) => format!(" ({})", k.label_nl()),
                    None => format!(" ({})", c.kind),
                },
                if from_ocr(c.document_idx) {
                    " (uit tekst via OCR)"
                } else {
                    ""
                }
            );
        }
    }
    println!(
        "  voorselectie ({}): {}",
        minimum_rule_nl(call),
        if s.meets_minimum {
            "voldoet"
        } else {
            "voldoet niet"
        }
    );
    Ok(())
}

/// Each consulted and their state.
async fn print_consultation(intake: &App, s: &store::SubmissionRow) -> anyhow::Result<()> {
    let cons = store::consult::consultations_of(&intake.db, s.id).await?;
    if !cons.is_empty() {
        let contacts = store::contacts::all_contacts(&intake.db).await?;
        println!("  consultatie:");
        for c in cons {
            println!(
                "    - {}: {}{}{}",
                super::staff::partner_label(intake, &contacts, &c.partner_id),
                c.standing().label_nl(),
                if c.staff_override.is_some() {
                    " (bezwaar door VNG opzij gezet)"
                } else {
                    ""
                },
                c.motivation
                    .as_deref()
                    .map(|m| format!(": «{}»", truncate(&one_line(m), 120)))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// The local organisations named in the letter or added by staff.
async fn print_contacts(intake: &App, s: &store::SubmissionRow) -> anyhow::Result<()> {
    let contacts = store::contacts::contacts_of(&intake.db, s.id).await?;
    if !contacts.is_empty() {
        println!(
            "  lokale organisaties (intake contacts list {}):",
            s.reference
        );
        for c in &contacts {
            println!(
                "    - {} ({}, contact {}): {}{}",
                c.name,
                c.kind,
                c.id,
                c.status.label_nl(),
                c.address
                    .as_deref()
                    .map(|a| format!(", {a}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// The decision that counts, if any.
async fn print_decision(intake: &App, s: &store::SubmissionRow) -> anyhow::Result<()> {
    let decision = store::digest::all_decisions(&intake.db)
        .await?
        .into_iter()
        .filter(|d| d.submission_id == s.id)
        .max_by_key(|d| (d.decided_at, d.id));
    if let Some(d) = decision {
        println!(
            "  besluit:      {}{}",
            d.decision.label_nl(),
            staff_note(Some(&d.decided_by), d.note.as_deref())
        );
    }
    Ok(())
}

/// `intake consultations`: per nomination, each partner's state and answer, objections first.
pub async fn consultations(intake: &Arc<App>) -> anyhow::Result<ExitCode> {
    let all = store::consult::all_consultations(&intake.db).await?;
    let subs = store::submissions(&intake.db).await?;
    let contacts = store::contacts::all_contacts(&intake.db).await?;
    let to_settle = super::staff::answers_to_settle_lines(intake).await?;
    let mut by_sub: Vec<(i64, Vec<store::consult::ConsultationRow>)> = Vec::new();
    for c in all {
        match by_sub.iter_mut().find(|(id, _)| *id == c.submission_id) {
            Some((_, v)) => v.push(c),
            None => by_sub.push((c.submission_id, vec![c])),
        }
    }
    if by_sub.is_empty() && to_settle.is_empty() {
        println!("Er zijn nog geen partners geraadpleegd (intake consult).");
        return Ok(ExitCode::SUCCESS);
    }
    // Objections first.
    by_sub.sort_by_key(|(id, v)| (!v.iter().any(|c| c.standing() == Standing::Objection), *id));
    for (id, mut cons) in by_sub {
        let s = subs.iter().find(|s| s.id == id);
        println!(
            "{} {}",
            s.map(|s| s.reference.as_str()).unwrap_or("?"),
            municipality_name(s.and_then(|s| s.municipality_code.as_deref()))
        );
        cons.sort_by_key(|c| c.standing().rank());
        for c in cons {
            println!(
                "  {:<50} {}{}{}",
                truncate(
                    &super::staff::partner_label(intake, &contacts, &c.partner_id),
                    50
                ),
                c.standing().label_nl(),
                if c.staff_override.is_some() {
                    " (opzij gezet door VNG)"
                } else {
                    ""
                },
                c.motivation
                    .as_deref()
                    .map(|m| format!(" — {}", truncate(&one_line(m), 100)))
                    .unwrap_or_default()
            );
        }
    }
    if !to_settle.is_empty() {
        println!("\nTe beoordelen ({}):", to_settle.len());
        for line in to_settle {
            println!("  {line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn one_line(s: &str) -> String {
    crate::clean::line(&s.split_whitespace().collect::<Vec<_>>().join(" "), 2000)
}

/// " (J. de Vries: «reden»)", or "" when neither is known.
fn staff_note(by: Option<&str>, note: Option<&str>) -> String {
    match (
        by.filter(|b| !b.is_empty()),
        note.filter(|n| !n.trim().is_empty()),
    ) {
        (Some(b), Some(n)) => format!(" ({b}: «{}»)", one_line(n)),
        (Some(b), None) => format!(" ({b})"),
        (None, Some(n)) => format!(" («{}»)", one_line(n)),
        (None, None) => String::new(),
    }
}

/// "criterium 1, Toegankelijkheid …" or "principe, Niets over ons zonder ons".
pub fn criterion_heading(call: &Call, id: &str) -> String {
    if id == call.principle.id {
        format!("principe, {}", call.principle.title)
    } else {
        format!("criterium {id}, {}", call.criterion_title(id))
    }
}

/// "minstens 2 van de 3 criteria en het principe".
pub fn minimum_rule_nl(call: &Call) -> String {
    format!(
        "minstens {} van de {}{}",
        call.minimum_criteria,
        labels::count(call.criteria.len(), "criterium", "criteria"),
        if call.require_principle {
            " en het principe"
        } else {
            ""
        }
    )
}

/// "1 pagina", "3 pagina's".
fn pages_nl(n: i32) -> String {
    if n == 1 {
        "1 pagina".to_string()
    } else {
        format!("{n} pagina's")
    }
}

/// How sure the municipality was recognised, in Dutch.
fn confidence_nl(code: &str) -> String {
    [Confidence::High, Confidence::Medium, Confidence::Low]
        .into_iter()
        .find(|c| c.as_str() == code)
        .map(|c| c.label_nl().to_string())
        .unwrap_or_else(|| code.to_string())
}

/// The document format as stored, for a Dutch reader.
fn format_nl(code: &str) -> String {
    use crate::documents::Format;
    [
        Format::Pdf,
        Format::Docx,
        Format::Docm,
        Format::Odt,
        Format::Doc,
        Format::Rtf,
        Format::Html,
        Format::Text,
        Format::Zip,
        Format::Tnef,
        Format::Message,
        Format::Image,
        Format::Other,
    ]
    .into_iter()
    .find(|f| f.as_str() == code)
    .map(|f| f.label_nl().to_string())
    .unwrap_or_else(|| code.to_string())
}

/// What a document is in the nomination.
fn role_nl(code: &str) -> &str {
    match code {
        "letter" => "de brief",
        "support_letter" => "steunbrief (telt niet mee)",
        "other" => "overig",
        other => other,
    }
}

/// Whether the document could be read, in Dutch.
fn document_status_nl(code: &str) -> &str {
    match code {
        "ok" => "gelezen",
        "scan_without_text" => "scan zonder tekst",
        "protected" => "beveiligd met een wachtwoord",
        "unreadable" => "onleesbaar",
        "unsupported" => "bestandstype niet ondersteund",
        "too_large" => "te groot",
        other => other,
    }
}

/// "3 dagen en 2 uur vóór de deadline", "31 seconden na de deadline", "precies op de deadline".
/// `diff_secs` is arrival minus deadline.
pub fn deadline_distance_nl(diff_secs: i64) -> String {
    if diff_secs == 0 {
        return "precies op de deadline".to_string();
    }
    let when = if diff_secs < 0 {
        "vóór de deadline"
    } else {
        "na de deadline"
    };
    format!("{} {when}", duration_nl(diff_secs.unsigned_abs()))
}

/// A duration in words, at most two units: "45 seconden", "1 minuut", "2 uur en 5 minuten",
/// "12 dagen en 8 uur".
pub fn duration_nl(secs: u64) -> String {
    let unit = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let two = |big: String, small: u64, one: &str, many: &str| {
        if small == 0 {
            big
        } else {
            format!("{big} en {}", unit(small, one, many))
        }
    };
    if days > 0 {
        two(unit(days, "dag", "dagen"), hours, "uur", "uur")
    } else if hours > 0 {
        two(unit(hours, "uur", "uur"), minutes, "minuut", "minuten")
    } else if minutes > 0 {
        two(
            unit(minutes, "minuut", "minuten"),
            secs % 60,
            "seconde",
            "seconden",
        )
    } else {
        unit(secs, "seconde", "seconden")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distance_to_the_deadline_is_said_in_words_with_at_most_two_units() {
        assert_eq!(deadline_distance_nl(31), "31 seconden na de deadline");
        assert_eq!(deadline_distance_nl(1), "1 seconde na de deadline");
        assert_eq!(deadline_distance_nl(0), "precies op de deadline");
        assert_eq!(
            deadline_distance_nl(-1_067_334),
            "12 dagen en 8 uur vóór de deadline"
        );
        assert_eq!(duration_nl(3600), "1 uur");
        assert_eq!(duration_nl(7500), "2 uur en 5 minuten");
        assert_eq!(duration_nl(61), "1 minuut en 1 seconde");
        assert_eq!(duration_nl(86_400), "1 dag");
    }

    #[test]
    fn stored_codes_get_their_dutch_label_and_unknown_codes_stay_visible() {
        assert_eq!(confidence_nl("high"), "zeker");
        assert_eq!(confidence_nl("nieuw"), "nieuw");
        assert_eq!(format_nl("pdf"), "PDF");
        assert_eq!(format_nl("text"), "platte tekst");
        assert_eq!(role_nl("letter"), "de brief");
        assert_eq!(document_status_nl("ok"), "gelezen");
        assert_eq!(document_status_nl("later"), "later");
    }
}
