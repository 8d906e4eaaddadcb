//! HTML to plain text for mail bodies and HTML attachments: block elements become line
//! breaks, table cells tabs; scripts, styles and the head are dropped; entities decoded.
//! A single forward scan, linear in the input.

/// Plain text of an HTML document.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut skip_until: Option<&'static str> = None;
    let mut pending_space = false;
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(end_tag) = skip_until {
            match find_ci(rest, end_tag) {
                Some(i) => {
                    rest = &rest[i..];
                    skip_until = None;
                }
                None => break,
            }
            continue;
        }
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map(|i| &after[i + 3..]).unwrap_or("");
            continue;
        }
        if rest.starts_with('<') {
            // An unclosed tag runs to the end (`rest` starts with '<', so 1 <= end).
            let end = rest.find('>').unwrap_or(rest.len());
            let inner = &rest[1..end];
            rest = &rest[(end + 1).min(rest.len())..];
            let closing = inner.starts_with('/');
            let name: String = inner
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            match name.as_str() {
                "script" | "style" | "head" | "title" | "template" if !closing => {
                    skip_until = Some(match name.as_str() {
                        "script" => "</script",
                        "style" => "</style",
                        "head" => "</head",
                        "title" => "</title",
                        _ => "</template",
                    });
                }
                "br" => newline(&mut out, 1),
                "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "blockquote"
                | "ul" | "ol" | "pre" | "section" | "article" | "header" | "footer" => {
                    newline(&mut out, if name == "p" && closing { 2 } else { 1 })
                }
                "li" | "tr" | "dt" | "dd" | "hr" => newline(&mut out, 1),
                "td" | "th" if !closing && !out.ends_with('\n') && !out.is_empty() => {
                    out.push('\t')
                }
                _ => {}
            }
            continue;
        }
        let next = rest.find('<').unwrap_or(rest.len());
        let chunk = &rest[..next];
        rest = &rest[next..];
        let decoded = decode_entities(chunk);
        let is_space = |c: char| c.is_whitespace() && c != '\u{a0}';
        if decoded.starts_with(is_space) {
            pending_space = true;
        }
        for (k, word) in decoded
            .split(is_space)
            .filter(|w| !w.is_empty())
            .enumerate()
        {
            if (k > 0 || pending_space) && !out.is_empty() && !out.ends_with(['\n', '\t', ' ']) {
                out.push(' ');
            }
            out.push_str(&word.replace('\u{a0}', " "));
            pending_space = false;
        }
        if decoded.ends_with(is_space) {
            pending_space = true;
        }
    }
    let trimmed: Vec<&str> = out.lines().map(str::trim_end).collect();
    let mut text = trimmed.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.trim().to_string()
}

fn newline(out: &mut String, max: usize) {
    if out.is_empty() {
        return;
    }
    let have = out.chars().rev().take_while(|&c| c == '\n').count();
    for _ in have..max {
        out.push('\n');
    }
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let semi = after.find(';').filter(|&j| j <= 10);
        let decoded = semi.and_then(|j| entity(&after[..j]).map(|c| (c, j)));
        match decoded {
            Some((c, j)) => {
                out.push(c);
                rest = &after[j + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "euml" => 'ë',
        "Euml" => 'Ë',
        "eacute" => 'é',
        "Eacute" => 'É',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "iuml" => 'ï',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "auml" => 'ä',
        "aacute" => 'á',
        "agrave" => 'à',
        "oacute" => 'ó',
        "iacute" => 'í',
        "uacute" => 'ú',
        "ccedil" => 'ç',
        "szlig" => 'ß',
        "euro" => '€',
        "copy" => '©',
        "reg" => '®',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "bull" => '•',
        "hellip" => '…',
        "middot" => '·',
        "laquo" => '«',
        "raquo" => '»',
        "shy" => '\u{ad}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_lines_and_entities_are_decoded() {
        let html = "<html><head><style>p{}</style></head><body><p>Geachte&nbsp;heer,</p>\
                    <div>Wij dragen <b>Deventer</b> voor &amp; co&euml;xistentie.</div>\
                    <table><tr><td>a</td><td>b</td></tr></table></body></html>";
        assert_eq!(
            html_to_text(html),
            "Geachte heer,\n\nWij dragen Deventer voor & coëxistentie.\na\tb"
        );
    }
}
