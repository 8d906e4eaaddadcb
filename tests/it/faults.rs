//! The fault run: 200 nominations through Dovecot → `intake run` → SMTP sink on PostgreSQL,
//! while the daemon is killed with SIGKILL at random moments (at least 10 times) and restarted,
//! and Dovecot is restarted once. At the end every nomination is stored exactly once and the SMTP
//! server has exactly one confirmation per nomination. The counts are printed (run with
//! `--nocapture` to see them).
//!
//! A kill after the SMTP server accepted a letter but before `sent` was committed leaves the row
//! claimed with its attempt marked. The sink keeps a copy of every accepted mail in Dovecot's
//! `Sent` folder (as Microsoft 365 does) and the daemons are told to look there
//! (`INTAKE__OUTBOX__SENT_FOLDER`), with claims short enough to run out during the test.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::servers::{
    STACK_SENT_FOLDER, Stack, StackDb, body_nomination, nomination_sender, on_time_arrival,
};

const NOMINATIONS: usize = 200;
const BATCHES: usize = 10;
const MIN_KILLS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_run_200_nominations_survive_sigkills_and_a_dovecot_restart_exactly_once()
-> anyhow::Result<()> {
    let started = Instant::now();
    let mut stack = Stack::start(StackDb::Postgres).await?;
    let municipalities = crate::servers::municipalities()?;
    anyhow::ensure!(
        municipalities.len() >= NOMINATIONS,
        "data/gemeenten.csv has only {} municipalities",
        municipalities.len()
    );
    // A short lease and a short outbox claim: a killed daemon's lease and claims must not stall
    // its successor for long. An interrupted letter is looked up in the sent folder.
    let env = [
        ("INTAKE__MAILBOX__LEASE_SECS", "2"),
        ("INTAKE__MAILBOX__POLL_INTERVAL_SECS", "1"),
        ("INTAKE__OUTBOX__CLAIM_SECS", "3"),
        ("INTAKE__OUTBOX__SENT_FOLDER", STACK_SENT_FOLDER),
    ];
    let mut senders = Vec::new();
    let mut daemon = stack.spawn_daemon(&env)?;
    let mut kills = 0;
    let mut dovecot_restarts = 0;
    let per_batch = NOMINATIONS / BATCHES;
    for batch in 0..BATCHES {
        let batch_of = municipalities
            .iter()
            .enumerate()
            .skip(batch * per_batch)
            .take(per_batch);
        for (n, (name, domain)) in batch_of {
            stack
                .deliver(&body_nomination(n, name, domain), on_time_arrival())
                .await?;
            senders.push(nomination_sender(n, domain));
        }
        // Kill at a random moment while the batch is being processed.
        tokio::time::sleep(Duration::from_millis(rand::random_range(100..1500))).await;
        daemon.kill();
        kills += 1;
        if batch == BATCHES / 2 {
            stack.dovecot.restart()?;
            dovecot_restarts += 1;
        }
        daemon = stack.spawn_daemon(&env)?;
    }
    // A few more kills after the last delivery, while the backlog drains.
    while kills < MIN_KILLS + 2 {
        tokio::time::sleep(Duration::from_millis(rand::random_range(300..2000))).await;
        daemon.kill();
        kills += 1;
        daemon = stack.spawn_daemon(&env)?;
    }

    let wait = stack
        .wait_until(
            "a confirmation for every nomination",
            Duration::from_secs(300),
            || {
                let received = stack.sink.received_with_envelopes();
                senders.iter().all(|s| {
                    received
                        .iter()
                        .any(|(e, _)| e.rcpt_tos.iter().any(|r| r.eq_ignore_ascii_case(s)))
                })
            },
        )
        .await;
    // A last chance for a late duplicate to show up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    daemon.stop(Duration::from_secs(10));

    // Confirmations at the SMTP server, per nomination.
    let received = stack.sink.received_with_envelopes();
    let mut per_sender: HashMap<String, usize> = HashMap::new();
    for (envelope, _) in &received {
        for r in &envelope.rcpt_tos {
            *per_sender.entry(r.to_lowercase()).or_default() += 1;
        }
    }
    // The same letter (one Message-ID) transmitted again vs. a second, different letter.
    let mut ids_per_sender: HashMap<String, Vec<String>> = HashMap::new();
    for (envelope, raw) in &received {
        let id = header(raw, "message-id").unwrap_or_default();
        for r in &envelope.rcpt_tos {
            ids_per_sender
                .entry(r.to_lowercase())
                .or_default()
                .push(id.clone());
        }
    }
    let mut retransmissions = 0;
    let mut second_letters = 0;
    for ids in ids_per_sender.values() {
        let mut distinct = ids.clone();
        distinct.sort();
        distinct.dedup();
        second_letters += distinct.len().saturating_sub(1);
        retransmissions += ids.len() - distinct.len();
    }
    let confirmed_once = senders
        .iter()
        .filter(|s| per_sender.get(&s.to_lowercase()) == Some(&1))
        .count();
    let unconfirmed = senders
        .iter()
        .filter(|s| !per_sender.contains_key(&s.to_lowercase()))
        .count();
    let duplicated_confirmations: usize = senders
        .iter()
        .filter_map(|s| per_sender.get(&s.to_lowercase()))
        .map(|c| c.saturating_sub(1))
        .sum();

    // What the database stored, per nomination Message-ID.
    let pool = sqlx::PgPool::connect(&stack.db_url).await?;
    let rows: Vec<(Option<String>, i64)> = sqlx::query_as(
        "SELECT m.message_id, (SELECT count(*) FROM submissions s WHERE s.message_id = m.id) \
         FROM messages m",
    )
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    let mut stored: HashMap<usize, (usize, i64)> = HashMap::new();
    for (message_id, submissions) in &rows {
        let Some(n) = message_id.as_deref().and_then(nomination_number) else {
            continue;
        };
        let entry = stored.entry(n).or_default();
        entry.0 += 1;
        entry.1 += submissions;
    }
    let stored_once = (0..NOMINATIONS)
        .filter(|n| stored.get(n) == Some(&(1, 1)))
        .count();
    let lost = (0..NOMINATIONS).filter(|n| !stored.contains_key(n)).count();
    let stored_twice = (0..NOMINATIONS)
        .filter(|n| stored.get(n).is_some_and(|(m, s)| *m > 1 || *s > 1))
        .count();
    // How the daemons settled letters whose sending a kill had cut off.
    let logs = stack.logs();
    let found_in_sent = logs
        .matches("an interrupted letter was found in the sent folder")
        .count();
    let resent_after_check = logs
        .matches("an interrupted letter is not in the sent folder")
        .count();
    let resent_unverified = logs.matches("a duplicate is possible").count();
    let inbox_left = stack
        .dovecot
        .list_folder(crate::servers::STACK_USER, "INBOX")
        .await?
        .len();

    let summary = format!(
        "fault run: {NOMINATIONS} nominations, {kills} SIGKILLs, {dovecot_restarts} Dovecot restart(s), \
         {:.0} s\n  stored exactly once: {stored_once}, lost: {lost}, stored more than once: {stored_twice}\n  \
         confirmations: exactly one for {confirmed_once}, none for {unconfirmed}, \
         duplicates: {duplicated_confirmations} (SMTP sink received {} mails in total)\n  \
         of the duplicates: {retransmissions} the same letter (same Message-ID) again, \
         {second_letters} a second letter\n  \
         letters cut off by a kill: {found_in_sent} found in the sent folder (not sent again), \
         {resent_after_check} not there (sent again), {resent_unverified} sent again unchecked\n  \
         left in the inbox: {inbox_left}",
        started.elapsed().as_secs_f64(),
        received.len(),
    );
    println!("{summary}");
    if let Err(e) = wait {
        anyhow::bail!("{e}\n{summary}\n{}", tail(&stack.logs(), 6000));
    }
    assert!(kills >= MIN_KILLS && dovecot_restarts == 1, "{summary}");
    assert_eq!(stored_once, NOMINATIONS, "{summary}");
    assert_eq!(lost + stored_twice, 0, "{summary}");
    assert_eq!(confirmed_once, NOMINATIONS, "{summary}");
    assert_eq!(duplicated_confirmations, 0, "{summary}");
    assert_eq!(received.len(), NOMINATIONS, "{summary}");
    assert_eq!(inbox_left, 0, "{summary}");
    Ok(())
}

/// The value of the first header `name` in `raw`'s header block (unfolded).
fn header(raw: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next()?;
    let mut lines = head.split("\r\n").peekable();
    while let Some(line) = lines.next() {
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case(name)
        {
            let mut value = v.trim().to_owned();
            while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                value.push_str(next.trim());
                lines.next();
            }
            return Some(value);
        }
    }
    None
}

/// `n` from `<nominatie-n.pid@domain>` (with or without angle brackets).
fn nomination_number(message_id: &str) -> Option<usize> {
    let rest = message_id
        .trim_start_matches('<')
        .strip_prefix("nominatie-")?;
    rest.split('.').next()?.parse().ok()
}

fn tail(s: &str, max: usize) -> &str {
    let start = s.len().saturating_sub(max);
    let start = (start..s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(s.len());
    &s[start..]
}
