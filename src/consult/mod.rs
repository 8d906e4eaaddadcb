//! Consultation of the Alliance partners: requests, answers, reminders (being written by the lead).

pub mod letters;
pub mod reply;
pub mod token;
