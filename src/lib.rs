//! nomination-intake: the e-mail intake of a call for nominations.
//!
//! Module map (the pipeline reads top to bottom in [`pipeline`]; ARCHITECTURE.md explains the
//! layers and where to add a letter, a staff action, a document format or a call):
//!
//! | module | owns |
//! |---|---|
//! | [`app`] | the application built once from the configuration: database, templates, lexicon, letterhead, outbox |
//! | [`config`] | runtime settings (`config/intake.toml`) and the call definition (`config/calls/*.toml`) |
//! | [`domain`] | validated newtypes (e-mail address, reference) and the typed states with their one Dutch label |
//! | [`mailbox`] | where mail comes from: the [`mailbox::MailSource`] trait, Maildir and IMAP |
//! | [`mail`] | parsing one raw mail with mail-parser into the facts the pipeline needs |
//! | [`clean`] | text from outside made safe to store and show: no control characters, capped lengths |
//! | [`html`] | the one HTML-to-text converter (mail bodies, attachments, partner answers) |
//! | [`classify`] | which kind of mail this is (nomination, auto-reply, bounce, partner reply, other) |
//! | [`documents`] | text, page count and paper size of every document in a mail |
//! | [`assess`] | deadline, page limit, municipality, claims per criterion and verdicts |
//! | [`letters`] | the outgoing letters, rendered from templates in `config/templates/` |
//! | [`outbox`] | delivery of outgoing mail (file or SMTP), exactly once per outbox key |
//! | [`backoff`] | the one retry delay (exponential, with jitter) |
//! | [`consult`] | consultation of the Alliance partners: requests, answers, reminders |
//! | [`digest`] | staff digests and exports (the report) |
//! | [`selection`] | shortlist proposal, decisions, ratification, decision letters |
//! | [`actions`] | staff actions: one function each, one transaction with its audit event |
//! | [`web`] | the staff workspace in the browser (`intake serve`): sign-in, pages, forms that call [`actions`] |
//! | [`store`] | all SQL: SQLite (embedded default) and PostgreSQL |
//! | [`secrets`] | passwords and tokens: where they come from, never shown |
//! | [`pipeline`] | one mail from the mailbox to the database and the outbox |
//! | [`daemon`] | the long-running loops and graceful shutdown |
//! | [`cli`] | the `intake` command line |

pub mod actions;
pub mod app;
pub mod assess;
pub mod backoff;
pub mod classify;
pub mod clean;
pub mod cli;
pub mod config;
pub mod consult;
pub mod daemon;
pub mod digest;
pub mod documents;
pub mod domain;
pub mod html;
pub mod letters;
pub mod mail;
pub mod mailbox;
pub mod outbox;
pub mod pipeline;
pub mod secrets;
pub mod selection;
pub mod store;
pub mod web;
