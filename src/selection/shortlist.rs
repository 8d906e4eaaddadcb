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

use crate::digest::labels::count;

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
            count(c.criteria_met, "criterium", "criteria"),
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
    let Sifted {
        eligible,
        excluded,
        to_read,
    } = sift(cands, minimum_criteria, require_principle);

    let used_domains: Vec<&String> = domains.iter().take(MAX_EXACT_DOMAINS).collect();
    let mask_of = |c: &Candidate| -> usize {
        used_domains
            .iter()
            .enumerate()
            .filter(|(_, d)| c.domains.contains(d))
            .fold(0usize, |m, (i, _)| m | (1 << i))
    };
    let n_masks = 1usize << used_domains.len();
    let groups = province_groups(&eligible, provinces);
    let k = size.min(eligible.len());
    let chosen = solve(&eligible, &groups, k, n_masks, &mask_of);

    let outcome = Chosen::new(&eligible, chosen, provinces, domains);
    let picks = outcome.picks();
    let reserves = outcome.reserves(size);
    let objective = outcome.objective(
        size,
        minimum_criteria,
        require_principle,
        groups.len(),
        picks.len(),
    );
    Shortlist {
        objective,
        picks,
        reserves,
        excluded,
        to_read,
    }
}

/// The candidates split into those that may be chosen and those that may not (with why), plus
/// the current ones with an answer staff must read first.
struct Sifted<'a> {
    eligible: Vec<&'a Candidate>,
    excluded: Vec<(String, String)>,
    to_read: Vec<String>,
}

fn sift(cands: &[Candidate], minimum_criteria: usize, require_principle: bool) -> Sifted<'_> {
    // Deterministic order, one candidate per reference.
    let mut sorted: Vec<&Candidate> = cands.iter().collect();
    sorted.sort_by(|a, b| a.reference.cmp(&b.reference));
    sorted.dedup_by(|a, b| a.reference == b.reference);
    let to_read = sorted
        .iter()
        .filter(|c| c.current && c.unread_answer)
        .map(|c| c.reference.clone())
        .collect();
    let mut excluded = Vec::new();
    let mut eligible = Vec::new();
    for c in sorted {
        match exclusion(c, minimum_criteria, require_principle) {
            Some(why) => excluded.push((c.reference.clone(), why)),
            None => eligible.push(c),
        }
    }
    Sifted {
        eligible,
        excluded,
        to_read,
    }
}

/// The eligible candidates (indexes) per province: in the configured province order, unknown
/// provinces after them by name.
fn province_groups(eligible: &[&Candidate], provinces: &[String]) -> Vec<(String, Vec<usize>)> {
    let mut groups: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
    for (i, c) in eligible.iter().enumerate() {
        groups
            .entry((province_rank(provinces, &c.province), c.province.clone()))
            .or_default()
            .push(i);
    }
    groups
        .into_iter()
        .map(|((_, p), members)| (p, members))
        .collect()
}

/// A province's place in the configured order (unknown ones last).
fn province_rank(provinces: &[String], province: &str) -> usize {
    provinces
        .iter()
        .position(|p| p == province)
        .unwrap_or(provinces.len())
}

/// The chosen candidates, with what the explanations need to know about them.
struct Chosen<'a> {
    eligible: &'a [&'a Candidate],
    /// Indexes into `eligible`.
    chosen: Vec<usize>,
    per_province: BTreeMap<&'a str, Vec<usize>>,
    covered_domains: Vec<&'a String>,
    provinces: &'a [String],
    domains: &'a [String],
}

impl<'a> Chosen<'a> {
    fn new(
        eligible: &'a [&'a Candidate],
        chosen: Vec<usize>,
        provinces: &'a [String],
        domains: &'a [String],
    ) -> Chosen<'a> {
        let mut per_province: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &i in &chosen {
            per_province
                .entry(eligible[i].province.as_str())
                .or_default()
                .push(i);
        }
        let covered_domains = domains
            .iter()
            .filter(|d| chosen.iter().any(|&i| eligible[i].domains.contains(d)))
            .collect();
        Chosen {
            eligible,
            chosen,
            per_province,
            covered_domains,
            provinces,
            domains,
        }
    }

    fn eligible_in(&self, province: &str) -> usize {
        self.eligible
            .iter()
            .filter(|c| c.province == province)
            .count()
    }

    fn picks_in(&self, province: &str) -> usize {
        self.per_province.get(province).map_or(0, |v| v.len())
    }

    /// The picks in the configured province order, then by reference, each with why.
    fn picks(&self) -> Vec<Pick> {
        let e = self.eligible;
        let mut ordered = self.chosen.clone();
        ordered.sort_by_key(|&i| {
            (
                province_rank(self.provinces, &e[i].province),
                e[i].province.clone(),
                e[i].reference.clone(),
            )
        });
        ordered
            .into_iter()
            .map(|i| Pick {
                reference: e[i].reference.clone(),
                municipality: e[i].municipality.clone(),
                province: e[i].province.clone(),
                why: self.why_picked(i),
            })
            .collect()
    }

    /// Why candidate `i` was picked: its place in its province, the themes only it brings,
    /// its criteria, support and strength, an objection set aside.
    fn why_picked(&self, i: usize) -> String {
        let c = self.eligible[i];
        let same = &self.per_province[c.province.as_str()];
        let eligible_here = self.eligible_in(&c.province);
        let mut why = Vec::new();
        if eligible_here == 1 {
            why.push(format!("enige geschikte voordracht uit {}", c.province));
        } else if same.len() == 1 {
            why.push(format!(
                "beste keuze uit {} ({eligible_here} geschikt)",
                c.province
            ));
        } else {
            why.push(format!(
                "{} van {} keuzes uit {}",
                position(same, i, self.eligible),
                same.len(),
                c.province
            ));
        }
        let only: Vec<&str> = c
            .domains
            .iter()
            .filter(|d| self.domains.contains(d))
            .filter(|d| {
                self.chosen
                    .iter()
                    .filter(|&&j| self.eligible[j].domains.contains(d))
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
            count(c.criteria_met, "criterium", "criteria"),
            support_nl(c.supporters),
            format_strength(c.strength)
        ));
        if c.has_objection && c.objection_overridden {
            why.push("bezwaar door VNG opzij gezet".to_string());
        }
        why.join("; ")
    }

    /// Whether candidate `i` has a theme the picks miss.
    fn adds_theme(&self, i: usize) -> bool {
        self.eligible[i]
            .domains
            .iter()
            .any(|d| self.domains.contains(d) && !self.covered_domains.contains(&d))
    }

    /// Up to `size` reserves: provinces with fewest picks first, then a theme the picks miss,
    /// then value (support, strength), then reference.
    fn reserves(&self, size: usize) -> Vec<Pick> {
        let e = self.eligible;
        let mut rest: Vec<usize> = (0..e.len()).filter(|i| !self.chosen.contains(i)).collect();
        rest.sort_by(|&a, &b| {
            self.picks_in(&e[a].province)
                .cmp(&self.picks_in(&e[b].province))
                .then_with(|| self.adds_theme(b).cmp(&self.adds_theme(a)))
                .then_with(|| value(e[b]).cmp(&value(e[a])))
                .then_with(|| e[a].reference.cmp(&e[b].reference))
        });
        rest.into_iter()
            .take(size.max(1))
            .map(|i| {
                let c = e[i];
                let mut why = format!(
                    "reserve voor {} ({} gekozen daar); {}, sterkte {}",
                    c.province,
                    self.picks_in(&c.province),
                    count(c.criteria_met, "criterium", "criteria"),
                    format_strength(c.strength)
                );
                if self.adds_theme(i) {
                    why.push_str("; heeft een thema dat nog ontbreekt");
                }
                Pick {
                    reference: c.reference.clone(),
                    municipality: c.municipality.clone(),
                    province: c.province.clone(),
                    why,
                }
            })
            .collect()
    }

    /// The objective and the outcome in plain Dutch.
    fn objective(
        &self,
        size: usize,
        minimum_criteria: usize,
        require_principle: bool,
        provinces_possible: usize,
        picked: usize,
    ) -> String {
        let eligible = self.eligible.len();
        let domains_possible = self
            .domains
            .iter()
            .filter(|d| self.eligible.iter().any(|c| c.domains.contains(d)))
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
             Uitkomst: {picked} gekozen uit {eligible} geschikte voordrachten; {} van {} provincies ({provinces_possible} met een geschikte voordracht); \
             {} van {} thema's ({domains_possible} komen voor bij geschikte voordrachten).",
            count(minimum_criteria, "criterium", "criteria"),
            self.per_province.len(),
            self.provinces.len(),
            self.covered_domains.len(),
            self.domains.len(),
        );
        if picked < size {
            let (verb, noun) = if eligible == 1 {
                ("is", "voordracht")
            } else {
                ("zijn", "voordrachten")
            };
            objective.push_str(&format!(
                " Let op: er {verb} maar {eligible} geschikte {noun}, minder dan de {size} gevraagde."
            ));
        }
        if self.domains.len() > MAX_EXACT_DOMAINS {
            objective.push_str(&format!(
                " Alleen de eerste {MAX_EXACT_DOMAINS} thema's tellen mee voor de spreiding."
            ));
        }
        objective
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
