//! Child processes that cannot outlive this one: the throwaway PostgreSQL, and the helpers the
//! tests start (PgBouncer, a local Secrets Manager).
//!
//! A child gets a signal of our choice when this process dies, even by SIGKILL
//! (`PR_SET_PDEATHSIG`), so a crashed test run or a killed local-api leaves nothing running.

use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use std::os::unix::process::CommandExt;

/// A running child, tied to this process.
pub struct TiedChild {
    pid: u32,
    exited: mpsc::Receiver<()>,
    done: bool,
}

impl TiedChild {
    /// Spawns `command`; the child gets `death_signal` when this process exits.
    pub fn spawn(mut command: Command, death_signal: libc::c_int) -> std::io::Result<TiedChild> {
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(move || {
                // Set after any uid change (which would clear it), so it survives the exec.
                if libc::prctl(libc::PR_SET_PDEATHSIG, death_signal) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        // PR_SET_PDEATHSIG fires when the *thread* that spawned the child exits, so spawn it
        // from a thread that lives exactly as long as the child.
        let (spawned_tx, spawned_rx) = mpsc::channel();
        let (exited_tx, exited_rx) = mpsc::channel();
        let program = command.get_program().to_string_lossy().into_owned();
        std::thread::Builder::new()
            .name(format!("child {program}"))
            .spawn(move || match command.spawn() {
                Ok(mut child) => {
                    let _ = spawned_tx.send(Ok(child.id()));
                    let _ = child.wait();
                    let _ = exited_tx.send(());
                }
                Err(err) => {
                    let _ = spawned_tx.send(Err(err));
                }
            })?;
        let pid = spawned_rx
            .recv()
            .map_err(|_| std::io::Error::other(format!("spawning {program}: thread died")))??;
        Ok(TiedChild {
            pid,
            exited: exited_rx,
            done: false,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the child has exited (without waiting).
    pub fn has_exited(&mut self) -> bool {
        if !self.done && self.exited.try_recv().is_ok() {
            self.done = true;
        }
        self.done
    }

    /// Sends `signal`, waits up to `grace` for the child to exit, then kills it.
    pub fn stop(&mut self, signal: libc::c_int, grace: Duration) {
        if self.has_exited() {
            return;
        }
        // SAFETY: kill(2) on the pid of our own child. Its waiting thread had not reported an
        // exit a moment ago; a pid is not reused that fast.
        unsafe {
            libc::kill(self.pid as libc::pid_t, signal);
        }
        if self.exited.recv_timeout(grace).is_err() {
            unsafe {
                libc::kill(self.pid as libc::pid_t, libc::SIGKILL);
            }
            let _ = self.exited.recv_timeout(Duration::from_secs(5));
        }
        self.done = true;
    }
}

impl Drop for TiedChild {
    fn drop(&mut self) {
        self.stop(libc::SIGTERM, Duration::from_secs(10));
    }
}
