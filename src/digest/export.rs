//! Exports of all nominations and their findings: CSV (digest attachment, `intake export
//! --format csv`) and XLSX (`intake export --format xlsx`).
//!
//! CSV dialect, chosen for Dutch Excel, which is what VNG staff open it with:
//! - **UTF-8 with a byte-order mark**: without the BOM, Excel reads a CSV as Windows-1252 and
//!   turns "Súdwest-Fryslân" into mojibake.
//! - **Semicolon separator**: with Dutch regional settings the decimal separator is the comma
//!   and Excel's list separator is the semicolon, so a double-clicked `;` file opens in columns
//!   while a `,` file lands in one column. (A `sep=;` first line would also work but makes Excel
//!   ignore the BOM.) Fields with `;`, quotes or line breaks are quoted (RFC 4180 style).
//! - Dates as `YYYY-MM-DD HH:MM` in the call's time zone, which Excel recognises and sorts.
//!
//! Both exports have the same columns, in the same order ([`headers`]).

use anyhow::Context as _;
use chrono::{Datelike as _, Timelike as _};
use chrono_tz::Tz;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook};

use super::NominationRow;
use super::labels;

/// Column headers: fixed columns, one per criterion, then the rest.
pub fn headers(criteria: &[(String, String)]) -> Vec<String> {
    let mut h: Vec<String> = [
        "Referentie",
        "Gemeente",
        "CBS-code",
        "Provincie",
        "Binnengekomen",
        "Op tijd",
        "Pagina's",
        "Telling pagina's",
        "Te lang",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    h.extend(criteria.iter().map(|(_, title)| title.clone()));
    h.extend(
        [
            "Principe",
            "Voldoet aan minimum",
            "Thema's",
            "Status",
            "Problemen",
            "Partners",
            "Lokale organisaties (niet geraadpleegd)",
            "Besluit",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    h
}

/// Index of the "Binnengekomen" and "Pagina's" columns (typed cells in XLSX).
const ARRIVED_COL: usize = 4;
const PAGES_COL: usize = 6;

/// One row as strings, in [`headers`] order.
fn cells(r: &NominationRow, criteria: &[(String, String)], tz: Tz) -> Vec<String> {
    let mut c = vec![
        r.reference.clone(),
        r.municipality.clone().unwrap_or_default(),
        r.code.clone().unwrap_or_default(),
        r.province.clone().unwrap_or_default(),
        labels::sortable_date_time(r.arrived_at, tz),
        labels::yes_no(r.on_time),
        r.pages.map(|p| p.to_string()).unwrap_or_default(),
        r.page_basis.clone().unwrap_or_default(),
        if r.page_check {
            "controleer lengte".to_string()
        } else {
            labels::yes_no(r.over_limit)
        },
    ];
    for (id, _) in criteria {
        c.push(
            r.verdicts
                .iter()
                .find(|(k, _)| k == id)
                .map(|(_, v)| v.label_nl().to_string())
                .unwrap_or_default(),
        );
    }
    c.push(r.principle.label_nl().to_string());
    c.push(labels::yes_no(r.meets_minimum));
    c.push(r.domains.join(", "));
    c.push(labels::status(&r.status));
    c.push(r.problems.join("; "));
    c.push(
        r.consultation
            .iter()
            .map(|(p, s)| format!("{p}: {}", s.label_nl()))
            .collect::<Vec<_>>()
            .join("; "),
    );
    c.push(r.local_contacts.join("; "));
    c.push(
        r.decision
            .map(|d| d.label_nl().to_string())
            .unwrap_or_default(),
    );
    c
}

/// CSV of `rows`: UTF-8 with BOM, `;`-separated, CRLF line ends, header row first.
pub fn csv(rows: &[NominationRow], criteria: &[(String, String)], tz: Tz) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let mut line = |fields: &[String]| {
        let joined = fields
            .iter()
            .map(|f| quote(f))
            .collect::<Vec<_>>()
            .join(";");
        out.extend_from_slice(joined.as_bytes());
        out.extend_from_slice(b"\r\n");
    };
    line(&headers(criteria));
    for r in rows {
        line(&cells(r, criteria, tz));
    }
    out
}

/// Quote a field when it holds a separator, a quote, a line break, or starts with a character
/// a spreadsheet would run as a formula (`=`, `+`, `-`, `@`): the text came partly from mail.
fn quote(f: &str) -> String {
    let formula = f.starts_with(['=', '+', '-', '@']);
    let f = if formula {
        format!("'{f}")
    } else {
        f.to_string()
    };
    if f.contains([';', '"', '\n', '\r', ',']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

/// XLSX of `rows`: one sheet "Voordrachten", bold header row, frozen header, filters on every
/// column, real dates and numbers where they are dates and numbers, sensible column widths.
pub fn xlsx(
    rows: &[NominationRow],
    criteria: &[(String, String)],
    tz: Tz,
) -> anyhow::Result<Vec<u8>> {
    let headers = headers(criteria);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name("Voordrachten")
        .context("failed to name the sheet")?;
    let bold = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let date = Format::new().set_num_format("dd-mm-yyyy hh:mm");
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (col, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, h, &bold)
            .context("failed to write header")?;
        let width = match col {
            0 => 12.0,
            1 => 22.0,
            ARRIVED_COL => 17.0,
            _ if h == "Problemen" || h == "Partners" => 40.0,
            _ => (h.chars().count() as f64 + 2.0).clamp(9.0, 20.0),
        };
        sheet
            .set_column_width(col as u16, width)
            .context("failed to set column width")?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        for (col, value) in cells(r, criteria, tz).iter().enumerate() {
            let col16 = col as u16;
            if col == ARRIVED_COL {
                let l = r.arrived_at.with_timezone(&tz);
                let dt = ExcelDateTime::from_ymd(l.year() as u16, l.month() as u8, l.day() as u8)
                    .and_then(|d| d.and_hms(l.hour() as u16, l.minute() as u8, l.second() as u8))
                    .context("failed to convert arrival time")?;
                sheet
                    .write_datetime_with_format(row, col16, &dt, &date)
                    .context("failed to write date")?;
            } else if col == PAGES_COL && r.pages.is_some() {
                sheet
                    .write_number(row, col16, f64::from(r.pages.unwrap_or(0)))
                    .context("failed to write number")?;
            } else {
                sheet
                    .write_string_with_format(row, col16, value, &wrap)
                    .context("failed to write cell")?;
            }
        }
    }
    let last_col = (headers.len() - 1) as u16;
    sheet
        .autofilter(0, 0, rows.len() as u32, last_col)
        .context("failed to set filters")?;
    sheet
        .set_freeze_panes(1, 1)
        .context("failed to freeze the header row")?;
    book.save_to_buffer().context("failed to write the xlsx")
}

/// File format of `intake export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// UTF-8 with BOM, `;`-separated: opens in columns in Dutch Excel.
    Csv,
    /// An Excel workbook with real dates, filters and a frozen header row.
    Xlsx,
}

/// The export of every nomination (all versions, with their status) in `format`.
pub async fn export_bytes(
    app: &crate::app::App,
    format: ExportFormat,
) -> anyhow::Result<(Vec<u8>, usize)> {
    let call = &app.cfg.call;
    let snap = super::collect::Snapshot::load(&app.db).await?;
    let rows = super::collect::nomination_rows(call, &snap, true);
    let criteria: Vec<(String, String)> = call
        .criteria
        .iter()
        .map(|c| (c.id.clone(), c.title.clone()))
        .collect();
    let bytes = match format {
        ExportFormat::Csv => csv(&rows, &criteria, call.time_zone),
        ExportFormat::Xlsx => xlsx(&rows, &criteria, call.time_zone)?,
    };
    Ok((bytes, rows.len()))
}
