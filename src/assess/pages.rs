//! Which documents count for the page limit, and the page finding.
//!
//! The nomination's own pages are those of its letter: every attachment that is not a support
//! letter (steunbrief) — or the mail body when there is no readable attachment letter. Support
//! letters (from the local adviesraad, a client council, …) are recognised by their own words,
//! listed, and not counted. The finding is advice, never a rejection.

use crate::documents::{Document, Origin, PageBasis, Status};

/// The part a document plays in a nomination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The nomination letter itself (counts for the page limit).
    Letter,
    /// A letter of support from someone else (does not count).
    SupportLetter,
    /// Anything else: the covering mail body, an image, an unreadable file.
    Other,
}

/// Words near the start of a document that mark it as a letter of support.
const SUPPORT_CUES: &[&str] = &[
    "steunbrief",
    "steunverklaring",
    "ondersteunt de voordracht",
    "ondersteunen de voordracht",
    "steunt de voordracht",
    "steunen de voordracht",
    "ondersteunt de nominatie",
    "steunen de nominatie",
    "van harte ondersteunen",
    "wij ondersteunen de aanmelding",
    "aanbevelingsbrief",
];

fn is_support_letter(d: &Document) -> bool {
    let name = d.name.as_deref().unwrap_or("").to_lowercase();
    if name.contains("steun") || name.contains("aanbeveling") {
        return true;
    }
    // The first ~1500 characters: the heading and first paragraph say what the letter is.
    let head: String = d.text.chars().take(1500).collect::<String>().to_lowercase();
    SUPPORT_CUES.iter().any(|c| head.contains(c))
}

/// The role of each document, in order.
pub fn roles(docs: &[Document]) -> Vec<Role> {
    let mut roles: Vec<Role> = docs
        .iter()
        .map(|d| match d.origin {
            Origin::Body => Role::Other,
            Origin::Attachment if d.format == crate::documents::Format::Image => Role::Other,
            Origin::Attachment if is_support_letter(d) => Role::SupportLetter,
            Origin::Attachment => Role::Letter,
        })
        .collect();
    let has_letter = roles.iter().any(|r| *r == Role::Letter);
    if !has_letter {
        // No attachment letter: the mail body is the nomination.
        if let Some(i) = docs.iter().position(|d| d.origin == Origin::Body && !d.text.trim().is_empty()) {
            roles[i] = Role::Letter;
        }
    }
    roles
}

/// The page finding of a nomination.
#[derive(Debug, Clone, PartialEq)]
pub struct PageFinding {
    /// Pages of the nomination's own letter(s); None when unknown.
    pub counted_pages: Option<u32>,
    /// The weakest basis among the counted documents (estimate < metadata < exact).
    pub basis: Option<PageBasis>,
    pub max_pages: u32,
    /// Pages over the limit.
    pub over_by: Option<u32>,
    /// Paper sizes other than A4 found in counted documents ("brief.pdf: Letter").
    pub non_a4: Vec<String>,
    /// Names of the support letters (not counted).
    pub support_letters: Vec<String>,
    /// Dutch summary for staff.
    pub note: String,
}

fn rank(b: PageBasis) -> u8 {
    match b {
        PageBasis::Estimate => 0,
        PageBasis::Metadata => 1,
        PageBasis::Exact => 2,
    }
}

pub fn page_finding(docs: &[Document], roles: &[Role], max_pages: u32) -> PageFinding {
    let mut counted: Option<u32> = None;
    let mut unknown = false;
    let mut basis: Option<PageBasis> = None;
    let mut non_a4 = Vec::new();
    let mut support = Vec::new();
    for (d, r) in docs.iter().zip(roles) {
        match r {
            Role::SupportLetter => support.push(d.name.clone().unwrap_or_else(|| d.path.clone())),
            Role::Letter => {
                match d.pages {
                    Some(p) if d.status == Status::Ok || d.status == Status::ScanWithoutText => {
                        counted = Some(counted.unwrap_or(0) + p);
                    }
                    _ => unknown = true,
                }
                if let Some(b) = d.page_basis {
                    basis = Some(match basis {
                        Some(old) if rank(old) <= rank(b) => old,
                        _ => b,
                    });
                }
                if let Some(paper) = &d.paper
                    && !paper.is_a4()
                {
                    non_a4.push(format!("{}: {}", d.name.as_deref().unwrap_or("e-mail"), paper.label()));
                }
            }
            Role::Other => {}
        }
    }
    if unknown && counted.is_none() {
        basis = None;
    }
    let over_by = counted.and_then(|c| c.checked_sub(max_pages)).filter(|o| *o > 0);
    let mut note = match (counted, over_by) {
        (None, _) => "aantal pagina's van de brief onbekend".to_string(),
        (Some(c), Some(o)) => format!("{c} pagina's, {o} meer dan de {max_pages} toegestane"),
        (Some(c), None) => format!("{c} pagina's, binnen de grens van {max_pages}"),
    };
    if let Some(b) = basis {
        note.push_str(&format!(" (telling: {})", b.as_str()));
    }
    if unknown && counted.is_some() {
        note.push_str("; een deel van de brief kon niet worden geteld");
    }
    if !support.is_empty() {
        note.push_str(&format!("; steunbrieven niet meegeteld: {}", support.join(", ")));
    }
    PageFinding {
        counted_pages: counted,
        basis,
        max_pages,
        over_by,
        non_a4,
        support_letters: support,
        note,
    }
}
