//! Configuration: the runtime settings (`config/intake.toml`) and the call definition
//! (`config/calls/<call>.toml`).
//!
//! Loading is layered: the TOML file, then environment overrides `INTAKE__SECTION__KEY=value`
//! (for example `INTAKE__DATABASE__URL=postgres://…`, `INTAKE__MAILBOX__KIND=imap`). Every
//! section is read on its own and every problem is collected, so `intake check-config` reports
//! all of them at once, each with its file and key. Secrets (passwords, tokens) are never read
//! from these files and never logged; the IMAP and SMTP sections name the environment variable
//! or file that holds them.
//!
//! Relative paths in `intake.toml` are relative to the working directory, except `call` and
//! `templates_dir`, which are relative to the folder of `intake.toml` itself. The lexicon path
//! in a call file is relative to the call file.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::domain::EmailAddress;

// Sections owned by other modules (switched to their types as they land).
pub use crate::mailbox::imap::ImapSettings;
pub use crate::outbox::transport::{OutboxKind, SmtpSettings};

/// A database URL fit to print: the password in the user part (`user:secret@host`) and any
/// query parameter that carries a secret (`?password=`, `sslpassword`, `pass`, `pwd`, `token`,
/// `secret`) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.split_once("://") {
        Some((scheme, rest)) => {
            // The authority ends at the first '/'; its user part at the last '@' before that.
            let (authority, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            match authority.rsplit_once('@') {
                Some((user, host)) => {
                    let user = match user.split_once(':') {
                        Some((name, _)) => format!("{name}:***"),
                        None => user.to_string(),
                    };
                    format!("{scheme}://{user}@{host}{path}")
                }
                None => base.to_string(),
            }
        }
        None => base.to_string(),
    };
    let Some(query) = query else {
        return base;
    };
    let secret = |k: &str| {
        let k = k.to_ascii_lowercase();
        ["password", "pass", "pwd", "token", "secret", "sslpassword"]
            .iter()
            .any(|s| k == *s || k.ends_with(s))
    };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if secret(k) => format!("{k}=***"),
            _ => p.to_string(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.key, self.message)
    }
}

/// All problems found while loading; returned as one error.
#[derive(Debug, thiserror::Error)]
#[error("the configuration has {} problem(s):\n{}", .0.len(), .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors(pub Vec<Problem>);

/// Runtime settings from `config/intake.toml`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file these settings came from.
    pub path: PathBuf,
    pub mailbox: MailboxSettings,
    pub database: DatabaseSettings,
    pub outbox: OutboxSettings,
    pub documents: crate::documents::Limits,
    pub municipalities: MunicipalityRules,
    pub digest: DigestSettings,
    pub alerts: AlertSettings,
    /// `[web]`: the staff workspace (`intake serve`).
    pub web: WebSettings,
    /// The call definition file, resolved against the config folder.
    pub call_path: PathBuf,
    /// The letter templates folder, resolved against the config folder.
    pub templates_dir: PathBuf,
}

/// `[general]`: which call and which templates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct General {
    /// The call definition, relative to the config folder.
    call: PathBuf,
    /// The letter templates, relative to the config folder.
    #[serde(default = "default_templates")]
    templates_dir: PathBuf,
}

fn default_templates() -> PathBuf {
    PathBuf::from("templates")
}

/// Which kind of mailbox to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailboxKind {
    Maildir,
    Imap,
}

/// `[mailbox]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxSettings {
    /// `maildir` (embedded default) or `imap`.
    pub kind: MailboxKind,
    /// Our own address: nominations are sent to it, letters come from it. Never answered.
    pub address: String,
    /// Display name on outgoing letters.
    #[serde(default = "default_from_name")]
    pub display_name: String,
    /// Other addresses of ours (aliases); mail from them is never answered.
    #[serde(default)]
    pub other_addresses: Vec<String>,
    /// The Maildir folder, when `kind = "maildir"`.
    #[serde(default = "default_maildir")]
    pub maildir_path: PathBuf,
    /// Folder that processed mail moves to.
    #[serde(default = "default_processed")]
    pub processed_folder: String,
    /// Folder that mail which could not be processed moves to.
    #[serde(default = "default_quarantine")]
    pub quarantine_folder: String,
    /// How often to look for new mail when the server cannot push (IMAP without IDLE, Maildir).
    #[serde(default = "default_poll")]
    pub poll_interval_secs: u64,
    /// Larger mails are quarantined unread.
    #[serde(default = "default_max_message")]
    pub max_message_bytes: u64,
    /// How long one daemon holds the mailbox lease before another may take over.
    #[serde(default = "default_lease")]
    pub lease_secs: u64,
    /// IMAP connection settings, when `kind = "imap"`.
    #[serde(default)]
    pub imap: Option<ImapSettings>,
    /// Partner answers count only when the sender is authenticated (see `consult::auth`). The
    /// authserv-id of our own receiving server: the first word of the `Authentication-Results`
    /// header it adds (`mx.vng.nl` in `Authentication-Results: mx.vng.nl; dkim=pass …`); headers
    /// with any other authserv-id are ignored. Microsoft 365 adds one without an authserv-id
    /// (`Authentication-Results: spf=pass (sender IP is …) smtp.mailfrom=…; dkim=…`): then
    /// `"microsoft-365"`. Required when the call has partners.
    #[serde(default)]
    pub trusted_authserv_id: Option<String>,
    /// A partner answer without that header: verify its DKIM signature here with keys from
    /// `dkim_keys_file`, then DNS (`dns`), from that file only (`pinned`), or not at all
    /// (`off`: such answers are held for staff).
    #[serde(default)]
    pub verify_dkim: DkimVerification,
    /// DKIM key records used before DNS: a TOML file of `"selector._domainkey.domain" =
    /// "v=DKIM1; k=rsa; p=…"` lines.
    #[serde(default)]
    pub dkim_keys_file: Option<PathBuf>,
}

/// How answers without a trusted `Authentication-Results` header are verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DkimVerification {
    /// Verify the DKIM signature, looking the key up in `dkim_keys_file`, then DNS.
    #[default]
    Dns,
    /// Verify with the keys in `dkim_keys_file` only; never ask DNS.
    Pinned,
    /// Do not verify: such answers are held for staff.
    Off,
}

fn default_from_name() -> String {
    "VNG Koplopers VN-Verdrag".into()
}
fn default_maildir() -> PathBuf {
    PathBuf::from("var/mailbox")
}
fn default_processed() -> String {
    "Verwerkt".into()
}
fn default_quarantine() -> String {
    "Quarantaine".into()
}
fn default_poll() -> u64 {
    30
}
fn default_max_message() -> u64 {
    30 * 1024 * 1024
}
fn default_lease() -> u64 {
    60
}

/// `[database]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://var/intake.db` (created on first run) or `postgres://user@host/db`. A password
    /// belongs in `INTAKE__DATABASE__URL`, not in the file.
    pub url: String,
    /// Connections in the pool.
    #[serde(default = "default_pool")]
    pub max_connections: u32,
}

fn default_pool() -> u32 {
    5
}

/// `[outbox]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    pub kind: OutboxKind,
    /// Folder for `kind = "file"`.
    #[serde(default = "default_outbox_dir")]
    pub dir: PathBuf,
    /// Attempts before a transiently failing mail is marked failed.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt (with jitter), capped at one hour.
    #[serde(default = "default_retry")]
    pub retry_base_secs: u64,
    /// At most this many automatic replies (confirmations, thank-yous) per recipient address
    /// per 24 hours (loop protection).
    #[serde(default = "default_cap")]
    pub daily_cap_per_address: u32,
    /// At most this many automatic replies to anyone per 24 hours (flood protection: forged
    /// mail from many addresses must not make us send to all of them).
    #[serde(default = "default_cap_total")]
    pub daily_cap_total: u32,
    /// At most this many letters per minute, counted over every running daemon (Microsoft 365
    /// accepts about 30 a minute from one mailbox and answers more with a 4.x.x throttling reply).
    /// 0: no limit. Not applied to the file outbox.
    #[serde(default = "default_per_minute")]
    pub max_per_minute: u32,
    /// How long a worker owns a row it is sending; after a crash another worker (or the restarted
    /// one) may take the row over once this has passed.
    #[serde(default = "default_claim")]
    pub claim_secs: u64,
    /// The IMAP folder where the SMTP server keeps a copy of what it accepted (Microsoft 365 and
    /// Gmail do: `Sent Items`, `[Gmail]/Sent Mail`; a Dutch mailbox may say `Verzonden items`).
    /// When set and the mailbox is IMAP, a letter whose sending was cut off by a crash is looked
    /// up there by Message-ID before it is sent again, so a crash after the server accepted it
    /// does not send it twice. `claim_secs` must be longer than the server takes to file the copy.
    #[serde(default)]
    pub sent_folder: Option<String>,
    /// SMTP settings, when `kind = "smtp"`.
    #[serde(default)]
    pub smtp: Option<SmtpSettings>,
}

fn default_claim() -> u64 {
    60
}

fn default_outbox_dir() -> PathBuf {
    PathBuf::from("var/outbox")
}
fn default_attempts() -> u32 {
    12
}
fn default_retry() -> u64 {
    30
}
fn default_cap() -> u32 {
    10
}
fn default_cap_total() -> u32 {
    500
}
fn default_per_minute() -> u32 {
    25
}

/// `[digest]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    /// Send the digest on a schedule.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Local time of day (in the call's time zone) to send it, `HH:MM`.
    #[serde(default = "default_digest_time")]
    pub time: String,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            enabled: true,
            time: default_digest_time(),
        }
    }
}

fn yes() -> bool {
    true
}
fn default_digest_time() -> String {
    "08:00".into()
}

/// `[alerts]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// After this long without a successful mailbox check, log at ERROR and mail the staff.
    #[serde(default = "default_unreachable")]
    pub mailbox_unreachable_secs: u64,
    /// Mail the staff recipients about authentication failures and an unreachable mailbox.
    #[serde(default = "yes")]
    pub mail_staff: bool,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            mailbox_unreachable_secs: default_unreachable(),
            mail_staff: true,
        }
    }
}

fn default_unreachable() -> u64 {
    900
}

// ----------------------------------------------------------------------------------------------
// The call

/// What happens to a nomination that arrives after the deadline (and grace).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatePolicy {
    /// Stored, flagged late, assessed; the letter says it is late and staff decide.
    Accept,
    /// Stored and flagged; the letter says it cannot be taken into account.
    Reject,
}

impl LatePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            LatePolicy::Accept => "accept",
            LatePolicy::Reject => "reject",
        }
    }
}

/// When the partners are consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsultMode {
    /// Staff run `intake consult`.
    Manual,
    /// All candidates at once, when the deadline and grace have passed.
    AfterDeadline,
    /// Each candidate as soon as it is processed.
    OnIntake,
}

/// A criterion (or the mandatory principle) of the call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Short id used in the database and the lexicon: "1", "2", "3", "principle".
    pub id: String,
    /// Short Dutch title.
    pub title: String,
    /// Dutch description as in the call text.
    pub description: String,
    /// Whether claims under this criterion name a domain.
    #[serde(default)]
    pub has_domains: bool,
}

/// An innovation domain (theme).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainDef {
    pub id: String,
    pub title: String,
}

/// An Alliance partner.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    pub id: String,
    pub name: String,
    /// Addresses consultation requests go to; answers count only from these.
    pub addresses: Vec<String>,
    /// The contact person, for the salutation.
    #[serde(default)]
    pub contact: Option<String>,
    /// Write to this partner in extra plain language (e.g. LFB).
    #[serde(default)]
    pub easy_read: bool,
}

/// An office holder who ratifies the selection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeHolder {
    pub name: String,
    pub role: String,
}

/// `[consultation]` of a call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consultation {
    pub mode: ConsultMode,
    /// Days partners have to answer.
    pub answer_days: u32,
    /// Remind partners who have not answered after this many days.
    pub reminder_after_days: u32,
}

/// Subjects of the letters (the bodies are templates in `config/templates/`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Letters {
    pub confirmation_subject: String,
    pub consultation_subject: String,
    pub reminder_subject: String,
    pub thanks_subject: String,
    pub selected_subject: String,
    pub not_selected_subject: String,
    /// When the decision is expected, as a Dutch phrase for the letters ("mei 2018").
    pub decision_expected: String,
    /// How the letters are signed.
    pub signature: String,
}

/// `[staff]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// Who receives the digest and alerts.
    pub recipients: Vec<String>,
}

/// A call for nominations, from `config/calls/<call>.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    pub id: String,
    pub title: String,
    /// Prefix of submission references: `KVN` gives `KVN-0001`.
    pub reference_prefix: String,
    /// The last moment that counts as on time, in local time of `time_zone` ("uiterlijk 21 maart"
    /// means 2018-03-21T23:59:59).
    pub deadline: NaiveDateTime,
    /// IANA time zone of the deadline, e.g. `Europe/Amsterdam`.
    pub time_zone: Tz,
    /// Minutes after the deadline that still count as on time.
    #[serde(default)]
    pub grace_minutes: u32,
    pub late_policy: LatePolicy,
    /// Maximum pages of the nomination letter.
    pub max_pages: u32,
    /// Paper size the letter should have (only "A4" is checked).
    pub paper: String,
    /// Criteria a candidate must meet at least (of `criteria`).
    pub minimum_criteria: usize,
    /// Whether the principle is mandatory.
    pub require_principle: bool,
    /// How many candidates are selected.
    pub selection_size: usize,
    /// Word lists for claim extraction, relative to this file.
    pub lexicon: PathBuf,
    pub criteria: Vec<Criterion>,
    pub principle: Criterion,
    pub domains: Vec<DomainDef>,
    pub partners: Vec<Partner>,
    pub staff: Staff,
    pub office_holders: Vec<OfficeHolder>,
    pub consultation: Consultation,
    pub letters: Letters,
    /// Resolved path of the lexicon (set after loading).
    #[serde(skip)]
    pub lexicon_path: PathBuf,
}

impl Call {
    /// The deadline as a UTC instant (an impossible or ambiguous local time — a DST change —
    /// resolves to the later instant, which never shortens the call).
    pub fn deadline_utc(&self) -> DateTime<Utc> {
        local_to_utc(self.time_zone, self.deadline)
    }

    /// The deadline plus grace.
    pub fn closes_at(&self) -> DateTime<Utc> {
        self.deadline_utc() + chrono::Duration::minutes(i64::from(self.grace_minutes))
    }

    pub fn criterion_ids(&self) -> Vec<&str> {
        self.criteria.iter().map(|c| c.id.as_str()).collect()
    }

    pub fn domain_ids(&self) -> Vec<&str> {
        self.domains.iter().map(|d| d.id.as_str()).collect()
    }

    pub fn criterion_title(&self, id: &str) -> String {
        if id == self.principle.id {
            return self.principle.title.clone();
        }
        self.criteria
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.title.clone())
            .unwrap_or_else(|| id.to_string())
    }

    pub fn domain_title(&self, id: &str) -> String {
        self.domains
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.title.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// The partner an address belongs to.
    pub fn partner_by_address(&self, address: &EmailAddress) -> Option<&Partner> {
        self.partners.iter().find(|p| {
            p.addresses
                .iter()
                .any(|a| a.eq_ignore_ascii_case(address.as_str()))
        })
    }
}

/// A local time in `tz` as UTC; in a DST gap the moment after the gap, when ambiguous the later.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(_, later) => later.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // Spring forward: the local time does not exist; walk forward to the first that does.
            let mut probe = local;
            for _ in 0..180 {
                probe += chrono::Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// Settings plus the call they refer to.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub call: Call,
}

impl Config {
    /// Loads `path` with environment overrides and the call it names; reports every problem.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_with_env(path, &env)
    }

    /// As [`Config::load`], with the environment given (for tests).
    pub fn load_with_env(path: &Path, env: &[(String, String)]) -> Result<Config, ConfigErrors> {
        let mut problems = Vec::new();
        let file = path.display().to_string();
        let mut table = read_table(path, &mut problems);
        apply_env(&mut table, env, &file, &mut problems);

        let known = [
            "general",
            "mailbox",
            "database",
            "outbox",
            "documents",
            "municipalities",
            "digest",
            "alerts",
            "web",
        ];
        for key in table.keys() {
            if !known.contains(&key.as_str()) {
                problems.push(problem(&file, key, "unknown section"));
            }
        }

        let general: Option<General> = section(&table, "general", &file, &mut problems, false);
        let mailbox: Option<MailboxSettings> =
            section(&table, "mailbox", &file, &mut problems, false);
        let database: Option<DatabaseSettings> =
            section(&table, "database", &file, &mut problems, false);
        let outbox: Option<OutboxSettings> = section(&table, "outbox", &file, &mut problems, false);
        let documents: Option<crate::documents::Limits> =
            section(&table, "documents", &file, &mut problems, true);
        let municipalities: Option<MunicipalityRules> =
            section(&table, "municipalities", &file, &mut problems, true);
        let digest: Option<DigestSettings> = section(&table, "digest", &file, &mut problems, true);
        let alerts: Option<AlertSettings> = section(&table, "alerts", &file, &mut problems, true);
        let web: Option<WebSettings> = section(&table, "web", &file, &mut problems, true);
        for (key, msg) in web.iter().flat_map(|w| w.problems()) {
            problems.push(problem(&file, &format!("web.{key}"), &msg));
        }

        let base = path.parent().unwrap_or(Path::new("."));
        let (call_path, templates_dir) = match &general {
            Some(g) => (base.join(&g.call), base.join(&g.templates_dir)),
            None => (PathBuf::new(), PathBuf::new()),
        };

        if let Some(m) = &mailbox {
            check_mailbox(m, &file, &mut problems);
        }
        if let Some(d) = &database
            && !(d.url.starts_with("sqlite:")
                || d.url.starts_with("postgres://")
                || d.url.starts_with("postgresql://"))
        {
            problems.push(problem(
                &file,
                "database.url",
                "must start with sqlite: or postgres://",
            ));
        }
        if let Some(smtp) = outbox.as_ref().and_then(|o| o.smtp.as_ref()) {
            for (key, msg) in smtp.problems() {
                problems.push(problem(&file, &format!("outbox.smtp.{key}"), &msg));
            }
        }
        if let Some(o) = &outbox
            && o.kind == OutboxKind::Smtp
            && o.smtp.is_none()
        {
            problems.push(problem(
                &file,
                "outbox.smtp",
                "kind = \"smtp\" needs an [outbox.smtp] section",
            ));
        }
        if let Some(d) = &digest
            && chrono::NaiveTime::parse_from_str(&d.time, "%H:%M").is_err()
        {
            problems.push(problem(
                &file,
                "digest.time",
                "must be a time of day as HH:MM",
            ));
        }
        if general.is_some() && !templates_dir.is_dir() {
            problems.push(problem(
                &file,
                "general.templates_dir",
                &format!("folder {} does not exist", templates_dir.display()),
            ));
        }

        let call = if general.is_some() {
            load_call(&call_path, &mut problems)
        } else {
            None
        };
        if call.is_some() {
            check_templates(&templates_dir, &file, &mut problems);
        }
        if let (Some(m), Some(c)) = (&mailbox, &call) {
            check_answer_authentication(m, !c.partners.is_empty(), &file, &mut problems);
        }

        match (
            general,
            mailbox,
            database,
            outbox,
            documents,
            municipalities,
            digest,
            alerts,
            call,
        ) {
            (
                Some(_),
                Some(mailbox),
                Some(database),
                Some(outbox),
                Some(documents),
                Some(municipalities),
                Some(digest),
                Some(alerts),
                Some(call),
            ) if problems.is_empty() => Ok(Config {
                settings: Settings {
                    path: path.to_path_buf(),
                    mailbox,
                    database,
                    outbox,
                    documents,
                    municipalities,
                    digest,
                    alerts,
                    web: web.unwrap_or_default(),
                    call_path,
                    templates_dir,
                },
                call,
            }),
            _ => {
                if problems.is_empty() {
                    problems.push(problem(&file, "", "the configuration is incomplete"));
                }
                Err(ConfigErrors(problems))
            }
        }
    }
}

/// The templates every letter needs.
pub const TEMPLATES: &[&str] = &[
    "confirmation",
    "consultation",
    "reminder",
    "thanks",
    "digest",
    "selected",
    "not_selected",
];

fn check_templates(dir: &Path, file: &str, problems: &mut Vec<Problem>) {
    for name in TEMPLATES {
        for ext in ["txt.j2", "html.j2"] {
            let p = dir.join(format!("{name}.{ext}"));
            if !p.is_file() {
                problems.push(problem(
                    file,
                    "general.templates_dir",
                    &format!("template {} is missing", p.display()),
                ));
            }
        }
    }
}

fn check_mailbox(m: &MailboxSettings, file: &str, problems: &mut Vec<Problem>) {
    if EmailAddress::parse(&m.address).is_none() {
        problems.push(problem(file, "mailbox.address", "is not an e-mail address"));
    }
    for (i, a) in m.other_addresses.iter().enumerate() {
        if EmailAddress::parse(a).is_none() {
            problems.push(problem(
                file,
                &format!("mailbox.other_addresses[{i}]"),
                "is not an e-mail address",
            ));
        }
    }
    if let Some(imap) = &m.imap {
        for (key, msg) in imap.problems() {
            problems.push(problem(file, &format!("mailbox.imap.{key}"), &msg));
        }
    }
    if m.kind == MailboxKind::Imap && m.imap.is_none() {
        problems.push(problem(
            file,
            "mailbox.imap",
            "kind = \"imap\" needs a [mailbox.imap] section",
        ));
    }
    if m.poll_interval_secs == 0 {
        problems.push(problem(
            file,
            "mailbox.poll_interval_secs",
            "must be at least 1",
        ));
    }
    if m.processed_folder == m.quarantine_folder {
        problems.push(problem(
            file,
            "mailbox.quarantine_folder",
            "must differ from processed_folder",
        ));
    }
}

/// Partner answers are accepted (the call has partners): our receiving server's authserv-id
/// must be known, and pinned DKIM keys must parse.
fn check_answer_authentication(
    m: &MailboxSettings,
    answers_accepted: bool,
    file: &str,
    problems: &mut Vec<Problem>,
) {
    let id = m
        .trusted_authserv_id
        .as_deref()
        .map(str::trim)
        .unwrap_or("");
    if answers_accepted && id.is_empty() {
        problems.push(problem(
            file,
            "mailbox.trusted_authserv_id",
            "is missing: partner answers count only when our own receiving server authenticated \
             the sender. Set it to the authserv-id of that server: open a partner's mail, show its \
             headers and take the first word of the Authentication-Results header your server \
             added (\"Authentication-Results: mx.vng.nl; dkim=pass …\" gives \"mx.vng.nl\"). \
             Microsoft 365 adds one without an authserv-id, starting with \"spf=… \
             smtp.mailfrom=…;\": then set \"microsoft-365\"",
        ));
    } else if id.contains(|c: char| c.is_whitespace() || c == ';' || c == '=') {
        problems.push(problem(
            file,
            "mailbox.trusted_authserv_id",
            "must be one word (the authserv-id), without spaces, ';' or '='",
        ));
    }
    if let Some(path) = &m.dkim_keys_file
        && let Err(e) = load_pinned_keys(path)
    {
        problems.push(problem(file, "mailbox.dkim_keys_file", &one_line(&e)));
    }
    if m.verify_dkim == DkimVerification::Pinned && m.dkim_keys_file.is_none() {
        problems.push(problem(
            file,
            "mailbox.dkim_keys_file",
            "verify_dkim = \"pinned\" needs a dkim_keys_file",
        ));
    }
}

/// Reads `dkim_keys_file`: a TOML table of `"selector._domainkey.domain" = "v=DKIM1; …"`.
/// Every record must parse as a DKIM key (checked when the configuration is loaded).
pub fn load_pinned_keys(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{}: {}", path.display(), e.message()))?;
    let mut out = Vec::new();
    for (name, value) in table {
        let Some(record) = value.as_str() else {
            return Err(format!("{name}: the record must be a string"));
        };
        if !name.contains("._domainkey.") {
            return Err(format!(
                "{name}: not a DKIM key name (selector._domainkey.domain)"
            ));
        }
        <mail_auth::common::verify::DomainKey as mail_auth::common::parse::TxtRecordParser>::parse(
            record.as_bytes(),
        )
        .map_err(|e| format!("{name}: not a DKIM key record ({e})"))?;
        out.push((name, record.to_string()));
    }
    Ok(out)
}

fn load_call(path: &Path, problems: &mut Vec<Problem>) -> Option<Call> {
    let file = path.display().to_string();
    let table = read_table(path, problems);
    if table.is_empty() {
        return None;
    }
    let mut call: Call = match toml::Value::Table(table).try_into() {
        Ok(c) => c,
        Err(e) => {
            problems.push(problem(&file, "", &one_line(&e.to_string())));
            return None;
        }
    };
    call.lexicon_path = path.parent().unwrap_or(Path::new(".")).join(&call.lexicon);
    check_call(&call, &file, problems);
    Some(call)
}

fn check_call(call: &Call, file: &str, problems: &mut Vec<Problem>) {
    let mut ids = BTreeSet::new();
    for (i, c) in call
        .criteria
        .iter()
        .chain(std::iter::once(&call.principle))
        .enumerate()
    {
        if !ids.insert(c.id.clone()) {
            problems.push(problem(
                file,
                &format!("criteria[{i}].id"),
                &format!("duplicate id {:?}", c.id),
            ));
        }
    }
    if call.minimum_criteria > call.criteria.len() {
        problems.push(problem(
            file,
            "minimum_criteria",
            "is larger than the number of criteria",
        ));
    }
    if call.max_pages == 0 {
        problems.push(problem(file, "max_pages", "must be at least 1"));
    }
    if call.reference_prefix.is_empty()
        || !call
            .reference_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric())
    {
        problems.push(problem(
            file,
            "reference_prefix",
            "must be letters and digits only",
        ));
    }
    let mut dids = BTreeSet::new();
    for (i, d) in call.domains.iter().enumerate() {
        if !dids.insert(d.id.clone()) {
            problems.push(problem(
                file,
                &format!("domains[{i}].id"),
                &format!("duplicate id {:?}", d.id),
            ));
        }
    }
    for (i, p) in call.partners.iter().enumerate() {
        if p.addresses.is_empty() {
            problems.push(problem(
                file,
                &format!("partners[{i}].addresses"),
                "needs at least one address",
            ));
        }
        for (j, a) in p.addresses.iter().enumerate() {
            if EmailAddress::parse(a).is_none() {
                problems.push(problem(
                    file,
                    &format!("partners[{i}].addresses[{j}]"),
                    "is not an e-mail address",
                ));
            }
        }
    }
    for (i, a) in call.staff.recipients.iter().enumerate() {
        if EmailAddress::parse(a).is_none() {
            problems.push(problem(
                file,
                &format!("staff.recipients[{i}]"),
                "is not an e-mail address",
            ));
        }
    }
    if call.office_holders.len() < 2 {
        problems.push(problem(
            file,
            "office_holders",
            "the selection is ratified by two office holders: list both",
        ));
    }
    // Whether the lexicon's words and targets fit the call is checked where it is loaded
    // (`App::open`, `check-config`: see `app::lexicon_problems`); here only that it is there.
    if !call.lexicon_path.is_file() {
        problems.push(problem(
            file,
            "lexicon",
            &format!("file {} does not exist", call.lexicon_path.display()),
        ));
    }
}

/// Configurable identification rules (`[municipalities]` in `config/intake.toml`); the rules
/// themselves are in `assess::municipality`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MunicipalityRules {
    /// Mail domains of shared service organisations (werkorganisaties) → the CBS codes of the
    /// municipalities they serve, e.g. `"werkorganisatie-buch.nl" = ["GM0373", "GM0383", ...]`.
    pub shared_domains: BTreeMap<String, Vec<String>>,
    /// Extra domains of a municipality (new or campaign domains): CBS code → domains.
    pub extra_domains: BTreeMap<String, Vec<String>>,
    /// Place names inside a municipality with another name, and former municipality names:
    /// name → CBS code (`"Hoogezand" = "GM1952"`, `"Geldermalsen" = "GM1960"`).
    pub places: BTreeMap<String, String>,
    /// Names that are also places elsewhere and need a second cue (`"Hengelo"`, `"Rijswijk"`).
    pub ambiguous_names: Vec<String>,
    /// Mail domains that never identify a municipality (`gmail.com`, `vng.nl`).
    pub neutral_domains: Vec<String>,
}

fn problem(file: &str, key: &str, message: &str) -> Problem {
    Problem {
        file: file.to_string(),
        key: key.to_string(),
        message: message.to_string(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn read_table(path: &Path, problems: &mut Vec<Problem>) -> toml::Table {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => match text.parse::<toml::Table>() {
            Ok(t) => t,
            Err(e) => {
                problems.push(problem(&file, "", &one_line(&e.to_string())));
                toml::Table::new()
            }
        },
        Err(e) => {
            problems.push(problem(&file, "", &format!("cannot be read: {e}")));
            toml::Table::new()
        }
    }
}

/// Applies `INTAKE__A__B=value` overrides: the value is read as a TOML value when it parses as
/// one (numbers, booleans, arrays), else as a string.
fn apply_env(
    table: &mut toml::Table,
    env: &[(String, String)],
    file: &str,
    problems: &mut Vec<Problem>,
) {
    for (name, value) in env {
        let Some(rest) = name.strip_prefix("INTAKE__") else {
            continue;
        };
        let keys: Vec<String> = rest.split("__").map(|k| k.to_lowercase()).collect();
        // Secrets are read by the sections that need them, not merged into the table.
        if keys.last().is_some_and(|k| k == "password" || k == "token") {
            continue;
        }
        if keys.iter().any(|k| k.is_empty()) {
            problems.push(problem(file, name, "malformed environment override"));
            continue;
        }
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.clone()));
        let mut cur = &mut *table;
        for k in &keys[..keys.len() - 1] {
            let entry = cur
                .entry(k.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => cur = t,
                _ => {
                    problems.push(problem(
                        file,
                        name,
                        "overrides a value that is not a section",
                    ));
                    return;
                }
            }
        }
        if let Some(last) = keys.last() {
            cur.insert(last.clone(), parsed);
        }
    }
}

fn section<T: DeserializeOwned>(
    table: &toml::Table,
    key: &str,
    file: &str,
    problems: &mut Vec<Problem>,
    optional: bool,
) -> Option<T> {
    let value = match table.get(key) {
        Some(v) => v.clone(),
        None if optional => toml::Value::Table(toml::Table::new()),
        None => {
            problems.push(problem(file, key, "section is missing"));
            return None;
        }
    };
    match value.try_into::<T>() {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(problem(file, key, &one_line(&e.to_string())));
            None
        }
    }
}

/// `[web]` in `config/intake.toml`: where `intake serve` listens and how sessions behave.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// Address and port to listen on. Keep 127.0.0.1 and put a TLS reverse proxy in front; in a
    /// container behind the proxy, 0.0.0.0 with an https `base_url`.
    #[serde(default = "default_bind")]
    pub bind: SocketAddr,
    /// The address people open in their browser, scheme and host (and port), no path: the
    /// proxy's `https://…` address in production. Forms from any other origin are refused.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// A session ends after this many minutes without a request.
    #[serde(default = "default_idle")]
    pub session_idle_minutes: u32,
    /// A session ends this many hours after sign-in, used or not.
    #[serde(default = "default_max_hours")]
    pub session_max_hours: u32,
    /// Failed sign-ins in a row that lock an account.
    #[serde(default = "default_failures")]
    pub max_failed_sign_ins: u32,
    /// How long a locked account stays locked, in minutes.
    #[serde(default = "default_lockout")]
    pub lockout_minutes: u32,
}

fn default_bind() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_base_url() -> String {
    "http://127.0.0.1:8080".into()
}
fn default_idle() -> u32 {
    60
}
fn default_max_hours() -> u32 {
    12
}
fn default_failures() -> u32 {
    5
}
fn default_lockout() -> u32 {
    15
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            bind: default_bind(),
            base_url: default_base_url(),
            session_idle_minutes: default_idle(),
            session_max_hours: default_max_hours(),
            max_failed_sign_ins: default_failures(),
            lockout_minutes: default_lockout(),
        }
    }
}

impl WebSettings {
    /// Problems with these settings as (key, message), for the configuration report.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match origin_of(&self.base_url) {
            None => out.push((
                "base_url",
                "must be http:// or https:// with a host, and no path".to_string(),
            )),
            Some(o) if o.starts_with("http://") && !self.bind.ip().is_loopback() => out.push((
                "base_url",
                "plain http is only for a workspace bound to 127.0.0.1; put a TLS reverse proxy \
                 in front and give its https:// address"
                    .to_string(),
            )),
            Some(_) => {}
        }
        if self.session_idle_minutes == 0 || self.session_max_hours == 0 {
            out.push((
                "session_idle_minutes",
                "session times must be at least 1".to_string(),
            ));
        }
        if self.max_failed_sign_ins == 0 || self.lockout_minutes == 0 {
            out.push((
                "max_failed_sign_ins",
                "the lock-out needs at least 1 failure and 1 minute".to_string(),
            ));
        }
        out
    }
}

/// `scheme://host[:port]` of a base URL without path, query or user part; `None` otherwise.
pub fn origin_of(base_url: &str) -> Option<String> {
    let url = base_url.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return None;
    }
    let bad = |c: char| matches!(c, '/' | '?' | '#' | '@' | '\\') || c.is_whitespace();
    if rest.chars().any(bad) {
        return None;
    }
    Some(format!("{scheme}://{}", rest.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_redacted_wherever_they_are() {
        assert_eq!(
            redact_url("postgres://intake:geheim@db.example.org:5432/intake"),
            "postgres://intake:***@db.example.org:5432/intake"
        );
        assert_eq!(
            redact_url("postgres://intake@db/intake?sslmode=require&password=geheim"),
            "postgres://intake@db/intake?sslmode=require&password=***"
        );
        assert_eq!(
            redact_url("postgresql://db/intake?user=x&sslpassword=a&Password=b"),
            "postgresql://db/intake?user=x&sslpassword=***&Password=***"
        );
        assert_eq!(
            redact_url("postgres://u:p@ss@host/db"),
            "postgres://u:***@host/db"
        );
        assert_eq!(
            redact_url("sqlite://var/intake.db"),
            "sqlite://var/intake.db"
        );
    }

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/intake.toml")
    }

    #[test]
    fn the_shipped_configuration_loads_without_problems() {
        let cfg = Config::load_with_env(&shipped(), &[]).unwrap();
        assert_eq!(cfg.call.reference_prefix, "KVN");
        assert_eq!(cfg.call.criteria.len(), 3);
        assert_eq!(cfg.call.domains.len(), 8);
        assert_eq!(cfg.call.partners.len(), 5);
        assert_eq!(cfg.settings.mailbox.kind, MailboxKind::Maildir);
        // 21 March 2018 23:59:59 CET is 22:59:59 UTC.
        assert_eq!(
            cfg.call.deadline_utc().to_rfc3339(),
            "2018-03-21T22:59:59+00:00"
        );
    }

    #[test]
    fn environment_overrides_replace_file_values() {
        let env = vec![
            (
                "INTAKE__DATABASE__URL".to_string(),
                "postgres://x@127.0.0.1/db".to_string(),
            ),
            (
                "INTAKE__MAILBOX__POLL_INTERVAL_SECS".to_string(),
                "7".to_string(),
            ),
        ];
        let cfg = Config::load_with_env(&shipped(), &env).unwrap();
        assert_eq!(cfg.settings.database.url, "postgres://x@127.0.0.1/db");
        assert_eq!(cfg.settings.mailbox.poll_interval_secs, 7);
    }

    #[test]
    fn every_problem_is_reported_at_once_with_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("intake.toml");
        std::fs::write(
            &p,
            "[general]\ncall = \"nope.toml\"\n[mailbox]\nkind = \"maildir\"\naddress = \"geen adres\"\npoll_interval_secs = 0\n\
             [database]\nurl = \"mysql://x\"\n[outbox]\nkind = \"smtp\"\nbogus = 1\n[digest]\ntime = \"8 uur\"\n",
        )
        .unwrap();
        let err = Config::load_with_env(&p, &[]).unwrap_err();
        let text = err.to_string();
        for needle in [
            "mailbox.address",
            "poll_interval_secs",
            "database.url",
            "bogus",
            "digest.time",
            "nope.toml",
        ] {
            assert!(text.contains(needle), "missing {needle} in:\n{text}");
        }
    }

    #[test]
    fn a_local_time_in_the_spring_gap_resolves_after_the_gap() {
        let t = NaiveDateTime::parse_from_str("2018-03-25 02:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            local_to_utc(chrono_tz::Europe::Amsterdam, t).to_rfc3339(),
            "2018-03-25T01:00:00+00:00"
        );
        let t = NaiveDateTime::parse_from_str("2018-10-28 02:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            local_to_utc(chrono_tz::Europe::Amsterdam, t).to_rfc3339(),
            "2018-10-28T01:30:00+00:00"
        );
    }
}
