//! The staff workspace (`intake serve`) as a real process on 127.0.0.1, over a database filled
//! by the pipeline, with accounts made by `intake staff add`. The security tests speak plain
//! HTTP/1.1 over a TCP socket (no client library between the test and the server); the browser
//! test runs `tests/web/e2e.mjs` (Debian's Chromium through playwright-core, axe-core on every
//! page) and asserts it passed.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use intake::store;

use crate::helpers::{TestApp, root};

/// A password good enough for the rule (12+ characters).
const PASSWORD: &str = "lang-en-geheim-wachtwoord";

/// A running `intake serve` on its own port, stopped when dropped.
struct Workspace {
    app: TestApp,
    child: Child,
    port: u16,
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Workspace {
    /// A workspace over a fresh SQLite database: with the sample mailbox processed, or with
    /// the given mails only.
    async fn start(samples: bool, mails: &[(&str, &[u8])]) -> Workspace {
        let app = TestApp::sqlite().await;
        Self::start_on(app, samples, mails).await
    }

    async fn start_on(app: TestApp, samples: bool, mails: &[(&str, &[u8])]) -> Workspace {
        if samples {
            app.copy_samples();
        }
        for (name, raw) in mails {
            app.deliver(name, raw);
        }
        if samples || !mails.is_empty() {
            app.run_once().await;
        }
        let port = free_port();
        let child = app
            .command()
            .arg("serve")
            .env("INTAKE__WEB__BIND", format!("127.0.0.1:{port}"))
            .env("INTAKE__WEB__BASE_URL", format!("http://127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("intake serve starts");
        let ws = Workspace { app, child, port };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "intake serve did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        ws
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `intake staff add EMAIL --role ROLE [--name NAME] --password-stdin`.
    fn add_account(&self, email: &str, role: &str, name: Option<&str>, password: &str) -> i32 {
        let mut c = self.app.command();
        c.args(["staff", "add", email, "--role", role, "--password-stdin"]);
        if let Some(n) = name {
            c.args(["--name", n]);
        }
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("intake staff add");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("password written");
        child.wait().expect("staff add ends").code().unwrap_or(-1)
    }

    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        http(self.port, method, path, headers, body)
    }

    fn get(&self, path: &str, cookie: &str) -> Reply {
        self.request("GET", path, &[("Cookie", cookie)], "")
    }

    /// A form post from our own origin.
    fn post(&self, path: &str, cookie: &str, body: &str) -> Reply {
        let origin = self.origin();
        self.request(
            "POST",
            path,
            &[
                ("Cookie", cookie),
                ("Origin", &origin),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body,
        )
    }

    /// Signs in through the form; returns the session cookie (`name=value`).
    fn sign_in(&self, email: &str, password: &str) -> Option<String> {
        let form = self.get("/aanmelden", "");
        let pre = form.cookie("__Host-intake-aanmelden")?;
        let token = form.input_value("csrf")?;
        let r = self.post(
            "/aanmelden",
            &format!("__Host-intake-aanmelden={pre}"),
            &format!(
                "csrf={token}&email={}&wachtwoord={}&volgende=",
                enc(email),
                enc(password)
            ),
        );
        (r.status == 303)
            .then(|| r.cookie("__Host-intake"))
            .flatten()
            .map(|v| format!("__Host-intake={v}"))
    }

    /// The CSRF token in the forms of a signed-in page.
    fn csrf(&self, cookie: &str) -> String {
        self.get("/voordrachten", cookie)
            .input_value("csrf")
            .expect("a csrf field on a signed-in page")
    }

    fn reference(&self) -> String {
        let rt = tokio::runtime::Handle::current();
        let subs =
            tokio::task::block_in_place(|| rt.block_on(store::submissions(&self.app.intake.db)))
                .expect("submissions");
        subs.iter()
            .find(|s| s.is_current)
            .map(|s| s.reference.clone())
            .expect("a current nomination")
    }

    async fn events(&self, action: &str) -> Vec<store::EventRow> {
        store::staff::sign_in_events(&self.app.intake.db, 1000)
            .await
            .expect("events")
            .into_iter()
            .filter(|e| e.action == action)
            .collect()
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A partner's answer to consultation `c`, as our receiving server delivers it: with its
/// Authentication-Results (DMARC pass for the sender's domain) on top, the reply token in the
/// address and subject, threaded on our request.
fn partner_answer(c: &store::consult::ConsultationRow, from: &str, text: &str) -> Vec<u8> {
    let domain = from.rsplit_once('@').map(|x| x.1).unwrap_or("example.org");
    let n = rand::random::<u32>();
    format!(
        "Authentication-Results: mx.vng.nl; dkim=pass header.d={domain}; spf=pass smtp.mailfrom={domain}; dmarc=pass (p=reject) header.from={domain}\r\n\
         Received: from mail.{domain} by mx.vng.nl with ESMTPS; Tue, 27 Mar 2018 12:00:00 +0200\r\n\
         From: Partner <{from}>\r\nTo: Koplopers VNG <koplopers+c-{tok}@vng.nl>\r\n\
         Subject: RE: Vraag om advies {tag}\r\nDate: Tue, 27 Mar 2018 12:00:00 +0200\r\n\
         Message-ID: <web-answer-{n}@{domain}>\r\nIn-Reply-To: {msgid}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n",
        tok = c.token.to_ascii_lowercase(),
        tag = format_args!("[C-{}]", c.token.to_ascii_uppercase()),
        msgid = c.request_msgid,
    )
    .into_bytes()
}

/// Consults the partners on `reference` and delivers three answers: an objection from
/// Ieder(in) (with markup in its text), an unclear answer from the LFB, and an objection
/// "from Per Saldo" sent from an address that is not theirs (held).
async fn consult_with_answers(app: &TestApp, reference: &str) {
    let queued = intake::consult::request(&app.intake, reference, chrono::Utc::now())
        .await
        .expect("consultation requests");
    assert_eq!(queued, 5);
    app.run_once().await;
    let s = store::submission_by_reference(&app.intake.db, reference)
        .await
        .unwrap()
        .unwrap();
    let cons = store::consult::consultations_of(&app.intake.db, s.id)
        .await
        .unwrap();
    let of = |p: &str| cons.iter().find(|c| c.partner_id == p).expect(p);
    app.deliver(
        "answer-iederin",
        &partner_answer(
            of("iederin"),
            "consultatie@iederin.example.org",
            "BEZWAAR\r\n\r\nDe gemeente heeft mensen met een beperking niet betrokken. <script>alert('partner')</script> <b>Echt niet</b>.",
        ),
    );
    app.deliver(
        "answer-lfb",
        &partner_answer(
            of("lfb"),
            "consultatie@lfb.example.org",
            "Hm, daar moeten we nog even over nadenken. Kunnen we even bellen?",
        ),
    );
    app.deliver(
        "answer-forged",
        &partner_answer(
            of("persaldo"),
            "iemand@persaldo-nep.example.net",
            "BEZWAAR\r\n\r\nNiet doen.",
        ),
    );
    app.run_once().await;
}

/// One HTTP response.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value a `Set-Cookie` gives cookie `name` (empty when it deletes it).
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next()?.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    /// The value of the first `<input name="NAME" value="…">` in the body.
    fn input_value(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\" value=\""))?;
        let rest = &self.body[at + name.len() + 15..];
        rest.split('"').next().map(str::to_string)
    }
}

/// A plain HTTP/1.1 request with `Connection: close`.
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        if !v.is_empty() {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).expect("request sent");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("response read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Every page and every form of the workspace, with a nomination reference filled in.
fn routes(reference: &str) -> (Vec<String>, Vec<String>) {
    let pages = [
        "/",
        "/voordrachten",
        "/voordrachten?provincie=Utrecht",
        "/voordrachten/{r}",
        "/voordrachten/{r}/documenten/0",
        "/voordrachten/{r}/mail",
        "/raadpleging",
        "/selectie",
        "/bekrachtiging",
        "/export",
        "/export/voordrachten.csv",
        "/export/voordrachten.xlsx",
        "/overzicht",
        "/bestaat-niet",
    ];
    let actions = [
        "/afmelden",
        "/voordrachten/{r}/gemeente",
        "/voordrachten/{r}/beoordeling",
        "/voordrachten/{r}/raadplegen",
        "/voordrachten/{r}/bezwaar",
        "/voordrachten/{r}/besluit",
        "/voordrachten/{r}/geldend",
        "/voordrachten/{r}/contacten",
        "/voordrachten/{r}/contacten/1",
        "/antwoorden/1/tellen",
        "/antwoorden/1/niet-tellen",
        "/bekrachtiging",
        "/bekrachtiging/brieven",
    ];
    let fill = |p: &&str| p.replace("{r}", reference);
    (
        pages.iter().map(fill).collect(),
        actions.iter().map(fill).collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_and_action_refuses_a_request_without_a_session() {
    let ws = Workspace::start(
        false,
        &[(
            "gmail",
            &std::fs::read(root().join("tests/fixtures/mail/unidentified-gmail.eml")).unwrap(),
        )],
    )
    .await;
    let reference = ws.reference();
    let (pages, actions) = routes(&reference);
    for p in &pages {
        for cookie in ["", "__Host-intake=made-up-token"] {
            let r = ws.get(p, cookie);
            assert_eq!(r.status, 303, "{p} with {cookie:?}: {r:?}");
            let to = r.header("location").unwrap_or("");
            assert!(to.starts_with("/aanmelden"), "{p}: {to}");
            assert!(!r.body.contains(&reference), "{p} leaked content");
        }
    }
    for a in &actions {
        let r = ws.post(a, "", "csrf=x&besluit=selected&toelichting=x&code=GM0363");
        assert_eq!(r.status, 401, "{a}: {r:?}");
    }
    // Static assets hold no data and are public; they carry the security headers too.
    let css = ws.get("/static/workspace.css", "");
    assert_eq!(css.status, 200);
    assert!(css.header("content-security-policy").is_some());
    // Nothing changed.
    let events = store::events_of(&ws.app.intake.db, 1).await.unwrap();
    assert!(events.iter().all(|e| e.actor == "intake"), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_account_cannot_act_and_only_an_office_holder_ratifies() {
    let ws = Workspace::start(true, &[]).await;
    assert_eq!(
        ws.add_account("lezer@vng.nl", "read-only", None, PASSWORD),
        0
    );
    assert_eq!(
        ws.add_account("staf@vng.nl", "staff", Some("Sanne Staf"), PASSWORD),
        0
    );
    let reader = ws
        .sign_in("lezer@vng.nl", PASSWORD)
        .expect("reader signs in");
    let staff = ws.sign_in("staf@vng.nl", PASSWORD).expect("staff signs in");
    let reference = ws.reference();
    // Reading is allowed: the page shows, without forms.
    let page = ws.get(&format!("/voordrachten/{reference}"), &reader);
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("/besluit\""),
        "read-only sees a decision form"
    );
    let token = ws.csrf(&reader);
    let forms = [
        ("gemeente", "code=GM0363".to_string()),
        (
            "beoordeling",
            "criterium=1&oordeel=met&toelichting=x".into(),
        ),
        ("raadplegen", String::new()),
        ("bezwaar", "partner=lfb&toelichting=x".into()),
        ("besluit", "besluit=selected&toelichting=x".into()),
        ("geldend", String::new()),
    ];
    for (action, body) in &forms {
        let r = ws.post(
            &format!("/voordrachten/{reference}/{action}"),
            &reader,
            &format!("csrf={token}&{body}"),
        );
        assert_eq!(r.status, 403, "read-only {action}: {}", r.status);
    }
    for path in ["/bekrachtiging", "/bekrachtiging/brieven"] {
        let r = ws.post(path, &reader, &format!("csrf={token}"));
        assert_eq!(r.status, 403, "read-only {path}");
    }
    // A staff member acts, but does not ratify.
    let staff_token = ws.csrf(&staff);
    let r = ws.post("/bekrachtiging", &staff, &format!("csrf={staff_token}"));
    assert_eq!(r.status, 403, "staff ratified");
    let decisions = store::digest::all_decisions(&ws.app.intake.db)
        .await
        .unwrap();
    assert!(decisions.is_empty(), "{decisions:?}");
    assert!(
        store::digest::ratifications(&ws.app.intake.db)
            .await
            .unwrap()
            .is_empty()
    );
    // An office holder account must name an office holder of the call.
    assert_eq!(
        ws.add_account(
            "iemand@vng.nl",
            "office-holder",
            Some("Burgemeester"),
            PASSWORD
        ),
        2
    );
    assert_eq!(
        ws.add_account("iemand@vng.nl", "office-holder", None, PASSWORD),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_the_csrf_token_or_from_another_origin_is_refused() {
    let ws = Workspace::start(
        false,
        &[(
            "gmail",
            &std::fs::read(root().join("tests/fixtures/mail/unidentified-gmail.eml")).unwrap(),
        )],
    )
    .await;
    assert_eq!(ws.add_account("staf@vng.nl", "staff", None, PASSWORD), 0);
    let cookie = ws.sign_in("staf@vng.nl", PASSWORD).expect("signs in");
    let reference = ws.reference();
    let path = format!("/voordrachten/{reference}/gemeente");
    let token = ws.csrf(&cookie);
    // No token, a wrong token, the token of another session: refused, nothing changed.
    assert_eq!(ws.post(&path, &cookie, "code=GM0363").status, 403);
    assert_eq!(ws.post(&path, &cookie, "code=GM0363&csrf=AAAA").status, 403);
    // The right token from another origin (a page elsewhere posting to us): refused.
    let foreign = ws.request(
        "POST",
        &path,
        &[
            ("Cookie", &cookie),
            ("Origin", "https://evil.example"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &format!("code=GM0363&csrf={token}"),
    );
    assert_eq!(foreign.status, 403);
    // The right token as JSON instead of a form: refused.
    let json = ws.request(
        "POST",
        &path,
        &[("Cookie", &cookie), ("Content-Type", "application/json")],
        &format!("{{\"code\":\"GM0363\",\"csrf\":\"{token}\"}}"),
    );
    assert_eq!(json.status, 403);
    let s = store::submission_by_reference(&ws.app.intake.db, &reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.municipality_code, None,
        "a refused form changed the municipality"
    );
    // With the token it works, and the audit log names the signed-in person.
    let ok = ws.post(&path, &cookie, &format!("code=GM0363&csrf={token}"));
    assert_eq!(ok.status, 303, "{ok:?}");
    let events = store::events_of(&ws.app.intake.db, s.id).await.unwrap();
    let e = events
        .iter()
        .find(|e| e.action == "set_municipality")
        .expect("audit event");
    assert_eq!(e.actor, "staf@vng.nl");
    // The sign-in form has its own token: a sign-in without it is refused.
    let r = ws.post(
        "/aanmelden",
        "",
        &format!("email=staf%40vng.nl&wachtwoord={PASSWORD}&csrf=x"),
    );
    assert_eq!(r.status, 403);
    assert!(r.cookie("__Host-intake").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_mints_a_new_session_so_a_planted_cookie_is_worth_nothing() {
    let ws = Workspace::start(false, &[]).await;
    assert_eq!(ws.add_account("staf@vng.nl", "staff", None, PASSWORD), 0);
    // A session token an attacker got (their own sign-in) or made up, planted in the
    // victim's browser before the victim signs in.
    let attacker = ws.sign_in("staf@vng.nl", PASSWORD).expect("signs in");
    let form = ws.get("/aanmelden", "");
    let pre = form.cookie("__Host-intake-aanmelden").unwrap();
    let token = form.input_value("csrf").unwrap();
    let r = ws.post(
        "/aanmelden",
        &format!("{attacker}; __Host-intake-aanmelden={pre}"),
        &format!("csrf={token}&email=staf%40vng.nl&wachtwoord={PASSWORD}"),
    );
    assert_eq!(r.status, 303);
    let fresh = r.cookie("__Host-intake").expect("a new session cookie");
    assert_ne!(format!("__Host-intake={fresh}"), attacker);
    // The planted session ended; the new one works.
    assert_eq!(ws.get("/voordrachten", &attacker).status, 303);
    assert_eq!(
        ws.get("/voordrachten", &format!("__Host-intake={fresh}"))
            .status,
        200
    );
    // The cookie is Secure, HttpOnly, SameSite and host-only.
    let set = r
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("__Host-intake="))
        .map(|(_, v)| v.clone())
        .unwrap();
    for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    // Signing out ends the session on the server, not only in the browser.
    let cookie = format!("__Host-intake={fresh}");
    let csrf = ws.csrf(&cookie);
    assert_eq!(
        ws.post("/afmelden", &cookie, &format!("csrf={csrf}"))
            .status,
        303
    );
    assert_eq!(ws.get("/voordrachten", &cookie).status, 303);
    assert_eq!(ws.events("staff_sign_in").await.len(), 2);
    assert_eq!(ws.events("staff_sign_out").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sign_in_only_paths_of_this_site_are_followed() {
    let ws = Workspace::start(false, &[]).await;
    assert_eq!(ws.add_account("staf@vng.nl", "staff", None, PASSWORD), 0);
    for (next, expected) in [
        ("/selectie", "/selectie"),
        (
            "/voordrachten?provincie=Utrecht",
            "/voordrachten?provincie=Utrecht",
        ),
        ("https://evil.example/", "/voordrachten"),
        ("//evil.example/", "/voordrachten"),
        ("/\\evil.example", "/voordrachten"),
        ("javascript:alert(1)", "/voordrachten"),
    ] {
        let form = ws.get(&format!("/aanmelden?volgende={}", enc(next)), "");
        assert!(
            !form.body.contains("evil.example"),
            "the form carries a foreign address for {next}"
        );
        let pre = form.cookie("__Host-intake-aanmelden").unwrap();
        let token = form.input_value("csrf").unwrap();
        let r = ws.post(
            "/aanmelden",
            &format!("__Host-intake-aanmelden={pre}"),
            &format!(
                "csrf={token}&email=staf%40vng.nl&wachtwoord={PASSWORD}&volgende={}",
                enc(next)
            ),
        );
        assert_eq!(r.status, 303, "{next}");
        assert_eq!(r.header("location"), Some(expected), "{next}");
    }
    // An unsigned visit keeps the page it asked for, as a path.
    let r = ws.get("/voordrachten?provincie=Utrecht", "");
    assert_eq!(
        r.header("location"),
        Some("/aanmelden?volgende=/voordrachten%3Fprovincie%3DUtrecht")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_sign_ins_lock_the_account_and_are_audited() {
    let ws = Workspace::start(false, &[]).await;
    assert_eq!(ws.add_account("staf@vng.nl", "staff", None, PASSWORD), 0);
    for _ in 0..5 {
        assert!(ws.sign_in("staf@vng.nl", "fout-fout-fout-fout").is_none());
    }
    // Locked: even the right password is refused now, with the same message.
    let form = ws.get("/aanmelden", "");
    let pre = form.cookie("__Host-intake-aanmelden").unwrap();
    let token = form.input_value("csrf").unwrap();
    let r = ws.post(
        "/aanmelden",
        &format!("__Host-intake-aanmelden={pre}"),
        &format!("csrf={token}&email=staf%40vng.nl&wachtwoord={PASSWORD}"),
    );
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Aanmelden is niet gelukt"));
    let failed = ws.events("staff_sign_in_failed").await;
    assert_eq!(failed.len(), 5, "{failed:?}");
    assert!(failed.iter().all(|e| e.actor == "staf@vng.nl"));
    assert!(failed[0].detail.contains("geblokkeerd"), "{:?}", failed[0]);
    assert_eq!(ws.events("staff_sign_in_refused").await.len(), 1);
    // No password is ever in the audit log.
    let all = store::staff::sign_in_events(&ws.app.intake.db, 1000)
        .await
        .unwrap();
    assert!(
        all.iter()
            .all(|e| !e.detail.contains("fout-fout") && !e.detail.contains(PASSWORD))
    );
    // The account list shows the lock.
    let out = ws.app.command().args(["staff", "list"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("geblokkeerd tot"), "{text}");
    // An unknown address fails the same way and is audited without a password.
    assert!(ws.sign_in("niemand@vng.nl", PASSWORD).is_none());
    assert_eq!(ws.events("staff_sign_in_failed").await.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letter_text_in_the_page_is_escaped() {
    let hostile = "Return-Path: <griffie@zwolle.nl>\r\n\
From: Griffie <griffie@zwolle.nl>\r\n\
To: koplopers@vng.nl\r\n\
Subject: Aanmelding <b>Zwolle</b>\r\n\
Date: Mon, 12 Mar 2018 10:00:00 +0100\r\n\
Message-ID: <hostile-web-1@zwolle.nl>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Geachte VNG,\r\n\
\r\n\
De gemeente Zwolle heeft een inclusieagenda vastgesteld <script>alert('xss')</script> samen met ervaringsdeskundigen.\r\n\
<img src=x onerror=alert(1)> Wij betrekken inwoners met een beperking bij al ons beleid.\r\n\
\r\n\
Met vriendelijke groet,\r\nGemeente Zwolle\r\n";
    let app = TestApp::sqlite().await;
    app.deliver("hostile", hostile.as_bytes());
    app.run_once().await;
    consult_with_answers(&app, "KVN-0001").await;
    let ws = Workspace::start_on(app, false, &[]).await;
    assert_eq!(ws.add_account("staf@vng.nl", "staff", None, PASSWORD), 0);
    let cookie = ws.sign_in("staf@vng.nl", PASSWORD).unwrap();
    let reference = ws.reference();
    let page = ws.get(&format!("/voordrachten/{reference}"), &cookie);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert"), "unescaped script");
    assert!(!page.body.contains("<img src=x"), "unescaped img");
    assert!(!page.body.contains("<b>Zwolle</b>"), "unescaped subject");
    assert!(
        !page.body.contains("<b>Echt niet</b>"),
        "unescaped partner answer"
    );
    assert!(
        page.body.contains("&lt;b&gt;Echt niet&lt;&#x2f;b&gt;")
            || page.body.contains("&lt;b&gt;Echt niet&lt;/b&gt;"),
        "the partner's text is shown, escaped"
    );
    // The consultation board shows the answers that wait (unclear, held) with their text.
    let board = ws.get("/raadpleging", &cookie);
    assert_eq!(board.status, 200);
    assert!(
        board.body.contains("Kunnen we even bellen?"),
        "the unclear answer's text"
    );
    assert!(board.body.contains("Niet doen."), "the held answer's text");
    assert!(
        !board.body.contains("<script>alert"),
        "unescaped on the board"
    );
    assert!(
        page.body.contains("&lt;script&gt;alert("),
        "the text is shown, escaped"
    );
    assert!(page.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // And no inline script could run anyway.
    let csp = page.header("content-security-policy").unwrap_or("");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    // Downloads are attachments of an opaque type, never rendered by the browser.
    let mail = ws.get(&format!("/voordrachten/{reference}/mail"), &cookie);
    assert_eq!(mail.status, 200);
    assert_eq!(
        mail.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(
        mail.header("content-disposition")
            .unwrap_or("")
            .starts_with("attachment")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_settle_held_and_unclear_answers_and_local_contacts_in_the_workspace() {
    let app = TestApp::sqlite().await;
    app.deliver(
        "gmail",
        &std::fs::read(root().join("tests/fixtures/mail/unidentified-gmail.eml")).unwrap(),
    );
    app.run_once().await;
    let reference = {
        let subs = store::submissions(&app.intake.db).await.unwrap();
        subs[0].reference.clone()
    };
    consult_with_answers(&app, &reference).await;
    let ws = Workspace::start_on(app, false, &[]).await;
    let db = &ws.app.intake.db;
    assert_eq!(ws.add_account("staf@vng.nl", "staff", None, PASSWORD), 0);
    assert_eq!(
        ws.add_account("lezer@vng.nl", "read-only", None, PASSWORD),
        0
    );
    let staff = ws.sign_in("staf@vng.nl", PASSWORD).expect("staff signs in");
    let reader = ws
        .sign_in("lezer@vng.nl", PASSWORD)
        .expect("reader signs in");
    let waiting = store::consult::answers_to_settle(db).await.unwrap();
    let id_of = |text: &str| {
        waiting
            .iter()
            .find(|t| t.answer.motivation.contains(text))
            .map(|t| t.answer.id)
            .unwrap_or_else(|| panic!("an answer to settle with {text:?}: {waiting:?}"))
    };
    let (unclear, held) = (id_of("even bellen"), id_of("Niet doen"));
    // The board offers both settle forms per waiting answer, to staff only.
    let board = ws.get("/raadpleging", &staff);
    for id in [unclear, held] {
        assert!(board.body.contains(&format!("/antwoorden/{id}/tellen")));
        assert!(
            board
                .body
                .contains(&format!("/antwoorden/{id}/niet-tellen"))
        );
    }
    let read_board = ws.get("/raadpleging", &reader);
    assert!(
        !read_board.body.contains("/tellen\""),
        "read-only sees settle forms"
    );
    let reader_token = ws.csrf(&reader);
    let r = ws.post(
        &format!("/antwoorden/{unclear}/tellen"),
        &reader,
        &format!("csrf={reader_token}&oordeel=steun"),
    );
    assert_eq!(r.status, 403, "read-only settled an answer");
    let token = ws.csrf(&staff);
    // Not counting an answer needs a reason; the board says so and nothing changes.
    let r = ws.post(
        &format!("/antwoorden/{held}/niet-tellen"),
        &staff,
        &format!("csrf={token}&toelichting=+&van=raadpleging"),
    );
    assert_eq!(r.status, 422, "{}", r.status);
    assert!(
        r.body.contains("vul een toelichting in"),
        "the refusal is shown"
    );
    let r = ws.post(
        &format!("/antwoorden/{held}/niet-tellen"),
        &staff,
        &format!(
            "csrf={token}&toelichting={}&van=raadpleging",
            enc("Niet door Per Saldo verstuurd.")
        ),
    );
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(
        r.header("location"),
        Some("/raadpleging?gedaan=antwoord-telt-niet#melding")
    );
    let a = store::consult::answer_by_id(db, held)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, intake::domain::AnswerStatus::Rejected);
    // The unclear answer counts as support, from the nomination page; back there.
    let r = ws.post(
        &format!("/antwoorden/{unclear}/tellen"),
        &staff,
        &format!(
            "csrf={token}&oordeel=steun&toelichting={}&van=voordracht",
            enc("Nagebeld: de LFB steunt.")
        ),
    );
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(
        r.header("location"),
        Some(format!("/voordrachten/{reference}?gedaan=antwoord-telt#melding").as_str())
    );
    let s = store::submission_by_reference(db, &reference)
        .await
        .unwrap()
        .unwrap();
    let cons = store::consult::consultations_of(db, s.id).await.unwrap();
    let lfb = cons.iter().find(|c| c.partner_id == "lfb").unwrap();
    assert_eq!(lfb.standing(), intake::domain::Standing::Support);
    // Settled once: a second try is refused in words, on the page it came from.
    let r = ws.post(
        &format!("/antwoorden/{unclear}/tellen"),
        &staff,
        &format!("csrf={token}&oordeel=steun&van=voordracht"),
    );
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Geweigerd"), "the refusal is shown");
    let events = store::events_of(db, s.id).await.unwrap();
    for action in ["answer_accepted", "answer_rejected"] {
        let e = events
            .iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("no {action} event"));
        assert_eq!(e.actor, "staf@vng.nl");
    }

    // Local contacts: one proposed from the letter, one added by staff.
    let proposed = {
        let mut tx = db.begin().await.unwrap();
        let id = store::contacts::insert_contact(
            &mut tx,
            &store::contacts::NewContact {
                submission_id: s.id,
                name: "Adviesraad Sociaal Domein <i>Utrecht</i>",
                address: None,
                kind: "adviesraad",
                source: "letter",
                sentence: Some("Wij werken samen met de Adviesraad Sociaal Domein."),
                status: intake::domain::ContactStatus::Proposed,
                created_by: "intake",
                now: chrono::Utc::now(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let page = ws.get(&format!("/voordrachten/{reference}"), &staff);
    assert!(page.body.contains(&format!("/contacten/{proposed}\"")));
    assert!(
        !page.body.contains("<i>Utrecht</i>"),
        "unescaped contact name"
    );
    let base = format!("/voordrachten/{reference}/contacten");
    let r = ws.post(
        &format!("{base}/{proposed}"),
        &reader,
        &format!("csrf={reader_token}&actie=afwijzen"),
    );
    assert_eq!(r.status, 403, "read-only settled a contact");
    let r = ws.post(
        &format!("{base}/{proposed}"),
        &staff,
        &format!("csrf={token}&actie=bevestigen&adres="),
    );
    assert_eq!(r.status, 422, "confirmed without an address");
    let r = ws.post(
        &format!("/voordrachten/KVN-9999/contacten/{proposed}"),
        &staff,
        &format!("csrf={token}&actie=afwijzen"),
    );
    assert_eq!(r.status, 404, "settled through another nomination");
    let r = ws.post(
        &format!("{base}/{proposed}"),
        &staff,
        &format!("csrf={token}&actie=afwijzen"),
    );
    assert_eq!(r.status, 303, "{r:?}");
    let c = store::contacts::contact_by_id(db, proposed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, intake::domain::ContactStatus::Dismissed);
    let r = ws.post(
        &base,
        &staff,
        &format!(
            "csrf={token}&naam={}&adres={}&soort=wmo-raad",
            enc("Wmo-raad Voorbeeld"),
            enc("wmoraad@example.org")
        ),
    );
    assert_eq!(r.status, 303, "{r:?}");
    let page = ws.get(&format!("/voordrachten/{reference}"), &staff);
    assert!(page.body.contains("Wmo-raad Voorbeeld"));
    assert!(
        page.body
            .contains("Vraag ook 1 bevestigde lokale organisatie om advies"),
        "the consult button asks the new contact"
    );
    let r = ws.post(
        &format!("/voordrachten/{reference}/raadplegen"),
        &staff,
        &format!("csrf={token}"),
    );
    assert_eq!(r.status, 303, "{r:?}");
    let cons = store::consult::consultations_of(db, s.id).await.unwrap();
    assert_eq!(cons.len(), 6, "five partners and the local contact");
    let board = ws.get("/raadpleging", &staff);
    assert!(board.body.contains("Wmo-raad Voorbeeld (lokaal)"));
    assert!(
        board.body.contains("Adviesraad Sociaal Domein"),
        "the dismissed one is listed"
    );
    let events = store::events_of(db, s.id).await.unwrap();
    for action in ["contact_added", "contact_settled"] {
        assert!(
            events
                .iter()
                .any(|e| e.action == action && e.actor == "staf@vng.nl"),
            "no {action} event by staf@vng.nl"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_accounts_are_added_listed_and_disabled_from_the_command_line() {
    let ws = Workspace::start(false, &[]).await;
    // Weak password, bad address: usage errors; a second add: refused.
    assert_eq!(ws.add_account("staf@vng.nl", "staff", None, "kort"), 2);
    assert_eq!(ws.add_account("geen-adres", "staff", None, PASSWORD), 2);
    assert_eq!(ws.add_account("staf@vng.nl", "staff", None, PASSWORD), 0);
    assert_eq!(
        ws.add_account("staf@vng.nl", "read-only", None, PASSWORD),
        5
    );
    assert_eq!(
        ws.add_account(
            "voorzitter@vng.nl",
            "office-holder",
            Some("commissievoorzitter"),
            PASSWORD
        ),
        0
    );
    let accounts = store::staff::all_accounts(&ws.app.intake.db).await.unwrap();
    assert_eq!(accounts.len(), 2);
    let holder = accounts
        .iter()
        .find(|a| a.email == "voorzitter@vng.nl")
        .unwrap();
    // The office holder's name is the call's, whatever was typed.
    assert_eq!(
        holder.name, ws.app.intake.cfg.call.office_holders[0].name,
        "{holder:?}"
    );
    assert!(holder.password_hash.starts_with("$argon2id$"));
    assert!(!holder.password_hash.contains(PASSWORD));
    // A generated password is printed once and works.
    let out = ws
        .app
        .command()
        .args([
            "staff",
            "add",
            "lezer@vng.nl",
            "--role",
            "read-only",
            "--generate-password",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let generated = text
        .lines()
        .find_map(|l| {
            l.split_once("getoond): ")
                .map(|(_, p)| p.trim().to_string())
        })
        .expect("the generated password");
    assert!(ws.sign_in("lezer@vng.nl", &generated).is_some());
    // Disabling ends the sessions at once.
    let cookie = ws.sign_in("staf@vng.nl", PASSWORD).unwrap();
    assert_eq!(ws.get("/voordrachten", &cookie).status, 200);
    let out = ws
        .app
        .command()
        .args(["staff", "disable", "staf@vng.nl"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(ws.get("/voordrachten", &cookie).status, 303);
    assert!(ws.sign_in("staf@vng.nl", PASSWORD).is_none());
    let out = ws.app.command().args(["staff", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.contains("uitgeschakeld") && list.contains("voorzitter@vng.nl"),
        "{list}"
    );
    assert_eq!(
        ws.app
            .command()
            .args(["staff", "disable", "niemand@vng.nl"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(4)
    );
    // Replacing gives a new password and enables it again.
    let mut c = ws.app.command();
    let mut child = c
        .args([
            "staff",
            "add",
            "staf@vng.nl",
            "--role",
            "staff",
            "--password-stdin",
            "--replace",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"een-heel-nieuw-wachtwoord\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        ws.sign_in("staf@vng.nl", "een-heel-nieuw-wachtwoord")
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workspace_signs_in_and_shows_nominations_on_postgresql_too() {
    let app = TestApp::postgres().await;
    let ws = Workspace::start_on(
        app,
        false,
        &[(
            "gmail",
            &std::fs::read(root().join("tests/fixtures/mail/unidentified-gmail.eml")).unwrap(),
        )],
    )
    .await;
    assert_eq!(ws.add_account("staf@vng.nl", "staff", None, PASSWORD), 0);
    assert!(ws.sign_in("staf@vng.nl", "verkeerd-wachtwoord").is_none());
    let cookie = ws.sign_in("staf@vng.nl", PASSWORD).expect("signs in");
    let reference = ws.reference();
    let list = ws.get("/voordrachten", &cookie);
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&reference));
    let token = ws.csrf(&cookie);
    let r = ws.post(
        &format!("/voordrachten/{reference}/beoordeling"),
        &cookie,
        &format!("csrf={token}&criterium=1&oordeel=met&toelichting=gezien"),
    );
    assert_eq!(r.status, 303, "{r:?}");
    let page = ws.get(&format!("/voordrachten/{reference}"), &cookie);
    assert!(
        page.body.contains("Het advies is aangepast") || page.body.contains("advies aangepast")
    );
    assert_eq!(ws.events("staff_sign_in").await.len(), 1);
    assert_eq!(ws.events("staff_sign_in_failed").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_staff_member_reviews_decides_and_both_office_holders_ratify_in_chromium_with_no_axe_violations()
 {
    let app = TestApp::sqlite().await;
    app.copy_samples();
    app.run_once().await;
    // KVN-0009 was consulted: an objection to set aside, an unclear and a held answer to read.
    consult_with_answers(&app, "KVN-0009").await;
    let ws = Workspace::start_on(app, false, &[]).await;
    let holders = ws.app.intake.cfg.call.office_holders.clone();
    assert_eq!(holders.len(), 2);
    assert_eq!(
        ws.add_account("staf@vng.nl", "staff", Some("Sanne Staf"), PASSWORD),
        0
    );
    assert_eq!(
        ws.add_account(
            "bestuur1@vng.nl",
            "office-holder",
            Some(&holders[0].role),
            PASSWORD
        ),
        0
    );
    assert_eq!(
        ws.add_account(
            "bestuur2@vng.nl",
            "office-holder",
            Some(&holders[1].role),
            PASSWORD
        ),
        0
    );
    assert_eq!(
        ws.add_account("lezer@vng.nl", "read-only", None, PASSWORD),
        0
    );
    let shots = root().join("target/web-screenshots");
    let out = Command::new("node")
        .arg(root().join("tests/web/e2e.mjs"))
        .current_dir(root().join("tests/web"))
        .env("INTAKE_URL", ws.origin())
        .env("STAFF_EMAIL", "staf@vng.nl")
        .env("STAFF_PASSWORD", PASSWORD)
        .env("HOLDER1_EMAIL", "bestuur1@vng.nl")
        .env("HOLDER1_PASSWORD", PASSWORD)
        .env("HOLDER2_EMAIL", "bestuur2@vng.nl")
        .env("HOLDER2_PASSWORD", PASSWORD)
        .env("READER_EMAIL", "lezer@vng.nl")
        .env("READER_PASSWORD", PASSWORD)
        .env("OBJECTION_REF", "KVN-0009")
        .env("SCREENSHOTS", &shots)
        .output()
        .expect("node runs tests/web/e2e.mjs (npm ci --prefix tests/web)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "browser test failed:\n{stdout}\n{stderr}"
    );
    let summary = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SUMMARY "))
        .expect("a summary line");
    let summary: serde_json::Value = serde_json::from_str(summary).unwrap();
    assert_eq!(summary["failures"], serde_json::json!([]));
    let axe = summary["axe"].as_object().expect("axe results per page");
    assert!(axe.len() >= 15, "axe ran on {} pages", axe.len());
    assert!(axe.values().all(|v| v == 0), "{axe:?}");
    // What the browser did is in the database, under the people who did it.
    let db = &ws.app.intake.db;
    let rats = store::digest::ratifications(db).await.unwrap();
    assert_eq!(rats.len(), 2, "{rats:?}");
    assert!(
        rats.iter()
            .any(|r| r.note.as_deref().unwrap_or("").contains("bestuur1@vng.nl"))
    );
    let decisions = store::digest::all_decisions(db).await.unwrap();
    assert!(decisions.iter().all(|d| d.decided_by == "staf@vng.nl"));
    let s = store::submission_by_reference(db, "KVN-0009")
        .await
        .unwrap()
        .unwrap();
    let cons = store::consult::consultations_of(db, s.id).await.unwrap();
    let iederin = cons.iter().find(|c| c.partner_id == "iederin").unwrap();
    assert!(
        iederin
            .staff_override
            .as_deref()
            .is_some_and(|n| n.contains("staf@vng.nl")),
        "{iederin:?}"
    );
    // The answers settled in the browser, and the local contact asked.
    let lfb = cons.iter().find(|c| c.partner_id == "lfb").unwrap();
    assert_eq!(lfb.standing(), intake::domain::Standing::Support);
    assert!(
        store::consult::answers_to_settle(db)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        cons.iter()
            .any(|c| c.partner_id.starts_with(intake::domain::LOCAL_PREFIX)),
        "{cons:?}"
    );
    let letters = std::fs::read_dir(&ws.app.outbox)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("decision") || n.contains("selected")
        })
        .count();
    assert!(letters > 0, "no decision letters in the outbox");
}
