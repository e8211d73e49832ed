//! A local AWS endpoint (moto's server, from PyPI: `moto[server]`) for Secrets Manager tests.
//!
//! One server per test process, started on first use on a free 127.0.0.1 port and stopped
//! when the process exits. `scripts/install-aws-tools.sh` installs it; tests call
//! `require_tool!(moto::available())`, which fails under CI and skips, saying why, elsewhere.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use local_api::process::TiedChild;

/// The region and the (ignored) credentials the tests give the SDK.
pub const REGION: &str = "us-east-1";
pub const ACCESS_KEY: &str = "test";
pub const SECRET_KEY: &str = "test";

struct Server {
    endpoint: String,
    /// Never dropped: the process ends the server at exit (SIGTERM by `PR_SET_PDEATHSIG`).
    _process: Mutex<TiedChild>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// Whether moto's server runs here (starting it if needed); `Err` says why not.
pub fn available() -> Result<(), String> {
    SERVER
        .get_or_init(start)
        .as_ref()
        .map(|_| ())
        .map_err(Clone::clone)
}

/// `http://127.0.0.1:<port>` of the running moto server, starting it if needed.
pub fn endpoint() -> String {
    match SERVER.get_or_init(start) {
        Ok(server) => server.endpoint.clone(),
        Err(err) => panic!("{err}"),
    }
}

/// The environment a function would have in Lambda, pointed at moto: `SECRET_ARN` plus the
/// SDK settings.
pub fn aws_env(secret_arn: &str) -> Vec<(String, String)> {
    aws_env_with_endpoint(secret_arn, &endpoint())
}

/// [`aws_env`] with another endpoint (one that is down, say).
pub fn aws_env_with_endpoint(secret_arn: &str, endpoint: &str) -> Vec<(String, String)> {
    [
        ("SECRET_ARN", secret_arn),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_REGION", REGION),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A Secrets Manager client of the real SDK, talking to moto.
pub fn secrets_manager() -> aws_sdk_secretsmanager::Client {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new(REGION))
        .endpoint_url(endpoint())
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        ))
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

/// Creates a secret with a unique name and returns its ARN.
pub async fn create_secret(value: &str) -> String {
    let name = format!("test-{}", shared::better_auth::ids::random_id());
    secrets_manager()
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "CreateSecret on moto: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(e)
            )
        })
        .arn
        .expect("CreateSecret returns an ARN")
}

fn start() -> Result<Server, String> {
    // The console script first; `python3 -m moto.server` when only the module is installed
    // (a pip --user install whose bin directory is not on PATH).
    let mut candidates: Vec<(PathBuf, Vec<&str>)> = Vec::new();
    if let Some(path) = find_on_path("moto_server") {
        candidates.push((path, vec![]));
    }
    for python in ["python3", "python"] {
        if let Some(path) = find_on_path(python) {
            candidates.push((path, vec!["-m", "moto.server"]));
        }
    }
    let mut failures = Vec::new();
    for (program, prefix) in candidates {
        match try_start(&program, &prefix) {
            Ok(server) => return Ok(server),
            Err(err) => failures.push(format!("{} {}: {err}", program.display(), prefix.join(" "))),
        }
    }
    Err(format!(
        "cannot start moto's server (a local Secrets Manager): install it with \
         `scripts/install-aws-tools.sh` (pip install 'moto[server]'); tried: {}",
        if failures.is_empty() {
            "no moto_server or python3 on PATH".to_owned()
        } else {
            failures.join("; ")
        }
    ))
}

fn try_start(program: &PathBuf, prefix: &[&str]) -> Result<Server, String> {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let log = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let mut command = Command::new(program);
    command
        .args(prefix)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(log.reopen().map_err(|e| e.to_string())?)
        .stderr(log.reopen().map_err(|e| e.to_string())?);
    let mut process = TiedChild::spawn(command, libc::SIGTERM).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(Server {
                endpoint: format!("http://127.0.0.1:{port}"),
                _process: Mutex::new(process),
            });
        }
        if process.has_exited() || Instant::now() > deadline {
            let output = std::fs::read_to_string(log.path()).unwrap_or_default();
            return Err(format!("did not start: {}", output.trim()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
