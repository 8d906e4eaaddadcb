//! The daily digest as a step function, [`send_digest_if_due`], which the daemon calls every
//! round with the current time; tests call it with a controlled clock.
//!
//! The rule: once the local time in the call's time zone has passed `[digest] time` (default
//! 08:00), the day's digest is decided exactly once. The `digests` table has one row per local
//! date (unique), written in the same transaction as the outbox rows, so a restart, a second
//! daemon or a retry never sends a second digest for the same day. On a day without news
//! ([`has_news`]) the row is written without an outbox key and nothing is sent. A daemon that
//! was down at 08:00 sends the day's digest when it comes back. "Since" is the end of the
//! previous digest that was sent, so nothing falls between two digests.
//!
//! [`enqueue_digest`] is shared with `intake digest --send`. This module renders through
//! [`super::render`] and writes through `store`; it never sends directly (the outbox does).

use anyhow::Context as _;
use chrono::{DateTime, NaiveTime, Utc};

use super::collect::{self, REPORTED_FAILURE, Snapshot};
use super::{DigestData, RenderedDigest, has_news, render};
use crate::app::App;
use crate::config::local_to_utc;
use crate::domain::LetterKind;
use crate::letters::{self, OutAttachment, Outgoing};
use crate::store::{self, digest as sd};

/// The local date (`YYYY-MM-DD`, in the call's time zone) and the instant of that date's
/// digest, for the moment `now`.
pub fn digest_moment(
    time_hhmm: &str,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, DateTime<Utc>)> {
    let at = NaiveTime::parse_from_str(time_hhmm, "%H:%M")
        .with_context(|| format!("digest.time {time_hhmm:?} is not a time of day as HH:MM"))?;
    let date = now.with_timezone(&tz).date_naive();
    Ok((
        date.format("%Y-%m-%d").to_string(),
        local_to_utc(tz, date.and_time(at)),
    ))
}

/// Sends the day's digest when it is due and not yet decided; returns its outbox key base
/// (`digest:<date>`) when one was queued, `None` otherwise (not due yet, already done today,
/// disabled, or no news).
pub async fn send_digest_if_due(
    intake: &App,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<String>> {
    let settings = &intake.cfg.settings.digest;
    if !settings.enabled {
        return Ok(None);
    }
    let tz = intake.cfg.call.time_zone;
    let (for_date, due) = digest_moment(&settings.time, tz, now)?;
    if now < due || sd::digest_for_date(&intake.db, &for_date).await?.is_some() {
        return Ok(None);
    }
    let since = sd::last_sent_digest(&intake.db)
        .await?
        .map(|d| d.period_end);
    let snap = Snapshot::load(&intake.db).await?;
    let data = collect::digest_data(&intake.cfg.call, &snap, since, now);
    if !has_news(&data) {
        let mut tx = intake.db.begin().await?;
        if sd::insert_digest(&mut tx, &for_date, since, now, None, now).await? {
            tx.commit().await?;
            tracing::info!(date = %for_date, "no news today: no digest");
        }
        return Ok(None);
    }
    let rendered = render(&data, &intake.templates).context("failed to render the digest")?;
    let key = format!("digest:{for_date}");
    let failures: Vec<i64> = snap.unreported_failures().iter().map(|o| o.id).collect();
    let queued = enqueue_digest(
        intake,
        &data,
        &rendered,
        &key,
        Some(&for_date),
        &failures,
        now,
    )
    .await?;
    if queued {
        tracing::info!(date = %for_date, recipients = intake.cfg.call.staff.recipients.len(), "digest queued");
        Ok(Some(key))
    } else {
        Ok(None)
    }
}

/// Queues one digest mail per staff recipient (key `<key>:<recipient>`), with the CSV attached
/// and the charts inline, in one transaction. With `for_date`, the day is recorded in the same
/// transaction; false when that day was already recorded (nothing is queued then). The failed
/// deliveries in `reported_failures` (outbox ids) are marked as reported in the audit log.
pub async fn enqueue_digest(
    intake: &App,
    data: &DigestData,
    rendered: &RenderedDigest,
    key: &str,
    for_date: Option<&str>,
    reported_failures: &[i64],
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let cfg = &intake.cfg;
    let mut tx = intake.db.begin().await?;
    if let Some(date) = for_date
        && !sd::insert_digest(&mut tx, date, data.since, data.now, Some(key), now).await?
    {
        return Ok(false);
    }
    let images: Vec<letters::InlineImage> = rendered
        .images
        .iter()
        .map(|i| letters::InlineImage {
            cid: i.cid.clone(),
            png: i.png.clone(),
        })
        .collect();
    let attachment = OutAttachment {
        name: rendered.csv_name.clone(),
        content_type: "text/csv; charset=utf-8".to_string(),
        bytes: rendered.csv.clone(),
    };
    for to in &cfg.call.staff.recipients {
        let letter = Outgoing {
            subject: rendered.subject.clone(),
            text: rendered.text.clone(),
            html: rendered.html.clone(),
            message_id: intake.letterhead.message_id("digest", key),
            automatic: true,
            attachments: vec![attachment.clone()],
            inline_images: images.clone(),
            ..intake.letterhead.letter(to, now)
        };
        crate::outbox::queue_letter(
            &mut tx,
            &letter,
            &format!("{key}:{to}"),
            LetterKind::Digest,
            None,
            now,
        )
        .await
        .with_context(|| format!("failed to queue the digest for {to}"))?;
    }
    for id in reported_failures {
        store::event(
            &mut tx,
            now,
            "intake",
            REPORTED_FAILURE,
            None,
            None,
            &format!("outbox:{id}"),
        )
        .await?;
    }
    store::event(
        &mut tx,
        now,
        "intake",
        "digest",
        None,
        None,
        &format!(
            "{key}: {} nieuw, {} ontvanger(s)",
            data.new_nominations.len(),
            cfg.call.staff.recipients.len()
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
