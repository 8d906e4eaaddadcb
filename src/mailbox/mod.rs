//! Where mail comes from: the [`MailSource`] trait and its two implementations, a Maildir
//! (the embedded default, [`maildir`]) and an IMAP account ([`imap`]).
//!
//! A source only lists, fetches and acknowledges; it never decides anything about a mail. The
//! pipeline acknowledges a mail (moves it to the processed or quarantine folder) only after the
//! database commit, so a crash between the two leaves the mail in the inbox, where the next run
//! recognises it as already stored and acknowledges it again.

pub mod imap;
pub mod maildir;

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

/// What is waiting in the inbox right now.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The mailbox name as recorded in the database (`INBOX`, or the Maildir path).
    pub mailbox: String,
    /// IMAP UIDVALIDITY; 0 for a Maildir, whose unique names never change meaning.
    pub uidvalidity: i64,
    /// The mails, oldest first.
    pub items: Vec<Listed>,
}

/// One mail in a [`Listing`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// IMAP UID in decimal, or the Maildir unique name (the file name before `:2,`).
    pub uid: String,
    /// Size in bytes as the server reports it (RFC822.SIZE) or the file size.
    pub size: u64,
}

/// One fetched mail.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub uid: String,
    pub raw: Vec<u8>,
    /// The arrival time the source knows for sure: IMAP INTERNALDATE. A Maildir knows only the
    /// file's modification time, given here as `file_time`; the pipeline prefers the newest
    /// `Received:` header over it.
    pub internal_date: Option<DateTime<Utc>>,
    pub file_time: Option<DateTime<Utc>>,
}

/// Where an acknowledged mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Processed,
    Quarantine,
}

/// A mailbox the daemon reads from. Implementations: [`maildir::Maildir`], [`imap::ImapSource`].
pub trait MailSource: Send {
    /// A short description for logs and `intake status` (never contains secrets).
    fn describe(&self) -> String;

    /// What is in the inbox now (UIDVALIDITY, UIDs and sizes), oldest first.
    fn list(&mut self) -> impl Future<Output = anyhow::Result<Listing>> + Send;

    /// The raw bytes and arrival time of one listed mail.
    fn fetch(&mut self, uid: &str) -> impl Future<Output = anyhow::Result<Fetched>> + Send;

    /// Move a mail out of the inbox, after its outcome is committed.
    fn ack(
        &mut self,
        uid: &str,
        disposition: Disposition,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Wait until new mail may have arrived, at most `max_wait` (IMAP IDLE, or a plain sleep),
    /// returning early when `cancel` fires.
    fn wait(
        &mut self,
        max_wait: Duration,
        cancel: &CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}
