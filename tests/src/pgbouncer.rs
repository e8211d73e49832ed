//! A PgBouncer in transaction mode, as Neon's pooler runs it, in front of the test server.
//!
//! In transaction mode a client gets a server connection for one transaction at a time, so
//! anything kept in a session between transactions is lost. Named prepared statements are
//! such state: tokio-postgres's `query(&str)` prepares one (`s0`) in one transaction and
//! executes it in the next. To make that failure certain rather than dependent on which
//! server connection comes next, the server connection is reset (`DISCARD ALL`) after every
//! transaction, and PgBouncer's own prepared-statement support (1.21+) is off
//! (`max_prepared_statements = 0`). Unnamed statements, which `query_typed` uses, live within
//! one Sync and are unaffected.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use local_api::process::TiedChild;

pub struct PgBouncer {
    port: u16,
    process: TiedChild,
    dir: tempfile::TempDir,
}

impl PgBouncer {
    /// Whether a pgbouncer binary is installed; `Err` says how to install it.
    pub fn available() -> Result<(), String> {
        find_binary().map(|_| ()).ok_or_else(|| {
            "pgbouncer not found (looked in $PATH, /usr/sbin and /usr/bin); install it: apt-get install pgbouncer"
                .to_owned()
        })
    }

    /// Starts PgBouncer on a free localhost port, forwarding every database name to the
    /// server at `host:port` as `user` (and `password`, if the server wants one). Clients
    /// connect as `user` without a password.
    pub fn start(
        host: &str,
        port: u16,
        user: &str,
        password: Option<&str>,
    ) -> Result<PgBouncer, String> {
        let binary = find_binary().ok_or(
            "pgbouncer not found (looked in $PATH, /usr/sbin and /usr/bin); install it: \
             apt-get install pgbouncer",
        )?;
        let version = version(&binary)?;
        let run_as = postgres_user_if_root()?;
        let dir = tempfile::Builder::new()
            .prefix("pgbouncer-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let listen_port = free_port()?;
        let path = |name: &str| dir.path().join(name);

        let user = if user.is_empty() { "postgres" } else { user };
        let mut upstream = format!("host={host} port={port} user={user}");
        if let Some(password) = password {
            upstream.push_str(&format!(" password={password}"));
        }
        // 1.21 added prepared-statement tracking; older versions never had it (and reject the
        // setting), which is the behaviour asked for here.
        let prepared = if version >= (1, 21) {
            "max_prepared_statements = 0\n"
        } else {
            ""
        };
        let ini = format!(
            "[databases]\n\
             * = {upstream}\n\
             \n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {listen_port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {auth_file}\n\
             pool_mode = transaction\n\
             {prepared}\
             server_reset_query = DISCARD ALL\n\
             server_reset_query_always = 1\n\
             max_client_conn = 1000\n\
             default_pool_size = 40\n\
             logfile = {logfile}\n\
             pidfile = {pidfile}\n",
            auth_file = path("userlist.txt").display(),
            logfile = path("pgbouncer.log").display(),
            pidfile = path("pgbouncer.pid").display(),
        );
        let write = |name: &str, text: &str| -> Result<(), String> {
            std::fs::write(path(name), text).map_err(|e| format!("{name}: {e}"))
        };
        write("pgbouncer.ini", &ini)?;
        // With auth_type = trust the user must still be listed; its password is not checked.
        write("userlist.txt", &format!("\"{user}\" \"\"\n"))?;
        write("pgbouncer.log", "")?;
        if let Some((uid, gid)) = run_as {
            for name in ["", "pgbouncer.ini", "userlist.txt", "pgbouncer.log"] {
                std::os::unix::fs::chown(path(name), Some(uid), Some(gid))
                    .map_err(|e| format!("chown {name}: {e}"))?;
            }
        }

        let mut command = Command::new(&binary);
        command
            .arg(path("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((uid, gid)) = run_as {
            // PgBouncer refuses to run as root.
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
        let process = TiedChild::spawn(command, libc::SIGTERM)
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let mut bouncer = PgBouncer {
            port: listen_port,
            process,
            dir,
        };
        bouncer.wait_until_listening()?;
        Ok(bouncer)
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_ok() {
                return Ok(());
            }
            if self.process.has_exited() || Instant::now() > deadline {
                return Err(format!("pgbouncer did not start; its log:\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// PgBouncer's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

fn find_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("pgbouncer"))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `pgbouncer --version`'s first line is `PgBouncer 1.18.0`.
fn version(binary: &Path) -> Result<(u32, u32), String> {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|e| format!("{} --version: {e}", binary.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let parsed = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next()??))
        })
        .ok_or_else(|| format!("unexpected `pgbouncer --version` output: {text}"))?;
    Ok(parsed)
}

fn postgres_user_if_root() -> Result<Option<(u32, u32)>, String> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::ffi::CString::new("postgres").expect("no NUL");
    // SAFETY: getpwnam returns a pointer to static storage or null; we copy out at once.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return Err("running as root, but there is no `postgres` user to run pgbouncer as".into());
    }
    Ok(Some(unsafe { ((*entry).pw_uid, (*entry).pw_gid) }))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free port: {e}"))
}
