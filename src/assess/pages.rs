//! The page limit ("maximaal 2 A4"): which documents of a mail are the nomination's own letter,
//! which are support letters (steunbrieven, e.g. from the local adviesraad) that are listed but
//! not counted, and the finding: pages counted, on what basis, by how much over the limit,
//! whether the count is sure enough to judge on ([`certainty`]), and paper other than A4.
//! Advice with its basis, never a rejection; never "too long" on a guess.
//!
//! Pure: works on extracted [`Document`]s; the support-letter cues are plain Dutch, not tied to
//! one call.

use crate::documents::{Document, Format, Origin, PageBasis};

use super::text;

/// What a document is to the nomination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The nomination letter itself (an attachment, or the body when there is no attachment letter).
    Letter,
    /// A letter of support from someone else; listed, not counted.
    SupportLetter,
    /// Cover mail, annexes, images, unreadable files.
    Other,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Letter => "letter",
            Role::SupportLetter => "support_letter",
            Role::Other => "other",
        }
    }
}

/// A body at most this long next to an attachment letter is a cover note ("Zie bijlage").
const COVER_NOTE_MAX_CHARS: usize = 1500;
/// An attachment with less text than this is not a letter.
const MIN_LETTER_CHARS: usize = 200;
/// Where support-letter cues are looked for: the start of the document.
const SUPPORT_SCAN_CHARS: usize = 2500;

/// Phrases (folded) that mark a support letter.
const SUPPORT_CUES: &[&str] = &[
    "steunverklaring",
    "steunbrief",
    "ondersteunt de aanmelding",
    "ondersteunen de aanmelding",
    "ondersteunt de voordracht",
    "ondersteunen de voordracht",
    "ondersteunt de kandidatuur",
    "steunt de aanmelding",
    "steunen de aanmelding",
    "steunen wij de aanmelding",
    "steunt de voordracht",
    "steunen de voordracht",
    "steunen van harte",
    "steunt van harte",
    "ondersteunt van harte",
    "ondersteunen van harte",
    "van harte de aanmelding",
];
/// File-name parts (folded) of support letters.
const SUPPORT_NAMES: &[&str] = &["steun", "support", "aanbeveling"];
/// File-name or opening cues of a nomination letter.
const LETTER_CUES: &[&str] = &[
    "aanmelding",
    "voordracht",
    "nominatie",
    "brief",
    "kandidaat",
    "geachte",
    "beste",
];

fn is_support(doc: &Document) -> bool {
    let name = doc.name.as_deref().map(text::fold).unwrap_or_default();
    if SUPPORT_NAMES.iter().any(|n| name.contains(n)) {
        return true;
    }
    // A file named as the nomination itself is the letter, whatever it mentions.
    if ["aanmelding", "voordracht", "nominatie"]
        .iter()
        .any(|n| name.contains(n))
    {
        return false;
    }
    let head: String = doc.text.chars().take(SUPPORT_SCAN_CHARS).collect();
    let folded = text::fold(&head);
    let folded = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    SUPPORT_CUES.iter().any(|c| {
        folded.match_indices(c).any(|(at, _)| {
            // "Bijgevoegd is een steunbrief van …" refers to another document.
            let before = &folded[folded.floor_char_boundary(at.saturating_sub(40))..at];
            !REFERENCE_CUES.iter().any(|r| before.contains(r))
        })
    })
}

/// Words just before a support cue that make it a reference to an enclosure.
const REFERENCE_CUES: &[&str] = &[
    "bijgevoegd",
    "bijgaand",
    "bijlage",
    "meegestuurd",
    "zie ook",
    "treft u",
];

fn readable(doc: &Document) -> bool {
    doc.status.has_text()
        && !doc.format.is_container()
        && (doc.format != Format::Image || doc.text_basis.is_ocr())
}

/// The role of every document, in the same order.
pub fn roles(docs: &[Document]) -> Vec<Role> {
    let mut roles = vec![Role::Other; docs.len()];
    let mut first_letter = true;
    for (i, d) in docs.iter().enumerate() {
        if d.origin != Origin::Attachment
            || !readable(d)
            || d.text.trim().chars().count() < MIN_LETTER_CHARS
        {
            continue;
        }
        if is_support(d) {
            roles[i] = Role::SupportLetter;
        } else if first_letter {
            roles[i] = Role::Letter;
            first_letter = false;
        } else {
            let name = d.name.as_deref().map(text::fold).unwrap_or_default();
            let head = text::fold(&d.text.chars().take(600).collect::<String>());
            if LETTER_CUES
                .iter()
                .any(|c| name.contains(c) || head.contains(c))
            {
                roles[i] = Role::Letter;
            }
        }
    }
    let has_attachment_letter = roles.contains(&Role::Letter);
    for (i, d) in docs.iter().enumerate() {
        if d.origin != Origin::Body || !readable(d) || d.text.trim().is_empty() {
            continue;
        }
        let long = d.text.trim().chars().count() > COVER_NOTE_MAX_CHARS;
        if !has_attachment_letter {
            roles[i] = if is_support(d) && long {
                Role::SupportLetter
            } else {
                Role::Letter
            };
        } else if long && is_support(d) {
            roles[i] = Role::SupportLetter;
        }
    }
    roles
}

/// Why a page count is not sure enough to judge the limit on: a person checks the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uncertainty {
    /// Estimated from the text or taken from the file's metadata, and within one page of the
    /// limit: such counts are off by a page often enough that either side is possible.
    NearLimit,
    /// A document's metadata says one thing and its text another: they differ by more than one
    /// page (metadata can be stale: written before the last edit, or by another program).
    MetadataDisagrees {
        /// The page count written in the file.
        metadata: u32,
        /// The estimate from the file's text.
        estimate: u32,
    },
}

impl Uncertainty {
    /// Stable snake_case name, stored with the submission.
    pub fn as_str(&self) -> &'static str {
        match self {
            Uncertainty::NearLimit => "near_limit",
            Uncertainty::MetadataDisagrees { .. } => "metadata_disagrees",
        }
    }

    /// Dutch reason for staff, after "controleer lengte: ".
    pub fn reason_nl(&self, max_pages: u32) -> String {
        match self {
            Uncertainty::NearLimit => format!(
                "het aantal is niet geteld maar geschat of uit het bestand gelezen, en ligt te dicht \
                 bij de grens van {max_pages} om zeker te zijn"
            ),
            Uncertainty::MetadataDisagrees { metadata, estimate } => format!(
                "het bestand zegt {}, de tekst lijkt {}",
                pages_nl(*metadata),
                pages_nl(*estimate)
            ),
        }
    }
}

/// How far apart a metadata count and the text estimate may be before they disagree.
const METADATA_TOLERANCE: u32 = 1;
/// How close to the limit an estimated or metadata count is too close to judge on.
const NEAR_LIMIT: u32 = 1;

/// The certainty rule. A count is certain when every counted document was counted exactly
/// (PDF pages, LibreOffice rendering). Otherwise it is uncertain when the total is within one
/// page of the limit, or when a document's metadata and text estimate differ by more than one
/// page (`disagreements`: metadata and estimate of each document counted from metadata).
pub fn certainty(
    counted: u32,
    basis: PageBasis,
    max_pages: u32,
    metadata_vs_estimate: &[(u32, u32)],
) -> Option<Uncertainty> {
    if basis == PageBasis::Exact {
        return None;
    }
    if let Some(&(metadata, estimate)) = metadata_vs_estimate
        .iter()
        .find(|(m, e)| m.abs_diff(*e) > METADATA_TOLERANCE)
    {
        return Some(Uncertainty::MetadataDisagrees { metadata, estimate });
    }
    (counted.abs_diff(max_pages) <= NEAR_LIMIT).then_some(Uncertainty::NearLimit)
}

/// The page finding of one submission.
#[derive(Debug, Clone, PartialEq)]
pub struct PageFinding {
    /// Pages of the nomination's own letter document(s); `None` when no page count is known.
    pub counted_pages: Option<u32>,
    /// The weakest basis among the counted documents.
    pub basis: Option<PageBasis>,
    pub max_pages: u32,
    /// Pages over the limit by the count, also when the count is uncertain.
    pub over_by: Option<u32>,
    /// Set when the count is not sure enough to judge the limit on ([`certainty`]): the
    /// confirmation then says a person checks the length, and staff see "controleer lengte".
    pub uncertain: Option<Uncertainty>,
    /// Counted documents on paper other than A4, e.g. `brief.pdf: Letter`.
    pub non_a4: Vec<String>,
    /// Paths of the support letters (not counted).
    pub support_letters: Vec<String>,
    /// Dutch summary for staff and the confirmation.
    pub note: String,
}

/// Printed lines of a plain text on A4 (90 characters per line, blank lines count), per page.
const CHARS_PER_LINE: usize = 90;
const LINES_PER_PAGE: usize = 48;

/// Estimated A4 pages of a plain text (rounded up; at least 1 for a non-empty text).
pub fn estimate_pages(text: &str) -> u32 {
    if text.trim().is_empty() {
        return 0;
    }
    let lines: usize = text
        .trim_end()
        .lines()
        .map(|l| l.chars().count().div_ceil(CHARS_PER_LINE).max(1))
        .sum();
    lines.div_ceil(LINES_PER_PAGE).max(1) as u32
}

fn basis_rank(b: PageBasis) -> u8 {
    match b {
        PageBasis::Estimate => 0,
        PageBasis::Metadata => 1,
        PageBasis::Exact => 2,
    }
}

fn basis_nl(b: PageBasis) -> &'static str {
    match b {
        PageBasis::Exact => "geteld",
        PageBasis::Metadata => "volgens het bestand",
        PageBasis::Estimate => "geschat uit de tekst",
    }
}

fn pages_nl(n: u32) -> String {
    if n == 1 {
        "1 pagina".to_string()
    } else {
        format!("{n} pagina's")
    }
}

/// The page finding: the pages of the documents whose role is [`Role::Letter`].
pub fn page_finding(docs: &[Document], roles: &[Role], max_pages: u32) -> PageFinding {
    let mut counted: Option<u32> = None;
    let mut basis: Option<PageBasis> = None;
    let mut non_a4 = Vec::new();
    let mut support_letters = Vec::new();
    let mut counted_names = Vec::new();
    let mut metadata_vs_estimate = Vec::new();
    for (d, r) in docs
        .iter()
        .zip(roles.iter().chain(std::iter::repeat(&Role::Other)))
    {
        match r {
            Role::SupportLetter => support_letters.push(d.path.clone()),
            Role::Letter => {
                let (pages, b) = match (d.pages, d.page_basis) {
                    (Some(p), Some(b)) => (p, b),
                    (Some(p), None) => (p, PageBasis::Estimate),
                    (None, _) => (estimate_pages(&d.text), PageBasis::Estimate),
                };
                if b == PageBasis::Metadata
                    && let Some(estimate) = d.page_estimate
                {
                    metadata_vs_estimate.push((pages, estimate));
                }
                counted = Some(counted.unwrap_or(0) + pages);
                basis = Some(match basis {
                    Some(old) if basis_rank(old) <= basis_rank(b) => old,
                    _ => b,
                });
                counted_names.push(d.path.clone());
                if let Some(paper) = d.paper
                    && !paper.is_a4()
                {
                    non_a4.push(format!("{}: {}", d.path, paper.label()));
                }
            }
            Role::Other => {}
        }
    }
    let over_by = counted.filter(|&c| c > max_pages).map(|c| c - max_pages);
    let uncertain = match (counted, basis) {
        (Some(c), Some(b)) => certainty(c, b, max_pages, &metadata_vs_estimate),
        _ => None,
    };
    let mut finding = PageFinding {
        counted_pages: counted,
        basis,
        max_pages,
        over_by,
        uncertain,
        non_a4,
        support_letters,
        note: String::new(),
    };
    finding.note = note(&finding, &counted_names);
    finding
}

/// The Dutch summary of a finding for staff: count, basis and documents, then the verdict or
/// "controleer lengte" with its reason, other paper, support letters.
fn note(f: &PageFinding, counted_names: &[String]) -> String {
    let mut note = match (f.counted_pages, f.basis) {
        (Some(c), Some(b)) => {
            let mut n = format!(
                "{} ({}) in {}",
                pages_nl(c),
                basis_nl(b),
                counted_names.join(", ")
            );
            match (f.uncertain, f.over_by) {
                (Some(u), _) => n.push_str(&format!(
                    "; controleer lengte: {}",
                    u.reason_nl(f.max_pages)
                )),
                (None, Some(o)) => n.push_str(&format!(
                    "; {} meer dan de toegestane {}",
                    pages_nl(o),
                    f.max_pages
                )),
                (None, None) => n.push_str(&format!("; binnen de grens van {}", f.max_pages)),
            }
            n
        }
        _ => "geen leesbare aanmeldingsbrief gevonden; aantal pagina's onbekend".to_string(),
    };
    if !f.non_a4.is_empty() {
        note.push_str(&format!(
            "; ander papierformaat dan A4: {}",
            f.non_a4.join(", ")
        ));
    }
    if !f.support_letters.is_empty() {
        note.push_str(&format!(
            "; steunbrief niet meegeteld: {}",
            f.support_letters.join(", ")
        ));
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{Paper, Status};

    fn doc(origin: Origin, name: Option<&str>, text: &str, pages: Option<u32>) -> Document {
        Document {
            origin,
            name: name.map(str::to_string),
            path: name.unwrap_or("body").to_string(),
            format: if origin == Origin::Body {
                Format::Text
            } else {
                Format::Pdf
            },
            bytes: text.len() as u64,
            sha256: String::new(),
            text: text.to_string(),
            page_starts: vec![],
            pages,
            page_basis: pages.map(|_| PageBasis::Exact),
            page_estimate: None,
            paper: pages.map(|_| Paper::A4),
            status: Status::Ok,
            reason: None,
            text_basis: crate::documents::TextBasis::Text,
            ocr_confidence: None,
        }
    }

    fn letter_text() -> String {
        "Geachte leden van de selectiecommissie,\n\nHierbij meldt de gemeente zich aan. ".repeat(8)
    }

    #[test]
    fn the_attachment_is_the_letter_and_a_short_body_is_a_cover_note() {
        let docs = vec![
            doc(Origin::Body, None, "Zie bijlage.", None),
            doc(
                Origin::Attachment,
                Some("aanmelding.pdf"),
                &letter_text(),
                Some(2),
            ),
        ];
        assert_eq!(roles(&docs), vec![Role::Other, Role::Letter]);
        let f = page_finding(&docs, &roles(&docs), 2);
        assert_eq!(
            (f.counted_pages, f.over_by, f.basis),
            (Some(2), None, Some(PageBasis::Exact))
        );
    }

    #[test]
    fn a_support_letter_from_the_adviesraad_is_listed_and_not_counted() {
        let support = format!(
            "De Adviesraad Sociaal Domein ondersteunt de aanmelding van harte. {}",
            letter_text()
        );
        let docs = vec![
            doc(Origin::Body, None, "Zie bijlagen.", None),
            doc(
                Origin::Attachment,
                Some("brief.pdf"),
                &letter_text(),
                Some(3),
            ),
            doc(
                Origin::Attachment,
                Some("adviesraad.pdf"),
                &support,
                Some(1),
            ),
        ];
        let r = roles(&docs);
        assert_eq!(r, vec![Role::Other, Role::Letter, Role::SupportLetter]);
        let f = page_finding(&docs, &r, 2);
        assert_eq!(f.counted_pages, Some(3));
        assert_eq!(f.over_by, Some(1));
        assert_eq!(f.support_letters, vec!["adviesraad.pdf".to_string()]);
        assert!(f.note.contains("steunbrief niet meegeteld"), "{}", f.note);
        assert!(f.note.contains("1 pagina meer"), "{}", f.note);
    }

    #[test]
    fn without_an_attachment_the_body_is_the_letter_and_its_pages_are_estimated() {
        let body = "Een regel tekst.\n".repeat(100);
        let docs = vec![doc(Origin::Body, None, &body, None)];
        assert_eq!(roles(&docs), vec![Role::Letter]);
        let f = page_finding(&docs, &roles(&docs), 2);
        assert_eq!(f.counted_pages, Some(3));
        assert_eq!(f.basis, Some(PageBasis::Estimate));
        assert!(f.note.contains("geschat"));
    }

    #[test]
    fn paper_other_than_a4_is_recorded() {
        let mut d = doc(
            Origin::Attachment,
            Some("brief.pdf"),
            &letter_text(),
            Some(1),
        );
        d.paper = Some(Paper::LETTER);
        let docs = vec![d];
        let f = page_finding(&docs, &roles(&docs), 2);
        assert_eq!(f.non_a4, vec!["brief.pdf: Letter".to_string()]);
    }

    #[test]
    fn an_exact_count_is_certain_even_right_at_the_limit() {
        for n in [1, 2, 3] {
            assert_eq!(certainty(n, PageBasis::Exact, 2, &[]), None, "{n}");
        }
        assert_eq!(certainty(3, PageBasis::Exact, 2, &[(1, 6)]), None);
    }

    #[test]
    fn an_estimate_or_metadata_within_one_page_of_the_limit_is_uncertain() {
        for basis in [PageBasis::Estimate, PageBasis::Metadata] {
            for n in [1, 2, 3] {
                assert_eq!(
                    certainty(n, basis, 2, &[]),
                    Some(Uncertainty::NearLimit),
                    "{n} {basis:?}"
                );
            }
            for n in [4, 5, 8] {
                assert_eq!(certainty(n, basis, 2, &[]), None, "{n} {basis:?}");
            }
        }
        assert_eq!(
            certainty(4, PageBasis::Estimate, 4, &[]),
            Some(Uncertainty::NearLimit)
        );
        assert_eq!(certainty(1, PageBasis::Estimate, 4, &[]), None);
    }

    #[test]
    fn metadata_that_differs_from_the_estimate_by_more_than_one_page_is_uncertain() {
        assert_eq!(
            certainty(6, PageBasis::Metadata, 2, &[(6, 4)]),
            Some(Uncertainty::MetadataDisagrees {
                metadata: 6,
                estimate: 4
            })
        );
        // Far from the limit but contradicted by the text (the stale ODT count of the issue).
        assert_eq!(
            certainty(5, PageBasis::Metadata, 2, &[(5, 2)]),
            Some(Uncertainty::MetadataDisagrees {
                metadata: 5,
                estimate: 2
            })
        );
        // One page apart is agreement.
        assert_eq!(certainty(5, PageBasis::Metadata, 2, &[(5, 6)]), None);
        assert_eq!(certainty(6, PageBasis::Metadata, 2, &[(6, 5)]), None);
    }

    fn office(name: &str, pages: u32, basis: PageBasis, estimate: u32) -> Document {
        Document {
            format: Format::Docx,
            page_basis: Some(basis),
            page_estimate: Some(estimate),
            ..doc(Origin::Attachment, Some(name), &letter_text(), Some(pages))
        }
    }

    #[test]
    fn an_uncertain_finding_says_controleer_lengte_instead_of_a_verdict() {
        let docs = vec![office("brief.docx", 3, PageBasis::Estimate, 3)];
        let f = page_finding(&docs, &roles(&docs), 2);
        assert_eq!(f.uncertain, Some(Uncertainty::NearLimit));
        assert_eq!(f.over_by, Some(1), "the arithmetic stays on record");
        assert!(f.note.contains("controleer lengte"), "{}", f.note);
        assert!(!f.note.contains("meer dan de toegestane"), "{}", f.note);

        let docs = vec![office("brief.odt", 2, PageBasis::Metadata, 4)];
        let f = page_finding(&docs, &roles(&docs), 2);
        assert_eq!(
            f.uncertain,
            Some(Uncertainty::MetadataDisagrees {
                metadata: 2,
                estimate: 4
            })
        );
        assert!(
            f.note
                .contains("het bestand zegt 2 pagina's, de tekst lijkt 4 pagina's"),
            "{}",
            f.note
        );
        assert!(!f.note.contains("binnen de grens"), "{}", f.note);
    }

    #[test]
    fn a_far_estimate_and_an_exact_count_are_judged() {
        let docs = vec![office("brief.docx", 6, PageBasis::Estimate, 6)];
        let f = page_finding(&docs, &roles(&docs), 2);
        assert_eq!((f.uncertain, f.over_by), (None, Some(4)));
        assert!(f.note.contains("4 pagina's meer"), "{}", f.note);

        let docs = vec![office("brief.docx", 3, PageBasis::Exact, 2)];
        let f = page_finding(&docs, &roles(&docs), 2);
        assert_eq!((f.uncertain, f.over_by), (None, Some(1)));
    }

    #[test]
    fn two_counted_documents_are_judged_on_their_total_and_weakest_basis() {
        let mut second = office("bijlage-brief.docx", 1, PageBasis::Estimate, 1);
        second.text = format!("Aanmelding, vervolg. {}", letter_text());
        let docs = vec![office("aanmelding.pdf", 2, PageBasis::Exact, 2), second];
        let r = roles(&docs);
        assert_eq!(r, vec![Role::Letter, Role::Letter]);
        let f = page_finding(&docs, &r, 2);
        assert_eq!(f.counted_pages, Some(3));
        assert_eq!(f.basis, Some(PageBasis::Estimate));
        assert_eq!(f.uncertain, Some(Uncertainty::NearLimit));
    }

    #[test]
    fn the_page_estimate_follows_printed_lines_of_90_characters() {
        assert_eq!(estimate_pages(""), 0);
        assert_eq!(estimate_pages("kort"), 1);
        assert_eq!(estimate_pages(&"x".repeat(90 * 49)), 2);
    }
}
