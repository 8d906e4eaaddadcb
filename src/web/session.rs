//! Who is signed in: the session cookie, the [`Staff`] extractor every page takes, the
//! CSRF-checked [`Form`] every action takes, and sign-in and sign-out themselves.
//!
//! A request without a valid session gets no page: a page request is sent to the sign-in
//! page (with the page as `volgende`, only ever a path of this site), anything else is
//! refused with 401. Sign-in mints a new token every time and ends any session the browser
//! presented, so a token planted before sign-in is worth nothing.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use minijinja::value::Serde as S;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Web;
use super::account::{self, LockoutPolicy, Role};
use crate::store::{self, staff::StaffAccount};

/// The session cookie. `__Host-`: only from this host, over a secure connection, path `/`.
pub const SESSION_COOKIE: &str = "__Host-intake";
/// The sign-in form's double-submit token (there is no session yet to hold one).
pub const SIGN_IN_COOKIE: &str = "__Host-intake-aanmelden";

/// Where to go after sign-in when nothing (or nothing safe) was asked for.
pub const HOME: &str = "/voordrachten";

/// The signed-in person of this request.
#[derive(Debug, Clone)]
pub struct Staff {
    pub account: StaffAccount,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
    token_hash: String,
}

impl Staff {
    pub fn role(&self) -> Role {
        self.account.role
    }

    /// The name in the audit log: the e-mail address (unique, and what staff know each other by).
    pub fn actor(&self) -> crate::actions::Actor {
        crate::actions::Actor::new(&self.account.email)
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: Secure, HttpOnly, path `/`; `max_age` in seconds (0 deletes it).
pub fn set_cookie(name: &str, value: &str, same_site: &str, max_age: i64) -> HeaderValue {
    let v = format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite={same_site}; Max-Age={max_age}"
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// `next` when it is a path of this site (`/…`, not `//…` or `/\…`, no control characters),
/// else [`HOME`]. Nothing else is ever redirected to.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
        && next.len() <= 512
        && !next.starts_with("/aanmelden")
        && !next.starts_with("/afmelden");
    if ok {
        next.to_string()
    } else {
        HOME.to_string()
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a session that started at `created`, was last used at `seen` and expires at
/// `expires` is still valid at `now`.
pub fn session_valid(
    seen: DateTime<Utc>,
    expires: DateTime<Utc>,
    idle_minutes: u32,
    now: DateTime<Utc>,
) -> bool {
    now < expires && now < seen + Duration::minutes(i64::from(idle_minutes))
}

/// Reads and checks the session of a request.
async fn current(web: &Web, headers: &HeaderMap) -> anyhow::Result<Option<Staff>> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = account::token_hash(&token);
    let Some((s, account)) = store::staff::session(&web.app.db, &hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if account.disabled_at.is_some()
        || !session_valid(
            s.last_seen_at,
            s.expires_at,
            web.settings.session_idle_minutes,
            now,
        )
    {
        let mut tx = web.app.db.begin().await?;
        store::staff::end_session(&mut tx, &hash).await?;
        tx.commit().await?;
        return Ok(None);
    }
    if now - s.last_seen_at > Duration::seconds(60) {
        store::staff::touch_session(&web.app.db, &hash, now).await?;
    }
    Ok(Some(Staff {
        account,
        csrf: s.csrf,
        token_hash: hash,
    }))
}

/// Where a request without a session goes: the sign-in page for a page, 401 for the rest.
fn not_signed_in(web: &Web, parts: &Parts) -> Response {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next = safe_next(here);
        let to = if next == HOME {
            "/aanmelden".to_string()
        } else {
            format!("/aanmelden?volgende={}", encode_query(&next))
        };
        Redirect::to(&to).into_response()
    } else {
        web.error_page(
            StatusCode::UNAUTHORIZED,
            "Meld u eerst aan",
            "Deze handeling vraagt om een aanmelding. Er is niets gewijzigd.",
            None,
        )
    }
}

impl FromRequestParts<Arc<Web>> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<Staff, Response> {
        match current(web, &parts.headers).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(not_signed_in(web, parts)),
            Err(e) => Err(web.internal_error(e, None)),
        }
    }
}

/// Whether the request's `Origin` (when the browser sent one) is ours.
fn same_origin(web: &Web, headers: &HeaderMap) -> bool {
    match headers.get(header::ORIGIN).map(|o| o.to_str()) {
        None => true,
        Some(Ok(o)) => o.eq_ignore_ascii_case(&web.origin),
        Some(Err(_)) => false,
    }
}

/// A form posted by a signed-in person, checked: our origin, a form body, and the session's
/// CSRF token in its `csrf` field. Anything else is refused before the handler runs.
pub struct Form<T> {
    pub staff: Staff,
    pub data: T,
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// The body of a form post, when it is one (urlencoded, at most the body limit).
async fn form_body(req: Request) -> Option<axum::body::Bytes> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return None;
    }
    axum::body::to_bytes(req.into_body(), 64 * 1024).await.ok()
}

fn refused_form(web: &Web, staff: Option<&Staff>) -> Response {
    web.error_page(
        StatusCode::FORBIDDEN,
        "Formulier geweigerd",
        "Dit formulier is verlopen of kwam niet van deze werkplek. Er is niets gewijzigd. Open de pagina opnieuw en probeer het nog eens.",
        staff,
    )
}

impl<T: DeserializeOwned + Send> FromRequest<Arc<Web>> for Form<T> {
    type Rejection = Response;

    async fn from_request(req: Request, web: &Arc<Web>) -> Result<Form<T>, Response> {
        let (mut parts, body) = req.into_parts();
        let staff = Staff::from_request_parts(&mut parts, web).await?;
        if !same_origin(web, &parts.headers) {
            return Err(refused_form(web, Some(&staff)));
        }
        let req = Request::from_parts(parts, body);
        let Some(bytes) = form_body(req).await else {
            return Err(refused_form(web, Some(&staff)));
        };
        let token = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
            .map(|f| f.csrf)
            .unwrap_or_default();
        if !account::same_secret(&token, &staff.csrf) {
            return Err(refused_form(web, Some(&staff)));
        }
        match serde_urlencoded::from_bytes::<T>(&bytes) {
            Ok(data) => Ok(Form { staff, data }),
            Err(_) => Err(web.error_page(
                StatusCode::BAD_REQUEST,
                "Formulier onvolledig",
                "Het formulier was niet volledig ingevuld. Er is niets gewijzigd.",
                Some(&staff),
            )),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInQuery {
    volgende: String,
    afgemeld: String,
}

/// `GET /aanmelden`: the sign-in form (or straight on, when signed in already).
pub async fn sign_in_page(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    match current(&web, &headers).await {
        Ok(Some(_)) => return Redirect::to(&safe_next(&q.volgende)).into_response(),
        Ok(None) => {}
        Err(e) => return web.internal_error(e, None),
    }
    let notice = (q.afgemeld == "1").then_some("U bent afgemeld.");
    sign_in_form(&web, &headers, &q.volgende, None, notice, StatusCode::OK)
}

fn sign_in_form(
    web: &Web,
    headers: &HeaderMap,
    next: &str,
    error: Option<&str>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = cookie(headers, SIGN_IN_COOKIE)
        .filter(|t| {
            t.len() == 43
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .unwrap_or_else(account::new_token);
    let ctx = minijinja::context! {
        form_token => S(&token),
        next => S(safe_next(next)),
        error => S(error),
        notice => S(notice),
        max_failures => S(web.settings.max_failed_sign_ins),
        lockout_minutes => S(web.settings.lockout_minutes),
    };
    let mut resp = web.page("web/sign_in.html.j2", "Aanmelden", "", ctx, None);
    *resp.status_mut() = status;
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_COOKIE, &token, "Strict", 3600),
    );
    resp
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    wachtwoord: String,
    csrf: String,
    volgende: String,
}

/// The one message for every failed sign-in: it does not tell whether the address exists,
/// the password was wrong or the account is locked.
const SIGN_IN_FAILED: &str = "Aanmelden is niet gelukt. Controleer uw e-mailadres en wachtwoord.";

/// `POST /aanmelden`.
pub async fn sign_in(State(web): State<Arc<Web>>, req: Request) -> Response {
    let headers = req.headers().clone();
    let form: SignInForm = match form_body(req).await {
        Some(b) => serde_urlencoded::from_bytes(&b).unwrap_or_default(),
        None => SignInForm::default(),
    };
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if !same_origin(&web, &headers)
        || expected.is_empty()
        || !account::same_secret(&form.csrf, &expected)
    {
        return sign_in_form(
            &web,
            &headers,
            &form.volgende,
            Some("Het aanmeldformulier was verlopen. Probeer het nog eens."),
            None,
            StatusCode::FORBIDDEN,
        );
    }
    match try_sign_in(&web, &headers, &form).await {
        Ok(Some(token)) => {
            let mut resp = Redirect::to(&safe_next(&form.volgende)).into_response();
            let max_age = i64::from(web.settings.session_max_hours) * 3600;
            let h = resp.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &token, "Lax", max_age),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(SIGN_IN_COOKIE, "", "Strict", 0),
            );
            resp
        }
        Ok(None) => sign_in_form(
            &web,
            &headers,
            &form.volgende,
            Some(SIGN_IN_FAILED),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => web.internal_error(e, None),
    }
}

/// Checks the password and starts a session; `Some(token)` on success. Every outcome is an
/// audit event (actor: the address typed, when it is one).
async fn try_sign_in(
    web: &Web,
    headers: &HeaderMap,
    form: &SignInForm,
) -> anyhow::Result<Option<String>> {
    let now = Utc::now();
    let db = &web.app.db;
    // Whatever session the browser brought ends here: sign-in always gets a new one.
    if let Some(old) = cookie(headers, SESSION_COOKIE) {
        let mut tx = db.begin().await?;
        store::staff::end_session(&mut tx, &account::token_hash(&old)).await?;
        tx.commit().await?;
    }
    let email = crate::domain::EmailAddress::parse(&form.email);
    let found = match &email {
        Some(e) => store::staff::account_by_email(db, e.as_str()).await?,
        None => None,
    };
    let usable = found
        .as_ref()
        .filter(|a| a.disabled_at.is_none() && !account::is_locked(a.locked_until, now));
    let hash = usable
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| web.dummy_hash.clone());
    let password = form.wachtwoord.clone();
    let matches = tokio::task::spawn_blocking(move || account::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let actor = email
        .as_ref()
        .map(|e| e.as_str().to_string())
        .unwrap_or_else(|| "(geen geldig adres)".into());
    let mut tx = db.begin().await?;
    let outcome = match (found.as_ref(), usable, matches) {
        (_, Some(a), true) => {
            let token = account::new_token();
            let expires = now + Duration::hours(i64::from(web.settings.session_max_hours));
            store::staff::start_session(
                &mut tx,
                a.id,
                &account::token_hash(&token),
                &account::new_token(),
                now,
                expires,
            )
            .await?;
            store::event(
                &mut tx,
                now,
                &actor,
                "staff_sign_in",
                None,
                None,
                &format!("aangemeld in de werkplek (rol {})", a.role),
            )
            .await?;
            tracing::info!(account = a.id, role = %a.role, "staff signed in");
            Some(token)
        }
        (Some(a), Some(_), false) => {
            let policy = LockoutPolicy {
                max_failures: web.settings.max_failed_sign_ins,
                lock_minutes: web.settings.lockout_minutes,
            };
            let failures = u32::try_from(a.failed_sign_ins).unwrap_or(0);
            let (count, lock) = account::after_failure(failures, policy, now);
            store::staff::record_failure(&mut tx, a.id, count, lock).await?;
            let detail = match lock {
                Some(_) => format!(
                    "wachtwoord onjuist; account {} minuten geblokkeerd na {} pogingen",
                    policy.lock_minutes, policy.max_failures
                ),
                None => format!("wachtwoord onjuist (poging {count})"),
            };
            store::event(
                &mut tx,
                now,
                &actor,
                "staff_sign_in_failed",
                None,
                None,
                &detail,
            )
            .await?;
            tracing::warn!(
                account = a.id,
                locked = lock.is_some(),
                "staff sign-in failed"
            );
            None
        }
        (Some(a), None, _) => {
            let why = if a.disabled_at.is_some() {
                "account uitgeschakeld"
            } else {
                "account geblokkeerd na te veel mislukte pogingen"
            };
            store::event(
                &mut tx,
                now,
                &actor,
                "staff_sign_in_refused",
                None,
                None,
                why,
            )
            .await?;
            tracing::warn!(
                account = a.id,
                "staff sign-in refused: account disabled or locked"
            );
            None
        }
        (None, _, _) => {
            store::event(
                &mut tx,
                now,
                &actor,
                "staff_sign_in_failed",
                None,
                None,
                "geen account met dit adres",
            )
            .await?;
            tracing::warn!("staff sign-in failed: no such account");
            None
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

/// `POST /afmelden`: ends the session.
pub async fn sign_out(State(web): State<Arc<Web>>, form: Form<NoFields>) -> Response {
    let staff = form.staff;
    let now = Utc::now();
    let done = async {
        let mut tx = web.app.db.begin().await?;
        store::staff::end_session(&mut tx, &staff.token_hash).await?;
        store::event(
            &mut tx,
            now,
            &staff.account.email,
            "staff_sign_out",
            None,
            None,
            "afgemeld",
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = done {
        return web.internal_error(e, Some(&staff));
    }
    let mut resp = Redirect::to("/aanmelden?afgemeld=1").into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", "Lax", 0));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed_after_sign_in() {
        assert_eq!(
            safe_next("/voordrachten/KVN-0001"),
            "/voordrachten/KVN-0001"
        );
        assert_eq!(
            safe_next("/voordrachten?provincie=Utrecht&op_tijd=ja"),
            "/voordrachten?provincie=Utrecht&op_tijd=ja"
        );
        for evil in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "/voordrachten\r\nSet-Cookie: x=1",
            "",
            "voordrachten",
            "/aanmelden?volgende=//evil.example",
        ] {
            assert_eq!(safe_next(evil), HOME, "{evil:?}");
        }
    }

    #[test]
    fn cookies_are_read_by_exact_name_and_set_secure_and_http_only() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("x__Host-intake=no; __Host-intake=abc; other=1"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
        let set = set_cookie(SESSION_COOKIE, "tok", "Lax", 60);
        let s = set.to_str().unwrap();
        for part in [
            "__Host-intake=tok",
            "Path=/",
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
            "Max-Age=60",
        ] {
            assert!(s.contains(part), "{s}");
        }
    }

    #[test]
    fn a_session_ends_when_idle_too_long_or_past_its_expiry() {
        let t0 = Utc::now();
        let exp = t0 + Duration::hours(12);
        assert!(session_valid(t0, exp, 60, t0 + Duration::minutes(59)));
        assert!(!session_valid(t0, exp, 60, t0 + Duration::minutes(61)));
        let late = t0 + Duration::hours(11) + Duration::minutes(59);
        // Used a minute ago, but past the absolute expiry.
        assert!(!session_valid(late, exp, 60, late + Duration::minutes(2)));
        assert!(!session_valid(exp, exp, 60, exp));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode_query("/voordrachten?provincie=Fryslân&x=1"),
            "/voordrachten%3Fprovincie%3DFrysl%C3%A2n%26x%3D1"
        );
    }
}
