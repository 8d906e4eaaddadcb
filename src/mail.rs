//! The facts about one raw mail that the pipeline needs, read with mail-parser: who sent it, to
//! whom, subject, ids for threading, the headers that say it is automatic, and the arrival time.
//!
//! It reads headers only (plus the text body for partner replies); documents are read by
//! [`crate::documents`]. Nothing here fails: a mail too broken to parse gives empty facts.

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{HeaderValue, MessageParser, MimeHeaders};

use crate::clean;
use crate::domain::EmailAddress;

/// Most recipients kept from To, Cc, Delivered-To and X-Original-To.
const MAX_RECIPIENTS: usize = 100;
/// Longest header value kept for the automatic-mail and authentication checks (characters).
const MAX_HEADER_CHARS: usize = 8_000;
/// Longest body text kept in the facts (characters): far more than any answer or letter; the
/// documents stage reads the mail again under its own limits.
const MAX_BODY_CHARS: usize = 200_000;

/// What the pipeline knows about a mail from its headers.
#[derive(Debug, Clone, Default)]
pub struct MailFacts {
    /// Whether mail-parser could read the message at all.
    pub parsed: bool,
    pub message_id: Option<String>,
    pub from: Option<EmailAddress>,
    pub from_name: Option<String>,
    pub reply_to: Option<EmailAddress>,
    /// To and Cc addresses, and Delivered-To / X-Original-To.
    pub recipients: Vec<String>,
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    /// The date of the topmost `Received:` header: stamped by our own receiving server.
    pub newest_received: Option<DateTime<Utc>>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// `Auto-Submitted` (RFC 3834), lowercased.
    pub auto_submitted: Option<String>,
    /// `Precedence`, lowercased.
    pub precedence: Option<String>,
    /// Any of List-Id, List-Unsubscribe, List-Post.
    pub is_list: bool,
    /// X-Autoreply, X-Autorespond, X-Auto-Response-Suppress present (Exchange sets the latter on OOF).
    pub autoreply_headers: bool,
    /// `Return-Path: <>` (a null sender: bounces and other automatic notices).
    pub null_sender: bool,
    /// `multipart/report` and its `report-type` (delivery-status, disposition-notification…).
    pub report_type: Option<String>,
    /// Authentication-Results header text (lowercased), when our receiving server added one.
    pub authentication_results: Option<String>,
    /// The message's plain text (or HTML converted by mail-parser), for partner replies.
    pub text: Option<String>,
    pub html: Option<String>,
    /// The mail is nested deeper than the limit: only its top-level headers were read.
    pub too_deep: bool,
}

/// Reads the facts from raw bytes, with the default nesting limit (see [`facts_within`]).
pub fn facts(raw: &[u8]) -> MailFacts {
    facts_within(
        raw,
        crate::documents::Limits::default().max_mime_depth as usize,
    )
}

/// Reads the facts from raw bytes. A mail nested deeper than `max_depth` (multipart parts and
/// attached messages) is never parsed whole: mail-parser builds and drops the whole tree
/// recursively, which overflows the stack on a hostile mail. Its top-level headers are still
/// read (they are parsed without descending), and `too_deep` says why there is no body.
pub fn facts_within(raw: &[u8], max_depth: usize) -> MailFacts {
    if crate::documents::mime_depth_exceeds(raw, max_depth) {
        let Some(msg) = MessageParser::default().parse_headers(raw) else {
            return MailFacts {
                too_deep: true,
                ..MailFacts::default()
            };
        };
        let mut f = headers(&msg);
        f.too_deep = true;
        return f;
    }
    let Some(msg) = MessageParser::default().parse(raw) else {
        return MailFacts::default();
    };
    let mut f = headers(&msg);
    f.text = msg.body_text(0).map(|t| clean::text(&t, MAX_BODY_CHARS));
    f.html = msg.body_html(0).map(|t| clean::text(&t, MAX_BODY_CHARS));
    f
}

/// The facts in a message's top-level headers.
fn headers(msg: &mail_parser::Message<'_>) -> MailFacts {
    let mut f = MailFacts {
        parsed: true,
        ..MailFacts::default()
    };
    f.message_id = msg.message_id().and_then(clean::message_id);
    if let Some(a) = msg.from().and_then(|a| a.first()) {
        f.from = a.address().and_then(EmailAddress::parse);
        f.from_name = a
            .name()
            .map(|n| clean::line(n, clean::MAX_NAME))
            .filter(|n| !n.is_empty());
    }
    f.reply_to = msg
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .and_then(EmailAddress::parse);
    for addr in msg.to().into_iter().chain(msg.cc()) {
        for a in addr.iter() {
            if let Some(x) = a.address()
                && f.recipients.len() < MAX_RECIPIENTS
            {
                f.recipients.push(clean::line(x, 320).to_lowercase());
            }
        }
    }
    for name in ["Delivered-To", "X-Original-To"] {
        for (h, v) in msg.headers_raw() {
            if h.eq_ignore_ascii_case(name) && f.recipients.len() < MAX_RECIPIENTS {
                f.recipients
                    .push(clean::line(v.trim().trim_matches(['<', '>']), 320).to_lowercase());
            }
        }
    }
    f.subject = clean::line(msg.subject().unwrap_or(""), clean::MAX_SUBJECT);
    f.date = msg
        .date()
        .and_then(|d| Utc.timestamp_opt(d.to_timestamp(), 0).single());
    f.newest_received = msg
        .received_all()
        .next()
        .and_then(|r| r.date)
        .and_then(|d| Utc.timestamp_opt(d.to_timestamp(), 0).single());
    f.in_reply_to = clean::message_ids(&id_list(msg.in_reply_to()));
    f.references = clean::message_ids(&id_list(msg.references()));
    let raw_header = |name: &str| {
        msg.headers_raw()
            .find(|(h, _)| h.eq_ignore_ascii_case(name))
            .map(|(_, v)| clean::text(v.trim(), MAX_HEADER_CHARS).to_lowercase())
    };
    f.auto_submitted = raw_header("Auto-Submitted");
    f.precedence = raw_header("Precedence");
    f.is_list = ["List-Id", "List-Unsubscribe", "List-Post"]
        .iter()
        .any(|h| raw_header(h).is_some());
    f.autoreply_headers = [
        "X-Autoreply",
        "X-Autorespond",
        "X-Autorespond-Message",
        "X-Auto-Response-Suppress",
    ]
    .iter()
    .any(|h| raw_header(h).is_some());
    f.null_sender =
        raw_header("Return-Path").is_some_and(|v| v.trim() == "<>" || v.trim().is_empty());
    if let Some(ct) = msg.content_type()
        && ct.ctype().eq_ignore_ascii_case("multipart")
        && ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    {
        f.report_type = Some(ct.attribute("report-type").unwrap_or("").to_lowercase());
    }
    f.authentication_results = raw_header("Authentication-Results");
    f
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Where the arrival time came from, recorded with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrivalSource {
    /// IMAP INTERNALDATE: the server's own arrival time.
    InternalDate,
    /// The topmost `Received:` header.
    Received,
    /// The Maildir file's modification time.
    FileTime,
    /// None of the above: the moment we read it.
    ReadTime,
}

impl ArrivalSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ArrivalSource::InternalDate => "internaldate",
            ArrivalSource::Received => "received_header",
            ArrivalSource::FileTime => "file_time",
            ArrivalSource::ReadTime => "read_time",
        }
    }
}

/// The arrival time that decides the deadline: INTERNALDATE, else the newest Received header,
/// else the file time, else now.
pub fn arrival(
    internal_date: Option<DateTime<Utc>>,
    facts: &MailFacts,
    file_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, ArrivalSource) {
    if let Some(t) = internal_date {
        (t, ArrivalSource::InternalDate)
    } else if let Some(t) = facts.newest_received {
        (t, ArrivalSource::Received)
    } else if let Some(t) = file_time {
        (t, ArrivalSource::FileTime)
    } else {
        (now, ArrivalSource::ReadTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &[u8] =
        b"Received: from mx1.vng.nl by imap.vng.nl; Wed, 21 Mar 2018 23:59:59 +0100\r\n\
Received: from mail.ede.nl by mx1.vng.nl; Wed, 21 Mar 2018 23:50:00 +0100\r\n\
From: \"Jan Jansen\" <J.Jansen@Ede.nl>\r\n\
To: koplopers@vng.nl\r\n\
Subject: Voordracht Ede\r\n\
Date: Wed, 21 Mar 2018 23:40:00 +0100\r\n\
Message-ID: <abc@ede.nl>\r\n\
\r\n\
Hierbij onze voordracht.\r\n";

    #[test]
    fn the_topmost_received_header_is_the_arrival_time() {
        let f = facts(MAIL);
        assert!(f.parsed);
        assert_eq!(f.from.as_ref().unwrap().as_str(), "j.jansen@ede.nl");
        assert_eq!(f.from_name.as_deref(), Some("Jan Jansen"));
        assert_eq!(f.message_id.as_deref(), Some("abc@ede.nl"));
        assert_eq!(
            f.newest_received.unwrap().to_rfc3339(),
            "2018-03-21T22:59:59+00:00"
        );
        assert_eq!(f.date.unwrap().to_rfc3339(), "2018-03-21T22:40:00+00:00");
        let (t, src) = arrival(None, &f, None, Utc::now());
        assert_eq!(src, ArrivalSource::Received);
        assert_eq!(t, f.newest_received.unwrap());
    }

    #[test]
    fn garbage_gives_empty_facts_without_panicking() {
        let f = facts(b"\x00\x01\x02 not a mail");
        assert!(f.from.is_none());
    }
}
