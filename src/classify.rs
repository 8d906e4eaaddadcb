//! Which kind of mail this is: a nomination, an automatic reply, a bounce, a partner's answer
//! to a consultation, or something else; and whether it may be answered automatically.
//!
//! Pure: decides from [`MailFacts`] and what the caller knows (our addresses, whether the sender
//! is a partner or the mail carries a consultation token). RFC 3834: never answer a mail whose
//! `Auto-Submitted` is anything but `no`, list mail, bounces, or our own mail.
//!
//! Mail from a partner or with a consultation token is a partner reply even when it looks
//! automatic: the consultation decides (`consult::automatic`), so a receipt is stored beside its
//! consultation without counting, and a real answer sent from a ticket system still counts. It
//! never gets an automatic reply for being automatic. Other mail that only says it is a receipt
//! ("Wij hebben uw e-mail ontvangen en reageren binnen vijf werkdagen") with an automatic-reply
//! header is an auto-reply, not a nomination.

use crate::domain::{EmailAddress, MailKind};
use crate::mail::MailFacts;

/// What the caller knows beyond the headers.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// Our own addresses (the intake address and its aliases), lowercase.
    pub own_addresses: &'a [EmailAddress],
    /// The sender is a registered partner address.
    pub from_partner: bool,
    /// The mail carries a consultation token or replies to a consultation request.
    pub has_consult_token: bool,
}

/// The outcome: the kind and, when no automatic reply may be sent, why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub kind: MailKind,
    /// Why this mail gets no automatic answer (None: it may get one).
    pub no_reply_reason: Option<String>,
}

/// Subject words of automatic replies and absence notices (Outlook, Gmail, Exchange, in Dutch,
/// English and German). The one list: classification and the partner-answer reader use it.
pub const AUTOMATIC_SUBJECTS: &[&str] = &[
    "automatisch antwoord",
    "automatisch bericht",
    "automatische reactie",
    "automatisch beantwoord",
    "automatic reply",
    "auto-reply",
    "autoreply",
    "auto reply",
    "out of office",
    "out-of-office",
    "out of the office",
    "afwezig",
    "niet aanwezig",
    "niet op kantoor",
    "met vakantie",
    "vakantiemelding",
    "abwesend",
    "abwesenheitsnotiz",
    "vacation",
];

const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "delivery failure",
    "mail delivery failed",
    "returned mail",
    "failure notice",
    "onbestelbaar",
    "niet bezorgd",
    "kan niet worden bezorgd",
];

pub fn classify(f: &MailFacts, ctx: &Context<'_>) -> Classification {
    let subject = f.subject.to_lowercase();
    let from_local = f
        .from
        .as_ref()
        .map(|a| a.local().to_string())
        .unwrap_or_default();
    let is_daemon = [
        "mailer-daemon",
        "postmaster",
        "mail-daemon",
        "microsoftexchange",
    ]
    .iter()
    .any(|d| from_local.starts_with(d));

    let report = f.report_type.as_deref();
    if report == Some("delivery-status")
        || (f.null_sender && (is_daemon || BOUNCE_SUBJECTS.iter().any(|s| subject.contains(s))))
        || (is_daemon && BOUNCE_SUBJECTS.iter().any(|s| subject.contains(s)))
    {
        return no_reply(
            MailKind::Bounce,
            "een onbestelbaar-melding (bounce) krijgt geen antwoord",
        );
    }

    if report.is_some() {
        return no_reply(
            MailKind::Other,
            "een leesbevestiging of rapport krijgt geen antwoord",
        );
    }

    if let Some(from) = &f.from
        && ctx.own_addresses.iter().any(|o| o == &from.without_tag())
    {
        return no_reply(
            MailKind::Other,
            "mail van ons eigen adres krijgt geen antwoord",
        );
    }

    if ctx.has_consult_token || ctx.from_partner {
        return Classification {
            kind: MailKind::PartnerReply,
            no_reply_reason: None,
        };
    }

    if says_automatic(f, &subject) {
        return no_reply(
            MailKind::AutoReply,
            "een automatisch antwoord (RFC 3834) krijgt geen antwoord",
        );
    }

    if f.is_list || matches!(f.precedence.as_deref(), Some("list" | "bulk" | "junk")) {
        return no_reply(
            MailKind::Other,
            "mail van een verzendlijst krijgt geen antwoord",
        );
    }
    if f.null_sender || is_daemon {
        return no_reply(MailKind::Other, "mail zonder afzender krijgt geen antwoord");
    }
    if f.from.is_none() {
        return no_reply(
            MailKind::Other,
            "mail zonder geldig afzenderadres krijgt geen antwoord",
        );
    }
    Classification {
        kind: MailKind::Nomination,
        no_reply_reason: None,
    }
}

/// RFC 3834 headers, an automatic subject ("Automatisch antwoord: …") or a receipt. The
/// X-Auto-Response-Suppress header alone is set by Outlook on ordinary mail too: it counts only
/// with a subject or receipt wording that says the mail is automatic.
fn says_automatic(f: &MailFacts, subject: &str) -> bool {
    let auto_submitted = f
        .auto_submitted
        .as_deref()
        .is_some_and(|v| !v.starts_with("no"));
    let auto_subject = AUTOMATIC_SUBJECTS
        .iter()
        .any(|s| subject.starts_with(s) || subject.contains(&format!(": {s}")));
    let auto_precedence = matches!(f.precedence.as_deref(), Some("auto_reply"));
    auto_submitted
        || auto_precedence
        || (f.autoreply_headers && is_receipt(f))
        || (auto_subject && (f.autoreply_headers || f.auto_submitted.is_none()))
}

/// Receipt wording in the subject or the first lines of the text: only the markers no
/// nomination uses ("ontvangstbevestiging", "reageren binnen vijf werkdagen"), asked only of
/// mail with an automatic-reply header.
fn is_receipt(f: &MailFacts) -> bool {
    let text: String = f
        .text
        .as_deref()
        .unwrap_or("")
        .lines()
        .take_while(|l| !l.trim_start().starts_with('>'))
        .take(15)
        .collect::<Vec<_>>()
        .join("\n");
    says_it_is_a_receipt(&f.subject, &text)
}

/// Wording only receipts use (without "we have received your mail", which a person may write
/// too): for mail that is not from a partner.
pub fn says_it_is_a_receipt(subject: &str, text: &str) -> bool {
    let text = format!("{subject} {text}").to_lowercase();
    receipt_marker(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Wording only receipts use.
pub(crate) fn receipt_marker(text: &str) -> bool {
    const MARKS: &[&str] = &[
        "ontvangstbevestiging",
        "dit is een automatisch",
        "dit is een automatische",
        "dit bericht is automatisch",
        "dit e-mailbericht is automatisch",
        "automatisch gegenereerd",
        "automatisch verzonden bericht",
        "u kunt niet reageren op dit bericht",
        "niet beantwoorden",
        "geregistreerd onder nummer",
        "geregistreerd onder kenmerk",
        "geregistreerd onder ticket",
        "ticketnummer",
        "uw melding is ontvangen",
        "uw melding is geregistreerd",
        "this is an automated",
        "this is an automatic",
        "automatically generated",
        "do not reply to this",
        "we have received your request",
        "your ticket",
    ];
    if MARKS.iter().any(|m| text.contains(m)) {
        return true;
    }
    // "reageren binnen vijf werkdagen", "binnen 3 werkdagen een reactie", "within 2 working days".
    let ws: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    ws.windows(3).any(|w| {
        matches!(w[0], "binnen" | "within")
            && (w[1].chars().all(|c| c.is_ascii_digit()) || NUMBERS.contains(&w[1]))
            && matches!(w[2], "werkdagen" | "dagen" | "working" | "business")
    }) && ws.iter().any(|w| {
        matches!(
            *w,
            "reageren" | "reactie" | "antwoord" | "beantwoorden" | "respond" | "reply" | "contact"
        )
    })
}

const NUMBERS: &[&str] = &[
    "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "tien", "two", "three", "four", "five",
    "ten",
];

fn no_reply(kind: MailKind, why: &str) -> Classification {
    Classification {
        kind,
        no_reply_reason: Some(why.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::facts;

    fn kind(raw: &str) -> MailKind {
        let own = [EmailAddress::parse("koplopers@vng.nl").unwrap()];
        classify(
            &facts(raw.as_bytes()),
            &Context {
                own_addresses: &own,
                ..Default::default()
            },
        )
        .kind
    }

    #[test]
    fn auto_submitted_other_than_no_is_an_auto_reply() {
        let m = "From: a@ede.nl\r\nSubject: Afwezig\r\nAuto-Submitted: auto-replied\r\n\r\nIk ben er niet.\r\n";
        assert_eq!(kind(m), MailKind::AutoReply);
        let m = "From: a@ede.nl\r\nSubject: Voordracht\r\nAuto-Submitted: no\r\n\r\nBrief.\r\n";
        assert_eq!(kind(m), MailKind::Nomination);
        let m =
            "From: a@ede.nl\r\nSubject: Voordracht\r\nAuto-Submitted: auto-generated\r\n\r\nx\r\n";
        assert_eq!(kind(m), MailKind::AutoReply);
    }

    #[test]
    fn outlook_automatic_replies_without_the_header_are_recognised_by_subject() {
        let m = "From: a@ede.nl\r\nSubject: Automatisch antwoord: Voordracht Koplopers\r\n\r\nIk ben afwezig.\r\n";
        assert_eq!(kind(m), MailKind::AutoReply);
    }

    #[test]
    fn bounces_lists_and_our_own_mail_get_no_reply() {
        let m = "From: MAILER-DAEMON@mx.ede.nl\r\nReturn-Path: <>\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\nx\r\n";
        assert_eq!(kind(m), MailKind::Bounce);
        let m = "From: a@ede.nl\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n";
        assert_eq!(kind(m), MailKind::Bounce);
        let m = "From: nieuws@lijst.nl\r\nList-Id: <nieuws.lijst.nl>\r\nSubject: Nieuwsbrief\r\n\r\nx\r\n";
        assert_eq!(kind(m), MailKind::Other);
        let m = "From: Koplopers@VNG.nl\r\nSubject: Ontvangen\r\n\r\nx\r\n";
        assert_eq!(kind(m), MailKind::Other);
        let m = "From: a@ede.nl\r\nPrecedence: bulk\r\nSubject: Info\r\n\r\nx\r\n";
        assert_eq!(kind(m), MailKind::Other);
    }

    #[test]
    fn a_receipt_with_only_a_suppress_header_is_an_auto_reply_not_a_nomination() {
        let m = "From: info@ede.nl\r\nSubject: RE: Ontvangen: uw voordracht\r\nX-Auto-Response-Suppress: All\r\n\r\nWij hebben uw e-mail ontvangen en reageren binnen vijf werkdagen.\r\n";
        assert_eq!(kind(m), MailKind::AutoReply);
        // Outlook sets the header on ordinary mail: a nomination stays a nomination.
        let m = "From: a@ede.nl\r\nSubject: Voordracht Ede\r\nX-Auto-Response-Suppress: All\r\n\r\nHierbij onze voordracht. Wij hebben uw oproep ontvangen en gelezen.\r\n";
        assert_eq!(kind(m), MailKind::Nomination);
    }

    #[test]
    fn partner_mail_goes_to_the_consultation_even_when_it_says_it_is_automatic() {
        let own = [EmailAddress::parse("koplopers@vng.nl").unwrap()];
        let m = "From: info@lfb.nl\r\nSubject: Automatisch antwoord: Vraag\r\nAuto-Submitted: auto-replied\r\n\r\nIk ben afwezig.\r\n";
        let c = classify(
            &facts(m.as_bytes()),
            &Context {
                own_addresses: &own,
                from_partner: true,
                has_consult_token: false,
            },
        );
        assert_eq!(c.kind, MailKind::PartnerReply);
        let bounce = "From: MAILER-DAEMON@mx.lfb.nl\r\nReturn-Path: <>\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\n[C-ABCDEFGHJK]\r\n";
        let c = classify(
            &facts(bounce.as_bytes()),
            &Context {
                own_addresses: &own,
                from_partner: false,
                has_consult_token: true,
            },
        );
        assert_eq!(
            c.kind,
            MailKind::Bounce,
            "a bounce of a consultation letter stays a bounce"
        );
    }

    #[test]
    fn a_read_receipt_is_not_a_nomination() {
        let m = "From: a@ede.nl\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n";
        assert_eq!(kind(m), MailKind::Other);
    }
}
