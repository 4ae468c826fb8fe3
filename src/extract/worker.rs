//! Running an extractor in a worker process, with a time limit and a memory limit.
//!
//! Parsers of complex formats can overflow the stack, allocate without bound or loop on
//! crafted input; none of that can be caught inside the process. The indexer therefore runs
//! isolated extractors ([`super::Extractor::isolate`]) in a child process: the quarry binary
//! itself, started with a hidden subcommand that calls [`serve`]. The parent ([`extract_isolated`])
//! gives the child an address-space limit (RLIMIT_AS, on Unix), kills it at the deadline, and
//! turns a crash, a kill or an unreadable reply into a [`Failure`] for that one file. The reply
//! is the JSON of a [`Reply`] on the child's stdout.
//!
//! A worker never outlives its purpose: on Linux it is killed when the thread that started it
//! ends (`PR_SET_PDEATHSIG`, so `kill -9` of `quarry index` takes its workers with it), it gets
//! a CPU-time limit a little above the time limit (RLIMIT_CPU), and it is told the time limit
//! (`--timeout-ms`) so that it can end itself at the deadline wherever its parent went.

use super::{by_name, extract_file, Extracted, Failure, FailureKind};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How to start workers and what they may use.
#[derive(Debug, Clone)]
pub struct Isolation {
    /// The program to run (the quarry binary).
    pub program: PathBuf,
    /// Arguments that select the worker mode, before the worker's own arguments.
    pub args: Vec<OsString>,
    /// Wall-clock limit per file (and, for OCR, per page: [`crate::ocr::pass`]).
    pub timeout: Duration,
    /// Address-space limit per worker (and per OCR helper process), in bytes.
    pub memory_bytes: u64,
}

/// The default time limit per file (and, for OCR, per page), in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 120;
/// The default address-space limit of a worker (and of each OCR helper), in bytes.
pub const DEFAULT_MEMORY_BYTES: u64 = 2048 * 1_000_000;

/// A worker's answer.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    /// The extracted document.
    Ok(Box<Extracted>),
    /// Why the file could not be extracted.
    Err(Failure),
    /// The documents a container reader made (a workbook's rows), with what it reported.
    Parts {
        /// The documents, in order.
        docs: Vec<Extracted>,
        /// How many parts the reader gave.
        parts: u64,
        /// What it reported.
        warnings: Vec<String>,
    },
}

/// The time this worker's extraction started and its time limit, when it runs in a worker
/// that was given one.
static BUDGET: OnceLock<(Instant, Duration)> = OnceLock::new();

/// The time limit of the extraction running in this process, as (start, limit): set in a
/// worker, so that an extractor that works in parts (PDF pages) can keep what it read before
/// the deadline instead of losing the whole file to it. `None` outside a worker.
pub fn budget() -> Option<(Instant, Duration)> {
    BUDGET.get().copied()
}

/// Worker side: extracts `path` with the extractor named `extractor`, within `timeout` when
/// given, and writes the [`Reply`] to `out`.
pub fn serve(
    extractor: &str,
    path: &Path,
    display: &str,
    max_bytes: u64,
    timeout: Option<Duration>,
    mapping: Option<&str>,
    out: &mut dyn Write,
) -> io::Result<()> {
    if let Some(limit) = timeout {
        let _ = BUDGET.set((Instant::now(), limit));
    }
    let reply = match by_name(extractor) {
        Some(e) => match e.method {
            super::Method::Container(read) => {
                let mapping: super::records::Mapping = mapping
                    .and_then(|m| serde_json::from_str(m).ok())
                    .unwrap_or_default();
                let unpacked = std::cell::Cell::new(0);
                let limits = super::Limits {
                    max_file_bytes: max_bytes,
                    mapping: &mapping,
                    unpacked: &unpacked,
                };
                let mut docs = Vec::new();
                let mut inside = Vec::new();
                let result = read(path, display, &limits, &mut |part| {
                    match part {
                        super::Part::Document(x) => docs.push(x),
                        super::Part::File(f) => inside.push(f.display),
                    }
                    Ok(())
                });
                match result {
                    Ok(summary) => {
                        let mut warnings = summary.warnings;
                        warnings.extend(inside.into_iter().map(|d| {
                            format!("{d} skipped: files inside are not read in a worker")
                        }));
                        Reply::Parts {
                            docs,
                            parts: summary.parts,
                            warnings,
                        }
                    }
                    Err(f) => Reply::Err(f),
                }
            }
            _ => match extract_file(e, path, display, max_bytes) {
                Ok(x) => Reply::Ok(Box::new(x)),
                Err(f) => Reply::Err(f),
            },
        },
        None => Reply::Err(Failure::new(
            FailureKind::Crashed,
            format!("unknown extractor '{extractor}'"),
        )),
    };
    serde_json::to_writer(&mut *out, &reply).map_err(io::Error::from)?;
    out.flush()
}

fn read_all(mut r: impl Read + Send + 'static, limit: u64) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut r).take(limit).read_to_end(&mut buf);
        // Keep draining so the child never blocks on a full pipe.
        let _ = io::copy(&mut r, &mut io::sink());
        buf
    })
}

/// Parent side: extracts one file in a worker process.
pub fn extract_isolated(
    iso: &Isolation,
    extractor: &super::Extractor,
    path: &Path,
    display: &str,
    max_bytes: u64,
) -> Result<Extracted, Failure> {
    match run(iso, extractor, path, display, max_bytes, None)? {
        Reply::Ok(x) => Ok(*x),
        Reply::Err(f) => Err(f),
        Reply::Parts { .. } => Err(unreadable_reply()),
    }
}

/// Parent side: reads a container file in a worker process; returns the documents it made
/// and its summary (a workbook, which its reader holds in memory while it reads).
pub fn container_isolated(
    iso: &Isolation,
    extractor: &super::Extractor,
    path: &Path,
    display: &str,
    max_bytes: u64,
    mapping: &super::records::Mapping,
) -> Result<(Vec<Extracted>, super::ContainerSummary), Failure> {
    let mapping = serde_json::to_string(mapping).ok();
    match run(iso, extractor, path, display, max_bytes, mapping)? {
        Reply::Parts {
            docs,
            parts,
            warnings,
        } => Ok((docs, super::ContainerSummary { parts, warnings })),
        Reply::Err(f) => Err(f),
        Reply::Ok(_) => Err(unreadable_reply()),
    }
}

fn unreadable_reply() -> Failure {
    Failure::new(
        FailureKind::Crashed,
        "the extraction worker sent an unreadable reply",
    )
}

/// Runs one extraction in a worker process and reads its reply.
fn run(
    iso: &Isolation,
    extractor: &super::Extractor,
    path: &Path,
    display: &str,
    max_bytes: u64,
    mapping: Option<String>,
) -> Result<Reply, Failure> {
    let mut cmd = Command::new(&iso.program);
    if let Some(m) = &mapping {
        cmd.env("QUARRY_WORKER_MAPPING", m);
    }
    cmd.args(&iso.args)
        .arg("--extractor")
        .arg(extractor.name)
        .arg("--max-bytes")
        .arg(max_bytes.to_string())
        .arg("--display")
        .arg(display)
        .arg("--timeout-ms")
        .arg(iso.timeout.as_millis().to_string())
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RAYON_NUM_THREADS", "1");
    // The same address-space limit and tie to this process as every helper program.
    super::process::limit_memory(&mut cmd, iso.memory_bytes);
    super::process::dies_with_parent(&mut cmd);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // CPU seconds: the wall-clock limit plus a margin (the parent's kill comes first).
        let cpu = iso.timeout.as_secs().saturating_add(5);
        // SAFETY: setrlimit is async-signal-safe; the closure allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                let cpu_rl = libc::rlimit {
                    rlim_cur: cpu as libc::rlim_t,
                    rlim_max: cpu.saturating_add(5) as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_CPU, &cpu_rl) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().map_err(|e| {
        Failure::new(
            FailureKind::Crashed,
            format!(
                "cannot start the extraction worker: {}",
                crate::error::io_reason(&e)
            ),
        )
    })?;
    let stdout = child.stdout.take().map(|s| read_all(s, u64::MAX));
    let stderr = child.stderr.take().map(|s| read_all(s, 64 * 1024));

    let deadline = Instant::now() + iso.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::new(
                    FailureKind::TimedOut,
                    format!(
                        "extraction took longer than {} s (raise the limit with --timeout)",
                        iso.timeout.as_secs()
                    ),
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(3)),
            Err(e) => {
                let _ = child.kill();
                return Err(Failure::new(
                    FailureKind::Crashed,
                    format!(
                        "lost the extraction worker: {}",
                        crate::error::io_reason(&e)
                    ),
                ));
            }
        }
    };
    let out = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
    let err = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    if !status.success() {
        return Err(crash(
            status,
            &String::from_utf8_lossy(&err),
            iso.memory_bytes,
        ));
    }
    serde_json::from_slice::<Reply>(&out).map_err(|_| unreadable_reply())
}

fn crash(status: std::process::ExitStatus, stderr: &str, memory: u64) -> Failure {
    let cause = if stderr.contains("overflowed its stack") {
        "stack overflow".to_string()
    } else if stderr.contains("memory allocation") || stderr.contains("out of memory") {
        format!(
            "out of memory (limit {} MB, set with --extract-memory)",
            memory / 1_000_000
        )
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            match status.signal() {
                Some(sig) => format!("killed by signal {sig}"),
                None => format!("exit status {}", status.code().unwrap_or(-1)),
            }
        }
        #[cfg(not(unix))]
        {
            format!("exit status {}", status.code().unwrap_or(-1))
        }
    };
    Failure::new(
        FailureKind::Crashed,
        format!("the extractor crashed on this file ({cause})"),
    )
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// An "extractor" that is a shell script, to exercise the parent's handling of workers.
    fn script(body: &str, timeout_ms: u64) -> Result<Extracted, Failure> {
        let iso = Isolation {
            program: PathBuf::from("/bin/sh"),
            args: vec!["-c".into(), body.into(), "sh".into()],
            timeout: Duration::from_millis(timeout_ms),
            memory_bytes: 1 << 30,
        };
        extract_isolated(
            &iso,
            &super::super::pdf::EXTRACTOR,
            Path::new("x.pdf"),
            "x.pdf",
            1000,
        )
    }

    #[test]
    fn a_hanging_worker_is_killed_at_the_deadline() {
        let started = Instant::now();
        let err = script("sleep 30", 300).unwrap_err();
        assert_eq!(err.kind, FailureKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_crashing_worker_is_reported() {
        let err = script("kill -SEGV $$", 10_000).unwrap_err();
        assert_eq!(err.kind, FailureKind::Crashed);
        assert!(err.message.contains("signal 11"), "{}", err.message);
        let err = script(
            "echo \"thread 'main' has overflowed its stack\" >&2; kill -ABRT $$",
            10_000,
        )
        .unwrap_err();
        assert!(err.message.contains("stack overflow"), "{}", err.message);
    }

    #[test]
    fn a_garbled_reply_is_reported() {
        let err = script("echo not json", 10_000).unwrap_err();
        assert_eq!(err.kind, FailureKind::Crashed);
        assert!(err.message.contains("unreadable reply"));
    }

    #[test]
    fn replies_round_trip() {
        let failure = Failure::new(FailureKind::Encrypted, "encrypted PDF");
        let body = format!(
            "echo '{}'",
            serde_json::to_string(&Reply::Err(failure.clone())).unwrap()
        );
        assert_eq!(script(&body, 10_000).unwrap_err(), failure);
    }
}
