//! Logging of the `intake` binary, to stderr (stdout is for what a command prints).
//!
//! Two formats: `text` for people (the level, the message and the event's own fields on one
//! line; no span context, no module path; colour only when stderr is a terminal and `NO_COLOR`
//! is unset; a timestamp only for the daemon, whose lines are read later) and `json` for log
//! shipping (one object per line: timestamp, level, target, fields, the current span and the
//! span list, with typed values).
//!
//! How much: one-shot commands (`run --once`, `ingest`, the staff commands) log warnings and
//! errors only, the daemon (`run`) information too; each `-v` one step more, each `-q` one
//! less. `RUST_LOG` overrides all of this. Never log mail bodies, attachment text or secrets.

use std::fmt;
use std::io::IsTerminal as _;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer as _;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The log format on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log shipping.
    Json,
}

/// The levels from silent to everything, in `-q`/`-v` steps.
const LADDER: [LevelFilter; 6] = [
    LevelFilter::OFF,
    LevelFilter::ERROR,
    LevelFilter::WARN,
    LevelFilter::INFO,
    LevelFilter::DEBUG,
    LevelFilter::TRACE,
];

/// The level a command logs at: WARN for one-shot commands, INFO for the daemon, each `-v` one
/// step more and each `-q` one step less.
pub fn level(daemon: bool, verbose: u8, quiet: u8) -> LevelFilter {
    let base: i32 = if daemon { 3 } else { 2 };
    let i = (base + i32::from(verbose) - i32::from(quiet)).clamp(0, LADDER.len() as i32 - 1);
    LADDER[i as usize]
}

/// The filter for `level`: our own crate and everything else at `level`, the chatty parser and
/// database crates at most WARN (sqlx) or ERROR (lopdf, pdf-extract) unless everything is asked
/// for (TRACE).
pub fn directives(level: LevelFilter) -> String {
    if level == LevelFilter::TRACE {
        return "trace".to_string();
    }
    let at_most = |cap: LevelFilter| std::cmp::min(level, cap);
    format!(
        "{level},sqlx={},lopdf={},pdf_extract={}",
        at_most(LevelFilter::WARN),
        at_most(LevelFilter::ERROR),
        at_most(LevelFilter::ERROR)
    )
}

/// Whether text logs get colour: stderr is a terminal, `NO_COLOR` is unset, `TERM` is not `dumb`.
pub fn colour_wanted() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// Sets up logging to stderr. `RUST_LOG`, when set, replaces the level filter.
pub fn init(format: LogFormat, level: LevelFilter, daemon: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(directives(level)));
    let _ = tracing_subscriber::registry()
        .with(layer(format, colour_wanted(), daemon, std::io::stderr).with_filter(filter))
        .try_init();
}

/// The formatting layer for `format`, writing to `writer`.
pub fn layer<S, W>(
    format: LogFormat,
    colour: bool,
    timestamps: bool,
    writer: W,
) -> Box<dyn tracing_subscriber::Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(colour)
            .event_format(Text { timestamps })
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            .fmt_fields(JsonFields)
            .event_format(Json)
            .boxed(),
    }
}

/// The text format: `[2026-03-21 14:02:07 ]WARN  message key=value …`.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    /// Start each line with the local date and time (the daemon's lines are read later).
    pub timestamps: bool,
}

impl<S, N> FormatEvent<S, N> for Text
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if self.timestamps {
            write!(w, "{} ", chrono::Local::now().format("%Y-%m-%d %H:%M:%S"))?;
        }
        let level = *event.metadata().level();
        if w.has_ansi_escapes() {
            let colour = match level {
                Level::ERROR => "\x1b[1;31m",
                Level::WARN => "\x1b[33m",
                Level::INFO => "\x1b[32m",
                Level::DEBUG => "\x1b[34m",
                Level::TRACE => "\x1b[35m",
            };
            write!(w, "{colour}{level:<5}\x1b[0m ")?;
        } else {
            write!(w, "{level:<5} ")?;
        }
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// The JSON format, in the shape of tracing-subscriber's own: `timestamp`, `level`, `target`,
/// `fields` (with `message`), `span` (the innermost) and `spans` (outermost first).
#[derive(Debug, Clone, Copy)]
pub struct Json;

impl<S> FormatEvent<S, JsonFields> for Json
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut fields = Map::new();
        event.record(&mut JsonVisitor(&mut fields));
        let mut spans = Vec::new();
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let mut object = Map::new();
                object.insert("name".into(), Value::from(span.name()));
                if let Some(stored) = span.extensions().get::<FormattedFields<JsonFields>>()
                    && let Ok(Value::Object(map)) = serde_json::from_str::<Value>(stored)
                {
                    object.extend(map);
                }
                spans.push(Value::Object(object));
            }
        }
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            Value::from(
                chrono::Utc::now()
                    .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                    .to_string(),
            ),
        );
        line.insert("level".into(), Value::from(meta.level().as_str()));
        line.insert("target".into(), Value::from(meta.target()));
        line.insert("fields".into(), Value::Object(fields));
        if let Some(current) = spans.last() {
            line.insert("span".into(), current.clone());
        }
        if !spans.is_empty() {
            line.insert("spans".into(), Value::Array(spans));
        }
        let text = serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(w, "{text}")
    }
}

/// Span fields for the JSON format, stored as a JSON object text per span.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonFields;

impl<'w> FormatFields<'w> for JsonFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        mut writer: Writer<'w>,
        fields: R,
    ) -> fmt::Result {
        let mut map = Map::new();
        fields.record(&mut JsonVisitor(&mut map));
        let text = serde_json::to_string(&Value::Object(map)).map_err(|_| fmt::Error)?;
        writer.write_str(&text)
    }

    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut map = match serde_json::from_str::<Value>(&current.fields) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        fields.record(&mut JsonVisitor(&mut map));
        current.fields = serde_json::to_string(&Value::Object(map)).map_err(|_| fmt::Error)?;
        Ok(())
    }
}

/// Collects fields as typed JSON values.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().into(), Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Logs one warning inside a span with `format`, and returns what was written.
    fn logged(format: LogFormat, colour: bool) -> String {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = Arc::clone(&out);
        let writer = move || Sink(Arc::clone(&sink));
        let subscriber = tracing_subscriber::registry().with(layer(format, colour, false, writer));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("deliver", key = "confirmation:KVN-0001", attempt = 2);
            let _entered = span.enter();
            tracing::warn!(retry_in_secs = 60u64, error = %"451 try later", "letter postponed");
        });
        let bytes = out.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_text_line_has_the_level_the_message_and_the_event_fields_but_no_span_or_escape() {
        assert_eq!(
            logged(LogFormat::Text, false),
            "WARN  letter postponed retry_in_secs=60 error=451 try later\n"
        );
    }

    #[test]
    fn colour_is_only_added_when_asked_for() {
        let line = logged(LogFormat::Text, true);
        assert!(
            line.starts_with("\x1b[33mWARN \x1b[0m letter postponed"),
            "{line:?}"
        );
    }

    #[test]
    fn a_json_line_carries_typed_fields_and_the_span_context() {
        let line = logged(LogFormat::Json, false);
        assert_eq!(line.lines().count(), 1, "{line}");
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["target"], "intake::cli::logging::tests");
        assert_eq!(v["fields"]["message"], "letter postponed");
        assert_eq!(v["fields"]["retry_in_secs"], 60);
        assert_eq!(v["fields"]["error"], "451 try later");
        assert_eq!(v["span"]["name"], "deliver");
        assert_eq!(v["span"]["key"], "confirmation:KVN-0001");
        assert_eq!(v["spans"][0]["attempt"], 2);
        assert!(
            v["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{v}"
        );
    }

    #[test]
    fn one_shot_commands_log_warnings_and_the_daemon_information_by_default() {
        assert_eq!(level(false, 0, 0), LevelFilter::WARN);
        assert_eq!(level(true, 0, 0), LevelFilter::INFO);
    }

    #[test]
    fn each_v_adds_a_level_and_each_q_takes_one_away_within_the_ladder() {
        assert_eq!(level(false, 1, 0), LevelFilter::INFO);
        assert_eq!(level(false, 2, 0), LevelFilter::DEBUG);
        assert_eq!(level(false, 9, 0), LevelFilter::TRACE);
        assert_eq!(level(false, 0, 1), LevelFilter::ERROR);
        assert_eq!(level(false, 0, 2), LevelFilter::OFF);
        assert_eq!(level(true, 0, 1), LevelFilter::WARN);
        assert_eq!(level(true, 0, 9), LevelFilter::OFF);
    }

    #[test]
    fn the_parser_crates_stay_quiet_unless_everything_is_asked_for() {
        assert_eq!(
            directives(LevelFilter::WARN),
            "warn,sqlx=warn,lopdf=error,pdf_extract=error"
        );
        assert_eq!(
            directives(LevelFilter::DEBUG),
            "debug,sqlx=warn,lopdf=error,pdf_extract=error"
        );
        assert_eq!(
            directives(LevelFilter::ERROR),
            "error,sqlx=error,lopdf=error,pdf_extract=error"
        );
        assert_eq!(
            directives(LevelFilter::OFF),
            "off,sqlx=off,lopdf=off,pdf_extract=off"
        );
        assert_eq!(directives(LevelFilter::TRACE), "trace");
    }
}
