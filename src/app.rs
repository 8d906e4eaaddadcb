//! The application, built once from the configuration by [`App::open`]: the database, the
//! letter templates, the lexicon, our [`Letterhead`] (who we are in every letter) and the
//! outbox setup ([`OutboxSetup`]: transport, policy, caps). The daemon, the command line and
//! the web workspace take `&App`; the stages take the typed parts they need.
//!
//! This module builds and hands out; it decides nothing about a mail or a nomination.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::assess::lexicon::Lexicon;
use crate::config::{Config, OutboxKind};
use crate::domain::EmailAddress;
use crate::letters::{Outgoing, Templates};
use crate::outbox::worker::{DrainOutcome, Policy, SentFolderCheck};
use crate::outbox::{ReplyCaps, transport::Transport};
use crate::store::{self, Db};

/// Everything the program needs at run time, built once.
pub struct App {
    /// The configuration as loaded (call definition and settings). Modules read the parts they
    /// own; derived values (our addresses, the transport) live in the fields below.
    pub cfg: Config,
    pub db: Db,
    pub templates: Templates,
    pub lexicon: Lexicon,
    pub letterhead: Letterhead,
    pub outbox: OutboxSetup,
}

impl App {
    /// Opens the database (migrating it), records the call, loads the templates (every one of
    /// them must render: see [`Templates::load`]) and the lexicon, and builds the outbox.
    pub async fn open(cfg: Config) -> anyhow::Result<Arc<App>> {
        let db = Db::connect(
            &cfg.settings.database.url,
            cfg.settings.database.max_connections,
        )
        .await?;
        db.migrate().await?;
        let call = &cfg.call;
        let record = store::CallRecord {
            id: &call.id,
            title: &call.title,
            deadline_at: call.deadline_utc(),
            partners: call
                .partners
                .iter()
                .map(|p| (p.id.as_str(), p.name.as_str(), p.addresses.as_slice()))
                .collect(),
        };
        store::sync_call(&db, &record, Utc::now()).await?;
        let templates = Templates::load(&cfg.settings.templates_dir)?;
        let lexicon = Lexicon::load(&cfg.call.lexicon_path).with_context(|| {
            format!(
                "failed to load the lexicon {}",
                cfg.call.lexicon_path.display()
            )
        })?;
        let problems = lexicon_problems(&cfg.call, &lexicon);
        if !problems.is_empty() {
            anyhow::bail!(
                "the lexicon {} does not fit the call:\n  {}",
                cfg.call.lexicon_path.display(),
                problems.join("\n  ")
            );
        }
        let letterhead = Letterhead::from_config(&cfg);
        let outbox = OutboxSetup::from_config(&cfg)?;
        Ok(Arc::new(App {
            cfg,
            db,
            templates,
            lexicon,
            letterhead,
            outbox,
        }))
    }

    /// Sends what is due now (one drain of the outbox by a worker of this process): the "send
    /// now" of every command that queues letters.
    pub async fn send_now(&self) -> anyhow::Result<DrainOutcome> {
        crate::outbox::drain_once(
            &self.db,
            &self.outbox.transport,
            &self.outbox.policy(&worker_id()),
            Utc::now,
        )
        .await
    }
}

/// Identifies this process for leases and outbox claims.
pub fn worker_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "intake".into());
    format!(
        "{host}:{}:{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Who we are in every letter: the mailbox address and display name, our mail domain, and
/// every address that is ours (never answered).
#[derive(Debug, Clone)]
pub struct Letterhead {
    address: String,
    name: String,
    domain: String,
    own: Vec<EmailAddress>,
}

impl Letterhead {
    /// From `[mailbox] address`, `display_name` and `other_addresses`.
    pub fn from_config(cfg: &Config) -> Letterhead {
        let m = &cfg.settings.mailbox;
        Letterhead::new(&m.address, &m.display_name, &m.other_addresses)
    }

    pub fn new(address: &str, name: &str, others: &[String]) -> Letterhead {
        let own = std::iter::once(address)
            .chain(others.iter().map(String::as_str))
            .filter_map(EmailAddress::parse)
            .collect();
        Letterhead {
            address: address.to_string(),
            name: name.to_string(),
            domain: address
                .rsplit_once('@')
                .map(|(_, d)| d.to_lowercase())
                .unwrap_or_else(|| "localhost".into()),
            own,
        }
    }

    /// Our mailbox address: letters come from it, nominations are sent to it.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The display name of our letters.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Our mail domain (for Message-IDs).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Every address of ours (the mailbox and `other_addresses`).
    pub fn own_addresses(&self) -> &[EmailAddress] {
        &self.own
    }

    /// Whether `a` is one of our addresses, with or without a `+tag`.
    pub fn is_ours(&self, a: &EmailAddress) -> bool {
        let bare = a.without_tag();
        self.own.iter().any(|o| *o == bare || o == a)
    }

    /// A new Message-ID for a letter: `<kind.label.random@our-domain>`. The label (a reference,
    /// a partner) helps a person reading headers; the random part makes it unguessable, so a
    /// reply naming it in `In-Reply-To` proves it saw our letter. Stored with the outbox row, so
    /// retries keep it.
    pub fn message_id(&self, kind: &str, label: &str) -> String {
        let label: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        format!(
            "<{kind}.{label}.{:016x}@{}>",
            rand::random::<u64>(),
            self.domain
        )
    }

    /// A letter from us to `to`, to be filled in (subject, text, HTML, threading).
    pub fn letter(&self, to: &str, now: DateTime<Utc>) -> Outgoing {
        Outgoing {
            from_name: self.name.clone(),
            from_address: self.address.clone(),
            to: to.to_string(),
            date: Some(now),
            ..Outgoing::default()
        }
    }
}

/// How letters leave: the transport (file or SMTP), the worker policy and the caps on
/// automatic replies.
pub struct OutboxSetup {
    pub transport: Arc<Transport>,
    pub caps: ReplyCaps,
    max_attempts: u32,
    retry_base_secs: u64,
    claim_secs: i64,
    sent_folder: Option<SentFolderCheck>,
    max_per_minute: u32,
}

impl OutboxSetup {
    /// From `[outbox]` (and `[mailbox.imap]` for the sent folder, which is the same account).
    pub fn from_config(cfg: &Config) -> anyhow::Result<OutboxSetup> {
        let s = &cfg.settings;
        let o = &s.outbox;
        let transport = Transport::from_settings(o.kind, &o.dir, o.smtp.as_ref())?;
        // An interrupted letter is looked up in the sent folder only when the mailbox is IMAP
        // (the same account's folder).
        let sent_folder = match (&o.sent_folder, s.mailbox.kind, &s.mailbox.imap) {
            (Some(folder), crate::config::MailboxKind::Imap, Some(imap)) => Some(SentFolderCheck {
                imap: imap.clone(),
                folder: folder.clone(),
            }),
            _ => None,
        };
        Ok(OutboxSetup {
            transport: Arc::new(transport),
            caps: ReplyCaps {
                per_address_per_day: o.daily_cap_per_address,
                total_per_day: o.daily_cap_total,
            },
            max_attempts: o.max_attempts,
            retry_base_secs: o.retry_base_secs,
            claim_secs: o.claim_secs as i64,
            sent_folder,
            // A file outbox has no server to overload.
            max_per_minute: match o.kind {
                OutboxKind::Smtp => o.max_per_minute,
                OutboxKind::File => 0,
            },
        })
    }

    /// The worker policy for a worker called `worker_id`.
    pub fn policy(&self, worker_id: &str) -> Policy {
        Policy {
            worker_id: worker_id.to_string(),
            max_attempts: self.max_attempts,
            retry_base_secs: self.retry_base_secs,
            claim_secs: self.claim_secs,
            sent_folder: self.sent_folder.clone(),
            max_per_minute: self.max_per_minute,
        }
    }
}

/// Where the lexicon does not fit the call (a target that is no criterion, a domain the call
/// lacks, …): one line per problem; empty when it fits.
pub fn lexicon_problems(call: &crate::config::Call, lexicon: &Lexicon) -> Vec<String> {
    lexicon.validate(&call.criterion_ids(), &call.domain_ids())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_letterhead_knows_our_addresses_and_mints_unguessable_message_ids() {
        let l = Letterhead::new(
            "koplopers@vng.nl",
            "VNG Koplopers",
            &["Koplopers@VNG.nl".into(), "info@vng.nl".into()],
        );
        assert_eq!(l.domain(), "vng.nl");
        let tagged = EmailAddress::parse("koplopers+c-abc@vng.nl").unwrap();
        assert!(l.is_ours(&tagged));
        assert!(l.is_ours(&EmailAddress::parse("info@vng.nl").unwrap()));
        assert!(!l.is_ours(&EmailAddress::parse("koplopers@vng.nl.evil.org").unwrap()));
        let a = l.message_id("confirmation", "KVN-0001");
        let b = l.message_id("confirmation", "KVN-0001");
        assert_ne!(a, b);
        assert!(
            a.starts_with("<confirmation.KVN-0001.") && a.ends_with("@vng.nl>"),
            "{a}"
        );
        assert!(l.message_id("x", "a b/<c>").starts_with("<x.a-b--c-."));
    }
}
