//! Counts database round trips: a TCP proxy between the handlers and PostgreSQL that reads the
//! client's side of the wire protocol and counts the messages the client then waits on.
//!
//! In the extended query protocol a client sends Parse/Bind/Describe/Execute and then `Sync`,
//! and waits for the server's answer; in the simple protocol it sends `Query` and waits. So one
//! `Sync` or `Query` is one round trip. (tokio-postgres' `query_typed` sends one Sync; its
//! `query(&str)` sends one to prepare, one to execute and one to close the statement.)
//! No crate counts this; the proxy is ~60 lines.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone)]
pub struct RoundTripCounter {
    count: Arc<AtomicU64>,
    port: u16,
}

impl RoundTripCounter {
    /// Listens on a free localhost port and forwards every connection to `upstream_port`.
    pub async fn start(upstream_port: u16) -> RoundTripCounter {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicU64::new(0));
        let counter = count.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)).await {
                        proxy(client, server, counter).await;
                    }
                });
            }
        });
        RoundTripCounter { count, port }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Round trips since the last call.
    pub fn take(&self) -> u64 {
        self.count.swap(0, Ordering::SeqCst)
    }
}

async fn proxy(client: TcpStream, server: TcpStream, count: Arc<AtomicU64>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let downstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    });
    let mut parser = FrontendParser::default();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match client_read.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        count.fetch_add(parser.feed(&buffer[..n]), Ordering::SeqCst);
        if server_write.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    downstream.abort();
}

/// Splits the client's byte stream into protocol messages, across reads.
#[derive(Default)]
struct FrontendParser {
    pending: Vec<u8>,
    started: bool,
}

impl FrontendParser {
    /// Feeds bytes; returns how many round-trip-ending messages (`Sync`, `Query`) they completed.
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        self.pending.extend_from_slice(bytes);
        let mut completed = 0;
        loop {
            // Before startup completes, messages have no type byte: length (4) + payload.
            let header = if self.started { 5 } else { 4 };
            if self.pending.len() < header {
                break;
            }
            let length_at = if self.started { 1 } else { 0 };
            let length =
                u32::from_be_bytes(self.pending[length_at..length_at + 4].try_into().unwrap())
                    as usize;
            let total = length_at + length;
            if self.pending.len() < total {
                break;
            }
            if self.started {
                if matches!(self.pending[0], b'S' | b'Q') {
                    completed += 1;
                }
            } else {
                // 80877103 is SSLRequest and 80877104 GSSENCRequest; a startup message follows them.
                let code = u32::from_be_bytes(self.pending[4..8].try_into().unwrap());
                self.started = !matches!(code, 80877103 | 80877104);
            }
            self.pending.drain(..total);
        }
        completed
    }
}
