//! Validated values the rest of the code relies on: an e-mail address, a submission reference,
//! a municipality code, the kind of a mail and the status of a message. Each has a private field
//! and a `parse` constructor, so code that holds one never checks it again.

use std::fmt;

/// A syntactically valid e-mail address, stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Accepts `local@domain` with a dot-free or dotted domain, no spaces, no angle brackets.
    pub fn parse(s: &str) -> Option<EmailAddress> {
        let s = s
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        let (local, domain) = s.rsplit_once('@')?;
        let ok_local = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',');
        let ok_domain = !domain.is_empty()
            && domain.len() <= 253
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.chars().all(|c| {
                c.is_alphanumeric() || c == '.' || c == '-' || c == '[' || c == ']' || c == ':'
            });
        (ok_local && ok_domain).then(|| EmailAddress(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local(&self) -> &str {
        self.0.rsplit_once('@').map(|(l, _)| l).unwrap_or("")
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }

    /// The address without a `+tag` in the local part (`intake+c-x@vng.nl` → `intake@vng.nl`).
    pub fn without_tag(&self) -> EmailAddress {
        match self.local().split_once('+') {
            Some((base, _)) => EmailAddress(format!("{base}@{}", self.domain())),
            None => self.clone(),
        }
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A submission reference such as `KVN-0042`: a configured prefix and a sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference(String);

impl Reference {
    pub fn new(prefix: &str, number: i64) -> Reference {
        Reference(format!("{prefix}-{number:04}"))
    }

    /// Accepts `PREFIX-1234` (case-insensitive; stored uppercase).
    pub fn parse(s: &str) -> Option<Reference> {
        let s = s.trim().to_uppercase();
        let (prefix, number) = s.rsplit_once('-')?;
        let ok = !prefix.is_empty()
            && prefix.chars().all(|c| c.is_ascii_alphanumeric())
            && !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit());
        ok.then_some(Reference(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A CBS municipality code, `GM` and four digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    pub fn parse(s: &str) -> Option<MunicipalityCode> {
        let s = s.trim().to_uppercase();
        let digits = s.strip_prefix("GM")?;
        (digits.len() == 4 && digits.chars().all(|c| c.is_ascii_digit()))
            .then_some(MunicipalityCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Implements `as_str`/`parse` round trips and the database mapping (a TEXT column holding
/// `as_str`) for a closed set of states, so rows carry the enum, not a string.
macro_rules! text_state {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The word stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }

            /// The state stored as `s`, if it is one.
            pub fn parse(s: &str) -> Option<$ty> {
                match s {
                    $($text => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl sqlx::Type<sqlx::Sqlite> for $ty {
            fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                <String as sqlx::Type<sqlx::Sqlite>>::type_info()
            }
            fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
            }
        }

        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <String as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for $ty {
            fn decode(
                value: sqlx::sqlite::SqliteValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <String as sqlx::Decode<sqlx::Sqlite>>::decode(value)?;
                $ty::parse(&s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($ty)).into())
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <String as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                $ty::parse(&s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($ty)).into())
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Sqlite> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Sqlite as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<sqlx::Sqlite>>::encode(self.as_str().to_string(), buf)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Postgres> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }
    };
}

/// What a mail is, decided by [`crate::classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Nomination,
    AutoReply,
    Bounce,
    PartnerReply,
    /// Mail from a list, from ourselves, a read receipt, or empty: stored, not answered.
    Other,
}

text_state!(MailKind {
    Nomination => "nomination",
    AutoReply => "auto_reply",
    Bounce => "bounce",
    PartnerReply => "partner_reply",
    Other => "other",
});

impl MailKind {
    /// The one Dutch label staff read.
    pub fn label_nl(self) -> &'static str {
        match self {
            MailKind::Nomination => "voordracht",
            MailKind::AutoReply => "automatisch antwoord",
            MailKind::Bounce => "onbestelbaar",
            MailKind::PartnerReply => "antwoord van een partner",
            MailKind::Other => "overig",
        }
    }
}

/// The recorded end state of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    Processed,
    /// Could not be processed; the reason is recorded and the mail is in the quarantine folder.
    Quarantined,
    /// The same mail was stored before (same Message-ID or same bytes).
    Duplicate,
}

text_state!(MessageStatus {
    Processed => "processed",
    Quarantined => "quarantined",
    Duplicate => "duplicate",
});

impl MessageStatus {
    /// The one Dutch label staff read.
    pub fn label_nl(self) -> &'static str {
        match self {
            MessageStatus::Processed => "verwerkt",
            MessageStatus::Quarantined => "in quarantaine",
            MessageStatus::Duplicate => "dubbel",
        }
    }
}

/// What a letter in the outbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LetterKind {
    /// The confirmation of a nomination, to its sender.
    Confirmation,
    /// A request for advice to a partner or local contact.
    Consultation,
    /// A reminder of a request for advice.
    Reminder,
    /// The thank-you for an answer.
    Thanks,
    /// The digest report to staff.
    Digest,
    /// An alert to staff (a mail that could not be recorded, a stuck mailbox).
    Alert,
    /// The decision letter: chosen as koploper.
    Selected,
    /// The decision letter: not chosen.
    NotSelected,
}

text_state!(LetterKind {
    Confirmation => "confirmation",
    Consultation => "consultation",
    Reminder => "reminder",
    Thanks => "thanks",
    Digest => "digest",
    Alert => "alert",
    Selected => "selected",
    NotSelected => "not_selected",
});

impl LetterKind {
    /// The automatic replies: letters that answer an incoming mail, counted by the caps.
    pub const REPLIES: [LetterKind; 2] = [LetterKind::Confirmation, LetterKind::Thanks];

    /// The one Dutch label staff read.
    pub fn label_nl(self) -> &'static str {
        match self {
            LetterKind::Confirmation => "ontvangstbevestiging",
            LetterKind::Consultation => "adviesvraag",
            LetterKind::Reminder => "herinnering",
            LetterKind::Thanks => "bedankje",
            LetterKind::Digest => "overzicht voor de staf",
            LetterKind::Alert => "waarschuwing aan de staf",
            LetterKind::Selected => "besluitbrief: gekozen",
            LetterKind::NotSelected => "besluitbrief: niet gekozen",
        }
    }

    /// Whether this is a decision letter.
    pub fn is_decision(self) -> bool {
        matches!(self, LetterKind::Selected | LetterKind::NotSelected)
    }
}

/// Where a letter in the outbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    /// Waiting to be sent (again).
    Pending,
    /// Accepted by the mail server.
    Sent,
    /// Given up after the last attempt, or refused for good.
    Failed,
}

text_state!(OutboxStatus { Pending => "pending", Sent => "sent", Failed => "failed" });

impl OutboxStatus {
    /// The one Dutch label staff read.
    pub fn label_nl(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "in de wachtrij",
            OutboxStatus::Sent => "verzonden",
            OutboxStatus::Failed => "mislukt",
        }
    }
}

/// The advice on one criterion (or the principle): found with evidence, partly, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Clear evidence: a concrete, existing fact.
    Met,
    /// Evidence that is thin, only intended, or uncertain: a person should look.
    Weak,
    /// No evidence found.
    NotFound,
}

text_state!(Verdict { Met => "met", Weak => "weak", NotFound => "not_found" });

impl Verdict {
    /// The Dutch label staff read: the word of [`Verdict::word_nl`], for `weak` with the
    /// reminder that a person checks it.
    pub fn label_nl(self) -> &'static str {
        match self {
            Verdict::Weak => "deels (controleer)",
            v => v.word_nl(),
        }
    }

    /// The one Dutch word for the verdict ("voldoet", "deels", "niet gevonden"), as partners
    /// read it in a request for advice and staff in the digest's chart.
    pub fn word_nl(self) -> &'static str {
        match self {
            Verdict::Met => "voldoet",
            Verdict::Weak => "deels",
            Verdict::NotFound => "niet gevonden",
        }
    }

    /// Its weight in a letter's strength: met 1, weak ½, not found 0.
    pub fn score(self) -> f64 {
        match self {
            Verdict::Met => 1.0,
            Verdict::Weak => 0.5,
            Verdict::NotFound => 0.0,
        }
    }
}

/// The pre-assessment, the call's selection threshold, in one place: at least `minimum`
/// criteria met and (when required) the principle met. Only `met` counts; `weak` is for a
/// person to judge.
pub fn meets_minimum(
    criteria_met: usize,
    principle_met: bool,
    minimum: usize,
    require_principle: bool,
) -> bool {
    criteria_met >= minimum && (principle_met || !require_principle)
}

/// A staff decision on one nomination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Chosen as a koploper.
    Selected,
    /// Not chosen now; first in line if a selected one drops out.
    Reserve,
    /// Not chosen.
    Rejected,
}

text_state!(Decision { Selected => "selected", Reserve => "reserve", Rejected => "rejected" });

impl Decision {
    /// The one Dutch label.
    pub fn label_nl(self) -> &'static str {
        match self {
            Decision::Selected => "gekozen",
            Decision::Reserve => "reserve",
            Decision::Rejected => "niet gekozen",
        }
    }
}

/// What a signed-in person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Policy officers: review, correct, consult, decide, send the decision letters.
    Staff,
    /// One of the call's office holders: reads everything and ratifies the selection.
    OfficeHolder,
    /// Reads everything, changes nothing.
    ReadOnly,
}

impl Role {
    /// The word stored in the database (and given on the command line).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::OfficeHolder => "office-holder",
            Role::ReadOnly => "read-only",
        }
    }

    /// The role stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "staff" => Some(Role::Staff),
            "office-holder" => Some(Role::OfficeHolder),
            "read-only" => Some(Role::ReadOnly),
            _ => None,
        }
    }

    /// The one Dutch label.
    pub fn label_nl(self) -> &'static str {
        match self {
            Role::Staff => "medewerker",
            Role::OfficeHolder => "bestuurder",
            Role::ReadOnly => "alleen lezen",
        }
    }

    /// May change nominations: municipality, advice, consultation, objections, decisions.
    pub fn can_act(self) -> bool {
        self == Role::Staff
    }

    /// May ratify the selection (and only in the office holder's own name).
    pub fn can_ratify(self) -> bool {
        self == Role::OfficeHolder
    }

    /// May send the decision letters once both office holders ratified.
    pub fn can_send_letters(self) -> bool {
        matches!(self, Role::Staff | Role::OfficeHolder)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a staff action was refused. Everything but [`ActionError::Other`] is the person's to
/// fix; `Other` is a failure (database, outbox) with its cause chain.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// What was looked for: "nomination KVN-0009", "answer 12", "contact 3".
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{given:?} is not an office holder of this call; use one of: {}", valid.join("; "))]
    UnknownOfficeHolder { given: String, valid: Vec<String> },
    #[error("the selection was already ratified by {}; decisions can no longer change", .0.join("; "))]
    AlreadyRatified(Vec<String>),
    #[error("{} current nomination(s) have no decision yet: {}", .0.len(), .0.join(", "))]
    Undecided(Vec<String>),
    #[error("no nomination is selected; there is nothing to ratify")]
    NothingSelected,
    #[error("the selection is not ratified yet by: {}", .0.join("; "))]
    NotRatified(Vec<String>),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_parsed_lowercase_and_plus_tags_can_be_removed() {
        let a = EmailAddress::parse("<Intake+c-ab12@VNG.nl>").unwrap();
        assert_eq!(a.as_str(), "intake+c-ab12@vng.nl");
        assert_eq!(a.without_tag().as_str(), "intake@vng.nl");
        assert_eq!(a.domain(), "vng.nl");
        assert!(EmailAddress::parse("geen adres").is_none());
        assert!(EmailAddress::parse("a@").is_none());
    }

    #[test]
    fn references_and_codes_reject_malformed_text() {
        assert_eq!(Reference::new("KVN", 7).as_str(), "KVN-0007");
        assert_eq!(Reference::parse("kvn-0042").unwrap().as_str(), "KVN-0042");
        assert!(Reference::parse("KVN0042").is_none());
        assert_eq!(
            MunicipalityCode::parse("gm0363").unwrap().as_str(),
            "GM0363"
        );
        assert!(MunicipalityCode::parse("GM363").is_none());
    }
}

/// A partner's (or local contact's) answer to the consultation question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerVerdict {
    /// STEUN: supports the nomination (also "geen bezwaar").
    Support = 0,
    /// BEZWAAR: objects; objections weigh heavily.
    Objection = 1,
    /// GEEN OORDEEL: abstains.
    NoOpinion = 2,
}

text_state!(PartnerVerdict { Support => "support", Objection => "objection", NoOpinion => "no_opinion" });

impl PartnerVerdict {
    /// All verdicts, in the order letters list them.
    pub const ALL: [PartnerVerdict; 3] = [Self::Support, Self::Objection, Self::NoOpinion];

    /// The one Dutch label (letters and staff output).
    pub fn label_nl(self) -> &'static str {
        match self {
            Self::Support => "steun",
            Self::Objection => "bezwaar",
            Self::NoOpinion => "geen oordeel",
        }
    }

    /// The word staff type: `steun`, `bezwaar`, `geen-oordeel` (also the stored English words).
    pub fn from_staff_word(s: &str) -> Option<Self> {
        match s.trim().to_lowercase().replace(['_', ' '], "-").as_str() {
            "steun" | "support" => Some(Self::Support),
            "bezwaar" | "objection" => Some(Self::Objection),
            "geen-oordeel" | "no-opinion" => Some(Self::NoOpinion),
            _ => None,
        }
    }
}

/// What became of a partner answer (`consultation_answers.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnswerStatus {
    /// Its verdict is the consultation's verdict.
    Counted,
    /// Authentic but unclear: the consultation needs reading by staff.
    NeedsReading,
    /// Not counted; staff decide (see [`HoldReason`]).
    Held,
    /// A receipt, absence notice or mass mail: not an answer.
    Automatic,
    /// A note of thanks only: not an answer, the verdict stands.
    Note,
    /// Staff decided it does not count (with a note).
    Rejected,
}

text_state!(AnswerStatus {
    Counted => "counted",
    NeedsReading => "needs_reading",
    Held => "held",
    Automatic => "automatic",
    Note => "note",
    Rejected => "rejected",
});

impl AnswerStatus {
    pub const ALL: [AnswerStatus; 6] = [
        Self::Counted,
        Self::NeedsReading,
        Self::Held,
        Self::Automatic,
        Self::Note,
        Self::Rejected,
    ];

    /// The one Dutch label.
    pub fn label_nl(self) -> &'static str {
        match self {
            Self::Counted => "geteld",
            Self::NeedsReading => "lees zelf",
            Self::Held => "vastgehouden",
            Self::Automatic => "automatisch bericht",
            Self::Note => "alleen een bedankje",
            Self::Rejected => "telt niet (besluit medewerker)",
        }
    }

    /// Whether the answer set the consultation's state (the `accepted` column).
    pub fn sets_consultation(self) -> bool {
        matches!(self, Self::Counted | Self::NeedsReading)
    }
}

/// Why an answer is held (`consultation_answers.hold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldReason {
    /// No consultation found at all.
    Unmatched,
    /// Found by the reference in the subject only: no token, no reply to our letter.
    NoTokenOrThread,
    /// The From header is not one registered address of the consultation's partner.
    UnregisteredSender,
    /// The sender's domain was not authenticated.
    NotAuthentic,
}

text_state!(HoldReason {
    Unmatched => "unmatched",
    NoTokenOrThread => "no_token_or_thread",
    UnregisteredSender => "unregistered_sender",
    NotAuthentic => "not_authentic",
});

impl HoldReason {
    pub const ALL: [HoldReason; 4] = [
        Self::Unmatched,
        Self::NoTokenOrThread,
        Self::UnregisteredSender,
        Self::NotAuthentic,
    ];
}

/// The stored state of one consultation (`consultations.state`); what the verdict is lives
/// beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsultationState {
    Sent,
    Reminded,
    Answered,
    NoAnswer,
}

text_state!(ConsultationState {
    Sent => "sent",
    Reminded => "reminded",
    Answered => "answered",
    NoAnswer => "no_answer",
});

/// Where a local contact stands (`local_contacts.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Named in the letter; staff have not confirmed it (it usually has no address yet).
    Proposed,
    /// Confirmed by staff with an address: consulted like a partner.
    Confirmed,
    /// Staff decided not to consult it.
    Dismissed,
}

text_state!(ContactStatus {
    Proposed => "proposed",
    Confirmed => "confirmed",
    Dismissed => "dismissed",
});

impl ContactStatus {
    /// The one Dutch label.
    pub fn label_nl(self) -> &'static str {
        match self {
            Self::Proposed => "voorgesteld (uit de brief)",
            Self::Confirmed => "bevestigd",
            Self::Dismissed => "niet raadplegen",
        }
    }
}

/// The prefix of a consultation's `partner_id` when the one consulted is a local contact:
/// `local-<contact id>`.
pub const LOCAL_PREFIX: &str = "local-";

/// Where one consultation stands, as staff see it: asked, reminded, the verdict of the answer
/// that counts, an answer to read, or closed without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Sent,
    Reminded,
    Support,
    Objection,
    NoOpinion,
    NeedsReading,
    NoAnswer,
}

text_state!(Standing {
    Sent => "sent",
    Reminded => "reminded",
    Support => "support",
    Objection => "objection",
    NoOpinion => "no_opinion",
    NeedsReading => "needs_reading",
    NoAnswer => "no_answer",
});

impl Standing {
    /// The one Dutch label.
    pub fn label_nl(self) -> &'static str {
        match self {
            Self::Sent => "gevraagd, nog geen antwoord",
            Self::Reminded => "herinnering gestuurd",
            Self::Support => "steunt",
            Self::Objection => "BEZWAAR",
            Self::NoOpinion => "geen oordeel",
            Self::NeedsReading => "antwoord niet herkend, lees het zelf",
            Self::NoAnswer => "geen antwoord",
        }
    }

    /// Order for staff: what needs them first (objections, answers to read), then the rest.
    pub fn rank(self) -> u8 {
        match self {
            Self::Objection => 0,
            Self::NeedsReading => 1,
            Self::NoAnswer => 2,
            Self::Reminded => 3,
            Self::Sent => 4,
            Self::NoOpinion => 5,
            Self::Support => 6,
        }
    }
}

#[cfg(test)]
mod state_tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_stored_words() {
        for v in [Verdict::Met, Verdict::Weak, Verdict::NotFound] {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
        for d in [Decision::Selected, Decision::Reserve, Decision::Rejected] {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
        assert_eq!(Decision::parse("gekozen"), None);
    }

    #[test]
    fn the_pre_assessment_needs_the_minimum_and_the_principle() {
        assert!(meets_minimum(2, true, 2, true));
        assert!(!meets_minimum(2, false, 2, true));
        assert!(meets_minimum(2, false, 2, false));
        assert!(!meets_minimum(1, true, 2, true));
    }
}
