//! The stylesheet and the small script of the workspace, compiled into the binary (nothing
//! from a CDN, nothing to install beside it). Served under `/static/` without a session:
//! they hold no data.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("assets/workspace.css");
const JS: &str = include_str!("assets/workspace.js");

/// `GET /static/{file}`.
pub async fn file(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "workspace.css" => (CSS, "text/css; charset=utf-8"),
        "workspace.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    resp
}
