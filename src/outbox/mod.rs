//! Outgoing mail, exactly once per outbox key. Letters are written into the `outbox` table in
//! the same transaction as the finding that caused them (transactional outbox); the worker in
//! [`worker`] claims rows one by one, sends them through [`transport`] (file or SMTP) and records
//! the outcome. A row keeps one Message-ID across retries, so a retry after a crash is the same
//! mail, not a second one.

pub mod transport;
pub mod worker;

pub use worker::{DrainOutcome, drain_once};
