//! `local-api`: the whole API on one port, for development and for the end-to-end tests.
//!
//! ```text
//! local-api                      serve every route of template.yaml on $PORT (default 8000)
//! local-api mint-token USER_ID   print a 15-minute HS256 JWT for USER_ID (needs BETTER_AUTH_SECRET)
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use local_api::postgres::LocalPostgres;
use local_api::template::Template;
use shared::auth::jwt::{SharedSecretClaims, issue_hs256};
use shared::config::{Config, Secret};
use shared::db::ConnectOptions;
use shared::{State, migrations};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tokio_postgres=warn".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => serve().await,
        Some("mint-token") => mint_token(&args[1..]),
        Some(other) => Err(format!(
            "unknown command {other:?}; try `local-api` or `local-api mint-token USER_ID`"
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
        env.insert(
            "BETTER_AUTH_SECRET".into(),
            shared::auth::ids::random_id() + &shared::auth::ids::random_id(),
        );
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
    let applied = migrations::run(&ConnectOptions::from_url(config.database_url.expose())?).await?;
    tracing::info!(applied = ?applied, "migrations up to date");

    let template = Template::parse(local_api::TEMPLATE_YAML, |parameter| match parameter {
        "CorsOrigins" => env.get("CORS_ORIGINS").cloned(),
        _ => None,
    })?;
    let state = Arc::new(State::from_config(config).await?);
    let router = local_api::server::router(state, &template)?;
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    tracing::info!(
        "local API on http://localhost:{port} ({} routes; CORS origins {:?})",
        template.routes.len(),
        template.cors.allow_origins
    );
    local_api::server::serve(listener, router, shutdown_signal()).await?;
    tracing::info!("shutting down");
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
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
        exp: now + 15 * 60,
    };
    println!("{}", issue_hs256(&Secret::new(secret), &claims));
    Ok(())
}
