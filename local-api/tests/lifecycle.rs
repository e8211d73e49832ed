//! The `local-api` binary with no configuration: starts its own PostgreSQL, serves, and on
//! Ctrl-C (SIGINT) stops that PostgreSQL and exits, leaving nothing running. And
//! `local-api postgres`, the same throwaway cluster for scripts. Logs are on stderr.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn runs_with_no_configuration_and_cleans_up_on_ctrl_c() {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-api"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start local-api");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut postgres_port = None;
    let mut warned_about_secret = false;
    for line in lines.by_ref() {
        let line = line.unwrap();
        warned_about_secret |= line.contains("BETTER_AUTH_SECRET is not set");
        if line.contains("throwaway PostgreSQL is up") {
            postgres_port = line
                .split("port=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u16>().ok());
        }
        if line.contains("local API on") || Instant::now() > deadline {
            break;
        }
    }
    let postgres_port = postgres_port.expect("local-api reported its PostgreSQL port");
    assert!(
        warned_about_secret,
        "a generated development secret is announced"
    );

    let jwks = http_get(port, "/api/auth/jwks");
    assert!(jwks.starts_with("HTTP/1.1 200"), "{jwks}");
    assert!(jwks.contains(r#""kty":"OKP""#), "{jwks}");
    let unauthenticated = http_get(port, "/api/someone/tasks");
    assert!(
        unauthenticated.starts_with("HTTP/1.1 401"),
        "{unauthenticated}"
    );

    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter()
            .any(|l| l.contains("throwaway PostgreSQL stopped and removed")),
        "{rest:?}"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", postgres_port)).is_err(),
        "PostgreSQL is no longer listening"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the API is no longer listening"
    );
}

#[test]
fn postgres_command_prints_a_url_serves_it_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-api"))
        .arg("postgres")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start local-api postgres");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = stdout.next().expect("a line on stdout").unwrap();
    let port: u16 = url
        .strip_prefix("postgres://postgres@127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/postgres?sslmode=disable"))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("not a URL of a local cluster: {url}"));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "PostgreSQL listens on the printed port"
    );

    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(
        stdout.next().is_none(),
        "the URL is the only line on stdout"
    );
    let logs: Vec<String> = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .collect();
    assert!(
        logs.iter()
            .any(|l| l.contains("throwaway PostgreSQL stopped and removed")),
        "{logs:?}"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "PostgreSQL is no longer listening"
    );
}
