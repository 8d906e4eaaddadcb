//! Unpacking: from a raw mail or a file to the list of documents to extract.
//!
//! Walks MIME parts (whatever their disposition), nested `message/rfc822` parts, Outlook
//! `.msg` files, TNEF `winmail.dat` and ZIP archives, under the limits on nesting depth,
//! entries, compression ratio, decompressed bytes and documents per mail. Containers become
//! documents of their own (their body text, if any) followed by what they hold.

use std::io::{Cursor, Read};
use std::sync::Arc;

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use super::{
    Budget, Extracted, Format, Item, Limits, Origin, Status, detect, html, message,
    mime_depth_exceeds, tnef,
};

struct Ctx<'l> {
    limits: &'l Limits,
    budget: Budget,
    items: Vec<Item>,
    decompressed: u64,
    truncated: bool,
}

/// The documents of a raw RFC 822 message; the first is always the body.
pub(crate) fn mail_items(raw: &[u8], limits: &Limits) -> Vec<Item> {
    let mut cx = Ctx::new(limits);
    if raw.len() as u64 > limits.max_mail_bytes {
        cx.items.push(Item {
            origin: Origin::Body,
            name: None,
            path: "body".to_string(),
            format: Format::Message,
            bytes: Arc::new(Vec::new()),
            preset: Some(Extracted::failed(
                Status::TooLarge,
                format!(
                    "the mail is {} bytes, more than the limit of {} bytes",
                    raw.len(),
                    limits.max_mail_bytes
                ),
            )),
        });
        return cx.items;
    }
    let raw = strip_envelope(raw);
    if mime_depth_exceeds(raw, limits.max_mime_depth as usize) {
        cx.items.push(Item {
            origin: Origin::Body,
            name: None,
            path: "body".to_string(),
            format: Format::Message,
            bytes: Arc::new(Vec::new()),
            preset: Some(too_deep_mime(limits, "mail")),
        });
        return cx.items;
    }
    match MessageParser::default().parse(raw) {
        Some(msg) => cx.message(&msg, "", 0, true),
        None => cx.items.push(Item {
            origin: Origin::Body,
            name: None,
            path: "body".to_string(),
            format: Format::Message,
            bytes: Arc::new(Vec::new()),
            preset: Some(Extracted::failed(
                Status::Unreadable,
                "the mail could not be parsed as an RFC 822 message",
            )),
        }),
    }
    cx.items
}

/// The documents of one file: the file itself, and for containers what they hold.
pub(crate) fn file_items(name: &str, bytes: Vec<u8>, limits: &Limits) -> Vec<Item> {
    let mut cx = Ctx::new(limits);
    cx.blob(Some(name.to_string()), name.to_string(), bytes, 0);
    cx.items
}

/// Removes an mbox `From ` line or an Apple Mail `.emlx` byte-count line before the headers.
fn strip_envelope(raw: &[u8]) -> &[u8] {
    let first_end = raw.iter().position(|&b| b == b'\n').unwrap_or(raw.len());
    let first = &raw[..first_end];
    let digits = first
        .iter()
        .filter(|b| !b.is_ascii_whitespace())
        .all(u8::is_ascii_digit)
        && first.iter().any(u8::is_ascii_digit);
    if first.starts_with(b"From ") || digits {
        &raw[(first_end + 1).min(raw.len())..]
    } else {
        raw
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

impl<'l> Ctx<'l> {
    fn new(limits: &'l Limits) -> Self {
        Ctx {
            limits,
            budget: Budget::new(limits),
            items: Vec::new(),
            decompressed: 0,
            truncated: false,
        }
    }

    fn full(&mut self, path: &str) -> bool {
        if self.items.len() >= self.limits.max_documents as usize {
            if !self.truncated {
                self.truncated = true;
                self.items.push(Item {
                    origin: Origin::Attachment,
                    name: None,
                    path: path.to_string(),
                    format: Format::Other,
                    bytes: Arc::new(Vec::new()),
                    preset: Some(Extracted::failed(
                        Status::TooLarge,
                        format!(
                            "more than {} documents in one mail: the rest was not read",
                            self.limits.max_documents
                        ),
                    )),
                });
            }
            return true;
        }
        false
    }

    fn push(
        &mut self,
        name: Option<String>,
        path: String,
        format: Format,
        bytes: Vec<u8>,
        preset: Option<Extracted>,
    ) {
        if self.full(&path) {
            return;
        }
        self.items.push(Item {
            origin: Origin::Attachment,
            name,
            path,
            format,
            bytes: Arc::new(bytes),
            preset,
        });
    }

    /// Body text, then every document part of a parsed message.
    fn message(&mut self, msg: &Message<'_>, prefix: &str, depth: u32, top: bool) {
        let body = body_text(msg);
        if top {
            let (format, text) = match body {
                Some((f, t)) => (f, t),
                None => (Format::Text, String::new()),
            };
            let bytes = text.as_bytes().to_vec();
            self.items.push(Item {
                origin: Origin::Body,
                name: None,
                path: "body".to_string(),
                format,
                bytes: Arc::new(bytes),
                preset: Some(Extracted::text(text)),
            });
        } else if let Some(last) = self.items.last_mut()
            && let Some((_, text)) = body
            && let Some(preset) = last.preset.as_mut()
        {
            // The container item just pushed for this message carries its body text.
            preset.text = text;
            preset.estimate_pages = true;
        }
        let html_cids = html_cids(msg);
        let body_parts: Vec<u32> = msg
            .text_body
            .iter()
            .chain(msg.html_body.iter())
            .copied()
            .collect();
        for (index, part) in msg.parts.iter().enumerate() {
            if self.budget.expired() {
                break;
            }
            let id = index as u32;
            let name = part.attachment_name().map(str::to_string);
            match &part.body {
                PartType::Multipart(_) => {}
                PartType::Text(_) | PartType::Html(_)
                    if body_parts.contains(&id)
                        || (name.is_none() && !msg.attachments.contains(&id)) => {}
                PartType::Text(t) | PartType::Html(t) => {
                    let name = name.unwrap_or_else(|| format!("part-{index}.txt"));
                    let bytes = t.as_bytes().to_vec();
                    self.blob(Some(name.clone()), join(prefix, &name), bytes, depth);
                }
                PartType::Binary(b) | PartType::InlineBinary(b) => {
                    if is_signature_image(part, b, &html_cids, self.limits) {
                        continue;
                    }
                    let name = name.unwrap_or_else(|| format!("part-{index}"));
                    self.blob(Some(name.clone()), join(prefix, &name), b.to_vec(), depth);
                }
                PartType::Message(inner) => {
                    let name = name
                        .or_else(|| inner.subject().map(|s| format!("{s}.eml")))
                        .unwrap_or_else(|| format!("message-{index}.eml"));
                    let path = join(prefix, &name);
                    if depth + 1 > self.limits.max_nesting_depth {
                        self.push(
                            Some(name),
                            path,
                            Format::Message,
                            inner.raw_message().to_vec(),
                            Some(too_deep(self.limits)),
                        );
                        continue;
                    }
                    self.push(
                        Some(name),
                        path.clone(),
                        Format::Message,
                        inner.raw_message().to_vec(),
                        Some(Extracted::default()),
                    );
                    self.message(inner, &path, depth + 1, false);
                }
            }
        }
    }

    /// One file found anywhere: a leaf document or a container to open.
    fn blob(&mut self, name: Option<String>, path: String, bytes: Vec<u8>, depth: u32) {
        if bytes.len() as u64 > self.limits.max_attachment_bytes {
            let reason = format!(
                "the file is {} bytes, more than the limit of {} bytes",
                bytes.len(),
                self.limits.max_attachment_bytes
            );
            let format = detect(&bytes[..bytes.len().min(4096)]);
            self.push(
                name,
                path,
                format,
                bytes,
                Some(Extracted::failed(Status::TooLarge, reason)),
            );
            return;
        }
        let format = detect(&bytes);
        match format {
            Format::Zip => self.zip(name, path, bytes, depth),
            Format::Tnef => self.tnef(name, path, bytes, depth),
            Format::Message => self.embedded_message(name, path, bytes, depth),
            _ => self.push(name, path, format, bytes, None),
        }
    }

    fn container_allowed(
        &mut self,
        name: &Option<String>,
        path: &str,
        format: Format,
        bytes: &[u8],
        depth: u32,
    ) -> bool {
        if depth + 1 > self.limits.max_nesting_depth {
            self.push(
                name.clone(),
                path.to_string(),
                format,
                bytes.to_vec(),
                Some(too_deep(self.limits)),
            );
            return false;
        }
        true
    }

    fn embedded_message(&mut self, name: Option<String>, path: String, bytes: Vec<u8>, depth: u32) {
        if !self.container_allowed(&name, &path, Format::Message, &bytes, depth) {
            return;
        }
        if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            match message::parse_msg(&bytes, self.limits, 0) {
                Ok(msg) => self.outlook(name, path, bytes, msg, depth),
                Err(reason) => self.push(
                    name,
                    path,
                    Format::Message,
                    bytes,
                    Some(Extracted::failed(Status::Unreadable, reason)),
                ),
            }
            return;
        }
        if mime_depth_exceeds(strip_envelope(&bytes), self.limits.max_mime_depth as usize) {
            let preset = too_deep_mime(self.limits, "message");
            self.push(name, path, Format::Message, bytes, Some(preset));
            return;
        }
        let raw = bytes.clone();
        let parsed = MessageParser::default().parse(strip_envelope(&raw));
        match parsed {
            Some(msg) => {
                self.push(
                    name,
                    path.clone(),
                    Format::Message,
                    bytes,
                    Some(Extracted::default()),
                );
                self.message(&msg, &path, depth + 1, false);
            }
            None => self.push(
                name,
                path,
                Format::Message,
                bytes,
                Some(Extracted::failed(
                    Status::Unreadable,
                    "the attached message could not be parsed",
                )),
            ),
        }
    }

    fn outlook(
        &mut self,
        name: Option<String>,
        path: String,
        bytes: Vec<u8>,
        msg: message::Msg,
        depth: u32,
    ) {
        let preset = Extracted::text(msg.body);
        self.push(name, path.clone(), Format::Message, bytes, Some(preset));
        for att in msg.attachments {
            match att {
                message::Attachment::File { name, bytes } => {
                    self.blob(Some(name.clone()), join(&path, &name), bytes, depth + 1);
                }
                message::Attachment::Embedded { name, msg } => {
                    let inner = join(&path, &name);
                    if depth + 2 > self.limits.max_nesting_depth {
                        self.push(
                            Some(name),
                            inner,
                            Format::Message,
                            Vec::new(),
                            Some(too_deep(self.limits)),
                        );
                    } else {
                        self.outlook(Some(name), inner, Vec::new(), *msg, depth + 1);
                    }
                }
            }
        }
    }

    fn tnef(&mut self, name: Option<String>, path: String, bytes: Vec<u8>, depth: u32) {
        if !self.container_allowed(&name, &path, Format::Tnef, &bytes, depth) {
            return;
        }
        match tnef::parse(&bytes, self.limits) {
            Ok(parsed) => {
                let mut preset = Extracted::default();
                if let Some(body) = parsed.body {
                    preset = Extracted::text(body);
                }
                if parsed.attachments.is_empty() && preset.text.trim().is_empty() {
                    preset = Extracted::failed(
                        Status::Unreadable,
                        "the winmail.dat (TNEF) holds no message text and no attachments",
                    );
                    if let Some(problem) = parsed.problem {
                        preset.reason =
                            Some(format!("the winmail.dat (TNEF) is damaged: {problem}"));
                    }
                }
                self.push(name, path.clone(), Format::Tnef, bytes, Some(preset));
                for (i, (att_name, data)) in parsed.attachments.into_iter().enumerate() {
                    let att_name = att_name.unwrap_or_else(|| format!("attachment-{}", i + 1));
                    self.blob(
                        Some(att_name.clone()),
                        join(&path, &att_name),
                        data,
                        depth + 1,
                    );
                }
            }
            Err(reason) => self.push(
                name,
                path,
                Format::Tnef,
                bytes,
                Some(Extracted::failed(Status::Unreadable, reason)),
            ),
        }
    }

    fn zip(&mut self, name: Option<String>, path: String, bytes: Vec<u8>, depth: u32) {
        if !self.container_allowed(&name, &path, Format::Zip, &bytes, depth) {
            return;
        }
        let mut archive = match zip::ZipArchive::new(Cursor::new(bytes.as_slice())) {
            Ok(a) => a,
            Err(e) => {
                let reason = format!("the ZIP archive is damaged: {e}");
                self.push(
                    name,
                    path,
                    Format::Zip,
                    bytes,
                    Some(Extracted::failed(Status::Unreadable, reason)),
                );
                return;
            }
        };
        let mut entries = Vec::new();
        let mut problem: Option<(Status, String)> = None;
        let n = archive.len();
        if n > self.limits.max_archive_entries as usize {
            problem = Some((
                Status::TooLarge,
                format!(
                    "the ZIP archive has {n} entries, more than the limit of {}",
                    self.limits.max_archive_entries
                ),
            ));
        }
        for i in 0..n.min(self.limits.max_archive_entries as usize) {
            match read_entry(&mut archive, i, self.limits, &mut self.decompressed) {
                Ok(Some(entry)) => entries.push(entry),
                Ok(None) => {}
                Err(p) => {
                    problem = Some(p);
                    break;
                }
            }
        }
        let preset = match &problem {
            Some((status, reason)) if entries.is_empty() => {
                Extracted::failed(*status, reason.clone())
            }
            _ => Extracted::default(),
        };
        drop(archive);
        self.push(name, path.clone(), Format::Zip, bytes, Some(preset));
        for (entry_name, data) in entries {
            let short = entry_name
                .rsplit('/')
                .next()
                .unwrap_or(&entry_name)
                .to_string();
            self.blob(Some(short), join(&path, &entry_name), data, depth + 1);
        }
        if let (Some((status, reason)), false) = (problem, self.items.is_empty()) {
            // Entries read before the problem are kept; the problem itself is reported too.
            if self
                .items
                .iter()
                .any(|i| i.path.starts_with(&path) && i.path != path)
            {
                self.push(
                    None,
                    join(&path, "…"),
                    Format::Zip,
                    Vec::new(),
                    Some(Extracted::failed(status, reason)),
                );
            }
        }
    }
}

type Problem = (Status, String);

/// Reads entry `i` of a ZIP archive under the size, ratio and total limits; `None` for
/// directories and operating-system litter.
pub(crate) fn read_entry<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    i: usize,
    limits: &Limits,
    spent: &mut u64,
) -> Result<Option<(String, Vec<u8>)>, Problem> {
    let entry = match archive.by_index(i) {
        Ok(e) => e,
        Err(e) => {
            let msg = e.to_string();
            if msg.to_ascii_lowercase().contains("password") {
                return Err((
                    Status::Protected,
                    "the ZIP archive is protected with a password".to_string(),
                ));
            }
            return Err((
                Status::Unreadable,
                format!("the ZIP archive is damaged: {msg}"),
            ));
        }
    };
    let name = entry
        .name()
        .map(|n| n.into_owned())
        .unwrap_or_else(|_| format!("entry-{i}"));
    if entry.is_dir()
        || name.starts_with("__MACOSX/")
        || name
            .rsplit('/')
            .next()
            .is_some_and(|n| n.starts_with("._") || n == ".DS_Store")
    {
        return Ok(None);
    }
    if entry.encrypted() {
        return Err((
            Status::Protected,
            "the ZIP archive is protected with a password".to_string(),
        ));
    }
    let data = read_limited(entry, limits, spent)?;
    Ok(Some((name, data)))
}

/// Reads one decompressing stream, enforcing per-entry size, ratio and the running total.
pub(crate) fn read_limited<R: Read>(
    entry: zip::read::ZipFile<'_, R>,
    limits: &Limits,
    spent: &mut u64,
) -> Result<Vec<u8>, Problem> {
    let declared = entry.size();
    let compressed = entry.compressed_size().max(1);
    let cap = limits
        .max_attachment_bytes
        .min(limits.max_decompressed_bytes.saturating_sub(*spent));
    if declared > cap {
        return Err((
            Status::TooLarge,
            format!("an archive entry unpacks to {declared} bytes, more than the limit"),
        ));
    }
    if declared / compressed > u64::from(limits.max_compression_ratio) && declared > 1024 * 1024 {
        return Err((
            Status::TooLarge,
            format!(
                "an archive entry is compressed {}:1, a likely ZIP bomb",
                declared / compressed
            ),
        ));
    }
    let mut data = Vec::new();
    let read = entry.take(cap + 1).read_to_end(&mut data);
    if let Err(e) = read {
        return Err((
            Status::Unreadable,
            format!("the ZIP archive is damaged: {e}"),
        ));
    }
    if data.len() as u64 > cap {
        return Err((
            Status::TooLarge,
            "an archive entry unpacks to more than the limit".to_string(),
        ));
    }
    if data.len() as u64 / compressed > u64::from(limits.max_compression_ratio)
        && data.len() > 1024 * 1024
    {
        return Err((
            Status::TooLarge,
            "an archive entry is compressed beyond the allowed ratio, a likely ZIP bomb"
                .to_string(),
        ));
    }
    *spent += data.len() as u64;
    Ok(data)
}

fn too_deep(limits: &Limits) -> Extracted {
    Extracted::failed(
        Status::TooLarge,
        format!(
            "nested more than {} containers deep: not opened",
            limits.max_nesting_depth
        ),
    )
}

/// A mail (or attached message) whose MIME structure is nested deeper than the limit: it is
/// not handed to mail-parser at all.
fn too_deep_mime(limits: &Limits, what: &str) -> Extracted {
    Extracted::failed(
        Status::TooLarge,
        format!(
            "the {what} is nested more than {} levels deep (multipart parts and attached \
             messages): it was not opened",
            limits.max_mime_depth
        ),
    )
}

/// The body: the first text/plain body part, else the first HTML part as text.
fn body_text(msg: &Message<'_>) -> Option<(Format, String)> {
    for id in &msg.text_body {
        if let Some(part) = msg.parts.get(*id as usize)
            && let PartType::Text(t) = &part.body
        {
            return Some((Format::Text, t.to_string()));
        }
    }
    for id in &msg.html_body {
        if let Some(part) = msg.parts.get(*id as usize)
            && let PartType::Html(h) = &part.body
        {
            return Some((Format::Html, html::html_to_text(h)));
        }
    }
    None
}

fn html_cids(msg: &Message<'_>) -> Vec<String> {
    let mut cids = Vec::new();
    for id in &msg.html_body {
        if let Some(part) = msg.parts.get(*id as usize)
            && let PartType::Html(h) = &part.body
        {
            let mut rest: &str = h;
            while let Some(i) = rest.find("cid:") {
                rest = &rest[i + 4..];
                let end = rest.find(['"', '\'', ')', ' ', '>']).unwrap_or(rest.len());
                cids.push(rest[..end].to_string());
            }
        }
    }
    cids
}

/// A small image shown inside the HTML body (a logo in a signature) is not a document.
fn is_signature_image(
    part: &mail_parser::MessagePart<'_>,
    bytes: &[u8],
    cids: &[String],
    limits: &Limits,
) -> bool {
    if detect(bytes) != Format::Image || bytes.len() as u64 > limits.max_signature_image_bytes {
        return false;
    }
    let Some(cid) = part.content_id() else {
        return false;
    };
    let cid = cid.trim_matches(['<', '>']);
    cids.iter().any(|c| c == cid)
}
