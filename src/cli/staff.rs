//! The staff commands: each parses nothing (clap did), calls one staff action of
//! [`crate::actions`] and prints the outcome in Dutch, or the refusal with its exit code.

use std::process::ExitCode;

use chrono::Utc;

use super::{EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_USAGE};
use crate::actions::{self, ActionError, Actor};
use crate::app::App;
use crate::digest::collect::{self, Snapshot};
use crate::domain::{Decision, Verdict};

/// `intake set-municipality REF GM….`
pub async fn set_municipality(
    app: &App,
    reference: &str,
    code: &str,
    by: &str,
) -> anyhow::Result<ExitCode> {
    match actions::set_municipality(app, &Actor::new(by), reference, code, Utc::now()).await {
        Ok(m) => {
            println!("{}: gemeente is nu {} ({})", m.reference, m.name, m.code);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal(e),
    }
}

/// `intake make-current REF`
pub async fn make_current(app: &App, reference: &str, by: &str) -> anyhow::Result<ExitCode> {
    match actions::make_current(app, &Actor::new(by), reference, Utc::now()).await {
        Ok(m) if m.already => {
            println!("{}: is al de geldende versie", m.reference);
            Ok(ExitCode::SUCCESS)
        }
        Ok(m) => {
            match m.replaced {
                Some(p) => println!("{} is de geldende versie in plaats van {p}", m.reference),
                None => println!("{} is de geldende versie", m.reference),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal(e),
    }
}

/// `intake override REF CRITERION VERDICT --note …`
pub async fn override_criterion(
    app: &App,
    reference: &str,
    criterion: &str,
    verdict: Verdict,
    note: &str,
    by: &str,
) -> anyhow::Result<ExitCode> {
    match actions::override_criterion(
        app,
        &Actor::new(by),
        reference,
        criterion,
        verdict,
        note,
        Utc::now(),
    )
    .await
    {
        Ok(o) => {
            println!(
                "{}: criterium {} is nu \"{}\"; voldoet aan de voorselectie: {}",
                o.reference,
                o.criterion,
                o.verdict.label_nl(),
                if o.meets_minimum { "ja" } else { "nee" }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal(e),
    }
}

/// `intake set-aside-objection REF PARTNER --note …`
pub async fn set_aside_objection(
    app: &App,
    reference: &str,
    partner: &str,
    note: &str,
    by: &str,
) -> anyhow::Result<ExitCode> {
    match actions::set_aside_objection(app, &Actor::new(by), reference, partner, note, Utc::now())
        .await
    {
        Ok(r) => {
            println!("{r}: bezwaar van {partner} terzijde gelegd; het blijft bewaard");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal(e),
    }
}

/// `intake shortlist [--size N]`: the objective, each pick with why, the reserves, the rest.
pub async fn shortlist_command(app: &App, size: Option<usize>) -> anyhow::Result<ExitCode> {
    let s = crate::selection::shortlist_proposal(app, size).await?;
    println!("{}\n", s.objective);
    println!("Voorstel ({}):", s.picks.len());
    for (i, p) in s.picks.iter().enumerate() {
        println!(
            "{:>3}. {} {} ({})\n       {}",
            i + 1,
            p.reference,
            p.municipality,
            p.province,
            p.why
        );
    }
    println!("\nReserves ({}):", s.reserves.len());
    for (i, p) in s.reserves.iter().enumerate() {
        println!(
            "{:>3}. {} {} ({})\n       {}",
            i + 1,
            p.reference,
            p.municipality,
            p.province,
            p.why
        );
    }
    if !s.to_read.is_empty() {
        println!(
            "\nEerst lezen ({}): een antwoord van een partner of lokaal contact is nog niet beoordeeld; \
             deze voordrachten tellen pas mee als dat gebeurd is (intake consultations):",
            s.to_read.len()
        );
        println!("     {}", s.to_read.join(", "));
    }
    if !s.excluded.is_empty() {
        println!("\nNiet geschikt ({}):", s.excluded.len());
        for (r, why) in &s.excluded {
            println!("     {r}: {why}");
        }
    }
    println!(
        "\nDit is een voorstel. Leg besluiten vast met: intake decide REF selected|reserve|rejected --note …"
    );
    Ok(ExitCode::SUCCESS)
}

/// `intake decide REF selected|reserve|rejected --note …`
pub async fn decide_command(
    app: &App,
    reference: &str,
    decision: Decision,
    note: &str,
    by: &str,
) -> anyhow::Result<ExitCode> {
    match actions::decide(app, &Actor::new(by), reference, decision, note, Utc::now()).await {
        Ok(()) => {
            let snap = Snapshot::load(&app.db).await?;
            let counts = collect::decision_counts(&snap);
            let undecided = snap
                .submissions
                .iter()
                .filter(|s| s.is_current && snap.decision_of(s.id).is_none())
                .count();
            println!(
                "{}: {} ({}). Stand: {} gekozen, {} reserve, {} niet gekozen, {} zonder besluit.",
                reference.trim().to_uppercase(),
                decision.label_nl(),
                note,
                counts.get("selected").copied().unwrap_or(0),
                counts.get("reserve").copied().unwrap_or(0),
                counts.get("rejected").copied().unwrap_or(0),
                undecided
            );
            if decision == Decision::Selected {
                let selected = counts.get("selected").copied().unwrap_or(0);
                if selected > app.cfg.call.selection_size {
                    println!(
                        "Let op: {selected} gekozen, meer dan de {} van de oproep.",
                        app.cfg.call.selection_size
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal(e),
    }
}

/// `intake ratify --by NAME`
pub async fn ratify_command(app: &App, by: &str, note: Option<&str>) -> anyhow::Result<ExitCode> {
    match actions::ratify(app, by, note, Utc::now()).await {
        Ok(r) => {
            if r.already {
                println!("{} had de keuze al bekrachtigd.", r.office_holder);
            } else {
                println!("Bekrachtigd door {}.", r.office_holder);
            }
            if r.missing.is_empty() {
                println!(
                    "Beide bekrachtigingen zijn binnen. Verstuur de brieven met: intake letters --send"
                );
            } else {
                println!("Nog nodig: {}.", r.missing.join("; "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal(e),
    }
}

/// `intake letters --send`
pub async fn letters_command(app: &App, send: bool) -> anyhow::Result<ExitCode> {
    if !send {
        eprintln!("nothing done: add --send to queue and send the decision letters");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let q = match actions::queue_decision_letters(app, Utc::now()).await {
        Ok(q) => q,
        Err(e) => return refusal(e),
    };
    for (r, why) in &q.skipped {
        eprintln!("{r}: no letter: {why}");
    }
    let d = app.send_now().await?;
    println!(
        "letters queued: {} selected, {} not selected ({} queued before); sent now: {}, to retry: {}, failed: {}",
        q.selected, q.not_selected, q.already, d.sent, d.retried, d.failed
    );
    Ok(if q.skipped.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Prints a refusal and turns it into an exit code; real failures go up with their cause chain.
pub fn refusal(e: ActionError) -> anyhow::Result<ExitCode> {
    let code = match &e {
        ActionError::Other(_) => return Err(anyhow::Error::from(e)),
        ActionError::NotFound(_) => EXIT_NOT_FOUND,
        ActionError::Invalid(_) | ActionError::UnknownOfficeHolder { .. } => EXIT_USAGE,
        _ => EXIT_REFUSED,
    };
    eprintln!("{e}");
    Ok(ExitCode::from(code))
}

/// `intake answer …`: settle a held or unclear partner answer.
#[derive(Debug, clap::Subcommand)]
pub enum AnswerCommand {
    /// Count the answer for the partner (or local contact) of its consultation. Audit-logged.
    /// Exit codes: 0 done, 2 no verdict known, 4 no such answer, 5 not held or unclear.
    Accept {
        /// The answer's number (see `intake consultations`).
        id: i64,
        /// The verdict that counts (default: the one read from the answer):
        /// steun, bezwaar or geen-oordeel.
        #[arg(long, value_parser = parse_partner_verdict)]
        verdict: Option<crate::domain::PartnerVerdict>,
        /// For an answer that matched no consultation: the nomination it is about.
        #[arg(long, requires = "partner")]
        reference: Option<String>,
        /// For an answer that matched no consultation: the partner id (or local-N).
        #[arg(long, requires = "reference")]
        partner: Option<String>,
        /// Why (for the audit log).
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, env = "USER", default_value = "staff")]
        by: String,
    },
    /// Decide that the answer does not count (the consultation keeps its earlier verdict, or
    /// waits again). Audit-logged.
    Reject {
        id: i64,
        /// Why (required).
        #[arg(long, required = true)]
        note: String,
        #[arg(long, env = "USER", default_value = "staff")]
        by: String,
    },
}

fn parse_partner_verdict(s: &str) -> Result<crate::domain::PartnerVerdict, String> {
    crate::domain::PartnerVerdict::from_staff_word(s)
        .ok_or_else(|| "use steun, bezwaar or geen-oordeel".to_string())
}

/// `intake answer accept|reject`
pub async fn answer(app: &App, cmd: AnswerCommand) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let outcome = match cmd {
        AnswerCommand::Accept {
            id,
            verdict,
            reference,
            partner,
            note,
            by,
        } => {
            let link = reference.as_deref().zip(partner.as_deref());
            actions::accept_answer(app, &Actor::new(&by), id, verdict, link, &note, now).await
        }
        AnswerCommand::Reject { id, note, by } => {
            actions::reject_answer(app, &Actor::new(&by), id, &note, now).await
        }
    };
    match outcome {
        Ok(a) => {
            match a.verdict {
                Some(v) => println!(
                    "antwoord {} telt nu voor {} bij {}: {}",
                    a.answer_id,
                    a.partner_id,
                    a.reference,
                    v.label_nl()
                ),
                None => println!("antwoord {} telt niet", a.answer_id),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal(e),
    }
}

/// `intake contacts …`: local voices per nomination.
#[derive(Debug, clap::Subcommand)]
pub enum ContactsCommand {
    /// Add a local contact (advisory council, client council, local member of a partner) to a
    /// nomination; it is consulted with `intake consult REF`.
    Add {
        reference: String,
        address: String,
        #[arg(long, required = true)]
        name: String,
        /// adviesraad, wmo-raad, clientenraad, participatieraad, inclusieraad, vn-panel,
        /// ervaringsdeskundigen, platform, werkgroep, lokale-partner or anders.
        #[arg(long, default_value = "anders")]
        kind: String,
        #[arg(long, env = "USER", default_value = "staff")]
        by: String,
    },
    /// The local contacts of a nomination: proposed from the letter, confirmed, dismissed.
    List { reference: String },
    /// Confirm a contact the intake proposed from the letter, with its address.
    Confirm {
        id: i64,
        address: String,
        #[arg(long, env = "USER", default_value = "staff")]
        by: String,
    },
    /// Do not consult a proposed contact.
    Dismiss {
        id: i64,
        #[arg(long, env = "USER", default_value = "staff")]
        by: String,
    },
}

/// `intake contacts add|list|confirm|dismiss`
pub async fn contacts(app: &App, cmd: ContactsCommand) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    match cmd {
        ContactsCommand::Add {
            reference,
            address,
            name,
            kind,
            by,
        } => match actions::add_contact(
            app,
            &Actor::new(&by),
            &reference,
            &address,
            &name,
            &kind,
            now,
        )
        .await
        {
            Ok(id) => {
                println!(
                    "contact {id} toegevoegd aan {}: {name} <{address}>; raadpleeg met: intake consult {}",
                    reference.to_uppercase(),
                    reference.to_uppercase()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => refusal(e),
        },
        ContactsCommand::List { reference } => {
            let s = match actions::nomination(app, &reference).await {
                Ok(s) => s,
                Err(e) => return refusal(e),
            };
            let list = crate::store::contacts::contacts_of(&app.db, s.id).await?;
            if list.is_empty() {
                println!("{}: geen lokale contacten", s.reference);
            }
            for c in list {
                println!(
                    "{:>4}  {} [{}] {} — {}",
                    c.id,
                    c.name,
                    c.kind,
                    c.address.as_deref().unwrap_or("(geen adres)"),
                    c.status.label_nl()
                );
                if let Some(sentence) = &c.sentence {
                    println!("      «{sentence}»");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ContactsCommand::Confirm { id, address, by } => {
            match actions::settle_contact(app, &Actor::new(&by), id, Some(&address), now).await {
                Ok(c) => {
                    println!("contact {}: {} bevestigd ({address})", c.id, c.name);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refusal(e),
            }
        }
        ContactsCommand::Dismiss { id, by } => {
            match actions::settle_contact(app, &Actor::new(&by), id, None, now).await {
                Ok(c) => {
                    println!("contact {}: {} wordt niet geraadpleegd", c.id, c.name);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refusal(e),
            }
        }
    }
}

/// The answers staff must settle, as lines with the command that settles each (for
/// `intake consultations` and `intake status`).
pub async fn answers_to_settle_lines(app: &App) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let contacts = crate::store::contacts::all_contacts(&app.db).await?;
    for t in crate::store::consult::answers_to_settle(&app.db).await? {
        let a = &t.answer;
        let about = match (&t.reference, &t.partner_id) {
            (Some(r), Some(p)) => format!("{r}, {}", partner_label(app, &contacts, p)),
            _ => "geen consultatie gevonden".to_string(),
        };
        let why = a
            .hold_reason
            .clone()
            .unwrap_or_else(|| a.status.label_nl().to_string());
        let read = a
            .verdict
            .map(|v| format!("gelezen: {}", v.label_nl()))
            .unwrap_or_else(|| "geen oordeel gelezen".into());
        let highlight = a
            .highlight
            .as_deref()
            .map(|h| format!("\n        let op: «{}»", crate::clean::line(h, 200)))
            .unwrap_or_default();
        out.push(format!(
            "antwoord {} van {} ({about}): {why}; {read}{highlight}\n        intake answer accept {} --verdict steun|bezwaar|geen-oordeel   of   intake answer reject {} --note \"…\"",
            a.id,
            crate::clean::line(&a.from_address, 120),
            a.id,
            a.id
        ));
    }
    Ok(out)
}

/// A partner's name, or a local contact's as "naam (lokaal)".
pub fn partner_label(
    app: &App,
    contacts: &[crate::store::contacts::LocalContactRow],
    partner_id: &str,
) -> String {
    if let Some(p) = app.cfg.call.partners.iter().find(|p| p.id == partner_id) {
        return p.name.clone();
    }
    contacts
        .iter()
        .find(|c| c.consultee_id() == partner_id)
        .map(|c| format!("{} (lokaal)", c.name))
        .unwrap_or_else(|| partner_id.to_string())
}
