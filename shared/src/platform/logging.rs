//! Log lines, in one place for the Lambda functions and local-api alike: JSON in Lambda (one
//! object per line, the request id on each), text elsewhere, and the level caps that keep
//! library loggers from printing secrets whatever `RUST_LOG` asks for.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (CloudWatch with `LoggingConfig.LogFormat: JSON`): `timestamp`,
    /// `level`, `message`, the fields of every enclosing span (so `requestId` during an
    /// invocation), the event's fields, `target`.
    Json,
    /// Human-readable text, the span context in front (`Lambda runtime invoke{requestId=…}:`),
    /// without timestamps (CloudWatch stamps every line).
    Text,
    /// Text for a developer's terminal (local-api), on stderr so a command's stdout stays its
    /// output: timestamps, and colours when stderr is a terminal.
    Local,
}

impl LogFormat {
    /// `Json` when Lambda's `AWS_LAMBDA_LOG_FORMAT` is `JSON` (the template sets it), `Text`
    /// otherwise (`cargo lambda watch`, a terminal).
    pub fn from_env() -> LogFormat {
        match std::env::var("AWS_LAMBDA_LOG_FORMAT") {
            Ok(format) if format.eq_ignore_ascii_case("json") => LogFormat::Json,
            _ => LogFormat::Text,
        }
    }
}

/// Logs to stdout in `format` (stderr for [`LogFormat::Local`]). The filter is `RUST_LOG` (the template sets it from its
/// `LogLevel` parameter), else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`; see
/// [`dispatch`] for the levels some libraries are held below whatever the filter says. Also
/// routes the `log` crate's records (tokio-postgres, refinery) into the same output. Calling
/// it again is a no-op.
pub fn init(format: LogFormat) {
    let directives = std::env::var("RUST_LOG")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .or_else(|| std::env::var("AWS_LAMBDA_LOG_LEVEL").ok())
        .unwrap_or_default();
    let dispatch = match format {
        LogFormat::Local => dispatch(std::io::stderr, format, &directives),
        _ => dispatch(std::io::stdout, format, &directives),
    };
    if dispatch.try_init().is_err() {
        return; // already initialised
    }
    // A panic as a log line like any other, so it carries the request id. The release profile
    // aborts on panic (Cargo.toml): this line is the last the instance writes.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!(panic = %info, "panicked");
        default_hook(info);
    }));
}

/// The most verbose level a library may log at, whatever `RUST_LOG` asks for, because below it
/// the library logs secrets. Found by reading the sources of the versions in Cargo.lock:
///
/// | target | capped at | what the next level down logs |
/// |---|---|---|
/// | `tokio_postgres` | INFO | DEBUG: the SQL of `batch_execute` (the JWT signing key's insert, with the encrypted private key inline) and the parameters of prepared statements |
/// | `lambda_runtime` | DEBUG | TRACE: every raw invocation event — `Authorization` and `Cookie` headers, request bodies with passwords |
/// | `aws_smithy_runtime` | DEBUG | TRACE: whole Secrets Manager requests and responses; the SDK redacts credential headers and the `GetSecretValue` body unless `LOG_SENSITIVE_BODIES=true` is set, which this cap makes harmless |
pub const LOG_CAPS: &[(&str, LevelFilter)] = &[
    ("tokio_postgres", LevelFilter::INFO),
    ("lambda_runtime", LevelFilter::DEBUG),
    ("aws_smithy_runtime", LevelFilter::DEBUG),
];

/// The span lambda_runtime wraps each invocation in (`requestId`, `xrayTraceId`) lives in this
/// module, which logs nothing else; it is always enabled so every line carries the request id,
/// whatever the level.
const INVOCATION_SPAN_TARGET: &str = "lambda_runtime::layers::trace";

/// The subscriber [`init`] installs, writing to `writer`: `directives` in `RUST_LOG`
/// syntax (empty: `info`), then [`LOG_CAPS`] on top, which no directive can lift. Tests install
/// it with their own writer to check what production would log.
pub fn dispatch<W>(writer: W, format: LogFormat, directives: &str) -> Dispatch
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let span_directive = format!("{INVOCATION_SPAN_TARGET}=info")
        .parse()
        .expect("a valid directive");
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse_lossy(directives)
        .add_directive(span_directive);
    let caps = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(LOG_CAPS.iter().copied());
    let layer = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(FlatJson)
            .with_writer(writer)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .without_time() // CloudWatch stamps every line
            .with_writer(writer)
            .boxed(),
        LogFormat::Local => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(writer)
            .boxed(),
    };
    Dispatch::new(Registry::default().with(layer.with_filter(filter.and(caps))))
}

/// One JSON object per line with the span fields flattened to the top level, so CloudWatch
/// Logs Insights sees `requestId` as a field of every line logged during an invocation
/// (tracing-subscriber's own JSON format nests them under `span`, or only shows the innermost
/// span). Key order: `timestamp`, `level`, `message`, span fields (outermost first), event
/// fields, `target`; an event field wins over a span field of the same name.
struct FlatJson;

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        use serde_json::{Map, Value};

        let mut fields = JsonVisitor::default();
        event.record(&mut fields);

        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        line.insert("level".into(), event.metadata().level().as_str().into());
        if let Some(message) = fields.fields.remove("message") {
            line.insert("message".into(), message);
        }
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                // JsonFields stores each span's fields as a JSON object.
                if let Some(formatted) = extensions.get::<FormattedFields<N>>()
                    && let Ok(Value::Object(span_fields)) =
                        serde_json::from_str::<Value>(formatted.as_str())
                {
                    line.extend(span_fields);
                }
            }
        }
        line.extend(fields.fields);
        // Records bridged from the `log` crate name their real target in `log.target`.
        let target = fields
            .log_target
            .unwrap_or_else(|| event.metadata().target().to_owned());
        line.insert("target".into(), target.into());
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// An event's fields as JSON values, minus the `log.*` bookkeeping fields of bridged records.
#[derive(Default)]
struct JsonVisitor {
    fields: serde_json::Map<String, serde_json::Value>,
    log_target: Option<String>,
}

impl JsonVisitor {
    fn insert(&mut self, field: &Field, value: serde_json::Value) {
        match field.name() {
            "log.target" => self.log_target = value.as_str().map(str::to_owned),
            name if name.starts_with("log.") => {}
            name => {
                self.fields.insert(name.to_owned(), value);
            }
        }
    }
}

impl Visit for JsonVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.insert(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.insert(field, value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `message` arrives as `format_args!`, whose Debug is the plain text.
        self.insert(field, format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    fn capture(format: LogFormat, directives: &str, body: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        tracing::dispatcher::with_default(&dispatch(buffer.clone(), format, directives), body);
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    fn invocation(request_id: &str) -> tracing::Span {
        // Context is non_exhaustive: built by mutation, as the runtime does from its headers.
        let mut context = lambda_runtime::Context::default();
        context.request_id = request_id.into();
        context.xray_trace_id = Some("Root=1-abc".into());
        lambda_runtime::layers::trace::request_span(&context)
    }

    #[test]
    fn json_lines_carry_the_request_id_flattened() {
        let out = capture(LogFormat::Json, "", || {
            tracing::info!("outside");
            let span = invocation("req-1");
            let _entered = span.enter();
            tracing::info!(status = 200u16, path = "/x", "request");
            let inner = tracing::info_span!("inner", step = "db");
            let _inner = inner.enter();
            tracing::warn!(error = %"boom", "inside a nested span");
            tracing::debug!("filtered out at the default level");
        });
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|line| serde_json::from_str(line).expect(line))
            .collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert_eq!(lines[0]["message"], "outside");
        assert!(lines[0].get("requestId").is_none());
        assert_eq!(lines[1]["requestId"], "req-1");
        assert_eq!(lines[1]["xrayTraceId"], "Root=1-abc");
        assert_eq!(lines[1]["level"], "INFO");
        assert_eq!(lines[1]["message"], "request");
        assert_eq!(lines[1]["status"], 200);
        assert_eq!(lines[1]["path"], "/x");
        assert_eq!(lines[1]["target"], "shared::platform::logging::tests");
        assert!(lines[1]["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(lines[2]["requestId"], "req-1", "outer span fields too");
        assert_eq!(lines[2]["step"], "db");
        assert_eq!(lines[2]["error"], "boom");
        let keys: Vec<&String> = lines[1].as_object().unwrap().keys().collect();
        assert_eq!(&keys[..3], ["timestamp", "level", "message"]);
    }

    #[test]
    fn the_request_id_survives_a_quiet_filter() {
        let out = capture(LogFormat::Json, "warn", || {
            let span = invocation("req-2");
            let _entered = span.enter();
            tracing::info!("dropped");
            tracing::warn!("kept");
        });
        let line: serde_json::Value = serde_json::from_str(out.trim()).expect(&out);
        assert_eq!(line["message"], "kept");
        assert_eq!(line["requestId"], "req-2");
    }

    #[test]
    fn text_format_names_the_request_id() {
        let out = capture(LogFormat::Text, "info", || {
            let span = invocation("req-3");
            let _entered = span.enter();
            tracing::info!(status = 201u16, "request");
        });
        assert!(out.contains("requestId=\"req-3\""), "{out}");
        assert!(out.contains("request status=201"), "{out}");
        assert!(!out.starts_with('{'));
    }

    #[test]
    fn caps_hold_whatever_the_filter_says() {
        let out = capture(
            LogFormat::Json,
            "trace,tokio_postgres=trace,tokio_postgres::query=debug,lambda_runtime=trace",
            || {
                tracing::debug!(target: "tokio_postgres::simple_query", "executing statement batch: secret");
                tracing::debug!(target: "tokio_postgres::query", "parameters: secret");
                tracing::trace!(target: "lambda_runtime::layers::api_response", "raw JSON event: secret");
                tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "response: secret");
                tracing::info!(target: "tokio_postgres::connection", "NOTICE: kept");
                tracing::debug!(target: "lambda_runtime::runtime", "kept");
                tracing::trace!(target: "shared::db", "kept");
            },
        );
        assert!(!out.contains("secret"), "{out}");
        assert_eq!(out.matches("kept").count(), 3, "{out}");
    }
}
