//! Databases for tests: one cluster per test process, one database per test.
//!
//! With `TEST_VIA_PGBOUNCER=1`, apps reach their database through a PgBouncer in transaction
//! mode that this process starts in front of the server (see [`crate::pgbouncer`]), as Lambda
//! functions reach Neon through its pooler. Migrations and the tests' own admin connections
//! still go direct: migrations hold a session advisory lock.

use std::sync::{Mutex, OnceLock};

use local_api::postgres::LocalPostgres;
use shared::db::ConnectOptions;

use crate::pgbouncer::PgBouncer;

struct Server {
    /// URL of the maintenance database (`postgres`) on the server.
    admin_url: String,
    host: String,
    /// The PostgreSQL server's port.
    server_port: u16,
    /// The port apps connect to: PgBouncer's under `TEST_VIA_PGBOUNCER=1`, else the server's.
    app_port: u16,
    template: String,
}

static SERVER: OnceLock<Server> = OnceLock::new();
/// The cluster this process started, if any; stopped at exit.
static OWN_CLUSTER: Mutex<Option<LocalPostgres>> = Mutex::new(None);
/// The PgBouncer this process started, if any; stopped at exit.
static OWN_PGBOUNCER: Mutex<Option<PgBouncer>> = Mutex::new(None);

/// Whether apps go through PgBouncer (`TEST_VIA_PGBOUNCER=1`).
pub fn via_pgbouncer() -> bool {
    std::env::var("TEST_VIA_PGBOUNCER").is_ok_and(|v| v == "1")
}

/// A database of its own for one test, dropped with it.
pub struct TestDatabase {
    name: String,
    client: tokio_postgres::Client,
}

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        // Admin work runs on a thread of its own: this may be called from inside a test's
        // tokio runtime, where blocking on another runtime is not allowed.
        std::thread::spawn(start_server)
            .join()
            .expect("test PostgreSQL setup panicked")
    })
}

fn start_server() -> Server {
    let admin_url = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let cluster = LocalPostgres::start()
                .unwrap_or_else(|e| panic!("cannot start a test PostgreSQL: {e}"));
            let url = cluster.url("postgres");
            *OWN_CLUSTER.lock().unwrap() = Some(cluster);
            url
        }
    };
    // SAFETY: registering a plain extern "C" fn; it runs once at process exit.
    unsafe {
        libc::atexit(cleanup_at_exit);
    }
    let url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = url.port().unwrap_or(5432);
    let template = format!("test_template_{}", suffix());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let admin = connect(&admin_url).await;
        admin
            .batch_execute(&format!("create database {template}"))
            .await
            .expect("create template database");
        let template_url = with_database(&admin_url, &template);
        shared::migrations::run(
            &ConnectOptions::from_url(&template_url).unwrap(),
            &Default::default(),
        )
        .await
        .expect("migrations");
    });
    let app_port = if via_pgbouncer() {
        let bouncer = PgBouncer::start(&host, port, url.username(), url.password())
            .unwrap_or_else(|e| panic!("TEST_VIA_PGBOUNCER=1: {e}"));
        let app_port = bouncer.port();
        *OWN_PGBOUNCER.lock().unwrap() = Some(bouncer);
        app_port
    } else {
        port
    };
    Server {
        admin_url,
        host,
        server_port: port,
        app_port,
        template,
    }
}

extern "C" fn cleanup_at_exit() {
    let _ = std::thread::spawn(|| {
        if let Some(bouncer) = OWN_PGBOUNCER.lock().ok().and_then(|mut b| b.take()) {
            drop(bouncer);
        }
        if let Some(server) = SERVER.get() {
            let sql = format!("drop database if exists {} with (force)", server.template);
            let _ = admin_blocking(&server.admin_url, &sql);
        }
        if let Some(cluster) = OWN_CLUSTER.lock().ok().and_then(|mut c| c.take()) {
            cluster.stop();
        }
    })
    .join();
}

/// Host and port of the PostgreSQL server itself (never PgBouncer), and the user to connect as.
pub fn server_address() -> (String, u16, String) {
    let server = server();
    let user = url::Url::parse(&server.admin_url)
        .map(|url| url.username().to_owned())
        .unwrap_or_default();
    (server.host.clone(), server.server_port, user)
}

fn admin_blocking(admin_url: &str, sql: &str) -> Result<(), tokio_postgres::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async { connect(admin_url).await.batch_execute(sql).await })
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL: {e}"));
    tokio::spawn(connection);
    client
}

fn with_database(url: &str, database: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_path(&format!("/{database}"));
    url.into()
}

fn suffix() -> String {
    shared::better_auth::ids::random_id().to_lowercase()
}

impl TestDatabase {
    /// A new database, migrated (cloned from the template).
    pub async fn create() -> TestDatabase {
        let template = server().template.clone();
        Self::create_from(&template).await
    }

    /// A new, empty database: no migrations applied, no tables.
    pub async fn create_unmigrated() -> TestDatabase {
        // template0, not template1: nothing anyone added to template1 leaks in.
        Self::create_from("template0").await
    }

    async fn create_from(template: &str) -> TestDatabase {
        let server = server();
        let name = format!("test_{}", suffix());
        let admin = connect(&server.admin_url).await;
        admin
            .batch_execute(&format!("create database {name} template {template}"))
            .await
            .expect("create test database");
        let client = connect(&with_database(&server.admin_url, &name)).await;
        TestDatabase { name, client }
    }

    /// The database's name (unique per test: `pg_stat_activity.datname` finds its sessions).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The port apps reach this database through: PgBouncer's under `TEST_VIA_PGBOUNCER=1`,
    /// the server's otherwise. ([`TestDatabase::url`] is always direct.)
    pub fn port(&self) -> u16 {
        server().app_port
    }

    /// This database's URL, direct to the server.
    pub fn url(&self) -> String {
        with_database(&server().admin_url, &self.name)
    }

    /// This database's URL, but through `port` on localhost (the round-trip counter).
    pub fn url_via_port(&self, port: u16) -> String {
        let mut url = url::Url::parse(&self.url()).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(port)).unwrap();
        url.into()
    }

    pub fn host(&self) -> &str {
        &server().host
    }

    /// Runs a statement on a direct (uncounted) connection.
    pub async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> u64 {
        self.client
            .execute(sql, params)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Queries on a direct (uncounted) connection.
    pub async fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Vec<tokio_postgres::Row> {
        self.client
            .query(sql, params)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let sql = format!("drop database if exists {} with (force)", self.name);
        let admin_url = server().admin_url.clone();
        // Dropping happens inside the test's runtime; do the blocking work on a plain thread.
        let _ = std::thread::spawn(move || admin_blocking(&admin_url, &sql)).join();
    }
}
