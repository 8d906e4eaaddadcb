//! The letter text with its evidence marked: the text cut into [`Segment`]s, each carrying the
//! marks (criterion or principle, theme, kind) of the sentences that cover it. Pure: the text
//! and the claims come in, the segments go out; the template shows each mark by colour *and*
//! by a text tag, so colour is never the only cue.
//!
//! A claim is found by its stored byte offset when the sentence is exactly there, else by
//! searching the sentence; both give ranges on character boundaries. A claim found nowhere is
//! returned as unplaced (the page lists it beside the text), never guessed.

use serde::Serialize;

/// What one mark says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// CSS class of the criterion: `c1`, `c2`, `c3`, … or `cp` for the principle.
    pub class: String,
    /// Short visible tag, e.g. `1`, `2 Wonen`, `P`.
    pub tag: String,
    /// Full description for the tag's title and screen readers, e.g. "bewijs voor criterium 1".
    pub label: String,
    /// Counts as evidence (false: an intention or a negated sentence, shown but not counted).
    pub evidence: bool,
}

/// One claim to place: where the pipeline said it is, and what it means.
#[derive(Debug, Clone)]
pub struct Placed<'a> {
    pub sentence: &'a str,
    pub offset: usize,
    pub mark: Mark,
}

/// A run of text with the same marks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub text: String,
    pub marks: Vec<Mark>,
    /// Space-separated CSS classes of the marks (first class decides the colour).
    pub classes: String,
}

/// The byte range of `sentence` in `text`: at `offset` when it is exactly there, else its
/// first occurrence. Both ends are character boundaries.
fn locate(text: &str, sentence: &str, offset: usize) -> Option<(usize, usize)> {
    if sentence.is_empty() {
        return None;
    }
    let end = offset.checked_add(sentence.len())?;
    if text.get(offset..end) == Some(sentence) {
        return Some((offset, end));
    }
    text.find(sentence).map(|at| (at, at + sentence.len()))
}

/// Cuts `text` into segments by the claims' ranges. Returns the segments and the marks of the
/// claims that could not be placed.
pub fn segments(text: &str, claims: &[Placed<'_>]) -> (Vec<Segment>, Vec<Mark>) {
    let mut ranges: Vec<(usize, usize, &Mark)> = Vec::new();
    let mut unplaced = Vec::new();
    for c in claims {
        match locate(text, c.sentence, c.offset) {
            Some((a, b)) => ranges.push((a, b, &c.mark)),
            None => unplaced.push(c.mark.clone()),
        }
    }
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for (a, b, _) in &ranges {
        cuts.push(*a);
        cuts.push(*b);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<Segment> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let Some(piece) = text.get(a..b) else {
            continue;
        };
        let mut marks: Vec<Mark> = Vec::new();
        for (ra, rb, m) in &ranges {
            if *ra <= a && b <= *rb && !marks.contains(m) {
                marks.push((*m).clone());
            }
        }
        match out.last_mut() {
            Some(last) if last.marks == marks => last.text.push_str(piece),
            _ => out.push(Segment {
                text: piece.to_string(),
                classes: classes(&marks),
                marks,
            }),
        }
    }
    (out, unplaced)
}

fn classes(marks: &[Mark]) -> String {
    let mut out: Vec<String> = Vec::new();
    for m in marks {
        if !out.contains(&m.class) {
            out.push(m.class.clone());
        }
    }
    if marks.iter().any(|m| !m.evidence) && marks.iter().all(|m| !m.evidence) {
        out.push("not-counted".into());
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(class: &str, tag: &str) -> Mark {
        Mark {
            class: class.into(),
            tag: tag.into(),
            label: format!("bewijs voor {tag}"),
            evidence: true,
        }
    }

    #[test]
    fn a_sentence_found_at_its_offset_becomes_one_marked_segment() {
        let text = "Aanhef.\nWij hebben een inclusieagenda. Slot.";
        let s = "Wij hebben een inclusieagenda.";
        let off = text.find(s).unwrap();
        let (segs, unplaced) = segments(
            text,
            &[Placed {
                sentence: s,
                offset: off,
                mark: mark("c1", "1"),
            }],
        );
        assert!(unplaced.is_empty());
        assert_eq!(segs.len(), 3);
        assert_eq!(segs[1].text, s);
        assert_eq!(segs[1].classes, "c1");
        assert!(segs[0].marks.is_empty() && segs[2].marks.is_empty());
        let joined: String = segs.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, text);
    }

    #[test]
    fn two_criteria_on_one_sentence_give_one_segment_with_both_tags() {
        let text = "Ervaringsdeskundigen schreven de agenda mee.";
        let p = |class: &str, tag: &str| Placed {
            sentence: text,
            offset: 0,
            mark: mark(class, tag),
        };
        let (segs, _) = segments(text, &[p("c1", "1"), p("cp", "P"), p("c1", "1")]);
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].marks.len(), 2);
        assert_eq!(segs[0].classes, "c1 cp");
    }

    #[test]
    fn a_wrong_offset_is_corrected_by_search_and_a_missing_sentence_is_unplaced() {
        // U+00A0 and accents: byte offsets are not character counts.
        let text = "Gemeente\u{a0}Súdwest-Fryslân: wij betrekken inwoners. Einde.";
        let s = "wij betrekken inwoners.";
        let (segs, unplaced) = segments(
            text,
            &[
                Placed {
                    sentence: s,
                    offset: 3,
                    mark: mark("cp", "P"),
                },
                Placed {
                    sentence: "Staat er niet in.",
                    offset: 0,
                    mark: mark("c3", "3"),
                },
            ],
        );
        assert_eq!(unplaced.len(), 1);
        assert_eq!(unplaced[0].class, "c3");
        assert!(segs.iter().any(|g| g.text == s && g.classes == "cp"));
        let joined: String = segs.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, text);
    }

    #[test]
    fn overlapping_sentences_split_where_they_overlap() {
        let text = "aaa bbb ccc";
        let (segs, _) = segments(
            text,
            &[
                Placed {
                    sentence: "aaa bbb",
                    offset: 0,
                    mark: mark("c1", "1"),
                },
                Placed {
                    sentence: "bbb ccc",
                    offset: 4,
                    mark: mark("c2", "2"),
                },
            ],
        );
        let shape: Vec<(&str, &str)> = segs
            .iter()
            .map(|s| (s.text.as_str(), s.classes.as_str()))
            .collect();
        assert_eq!(shape, [("aaa ", "c1"), ("bbb", "c1 c2"), (" ccc", "c2")]);
    }

    #[test]
    fn a_sentence_that_is_only_an_intention_is_marked_as_not_counted() {
        let text = "We willen een agenda maken.";
        let mut m = mark("c1", "1");
        m.evidence = false;
        let (segs, _) = segments(
            text,
            &[Placed {
                sentence: text,
                offset: 0,
                mark: m,
            }],
        );
        assert_eq!(segs[0].classes, "c1 not-counted");
    }
}
