//! The embedded-default mail source: a Maildir on disk (`var/mailbox`).
//!
//! New mail is read from `new/` and `cur/`; acknowledged mail moves to the Maildir++ folders
//! `.Verwerkt/cur/` and `.Quarantaine/cur/` (names from config), keeping its file name, so any
//! mail program that reads Maildir shows the same folders. A mail's UID is its unique name: the
//! file name before the `:2,` flags.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{Disposition, Fetched, Listed, Listing, MailSource};

/// A Maildir inbox with its processed and quarantine folders.
#[derive(Debug, Clone)]
pub struct Maildir {
    root: PathBuf,
    processed: String,
    quarantine: String,
    poll: Duration,
}

impl Maildir {
    /// Opens (and creates when absent) the Maildir at `root` with its two folders.
    pub fn open(
        root: &Path,
        processed: &str,
        quarantine: &str,
        poll: Duration,
    ) -> anyhow::Result<Maildir> {
        let md = Maildir {
            root: root.to_path_buf(),
            processed: processed.to_string(),
            quarantine: quarantine.to_string(),
            poll,
        };
        for dir in [md.root.clone(), md.folder(processed), md.folder(quarantine)] {
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(dir.join(sub))
                    .with_context(|| format!("failed to create {}", dir.join(sub).display()))?;
            }
        }
        Ok(md)
    }

    fn folder(&self, name: &str) -> PathBuf {
        self.root.join(format!(".{name}"))
    }

    /// The file of an inbox mail, looked up in `new/` and `cur/`.
    fn locate(&self, uid: &str) -> anyhow::Result<PathBuf> {
        for sub in ["new", "cur"] {
            let dir = self.root.join(sub);
            let entries = std::fs::read_dir(&dir)
                .with_context(|| format!("failed to read {}", dir.display()))?;
            for entry in entries.flatten() {
                let name = entry.file_name();
                if unique_name(&name.to_string_lossy()) == uid {
                    return Ok(entry.path());
                }
            }
        }
        anyhow::bail!("mail {uid} is no longer in the inbox")
    }

    /// The folder path of a disposition, for tests and operators.
    pub fn folder_path(&self, disposition: Disposition) -> PathBuf {
        match disposition {
            Disposition::Processed => self.folder(&self.processed),
            Disposition::Quarantine => self.folder(&self.quarantine),
        }
    }
}

/// The unique part of a Maildir file name (before the `:2,` info).
fn unique_name(file_name: &str) -> &str {
    file_name.split(':').next().unwrap_or(file_name)
}

fn mtime(path: &Path) -> Option<DateTime<Utc>> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(DateTime::<Utc>::from(modified))
}

impl MailSource for Maildir {
    fn describe(&self) -> String {
        format!("maildir {}", self.root.display())
    }

    async fn list(&mut self) -> anyhow::Result<Listing> {
        let mut found: Vec<(u64, String, u64)> = Vec::new();
        for sub in ["new", "cur"] {
            let dir = self.root.join(sub);
            let mut entries = tokio::fs::read_dir(&dir)
                .await
                .with_context(|| format!("failed to read {}", dir.display()))?;
            while let Some(entry) = entries.next_entry().await? {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let meta = entry.metadata().await?;
                if !meta.is_file() {
                    continue;
                }
                // Maildir names start with the delivery time in seconds; file times are not kept
                // by copies and checkouts, so the name decides the order.
                let secs: u64 = name
                    .split('.')
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(u64::MAX);
                found.push((secs, unique_name(&name).to_string(), meta.len()));
            }
        }
        // Oldest first.
        found.sort();
        Ok(Listing {
            mailbox: self.root.display().to_string(),
            uidvalidity: 0,
            items: found
                .into_iter()
                .map(|(_, uid, size)| Listed { uid, size })
                .collect(),
        })
    }

    async fn fetch(&mut self, uid: &str) -> anyhow::Result<Fetched> {
        let path = self.locate(uid)?;
        let raw = tokio::fs::read(&path)
            .await
            .with_context(|| format!("failed to read {}", path.display()))?;
        Ok(Fetched {
            uid: uid.to_string(),
            raw,
            internal_date: None,
            file_time: mtime(&path),
        })
    }

    async fn ack(&mut self, uid: &str, disposition: Disposition) -> anyhow::Result<()> {
        let from = self.locate(uid)?;
        let name = from
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| uid.to_string());
        let name = if name.contains(":2,") {
            name
        } else {
            format!("{name}:2,S")
        };
        let to = self.folder_path(disposition).join("cur").join(name);
        tokio::fs::rename(&from, &to)
            .await
            .with_context(|| format!("failed to move {} to {}", from.display(), to.display()))
    }

    async fn wait(&mut self, max_wait: Duration, cancel: &CancellationToken) -> anyhow::Result<()> {
        let wait = max_wait.min(self.poll);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = cancel.cancelled() => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_mail_moves_to_the_processed_folder_and_leaves_the_listing() {
        let dir = tempfile::tempdir().unwrap();
        let mut md = Maildir::open(
            dir.path(),
            "Verwerkt",
            "Quarantaine",
            Duration::from_secs(1),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("new/1520000000.M1.host"),
            b"Subject: a\r\n\r\nx",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("cur/1520000001.M2.host:2,S"),
            b"Subject: b\r\n\r\ny",
        )
        .unwrap();
        let listing = md.list().await.unwrap();
        let uids: Vec<_> = listing.items.iter().map(|l| l.uid.as_str()).collect();
        assert_eq!(uids.len(), 2);
        assert!(uids.contains(&"1520000001.M2.host"));
        let f = md.fetch("1520000001.M2.host").await.unwrap();
        assert_eq!(f.raw, b"Subject: b\r\n\r\ny");
        md.ack("1520000001.M2.host", Disposition::Quarantine)
            .await
            .unwrap();
        md.ack("1520000000.M1.host", Disposition::Processed)
            .await
            .unwrap();
        assert!(md.list().await.unwrap().items.is_empty());
        assert!(
            dir.path()
                .join(".Quarantaine/cur/1520000001.M2.host:2,S")
                .exists()
        );
        assert!(
            dir.path()
                .join(".Verwerkt/cur/1520000000.M1.host:2,S")
                .exists()
        );
    }
}
