//! The `migrate` function: applies the schema migrations. It has no route.
//!
//! Two ways in, told apart by the event:
//! - a CloudFormation custom-resource event (`RunMigrations` in template.yaml, on every deploy
//!   that publishes a new version): Create and Update run the migrations, Delete does nothing;
//!   either way the outcome is PUT to the event's `ResponseURL`, which is the only thing
//!   CloudFormation listens to (a function error would leave the stack waiting);
//! - anything else, normally `{}` (`sam remote invoke MigrateFunction --event '{}'`): run the
//!   migrations and return `{"applied": [...]}`, or fail the invocation with the reason.
//!
//! The secret is fetched and the database connected inside the handler, per invocation: a
//! failure is then reported to CloudFormation instead of killing the init, which would leave
//! the deploy hanging until its timeout. Nothing here panics on bad input.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use shared::better_auth::options::Options;
use shared::config::{ConfigError, load_database_url};
use shared::db::{ConnectError, ConnectOptions};
use shared::migrations::MigrationError;

pub use lambda_runtime::Error;

/// `PhysicalResourceId` of the custom resource on Create. Update and Delete echo the one they
/// got: answering an Update with another id would make CloudFormation delete the "old" one.
pub const PHYSICAL_RESOURCE_ID: &str = "migrations";

/// Time kept back from the invocation's deadline for sending the response.
const RESPONSE_MARGIN: Duration = Duration::from_secs(20);
/// Upper bound of the response PUT (S3 answers in well under a second).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(15);
/// CloudFormation refuses response bodies over 4096 bytes; the reason is the only long part.
const MAX_REASON_CHARS: usize = 1500;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error("migrations did not finish within {0:?}")]
    TimedOut(Duration),
}

/// What the handler needs to know about the invocation besides its event.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// How long the migrations may take: the time left before Lambda stops the function, less
    /// a margin for the response, so a migration stuck on a lock still gets a FAILED response
    /// out instead of leaving CloudFormation waiting.
    pub time_budget: Duration,
    /// The CloudWatch log stream, named in a FAILED reason so the deployer finds the details.
    pub log_stream: Option<String>,
}

impl Invocation {
    pub fn from_context(context: &lambda_runtime::Context) -> Invocation {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        let left = Duration::from_millis(context.deadline.saturating_sub(now_ms));
        Invocation {
            time_budget: left
                .saturating_sub(RESPONSE_MARGIN)
                .max(Duration::from_secs(1)),
            log_stream: Some(context.env_config.log_stream.clone()).filter(|s| !s.is_empty()),
        }
    }
}

/// The database URL for migrations: a Neon pooler host (`ep-x-123-pooler.region.aws.neon.tech`)
/// becomes the endpoint's direct host (`ep-x-123.region.aws.neon.tech`). Migrations hold a
/// session advisory lock and run multi-statement transactions, which a transaction-mode
/// pooler (PgBouncer) cannot keep on one server connection. Any other URL is returned as is.
pub fn direct_url(database_url: &str) -> String {
    let Ok(mut url) = url::Url::parse(database_url) else {
        return database_url.to_owned();
    };
    let Some(host) = url.host_str() else {
        return database_url.to_owned();
    };
    let (first, rest) = host.split_once('.').unwrap_or((host, ""));
    let Some(endpoint) = first.strip_suffix("-pooler").filter(|e| !e.is_empty()) else {
        return database_url.to_owned();
    };
    let direct = if rest.is_empty() {
        endpoint.to_owned()
    } else {
        format!("{endpoint}.{rest}")
    };
    match url.set_host(Some(&direct)) {
        Ok(()) => url.into(),
        Err(_) => database_url.to_owned(),
    }
}

/// Reads `DATABASE_URL` (from the secret when `SECRET_ARN` is set), connects directly and
/// applies the pending migrations, then adds the columns of the `user.additionalFields` in
/// `BETTER_AUTH_OPTIONS` (the functions' own options, so a deploy that adds a field adds its
/// column before any function reads it); returns their names.
pub async fn migrate(env: &HashMap<String, String>) -> Result<Vec<String>, MigrateError> {
    let auth_options = match env.get("BETTER_AUTH_OPTIONS") {
        None => Options::default(),
        Some(json) => Options::parse(json).map_err(|reason| ConfigError::Invalid {
            name: "BETTER_AUTH_OPTIONS",
            reason,
        })?,
    };
    let database_url = load_database_url(env).await?;
    let options = ConnectOptions::from_url(&direct_url(database_url.expose()))?;
    Ok(shared::migrations::run(&options, &auth_options.user.additional_fields).await?)
}

/// [`migrate`], failing with [`MigrateError::TimedOut`] after `budget`.
async fn migrate_within(
    env: &HashMap<String, String>,
    budget: Duration,
) -> Result<Vec<String>, MigrateError> {
    // Boxed: the secret fetch, the connection and refinery nest deep enough to overflow the
    // compiler's layout recursion limit for the Lambda service future otherwise.
    tokio::time::timeout(budget, Box::pin(migrate(env)))
        .await
        .unwrap_or(Err(MigrateError::TimedOut(budget)))
}

/// Handles one invocation; see the module documentation.
pub async fn handle(
    env: &HashMap<String, String>,
    event: Value,
    invocation: &Invocation,
) -> Result<Value, Error> {
    match CustomResourceEvent::from(&event) {
        Some(request) => respond_to_cloudformation(env, request, invocation).await,
        None => {
            let applied = migrate_within(env, invocation.time_budget)
                .await
                .inspect_err(|err| shared::tracing::error!(error = %err, "migrations failed"))?;
            shared::tracing::info!(?applied, "migrations up to date");
            Ok(json!({ "applied": applied }))
        }
    }
}

/// The parts of a custom-resource request the response needs.
struct CustomResourceEvent {
    request_type: String,
    response_url: String,
    stack_id: Value,
    request_id: Value,
    logical_resource_id: Value,
    physical_resource_id: Option<String>,
}

impl CustomResourceEvent {
    /// `Some` for anything with a `ResponseURL`: CloudFormation waits for an answer there.
    fn from(event: &Value) -> Option<CustomResourceEvent> {
        let response_url = event.get("ResponseURL")?.as_str()?.to_owned();
        let text = |name: &str| event.get(name).and_then(Value::as_str);
        Some(CustomResourceEvent {
            request_type: text("RequestType").unwrap_or_default().to_owned(),
            response_url,
            stack_id: event.get("StackId").cloned().unwrap_or(Value::Null),
            request_id: event.get("RequestId").cloned().unwrap_or(Value::Null),
            logical_resource_id: event
                .get("LogicalResourceId")
                .cloned()
                .unwrap_or(Value::Null),
            physical_resource_id: text("PhysicalResourceId").map(str::to_owned),
        })
    }
}

async fn respond_to_cloudformation(
    env: &HashMap<String, String>,
    request: CustomResourceEvent,
    invocation: &Invocation,
) -> Result<Value, Error> {
    shared::tracing::info!(request_type = %request.request_type, "custom resource request");
    let outcome: Result<String, String> = match request.request_type.as_str() {
        "Create" | "Update" => match migrate_within(env, invocation.time_budget).await {
            Ok(applied) if applied.is_empty() => Ok("no pending migrations".to_owned()),
            Ok(applied) => Ok(format!(
                "applied {} migration(s): {}",
                applied.len(),
                applied.join(", ")
            )),
            Err(err) => {
                shared::tracing::error!(error = %err, "migrations failed");
                let mut reason = err.to_string();
                if let Some(stream) = &invocation.log_stream {
                    reason.push_str(&format!(" (see CloudWatch log stream {stream})"));
                }
                Err(reason)
            }
        },
        // The schema outlives the stack: the database keeps users' data (and Better Auth's).
        "Delete" => Ok("nothing to do on Delete: the schema is kept".to_owned()),
        other => Err(format!("unknown RequestType {other:?}")),
    };
    let (status, reason) = match outcome {
        Ok(reason) => ("SUCCESS", reason),
        Err(reason) => ("FAILED", reason),
    };
    let physical_resource_id = match request.request_type.as_str() {
        "Create" => None,
        _ => request.physical_resource_id.clone(),
    }
    .unwrap_or_else(|| PHYSICAL_RESOURCE_ID.to_owned());
    let body = json!({
        "Status": status,
        "Reason": truncate(&reason, MAX_REASON_CHARS),
        "PhysicalResourceId": physical_resource_id,
        "StackId": request.stack_id,
        "RequestId": request.request_id,
        "LogicalResourceId": request.logical_resource_id,
        "NoEcho": false,
        "Data": {},
    });
    // A failed PUT is the one error returned to Lambda: CloudFormation invokes asynchronously,
    // so Lambda retries the invocation (migrations are idempotent), the only way left to get
    // an answer to CloudFormation before its ServiceTimeout.
    put_response(&request.response_url, &body)
        .await
        .inspect_err(|err| shared::tracing::error!(error = %err, "could not send the response"))?;
    shared::tracing::info!(status, reason = %body["Reason"], "response sent to CloudFormation");
    Ok(body)
}

/// PUTs the response as CloudFormation's own cfn-response module does: an empty Content-Type,
/// because the pre-signed URL was signed with one and S3 refuses any other.
async fn put_response(url: &str, body: &Value) -> Result<(), Error> {
    let client = reqwest::Client::builder()
        .timeout(RESPONSE_TIMEOUT)
        .build()?;
    let text = body.to_string();
    let response = client
        .put(url)
        .header(reqwest::header::CONTENT_TYPE, "")
        .body(text)
        .send()
        .await?;
    if !response.status().is_success() {
        let status = response.status();
        let detail = response.text().await.unwrap_or_default();
        return Err(format!(
            "the response URL answered {status}: {}",
            truncate(&detail, 300)
        )
        .into());
    }
    Ok(())
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The Lambda entry point: logging, then one [`handle`] per event.
pub async fn run() -> Result<(), Error> {
    shared::platform::logging::init(shared::platform::logging::LogFormat::from_env());
    let env: &'static HashMap<String, String> = Box::leak(Box::new(std::env::vars().collect()));
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| async move {
            let invocation = Invocation::from_context(&event.context);
            handle(env, event.payload, &invocation).await
        },
    ))
    .await
}

/// `migrate-cli`: applies the migrations from a shell (`DATABASE_URL`, or `SECRET_ARN` with
/// AWS credentials in the environment). Prints what it applied; exit status 1 on failure.
pub async fn cli(
    args: &[String],
    env: &HashMap<String, String>,
    out: &mut dyn std::io::Write,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    if !args.is_empty() {
        let _ = writeln!(
            out,
            "usage: migrate-cli\n\nApplies the pending schema migrations to DATABASE_URL (or to \
             the DATABASE_URL in the Secrets Manager secret SECRET_ARN). A Neon pooler host is \
             replaced by its direct host."
        );
        return if args.iter().any(|a| a == "-h" || a == "--help") {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    match migrate(env).await {
        Ok(applied) if applied.is_empty() => {
            let _ = writeln!(out, "no pending migrations");
            ExitCode::SUCCESS
        }
        Ok(applied) => {
            for name in applied {
                let _ = writeln!(out, "applied {name}");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            let _ = writeln!(out, "migrate-cli: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neon_pooler_host_becomes_the_direct_host() {
        assert_eq!(
            direct_url(
                "postgresql://alex:p%40ss@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require"
            ),
            "postgresql://alex:p%40ss@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require"
        );
    }

    #[test]
    fn other_hosts_are_left_alone() {
        for url in [
            "postgresql://alex@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb",
            "postgres://postgres@127.0.0.1:5432/app?sslmode=disable",
            "postgres://u@db.pooler-example.com/app",
            "postgres://u@-pooler.example.com/app",
            "not a url",
        ] {
            assert_eq!(direct_url(url), url);
        }
    }

    #[test]
    fn long_reasons_are_cut_on_a_character_boundary() {
        assert_eq!(truncate("ééé", 2), "éé…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
