//! `TestApp`: a fresh intake (SQLite file or a fresh PostgreSQL database on the test cluster)
//! with its own Maildir and file outbox in a temp dir, configured from the shipped
//! `config/intake.toml` with environment overrides, as an operator would.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use intake::app::App;
use intake::config::Config;
use intake::daemon::{self, RunSummary};
use intake::mailbox::maildir::Maildir;
use tokio_util::sync::CancellationToken;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct TestApp {
    pub dir: tempfile::TempDir,
    /// The database URL, for the `intake` binary run on the same data.
    pub db_url: String,
    pub intake: Arc<App>,
    pub maildir: PathBuf,
    pub outbox: PathBuf,
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("intake.db").display());
        Self::with(dir, &url, &[]).await
    }

    pub async fn postgres() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = crate::servers::fresh_postgres_database()
            .await
            .expect("a fresh PostgreSQL database");
        Self::with(dir, &url, &[]).await
    }

    pub async fn with(dir: tempfile::TempDir, db_url: &str, extra: &[(&str, &str)]) -> TestApp {
        let maildir = dir.path().join("mailbox");
        let outbox = dir.path().join("outbox");
        let mut env = vec![
            ("INTAKE__DATABASE__URL".to_string(), db_url.to_string()),
            (
                "INTAKE__MAILBOX__MAILDIR_PATH".to_string(),
                maildir.display().to_string(),
            ),
            (
                "INTAKE__OUTBOX__DIR".to_string(),
                outbox.display().to_string(),
            ),
            // The test binary is not an intake: documents are parsed by the built binary.
            (
                "INTAKE__DOCUMENTS__WORKER_PATH".to_string(),
                env!("CARGO_BIN_EXE_intake").to_string(),
            ),
        ];
        for (k, v) in extra {
            env.push((k.to_string(), v.to_string()));
        }
        let cfg = Config::load_with_env(&root().join("config/intake.toml"), &env)
            .expect("shipped config loads");
        let intake = App::open(cfg).await.expect("intake opens");
        Maildir::open(
            &maildir,
            "Verwerkt",
            "Quarantaine",
            std::time::Duration::from_millis(10),
        )
        .expect("maildir");
        TestApp {
            dir,
            db_url: db_url.to_string(),
            intake,
            maildir,
            outbox,
        }
    }

    /// The `intake` binary, configured for this app's database, Maildir and outbox.
    pub fn command(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_intake"));
        c.env("INTAKE__DATABASE__URL", &self.db_url)
            .env(
                "INTAKE__MAILBOX__MAILDIR_PATH",
                self.maildir.display().to_string(),
            )
            .env("INTAKE__OUTBOX__DIR", self.outbox.display().to_string())
            .env("RUST_LOG", "warn")
            .current_dir(root());
        c
    }

    /// Copies the sample mailbox (examples/mailbox) into this app's inbox.
    pub fn copy_samples(&self) {
        for sub in ["cur", "new"] {
            for e in std::fs::read_dir(root().join("examples/mailbox").join(sub)).expect("samples")
            {
                let e = e.expect("entry");
                let name = e.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                std::fs::copy(e.path(), self.maildir.join(sub).join(&name)).expect("copy sample");
            }
        }
    }

    /// Delivers one raw mail into `new/` under a unique name.
    pub fn deliver(&self, name: &str, raw: &[u8]) {
        std::fs::write(self.maildir.join("new").join(name), raw).expect("deliver");
    }

    pub fn deliver_fixture(&self, file: &str) {
        let raw = std::fs::read(root().join("tests/fixtures/mail").join(file)).expect("fixture");
        self.deliver(&format!("{file}.fixture"), &raw);
    }

    /// One round of the daemon: poll, drain, remind.
    pub async fn run_once(&self) -> RunSummary {
        let source = Maildir::open(
            &self.maildir,
            "Verwerkt",
            "Quarantaine",
            std::time::Duration::from_millis(10),
        )
        .expect("maildir");
        daemon::run(
            Arc::clone(&self.intake),
            source,
            true,
            CancellationToken::new(),
        )
        .await
        .expect("run once")
    }

    /// The letters written to the file outbox: (file name, bytes), sorted by name.
    pub fn letters(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&self.outbox) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.ends_with(".eml") {
                    out.push((name, std::fs::read(e.path()).expect("letter")));
                }
            }
        }
        out.sort();
        out
    }

    /// The text part of the letter whose file name contains `needle`.
    pub fn letter_text(&self, needle: &str) -> String {
        let (_, raw) = self
            .letters()
            .into_iter()
            .find(|(n, _)| n.contains(needle))
            .unwrap_or_else(|| panic!("no letter {needle}"));
        intake::mail::facts(&raw).text.unwrap_or_default()
    }

    pub fn files_in(&self, folder: &str) -> usize {
        let p: &Path = &self.maildir;
        std::fs::read_dir(p.join(format!(".{folder}")).join("cur"))
            .map(|r| r.count())
            .unwrap_or(0)
    }
}
