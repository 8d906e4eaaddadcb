//! HTML to plain text, for every HTML the intake reads: mail bodies, HTML attachments, TNEF
//! bodies and partner answers. Block elements become line breaks, table cells tabs, list items
//! "- " lines; `<blockquote>` content is prefixed with `> ` per level (so quoted history is
//! recognised as such); `<style>`, `<script>`, `<head>` and comments are dropped; character
//! references are decoded with the `html-escape` crate (the full HTML5 table). A single forward
//! scan, linear in the input, that never slices inside a character.

/// Plain text of an HTML body: block elements become line breaks, `<blockquote>` content is
/// prefixed with `> ` per level (so quoted history is recognised), `<hr>` becomes a line of
/// underscores, `<style>`, `<script>`, `<head>` and comments are dropped, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = HtmlText::default();
    let mut pos = 0;
    while pos < html.len() {
        let rest = &html[pos..];
        if rest.starts_with("<!--") {
            pos = lower[pos + 4..]
                .find("-->")
                .map_or(html.len(), |p| pos + 4 + p + 3);
            continue;
        }
        let next_is_tag = rest.starts_with('<')
            && rest[1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if next_is_tag {
            // The tag's inside ends before its '>', or at the end of an unclosed tag (never one
            // byte before the end: that may be inside a multi-byte character).
            let (inner_end, end) =
                tag_end(rest).map_or((html.len(), html.len()), |e| (pos + e, pos + e + 1));
            let inner = &lower[pos + 1..inner_end.max(pos + 1)];
            pos = end;
            let closing = inner.starts_with('/');
            let name: String = inner
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == ':')
                .collect();
            let self_closing = inner.ends_with('/');
            if !closing
                && !self_closing
                && matches!(
                    name.as_str(),
                    "style" | "script" | "head" | "title" | "xml" | "template"
                )
            {
                let close = format!("</{name}");
                pos = lower[pos..].find(&close).map_or(html.len(), |p| {
                    let after = pos + p;
                    lower[after..]
                        .find('>')
                        .map_or(html.len(), |q| after + q + 1)
                });
                continue;
            }
            out.tag(&name, closing);
        } else {
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let end = rest[first..]
                .find('<')
                .map_or(html.len(), |p| pos + first + p);
            out.text(&decode_entities(&html[pos..end]));
            pos = end;
        }
    }
    out.finish()
}

/// Byte index of the '>' that ends the tag starting at `s[0] == '<'`, skipping quoted values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

#[derive(Default)]
struct HtmlText {
    lines: Vec<String>,
    line: String,
    /// Quote level of the line being built (set by its first text).
    line_depth: usize,
    depth: usize,
    pre: usize,
}

impl HtmlText {
    fn tag(&mut self, name: &str, closing: bool) {
        match name {
            "br" => self.newline(true),
            "blockquote" => {
                self.newline(false);
                if closing {
                    self.depth = self.depth.saturating_sub(1);
                } else {
                    self.depth += 1;
                }
            }
            "hr" => {
                self.newline(false);
                self.line = "_".repeat(32);
                self.line_depth = self.depth;
                self.newline(false);
            }
            "pre" => {
                self.newline(false);
                if closing {
                    self.pre = self.pre.saturating_sub(1);
                } else {
                    self.pre += 1;
                }
            }
            "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "ul" | "ol" => {
                self.newline(false);
                if closing {
                    self.blank();
                }
            }
            "li" => {
                self.newline(false);
                if !closing {
                    self.text("- ");
                }
            }
            "div" | "tr" | "section" | "article" | "header" | "footer" | "dl" | "dt" | "dd"
            | "address" | "center" | "body" => self.newline(false),
            "td" | "th" if !closing && !self.line.trim().is_empty() => self.line.push('\t'),
            _ => {}
        }
    }

    fn text(&mut self, s: &str) {
        if self.pre > 0 {
            for (i, part) in s.split('\n').enumerate() {
                if i > 0 {
                    self.newline(true);
                }
                self.push(part);
            }
            return;
        }
        let mut collapsed = String::with_capacity(s.len());
        let mut space = false;
        for c in s.chars() {
            if c.is_whitespace() && c != '\u{a0}' {
                space = true;
            } else {
                if space && !(collapsed.is_empty() && self.line.is_empty()) {
                    collapsed.push(' ');
                }
                space = false;
                collapsed.push(c);
            }
        }
        if space && !(collapsed.is_empty() && self.line.is_empty()) {
            collapsed.push(' ');
        }
        self.push(&collapsed);
    }

    fn push(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.line.is_empty() {
            self.line_depth = self.depth;
        }
        self.line.push_str(s);
    }

    /// Ends the current line; an empty line is kept only when `force` (a `<br>`).
    fn newline(&mut self, force: bool) {
        let text = self.line.replace('\u{a0}', " ").trim().to_string();
        if !text.is_empty() {
            self.lines
                .push(format!("{}{text}", "> ".repeat(self.line_depth)));
        } else if force {
            self.blank_at(self.depth);
        }
        self.line.clear();
        self.line_depth = self.depth;
    }

    fn blank(&mut self) {
        self.blank_at(self.depth);
    }

    fn blank_at(&mut self, depth: usize) {
        let blank = ">".repeat(depth);
        if self.lines.last().is_some_and(|l| *l == blank) {
            return;
        }
        self.lines.push(blank);
    }

    fn finish(mut self) -> String {
        self.newline(false);
        while self.lines.last().is_some_and(|l| l.is_empty()) {
            self.lines.pop();
        }
        self.lines.join("\n")
    }
}

/// Decodes HTML character references (every named one of HTML5, and numeric ones); anything
/// that is not a reference stays as it is.
pub fn decode_entities(s: &str) -> String {
    html_escape::decode_html_entities(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_lines_cells_tabs_and_entities_are_decoded() {
        let html = "<html><head><style>p{}</style></head><body><p>Geachte&nbsp;heer,</p>\
                    <div>Wij dragen <b>Deventer</b> voor &amp; co&euml;xistentie.</div>\
                    <table><tr><td>a</td><td>b</td></tr></table></body></html>";
        assert_eq!(
            html_to_text(html),
            "Geachte heer,\n\nWij dragen Deventer voor & coëxistentie.\na\tb"
        );
    }

    #[test]
    fn entities_and_stray_brackets_are_decoded_safely() {
        assert_eq!(
            decode_entities("a &lt; b &amp;&amp; &eacute;&#233;&#xE9; &bogus; &"),
            "a < b && ééé &bogus; &"
        );
        assert_eq!(decode_entities("&Ccedil;&#x1F600;&rsquo;"), "Ç😀’");
        assert_eq!(
            html_to_text("Steun < geen <b>bezwaar</b> ë"),
            "Steun < geen bezwaar ë"
        );
        assert_eq!(html_to_text("<p>onafgesloten <b"), "onafgesloten");
        assert_eq!(html_to_text("tekst <"), "tekst <");
        assert_eq!(
            html_to_text("<!-- [if mso]> STEUN <![endif]-->Bezwaar<script>x=1</script>"),
            "Bezwaar"
        );
    }

    #[test]
    fn blockquotes_are_marked_as_quoted_history() {
        let text = html_to_text(
            "<div>Geen oordeel.</div><blockquote>Vraag<blockquote>Eerder</blockquote></blockquote>",
        );
        assert_eq!(text, "Geen oordeel.\n> Vraag\n> > Eerder");
    }
}
