//! The shortlist proposal: which `size` nominations to put forward as koplopers.
//!
//! Eligible are current, on-time nominations meeting at least `minimum_criteria` criteria and
//! (when required) the principle, without a partner objection that staff did not override and
//! without a partner answer that still needs reading.
//! Staff overrides are already in the [`Candidate`] fields the caller fills.
//!
//! Among the eligible, the proposal maximises, in this order (lexicographically):
//! 1. the number of provinces covered;
//! 2. the number of themes (domains) covered;
//! 3. balance over the provinces: the smallest sum of squares of picks per province
//!    (25 over 12 provinces gives 2 or 3 each, not 10 from one);
//! 4. the support of the partners and local contacts consulted (the number of STEUN answers);
//! 5. the total strength;
//! 6. remaining ties are broken by a fixed order (candidates sorted by reference, the first
//!    found kept), so the result is deterministic and independent of the input order.
//!
//! This is solved **exactly**, not greedily: candidates are grouped by province, a small
//! knapsack per province gives the best strength for every (number of picks, set of themes),
//! and a dynamic programme over the provinces combines them. Themes are a bit mask, so the cost
//! grows with 2^themes; the first [`MAX_EXACT_DOMAINS`] themes are used for coverage (the call
//! has 8). The proposal is advice: staff decide.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

pub use crate::digest::collect::Candidate;

/// One proposed nomination with the reason it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pick {
    pub reference: String,
    pub municipality: String,
    pub province: String,
    pub why: String,
}

/// The proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortlist {
    /// The objective and the outcome, in Dutch.
    pub objective: String,
    pub picks: Vec<Pick>,
    /// Eligible nominations that were not picked, best replacement first.
    pub reserves: Vec<Pick>,
    /// (reference, reason in Dutch) of every nomination that is not eligible.
    pub excluded: Vec<(String, String)>,
    /// References whose consultation has an answer staff must read first: never counted as
    /// supported, and listed apart so the reading is not forgotten.
    pub to_read: Vec<String>,
}

/// Themes beyond this many are not used for coverage (2^n states).
pub const MAX_EXACT_DOMAINS: usize = 10;

/// Value of a partial solution; compared lexicographically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Score {
    covered: u32,
    /// Sum of squares of picks per province (smaller is better).
    squares: i64,
    strength: i64,
}

impl Score {
    fn better_than(&self, other: &Score) -> bool {
        (self.covered, -self.squares, self.strength)
            > (other.covered, -other.squares, other.strength)
    }
}

/// Strength as an integer (thousandths), so sums are exact and ties are real ties.
fn milli(strength: f64) -> i64 {
    if strength.is_finite() {
        (strength * 1000.0).round() as i64
    } else {
        0
    }
}

/// Why a candidate is not eligible, or `None` when it is.
fn exclusion(c: &Candidate, minimum_criteria: usize, require_principle: bool) -> Option<String> {
    let mut why = Vec::new();
    if !c.current {
        why.push("vervangen door een nieuwere versie".to_string());
    }
    if !c.on_time {
        why.push("te laat binnengekomen".to_string());
    }
    if c.criteria_met < minimum_criteria {
        why.push(format!(
            "voldoet aan {}, minimaal {} nodig",
            criteria_nl(c.criteria_met),
            minimum_criteria
        ));
    }
    if require_principle && !c.principle {
        why.push("principe niet aangetoond".to_string());
    }
    if c.has_objection && !c.objection_overridden {
        why.push("bezwaar van een partner (niet door VNG opzij gezet)".to_string());
    }
    if c.unread_answer {
        why.push("antwoord van een partner nog niet gelezen".to_string());
    }
    if why.is_empty() {
        None
    } else {
        Some(why.join("; "))
    }
}

/// Propose `size` nominations; see the module documentation for the objective.
pub fn shortlist(
    cands: &[Candidate],
    size: usize,
    minimum_criteria: usize,
    require_principle: bool,
    provinces: &[String],
    domains: &[String],
) -> Shortlist {
    // Deterministic order, one candidate per reference.
    let mut sorted: Vec<&Candidate> = cands.iter().collect();
    sorted.sort_by(|a, b| a.reference.cmp(&b.reference));
    sorted.dedup_by(|a, b| a.reference == b.reference);

    let mut excluded = Vec::new();
    let to_read: Vec<String> = sorted
        .iter()
        .filter(|c| c.current && c.unread_answer)
        .map(|c| c.reference.clone())
        .collect();
    let mut eligible: Vec<&Candidate> = Vec::new();
    for c in sorted {
        match exclusion(c, minimum_criteria, require_principle) {
            Some(why) => excluded.push((c.reference.clone(), why)),
            None => eligible.push(c),
        }
    }

    let used_domains: Vec<&String> = domains.iter().take(MAX_EXACT_DOMAINS).collect();
    let mask_of = |c: &Candidate| -> usize {
        used_domains
            .iter()
            .enumerate()
            .filter(|(_, d)| c.domains.contains(d))
            .fold(0usize, |m, (i, _)| m | (1 << i))
    };
    let n_masks = 1usize << used_domains.len();

    // Groups in the configured province order, unknown provinces after them by name.
    let mut groups: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
    for (i, c) in eligible.iter().enumerate() {
        let rank = provinces
            .iter()
            .position(|p| *p == c.province)
            .unwrap_or(provinces.len());
        groups
            .entry((rank, c.province.clone()))
            .or_default()
            .push(i);
    }
    let groups: Vec<(String, Vec<usize>)> = groups
        .into_iter()
        .map(|((_, p), members)| (p, members))
        .collect();

    let k = size.min(eligible.len());
    let chosen = solve(&eligible, &groups, k, n_masks, &mask_of);

    // Explanations.
    let pick_set: Vec<usize> = chosen;
    let mut per_province: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in &pick_set {
        per_province
            .entry(eligible[i].province.as_str())
            .or_default()
            .push(i);
    }
    let eligible_in = |p: &str| eligible.iter().filter(|c| c.province == p).count();
    let covered_domains: Vec<&String> = domains
        .iter()
        .filter(|d| pick_set.iter().any(|&i| eligible[i].domains.contains(d)))
        .collect();
    let mut picks = Vec::new();
    // Order picks by the configured province order, then reference.
    let mut ordered = pick_set.clone();
    ordered.sort_by_key(|&i| {
        (
            provinces
                .iter()
                .position(|p| *p == eligible[i].province)
                .unwrap_or(provinces.len()),
            eligible[i].province.clone(),
            eligible[i].reference.clone(),
        )
    });
    for &i in &ordered {
        let c = eligible[i];
        let same = &per_province[c.province.as_str()];
        let mut why = Vec::new();
        if eligible_in(&c.province) == 1 {
            why.push(format!("enige geschikte voordracht uit {}", c.province));
        } else if same.len() == 1 {
            why.push(format!(
                "beste keuze uit {} ({} geschikt)",
                c.province,
                eligible_in(&c.province)
            ));
        } else {
            why.push(format!(
                "{} van {} keuzes uit {}",
                position(same, i, &eligible),
                same.len(),
                c.province
            ));
        }
        let only: Vec<&str> = c
            .domains
            .iter()
            .filter(|d| domains.contains(d))
            .filter(|d| {
                pick_set
                    .iter()
                    .filter(|&&j| eligible[j].domains.contains(d))
                    .count()
                    == 1
            })
            .map(|d| d.as_str())
            .collect();
        if !only.is_empty() {
            why.push(format!("enige keuze met thema {}", only.join(", ")));
        }
        if !c.domains.is_empty() {
            why.push(format!("thema's: {}", c.domains.join(", ")));
        }
        why.push(format!(
            "{}, {}, sterkte {}",
            criteria_nl(c.criteria_met),
            support_nl(c.supporters),
            format_strength(c.strength)
        ));
        if c.has_objection && c.objection_overridden {
            why.push("bezwaar door VNG opzij gezet".to_string());
        }
        picks.push(Pick {
            reference: c.reference.clone(),
            municipality: c.municipality.clone(),
            province: c.province.clone(),
            why: why.join("; "),
        });
    }

    // Reserves: provinces with fewest picks first, then a theme the picks miss, then strength.
    let mut rest: Vec<usize> = (0..eligible.len())
        .filter(|i| !pick_set.contains(i))
        .collect();
    let picks_in = |p: &str| per_province.get(p).map_or(0, |v| v.len());
    let adds_theme = |i: usize| {
        eligible[i]
            .domains
            .iter()
            .any(|d| domains.contains(d) && !covered_domains.contains(&d))
    };
    rest.sort_by(|&a, &b| {
        picks_in(&eligible[a].province)
            .cmp(&picks_in(&eligible[b].province))
            .then_with(|| adds_theme(b).cmp(&adds_theme(a)))
            .then_with(|| value(eligible[b]).cmp(&value(eligible[a])))
            .then_with(|| eligible[a].reference.cmp(&eligible[b].reference))
    });
    let reserves = rest
        .into_iter()
        .take(size.max(1))
        .map(|i| {
            let c = eligible[i];
            let mut why = format!(
                "reserve voor {} ({} gekozen daar); {} criteria, sterkte {}",
                c.province,
                picks_in(&c.province),
                c.criteria_met,
                format_strength(c.strength)
            );
            if adds_theme(i) {
                why.push_str("; heeft een thema dat nog ontbreekt");
            }
            Pick {
                reference: c.reference.clone(),
                municipality: c.municipality.clone(),
                province: c.province.clone(),
                why,
            }
        })
        .collect();

    let provinces_possible = groups.len();
    let provinces_covered = per_province.len();
    let domains_possible = domains
        .iter()
        .filter(|d| eligible.iter().any(|c| c.domains.contains(d)))
        .count();
    let principle = if require_principle {
        " en het principe"
    } else {
        ""
    };
    let mut objective = format!(
        "Doel: kies {size} voordrachten. Geschikt zijn actuele voordrachten die op tijd binnen waren, \
         met minstens {}{principle}, zonder bezwaar van een partner of lokaal contact \
         (behalve als VNG het bezwaar opzij zette) en zonder antwoord dat nog gelezen moet worden. \
         Daaruit kiezen we (1) zo veel mogelijk provincies, dan (2) zo veel mogelijk thema's, \
         dan (3) een zo gelijk mogelijke verdeling over de provincies, dan (4) de meeste steun van \
         partners en lokale contacten (wie meer steun heeft, gaat voor bij verder gelijke stand), \
         dan (5) de sterkste voordrachten. Bij gelijke stand beslist een vaste volgorde (op referentie), \
         zodat dezelfde gegevens altijd hetzelfde voorstel geven. \
         Uitkomst: {} gekozen uit {} geschikte voordrachten; {} van {} provincies ({} met een geschikte voordracht); \
         {} van {} thema's ({} komen voor bij geschikte voordrachten).",
        criteria_nl(minimum_criteria),
        picks.len(),
        eligible.len(),
        provinces_covered,
        provinces.len(),
        provinces_possible,
        covered_domains.len(),
        domains.len(),
        domains_possible,
    );
    if picks.len() < size {
        let (verb, noun) = if eligible.len() == 1 {
            ("is", "voordracht")
        } else {
            ("zijn", "voordrachten")
        };
        objective.push_str(&format!(
            " Let op: er {verb} maar {} geschikte {noun}, minder dan de {size} gevraagde.",
            eligible.len()
        ));
    }
    if domains.len() > MAX_EXACT_DOMAINS {
        objective.push_str(&format!(
            " Alleen de eerste {MAX_EXACT_DOMAINS} thema's tellen mee voor de spreiding."
        ));
    }
    Shortlist {
        objective,
        picks,
        reserves,
        excluded,
        to_read,
    }
}

/// 1-based position of `i` among `same` by reference.
fn position(same: &[usize], i: usize, eligible: &[&Candidate]) -> usize {
    let mut refs: Vec<&str> = same
        .iter()
        .map(|&j| eligible[j].reference.as_str())
        .collect();
    refs.sort();
    refs.iter()
        .position(|r| *r == eligible[i].reference)
        .map_or(1, |p| p + 1)
}

/// What the optimisation maximises after spread: support first (each STEUN answer outweighs
/// any difference in strength), then strength.
fn value(c: &Candidate) -> i64 {
    c.supporters as i64 * 10_000 + milli(c.strength)
}

/// "1 criterium", "2 criteria".
fn criteria_nl(n: usize) -> String {
    if n == 1 {
        "1 criterium".to_string()
    } else {
        format!("{n} criteria")
    }
}

/// "geen steunbetuiging", "1 steunbetuiging", "3 steunbetuigingen".
fn support_nl(n: usize) -> String {
    match n {
        0 => "geen steunbetuiging".to_string(),
        1 => "1 steunbetuiging".to_string(),
        n => format!("{n} steunbetuigingen"),
    }
}

fn format_strength(s: f64) -> String {
    format!("{s:.2}").replace('.', ",")
}

/// Per province: for every number of picks `j` and theme mask `m`, the best strength of `j`
/// candidates whose themes together are exactly `m`, and which candidates those are.
struct GroupTable {
    /// options[j] = list of (mask, strength, members) after dominance pruning.
    options: Vec<Vec<(usize, i64, Vec<usize>)>>,
}

fn group_table(
    members: &[usize],
    eligible: &[&Candidate],
    max_j: usize,
    n_masks: usize,
    mask_of: &dyn Fn(&Candidate) -> usize,
) -> GroupTable {
    let jmax = max_j.min(members.len());
    // layers[t][j][m]: best over the first t members.
    let mut layers: Vec<Vec<Vec<Option<i64>>>> = Vec::with_capacity(members.len() + 1);
    let mut cur = vec![vec![None; n_masks]; jmax + 1];
    cur[0][0] = Some(0);
    layers.push(cur.clone());
    for &i in members {
        let cm = mask_of(eligible[i]);
        let cs = value(eligible[i]);
        let prev = cur.clone();
        for (j, row) in prev.iter().enumerate().take(jmax) {
            for (m, value) in row.iter().enumerate() {
                if let Some(v) = *value {
                    let nm = m | cm;
                    let nv = v + cs;
                    if cur[j + 1][nm].is_none_or(|old| nv > old) {
                        cur[j + 1][nm] = Some(nv);
                    }
                }
            }
        }
        layers.push(cur.clone());
    }
    let mut options = Vec::with_capacity(jmax + 1);
    for (j, row) in cur.iter().enumerate() {
        let mut opts: Vec<(usize, i64)> = row
            .iter()
            .enumerate()
            .filter_map(|(m, v)| v.map(|v| (m, v)))
            .collect();
        // Drop an option when another with a superset of themes is at least as strong.
        let all = opts.clone();
        opts.retain(|&(m, v)| {
            !all.iter()
                .any(|&(m2, v2)| m2 != m && m2 & m == m && v2 >= v)
        });
        let opts = opts
            .into_iter()
            .map(|(m, v)| (m, v, reconstruct(&layers, members, eligible, j, m, mask_of)))
            .collect();
        options.push(opts);
    }
    GroupTable { options }
}

/// Walk the knapsack layers back to the members behind layers[last][j][m].
fn reconstruct(
    layers: &[Vec<Vec<Option<i64>>>],
    members: &[usize],
    eligible: &[&Candidate],
    mut j: usize,
    mut m: usize,
    mask_of: &dyn Fn(&Candidate) -> usize,
) -> Vec<usize> {
    let mut out = Vec::new();
    let mut t = members.len();
    while t > 0 && j > 0 {
        let v = layers[t][j][m];
        if layers[t - 1][j][m] == v {
            t -= 1;
            continue;
        }
        let i = members[t - 1];
        let cm = mask_of(eligible[i]);
        let cs = value(eligible[i]);
        let found = (0..layers[t - 1][j - 1].len()).find(|&pm| {
            pm | cm == m
                && layers[t - 1][j - 1][pm]
                    .zip(v)
                    .is_some_and(|(pv, v)| pv + cs == v)
        });
        match found {
            Some(pm) => {
                out.push(i);
                j -= 1;
                m = pm;
            }
            None => break, // cannot happen: every value came from one of the two cases
        }
        t -= 1;
    }
    out
}

/// The dynamic programme over provinces; returns the chosen eligible indices.
fn solve(
    eligible: &[&Candidate],
    groups: &[(String, Vec<usize>)],
    k: usize,
    n_masks: usize,
    mask_of: &dyn Fn(&Candidate) -> usize,
) -> Vec<usize> {
    if k == 0 {
        return Vec::new();
    }
    let tables: Vec<GroupTable> = groups
        .iter()
        .map(|(_, members)| group_table(members, eligible, k, n_masks, mask_of))
        .collect();
    // state[used][mask]
    let idx = |used: usize, mask: usize| used * n_masks + mask;
    let mut state: Vec<Option<Score>> = vec![None; (k + 1) * n_masks];
    state[idx(0, 0)] = Some(Score {
        covered: 0,
        squares: 0,
        strength: 0,
    });
    // back[g][state] = (prev state index, j, option index)
    let mut back: Vec<Vec<Option<(usize, usize, usize)>>> = Vec::with_capacity(groups.len());
    for table in &tables {
        let mut next: Vec<Option<Score>> = vec![None; (k + 1) * n_masks];
        let mut bk: Vec<Option<(usize, usize, usize)>> = vec![None; (k + 1) * n_masks];
        for used in 0..=k {
            for mask in 0..n_masks {
                let Some(score) = state[idx(used, mask)] else {
                    continue;
                };
                for (j, opts) in table.options.iter().enumerate() {
                    if used + j > k {
                        break;
                    }
                    for (oi, (om, os, _)) in opts.iter().enumerate() {
                        let ns = Score {
                            covered: score.covered + u32::from(j > 0),
                            squares: score.squares + (j * j) as i64,
                            strength: score.strength + os,
                        };
                        let t = idx(used + j, mask | om);
                        if next[t].is_none_or(|old| ns.better_than(&old)) {
                            next[t] = Some(ns);
                            bk[t] = Some((idx(used, mask), j, oi));
                        }
                    }
                }
            }
        }
        state = next;
        back.push(bk);
    }
    // Best final state with exactly k picks.
    let mut best: Option<(usize, Score)> = None;
    for mask in 0..n_masks {
        if let Some(s) = state[idx(k, mask)] {
            let key = |m: usize, s: &Score| (s.covered, m.count_ones(), -s.squares, s.strength);
            let better = match &best {
                None => true,
                Some((bm, bs)) => key(mask, &s) > key(*bm, bs),
            };
            if better {
                best = Some((mask, s));
            }
        }
    }
    let Some((mask, _)) = best else {
        return Vec::new();
    };
    let mut chosen = Vec::new();
    let mut at = idx(k, mask);
    for g in (0..tables.len()).rev() {
        let Some((prev, j, oi)) = back[g][at] else {
            break;
        };
        if let Some((_, _, members)) = tables[g].options.get(j).and_then(|o| o.get(oi)) {
            chosen.extend(members.iter().copied());
        }
        at = prev;
    }
    chosen.sort_unstable();
    chosen
}

impl fmt::Display for Shortlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.objective)?;
        writeln!(f)?;
        write_table(f, &format!("Voorstel ({})", self.picks.len()), &self.picks)?;
        if !self.reserves.is_empty() {
            writeln!(f)?;
            write_table(
                f,
                &format!("Reserves ({})", self.reserves.len()),
                &self.reserves,
            )?;
        }
        if !self.excluded.is_empty() {
            writeln!(f)?;
            writeln!(f, "Niet geschikt ({})", self.excluded.len())?;
            let w = self
                .excluded
                .iter()
                .map(|(r, _)| r.chars().count())
                .max()
                .unwrap_or(0);
            for (r, why) in &self.excluded {
                writeln!(f, "  {r:<w$}  {why}")?;
            }
        }
        Ok(())
    }
}

fn write_table(f: &mut fmt::Formatter<'_>, title: &str, rows: &[Pick]) -> fmt::Result {
    writeln!(f, "{title}")?;
    let w_ref = width(rows.iter().map(|p| &p.reference), "Referentie");
    let w_mun = width(rows.iter().map(|p| &p.municipality), "Gemeente");
    let w_pro = width(rows.iter().map(|p| &p.province), "Provincie");
    writeln!(
        f,
        "  {:>3}  {}  {}  {}  Waarom",
        "nr",
        pad("Referentie", w_ref),
        pad("Gemeente", w_mun),
        pad("Provincie", w_pro)
    )?;
    for (n, p) in rows.iter().enumerate() {
        writeln!(
            f,
            "  {:>3}  {}  {}  {}  {}",
            n + 1,
            pad(&p.reference, w_ref),
            pad(&p.municipality, w_mun),
            pad(&p.province, w_pro),
            p.why
        )?;
    }
    Ok(())
}

fn width<'a>(values: impl Iterator<Item = &'a String>, header: &str) -> usize {
    values
        .map(|v| v.chars().count())
        .chain(std::iter::once(header.chars().count()))
        .max()
        .unwrap_or(0)
}

/// Pad by characters, not bytes ("Fryslân" has a two-byte â).
fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}
