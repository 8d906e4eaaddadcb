//! The staff workspace in the browser (`intake serve`): server-rendered pages in Dutch over the
//! same database as the daemon, for reviewing nominations, acting on them and ratifying the
//! selection. It works without JavaScript; one small script only adds conveniences.
//!
//! | file | owns |
//! |---|---|
//! | [`account`] | roles, password hashing (argon2id), tokens, the lock-out rule |
//! | `session` | cookies, the signed-in [`session::Staff`] extractor, CSRF-checked forms, sign-in and sign-out |
//! | `render` | the page templates (`config/templates/web/`), the common page context, error pages |
//! | `pages` | the pages that only read: nominations, consultation board, selection, ratification, export, digest, downloads |
//! | `nomination` | the data of one nomination's page: findings, marked letter, documents, versions, answers, history |
//! | `act` | the forms that change something: each calls one staff action of [`crate::actions`] |
//! | [`letter`] | the letter text cut into segments with the evidence marks (pure) |
//! | [`list`] | filters, order, attention and counts of the nominations table (pure) |
//! | `assets` | the stylesheet and the small script, compiled in |
//!
//! Security design, in short: staff accounts with roles, passwords only as argon2id hashes;
//! a session is a random 256-bit token in a `__Host-` cookie (Secure, HttpOnly, SameSite=Lax)
//! of which the database keeps only the SHA-256, with an idle and an absolute expiry; a new
//! token at every sign-in (no fixation); every form carries the session's CSRF token (the
//! sign-in form a double-submit token) and a foreign `Origin` is refused; repeated failures
//! lock the account for a while; sign-ins, failures and sign-outs are audit events. Pages
//! send a strict Content-Security-Policy (no inline script or style), `nosniff`, no framing
//! and `no-store`. Every text from outside is escaped by the template engine. Plain HTTP is
//! meant for 127.0.0.1 only: production runs behind a TLS reverse proxy.
//!
//! This module must not hold rules of the call: it shows what the core computed and calls the
//! core's staff actions. It never logs letter text, passwords or tokens.

pub mod account;
mod act;
mod assets;
pub mod letter;
pub mod list;
mod nomination;
mod pages;
mod render;
mod session;

use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;

use crate::app::App;

pub use crate::config::{WebSettings, origin_of};

/// The workspace: the application, its settings and the page templates.
pub struct Web {
    pub app: Arc<App>,
    pub settings: WebSettings,
    /// `scheme://host[:port]` the browser uses (from `base_url`).
    pub origin: String,
    /// A hash to verify against when the account does not exist, so that a failed sign-in
    /// takes the same time either way.
    dummy_hash: String,
}

impl Web {
    /// The workspace on `app`; its page templates (`config/templates/web/`) are loaded with the
    /// App's templates and must all be there.
    pub fn new(app: Arc<App>, settings: WebSettings) -> anyhow::Result<Arc<Web>> {
        let origin = origin_of(&settings.base_url)
            .with_context(|| format!("[web] base_url {:?} is not usable", settings.base_url))?;
        render::check(&app.templates)?;
        let dummy_hash = account::hash_password(&account::new_token())?;
        Ok(Arc::new(Web {
            app,
            settings,
            origin,
            dummy_hash,
        }))
    }
}

/// Every route of the workspace.
pub fn router(web: Arc<Web>) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route(
            "/aanmelden",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/afmelden", post(session::sign_out))
        .route("/voordrachten", get(pages::nominations))
        .route("/voordrachten/{reference}", get(pages::nomination))
        .route(
            "/voordrachten/{reference}/gemeente",
            post(act::set_municipality),
        )
        .route(
            "/voordrachten/{reference}/beoordeling",
            post(act::override_criterion),
        )
        .route("/voordrachten/{reference}/raadplegen", post(act::consult))
        .route(
            "/voordrachten/{reference}/bezwaar",
            post(act::set_aside_objection),
        )
        .route("/voordrachten/{reference}/besluit", post(act::decide))
        .route(
            "/voordrachten/{reference}/contacten",
            post(act::add_contact),
        )
        .route(
            "/voordrachten/{reference}/contacten/{id}",
            post(act::settle_contact),
        )
        .route("/antwoorden/{id}/tellen", post(act::accept_answer))
        .route("/antwoorden/{id}/niet-tellen", post(act::reject_answer))
        .route("/voordrachten/{reference}/geldend", post(act::make_current))
        .route(
            "/voordrachten/{reference}/documenten/{index}",
            get(pages::document),
        )
        .route("/voordrachten/{reference}/mail", get(pages::original_mail))
        .route("/raadpleging", get(pages::consultations))
        .route("/selectie", get(pages::selection))
        .route("/bekrachtiging", get(pages::ratification).post(act::ratify))
        .route("/bekrachtiging/brieven", post(act::send_letters))
        .route("/export", get(pages::export_page))
        .route("/export/{file}", get(pages::export_file))
        .route("/overzicht", get(pages::digest))
        .route("/static/{file}", get(assets::file))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(render::security_headers))
        .with_state(web)
}

/// Serves the workspace on `listener` until `cancel` fires; expired sessions are removed
/// every few minutes meanwhile.
pub async fn serve(
    web: Arc<Web>,
    listener: tokio::net::TcpListener,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let db = web.app.db.clone();
    let sweeper_cancel = cancel.clone();
    let sweeper = tokio::spawn(async move {
        loop {
            match crate::store::staff::end_expired_sessions(&db, chrono::Utc::now()).await {
                Ok(n) if n > 0 => tracing::debug!(sessions = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "failed to remove expired sessions")
                }
            }
            tokio::select! {
                _ = sweeper_cancel.cancelled() => break,
                _ = tokio::time::sleep(std::time::Duration::from_secs(300)) => {}
            }
        }
    });
    let app = router(web);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
        .context("the workspace server failed");
    sweeper.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_scheme_and_host_and_a_path_or_user_part_is_refused() {
        assert_eq!(
            origin_of("https://Intake.VNG.nl/").as_deref(),
            Some("https://intake.vng.nl")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("https://vng.nl/intake"), None);
        assert_eq!(origin_of("https://evil@vng.nl"), None);
        assert_eq!(origin_of("ftp://vng.nl"), None);
        assert_eq!(origin_of("vng.nl"), None);
    }

    #[test]
    fn plain_http_is_refused_unless_the_workspace_listens_on_loopback() {
        let local = WebSettings::default();
        assert!(local.problems().is_empty());
        let open = WebSettings {
            bind: "0.0.0.0:8080".parse().unwrap(),
            ..WebSettings::default()
        };
        assert_eq!(open.problems()[0].0, "base_url");
        let proxied = WebSettings {
            base_url: "https://intake.vng.nl".into(),
            ..open
        };
        assert!(proxied.problems().is_empty());
    }
}
