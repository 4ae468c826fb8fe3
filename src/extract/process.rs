//! Running a helper program (pdftotext, pdftoppm, Tesseract): found on `PATH`, fed its input
//! through a pipe, its output read whole, killed at a deadline, limited in memory when asked
//! ([`limit_memory`]), and (on Linux) killed with the process that started it, so that no
//! helper outlives an interrupted `quarry index`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;
use wait_timeout::ChildExt;

/// The most a helper's standard output may hold (a page image at 300 dpi is a few MB).
const MAX_OUTPUT: u64 = 512 * 1024 * 1024;

/// The program the environment variable `var` names (`none` or empty for none), else `name`
/// found on `PATH`.
pub fn locate(var: &str, name: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if v == "none" || v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => find_in_path(name),
    }
}

/// `name` in a folder of `PATH`, if it is there and executable.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// On Linux, makes the program `cmd` starts die with the process that starts it.
pub fn dies_with_parent(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id();
        // SAFETY: prctl and getppid are async-signal-safe; the closure allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::getppid() as u32 != parent {
                    return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

/// How a helper's run ended.
#[derive(Debug)]
pub enum Output {
    /// It exited by itself.
    Exited {
        /// Its exit status.
        status: ExitStatus,
        /// What it wrote to standard output.
        stdout: Vec<u8>,
        /// The start of what it wrote to standard error.
        stderr: String,
    },
    /// It was killed at the deadline.
    OutOfTime,
}

/// On Unix, limits the address space of the program `cmd` starts to `bytes` (RLIMIT_AS): a
/// helper that would take more fails on its allocation instead of taking the machine's memory.
pub fn limit_memory(cmd: &mut Command, bytes: u64) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe; the closure allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                let rl = libc::rlimit {
                    rlim_cur: bytes as libc::rlim_t,
                    rlim_max: bytes as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &rl) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (cmd, bytes);
}

/// Runs `cmd` with `input` on its standard input until it exits or `deadline` comes.
pub fn run(mut cmd: Command, input: &[u8], deadline: Option<Instant>) -> Result<Output, String> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    dies_with_parent(&mut cmd);
    let name = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {name}: {e}"))?;
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    std::thread::scope(|s| {
        s.spawn(move || {
            if let Some(mut stdin) = stdin {
                // A helper may stop reading early (a damaged file): that is its answer.
                let _ = stdin.write_all(input);
            }
        });
        let out = s.spawn(move || {
            let mut bytes = Vec::new();
            if let Some(o) = stdout {
                let _ = o.take(MAX_OUTPUT).read_to_end(&mut bytes);
            }
            bytes
        });
        let err = s.spawn(move || {
            let mut text = String::new();
            if let Some(e) = stderr {
                let _ = e.take(64 * 1024).read_to_string(&mut text);
            }
            text
        });
        let status = match deadline {
            None => child.wait().map(Some),
            Some(t) => child.wait_timeout(t.saturating_duration_since(Instant::now())),
        };
        let status = match status {
            Ok(Some(status)) => status,
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(Output::OutOfTime);
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("lost {name}: {e}"));
            }
        };
        Ok(Output::Exited {
            status,
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        })
    })
}

/// The first non-empty line of a helper's error output, or "no message".
pub fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no message")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn helpers_are_fed_read_and_stopped_at_their_deadline() {
        let Some(cat) = find_in_path("cat") else {
            eprintln!("skipped: no cat");
            return;
        };
        match run(Command::new(&cat), b"page", None).unwrap() {
            Output::Exited { status, stdout, .. } => {
                assert!(status.success());
                assert_eq!(stdout, b"page");
            }
            other => panic!("{other:?}"),
        }
        let Some(sleep) = find_in_path("sleep") else {
            return;
        };
        let mut cmd = Command::new(sleep);
        cmd.arg("5");
        let started = Instant::now();
        let out = run(cmd, b"", Some(Instant::now() + Duration::from_millis(200))).unwrap();
        assert!(matches!(out, Output::OutOfTime), "{out:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(run(Command::new("/no/such/program"), b"", None).is_err());
        assert_eq!(first_line("\n  oops\nmore"), "oops");
    }
}
