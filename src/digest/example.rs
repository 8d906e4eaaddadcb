//! A digest with something in every section, for `check-config` (which renders every template
//! once before a real digest is due) and previews of the templates.

use chrono::{DateTime, TimeZone as _, Utc};

use super::{ConsultationRow, DeliveryProblem, DigestData, NominationRow};
use crate::domain::{Standing, Verdict};

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2018, 3, day, hour, minute, 0)
        .single()
        .unwrap_or_default()
}

fn row(reference: &str, municipality: Option<&str>, province: Option<&str>) -> NominationRow {
    NominationRow {
        reference: reference.into(),
        municipality: municipality.map(str::to_string),
        code: municipality.map(|_| "GM0344".to_string()),
        province: province.map(str::to_string),
        arrived_at: at(20, 13, 5),
        on_time: true,
        pages: Some(2),
        page_basis: Some("pdf".into()),
        over_limit: false,
        page_check: false,
        verdicts: vec![
            ("c1".into(), Verdict::Met),
            ("c2".into(), Verdict::Weak),
            ("c3".into(), Verdict::NotFound),
        ],
        principle: Verdict::Met,
        meets_minimum: false,
        domains: vec!["wonen".into(), "werk".into()],
        status: "current".into(),
        problems: vec![],
        consultation: vec![("Ieder(in)".into(), Standing::Support)],
        local_contacts: vec!["Adviesraad Sociaal Domein: voorgesteld (uit de brief)".into()],
        decision: None,
    }
}

/// The twelve provinces, in the order of the call.
pub const PROVINCES: [&str; 12] = [
    "Groningen",
    "Fryslân",
    "Drenthe",
    "Overijssel",
    "Flevoland",
    "Gelderland",
    "Utrecht",
    "Noord-Holland",
    "Zuid-Holland",
    "Zeeland",
    "Noord-Brabant",
    "Limburg",
];

/// The call's themes, id and label.
const DOMAINS: [(&str, &str); 8] = [
    ("wonen", "Wonen"),
    ("werk", "Werk en inkomen"),
    ("onderwijs", "Onderwijs"),
    ("vervoer", "Vervoer"),
    ("openbare_ruimte", "Toegankelijkheid openbare ruimte"),
    ("zorg", "Zorg en ondersteuning"),
    ("vrije_tijd", "Sport, cultuur en vrije tijd"),
    ("informatie", "Toegankelijke informatie"),
];

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(id, label)| (id.to_string(), label.to_string()))
        .collect()
}

/// The example digest: two new nominations (one meeting the minimum, one with an unreadable
/// attachment), one late, one too long, one unidentified, one earlier nomination, an answer of
/// support and an objection, and one of every problem.
pub fn example() -> DigestData {
    let utrecht = row("KVN-0001", Some("Utrecht"), Some("Utrecht"));
    let mut fryslan = row("KVN-0002", Some("Súdwest-Fryslân"), Some("Fryslân"));
    fryslan.problems = vec!["bijlage 2 kon niet worden gelezen; tekst uit de mail gebruikt".into()];
    fryslan.verdicts[1].1 = Verdict::Met;
    fryslan.meets_minimum = true;
    fryslan.domains = vec!["onderwijs".into()];
    let mut late = row("KVN-0003", Some("Maastricht"), Some("Limburg"));
    late.on_time = false;
    late.arrived_at = at(22, 9, 30);
    late.status = "late".into();
    let mut long = row("KVN-0004", Some("Zwolle"), Some("Overijssel"));
    long.pages = Some(4);
    long.over_limit = true;
    let unknown = row("KVN-0005", None, None);
    let earlier = row("KVN-0006", Some("Groningen"), Some("Groningen"));
    let all = vec![
        utrecht.clone(),
        fryslan.clone(),
        long.clone(),
        unknown.clone(),
        earlier,
    ];
    DigestData {
        call_title: "Koplopers VN-Verdrag Handicap".into(),
        since: Some(at(20, 7, 0)),
        now: at(21, 7, 0),
        tz: chrono_tz::Europe::Amsterdam,
        new_nominations: vec![utrecht, fryslan],
        late: vec![late],
        over_limit: vec![long],
        unidentified: vec![unknown],
        unreadable: vec![(
            "KVN-0002".into(),
            "voordracht-scan.pdf".into(),
            "versleutelde pdf".into(),
        )],
        quarantined: vec![(
            at(20, 15, 0),
            "onbekend@example.org".into(),
            "mail kon niet worden gelezen".into(),
        )],
        bounces: vec![(
            "griffie@gemeente-x.nl".into(),
            "ontvangstbevestiging KVN-0007".into(),
            "adres bestaat niet".into(),
        )],
        failed_deliveries: vec![DeliveryProblem {
            to: "info@persaldo.nl".into(),
            what: "adviesvraag KVN-0001 (Per Saldo)".into(),
            reason: "mailserver weigert verbinding".into(),
        }],
        mailbox_problems: vec!["De verbinding met de mailbox viel 3 keer weg.".into()],
        consultations: vec![
            ConsultationRow {
                reference: "KVN-0001".into(),
                municipality: Some("Utrecht".into()),
                partner: "Ieder(in)".into(),
                state: Standing::Support,
                changed_at: at(20, 16, 0),
                note: None,
                overridden: false,
            },
            ConsultationRow {
                reference: "KVN-0002".into(),
                municipality: Some("Súdwest-Fryslân".into()),
                partner: "Mind-LPGGz".into(),
                state: Standing::Objection,
                changed_at: at(20, 17, 0),
                note: Some("Geen ervaringsdeskundigen betrokken".into()),
                overridden: false,
            },
        ],
        actions: vec!["Beslis over het bezwaar van Mind-LPGGz tegen KVN-0002.".into()],
        all,
        provinces: PROVINCES.iter().map(|p| p.to_string()).collect(),
        domains: pairs(&DOMAINS),
        criteria: pairs(&[
            ("c1", "Hoog op de agenda"),
            ("c2", "Innovatieve aanpak"),
            ("c3", "Inclusieve samenleving"),
        ]),
        principle_title: "Niets over ons zonder ons".into(),
    }
}
