//! Mail from a partner that is not an answer: automatic receipts ("Wij hebben uw e-mail
//! ontvangen en reageren binnen vijf werkdagen"), absence notices, mass mail, and short notes
//! of thanks. They are stored beside the consultation but change nothing: the consultation
//! stays open, the reminder still goes, no thank-you is sent.
//!
//! The rule ([`automatic`]):
//! 1. A text with a verdict, or with an objection, is an answer, whatever its headers say
//!    (a partner answering from a ticket system; "STEUN. Ik ben vanaf morgen afwezig.").
//! 2. Otherwise it is automatic when `Auto-Submitted` is anything but `no`, or `Precedence` is
//!    `auto_reply`, `bulk`, `junk` or `list` (RFC 3834 and mass-mail systems); or
//! 3. its subject or text says it is an absence notice ([`is_out_of_office`]); or
//! 4. its text says it is a receipt: a strong marker alone ("ontvangstbevestiging", "dit is een
//!    automatisch bericht", "reageren binnen vijf werkdagen", "geregistreerd onder nummer"), or
//!    "wij hebben uw e-mail ontvangen" together with an automatic-reply header.
//!
//! `X-Auto-Response-Suppress` alone never decides: Outlook and Exchange set it on ordinary mail
//! too. It counts only beside receipt wording (rule 4), and a verdict always wins (rule 1).

use super::reply::{PartnerVerdict, is_out_of_office};
use super::signals::words;

/// Why a mail is not an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Automatic {
    /// `Auto-Submitted` or `Precedence` says so.
    Header,
    /// An absence notice.
    OutOfOffice,
    /// An automatic receipt.
    Receipt,
}

impl Automatic {
    /// Dutch, for staff.
    pub fn label_nl(self) -> &'static str {
        match self {
            Automatic::Header => "automatisch bericht (volgens de kopregels), geen antwoord",
            Automatic::OutOfOffice => "afwezigheidsbericht, geen antwoord",
            Automatic::Receipt => "automatische ontvangstbevestiging, geen antwoord",
        }
    }
}

/// The headers that say a mail may be automatic (from [`crate::mail::MailFacts`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoHeaders<'a> {
    /// `Auto-Submitted`, lower case.
    pub auto_submitted: Option<&'a str>,
    /// `Precedence`, lower case.
    pub precedence: Option<&'a str>,
    /// `X-Autoreply`, `X-Autorespond` or `X-Auto-Response-Suppress` present.
    pub autoreply_headers: bool,
}

impl AutoHeaders<'_> {
    /// RFC 3834: never answer a mail that says it is automatic.
    pub fn auto_submitted(&self) -> bool {
        self.auto_submitted
            .is_some_and(|v| !v.trim().starts_with("no"))
            || matches!(self.precedence.map(str::trim), Some("auto_reply"))
    }

    fn mass_mail(&self) -> bool {
        matches!(
            self.precedence.map(str::trim),
            Some("bulk" | "junk" | "list")
        )
    }
}

/// Whether a partner's mail is automatic rather than an answer (see the module documentation).
pub fn automatic(
    subject: &str,
    new_text: &str,
    verdict: Option<PartnerVerdict>,
    objects: bool,
    headers: AutoHeaders<'_>,
) -> Option<Automatic> {
    if verdict.is_some() || objects {
        return None;
    }
    if headers.auto_submitted() || headers.mass_mail() {
        return Some(Automatic::Header);
    }
    if is_out_of_office(subject, new_text) {
        return Some(Automatic::OutOfOffice);
    }
    let text = format!("{} {}", subject, new_text).to_lowercase();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let strong = crate::classify::receipt_marker(&text);
    let received = says_received(&text);
    (strong || (received && headers.autoreply_headers)).then_some(Automatic::Receipt)
}

/// "Wij hebben uw e-mail ontvangen", "uw bericht is in goede orde ontvangen".
fn says_received(text: &str) -> bool {
    let ws: Vec<&str> = words(text).map(|w| w.2).collect();
    let mail = |w: &str| {
        matches!(
            w,
            "mail" | "email" | "bericht" | "vraag" | "melding" | "e" | "message" | "request"
        )
    };
    let near = |i: usize, n: usize, word: &str| {
        ws.get(i..ws.len().min(i + n))
            .is_some_and(|w| w.contains(&word))
    };
    (0..ws.len()).any(|i| {
        // "uw e-mail" is three words: uw, e, mail.
        let after = if ws.get(i + 1) == Some(&"e") {
            i + 3
        } else {
            i + 2
        };
        let next_is_mail = ws.get(after - 1).is_some_and(|w| mail(w));
        (ws[i] == "uw"
            && next_is_mail
            && (near(after, 3, "ontvangen") || near(after, 3, "binnengekomen")))
            || (ws[i] == "your" && next_is_mail && near(after, 3, "received"))
    }) || text.contains("in goede orde ontvangen")
}

/// A short note that only thanks ("Dank voor de bevestiging!", "Top, bedankt."): no verdict,
/// nothing else said. Such a note after a counted answer leaves that answer standing.
pub fn is_acknowledgement(new_text: &str, verdict: Option<PartnerVerdict>, objects: bool) -> bool {
    if verdict.is_some() || objects {
        return false;
    }
    const THANKS: &[&str] = &[
        "dank",
        "bedankt",
        "dankjewel",
        "dankuwel",
        "thanks",
        "thank",
        "merci",
    ];
    const FILLER: &[&str] = &[
        "wel",
        "u",
        "je",
        "jullie",
        "you",
        "voor",
        "de",
        "het",
        "uw",
        "jouw",
        "bevestiging",
        "bericht",
        "mail",
        "email",
        "e",
        "reactie",
        "snelle",
        "ontvangst",
        "hartelijk",
        "hartelijke",
        "heel",
        "veel",
        "zeer",
        "erg",
        "fijn",
        "top",
        "super",
        "ok",
        "oké",
        "okay",
        "much",
        "for",
        "the",
        "confirmation",
        "alvast",
        "nogmaals",
    ];
    let lines: Vec<&str> = new_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !super::signals::is_salutation(l))
        .collect();
    // The last line may be a name.
    let body: Vec<&str> = match lines.split_last() {
        Some((last, rest))
            if !rest.is_empty() && words(last).count() <= 3 && !last.contains(['.', '!', ',']) =>
        {
            rest.to_vec()
        }
        _ => lines,
    };
    let text = body.join(" ").to_lowercase();
    let ws: Vec<&str> = words(&text).map(|w| w.2).collect();
    !ws.is_empty()
        && ws.len() <= 10
        && ws.iter().any(|w| THANKS.contains(w))
        && ws.iter().all(|w| THANKS.contains(w) || FILLER.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: AutoHeaders<'static> = AutoHeaders {
        auto_submitted: None,
        precedence: None,
        autoreply_headers: false,
    };
    const SUPPRESS: AutoHeaders<'static> = AutoHeaders {
        auto_submitted: None,
        precedence: None,
        autoreply_headers: true,
    };

    #[test]
    fn a_receipt_with_only_suppress_and_bulk_headers_is_automatic() {
        let text = "Wij hebben uw e-mail ontvangen en reageren binnen vijf werkdagen.";
        let bulk = AutoHeaders {
            precedence: Some("bulk"),
            ..SUPPRESS
        };
        assert_eq!(
            automatic("RE: Vraag om advies", text, None, false, bulk),
            Some(Automatic::Header)
        );
        assert_eq!(
            automatic("RE: Vraag om advies", text, None, false, SUPPRESS),
            Some(Automatic::Receipt)
        );
        assert_eq!(
            automatic("RE: Vraag om advies", text, None, false, NONE),
            Some(Automatic::Receipt),
            "the response time alone marks a receipt"
        );
    }

    #[test]
    fn the_suppress_header_alone_never_makes_a_mail_automatic() {
        assert_eq!(
            automatic(
                "RE: Vraag",
                "Dank voor uw mail, wij komen erop terug.",
                None,
                false,
                SUPPRESS
            ),
            None
        );
        assert_eq!(
            automatic(
                "RE: Vraag",
                "Wij hebben uw mail ontvangen en bespreken hem.",
                None,
                false,
                NONE
            ),
            None,
            "a person may write that too"
        );
    }

    #[test]
    fn a_real_answer_with_a_verdict_counts_whatever_the_headers() {
        let rfc3834 = AutoHeaders {
            auto_submitted: Some("auto-generated"),
            precedence: Some("bulk"),
            autoreply_headers: true,
        };
        assert_eq!(
            automatic(
                "Automatisch antwoord: Vraag",
                "STEUN. Ik ben vanaf morgen afwezig.",
                Some(PartnerVerdict::Support),
                false,
                rfc3834
            ),
            None
        );
        assert_eq!(
            automatic("Re: Vraag", "Zie bijlage.", None, true, rfc3834),
            None,
            "an objection is never dropped"
        );
        assert_eq!(
            automatic("Re: Vraag", "Zie bijlage.", None, false, rfc3834),
            Some(Automatic::Header)
        );
    }

    #[test]
    fn absence_notices_and_english_receipts_are_automatic() {
        assert_eq!(
            automatic("Afwezig: Vraag om advies", "", None, false, NONE),
            Some(Automatic::OutOfOffice)
        );
        assert_eq!(
            automatic(
                "Re: Vraag",
                "Thank you for your message. This is an automated reply; we will respond within two working days.",
                None,
                false,
                NONE
            ),
            Some(Automatic::Receipt)
        );
    }

    #[test]
    fn a_short_note_of_thanks_is_an_acknowledgement_and_nothing_more() {
        assert!(is_acknowledgement("Dank voor de bevestiging!", None, false));
        assert!(is_acknowledgement(
            "Beste VNG,\n\nTop, bedankt.\n\nAnna",
            None,
            false
        ));
        assert!(is_acknowledgement("Thanks!", None, false));
        assert!(!is_acknowledgement(
            "Dank. Wij willen ons antwoord nog wijzigen.",
            None,
            false
        ));
        assert!(!is_acknowledgement("Dank!", None, true));
        assert!(!is_acknowledgement(
            "Dank, wij steunen het.",
            Some(PartnerVerdict::Support),
            false
        ));
        assert!(!is_acknowledgement("", None, false));
    }
}
