//! The 342 Dutch municipalities (CBS 2025, embedded from `data/gemeenten.csv` and
//! `data/provincies.csv`; see `data/SOURCE.md`) and identification of the municipality a
//! nomination is about: from the sender's domain, the letterhead ("Gemeente X"), the formal
//! phrases ("college van burgemeester en wethouders van X", "burgemeester van X"), the subject,
//! the display name and e-mail addresses or web addresses in the letter.
//!
//! Never derives a domain from a name: domains are looked up. Shared service organisations
//! (werkorganisaties) and place names inside a municipality are configurable [`Rules`].
//! Pure: returns a finding with its basis and flags; staff correct it with `set-municipality`.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use super::text::{self, Token};

/// One municipality.
#[derive(Debug, Clone, PartialEq)]
pub struct Municipality {
    /// CBS code, `GM0363`.
    pub code: String,
    /// Name as CBS publishes it (`Bergen (L.)`, `'s-Gravenhage`).
    pub name: String,
    pub province: String,
    /// Mail and web domains (registrable domains, lower case).
    pub domains: Vec<String>,
    /// Other spellings (`Den Haag`, `Bergen L`, `Nuenen c.a.`) and the 2025 `statnaam`.
    pub aliases: Vec<String>,
}

/// All municipalities with lookup tables.
#[derive(Debug)]
pub struct Municipalities {
    list: Vec<Municipality>,
    provinces: Vec<(String, Option<String>)>,
    by_domain: HashMap<String, usize>,
    /// first folded token of a name variant → (variant tokens, municipality index)
    names: HashMap<String, Vec<(Vec<String>, usize)>>,
}

static EMBEDDED: LazyLock<Municipalities> = LazyLock::new(|| {
    Municipalities::parse(
        include_str!("../../data/gemeenten.csv"),
        include_str!("../../data/provincies.csv"),
    )
});

/// Name without a CBS province suffix: `Bergen (L.)` → `Bergen`.
fn strip_suffix(name: &str) -> &str {
    match name.find(" (") {
        Some(i) if name.ends_with(')') => &name[..i],
        _ => name,
    }
}

fn name_tokens(s: &str) -> Vec<String> {
    text::tokenize(s, 0)
        .into_iter()
        .filter(|t| t.is_word)
        .map(|t| t.text)
        .collect()
}

impl Municipalities {
    /// The embedded list, parsed once.
    pub fn embedded() -> &'static Municipalities {
        &EMBEDDED
    }

    /// Parses the two CSV files (columns as in `data/SOURCE.md`). Rows that do not parse are
    /// skipped; the embedded data is checked by a unit test.
    pub fn parse(gemeenten_csv: &str, provincies_csv: &str) -> Municipalities {
        let mut list = Vec::new();
        let mut rdr = csv::Reader::from_reader(gemeenten_csv.as_bytes());
        let headers = rdr.headers().cloned().unwrap_or_default();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (c_code, c_name, c_prov) = (col("cbs_code"), col("name"), col("province"));
        let c_doms = [col("domain"), col("web_domain"), col("email_domain")];
        let (c_stat, c_alias) = (col("cbs_statnaam_2025"), col("aliases"));
        for rec in rdr.records().flatten() {
            let get =
                |c: Option<usize>| c.and_then(|i| rec.get(i)).unwrap_or("").trim().to_string();
            let code = get(c_code);
            let name = get(c_name);
            if code.is_empty() || name.is_empty() {
                continue;
            }
            let mut domains = Vec::new();
            for c in c_doms {
                let d = get(c).to_lowercase();
                if !d.is_empty() && !domains.contains(&d) {
                    domains.push(d);
                }
            }
            let mut aliases: Vec<String> = get(c_alias)
                .split('|')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect();
            let stat = get(c_stat);
            if !stat.is_empty() && stat != name && !aliases.contains(&stat) {
                aliases.push(stat);
            }
            list.push(Municipality {
                code,
                name,
                province: get(c_prov),
                domains,
                aliases,
            });
        }
        let mut provinces = Vec::new();
        let mut prdr = csv::Reader::from_reader(provincies_csv.as_bytes());
        let ph = prdr.headers().cloned().unwrap_or_default();
        let (p_name, p_alt) = (
            ph.iter().position(|h| h == "name"),
            ph.iter().position(|h| h == "alt_name"),
        );
        for rec in prdr.records().flatten() {
            let name = p_name
                .and_then(|i| rec.get(i))
                .unwrap_or("")
                .trim()
                .to_string();
            let alt = p_alt
                .and_then(|i| rec.get(i))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            if !name.is_empty() {
                provinces.push((name, alt));
            }
        }
        let mut by_domain = HashMap::new();
        let mut names: HashMap<String, Vec<(Vec<String>, usize)>> = HashMap::new();
        for (i, m) in list.iter().enumerate() {
            for d in &m.domains {
                by_domain.insert(d.clone(), i);
            }
            let mut variants = vec![m.name.clone(), strip_suffix(&m.name).to_string()];
            variants.extend(m.aliases.iter().cloned());
            for v in variants {
                let toks = name_tokens(&v);
                if let Some(first) = toks.first().cloned() {
                    let entry = names.entry(first).or_default();
                    if !entry.iter().any(|(t, j)| *t == toks && *j == i) {
                        entry.push((toks, i));
                    }
                }
            }
        }
        Municipalities {
            list,
            provinces,
            by_domain,
            names,
        }
    }

    pub fn by_code(&self, code: &str) -> Option<&Municipality> {
        self.list.iter().find(|m| m.code.eq_ignore_ascii_case(code))
    }

    pub fn all(&self) -> &[Municipality] {
        &self.list
    }

    /// The 12 provinces in CBS order.
    pub fn provinces(&self) -> Vec<String> {
        self.provinces.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The municipality whose mail or web domain is `domain` or a parent of it.
    pub fn by_domain(&self, domain: &str) -> Option<&Municipality> {
        let d = domain.trim().trim_end_matches('.').to_lowercase();
        let mut rest = d.as_str();
        loop {
            if let Some(&i) = self.by_domain.get(rest) {
                return Some(&self.list[i]);
            }
            match rest.split_once('.') {
                Some((_, r)) if r.contains('.') => rest = r,
                _ => return None,
            }
        }
    }
}

/// The identification rules of `[municipalities]` (defined with the rest of the settings).
pub use crate::config::MunicipalityRules as Rules;

impl Rules {
    /// Whether mail from `domain` (or a subdomain) speaks for the municipality `code`: one of its
    /// own mail or web domains, an extra domain configured for it, or a shared service
    /// organisation that serves it. Neutral domains (`gmail.com`) never do.
    pub fn domain_speaks_for(&self, domain: &str, code: &str) -> bool {
        let d = domain.trim().trim_end_matches('.').to_lowercase();
        let covers = |x: &str| d == x || d.ends_with(&format!(".{x}"));
        if self.neutral_domains.iter().any(|n| covers(n)) {
            return false;
        }
        Municipalities::embedded()
            .by_domain(&d)
            .is_some_and(|m| m.code == code)
            || self
                .extra_domains
                .get(code)
                .is_some_and(|ds| ds.iter().any(|x| covers(x)))
            || self
                .shared_domains
                .iter()
                .any(|(k, codes)| covers(k) && codes.iter().any(|c| c == code))
    }
}

/// What the identification is based on, for the sender.
#[derive(Debug, Clone)]
pub struct IdentifyInput<'a> {
    pub from_address: &'a str,
    pub display_name: Option<&'a str>,
    pub subject: &'a str,
    /// The texts of the nomination (letter documents first, then the body).
    pub texts: Vec<&'a str>,
}

/// How sure the identification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Confidence {
    High,
    Medium,
    Low,
}

impl Confidence {
    pub fn as_str(&self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }

    pub fn label_nl(&self) -> &'static str {
        match self {
            Confidence::High => "zeker",
            Confidence::Medium => "waarschijnlijk",
            Confidence::Low => "onzeker",
        }
    }
}

/// The finding: a CBS code (or none), how sure, on what basis, and what staff should check.
#[derive(Debug, Clone, PartialEq)]
pub struct Identification {
    pub code: Option<String>,
    pub confidence: Confidence,
    /// Dutch, e.g. "afzenderdomein ede.nl en briefhoofd 'Gemeente Ede'".
    pub basis: String,
    /// Dutch remarks for staff, e.g. "afzender is van gemeente X, brief noemt gemeente Y".
    pub flags: Vec<String>,
}

#[derive(Default)]
struct Candidate {
    score: f64,
    text_score: f64,
    mentions: u32,
    basis: Vec<String>,
}

const LETTERHEAD_LINES: usize = 15;

struct Scorer<'m> {
    ms: &'m Municipalities,
    cands: BTreeMap<usize, Candidate>,
    ambiguous_seen: Vec<String>,
}

impl Scorer<'_> {
    fn add(&mut self, i: usize, points: f64, basis: Option<String>, from_text: bool) {
        let c = self.cands.entry(i).or_default();
        c.score += points;
        if from_text {
            c.text_score += points;
        }
        if let Some(b) = basis
            && !c.basis.contains(&b)
        {
            c.basis.push(b);
        }
    }

    /// Name matches (longest first) in a token list: (start word, end word, municipality indices).
    fn name_matches(
        &self,
        words: &[&Token],
        rules: &Rules,
    ) -> Vec<(usize, usize, Vec<usize>, bool)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            let mut best: Option<(usize, Vec<usize>)> = None;
            if w.capitalised || w.text.starts_with("s-") {
                if let Some(list) = self.ms.names.get(&w.text) {
                    for (toks, idx) in list {
                        let n = toks.len();
                        if i + n <= words.len()
                            && words[i..i + n].iter().zip(toks).all(|(a, b)| a.text == *b)
                        {
                            match &mut best {
                                Some((bn, v)) if *bn == n => {
                                    if !v.contains(idx) {
                                        v.push(*idx)
                                    }
                                }
                                Some((bn, _)) if *bn > n => {}
                                _ => best = Some((n, vec![*idx])),
                            }
                        }
                    }
                }
                for (place, code) in &rules.places {
                    let toks = name_tokens(place);
                    let n = toks.len();
                    if n > 0
                        && i + n <= words.len()
                        && words[i..i + n].iter().zip(&toks).all(|(a, b)| a.text == *b)
                        && best.as_ref().is_none_or(|(bn, _)| *bn < n)
                        && let Some(idx) = self.ms.list.iter().position(|m| m.code == *code)
                    {
                        best = Some((n, vec![idx]));
                    }
                }
            }
            if let Some((n, idxs)) = best {
                let flagged = rules.ambiguous_names.iter().any(|a| {
                    name_tokens(a)
                        == words[i..i + n]
                            .iter()
                            .map(|t| t.text.clone())
                            .collect::<Vec<_>>()
                });
                out.push((i, i + n, idxs, flagged));
                i += n;
            } else {
                i += 1;
            }
        }
        out
    }

    fn scan_text(&mut self, doc: &str, rules: &Rules) {
        let mut line_no = 0usize;
        let total_lines = doc.lines().count();
        let mut generic = BTreeMap::<usize, u32>::new();
        for line in doc.lines() {
            line_no += 1;
            let in_head = line_no <= LETTERHEAD_LINES;
            let in_tail = total_lines > LETTERHEAD_LINES && line_no + 12 > total_lines;
            let toks = text::tokenize(line, 0);
            let words: Vec<&Token> = toks.iter().filter(|t| t.is_word).collect();
            // e-mail addresses and web addresses of a municipality
            for part in line
                .split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '(' || c == ')')
            {
                let p = part.trim_matches(|c: char| !c.is_alphanumeric());
                let domain = if let Some((_, d)) = p.rsplit_once('@') {
                    Some(d)
                } else {
                    p.strip_prefix("www.")
                        .or_else(|| p.strip_prefix("https://www."))
                        .map(|d| d.split('/').next().unwrap_or(d))
                };
                if let Some(d) = domain
                    && let Some(m) = self.ms.by_domain(d)
                {
                    let i = self
                        .ms
                        .list
                        .iter()
                        .position(|x| x.code == m.code)
                        .unwrap_or(0);
                    self.add(
                        i,
                        2.0,
                        Some(format!("adres {} in de brief", d.to_lowercase())),
                        true,
                    );
                }
            }
            let matches = self.name_matches(&words, rules);
            let line_words = words.len();
            for (s, e, idxs, flagged) in matches {
                let prev = |k: usize| {
                    if s >= k {
                        Some(words[s - k].text.as_str())
                    } else {
                        None
                    }
                };
                let shown = &line[words[s].start..words[e - 1].end];
                let window: Vec<&str> = (1..=5).filter_map(prev).collect();
                let (points, basis) =
                    if prev(1) == Some("gemeente") && (in_head || in_tail || line_words <= 4) {
                        (
                            4.0,
                            format!("briefhoofd of ondertekening 'Gemeente {shown}'"),
                        )
                    } else if prev(1) == Some("van")
                        && window.iter().any(|w| {
                            matches!(
                                *w,
                                "wethouders" | "burgemeester" | "college" | "b&w" | "raad"
                            )
                        })
                    {
                        (4.0, format!("'... van {shown}' (college, burgemeester)"))
                    } else if prev(1) == Some("gemeente") {
                        (3.0, format!("'gemeente {shown}' in de brief"))
                    } else if prev(1) == Some("gemeenten")
                        || window.contains(&"gemeenten")
                        || window.contains(&"regio")
                    {
                        (0.0, String::new())
                    } else if s == 0
                        && in_head
                        && line[words[e - 1].end..].trim_start().starts_with(',')
                    {
                        (2.0, format!("plaats en datum '{shown}'"))
                    } else {
                        let n = generic.entry(idxs[0]).or_default();
                        *n += 1;
                        if *n > 3 {
                            (0.0, String::new())
                        } else {
                            (1.0, format!("{shown} genoemd in de brief"))
                        }
                    };
                if points <= 0.0 {
                    continue;
                }
                self.note_ambiguity(&idxs, flagged, shown);
                let share = points / idxs.len() as f64;
                for i in idxs {
                    self.add(i, share, Some(basis.clone()), true);
                    if let Some(c) = self.cands.get_mut(&i) {
                        c.mentions += 1;
                    }
                }
            }
        }
    }

    fn note_ambiguity(&mut self, idxs: &[usize], flagged: bool, shown: &str) {
        if (idxs.len() > 1 || flagged) && !self.ambiguous_seen.iter().any(|s| s == shown) {
            self.ambiguous_seen.push(shown.to_string());
        }
    }

    fn scan_short(&mut self, s: &str, points: f64, what: &str, rules: &Rules) {
        let toks = text::tokenize(s, 0);
        let words: Vec<&Token> = toks.iter().filter(|t| t.is_word).collect();
        let mut seen = Vec::new();
        for (a, e, idxs, flagged) in self.name_matches(&words, rules) {
            let shown = s[words[a].start..words[e - 1].end].to_string();
            self.note_ambiguity(&idxs, flagged, &shown);
            let share = points / idxs.len() as f64;
            for i in idxs {
                if !seen.contains(&i) {
                    seen.push(i);
                    self.add(i, share, Some(format!("{what} noemt '{shown}'")), true);
                }
            }
        }
    }
}

/// Identifies the municipality of a nomination.
pub fn identify(input: &IdentifyInput, rules: &Rules) -> Identification {
    let ms = Municipalities::embedded();
    let mut sc = Scorer {
        ms,
        cands: BTreeMap::new(),
        ambiguous_seen: Vec::new(),
    };
    let mut flags = Vec::new();
    let domain = input
        .from_address
        .rsplit_once('@')
        .map(|(_, d)| d.trim().trim_end_matches('>').to_lowercase());
    let mut sender_muni: Option<usize> = None;
    if let Some(d) = &domain {
        let neutral = rules
            .neutral_domains
            .iter()
            .any(|n| d == n || d.ends_with(&format!(".{n}")));
        let shared = rules
            .shared_domains
            .iter()
            .find(|(k, _)| d == *k || d.ends_with(&format!(".{k}")));
        let extra = rules
            .extra_domains
            .iter()
            .find(|(_, ds)| ds.iter().any(|x| d == x || d.ends_with(&format!(".{x}"))));
        if neutral {
        } else if let Some((k, codes)) = shared {
            let n = codes.len().max(1) as f64;
            for code in codes {
                if let Some(i) = ms.list.iter().position(|m| m.code == *code) {
                    sc.add(
                        i,
                        3.0 / n.sqrt(),
                        Some(format!("afzenderdomein {k} (werkorganisatie)")),
                        false,
                    );
                }
            }
        } else if let Some(m) = ms.by_domain(d) {
            let i = ms.list.iter().position(|x| x.code == m.code).unwrap_or(0);
            sc.add(i, 5.0, Some(format!("afzenderdomein {d}")), false);
            sender_muni = Some(i);
        } else if let Some((code, _)) = extra
            && let Some(i) = ms.list.iter().position(|m| m.code == *code)
        {
            sc.add(i, 5.0, Some(format!("afzenderdomein {d}")), false);
            sender_muni = Some(i);
        }
    }
    if let Some(dn) = input.display_name {
        sc.scan_short(dn, 2.0, "afzendernaam", rules);
    }
    sc.scan_short(input.subject, 3.0, "onderwerp", rules);
    for t in &input.texts {
        sc.scan_text(t, rules);
    }
    // province cues resolve names shared by two municipalities
    let all_text: String = input
        .texts
        .iter()
        .copied()
        .chain([input.subject])
        .collect::<Vec<_>>()
        .join("\n");
    let folded = text::fold(&all_text);
    let ambiguous_idx: Vec<usize> = sc.cands.keys().copied().collect();
    for i in ambiguous_idx {
        let m = &ms.list[i];
        let p = text::fold(&m.province);
        let alt = ms
            .provinces
            .iter()
            .find(|(n, _)| *n == m.province)
            .and_then(|(_, a)| a.clone());
        if folded.contains(&p) || alt.is_some_and(|a| folded.contains(&text::fold(&a))) {
            sc.add(i, 1.0, Some(format!("provincie {}", m.province)), true);
        }
    }
    let mut ranked: Vec<(usize, &Candidate)> = sc.cands.iter().map(|(i, c)| (*i, c)).collect();
    ranked.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
    let top = ranked.first().map(|(i, c)| (*i, c.score));
    let second = ranked.get(1).map(|(_, c)| c.score).unwrap_or(0.0);
    for name in &sc.ambiguous_seen {
        flags.push(format!("naam {name} is dubbelzinnig"));
    }
    // sender's municipality differs from the one the letter names
    if let Some(si) = sender_muni {
        let other = ranked.iter().find(|(i, c)| *i != si && c.text_score >= 3.0);
        let sender_text = sc.cands.get(&si).map(|c| c.text_score).unwrap_or(0.0);
        if let Some((oi, oc)) = other
            && oc.text_score > sender_text
        {
            flags.push(format!(
                "afzender is van gemeente {}, brief noemt gemeente {}",
                ms.list[si].name, ms.list[*oi].name
            ));
        }
    }
    let Some((ti, tscore)) = top.filter(|(_, s)| *s >= 2.0) else {
        flags.push("gemeente niet herkend: stel handmatig in met set-municipality".to_string());
        return Identification {
            code: None,
            confidence: Confidence::Low,
            basis: "geen afzenderdomein of gemeentenaam gevonden".to_string(),
            flags,
        };
    };
    let margin = tscore - second;
    let mut confidence = if tscore >= 6.0 && margin >= 3.0 {
        Confidence::High
    } else if tscore >= 3.0 && margin >= 2.0 {
        Confidence::Medium
    } else {
        Confidence::Low
    };
    if flags.iter().any(|f| f.starts_with("afzender is van")) {
        confidence = Confidence::Low;
    }
    if confidence == Confidence::Low && ranked.len() > 1 {
        flags.push(format!(
            "twijfel tussen {} en {}",
            ms.list[ti].name, ms.list[ranked[1].0].name
        ));
    }
    let c = &sc.cands[&ti];
    let basis = match c.basis.len() {
        0 => String::new(),
        1 => c.basis[0].clone(),
        n => format!("{} en {}", c.basis[..n - 1].join(", "), c.basis[n - 1]),
    };
    Identification {
        code: Some(ms.list[ti].code.clone()),
        confidence,
        basis,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(from: &'a str, subject: &'a str, texts: Vec<&'a str>) -> IdentifyInput<'a> {
        IdentifyInput {
            from_address: from,
            display_name: None,
            subject,
            texts,
        }
    }

    #[test]
    fn the_embedded_list_has_342_municipalities_in_12_provinces() {
        let ms = Municipalities::embedded();
        assert_eq!(ms.all().len(), 342);
        assert_eq!(ms.provinces().len(), 12);
        assert_eq!(ms.provinces()[0], "Groningen");
        assert_eq!(
            ms.by_code("GM0363").map(|m| m.name.as_str()),
            Some("Amsterdam")
        );
    }

    #[test]
    fn a_subdomain_of_a_municipal_domain_is_found() {
        let ms = Municipalities::embedded();
        assert_eq!(
            ms.by_domain("mail.ede.nl").map(|m| m.code.as_str()),
            Some("GM0228")
        );
        assert_eq!(
            ms.by_domain("gemeentesudwestfryslan.nl")
                .map(|m| m.name.as_str()),
            Some("Súdwest-Fryslân")
        );
        assert!(ms.by_domain("gmail.com").is_none());
    }

    #[test]
    fn sender_domain_and_letterhead_give_high_confidence() {
        let id = identify(
            &input(
                "secretariaat@ede.nl",
                "aanmelding",
                vec!["GEMEENTE EDE\nHet college\n\nWij melden Ede aan."],
            ),
            &Rules::default(),
        );
        assert_eq!(id.code.as_deref(), Some("GM0228"));
        assert_eq!(id.confidence, Confidence::High);
        assert!(id.basis.contains("afzenderdomein ede.nl"), "{}", id.basis);
    }

    #[test]
    fn a_letter_from_gmail_is_identified_from_the_text() {
        let id = identify(
            &input(
                "panel@gmail.com",
                "",
                vec!["Namens het college van burgemeester en wethouders van Venlo.\n"],
            ),
            &Rules::default(),
        );
        assert_eq!(id.code.as_deref(), Some("GM0983"));
    }

    #[test]
    fn a_letter_naming_another_municipality_than_the_sender_is_flagged() {
        let id = identify(
            &input(
                "a@deventer.nl",
                "",
                vec![
                    "Gemeente Zwolle\n\nHet college van burgemeester en wethouders van Zwolle meldt zich aan.\n",
                ],
            ),
            &Rules::default(),
        );
        assert!(
            id.flags
                .iter()
                .any(|f| f.contains("afzender is van gemeente Deventer")),
            "{:?}",
            id.flags
        );
        assert_eq!(id.confidence, Confidence::Low);
    }

    #[test]
    fn bergen_is_flagged_as_ambiguous_and_resolved_by_the_province() {
        let id = identify(
            &input(
                "x@gmail.com",
                "",
                vec!["Gemeente Bergen\n\nWij in Noord-Limburg.\n"],
            ),
            &Rules::default(),
        );
        assert!(
            id.flags.iter().any(|f| f.contains("dubbelzinnig")),
            "{:?}",
            id.flags
        );
        let id = identify(
            &input(
                "x@gmail.com",
                "",
                vec!["Gemeente Bergen\n\nWij in Limburg.\n"],
            ),
            &Rules::default(),
        );
        assert_eq!(id.code.as_deref(), Some("GM0893"));
    }

    #[test]
    fn a_shared_service_domain_is_resolved_by_the_letter() {
        let rules = Rules {
            shared_domains: BTreeMap::from([(
                "hltsamen.nl".to_string(),
                vec![
                    "GM0534".to_string(),
                    "GM0553".to_string(),
                    "GM1525".to_string(),
                ],
            )]),
            ..Rules::default()
        };
        let id = identify(
            &input("a@hltsamen.nl", "", vec!["Gemeente Lisse\n\nAanmelding.\n"]),
            &rules,
        );
        assert_eq!(id.code.as_deref(), Some("GM0553"));
    }

    #[test]
    fn no_cue_at_all_leaves_the_municipality_unset_and_flagged() {
        let id = identify(
            &input("x@gmail.com", "hallo", vec!["Wij doen mee."]),
            &Rules::default(),
        );
        assert_eq!(id.code, None);
        assert!(id.flags.iter().any(|f| f.contains("niet herkend")));
    }
}
