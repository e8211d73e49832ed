//! `local-api`: the whole API on one port, for development and for the end-to-end tests.
//!
//! ```text
//! local-api                      serve every route of template.yaml on $PORT (default 8000)
//! local-api mint-token USER_ID   print a 15-minute HS256 JWT for USER_ID (needs BETTER_AUTH_SECRET)
//! local-api postgres [-c NAME=VALUE]... [--log FILE]
//!                                start a throwaway PostgreSQL (with those server settings, its
//!                                log in FILE), print its URL, keep it up until SIGTERM or
//!                                Ctrl-C, then stop it and delete its data
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use local_api::postgres::{LocalPostgres, PostgresOptions};
use local_api::template::Template;
use shared::better_auth::ids::random_id;
use shared::better_auth::jwt::{SharedSecretClaims, issue_hs256};
use shared::config::{Config, Secret};
use shared::db::ConnectOptions;
use shared::platform::logging;
use shared::{State, migrations};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The same caps as in Lambda: RUST_LOG=debug cannot make tokio-postgres print SQL
    // parameters (the encrypted signing key among them).
    logging::init(logging::LogFormat::Local);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => serve().await,
        Some("mint-token") => mint_token(&args[1..]),
        Some("postgres") => postgres(&args[1..]).await,
        Some(other) => Err(format!(
            "unknown command {other:?}; try `local-api`, `local-api mint-token USER_ID` or \
             `local-api postgres`"
        )
        .into()),
    }
}

async fn serve() -> Result<(), BoxError> {
    let mut env: HashMap<String, String> = std::env::vars().collect();
    let port: u16 = env
        .get("PORT")
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(8000);
    env.entry("BETTER_AUTH_URL".into())
        .or_insert_with(|| format!("http://localhost:{port}"));
    if !env.contains_key("BETTER_AUTH_SECRET") {
        tracing::warn!(
            "BETTER_AUTH_SECRET is not set: using a random development secret; sessions and \
             tokens will not survive a restart"
        );
        env.insert("BETTER_AUTH_SECRET".into(), random_id() + &random_id());
    }
    // No mail settings: mail goes to a folder, and each link to the log, so a reset or a
    // verification can be clicked through with no AWS and no mail server.
    if !env.contains_key("EMAIL_OUTBOX_DIR") && !env.contains_key("EMAIL_FROM") {
        let outbox = std::env::temp_dir().join("local-api-outbox");
        tracing::info!(
            folder = %outbox.display(),
            "mail goes to the outbox folder (EMAIL_OUTBOX_DIR): one JSON file per mail, and its link printed here"
        );
        env.insert("EMAIL_OUTBOX_DIR".into(), outbox.display().to_string());
        env.entry("EMAIL_OUTBOX_PRINT_LINKS".into())
            .or_insert_with(|| "true".into());
    }
    // No DATABASE_URL: a throwaway cluster, deleted on exit.
    let local_postgres = match env.get("DATABASE_URL") {
        Some(_) => None,
        None => {
            tracing::info!("DATABASE_URL is not set: starting a throwaway PostgreSQL");
            let cluster = tokio::task::spawn_blocking(LocalPostgres::start).await??;
            env.insert("DATABASE_URL".into(), cluster.url("postgres"));
            tracing::info!(port = cluster.port(), "throwaway PostgreSQL is up");
            Some(cluster)
        }
    };

    let result = run(env, port).await;
    if let Some(cluster) = local_postgres {
        tokio::task::spawn_blocking(move || cluster.stop()).await?;
        tracing::info!("throwaway PostgreSQL stopped and removed");
    }
    result
}

async fn run(env: HashMap<String, String>, port: u16) -> Result<(), BoxError> {
    let config = Config::from_sources(&env, None)?;
    let applied = migrations::run(
        &ConnectOptions::from_url(config.database_url.expose())?,
        config.user_fields(),
    )
    .await?;
    tracing::info!(applied = ?applied, "migrations up to date");

    let template = Template::parse(local_api::TEMPLATE_YAML, |parameter| match parameter {
        "CorsOrigins" => env.get("CORS_ORIGINS").cloned(),
        _ => None,
    })?;
    let state = Arc::new(State::from_config(config).await?);
    let router = local_api::server::router(state, &template)?;
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    let shutdown = shutdown_signal();
    tracing::info!(
        "local API on http://localhost:{port} ({} routes; CORS origins {:?})",
        template.routes.len(),
        template.cors.allow_origins
    );
    local_api::server::serve(listener, router, shutdown).await?;
    tracing::info!("shutting down");
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled, so a signal sent right after startup is not missed.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).expect("SIGINT handler");
    let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler");
    async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    }
}

/// The throwaway cluster local-api itself uses, for scripts: the URL is the one line on
/// stdout (logs go to stderr), so `url=$(head -1 file)` works once the file is non-empty.
async fn postgres(args: &[String]) -> Result<(), BoxError> {
    let mut options = PostgresOptions::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("-c", Some(setting)) if setting.contains('=') => {
                options.settings.push(setting.clone())
            }
            ("--log", Some(file)) => options.log_file = Some(file.into()),
            _ => return Err("usage: local-api postgres [-c NAME=VALUE]... [--log FILE]".into()),
        }
    }
    let shutdown = shutdown_signal();
    let cluster = tokio::task::spawn_blocking(move || LocalPostgres::start_with(options)).await??;
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", cluster.url("postgres"))?;
        stdout.flush()?;
    }
    tracing::info!(
        port = cluster.port(),
        "throwaway PostgreSQL is up; SIGTERM or Ctrl-C stops it"
    );
    shutdown.await;
    tokio::task::spawn_blocking(move || cluster.stop()).await?;
    tracing::info!("throwaway PostgreSQL stopped and removed");
    Ok(())
}

fn mint_token(args: &[String]) -> Result<(), BoxError> {
    let [user_id] = args else {
        return Err("usage: local-api mint-token USER_ID".into());
    };
    let secret = std::env::var("BETTER_AUTH_SECRET").map_err(
        |_| "mint-token signs with BETTER_AUTH_SECRET; set it to the secret local-api runs with",
    )?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let claims = SharedSecretClaims {
        sub: user_id,
        email: "",
        name: "",
        iat: now,
        exp: now + shared::better_auth::jwt::JWT_LIFETIME_SECONDS,
    };
    println!("{}", issue_hs256(&Secret::new(secret), &claims));
    Ok(())
}
