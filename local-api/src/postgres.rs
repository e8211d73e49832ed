//! A throwaway PostgreSQL cluster, started from the binaries on this machine.
//!
//! Written by hand because the crates that do this (postgresql_embedded, pg-embed) download
//! PostgreSQL builds at run time, which this project's machines cannot, and pgtemp runs
//! `initdb` as the current user, which PostgreSQL refuses when that user is root. Here, as
//! root, the cluster runs as the `postgres` user.
//!
//! The server is tied to this process: it gets SIGINT (PostgreSQL's "fast shutdown") when the
//! process dies, even by SIGKILL, so a crashed test run or a killed local-api leaves nothing
//! running. A clean [`LocalPostgres::stop`] (or drop) also removes the data directory.

use std::ffi::CString;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::TiedChild;

#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    #[error(
        "PostgreSQL server binaries not found (looked in $PG_BIN_DIR, `pg_config --bindir`, \
         /usr/lib/postgresql/*/bin and PATH); install PostgreSQL or set DATABASE_URL"
    )]
    BinariesNotFound,
    #[error("running as root, but there is no `postgres` user to run PostgreSQL as")]
    NoPostgresUser,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{step} failed: {detail}")]
    Failed { step: &'static str, detail: String },
}

/// How to start a cluster. The default (no TLS, no password) is what [`LocalPostgres::start`]
/// starts.
#[derive(Debug, Clone, Default)]
pub struct PostgresOptions {
    /// Serve TLS (`ssl=on`) with this certificate and key.
    pub tls: Option<TlsFiles>,
    /// Require this password (SCRAM-SHA-256) from user `postgres` over TCP, instead of trusting
    /// every local connection. Unix-socket connections stay trusted.
    pub password: Option<String>,
    /// More server settings, each `name=value` (passed as `-c name=value`), e.g.
    /// `log_statement=all`.
    pub settings: Vec<String>,
    /// Write the server's log here instead of inside the cluster's directory (which is deleted
    /// with it).
    pub log_file: Option<PathBuf>,
}

/// PEM files of a server certificate (its chain, leaf first) and its private key. They are
/// copied into the cluster's directory, where PostgreSQL can own them with the mode it demands
/// of a key file (0600).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A running cluster. Stops and deletes itself when dropped.
pub struct LocalPostgres {
    port: u16,
    server: TiedChild,
    data: Option<tempfile::TempDir>,
    log_path: PathBuf,
}

impl LocalPostgres {
    /// initdb + start, waiting until the server accepts connections (a second or two).
    pub fn start() -> Result<Self, PostgresError> {
        Self::start_with(PostgresOptions::default())
    }

    /// [`LocalPostgres::start`] with TLS and/or a password.
    pub fn start_with(options: PostgresOptions) -> Result<Self, PostgresError> {
        let bin = find_bin_dir().ok_or(PostgresError::BinariesNotFound)?;
        let run_as = postgres_user_if_root()?;
        let data = tempfile::Builder::new().prefix("local-pg-").tempdir()?;
        let pgdata = data.path().join("data");
        std::fs::create_dir(&pgdata)?;
        if let Some((uid, gid)) = run_as {
            chown(data.path(), uid, gid)?;
            chown(&pgdata, uid, gid)?;
        }

        let mut initdb = Command::new(bin.join("initdb"));
        match &options.password {
            None => {
                initdb.arg("--auth=trust");
            }
            Some(password) => {
                let pwfile = data.path().join("pwfile");
                std::fs::write(&pwfile, password)?;
                if let Some((uid, gid)) = run_as {
                    chown(&pwfile, uid, gid)?;
                }
                initdb
                    .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
                    .arg(format!("--pwfile={}", pwfile.display()));
            }
        }
        initdb
            .args([
                "--username=postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .arg("-D")
            .arg(&pgdata);
        run_as_user(&mut initdb, run_as);
        let output = initdb.output()?;
        let _ = std::fs::remove_file(data.path().join("pwfile"));
        if !output.status.success() {
            return Err(PostgresError::Failed {
                step: "initdb",
                detail: String::from_utf8_lossy(&output.stderr).into(),
            });
        }

        let mut tls_settings = Vec::new();
        if let Some(tls) = &options.tls {
            for (source, name, setting) in [
                (&tls.cert, "server.crt", "ssl_cert_file"),
                (&tls.key, "server.key", "ssl_key_file"),
            ] {
                let target = data.path().join(name);
                std::fs::copy(source, &target)?;
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600))?;
                if let Some((uid, gid)) = run_as {
                    chown(&target, uid, gid)?;
                }
                tls_settings.extend(["-c".to_owned(), format!("{setting}={}", target.display())]);
            }
            tls_settings.extend(["-c".to_owned(), "ssl=on".to_owned()]);
        }

        let port = free_port()?;
        let log_path = options
            .log_file
            .clone()
            .unwrap_or_else(|| data.path().join("postgres.log"));
        let log = std::fs::File::create(&log_path)?;
        if let Some((uid, gid)) = run_as {
            chown(&log_path, uid, gid)?;
        }
        let extra_settings = options
            .settings
            .iter()
            .flat_map(|setting| ["-c".to_owned(), setting.clone()]);
        let mut server = Command::new(bin.join("postgres"));
        server
            .arg("-D")
            .arg(&pgdata)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
            ])
            .arg(data.path())
            // A disposable cluster needs no durability; these make it several times faster.
            .args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ])
            .args(["-c", "max_connections=200"])
            .args(&tls_settings)
            .args(extra_settings)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Its own process group: a Ctrl-C in the terminal reaches us, and we stop it in order.
            .process_group(0);
        run_as_user(&mut server, run_as);
        // SIGINT is PostgreSQL's "fast shutdown".
        let server = TiedChild::spawn(server, libc::SIGINT)?;

        let mut cluster = LocalPostgres {
            port,
            server,
            data: Some(data),
            log_path,
        };
        cluster.wait_until_ready(&bin)?;
        Ok(cluster)
    }

    fn wait_until_ready(&mut self, bin: &Path) -> Result<(), PostgresError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args([
                    "-q",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                ])
                .status()?;
            if ready.success() {
                return Ok(());
            }
            if self.server.has_exited() || Instant::now() > deadline {
                let detail = std::fs::read_to_string(&self.log_path).unwrap_or_default();
                return Err(PostgresError::Failed {
                    step: "postgres start",
                    detail,
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL for `database` on this cluster (user `postgres`, no password, plain TCP).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    /// Fast shutdown, wait for it, delete the data directory.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(data) = self.data.take() else { return };
        self.server.stop(libc::SIGINT, Duration::from_secs(30));
        drop(data);
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn find_bin_dir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("postgres").is_file() && dir.join("initdb").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN_DIR").map(PathBuf::from) {
        return has_server(&dir).then_some(dir);
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if output.status.success() && has_server(&dir) {
            return Some(dir);
        }
    }
    // Debian keeps server binaries off PATH, one directory per major version; take the newest.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            Some((
                entry.file_name().to_str()?.parse().ok()?,
                entry.path().join("bin"),
            ))
        })
        .filter(|(_, dir)| has_server(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).find(|dir| has_server(dir))
}

/// initdb refuses to run as root; then we run the cluster as `postgres`.
fn postgres_user_if_root() -> Result<Option<(u32, u32)>, PostgresError> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = CString::new("postgres").expect("no NUL");
    // SAFETY: getpwnam returns a pointer to static storage or null; we copy out at once.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return Err(PostgresError::NoPostgresUser);
    }
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    Ok(Some((uid, gid)))
}

fn run_as_user(command: &mut Command, user: Option<(u32, u32)>) {
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid);
    }
}

fn chown(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
}

/// A port nothing listens on right now. (Another process could take it before postgres
/// binds; the start then fails with a clear log rather than hanging.)
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}
