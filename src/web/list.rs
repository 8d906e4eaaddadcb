//! The nominations table: which rows a filter keeps, in which order, why a row needs
//! attention, and the counts per province and per theme shown above it (with the geometry of
//! their bar charts). Pure: the digest snapshot and the call come in, plain data goes out.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::config::Call;
use crate::digest::NominationRow;
use crate::digest::collect::{self, Snapshot};
use crate::domain::{Decision, Standing, Verdict};

/// Where the consultation of one nomination stands, in one word (the worst state first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultSummary {
    /// No partner was asked.
    None,
    /// Asked, answers still open.
    Open,
    /// An answer could not be read: staff must read it.
    Unread,
    /// A partner objected and staff did not set it aside.
    Objection,
    /// Every partner answered or the time is up; nothing blocks.
    Done,
}

impl ConsultSummary {
    /// The filter value (`raadpleging=`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConsultSummary::None => "geen",
            ConsultSummary::Open => "open",
            ConsultSummary::Unread => "lezen",
            ConsultSummary::Objection => "bezwaar",
            ConsultSummary::Done => "klaar",
        }
    }

    /// The Dutch label.
    pub fn label_nl(self) -> &'static str {
        match self {
            ConsultSummary::None => "niet gevraagd",
            ConsultSummary::Open => "loopt",
            ConsultSummary::Unread => "antwoord lezen",
            ConsultSummary::Objection => "bezwaar",
            ConsultSummary::Done => "afgerond",
        }
    }

    pub const ALL: [ConsultSummary; 5] = [
        ConsultSummary::None,
        ConsultSummary::Open,
        ConsultSummary::Unread,
        ConsultSummary::Objection,
        ConsultSummary::Done,
    ];
}

/// One row of the table: the digest's row plus what the workspace adds.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub row: NominationRow,
    pub consultation: ConsultSummary,
    /// Why a person should look, in Dutch; empty when nothing needs attention.
    pub attention: Vec<String>,
    /// Criteria met (after staff overrides), without the principle.
    pub criteria_met: usize,
    /// The row is the current version.
    pub current: bool,
}

/// The filter and order of the table, as the form sends them (`GET /voordrachten?…`). An
/// empty value means "all"; an unknown value keeps nothing rather than everything.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Filter {
    pub provincie: String,
    /// `ja` or `nee`.
    pub op_tijd: String,
    /// `voldoet` or `niet`.
    pub advies: String,
    /// A [`ConsultSummary::as_str`].
    pub raadpleging: String,
    /// `geen` or a decision word (`selected`, `reserve`, `rejected`).
    pub besluit: String,
    /// `ja`: only rows that need attention.
    pub aandacht: String,
    /// `alle`: earlier versions too.
    pub versies: String,
    /// Part of the reference or the municipality's name.
    pub zoek: String,
    /// Column: `kenmerk` (default), `gemeente`, `provincie`, `ontvangen`, `paginas`,
    /// `criteria`, `besluit`.
    pub sorteer: String,
    /// `op` (default) or `af`.
    pub richting: String,
}

impl Filter {
    /// Whether any filter (not the order) is set.
    pub fn is_active(&self) -> bool {
        [
            &self.provincie,
            &self.op_tijd,
            &self.advies,
            &self.raadpleging,
            &self.besluit,
            &self.aandacht,
            &self.versies,
            &self.zoek,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

/// The table's rows: current versions (every version when `all_versions`), in reference order.
pub fn items(call: &Call, snap: &Snapshot, all_versions: bool) -> Vec<Item> {
    snap.submissions
        .iter()
        .filter(|s| all_versions || s.is_current)
        .map(|s| {
            let row = collect::nomination_row(call, snap, s);
            let cons: Vec<_> = snap
                .consultations
                .iter()
                .filter(|c| c.submission_id == s.id)
                .collect();
            let partner = |id: &str| {
                call.partners
                    .iter()
                    .find(|p| p.id == id)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| id.to_string())
            };
            let mut attention = row.problems.clone();
            let mut consultation = if cons.is_empty() {
                ConsultSummary::None
            } else {
                ConsultSummary::Done
            };
            for c in &cons {
                match c.standing() {
                    Standing::NeedsReading => {
                        attention.push(format!(
                            "antwoord van {} niet herkend: lees het zelf",
                            partner(&c.partner_id)
                        ));
                        consultation = ConsultSummary::Unread;
                    }
                    Standing::Objection if c.staff_override.is_none() => {
                        attention.push(format!(
                            "bezwaar van {}: beslis erover",
                            partner(&c.partner_id)
                        ));
                        if consultation != ConsultSummary::Unread {
                            consultation = ConsultSummary::Objection;
                        }
                    }
                    Standing::Sent | Standing::Reminded if consultation == ConsultSummary::Done => {
                        consultation = ConsultSummary::Open;
                    }
                    _ => {}
                }
            }
            let decided = snap.decision_of(s.id).is_some();
            if !s.on_time && !decided && s.is_current {
                attention.push("te laat binnengekomen: beslis of ze toch meedoet".into());
            }
            if s.other_sender && !s.is_current {
                attention
                    .push("kwam van een ander afzenderdomein: beslis welke versie telt".into());
            }
            let criteria_met = row
                .verdicts
                .iter()
                .filter(|(_, v)| *v == Verdict::Met)
                .count();
            Item {
                row,
                consultation,
                attention,
                criteria_met,
                current: s.is_current,
            }
        })
        .collect()
}

fn keeps(item: &Item, f: &Filter) -> bool {
    let r = &item.row;
    let provincie = f.provincie.trim();
    if !provincie.is_empty() {
        let p = r.province.as_deref().unwrap_or("onbekend");
        if p != provincie {
            return false;
        }
    }
    match f.op_tijd.trim() {
        "" => {}
        "ja" if r.on_time => {}
        "nee" if !r.on_time => {}
        _ => return false,
    }
    match f.advies.trim() {
        "" => {}
        "voldoet" if r.meets_minimum => {}
        "niet" if !r.meets_minimum => {}
        _ => return false,
    }
    let c = f.raadpleging.trim();
    if !c.is_empty() && item.consultation.as_str() != c {
        return false;
    }
    match (f.besluit.trim(), r.decision) {
        ("", _) | ("geen", None) => {}
        (d, Some(dec)) if Decision::parse(d) == Some(dec) => {}
        _ => return false,
    }
    match f.aandacht.trim() {
        "" => {}
        "ja" if !item.attention.is_empty() => {}
        _ => return false,
    }
    let q = f.zoek.trim().to_lowercase();
    if !q.is_empty() {
        let hay = format!(
            "{} {} {}",
            r.reference,
            r.municipality.as_deref().unwrap_or(""),
            r.code.as_deref().unwrap_or("")
        )
        .to_lowercase();
        if !hay.contains(&q) {
            return false;
        }
    }
    true
}

fn decision_rank(d: Option<Decision>) -> u8 {
    match d {
        Some(Decision::Selected) => 0,
        Some(Decision::Reserve) => 1,
        Some(Decision::Rejected) => 2,
        None => 3,
    }
}

fn compare(a: &Item, b: &Item, column: &str) -> Ordering {
    let (x, y) = (&a.row, &b.row);
    let by = match column {
        "gemeente" => x
            .municipality
            .as_deref()
            .unwrap_or("~")
            .cmp(y.municipality.as_deref().unwrap_or("~")),
        "provincie" => x
            .province
            .as_deref()
            .unwrap_or("~")
            .cmp(y.province.as_deref().unwrap_or("~")),
        "ontvangen" => x.arrived_at.cmp(&y.arrived_at),
        "paginas" => x.pages.cmp(&y.pages),
        "criteria" => (a.criteria_met, x.principle == Verdict::Met)
            .cmp(&(b.criteria_met, y.principle == Verdict::Met)),
        "besluit" => decision_rank(x.decision).cmp(&decision_rank(y.decision)),
        _ => Ordering::Equal,
    };
    by.then_with(|| x.reference.cmp(&y.reference))
}

/// The rows `f` keeps, in its order.
pub fn apply(items: Vec<Item>, f: &Filter) -> Vec<Item> {
    let mut kept: Vec<Item> = items.into_iter().filter(|i| keeps(i, f)).collect();
    let column = f.sorteer.trim();
    kept.sort_by(|a, b| {
        let o = compare(a, b, column);
        if f.richting.trim() == "af" {
            o.reverse()
        } else {
            o
        }
    });
    kept
}

/// One bar of a count chart: the count, and where the template draws it.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub label: String,
    /// Nominations (current versions).
    pub count: usize,
    /// Of which selected (latest decision).
    pub selected: usize,
    /// Bar width in chart units (0–[`BAR_MAX`]).
    pub width: u32,
    /// Width of the selected part.
    pub selected_width: u32,
    /// Top of the bar's row.
    pub y: u32,
    /// The table filtered on this label, when the caller links it.
    pub href: Option<String>,
}

/// Longest bar, in chart units.
pub const BAR_MAX: u32 = 250;
/// Height of one row of a chart, in chart units.
pub const ROW_HEIGHT: u32 = 40;

/// Bars for `(label, count, selected)`, scaled to the largest count.
pub fn bars(counts: Vec<(String, usize, usize)>) -> Vec<Bar> {
    let max = counts.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let scale = |n: usize| u32::try_from(n * BAR_MAX as usize / max).unwrap_or(BAR_MAX);
    counts
        .into_iter()
        .enumerate()
        .map(|(i, (label, count, selected))| Bar {
            label,
            count,
            selected,
            width: scale(count),
            selected_width: scale(selected),
            y: u32::try_from(i).unwrap_or(0) * ROW_HEIGHT,
            href: None,
        })
        .collect()
}

/// Current nominations (and how many are selected) per province, every province listed (and
/// "onbekend" when some municipality is unknown).
pub fn by_province(items: &[Item], provinces: &[String]) -> Vec<(String, usize, usize)> {
    let current: Vec<&Item> = items.iter().filter(|i| i.current).collect();
    let count = |p: Option<&str>| {
        let of: Vec<&&Item> = current
            .iter()
            .filter(|i| i.row.province.as_deref() == p)
            .collect();
        let selected = of
            .iter()
            .filter(|i| i.row.decision == Some(Decision::Selected))
            .count();
        (of.len(), selected)
    };
    let mut out: Vec<(String, usize, usize)> = provinces
        .iter()
        .map(|p| {
            let (n, s) = count(Some(p));
            (p.clone(), n, s)
        })
        .collect();
    let (n, s) = count(None);
    if n > 0 {
        out.push(("onbekend".into(), n, s));
    }
    out
}

/// Current nominations (and how many are selected) per theme (domain), in the call's order.
pub fn by_theme(items: &[Item], domains: &[(String, String)]) -> Vec<(String, usize, usize)> {
    domains
        .iter()
        .map(|(id, title)| {
            let of: Vec<&Item> = items
                .iter()
                .filter(|i| i.current && i.row.domains.contains(id))
                .collect();
            let selected = of
                .iter()
                .filter(|i| i.row.decision == Some(Decision::Selected))
                .count();
            (title.clone(), of.len(), selected)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn item(reference: &str, province: Option<&str>, on_time: bool, meets: bool) -> Item {
        Item {
            row: NominationRow {
                reference: reference.into(),
                municipality: province.map(|_| format!("Gemeente {reference}")),
                code: None,
                province: province.map(str::to_string),
                arrived_at: Utc.with_ymd_and_hms(2018, 3, 20, 12, 0, 0).unwrap(),
                on_time,
                pages: Some(2),
                page_basis: None,
                over_limit: false,
                page_check: false,
                verdicts: vec![("1".into(), Verdict::Met), ("2".into(), Verdict::Weak)],
                principle: Verdict::Met,
                meets_minimum: meets,
                domains: vec!["wonen".into()],
                status: "current".into(),
                problems: vec![],
                consultation: vec![],
                local_contacts: vec![],
                decision: None,
            },
            consultation: ConsultSummary::None,
            attention: vec![],
            criteria_met: 1,
            current: true,
        }
    }

    fn refs(items: &[Item]) -> Vec<&str> {
        items.iter().map(|i| i.row.reference.as_str()).collect()
    }

    #[test]
    fn filters_combine_and_unknown_values_keep_nothing() {
        let mut late = item("KVN-0003", Some("Utrecht"), false, true);
        late.attention.push("te laat".into());
        late.row.decision = Some(Decision::Reserve);
        let all = vec![
            item("KVN-0001", Some("Utrecht"), true, true),
            item("KVN-0002", Some("Zeeland"), true, false),
            late,
            item("KVN-0004", None, true, true),
        ];
        let f = |f: Filter| refs(&apply(all.clone(), &f)).join(",");
        assert_eq!(f(Filter::default()), "KVN-0001,KVN-0002,KVN-0003,KVN-0004");
        let utrecht = Filter {
            provincie: "Utrecht".into(),
            ..Filter::default()
        };
        assert_eq!(f(utrecht.clone()), "KVN-0001,KVN-0003");
        assert_eq!(
            f(Filter {
                op_tijd: "ja".into(),
                ..utrecht
            }),
            "KVN-0001"
        );
        assert_eq!(
            f(Filter {
                provincie: "onbekend".into(),
                ..Filter::default()
            }),
            "KVN-0004"
        );
        assert_eq!(
            f(Filter {
                advies: "niet".into(),
                ..Filter::default()
            }),
            "KVN-0002"
        );
        assert_eq!(
            f(Filter {
                aandacht: "ja".into(),
                ..Filter::default()
            }),
            "KVN-0003"
        );
        assert_eq!(
            f(Filter {
                besluit: "geen".into(),
                ..Filter::default()
            }),
            "KVN-0001,KVN-0002,KVN-0004"
        );
        assert_eq!(
            f(Filter {
                besluit: "reserve".into(),
                ..Filter::default()
            }),
            "KVN-0003"
        );
        assert_eq!(
            f(Filter {
                op_tijd: "misschien".into(),
                ..Filter::default()
            }),
            ""
        );
        assert_eq!(
            f(Filter {
                zoek: "0002".into(),
                ..Filter::default()
            }),
            "KVN-0002"
        );
    }

    #[test]
    fn sorting_by_a_column_keeps_the_reference_as_tie_breaker_and_can_reverse() {
        let all = vec![
            item("KVN-0001", Some("Zeeland"), true, true),
            item("KVN-0002", Some("Drenthe"), true, true),
            item("KVN-0003", Some("Zeeland"), true, true),
        ];
        let by = |col: &str, dir: &str| {
            refs(&apply(
                all.clone(),
                &Filter {
                    sorteer: col.into(),
                    richting: dir.into(),
                    ..Filter::default()
                },
            ))
            .join(",")
        };
        assert_eq!(by("provincie", ""), "KVN-0002,KVN-0001,KVN-0003");
        assert_eq!(by("provincie", "af"), "KVN-0003,KVN-0001,KVN-0002");
        assert_eq!(by("", "af"), "KVN-0003,KVN-0002,KVN-0001");
    }

    #[test]
    fn counts_list_every_province_and_bars_scale_to_the_largest() {
        let mut chosen = item("KVN-0002", Some("Utrecht"), true, true);
        chosen.row.decision = Some(Decision::Selected);
        let all = vec![
            item("KVN-0001", Some("Utrecht"), true, true),
            chosen,
            item("KVN-0003", None, true, true),
        ];
        let provinces = vec!["Utrecht".to_string(), "Zeeland".to_string()];
        let counts = by_province(&all, &provinces);
        assert_eq!(
            counts,
            vec![
                ("Utrecht".to_string(), 2, 1),
                ("Zeeland".to_string(), 0, 0),
                ("onbekend".to_string(), 1, 0)
            ]
        );
        let b = bars(counts);
        assert_eq!(b[0].width, BAR_MAX);
        assert_eq!(b[0].selected_width, BAR_MAX / 2);
        assert_eq!(b[1].width, 0);
        assert_eq!(b[2].y, 2 * ROW_HEIGHT);
        let themes = by_theme(&all, &[("wonen".into(), "Wonen".into())]);
        assert_eq!(themes, vec![("Wonen".to_string(), 3, 1)]);
    }
}
