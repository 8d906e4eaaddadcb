//! Staff digests and exports: the *pure* part.
//!
//! This module owns the plain data a digest is made of ([`DigestData`], [`NominationRow`],
//! [`ConsultationRow`]), the decision whether there is anything to tell ([`has_news`]) and the
//! rendering of one digest mail ([`render`]: subject, plain text, HTML, inline PNG charts and the
//! CSV attachment) from the templates in `config/templates/`. The submodules hold the exports
//! ([`export`]) and the charts ([`chart`]). The shortlist, decisions and decision letters are
//! in [`crate::selection`].
//!
//! It must not read the clock, the database, the mailbox or the network: the caller (the store
//! and the CLI) fills the structs, passes `now`, and sends what comes back through the outbox.
//! All wording the staff read lives in the templates or, for short labels, in [`labels`].

pub mod chart;
pub mod collect;
pub mod example;
pub mod export;
pub mod labels;
pub mod schedule;

use crate::letters::Templates;

use base64::Engine as _;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::{Decision, Standing, Verdict};

/// One nomination as the staff see it: the facts, the findings (after staff overrides) and the
/// state of its consultation and decision. Filled by the store; every field is plain data.
#[derive(Debug, Clone, Serialize)]
pub struct NominationRow {
    /// The reference the municipality got in its confirmation, e.g. `KVN-0042`.
    pub reference: String,
    /// Name of the municipality, `None` when it was not identified.
    pub municipality: Option<String>,
    /// CBS municipality code, e.g. `GM0344`.
    pub code: Option<String>,
    /// Province name as listed in [`DigestData::provinces`].
    pub province: Option<String>,
    /// Server arrival time (IMAP INTERNALDATE), the time that counts for the deadline.
    pub arrived_at: DateTime<Utc>,
    pub on_time: bool,
    pub pages: Option<u32>,
    /// How the page count was found, in Dutch ([`labels::page_basis`]): `geteld`, `uit de
    /// metadata`, `geschat`.
    pub page_basis: Option<String>,
    pub over_limit: bool,
    /// The page count is too unsure to judge the limit on: staff check the length
    /// ("controleer lengte"); `over_limit` is then false.
    pub page_check: bool,
    /// Verdict per criterion id, after staff override.
    pub verdicts: Vec<(String, Verdict)>,
    /// Verdict on the mandatory principle, after staff override.
    pub principle: Verdict,
    /// At least the minimum number of criteria and the principle are met.
    pub meets_minimum: bool,
    /// Domain (theme) ids, as in [`DigestData::domains`].
    pub domains: Vec<String>,
    /// `current`, `superseded` or `late`.
    pub status: String,
    /// Problems found, in plain Dutch, e.g. "bijlage kon niet worden gelezen".
    pub problems: Vec<String>,
    /// Per partner (and local contact): where the consultation stands.
    pub consultation: Vec<(String, Standing)>,
    /// Local organisations of the nomination not (yet) consulted: proposed from the letter or
    /// dismissed, as "name: state".
    pub local_contacts: Vec<String>,
    /// Staff decision, if any.
    pub decision: Option<Decision>,
}

/// One partner's consultation of one nomination.
#[derive(Debug, Clone, Serialize)]
pub struct ConsultationRow {
    pub reference: String,
    pub municipality: Option<String>,
    /// Partner name, e.g. "Ieder(in)".
    pub partner: String,
    pub state: Standing,
    /// When the state last changed (request sent, reminder sent, answer received).
    pub changed_at: DateTime<Utc>,
    /// Short motivation of an objection or support, as the partner wrote it. It goes to the
    /// staff only (never into a log).
    pub note: Option<String>,
    /// Staff overrode this objection (it no longer blocks the shortlist).
    pub overridden: bool,
}

/// A delivery that failed: a bounce that came back, or a send that the outbox gave up on.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryProblem {
    /// Recipient address.
    pub to: String,
    /// What the mail was, e.g. "ontvangstbevestiging KVN-0042" or "adviesvraag KVN-0042 (Per Saldo)".
    pub what: String,
    /// Reason in plain words, e.g. "adres bestaat niet" or the SMTP reply.
    pub reason: String,
}

/// Everything one digest tells. The `Vec`s of the "since" sections hold only what happened
/// since the previous digest; `all` holds every current nomination for the totals and the CSV.
#[derive(Debug, Clone, Serialize)]
pub struct DigestData {
    pub call_title: String,
    /// Time of the previous digest; `None` for the first one.
    pub since: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// Time zone in which dates are shown (the call's time zone).
    pub tz: Tz,
    pub new_nominations: Vec<NominationRow>,
    pub late: Vec<NominationRow>,
    pub over_limit: Vec<NominationRow>,
    pub unidentified: Vec<NominationRow>,
    /// (reference, file name, reason).
    pub unreadable: Vec<(String, String, String)>,
    /// (arrival, from address, reason).
    pub quarantined: Vec<(DateTime<Utc>, String, String)>,
    /// (to, what, reason): bounces received since the previous digest.
    pub bounces: Vec<(String, String, String)>,
    /// Sends the outbox gave up on since the previous digest.
    pub failed_deliveries: Vec<DeliveryProblem>,
    /// Problems with the mailbox connection or folders, in plain Dutch.
    pub mailbox_problems: Vec<String>,
    /// Consultation progress; any order (the digest puts objections first).
    pub consultations: Vec<ConsultationRow>,
    /// What needs a staff action, in plain Dutch.
    pub actions: Vec<String>,
    /// Every current nomination, for totals, charts and the CSV.
    pub all: Vec<NominationRow>,
    /// All provinces in display order, so that empty provinces show 0.
    pub provinces: Vec<String>,
    /// (id, Dutch title) of every domain in display order.
    pub domains: Vec<(String, String)>,
    /// (id, title) of every criterion in display order.
    pub criteria: Vec<(String, String)>,
    pub principle_title: String,
}

/// One inline image of the HTML part, referenced as `cid:<cid>`.
#[derive(Debug, Clone)]
pub struct InlineImage {
    pub cid: String,
    pub png: Vec<u8>,
    pub alt: String,
}

/// A digest ready for the outbox: a multipart/related HTML part with its images, the plain-text
/// alternative, and the CSV attachment.
#[derive(Debug, Clone)]
pub struct RenderedDigest {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub images: Vec<InlineImage>,
    pub csv: Vec<u8>,
    pub csv_name: String,
}

/// A letter rendered from a text + HTML template pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedLetter {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Is there anything new to tell? No digest is sent on days without news.
///
/// News is: anything in a "since" section, or a consultation that changed since the previous
/// digest. Open staff actions alone are not news: they are repeated in the next digest.
pub fn has_news(d: &DigestData) -> bool {
    let consultation_changed = d
        .consultations
        .iter()
        .any(|c| d.since.is_none_or(|since| c.changed_at > since));
    !d.new_nominations.is_empty()
        || !d.late.is_empty()
        || !d.over_limit.is_empty()
        || !d.unidentified.is_empty()
        || !d.unreadable.is_empty()
        || !d.quarantined.is_empty()
        || !d.bounces.is_empty()
        || !d.failed_deliveries.is_empty()
        || !d.mailbox_problems.is_empty()
        || consultation_changed
}

/// Render the digest mail from `digest.txt.j2` and `digest.html.j2`.
///
/// The text template sets the subject with `{% set subject = … %}`; the HTML template gets it
/// as `subject`. Both get the same context (see [`view`]), so they carry the same content.
pub fn render(d: &DigestData, templates: &Templates) -> anyhow::Result<RenderedDigest> {
    let charts = chart::digest_charts(d).context("failed to draw the digest charts")?;
    let view = view::DigestView::build(d, &charts);
    let (subject, text, html) = templates.render_with_subject("digest", &view)?;
    let csv = export::csv(&d.all, &d.criteria, d.tz);
    let csv_name = format!(
        "voordrachten-{}.csv",
        d.now.with_timezone(&d.tz).format("%Y-%m-%d")
    );
    let images = charts
        .into_iter()
        .map(|c| InlineImage {
            cid: c.cid,
            png: c.png,
            alt: c.alt,
        })
        .collect();
    Ok(RenderedDigest {
        subject,
        text,
        html,
        images,
        csv,
        csv_name,
    })
}

/// The digest HTML with its `cid:` images as `data:` URIs, so a saved file shows them.
pub fn html_with_embedded_images(r: &RenderedDigest) -> String {
    let mut html = r.html.clone();
    for img in &r.images {
        html = html.replace(
            &format!("cid:{}", img.cid),
            &format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&img.png)
            ),
        );
    }
    html
}

pub mod view;
