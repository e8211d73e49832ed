//! The secret from AWS Secrets Manager through the real SDK (`aws_config` defaults, signing,
//! endpoint resolution, HTTP), against moto's local Secrets Manager. Each case passes its own
//! environment to `Config::load_from`, so nothing process-global changes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use api_tests::moto;
use shared::config::{Config, ConfigError, load_database_url};

const GOOD_SECRET: &str = "moto-secret-0123456789abcdef0123456789abcdef";

/// Init must fail or succeed well inside Lambda's 10 s init phase. ("Does not hang" guard.)
const QUICK: Duration = Duration::from_secs(8);

/// A function's environment in Lambda, pointed at moto, plus `extra`.
fn env(secret_arn: &str, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = moto::aws_env(secret_arn).into_iter().collect();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

fn assert_no_secret_in(err: &ConfigError, secret_value: &str) {
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(secret_value),
        "the error shows the secret: {text}"
    );
}

#[tokio::test]
async fn a_good_secret_loads_and_its_database_url_wins_over_the_environment() {
    api_tests::require_tool!(moto::available());
    let arn = moto::create_secret(&format!(
        r#"{{"BETTER_AUTH_SECRET":"{GOOD_SECRET}","DATABASE_URL":"postgres://from-secret/db?sslmode=require"}}"#
    ))
    .await;
    let config = Config::load_from(&env(
        &arn,
        &[
            ("DATABASE_URL", "postgres://from-environment/db"),
            ("BETTER_AUTH_URL", "https://api.example.com"),
        ],
    ))
    .await
    .expect("the secret loads");
    assert_eq!(config.auth_secret.expose(), GOOD_SECRET);
    assert_eq!(
        config.database_url.expose(),
        "postgres://from-secret/db?sslmode=require"
    );
    assert_eq!(config.issuer(), "https://api.example.com");
    assert_eq!(format!("{:?}", config.auth_secret), "[redacted]");

    // The migrate function reads only the URL, the same way.
    let url = load_database_url(&env(
        &arn,
        &[("DATABASE_URL", "postgres://from-environment/db")],
    ))
    .await
    .unwrap();
    assert_eq!(url.expose(), "postgres://from-secret/db?sslmode=require");
}

#[tokio::test]
async fn a_secret_without_database_url_falls_back_to_the_environment() {
    api_tests::require_tool!(moto::available());
    let arn = moto::create_secret(&format!(r#"{{"BETTER_AUTH_SECRET":"{GOOD_SECRET}"}}"#)).await;
    let config = Config::load_from(&env(&arn, &[("DATABASE_URL", "postgres://env/db")]))
        .await
        .unwrap();
    assert_eq!(config.database_url.expose(), "postgres://env/db");
}

#[tokio::test]
async fn a_short_auth_secret_is_refused() {
    api_tests::require_tool!(moto::available());
    let short = "only-twenty-chars-xx";
    let arn = moto::create_secret(&format!(
        r#"{{"BETTER_AUTH_SECRET":"{short}","DATABASE_URL":"postgres://x/db"}}"#
    ))
    .await;
    let err = Config::load_from(&env(&arn, &[])).await.unwrap_err();
    assert!(matches!(err, ConfigError::SecretTooShort(20)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "BETTER_AUTH_SECRET must be at least 32 characters (it has 20)"
    );
    assert_no_secret_in(&err, short);
}

#[tokio::test]
async fn a_secret_that_is_not_json_is_a_clear_error() {
    api_tests::require_tool!(moto::available());
    let value = format!("BETTER_AUTH_SECRET={GOOD_SECRET}");
    let arn = moto::create_secret(&value).await;
    let err = Config::load_from(&env(&arn, &[])).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not read the secret from Secrets Manager: the secret is not a JSON object"
    );
    assert_no_secret_in(&err, GOOD_SECRET);
}

#[tokio::test]
async fn a_missing_secret_is_a_clear_error_naming_it() {
    api_tests::require_tool!(moto::available());
    moto::endpoint();
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-secret-AbCdEf";
    let err = Config::load_from(&env(arn, &[])).await.unwrap_err();
    assert!(matches!(err, ConfigError::SecretsManager(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "could not read the secret from Secrets Manager: secret \"{arn}\" not found \
             (ResourceNotFoundException)"
        )
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_fails_quickly_with_a_clear_error() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{closed_port}");
    let env: HashMap<String, String> = moto::aws_env_with_endpoint("some-secret", &endpoint)
        .into_iter()
        .collect();
    let started = Instant::now();
    let err = Config::load_from(&env).await.unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("unreachable Secrets Manager endpoint: failed after {elapsed:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "could not read the secret from Secrets Manager: could not reach Secrets Manager at \
             {endpoint}: "
        )),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
    assert!(elapsed < QUICK, "took {elapsed:?}");
}

#[tokio::test]
async fn an_endpoint_that_never_answers_times_out_within_the_init_phase() {
    // Accepts connections and reads, never answers: a black hole, without leaving localhost.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let env: HashMap<String, String> = moto::aws_env_with_endpoint("some-secret", &endpoint)
        .into_iter()
        .collect();
    let started = Instant::now();
    let err = Config::load_from(&env).await.unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("silent Secrets Manager endpoint: failed after {elapsed:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "could not read the secret from Secrets Manager: no answer from Secrets Manager at \
             {endpoint} within 5s"
        )
    );
    assert!(elapsed < QUICK, "took {elapsed:?}");
}

#[tokio::test]
async fn an_auth_secret_arn_supplies_the_shared_better_auth_secret_and_wins() {
    api_tests::require_tool!(moto::available());
    let stack = moto::create_secret(
        r#"{"BETTER_AUTH_SECRET":"the-stack-generated-one-0123456789abcdef","DATABASE_URL":"postgres://from-secret/db"}"#,
    )
    .await;
    // The Next.js app's secret, as a JSON object or as the bare value.
    for shared in [
        format!(r#"{{"BETTER_AUTH_SECRET":"{GOOD_SECRET}","OTHER":"x"}}"#),
        GOOD_SECRET.to_owned(),
    ] {
        let auth = moto::create_secret(&shared).await;
        let config = Config::load_from(&env(&stack, &[("AUTH_SECRET_ARN", &auth)]))
            .await
            .expect("both secrets load");
        assert_eq!(config.auth_secret.expose(), GOOD_SECRET);
        assert_eq!(config.database_url.expose(), "postgres://from-secret/db");
    }
    // A JSON secret without the key names what is missing, and never a value.
    let wrong = moto::create_secret(r#"{"SECRET":"0123456789abcdef0123456789abcdef"}"#).await;
    let err = Config::load_from(&env(&stack, &[("AUTH_SECRET_ARN", &wrong)]))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "BETTER_AUTH_SECRET (in the AUTH_SECRET_ARN secret) is not set"
    );
    assert_no_secret_in(&err, "0123456789abcdef0123456789abcdef");
}
