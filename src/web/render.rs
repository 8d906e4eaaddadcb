//! Pages from templates: the template environment (`config/templates/web/`, HTML-escaped,
//! strict about undefined variables), the context every page shares (who is signed in, the
//! CSRF token, the active section), error pages, and the security headers of every response.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use minijinja::value::Serde as S;
use serde::Serialize;

use super::Web;
use super::session::Staff;

/// Every page template, relative to the templates folder. All are loaded (and must parse) at
/// start-up.
pub const TEMPLATES: &[&str] = &[
    "web/base.html.j2",
    "web/macros.html.j2",
    "web/sign_in.html.j2",
    "web/error.html.j2",
    "web/nominations.html.j2",
    "web/nomination.html.j2",
    "web/consultations.html.j2",
    "web/selection.html.j2",
    "web/ratification.html.j2",
    "web/export.html.j2",
    "web/digest.html.j2",
];

/// Checks that every page template is among the loaded templates (the App loads
/// `config/templates/web/` with the letters, under the one template set-up).
pub fn check(templates: &crate::letters::Templates) -> anyhow::Result<()> {
    for name in TEMPLATES {
        templates.get(name)?;
    }
    Ok(())
}

/// The signed-in person as pages see them.
#[derive(Debug, Serialize)]
struct UserView<'a> {
    name: &'a str,
    email: &'a str,
    role: &'static str,
    can_act: bool,
    can_ratify: bool,
    can_send_letters: bool,
}

/// The sections of the main navigation: (key, path, label).
const NAV: &[(&str, &str, &str)] = &[
    ("voordrachten", "/voordrachten", "Voordrachten"),
    ("raadpleging", "/raadpleging", "Raadpleging"),
    ("selectie", "/selectie", "Selectie"),
    ("bekrachtiging", "/bekrachtiging", "Bekrachtiging"),
    ("overzicht", "/overzicht", "Overzicht"),
    ("export", "/export", "Export"),
];

#[derive(Debug, Serialize)]
struct NavItem {
    path: &'static str,
    label: &'static str,
    current: bool,
}

impl Web {
    /// Renders page `template` with `ctx` and the shared context: `title`, `user`, `csrf`,
    /// `nav`, `call_title`. A render failure becomes the error page.
    pub fn page(
        &self,
        template: &str,
        title: &str,
        section: &str,
        ctx: minijinja::Value,
        staff: Option<&Staff>,
    ) -> Response {
        match self.render(template, title, section, ctx, staff) {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                tracing::error!(template, error = %format!("{e:#}"), "failed to render a page");
                fallback_error()
            }
        }
    }

    fn render(
        &self,
        template: &str,
        title: &str,
        section: &str,
        ctx: minijinja::Value,
        staff: Option<&Staff>,
    ) -> anyhow::Result<String> {
        let user = staff.map(|s| UserView {
            name: &s.account.name,
            email: &s.account.email,
            role: s.role().label_nl(),
            can_act: s.role().can_act(),
            can_ratify: s.role().can_ratify(),
            can_send_letters: s.role().can_send_letters(),
        });
        let nav: Vec<NavItem> = NAV
            .iter()
            .map(|(key, path, label)| NavItem {
                path,
                label,
                current: *key == section,
            })
            .collect();
        let shared = minijinja::context! {
            title => S(title),
            user => S(user),
            csrf => S(staff.map(|s| s.csrf.as_str())),
            nav => S(nav),
            section => S(section),
            call_title => S(&self.app.cfg.call.title),
        };
        let ctx = minijinja::context! { ..ctx, ..shared };
        let tmpl = self.app.templates.get(template)?;
        Ok(tmpl.render(ctx)?)
    }

    /// An error page with `status`.
    pub fn error_page(
        &self,
        status: StatusCode,
        title: &str,
        message: &str,
        staff: Option<&Staff>,
    ) -> Response {
        let ctx = minijinja::context! { message => S(message), status => S(status.as_u16()) };
        let mut resp = self.page("web/error.html.j2", title, "", ctx, staff);
        *resp.status_mut() = status;
        resp
    }

    /// A failure of ours (database, outbox): logged with its cause chain (never letter text),
    /// shown as a plain apology.
    pub fn internal_error(&self, e: anyhow::Error, staff: Option<&Staff>) -> Response {
        tracing::error!(error = %format!("{e:#}"), "workspace request failed");
        self.error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Er ging iets mis",
            "Er ging aan onze kant iets mis. Probeer het over een minuut opnieuw; meld het aan de beheerder als het blijft gebeuren.",
            staff,
        )
    }

    /// 404 for a page or nomination that does not exist.
    pub fn not_found_page(&self, what: &str, staff: Option<&Staff>) -> Response {
        self.error_page(
            StatusCode::NOT_FOUND,
            "Niet gevonden",
            &format!("{what} bestaat niet."),
            staff,
        )
    }

    /// 403 for an action the person's role does not allow.
    pub fn forbidden(&self, staff: &Staff, what: &str) -> Response {
        self.error_page(
            StatusCode::FORBIDDEN,
            "Niet toegestaan",
            &format!(
                "Uw rol ({}) mag dit niet: {what}. Er is niets gewijzigd.",
                staff.role().label_nl()
            ),
            Some(staff),
        )
    }
}

/// When even the error template fails.
fn fallback_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html("<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Fout</title></head><body><main><h1>Er ging iets mis</h1></main></body></html>"),
    )
        .into_response()
}

/// The Content-Security-Policy: only our own script and style, no inline code, no framing,
/// forms only to us.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

/// Adds the security headers to every response (and `no-store`: pages carry personal data).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_template_of_the_shipped_config_parses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/templates");
        let templates = crate::letters::Templates::load(&dir).expect("the templates load");
        check(&templates).expect("every page template is there");
    }

    #[test]
    fn the_content_security_policy_allows_no_inline_code_and_no_framing() {
        assert!(!CSP.contains("unsafe-inline") && !CSP.contains("unsafe-eval"));
        assert!(CSP.contains("frame-ancestors 'none'"));
        assert!(CSP.contains("script-src 'self'"));
    }
}
