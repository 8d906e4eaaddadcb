//! MIME nesting bounded before parsing: how deep mail-parser *would* nest a raw mail, found
//! without building its tree.
//!
//! mail-parser 0.11 builds the whole MIME tree before any limit of ours applies, and both
//! `into_owned` and `Drop` of that tree recurse once per nested `message/rfc822`: 50,000
//! nested messages (1.6 MB) overflow the stack and abort the process. [`mime_depth_exceeds`]
//! replays mail-parser's own part-walking loop (`MessageParser::parse_` in 0.11.9) with the
//! same public stream primitives (`mail_parser::parsers::MessageStream`: header parsing,
//! boundary search, transfer decoding), so it sees exactly the boundaries, headers (folded or
//! not, any case) and content types mail-parser sees — but it keeps only a stack of open
//! containers and stops as soon as that stack is deeper than the limit. It does not recurse
//! per nesting level: the only recursion is into base64/quoted-printable encoded attached
//! messages, which mail-parser itself opens at most three levels deep. Its memory is the
//! stack (at most `max_depth` boundaries) plus one decoded buffer per encoded level.
//!
//! Conservative: a mail that would take unusual work to walk (far more boundary searching
//! than its size suggests, as in a crafted mail that makes mail-parser scan it thousands of
//! times) counts as exceeding, and so does any input this walk cannot follow.
//!
//! Tied to mail-parser 0.11: a new mail-parser version must be checked against this walk
//! (the differential test below and tests/it/documents.rs compare it with mail-parser's tree).

use mail_parser::parsers::MessageStream;
use mail_parser::{ContentType, GetHeader, Header, HeaderName, HeaderValue, MessageParser};

/// How many encoded (base64, quoted-printable) attached messages mail-parser opens within one
/// another (its `MAX_NESTED_ENCODED`).
const MAX_NESTED_ENCODED: usize = 3;

/// Work charged for one part, on top of the bytes it scans (bounds the number of parts).
const PART_COST: u64 = 256;

/// Whether the MIME nesting of `raw` (multipart containers and attached `message/rfc822` or
/// `message/global` parts, also base64 or quoted-printable encoded ones) is deeper than
/// `max_depth`, as mail-parser 0.11 would parse it. The top-level message is depth 0; every
/// multipart and every attached message opened adds one. Pass the bytes exactly as they will
/// be handed to `MessageParser::parse`. Conservative: when unsure, it says `true`.
pub fn mime_depth_exceeds(raw: &[u8], max_depth: usize) -> bool {
    !matches!(mime_depth(raw, max_depth), Depth::Within(_))
}

/// Outcome of the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    /// Deepest nesting found; at most the limit.
    Within(usize),
    /// Deeper than the limit (the walk stopped there).
    TooDeep,
    /// Too much work to walk, or input the walk cannot follow: treated as too deep.
    TooComplex,
}

/// Walks `raw` as mail-parser would and reports its deepest nesting, up to `max_depth`.
pub(crate) fn mime_depth(raw: &[u8], max_depth: usize) -> Depth {
    if u32::try_from(raw.len()).is_err() {
        // mail-parser keeps offsets as u32.
        return Depth::TooComplex;
    }
    let mut walk = Walk {
        parser: MessageParser::default(),
        max_depth,
        deepest: 0,
        work_left: 64 * 1024 * 1024 + 16 * raw.len() as u64,
    };
    match walk.message(raw, 0, MAX_NESTED_ENCODED) {
        Ok(()) => Depth::Within(walk.deepest),
        Err(stop) => stop,
    }
}

/// What mail-parser makes of one part's content type (its private `mime_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `multipart/digest`: its parts without a Content-Type are messages.
    Digest,
    /// Any other multipart.
    Multipart,
    /// `message/rfc822` or `message/global` (and an untyped part of a digest).
    Message,
    /// Anything else: text, binary, or a multipart whose boundary never appears.
    Leaf,
}

/// One open container of the walk (mail-parser's `MessageParserState`, reduced).
#[derive(Debug)]
struct State {
    kind: Kind,
    /// The boundary whose next occurrence ends the current part.
    boundary: Option<Vec<u8>>,
    /// Index of this container's part in the message object it was opened in.
    part_id: usize,
}

/// A container waiting on the stack; `parent_parts` is set when an attached message was
/// opened from it (mail-parser then keeps the parent message object beside it, with that
/// many parts).
#[derive(Debug)]
struct Saved {
    state: State,
    parent_parts: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    None,
    Base64,
    QuotedPrintable,
}

struct Walk {
    parser: MessageParser,
    max_depth: usize,
    deepest: usize,
    work_left: u64,
}

impl Walk {
    fn spend(&mut self, bytes: usize) -> Result<(), Depth> {
        let cost = bytes as u64;
        if cost > self.work_left {
            return Err(Depth::TooComplex);
        }
        self.work_left -= cost;
        Ok(())
    }

    fn reached(&mut self, depth: usize) -> Result<(), Depth> {
        if depth > self.max_depth {
            return Err(Depth::TooDeep);
        }
        self.deepest = self.deepest.max(depth);
        Ok(())
    }

    /// mail-parser's part loop over one message held in `data`, whose root is at depth
    /// `base`; `encoded_levels` is how many encoded attached messages may still be opened.
    fn message(&mut self, data: &[u8], base: usize, encoded_levels: usize) -> Result<(), Depth> {
        let mut stream = MessageStream::new(data);
        let mut state = State {
            kind: Kind::Message,
            boundary: None,
            part_id: 0,
        };
        let mut stack: Vec<Saved> = Vec::new();
        // Parts of the message object currently being filled.
        let mut parts = 0usize;
        let mut headers: Vec<Header<'_>> = Vec::new();

        'outer: loop {
            self.spend(PART_COST as usize)?;
            let start = stream.offset();
            headers.clear();
            if !stream.parse_headers(&self.parser, &mut headers) {
                break;
            }
            self.spend(stream.offset().saturating_sub(start))?;

            let content_type = headers
                .header_value(&HeaderName::ContentType)
                .and_then(HeaderValue::as_content_type);
            let mut kind = kind_of(content_type, state.kind);

            if matches!(kind, Kind::Digest | Kind::Multipart)
                && let Some(boundary) = content_type.and_then(|c| c.attribute("boundary"))
            {
                let before = stream.offset();
                if stream.seek_next_part(boundary.as_bytes()) {
                    self.spend(stream.offset() - before)?;
                    let opened = State {
                        kind,
                        boundary: Some(boundary.as_bytes().to_vec()),
                        part_id: parts,
                    };
                    parts += 1;
                    stack.push(Saved {
                        state: std::mem::replace(&mut state, opened),
                        parent_parts: None,
                    });
                    self.reached(base + stack.len())?;
                    stream.skip_crlf();
                    continue;
                }
                // The boundary never appears: mail-parser reads the part as text.
                self.spend(data.len() - before)?;
                kind = Kind::Leaf;
            }

            let encoding = match headers.header_value(&HeaderName::ContentTransferEncoding) {
                Some(HeaderValue::Text(e)) if e.eq_ignore_ascii_case("base64") => Encoding::Base64,
                Some(HeaderValue::Text(e)) if e.eq_ignore_ascii_case("quoted-printable") => {
                    Encoding::QuotedPrintable
                }
                _ => Encoding::None,
            };

            if kind == Kind::Message && encoding == Encoding::None {
                // An attached message is parsed in place, inheriting the enclosing boundary.
                let opened = State {
                    kind: Kind::Message,
                    boundary: state.boundary.take(),
                    part_id: parts,
                };
                parts += 1;
                stack.push(Saved {
                    state: std::mem::replace(&mut state, opened),
                    parent_parts: Some(parts),
                });
                parts = 0;
                self.reached(base + stack.len())?;
                continue;
            }

            // A leaf: its body runs to the next boundary (or the end).
            let before = stream.offset();
            let boundary: &[u8] = state.boundary.as_deref().unwrap_or(b"");
            let (offset_end, bytes) = match encoding {
                Encoding::Base64 => stream.decode_base64_mime(boundary),
                Encoding::QuotedPrintable => stream.decode_quoted_printable_mime(boundary),
                Encoding::None => stream.mime_part(boundary),
            };
            let mut nested = None;
            if offset_end == usize::MAX {
                // Undecodable: mail-parser keeps it as text and looks for the boundary again.
                drop(bytes);
                let (_, found) = stream.seek_part_end(state.boundary.as_deref());
                if !found {
                    state.boundary = None;
                }
                self.spend(data.len().saturating_sub(before))?;
            } else {
                self.spend(stream.offset().saturating_sub(before))?;
                if kind == Kind::Message && encoding != Encoding::None && encoded_levels > 0 {
                    nested = Some(bytes);
                }
            }
            parts += 1;
            if let Some(inner) = nested {
                let depth = base + stack.len() + 1;
                self.reached(depth)?;
                self.message(&inner, depth, encoded_levels - 1)?;
            }

            if state.boundary.is_some() {
                'inner: loop {
                    if state.kind == Kind::Message {
                        // The attached message ends with the enclosing boundary.
                        match stack.pop() {
                            Some(Saved {
                                state: mut parent,
                                parent_parts: Some(parent_parts),
                            }) => {
                                parent.boundary = state.boundary.take();
                                state = parent;
                                parts = parent_parts;
                            }
                            _ => break 'outer,
                        }
                    }
                    if stream.is_multipart_end() {
                        if state.part_id < parts
                            && let Some(saved) = stack.pop()
                        {
                            state = saved.state;
                            if let Some(boundary) = state.boundary.as_deref() {
                                let before = stream.offset();
                                let found = stream.seek_next_part_offset(boundary).is_some();
                                self.spend(if found {
                                    stream.offset() - before
                                } else {
                                    data.len().saturating_sub(before)
                                })?;
                                if found {
                                    continue 'inner;
                                }
                            }
                        }
                        break 'outer;
                    }
                    break 'inner;
                }
            } else if stream.offset() >= data.len() {
                break 'outer;
            }
        }
        Ok(())
    }
}

/// mail-parser's classification of a part by its Content-Type and its container's kind.
fn kind_of(content_type: Option<&ContentType<'_>>, parent: Kind) -> Kind {
    match content_type {
        Some(ct) => match ct.ctype() {
            "multipart" if ct.subtype() == Some("digest") => Kind::Digest,
            "multipart" => Kind::Multipart,
            "message" if matches!(ct.subtype(), Some("rfc822") | Some("global")) => Kind::Message,
            _ => Kind::Leaf,
        },
        None if parent == Kind::Digest => Kind::Message,
        None => Kind::Leaf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::{Message, PartType};

    /// Deepest level of mail-parser's own tree, counted as [`mime_depth`] counts. mail-parser
    /// can list a multipart among its own children (seen on a message part followed by a
    /// message part): every part is visited once.
    fn tree_depth(msg: &Message<'_>) -> usize {
        let mut deepest = 0;
        let mut seen = std::collections::HashSet::new();
        let mut todo: Vec<(&Message<'_>, usize, usize)> = vec![(msg, 0, 0)];
        while let Some((m, part, level)) = todo.pop() {
            if !seen.insert((std::ptr::from_ref(m) as usize, part)) {
                continue;
            }
            deepest = deepest.max(level);
            match m.parts.get(part).map(|p| &p.body) {
                Some(PartType::Multipart(children)) => {
                    for &c in children {
                        todo.push((m, c as usize, level + 1));
                    }
                }
                Some(PartType::Message(inner)) => todo.push((inner, 0, level + 1)),
                _ => {}
            }
        }
        deepest
    }

    fn nested_messages(n: usize) -> Vec<u8> {
        let mut raw = b"From: a@example.nl\r\nSubject: deep\r\n".to_vec();
        for _ in 0..n {
            raw.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
        }
        raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\nhallo\r\n");
        raw
    }

    fn nested_multiparts(n: usize) -> Vec<u8> {
        let mut raw = b"From: a@example.nl\r\nSubject: deep\r\n".to_vec();
        for i in 0..n {
            raw.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n")
                    .as_bytes(),
            );
        }
        raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\nhallo\r\n");
        for i in (0..n).rev() {
            raw.extend_from_slice(format!("--b{i}--\r\n").as_bytes());
        }
        raw
    }

    #[test]
    fn fifty_thousand_nested_messages_exceed_any_sane_limit_quickly() {
        let raw = nested_messages(50_000);
        assert!(raw.len() > 1_500_000);
        let started = std::time::Instant::now();
        assert_eq!(mime_depth(&raw, 30), Depth::TooDeep);
        assert!(mime_depth_exceeds(&raw, 1000));
        // Not a speed assertion: only that the walk stopped early rather than read it all.
        let _ = started.elapsed();
    }

    #[test]
    fn nesting_is_counted_per_message_and_per_multipart() {
        assert_eq!(mime_depth(&nested_messages(3), 10), Depth::Within(3));
        assert_eq!(mime_depth(&nested_multiparts(4), 10), Depth::Within(4));
        assert!(!mime_depth_exceeds(&nested_messages(3), 3));
        assert!(mime_depth_exceeds(&nested_messages(4), 3));
        assert!(mime_depth_exceeds(&nested_multiparts(4), 3));
        let plain = b"From: a@example.nl\r\nSubject: kort\r\n\r\nhallo\r\n";
        assert_eq!(mime_depth(plain, 0), Depth::Within(0));
    }

    #[test]
    fn folded_and_upper_case_headers_are_seen_as_mail_parser_sees_them() {
        let mut raw = b"Subject: x\r\n".to_vec();
        for _ in 0..6 {
            raw.extend_from_slice(b"CONTENT-TYPE:\r\n\tMESSAGE/RFC822;\r\n name=\"a.eml\"\r\n\r\n");
        }
        raw.extend_from_slice(b"\r\nhallo\r\n");
        assert_eq!(mime_depth(&raw, 10), Depth::Within(6));
        assert!(mime_depth_exceeds(&raw, 5));
    }

    #[test]
    fn an_untyped_part_of_a_digest_is_a_message() {
        let raw = b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n\
                    Content-Type: multipart/mixed; boundary=e\r\n\r\n--e\r\n\r\nhallo\r\n--e--\r\n--d--\r\n";
        assert_eq!(mime_depth(raw, 10), Depth::Within(3));
        let parsed = MessageParser::default().parse(&raw[..]).expect("parses");
        assert_eq!(tree_depth(&parsed), 3);
    }

    #[test]
    fn encoded_attached_messages_are_opened_like_mail_parser_does() {
        use std::io::Write;
        let inner = nested_messages(8);
        let mut b64 = String::new();
        {
            // A plain base64 encoder keeps this test free of extra crates.
            const T: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            for chunk in inner.chunks(3) {
                let n = chunk.len();
                let v = (u32::from(chunk[0]) << 16)
                    | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                    | u32::from(*chunk.get(2).unwrap_or(&0));
                for i in 0..4 {
                    if i <= n {
                        b64.push(T[((v >> (18 - 6 * i)) & 63) as usize] as char);
                    } else {
                        b64.push('=');
                    }
                }
            }
        }
        let mut raw = Vec::new();
        write!(
            raw,
            "Subject: x\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\
             Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--zz--\r\n"
        )
        .expect("writes");
        // multipart (1) + encoded message (2) + its 8 nested messages.
        assert_eq!(mime_depth(&raw, 30), Depth::Within(10));
        assert!(mime_depth_exceeds(&raw, 9));
        let parsed = MessageParser::default().parse(&raw[..]).expect("parses");
        assert_eq!(tree_depth(&parsed), 10);
    }

    #[test]
    fn the_walk_agrees_with_mail_parsers_tree_on_tricky_structures() {
        let cases: Vec<&[u8]> = vec![
            // Boundary that is a prefix of another, and parts without a blank line.
            b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\n\r\nx\r\n--ab--\r\n--a--\r\n",
            // Reused boundary in a nested multipart.
            b"Content-Type: multipart/mixed; boundary=s\r\n\r\n--s\r\nContent-Type: multipart/mixed; boundary=s\r\n\r\n--s\r\n\r\nx\r\n--s--\r\n--s\r\n\r\ny\r\n--s--\r\n",
            // A message part right after a message part, then more parts of the outer multipart.
            b"Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nSubject: a\r\n\r\nx\r\n--m\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: multipart/alternative; boundary=n\r\n\r\n--n\r\n\r\ny\r\n--n--\r\n--m--\r\n",
            // Missing boundary: read as text.
            b"Content-Type: multipart/mixed; boundary=never\r\n\r\nContent-Type: message/rfc822\r\n\r\nx\r\n",
            // Unterminated nesting at the end.
            b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: multipart/mixed; boundary=r\r\n\r\n--r\r\n",
            // Boundary in the middle of a line.
            b"Content-Type: multipart/mixed; boundary=k\r\n\r\npreamble --k\r\nContent-Type: message/rfc822\r\n\r\ntext --k--\r\n",
        ];
        for raw in cases {
            let walked = match mime_depth(raw, 100) {
                Depth::Within(d) => d,
                other => panic!("unexpected {other:?} for {}", String::from_utf8_lossy(raw)),
            };
            let tree = MessageParser::default()
                .parse(raw)
                .map(|m| tree_depth(&m))
                .unwrap_or(0);
            assert!(
                walked >= tree,
                "walk {walked} < tree {tree} for {}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn a_mail_that_makes_the_parser_search_it_over_and_over_counts_as_too_complex() {
        // Many multipart parts whose boundary never appears: each makes mail-parser search to
        // the end of the mail.
        let mut raw = b"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n".to_vec();
        for i in 0..40_000 {
            raw.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=x{i}\r\n\r\nx\r\n--o\r\n")
                    .as_bytes(),
            );
        }
        raw.extend_from_slice(b"\r\nend\r\n--o--\r\n");
        assert_eq!(mime_depth(&raw, 30), Depth::TooComplex);
    }
}
