//! The database: one Postgres connection per Lambda instance, over TLS when the URL asks.
//!
//! An instance serves one request at a time, so a pool would only add connections Neon has to
//! hold. The connection is opened in init and reopened when it is found closed: Lambda freezes
//! instances between invocations and Neon drops idle connections, so a closed connection is
//! normal, not exceptional. Queries go through [`Database::query`], which uses tokio-postgres'
//! `query_typed` (unnamed statement, parameter types given): parse, bind, execute and sync in
//! one round trip, and safe behind Neon's transaction-mode PgBouncer, which cannot keep named
//! prepared statements.

use std::sync::Arc;
use std::time::Duration;

use native_tls::TlsConnector;
use percent_encoding::percent_decode_str;
use postgres_native_tls::MakeTlsConnector;
use tokio::sync::Mutex;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Row, error::SqlState};
use url::Url;

use crate::error::Error;

/// How long to wait for a connection before answering 503: well under the function timeout,
/// so a database outage is a quick, clear error rather than a hung invocation.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one query may take before the request fails with 503.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(8);

/// libpq's `sslmode`, which tokio-postgres only partly understands (it has no verify-*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS if the server offers it, without verifying the certificate (libpq's default).
    Prefer,
    /// TLS, without verifying the certificate (libpq's semantics for `require`).
    Require,
    /// TLS, certificate chain verified, host name not.
    VerifyCa,
    /// TLS, certificate chain and host name verified. Recommended for Neon.
    VerifyFull,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL is invalid: {0}")]
    InvalidUrl(String),
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("could not connect to the database: {0}")]
    Connect(String),
    #[error("timed out after {0:?} connecting to the database")]
    Timeout(Duration),
}

/// How to reach the database: parsed once, used for every (re)connect.
#[derive(Clone)]
pub struct ConnectOptions {
    config: tokio_postgres::Config,
    tls: Option<MakeTlsConnector>,
}

impl ConnectOptions {
    /// Parses a `postgres://` URL. `sslmode` and `sslrootcert` are taken out and handled here
    /// (tokio-postgres knows neither `verify-ca`/`verify-full` nor root certificates);
    /// everything else, `channel_binding` included, is tokio-postgres's.
    pub fn from_url(database_url: &str) -> Result<Self, ConnectError> {
        let mut url =
            Url::parse(database_url).map_err(|err| ConnectError::InvalidUrl(err.to_string()))?;
        let mut ssl_mode = SslMode::Prefer;
        let mut root_cert = RootCert::Default;
        // The other parameters are kept as they were written, not decoded and re-encoded: the
        // `url` crate would re-encode a space as `+`, which tokio-postgres reads as a plus.
        let mut kept: Vec<&str> = Vec::new();
        let query = url.query().unwrap_or_default().to_owned();
        for raw in query.split('&').filter(|raw| !raw.is_empty()) {
            let (key, value) = raw.split_once('=').unwrap_or((raw, ""));
            let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
            let (key, value) = (decode(key), decode(value));
            match key.as_str() {
                "sslmode" => {
                    ssl_mode = match value.as_str() {
                        "disable" => SslMode::Disable,
                        "allow" | "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-ca" => SslMode::VerifyCa,
                        "verify-full" => SslMode::VerifyFull,
                        other => {
                            return Err(ConnectError::InvalidUrl(format!(
                                "unknown sslmode {other:?} (expected disable, allow, prefer, \
                                 require, verify-ca or verify-full)"
                            )));
                        }
                    }
                }
                // libpq's special value: the operating system's trusted CAs.
                "sslrootcert" if value == "system" => root_cert = RootCert::System,
                "sslrootcert" => root_cert = RootCert::File(value),
                // libpq's TLS negotiation choice; tokio-postgres's default (`postgres`, an
                // SSLRequest first) works with every server, `direct` only with PostgreSQL 17+.
                "sslnegotiation" => {}
                _ => kept.push(raw),
            }
        }
        url.set_query((!kept.is_empty()).then(|| kept.join("&")).as_deref());
        // libpq: "if a root CA file exists, the behavior of sslmode=require will be the same as
        // that of verify-ca". Naming a CA file and then not checking it would be a surprise.
        if ssl_mode == SslMode::Require && matches!(root_cert, RootCert::File(_)) {
            ssl_mode = SslMode::VerifyCa;
        }
        let mut config: tokio_postgres::Config = url
            .as_str()
            .parse()
            .map_err(|err: tokio_postgres::Error| ConnectError::InvalidUrl(err.to_string()))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.ssl_mode(match ssl_mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        if config.get_application_name().is_none() {
            config.application_name(
                std::env::var("AWS_LAMBDA_FUNCTION_NAME")
                    .as_deref()
                    .unwrap_or("tasks-api"),
            );
        }

        let tls = match ssl_mode {
            SslMode::Disable => None,
            mode => Some(tls_connector(mode, &root_cert)?),
        };
        Ok(ConnectOptions { config, tls })
    }

    /// Opens a connection and spawns its driver task. Host names are passed through to TLS,
    /// so the handshake carries SNI, which Neon needs to route to the right endpoint.
    pub async fn connect(&self) -> Result<Client, ConnectError> {
        let connecting = async {
            match &self.tls {
                None => {
                    let (client, connection) = self.config.connect(tokio_postgres::NoTls).await?;
                    tokio::spawn(drive(connection));
                    Ok(client)
                }
                Some(tls) => {
                    let (client, connection) = self.config.connect(tls.clone()).await?;
                    tokio::spawn(drive(connection));
                    Ok(client)
                }
            }
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(err)) => Err(ConnectError::Connect(describe(&err))),
            Err(_) => Err(ConnectError::Timeout(CONNECT_TIMEOUT)),
        }
    }
}

/// Which certificate authorities verify the server (`verify-ca`, `verify-full`).
enum RootCert {
    /// No `sslrootcert`: the operating system's trusted CAs (Neon's certificates chain to a
    /// public CA, so the default just works there).
    Default,
    /// `sslrootcert=system`: the same, said explicitly.
    System,
    /// `sslrootcert=<file>`: only the CAs in that PEM file, as libpq does.
    File(String),
}

/// A TLS connector for `mode`.
///
/// SNI: postgres-native-tls hands native-tls the host name tokio-postgres connects to (the
/// URL's host), and native-tls (OpenSSL here) puts it in the ClientHello's server_name unless
/// it is an IP address (RFC 6066 forbids those in SNI). Neon routes on that name, so connect
/// to Neon by host name, never by address.
fn tls_connector(mode: SslMode, root_cert: &RootCert) -> Result<MakeTlsConnector, ConnectError> {
    let mut builder = TlsConnector::builder();
    match mode {
        SslMode::Prefer | SslMode::Require => {
            builder
                .danger_accept_invalid_certs(true)
                .danger_accept_invalid_hostnames(true);
        }
        SslMode::VerifyCa => {
            builder.danger_accept_invalid_hostnames(true);
        }
        SslMode::VerifyFull | SslMode::Disable => {}
    }
    if let RootCert::File(path) = root_cert {
        let pem = std::fs::read(path)
            .map_err(|err| ConnectError::Tls(format!("sslrootcert {path}: {err}")))?;
        // A bundle (like RDS's) holds many certificates; add each one.
        let certs = native_tls::Certificate::stack_from_pem(&pem)
            .map_err(|err| ConnectError::Tls(format!("sslrootcert {path}: {err}")))?;
        if certs.is_empty() {
            return Err(ConnectError::Tls(format!(
                "sslrootcert {path}: no PEM certificate in the file"
            )));
        }
        builder.disable_built_in_roots(true);
        for cert in certs {
            builder.add_root_certificate(cert);
        }
    }
    let connector = builder
        .build()
        .map_err(|err| ConnectError::Tls(err.to_string()))?;
    Ok(MakeTlsConnector::new(connector))
}

async fn drive<S, T>(connection: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    // The connection ends when the server closes it or the client is dropped; the next query
    // notices through `Client::is_closed` and reconnects, so this is only worth a debug line.
    if let Err(err) = connection.await {
        tracing::debug!(error = %describe(&err), "database connection ended");
    }
}

/// A tokio-postgres error as one line, including the server's message when there is one.
fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{}: {} ({})", db.severity(), db.message(), db.code().code()),
        None => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        }
    }
}

/// A failed query, sorted by what the caller can do about it.
#[derive(Debug)]
pub enum DbError {
    /// No usable connection (down, unreachable, closed, timed out): answer 503.
    Unavailable(String),
    /// The server rejected the statement. Constraint violations a client can cause are
    /// mapped to client errors at the call site, where the constraint name has a meaning.
    Rejected {
        code: SqlState,
        constraint: Option<String>,
        message: String,
    },
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Rejected { code, .. } if *code == SqlState::UNIQUE_VIOLATION)
    }
    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(self, DbError::Rejected { code, .. } if *code == SqlState::FOREIGN_KEY_VIOLATION)
    }
    pub fn constraint(&self) -> Option<&str> {
        match self {
            DbError::Rejected { constraint, .. } => constraint.as_deref(),
            DbError::Unavailable(_) => None,
        }
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(err: tokio_postgres::Error) -> Self {
        let Some(db) = err.as_db_error() else {
            return DbError::Unavailable(describe(&err));
        };
        let code = db.code().clone();
        // Class 08 is "connection exception": PgBouncer reports a lost or unreachable server
        // with it (08P01 "server conn crashed?", "pgbouncer cannot connect to server").
        if code.code().starts_with("08")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
            ]
            .contains(&code)
        {
            return DbError::Unavailable(describe(&err));
        }
        DbError::Rejected {
            constraint: db.constraint().map(str::to_owned),
            message: describe(&err),
            code,
        }
    }
}

impl From<DbError> for Error {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Unavailable(cause) => Error::Unavailable(cause),
            // Class 22 ("data exception": a NUL byte in text, a number out of range…) can only
            // come from a value the client sent that validation let through: their error.
            DbError::Rejected { code, .. } if code.code().starts_with("22") => {
                Error::unprocessable("A value in the request cannot be stored")
            }
            DbError::Rejected { message, .. } => Error::Internal(message),
        }
    }
}

/// The instance's connection, reopened on demand.
pub struct Database {
    options: ConnectOptions,
    client: Mutex<Option<Arc<Client>>>,
}

/// A query parameter with its Postgres type, as `query_typed` wants it.
pub type Param<'a> = (&'a (dyn ToSql + Sync), Type);

impl Database {
    /// Connects now (in init), so the first request does not pay for it.
    pub async fn connect(options: ConnectOptions) -> Result<Self, ConnectError> {
        let client = options.connect().await?;
        Ok(Database {
            options,
            client: Mutex::new(Some(Arc::new(client))),
        })
    }

    /// A database that connects on first use.
    pub fn lazy(options: ConnectOptions) -> Self {
        Database {
            options,
            client: Mutex::new(None),
        }
    }

    /// The open connection, or a new one when the old one was closed.
    async fn client(&self) -> Result<Arc<Client>, DbError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref().filter(|client| !client.is_closed()) {
            return Ok(client.clone());
        }
        tracing::info!("opening a database connection");
        let client = self
            .options
            .connect()
            .await
            .map_err(|err| DbError::Unavailable(err.to_string()))?;
        let client = Arc::new(client);
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Forgets `stale` so the next call reconnects (unless another request already did).
    async fn discard(&self, stale: &Arc<Client>) {
        let mut slot = self.client.lock().await;
        if slot
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, stale))
        {
            *slot = None;
        }
    }

    /// Runs one statement in one round trip and returns its rows.
    ///
    /// When the connection turns out to be closed before the statement could be sent (the
    /// server or Neon dropped it while the instance was frozen), or the server answers it by
    /// ending the session (see [`ended_the_session`]), it reconnects and retries once: the
    /// statement had no effect, so retrying cannot apply it twice.
    pub async fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, DbError> {
        let client = self.client().await?;
        match self.run(&client, sql, params).await {
            Err(Attempt::NotSent) => {
                tracing::info!("database connection was closed; reconnecting");
                self.discard(&client).await;
                let client = self.client().await?;
                match self.run(&client, sql, params).await {
                    Ok(rows) => Ok(rows),
                    Err(Attempt::NotSent) => Err(DbError::Unavailable("connection closed".into())),
                    Err(Attempt::Failed(err)) => Err(err),
                }
            }
            Err(Attempt::Failed(err)) => {
                if matches!(err, DbError::Unavailable(_)) {
                    self.discard(&client).await;
                }
                Err(err)
            }
            Ok(rows) => Ok(rows),
        }
    }

    /// [`Database::query`] for statements that return at most one row.
    pub async fn query_opt(&self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>, DbError> {
        let mut rows = self.query(sql, params).await?;
        if rows.len() > 1 {
            return Err(DbError::Rejected {
                code: SqlState::CARDINALITY_VIOLATION,
                constraint: None,
                message: format!("expected at most one row, got {}", rows.len()),
            });
        }
        Ok(rows.pop())
    }

    async fn run(
        &self,
        client: &Client,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, Attempt> {
        if client.is_closed() {
            return Err(Attempt::NotSent);
        }
        match tokio::time::timeout(QUERY_TIMEOUT, client.query_typed(sql, params)).await {
            Ok(Ok(rows)) => Ok(rows),
            Ok(Err(err)) if err.is_closed() || ended_the_session(&err) => Err(Attempt::NotSent),
            Ok(Err(err)) => Err(Attempt::Failed(err.into())),
            Err(_) => Err(Attempt::Failed(DbError::Unavailable(format!(
                "query timed out after {QUERY_TIMEOUT:?}"
            )))),
        }
    }
}

/// The outcome of one try at a statement.
enum Attempt {
    /// The statement had no effect because the session was already over: the connection was
    /// closed before it was sent, or the server ended the session instead of running it.
    NotSent,
    Failed(DbError),
}

/// Whether the server answered with a FATAL that ends a session from the outside: an operator's
/// `pg_terminate_backend`, a shutdown (Neon suspending its compute), a crash of another
/// backend, `idle_session_timeout`.
///
/// This is how a connection killed while the instance was idle usually shows up when the kill
/// and the next statement race: the server's FATAL, sent while the connection was idle, is
/// read as the answer to the statement. Retrying is safe: a FATAL aborts the session's open
/// transaction, and the server checks for termination before it commits at the `Sync` that
/// ends `query_typed`'s messages (and holds it off during the commit), so a statement answered
/// this way was not committed.
fn ended_the_session(err: &tokio_postgres::Error) -> bool {
    err.as_db_error().is_some_and(|db| {
        db.parsed_severity() == Some(tokio_postgres::error::Severity::Fatal)
            && [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::IDLE_SESSION_TIMEOUT,
            ]
            .contains(db.code())
    })
}

impl Database {
    /// Runs several statements in one round trip with the simple query protocol; they form one
    /// implicit transaction. For rare multi-statement work (creating a signing key under a
    /// lock). Values must be inlined, so callers pass only values they generated themselves,
    /// quoted with [`quote_literal`].
    pub async fn batch(&self, sql: &str) -> Result<(), DbError> {
        let client = self.client().await?;
        match tokio::time::timeout(QUERY_TIMEOUT, client.batch_execute(sql)).await {
            Ok(result) => result.map_err(DbError::from),
            Err(_) => Err(DbError::Unavailable(format!(
                "statement timed out after {QUERY_TIMEOUT:?}"
            ))),
        }
    }
}

/// A SQL string literal (standard_conforming_strings, PostgreSQL's default since 9.1).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
