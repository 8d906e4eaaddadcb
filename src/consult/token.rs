//! Reply tokens of the partner consultation: one short random token per (partner, candidate).
//!
//! The token travels three ways, so that an answer still finds its consultation when a mail
//! program drops one of them: in a plus-address Reply-To (`intake+c-<token>@vng.nl`), as a tag in
//! the subject (`[C-<TOKEN>]`), and in the body of the letter (the quoted history of a reply).
//! Tokens are lower case `a-z2-9` without look-alikes (no `i`, `l`, `o`, `0`, `1`) so they survive
//! case-folding mail servers and being read aloud. This module is pure: it never looks a token up;
//! the caller matches the token against the store.
//!
//! The token is also the unguessable part of the Message-ID of every letter of a consultation
//! (`<consult.KVN-0042.iederin.<token>@vng.nl>`, reminders and thank-yous alike), so a reply that
//! kept only In-Reply-To/References still names it; a Message-ID without it (as letters had
//! before) is predictable and never identifies a consultation on its own.

use rand::Rng;

/// Letters a token is made of: lower case, no look-alikes.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Length of a new token: 31^10 ≈ 8·10^14 possibilities (about 49 bits).
pub const TOKEN_LEN: usize = 10;

/// Shortest and longest token `find_token` accepts, so that a future change of [`TOKEN_LEN`]
/// does not orphan answers to letters already sent.
const MIN_LEN: usize = 6;
const MAX_LEN: usize = 32;

/// Prefix of the token in the local part of the plus-address.
const PLUS_PREFIX: &str = "+c-";

/// A new random token (lower case, [`TOKEN_LEN`] characters from `a-z2-9` without look-alikes).
pub fn new_token() -> String {
    let mut rng = rand::rng();
    (0..TOKEN_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The plus-address answers are sent to: `intake@vng.nl` → `intake+c-<token>@vng.nl`.
///
/// An address without `@` is returned unchanged (configuration validation rejects those).
pub fn reply_address(mailbox_address: &str, token: &str) -> String {
    match mailbox_address.rsplit_once('@') {
        Some((local, domain)) => format!(
            "{local}{PLUS_PREFIX}{}@{domain}",
            token.to_ascii_lowercase()
        ),
        None => mailbox_address.to_string(),
    }
}

/// The tag placed in the subject of every consultation letter: `[C-<TOKEN>]`.
pub fn subject_tag(token: &str) -> String {
    format!("[C-{}]", token.to_ascii_uppercase())
}

/// The token of an answer, lower case, looked for in this order: a plus-address among the
/// recipients (To, Cc, Delivered-To…), the subject tag, then a tag or plus-address in the body
/// (usually the quoted letter).
pub fn find_token(recipients: &[&str], subject: &str, text: &str) -> Option<String> {
    recipients
        .iter()
        .find_map(|r| token_in_plus_address(r))
        .or_else(|| token_in_tag(subject))
        .or_else(|| token_in_tag(text))
        .or_else(|| token_in_plus_address(text))
}

/// The Message-ID of a letter of a consultation: `<{kind}.{reference}.{partner}[.{n}].{token}@{domain}>`.
pub fn letter_message_id(
    kind: &str,
    reference: &str,
    partner: &str,
    n: Option<i64>,
    token: &str,
    domain: &str,
) -> String {
    let n = n.map(|n| format!(".{n}")).unwrap_or_default();
    format!(
        "<{kind}.{reference}.{partner}{n}.{}@{domain}>",
        token.to_ascii_lowercase()
    )
}

/// The token in the first of `ids` (In-Reply-To, then References; with or without angle
/// brackets) that is the Message-ID of one of our letters: its domain one of `our_domains`, its
/// first part a letter kind, its last part a token.
pub fn token_in_message_ids(ids: &[String], our_domains: &[&str]) -> Option<String> {
    ids.iter().find_map(|id| {
        let id = id.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, domain) = id.rsplit_once('@')?;
        if !our_domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
            return None;
        }
        let mut parts = local.split('.');
        let kind = parts.next()?;
        if !["consult", "reminder", "thanks"].contains(&kind.to_ascii_lowercase().as_str()) {
            return None;
        }
        let candidate = local.rsplit('.').next()?.to_ascii_lowercase();
        (local.split('.').count() >= 4
            && candidate.len() == TOKEN_LEN
            && candidate.bytes().all(|b| ALPHABET.contains(&b)))
        .then_some(candidate)
    })
}

/// Whether a candidate string has the shape of a token.
fn is_token(candidate: &str) -> bool {
    (MIN_LEN..=MAX_LEN).contains(&candidate.len())
        && candidate.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The first `+c-<token>@` in `s`.
fn token_in_plus_address(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(pos) = rest.find(PLUS_PREFIX) {
        let after = &rest[pos + PLUS_PREFIX.len()..];
        let end = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        let candidate = &after[..end];
        if after[end..].starts_with('@') && is_token(candidate) {
            return Some(candidate.to_string());
        }
        rest = after;
    }
    None
}

/// The first `[C-<TOKEN>]` in `s` (any case, spaces inside the brackets tolerated).
fn token_in_tag(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(pos) = rest.find('[') {
        let after = &rest[pos + 1..];
        let inner_end = after.find(']');
        if let Some(end) = inner_end {
            let inner = after[..end].trim();
            if let Some(candidate) = inner.strip_prefix("c-").map(str::trim)
                && is_token(candidate)
            {
                return Some(candidate.to_string());
            }
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_has_the_documented_shape() {
        for _ in 0..200 {
            let t = new_token();
            assert_eq!(t.len(), TOKEN_LEN);
            assert!(t.bytes().all(|b| ALPHABET.contains(&b)), "{t}");
        }
    }

    #[test]
    fn new_tokens_differ() {
        let tokens: std::collections::HashSet<String> = (0..1000).map(|_| new_token()).collect();
        assert_eq!(tokens.len(), 1000);
    }

    #[test]
    fn the_reply_address_carries_the_token_as_plus_address() {
        assert_eq!(
            reply_address("intake@vng.nl", "ab3k9mnpqr"),
            "intake+c-ab3k9mnpqr@vng.nl"
        );
        assert_eq!(
            reply_address("Intake.Oproep@VNG.nl", "AB3K9MNPQR"),
            "Intake.Oproep+c-ab3k9mnpqr@VNG.nl"
        );
    }

    #[test]
    fn the_subject_tag_is_upper_case_in_brackets() {
        assert_eq!(subject_tag("ab3k9mnpqr"), "[C-AB3K9MNPQR]");
    }

    #[test]
    fn the_token_is_found_in_a_plus_address_among_the_recipients() {
        let to = ["Intake VNG <INTAKE+C-AB3K9MNPQR@vng.nl>", "jan@iederin.nl"];
        assert_eq!(
            find_token(&to, "Re: voordracht", ""),
            Some("ab3k9mnpqr".to_string())
        );
    }

    #[test]
    fn the_token_is_found_in_the_subject_tag_when_the_address_lost_it() {
        assert_eq!(
            find_token(
                &["intake@vng.nl"],
                "RE: [C-AB3K9MNPQR] Consultatie: voordracht gemeente Utrecht",
                ""
            ),
            Some("ab3k9mnpqr".to_string())
        );
        assert_eq!(
            find_token(&[], "Antw: [ c-ab3k9mnpqr ] Consultatie", ""),
            Some("ab3k9mnpqr".to_string())
        );
    }

    #[test]
    fn the_token_is_found_in_the_quoted_letter_when_subject_and_address_lost_it() {
        let body = "STEUN\n\n> Kenmerk: KVN-0042 [C-AB3K9MNPQR]\n> Vraag...";
        assert_eq!(
            find_token(&["intake@vng.nl"], "Re: voordracht", body),
            Some("ab3k9mnpqr".to_string())
        );
        let outlook = "Van: Intake VNG <intake+c-ab3k9mnpqr@vng.nl>\nVerzonden: dinsdag";
        assert_eq!(
            find_token(&[], "Re: voordracht", outlook),
            Some("ab3k9mnpqr".to_string())
        );
    }

    #[test]
    fn the_recipient_token_wins_over_an_older_one_in_the_subject() {
        assert_eq!(
            find_token(&["intake+c-newtoken22@vng.nl"], "Re: [C-OLDTOKEN33]", ""),
            Some("newtoken22".to_string())
        );
    }

    #[test]
    fn our_letters_carry_the_token_in_their_message_id() {
        let id = letter_message_id(
            "consult",
            "KVN-0042",
            "iederin",
            None,
            "ab3k9mnpqr",
            "vng.nl",
        );
        assert_eq!(id, "<consult.KVN-0042.iederin.ab3k9mnpqr@vng.nl>");
        let thanks = letter_message_id(
            "thanks",
            "KVN-0042",
            "iederin",
            Some(2),
            "ab3k9mnpqr",
            "vng.nl",
        );
        assert_eq!(thanks, "<thanks.KVN-0042.iederin.2.ab3k9mnpqr@vng.nl>");
        let found = |ids: &[&str]| {
            let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            token_in_message_ids(&ids, &["vng.nl"])
        };
        assert_eq!(found(&[&id]), Some("ab3k9mnpqr".into()));
        assert_eq!(
            found(&["CAF123@mail.gmail.com", thanks.trim_matches(['<', '>'])]),
            Some("ab3k9mnpqr".into())
        );
        assert_eq!(
            found(&["consult.KVN-0042.iederin@vng.nl"]),
            None,
            "the old, guessable form"
        );
        assert_eq!(
            found(&["consult.KVN-0042.iederin.ab3k9mnpqr@evil.example"]),
            None
        );
        assert_eq!(found(&["confirmation.KVN-0042.x.ab3k9mnpqr@vng.nl"]), None);
        assert_eq!(found(&["consult.KVN-0042.iederin.ab3k9mnpq1@vng.nl"]), None);
    }

    #[test]
    fn text_without_a_token_gives_none() {
        assert_eq!(
            find_token(
                &["intake@vng.nl", "iemand+nieuwsbrief@example.nl"],
                "Re: [KVN-0042] voordracht [C-]",
                "Zie [C-x] en intake+c-@vng.nl en [C-ab3k9mnpqr"
            ),
            None
        );
    }
}
