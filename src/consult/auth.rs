//! Whether a partner's answer really comes from the partner's mail domain: the
//! `Authentication-Results` header (RFC 8601) that **our own** receiving server added, or, when
//! there is none, the partner's DKIM signature verified here with `mail-auth`.
//!
//! Rules, in this order:
//! 1. Only the topmost `Authentication-Results` header whose authserv-id is the configured
//!    `[mailbox] trusted_authserv_id` is read; headers with any other authserv-id (the sender's
//!    own server, a relay, a forger) are ignored. Microsoft 365 writes its header without an
//!    authserv-id (`spf=pass (sender IP is …) smtp.mailfrom=…; dkim=…`): configured as
//!    `"microsoft-365"`, the topmost header without one is read. A receiving server prepends its
//!    header, so anything the sender added sits below it.
//! 2. The header is parsed per RFC 8601: comments and quoted strings are skipped, each
//!    `method=result` with its properties is read; words elsewhere never count.
//! 3. Authentic: `dmarc=pass` (with `header.from`, when given, equal to the From domain), or a
//!    `dkim=pass` whose `header.d` (or `header.i`) is aligned with the From domain (relaxed: the
//!    same name, or one a subdomain of the other with at least two labels left). `dmarc=fail`
//!    is never outweighed. SPF alone never counts (it authenticates the envelope, not From).
//! 4. No trusted header: the DKIM signatures are verified here ([`DkimVerification`]); an
//!    aligned passing signature counts (what DMARC's DKIM half asks; its SPF half needs the
//!    connecting IP address, which only the receiving server saw). Anything else is not
//!    authentic and the answer is held.
//!
//! The From header itself is checked by the caller: exactly one From header with exactly one
//! address ([`SenderFacts`]). This module never logs header contents.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use mail_auth::common::parse::TxtRecordParser as _;
use mail_auth::common::verify::DomainKey;
use mail_auth::{
    AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt,
};

/// Value of `trusted_authserv_id` meaning "Microsoft 365: the header has no authserv-id".
pub const MICROSOFT_365: &str = "microsoft-365";

/// Longest an answer's own DKIM verification may take (DNS included).
const VERIFY_TIMEOUT: Duration = Duration::from_secs(20);

pub use crate::config::DkimVerification;

/// What the authentication settings say (from `[mailbox]`).
#[derive(Debug, Clone, Default)]
pub struct AuthSettings<'a> {
    pub trusted_authserv_id: Option<&'a str>,
    pub verify_dkim: DkimVerification,
    pub dkim_keys_file: Option<&'a Path>,
}

impl AuthSettings<'_> {
    /// The settings of `[mailbox]` this module needs.
    pub fn of(m: &crate::config::MailboxSettings) -> AuthSettings<'_> {
        AuthSettings {
            trusted_authserv_id: m.trusted_authserv_id.as_deref(),
            verify_dkim: m.verify_dkim,
            dkim_keys_file: m.dkim_keys_file.as_deref(),
        }
    }
}

/// One `method=result` of an `Authentication-Results` header with its properties
/// (`header.d`, `smtp.mailfrom`, `action`…), names lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    pub method: String,
    pub result: String,
    pub props: Vec<(String, String)>,
}

impl MethodResult {
    fn prop(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A parsed `Authentication-Results` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResults {
    /// `None`: the header starts with a result (Microsoft 365).
    pub authserv_id: Option<String>,
    pub results: Vec<MethodResult>,
}

/// Why the sender counts as the partner's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// Our receiving server evaluated DMARC and it passed.
    Dmarc,
    /// Our receiving server verified a DKIM signature of this domain, aligned with From.
    DkimAligned(String),
    /// We verified a DKIM signature of this domain ourselves, aligned with From.
    DkimVerifiedHere(String),
}

/// Why an answer is not authentic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No usable From domain (none, several From headers or addresses).
    AmbiguousFrom,
    /// Our server says DMARC failed.
    DmarcFail,
    /// DMARC passed for another domain than the From header's.
    DmarcOtherDomain(String),
    /// A DKIM signature passed, but of a domain not aligned with From.
    NotAligned(String),
    /// The trusted header has no passing DMARC or DKIM result.
    NoPass,
    /// No trusted header and verifying here is off or not configured.
    NoTrustedHeader,
    /// No trusted header, and the mail has no DKIM signature.
    Unsigned,
    /// No trusted header, and no signature verified for the From domain.
    SignatureFailed(String),
    /// No trusted header, and the key could not be looked up (DNS, pinned keys).
    KeyUnavailable(String),
}

impl Failure {
    /// Dutch, for staff: why the answer was held.
    pub fn reason_nl(&self) -> String {
        match self {
            Failure::AmbiguousFrom => {
                "de afzender is niet eenduidig (geen of meer dan één From)".into()
            }
            Failure::DmarcFail => {
                "onze mailserver vond de afzender vervalst (DMARC mislukt)".into()
            }
            Failure::DmarcOtherDomain(d) => {
                format!("DMARC slaagde voor een ander domein ({d}) dan de afzender")
            }
            Failure::NotAligned(d) => {
                format!("alleen een DKIM-handtekening van een ander domein ({d}) dan de afzender")
            }
            Failure::NoPass => {
                "onze mailserver kon de afzender niet bevestigen (geen DKIM of DMARC geslaagd)"
                    .into()
            }
            Failure::NoTrustedHeader => {
                "geen controle van onze eigen mailserver (Authentication-Results) gevonden".into()
            }
            Failure::Unsigned => {
                "geen controle van onze mailserver en geen DKIM-handtekening om te controleren"
                    .into()
            }
            Failure::SignatureFailed(why) => {
                format!("de DKIM-handtekening klopt niet voor de afzender ({why})")
            }
            Failure::KeyUnavailable(why) => {
                format!("de DKIM-sleutel van de afzender was niet op te halen ({why})")
            }
        }
    }
}

/// The outcome of the authentication of one answer.
pub type Authenticity = Result<Basis, Failure>;

/// Short English description of an outcome, for the audit trail (no header contents).
pub fn describe(a: &Authenticity) -> String {
    match a {
        Ok(Basis::Dmarc) => "dmarc=pass (trusted receiving server)".into(),
        Ok(Basis::DkimAligned(d)) => format!("dkim=pass d={d} (trusted receiving server)"),
        Ok(Basis::DkimVerifiedHere(d)) => format!("dkim=pass d={d} (verified by intake)"),
        Err(f) => format!("not authentic: {f:?}"),
    }
}

/// The From header as written: how many From headers, and their addresses exactly as they
/// appear (not case-folded: `K` U+212A KELVIN SIGN lowercases to an ASCII `k`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderFacts {
    pub from_headers: usize,
    pub addresses: Vec<String>,
}

impl SenderFacts {
    /// The one From address, when there is exactly one header with exactly one ASCII address.
    pub fn single_address(&self) -> Option<&str> {
        match (self.from_headers, self.addresses.as_slice()) {
            (1, [a]) if a.is_ascii() && !a.is_empty() => Some(a.as_str()),
            _ => None,
        }
    }

    /// The domain of [`single_address`](Self::single_address), lower case.
    pub fn from_domain(&self) -> Option<String> {
        let a = self.single_address()?;
        let (_, d) = a.rsplit_once('@')?;
        (!d.is_empty()).then(|| d.trim_end_matches('.').to_ascii_lowercase())
    }
}

/// What the intake knows about an answer's origin, collected before its transaction.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub sender: SenderFacts,
    pub authenticity: Authenticity,
}

impl Evidence {
    /// Evidence of nothing: not authentic (used when none could be collected).
    pub fn none() -> Evidence {
        Evidence {
            sender: SenderFacts::default(),
            authenticity: Err(Failure::NoTrustedHeader),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 8601 parsing

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Quoted(String),
    Semi,
    Eq,
}

/// Tokens of a header value: comments (nested, with `\` escapes) dropped, quoted strings kept
/// whole, `;` and `=` on their own, everything else split at white space.
fn lex(value: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = value.chars().peekable();
    let flush = |word: &mut String, out: &mut Vec<Tok>| {
        if !word.is_empty() {
            out.push(Tok::Word(std::mem::take(word)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                flush(&mut word, &mut out);
                let mut depth = 1;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            '"' => {
                flush(&mut word, &mut out);
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                s.push(n);
                            }
                        }
                        '"' => break,
                        _ => s.push(c),
                    }
                }
                out.push(Tok::Quoted(s));
            }
            ';' => {
                flush(&mut word, &mut out);
                out.push(Tok::Semi);
            }
            '=' => {
                flush(&mut word, &mut out);
                out.push(Tok::Eq);
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Parses one `Authentication-Results` value (RFC 8601, leniently: unknown parts of a result
/// are skipped up to the next `;`, never read as results). `None` when it has no authserv-id
/// and no result either.
pub fn parse_authentication_results(value: &str) -> Option<AuthResults> {
    let toks = lex(value);
    let mut i = 0;
    // Microsoft 365: the first token is already `method=result`.
    let authserv_id = match (toks.first(), toks.get(1)) {
        (Some(Tok::Word(_)), Some(Tok::Eq)) => None,
        (Some(Tok::Word(w) | Tok::Quoted(w)), _) => {
            i = 1;
            Some(w.to_ascii_lowercase())
        }
        _ => return None,
    };
    // An optional version number after the authserv-id.
    if authserv_id.is_some()
        && let Some(Tok::Word(v)) = toks.get(i)
        && v.bytes().all(|b| b.is_ascii_digit())
    {
        i += 1;
    }
    let mut results = Vec::new();
    // Split the rest at `;` into resinfo groups.
    for group in toks[i..].split(|t| *t == Tok::Semi) {
        if let Some(r) = parse_resinfo(group) {
            results.push(r);
        }
    }
    Some(AuthResults {
        authserv_id,
        results,
    })
}

/// `method[/version]=result [reason=…] [ptype.property=value]…`
fn parse_resinfo(group: &[Tok]) -> Option<MethodResult> {
    let (Some(Tok::Word(method)), Some(Tok::Eq), Some(Tok::Word(result))) =
        (group.first(), group.get(1), group.get(2))
    else {
        return None;
    };
    let method = method
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut props = Vec::new();
    let mut k = 3;
    while k < group.len() {
        match (group.get(k), group.get(k + 1), group.get(k + 2)) {
            (Some(Tok::Word(name)), Some(Tok::Eq), Some(Tok::Word(v) | Tok::Quoted(v))) => {
                props.push((name.to_ascii_lowercase(), v.clone()));
                k += 3;
            }
            _ => k += 1,
        }
    }
    Some(MethodResult {
        method,
        result: result.to_ascii_lowercase(),
        props,
    })
}

/// Which receiving server the configuration trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Receiver {
    Id(String),
    Microsoft365,
}

fn receiver(configured: &str) -> Option<Receiver> {
    let c = configured.trim();
    if c.is_empty() {
        None
    } else if c.eq_ignore_ascii_case(MICROSOFT_365) {
        Some(Receiver::Microsoft365)
    } else {
        Some(Receiver::Id(c.to_ascii_lowercase()))
    }
}

/// The trusted header among `headers` (values of every `Authentication-Results`, top first):
/// the first one written by our receiving server.
pub fn trusted_header(headers: &[String], trusted_authserv_id: &str) -> Option<AuthResults> {
    let want = receiver(trusted_authserv_id)?;
    headers
        .iter()
        .filter_map(|h| parse_authentication_results(h))
        .find(|r| match (&want, &r.authserv_id) {
            (Receiver::Id(id), Some(got)) => got == id,
            (Receiver::Microsoft365, None) => true,
            _ => false,
        })
}

/// Relaxed alignment of a signing domain with the From domain (see the module documentation).
pub fn aligned(signing: &str, from: &str) -> bool {
    let s = signing.trim_end_matches('.').to_ascii_lowercase();
    let f = from.trim_end_matches('.').to_ascii_lowercase();
    if s.is_empty() || f.is_empty() {
        return false;
    }
    if s == f {
        return true;
    }
    let (shorter, longer) = if s.len() < f.len() {
        (&s, &f)
    } else {
        (&f, &s)
    };
    let labels = shorter.split('.').filter(|l| !l.is_empty()).count();
    // Second-level public suffixes, where "two labels" is still a registry, not an owner.
    const SHARED: &[&str] = &[
        "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "com.br",
        "co.jp", "com.cn", "co.za", "com.tr", "com.mx",
    ];
    labels >= 2 && !SHARED.contains(&shorter.as_str()) && longer.ends_with(&format!(".{shorter}"))
}

/// Judges the trusted header for `from_domain` (rule 3 of the module documentation).
pub fn judge(results: &AuthResults, from_domain: &str) -> Authenticity {
    fn of<'r>(results: &'r AuthResults, m: &'r str) -> impl Iterator<Item = &'r MethodResult> {
        results.results.iter().filter(move |r| r.method == m)
    }
    if of(results, "dmarc").any(|r| r.result == "fail") {
        return Err(Failure::DmarcFail);
    }
    if let Some(r) = of(results, "dmarc").find(|r| r.result == "pass") {
        match r.prop("header.from") {
            Some(d) if !d.trim_end_matches('.').eq_ignore_ascii_case(from_domain) => {
                return Err(Failure::DmarcOtherDomain(d.to_ascii_lowercase()));
            }
            _ => return Ok(Basis::Dmarc),
        }
    }
    let mut unaligned = None;
    for r in of(results, "dkim").filter(|r| r.result == "pass") {
        let d = r
            .prop("header.d")
            .map(str::to_string)
            .or_else(|| {
                r.prop("header.i")
                    .and_then(|i| i.rsplit_once('@').map(|x| x.1.to_string()))
            })
            .unwrap_or_default();
        if aligned(&d, from_domain) {
            return Ok(Basis::DkimAligned(d.to_ascii_lowercase()));
        }
        unaligned.get_or_insert(d.to_ascii_lowercase());
    }
    Err(match unaligned {
        Some(d) => Failure::NotAligned(d),
        None => Failure::NoPass,
    })
}

// ---------------------------------------------------------------------------------------------
// Reading the raw mail and verifying DKIM here

/// The unfolded values of the header fields named `name` in the header block, top first.
fn header_values(msg: &AuthenticatedMessage<'_>, name: &str) -> Vec<String> {
    msg.headers
        .iter()
        .filter(|(n, _)| n.trim_ascii().eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| {
            String::from_utf8_lossy(v)
                .split(['\r', '\n'])
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The From header(s) as written.
fn sender_facts(msg: &AuthenticatedMessage<'_>) -> SenderFacts {
    let values: Vec<&[u8]> = msg
        .headers
        .iter()
        .filter(|(n, _)| n.trim_ascii().eq_ignore_ascii_case(b"From"))
        .map(|(_, v)| *v)
        .collect();
    let mut addresses = Vec::new();
    for v in &values {
        let parsed = mail_parser::parsers::MessageStream::new(v).parse_address();
        if let mail_parser::HeaderValue::Address(a) = parsed {
            for x in a.iter() {
                if let Some(addr) = x.address() {
                    addresses.push(addr.trim().to_string());
                }
            }
        }
    }
    SenderFacts {
        from_headers: values.len(),
        addresses,
    }
}

/// Collects the evidence of one answer: its From header and its authenticity.
pub async fn evidence(settings: &AuthSettings<'_>, raw: &[u8]) -> Evidence {
    let Some(msg) = AuthenticatedMessage::parse(raw) else {
        return Evidence::none();
    };
    let sender = sender_facts(&msg);
    let Some(from_domain) = sender.from_domain() else {
        return Evidence {
            sender,
            authenticity: Err(Failure::AmbiguousFrom),
        };
    };
    let headers = header_values(&msg, "Authentication-Results");
    let trusted = settings
        .trusted_authserv_id
        .and_then(|id| trusted_header(&headers, id));
    let authenticity = match trusted {
        Some(results) => judge(&results, &from_domain),
        None => verify_here(settings, msg, &from_domain).await,
    };
    Evidence {
        sender,
        authenticity,
    }
}

/// Rule 4: verify the DKIM signatures with mail-auth, keys from the pinned file, then DNS.
async fn verify_here(
    settings: &AuthSettings<'_>,
    mut msg: AuthenticatedMessage<'_>,
    from_domain: &str,
) -> Authenticity {
    if settings.verify_dkim == DkimVerification::Off {
        return Err(Failure::NoTrustedHeader);
    }
    if msg.dkim_headers.is_empty() {
        return Err(Failure::Unsigned);
    }
    let pinned = match settings.dkim_keys_file {
        Some(path) => match pinned_keys(path) {
            Ok(keys) => keys,
            Err(e) => return Err(Failure::KeyUnavailable(e)),
        },
        None => PinnedTxt::default(),
    };
    // Only signatures that could align are worth a lookup; with `pinned`, only pinned keys.
    msg.dkim_headers.retain(|h| {
        aligned(&h.header.d, from_domain)
            && (settings.verify_dkim == DkimVerification::Dns
                || pinned.has(&dkim_key_name(&h.header.s, &h.header.d)))
    });
    if msg.dkim_headers.is_empty() {
        return Err(Failure::SignatureFailed(
            "geen handtekening van het domein van de afzender".into(),
        ));
    }
    let resolver = match resolver(settings.verify_dkim == DkimVerification::Dns) {
        Ok(r) => r,
        Err(e) => return Err(Failure::KeyUnavailable(e)),
    };
    let verify = resolver.verify_dkim(Parameters::new(&msg).with_txt_cache(&pinned));
    let outputs = match tokio::time::timeout(VERIFY_TIMEOUT, verify).await {
        Ok(o) => o,
        Err(_) => return Err(Failure::KeyUnavailable("time-out".into())),
    };
    let mut last = String::from("geen resultaat");
    for o in &outputs {
        let d = o.signature().map(|s| s.d.clone()).unwrap_or_default();
        match o.result() {
            DkimResult::Pass if aligned(&d, from_domain) => {
                return Ok(Basis::DkimVerifiedHere(d.to_ascii_lowercase()));
            }
            DkimResult::TempError(e) => return Err(Failure::KeyUnavailable(e.to_string())),
            other => last = other.to_string(),
        }
    }
    Err(Failure::SignatureFailed(last))
}

fn dkim_key_name(selector: &str, domain: &str) -> String {
    format!(
        "{}._domainkey.{}.",
        selector.to_ascii_lowercase(),
        domain.trim_end_matches('.').to_ascii_lowercase()
    )
}

/// One resolver for the process, built on first use: the system's DNS configuration, or (for
/// `pinned`) one without any name server, so a key that is not pinned fails at once.
fn resolver(dns: bool) -> Result<MessageAuthenticator, String> {
    static SYSTEM: OnceLock<Result<MessageAuthenticator, String>> = OnceLock::new();
    static NONE: OnceLock<Result<MessageAuthenticator, String>> = OnceLock::new();
    if dns {
        SYSTEM
            .get_or_init(|| MessageAuthenticator::new_system_conf().map_err(|e| e.to_string()))
            .clone()
    } else {
        NONE.get_or_init(|| {
            use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
            MessageAuthenticator::new(
                ResolverConfig::from_parts(None, vec![], vec![]),
                ResolverOpts::default(),
            )
            .map_err(|e| e.to_string())
        })
        .clone()
    }
}

/// DKIM key records from `dkim_keys_file`, served to mail-auth as its TXT cache.
#[derive(Default)]
struct PinnedTxt(Mutex<HashMap<Box<str>, Txt>>);

impl PinnedTxt {
    fn has(&self, name: &str) -> bool {
        self.0.lock().map(|m| m.contains_key(name)).unwrap_or(false)
    }
}

impl ResolverCache<Box<str>, Txt> for PinnedTxt {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().ok()?.get(name).cloned()
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().ok()?.remove(name)
    }

    fn insert(&self, key: Box<str>, value: Txt, _valid_until: std::time::Instant) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(key, value);
        }
    }
}

/// The keys of `dkim_keys_file` ([`crate::config::load_pinned_keys`]), ready for the resolver.
fn pinned_keys(path: &Path) -> Result<PinnedTxt, String> {
    let cache = PinnedTxt::default();
    for (name, record) in crate::config::load_pinned_keys(path)? {
        let (selector, domain) = name
            .split_once("._domainkey.")
            .unwrap_or((name.as_str(), ""));
        let key = DomainKey::parse(record.as_bytes()).map_err(|e| e.to_string())?;
        if let Ok(mut m) = cache.0.lock() {
            m.insert(
                dkim_key_name(selector, domain).into_boxed_str(),
                Txt::DomainKey(Arc::new(key)),
            );
        }
    }
    Ok(cache)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(v: &str) -> AuthResults {
        parse_authentication_results(v).expect("parses")
    }

    #[test]
    fn method_results_and_properties_are_parsed_per_rfc_8601() {
        let r = results(
            "mx.vng.nl 1; dkim=pass (2048-bit key) header.d=iederin.nl header.i=@iederin.nl; \
             spf=pass (mx.vng.nl: domain of a@iederin.nl designates 1.2.3.4) smtp.mailfrom=iederin.nl; \
             dmarc=pass (p=reject dis=none) header.from=iederin.nl",
        );
        assert_eq!(r.authserv_id.as_deref(), Some("mx.vng.nl"));
        let methods: Vec<(&str, &str)> = r
            .results
            .iter()
            .map(|m| (m.method.as_str(), m.result.as_str()))
            .collect();
        assert_eq!(
            methods,
            vec![("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
        );
        assert_eq!(r.results[0].prop("header.d"), Some("iederin.nl"));
        assert_eq!(r.results[2].prop("header.from"), Some("iederin.nl"));
        assert_eq!(results("mx.vng.nl; none").results, vec![]);
    }

    #[test]
    fn words_in_comments_and_quoted_values_are_never_results() {
        let r = results(
            "mx.vng.nl; dkim=none; spf=softfail smtp.mailfrom=iederin.nl; \
             dmarc=fail (p=none; override: \" dmarc=pass \" ( dmarc=pass )) header.from=iederin.nl; \
             x-note=\"dkim=pass header.d=iederin.nl; dmarc=pass\"",
        );
        let passes = r.results.iter().filter(|m| m.result == "pass").count();
        assert_eq!(passes, 0, "{r:?}");
        assert_eq!(judge(&r, "iederin.nl"), Err(Failure::DmarcFail));
    }

    #[test]
    fn microsoft_365_headers_have_no_authserv_id() {
        let m365 = "spf=pass (sender IP is 40.107.1.2) smtp.mailfrom=iederin.nl; dkim=pass \
                    (signature was verified) header.d=iederin.nl;dmarc=pass action=none \
                    header.from=iederin.nl;compauth=pass reason=100";
        let r = results(m365);
        assert_eq!(r.authserv_id, None);
        assert_eq!(r.results.len(), 4);
        assert_eq!(judge(&r, "iederin.nl"), Ok(Basis::Dmarc));
        // Trusted only when configured so, and only the topmost header without an id.
        let forged = "spf=pass smtp.mailfrom=iederin.nl; dmarc=pass header.from=iederin.nl";
        let headers = vec![
            "spf=fail smtp.mailfrom=iederin.nl; dkim=none; dmarc=fail header.from=iederin.nl"
                .to_string(),
            forged.to_string(),
        ];
        let t = trusted_header(&headers, MICROSOFT_365).expect("found");
        assert_eq!(judge(&t, "iederin.nl"), Err(Failure::DmarcFail));
        assert_eq!(trusted_header(&headers, "mx.vng.nl"), None);
    }

    #[test]
    fn only_the_topmost_header_of_our_own_server_is_read() {
        let headers = vec![
            "mx.partner.example; dkim=pass header.d=iederin.nl; dmarc=pass header.from=iederin.nl"
                .to_string(),
            "MX.VNG.NL; dkim=none; spf=none; dmarc=none".to_string(),
            "mx.vng.nl; dmarc=pass header.from=iederin.nl".to_string(),
        ];
        let t = trusted_header(&headers, "mx.vng.nl").expect("found");
        assert_eq!(judge(&t, "iederin.nl"), Err(Failure::NoPass));
        assert_eq!(trusted_header(&headers, "mx2.vng.nl"), None);
        assert_eq!(trusted_header(&headers, ""), None);
    }

    #[test]
    fn dkim_counts_only_when_aligned_with_the_from_domain() {
        let r = results("mx.vng.nl; dkim=pass header.d=mailer.example; spf=pass; dmarc=none");
        assert_eq!(
            judge(&r, "iederin.nl"),
            Err(Failure::NotAligned("mailer.example".into()))
        );
        let r = results(
            "mx.vng.nl; dkim=fail header.d=lists.example; dkim=pass header.d=mail.iederin.nl",
        );
        assert_eq!(
            judge(&r, "iederin.nl"),
            Ok(Basis::DkimAligned("mail.iederin.nl".into()))
        );
        let r = results("mx.vng.nl; dkim=pass header.i=@iederin.nl");
        assert!(judge(&r, "iederin.nl").is_ok());
        let r = results("mx.vng.nl; spf=pass smtp.mailfrom=iederin.nl");
        assert_eq!(judge(&r, "iederin.nl"), Err(Failure::NoPass), "SPF alone");
        let r = results("mx.vng.nl; dmarc=pass header.from=evil.example");
        assert_eq!(
            judge(&r, "iederin.nl"),
            Err(Failure::DmarcOtherDomain("evil.example".into()))
        );
        let r = results("mx.vng.nl; dkim=pass header.d=iederin.nl; dmarc=fail");
        assert_eq!(judge(&r, "iederin.nl"), Err(Failure::DmarcFail));
    }

    #[test]
    fn relaxed_alignment_needs_an_owner_not_a_public_suffix() {
        assert!(aligned("iederin.nl", "IEDERIN.NL"));
        assert!(aligned("iederin.nl", "mail.iederin.nl"));
        assert!(aligned("mail.iederin.nl", "iederin.nl"));
        assert!(!aligned("nl", "iederin.nl"));
        assert!(!aligned("co.uk", "iederin.co.uk"));
        assert!(!aligned("iederin.nl.evil.example", "iederin.nl"));
        assert!(!aligned("xiederin.nl", "iederin.nl"));
        assert!(!aligned("", "iederin.nl"));
    }

    #[test]
    fn the_sender_must_be_one_ascii_address_in_one_from_header() {
        let facts = |raw: &str| {
            let msg = AuthenticatedMessage::parse(raw.as_bytes()).expect("parses");
            sender_facts(&msg)
        };
        let one = facts("From: Anna <Anna@Iederin.nl>\r\nSubject: x\r\n\r\nx\r\n");
        assert_eq!(one.single_address(), Some("Anna@Iederin.nl"));
        assert_eq!(one.from_domain().as_deref(), Some("iederin.nl"));
        let two_headers =
            facts("From: evil@evil.example\r\nFrom: anna@iederin.nl\r\nSubject: x\r\n\r\nx\r\n");
        assert_eq!(two_headers.single_address(), None);
        let two_addresses = facts("From: anna@iederin.nl, evil@evil.example\r\n\r\nx\r\n");
        assert_eq!(two_addresses.single_address(), None);
        let kelvin = facts("From: \u{212A}im@lfb.nl\r\n\r\nx\r\n");
        assert_eq!(kelvin.single_address(), None, "{kelvin:?}");
        let none = facts("Subject: x\r\n\r\nx\r\n");
        assert_eq!(none.from_domain(), None);
    }
}
