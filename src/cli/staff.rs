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
