//! Integration tests: one binary, one module per area. Real servers (Dovecot, an SMTP server,
//! PostgreSQL) are started by [`servers`] on 127.0.0.1; nothing here is a mock.

mod assess;
mod cli;
mod consult;
mod consultation_cycle;
mod corpus;
mod decisions;
mod digest;
mod documents;
mod faults;
mod fuzz_regressions;
mod hardening;
mod helpers;
mod hostile;
mod imap;
mod layers;
mod ocr;
mod outbox;
mod pages;
mod pipeline;
mod scans;
mod schedule;
mod servers;
mod smtp;
mod web;
