//! The database connection over TLS, as Lambda functions reach Neon: `sslmode` and
//! `sslrootcert` in DATABASE_URL do what libpq does with them, on a real PostgreSQL that serves
//! TLS with a certificate made here, and requires a SCRAM password like Neon.
//!
//! The server's certificate is for the host name `localhost` only, issued by a CA made here.

use std::sync::{Arc, Mutex, OnceLock};

use api_tests::Fixture;
use local_api::postgres::{LocalPostgres, PostgresOptions, TlsFiles};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use shared::db::{ConnectError, ConnectOptions, Database};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "tls-test-password";

/// The cluster and the certificate files, shared by the tests of this file.
struct TlsServer {
    port: u16,
    /// The CA that issued the server's certificate.
    ca: String,
    /// A CA that did not.
    wrong_ca: String,
}

static SERVER: OnceLock<TlsServer> = OnceLock::new();
/// Stopped, and deleted, at exit.
static CLUSTER: Mutex<Option<(LocalPostgres, tempfile::TempDir)>> = Mutex::new(None);

fn server() -> &'static TlsServer {
    SERVER.get_or_init(|| {
        let files = tempfile::Builder::new()
            .prefix("tls-test-")
            .tempdir()
            .unwrap();
        let path = |name: &str| files.path().join(name);

        let ca = make_ca("tasks-api test CA");
        let wrong_ca = make_ca("some other CA");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        // ECDSA P-256 with SHA-256: its hash is what SCRAM channel binding (tls-server-end-point)
        // uses, as with Neon's certificates.
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        std::fs::write(path("server.crt"), cert.pem()).unwrap();
        std::fs::write(path("server.key"), key.serialize_pem()).unwrap();
        std::fs::write(path("ca.pem"), ca.pem()).unwrap();
        std::fs::write(path("wrong-ca.pem"), wrong_ca.pem()).unwrap();

        let cluster = LocalPostgres::start_with(PostgresOptions {
            tls: Some(TlsFiles {
                cert: path("server.crt"),
                key: path("server.key"),
            }),
            password: Some(PASSWORD.to_owned()),
            ..PostgresOptions::default()
        })
        .unwrap_or_else(|e| panic!("cannot start a TLS PostgreSQL: {e}"));
        let port = cluster.port();
        let (ca, wrong_ca) = (path("ca.pem"), path("wrong-ca.pem"));
        *CLUSTER.lock().unwrap() = Some((cluster, files));
        // SAFETY: registering a plain extern "C" fn; it runs once at process exit.
        unsafe {
            libc::atexit(stop_cluster);
        }
        TlsServer {
            port,
            ca: ca.display().to_string(),
            wrong_ca: wrong_ca.display().to_string(),
        }
    })
}

extern "C" fn stop_cluster() {
    if let Some((cluster, files)) = CLUSTER.lock().ok().and_then(|mut c| c.take()) {
        cluster.stop();
        drop(files);
    }
}

fn make_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A URL for the TLS server at `host` with the given query string.
fn url(host: &str, query: &str) -> String {
    let port = server().port;
    format!("postgres://postgres:{PASSWORD}@{host}:{port}/postgres?{query}")
}

async fn connect(url: &str) -> Result<Database, ConnectError> {
    Database::connect(ConnectOptions::from_url(url)?).await
}

/// Whether the session the query runs on is encrypted, as the server sees it.
async fn session_is_encrypted(db: &Database) -> bool {
    let row = db
        .query_opt(
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl")
        .expect("a row for this backend");
    row.get(0)
}

// ------------------------------------------------------------------------------------------
// sslmode

#[tokio::test]
async fn require_encrypts_the_session() {
    let db = connect(&url("localhost", "sslmode=require")).await.unwrap();
    assert!(session_is_encrypted(&db).await);
}

#[tokio::test]
async fn require_accepts_a_certificate_it_cannot_verify_like_libpq() {
    // libpq's `require` encrypts without checking the certificate: the IP address is not in it
    // and no CA is given, and it still connects.
    let db = connect(&url("127.0.0.1", "sslmode=require")).await.unwrap();
    assert!(session_is_encrypted(&db).await);
}

#[tokio::test]
async fn disable_uses_plain_tcp() {
    let db = connect(&url("localhost", "sslmode=disable")).await.unwrap();
    assert!(!session_is_encrypted(&db).await);
}

#[tokio::test]
async fn verify_full_with_the_servers_ca_and_host_name_connects() {
    let ca = &server().ca;
    let db = connect(&url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await
    .unwrap();
    assert!(session_is_encrypted(&db).await);
}

#[tokio::test]
async fn verify_full_with_another_ca_is_refused_with_a_clear_error() {
    let wrong_ca = &server().wrong_ca;
    let err = connect(&url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={wrong_ca}"),
    ))
    .await
    .err()
    .expect("an untrusted certificate is refused");
    let message = err.to_string();
    assert!(matches!(err, ConnectError::Connect(_)), "{message}");
    assert!(
        message.contains("TLS handshake") && message.contains("certificate verify failed"),
        "{message}"
    );
    assert!(
        !message.contains(PASSWORD),
        "the URL's password is not in the error"
    );
}

#[tokio::test]
async fn verify_full_refuses_a_host_name_the_certificate_does_not_name() {
    // The certificate names `localhost`, not 127.0.0.1: verify-full refuses, verify-ca (chain
    // only) accepts.
    let ca = &server().ca;
    let err = connect(&url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await
    .err()
    .expect("a host name mismatch is refused");
    assert!(
        err.to_string().contains("certificate verify failed"),
        "{err}"
    );

    let db = connect(&url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={ca}"),
    ))
    .await
    .unwrap();
    assert!(session_is_encrypted(&db).await);
}

#[tokio::test]
async fn require_with_a_root_certificate_verifies_the_chain_like_libpq() {
    // libpq: with a root CA file, `require` behaves like `verify-ca`.
    let (ca, wrong_ca) = (&server().ca, &server().wrong_ca);
    assert!(
        connect(&url(
            "127.0.0.1",
            &format!("sslmode=require&sslrootcert={wrong_ca}")
        ))
        .await
        .is_err()
    );
    let db = connect(&url(
        "127.0.0.1",
        &format!("sslmode=require&sslrootcert={ca}"),
    ))
    .await
    .unwrap();
    assert!(session_is_encrypted(&db).await);
}

#[tokio::test]
async fn an_unknown_sslmode_is_a_clear_configuration_error() {
    let err = ConnectOptions::from_url(&url("localhost", "sslmode=verify-everything"))
        .err()
        .expect("refused");
    assert!(matches!(err, ConnectError::InvalidUrl(_)));
    assert_eq!(
        err.to_string(),
        "DATABASE_URL is invalid: unknown sslmode \"verify-everything\" (expected disable, \
         allow, prefer, require, verify-ca or verify-full)"
    );
}

#[tokio::test]
async fn a_missing_root_certificate_file_is_a_clear_error() {
    let err = ConnectOptions::from_url(&url(
        "localhost",
        "sslmode=verify-full&sslrootcert=/nonexistent/root.crt",
    ))
    .err()
    .expect("refused");
    assert!(
        err.to_string()
            .starts_with("TLS setup failed: sslrootcert /nonexistent/root.crt: "),
        "{err}"
    );
}

// ------------------------------------------------------------------------------------------
// Neon's connection string: TLS with SNI, SCRAM with channel binding

#[tokio::test]
async fn channel_binding_require_authenticates_over_tls() {
    // The shape of the URL Neon's console gives.
    let db = connect(&url("localhost", "sslmode=require&channel_binding=require"))
        .await
        .unwrap();
    assert!(session_is_encrypted(&db).await);
}

#[tokio::test]
async fn channel_binding_require_without_tls_is_refused() {
    // Channel binding needs TLS; asking for it on plain TCP must fail, not quietly go without.
    let err = connect(&url("localhost", "sslmode=disable&channel_binding=require"))
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("channel binding"), "{err}");
}

#[tokio::test]
async fn tls_carries_the_host_name_as_sni_and_never_an_address() {
    let by_name = client_hello_server_name("localhost").await;
    assert_eq!(by_name.as_deref(), Some("localhost"));
    let by_address = client_hello_server_name("127.0.0.1").await;
    assert_eq!(by_address, None, "RFC 6066: no IP addresses in SNI");
}

/// Connects to the TLS server through a proxy that records what the client sends, and returns
/// the server_name of the TLS ClientHello that follows the SSLRequest.
async fn client_hello_server_name(host: &str) -> Option<String> {
    let upstream_port = server().port;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = seen.clone();
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.unwrap();
        let upstream = tokio::net::TcpStream::connect(("127.0.0.1", upstream_port))
            .await
            .unwrap();
        let (mut client_read, mut client_write) = client.into_split();
        let (mut upstream_read, mut upstream_write) = upstream.into_split();
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut upstream_read, &mut client_write).await;
        });
        let mut buffer = vec![0u8; 16 * 1024];
        while let Ok(n) = client_read.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            recorder.lock().unwrap().extend_from_slice(&buffer[..n]);
            if upstream_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
    });
    let url =
        format!("postgres://postgres:{PASSWORD}@{host}:{proxy_port}/postgres?sslmode=require");
    let db = connect(&url).await.unwrap();
    assert!(session_is_encrypted(&db).await);
    let bytes = seen.lock().unwrap().clone();
    // SSLRequest: length 8, code 80877103.
    assert_eq!(
        &bytes[..8],
        &[0, 0, 0, 8, 4, 210, 22, 47],
        "SSLRequest first"
    );
    parse_sni(&bytes[8..]).expect("a TLS ClientHello follows the SSLRequest")
}

/// The server_name in a TLS ClientHello record: `Some(None)` when it has no SNI extension,
/// `None` when the bytes are not a ClientHello.
fn parse_sni(record: &[u8]) -> Option<Option<String>> {
    struct Cursor<'a>(&'a [u8]);
    impl<'a> Cursor<'a> {
        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
            self.0 = rest;
            Some(head)
        }
        fn number(&mut self, n: usize) -> Option<usize> {
            Some(
                self.take(n)?
                    .iter()
                    .fold(0, |acc, b| acc << 8 | *b as usize),
            )
        }
    }
    let mut record = Cursor(record);
    if record.take(1)? != [22] {
        return None; // not a handshake record
    }
    record.take(4)?; // version, length
    if record.take(1)? != [1] {
        return None; // not a ClientHello
    }
    record.take(3 + 2 + 32)?; // length, client_version, random
    for length_bytes in [1, 2, 1] {
        // session id, cipher suites, compression methods
        let length = record.number(length_bytes)?;
        record.take(length)?;
    }
    let length = record.number(2)?;
    let mut extensions = Cursor(record.take(length)?);
    while !extensions.0.is_empty() {
        let kind = extensions.number(2)?;
        let length = extensions.number(2)?;
        let mut data = Cursor(extensions.take(length)?);
        if kind == 0 {
            // server_name_list: length (2), name_type (1; 0 = host_name), length (2), name.
            data.take(3)?;
            let length = data.number(2)?;
            let name = data.take(length)?;
            return Some(Some(String::from_utf8_lossy(name).into_owned()));
        }
    }
    Some(None)
}

// ------------------------------------------------------------------------------------------
// The whole function over TLS

#[tokio::test]
async fn a_task_request_works_over_verify_full() {
    let ca = &server().ca;
    let admin = connect(&url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await
    .unwrap();
    let database = format!(
        "tls_{}",
        shared::better_auth::ids::random_id().to_lowercase()
    );
    admin
        .batch(&format!("create database {database}"))
        .await
        .unwrap();
    let database_url = format!(
        "postgres://postgres:{PASSWORD}@localhost:{}/{database}?sslmode=verify-full&sslrootcert={ca}",
        server().port
    );
    // Migrations over TLS too, as the migrate function runs them against Neon.
    shared::migrations::run(
        &ConnectOptions::from_url(&database_url).unwrap(),
        &Default::default(),
    )
    .await
    .expect("migrations over TLS");

    let state = api_tests::test_state(&database_url, &[]).await;
    let user = shared::better_auth::ids::random_id();
    state
        .db
        .query(
            r#"insert into "user" (id, name, email, "emailVerified") values ($1, 'Ada', $2, false)"#,
            &[
                (&user, tokio_postgres::types::Type::TEXT),
                (
                    &format!("{}@example.com", user.to_lowercase()),
                    tokio_postgres::types::Type::TEXT,
                ),
            ],
        )
        .await
        .unwrap();
    let fixture = Fixture::load("create-task")
        .user(&user)
        .bearer(&api_tests::hs256_token(&user, 60))
        .body(serde_json::json!({"title": "over TLS"}));
    let response = api_tests::call(&state, fixture).await;
    assert_eq!(response.status, 201, "{}", response.raw_body);
    assert!(session_is_encrypted(&state.db).await);
    drop(state);
    admin
        .batch(&format!("drop database {database} with (force)"))
        .await
        .unwrap();
}

// ------------------------------------------------------------------------------------------
// The rest of the URL

#[tokio::test]
async fn other_url_parameters_reach_the_server_unchanged() {
    // `options` holds a space; re-encoding the query must not turn it into a literal `+`.
    let db = connect(&url(
        "localhost",
        "sslmode=require&options=-c%20statement_timeout%3D4321&application_name=tls-test",
    ))
    .await
    .unwrap();
    let row = db
        .query_opt(
            "select current_setting('statement_timeout'), current_setting('application_name')",
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "4321ms");
    assert_eq!(row.get::<_, String>(1), "tls-test");
}
