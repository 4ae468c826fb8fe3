//! `quarry serve`: the index over HTTP, as a JSON API (docs/api.md) and web pages.
//!
//! One process answers many requests, so scripts pay no process start per query, and the index
//! and the sentence-embedding model are opened once. Each request runs the same subcommand code
//! as the command line (`search`, `similar`, `show`, `stats`), parsed by the same clap
//! definitions from the request's parameters (`/api/v1/search?q=...&limit=5&publisher=...`),
//! with its output sent to the response: one contract, one serialiser, the same errors.
//!
//! - **One open index per commit.** Requests share the open index until another process
//!   commits (`quarry index` in another shell); the next request then opens the new commit.
//! - **Read-only.** Only reading subcommands are reachable, and a missing index is never built.
//! - **Bounded.** `--threads` workers take requests and hand each to a pool of twice as many
//!   threads; a request is answered `503` when it takes longer than `--timeout`, so one slow
//!   query holds a worker for at most that long. Requests that ran out of time and still run
//!   are counted; with as many of them as workers, new requests are refused at once. URLs over
//!   8 KiB and request bodies are refused.
//! - **Streamed exports.** `limit=0` with `format=jsonl` or `csv` writes every hit a page at a
//!   time (`quarry search --limit 0`) through a bounded channel into a chunked response.
//! - **Loopback by default.** Another address needs a token, checked on every request.

mod openapi;
mod pages;

use super::{captured, dispatch, one_line_error, Cli, Failure, Globals, Outcome};
use clap::CommandFactory;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Endpoints (GET): /api/v1/search?q=QUERY, /api/v1/count?q=, /api/v1/facets?q=&facet=FIELD, \
                  /api/v1/timeline?q=, /api/v1/indicators?q=&kind=, /api/v1/similar/PASSAGE_ID, /api/v1/passages/PASSAGE_ID, \
                  /api/v1/documents/DOC_ID, /api/v1/stats. Other parameters are the long options of \
                  the matching command (limit=5, publisher=..., explain=true). See docs/api.md."
)]
pub struct Args {
    /// The address and port to listen on (port 0: any free port; the address is printed)
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7700")]
    bind: String,

    /// Require this token on every request (header `Authorization: Bearer TOKEN`, or
    /// `token=TOKEN`); needed to listen beyond loopback
    #[arg(
        long,
        value_name = "TOKEN",
        env = "QUARRY_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,

    /// Requests answered at once
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,

    /// Answer a request that takes longer than this many seconds with 503
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,

    /// Open the search page in the default web browser
    #[arg(long)]
    open: bool,
}

/// The most hits (or documents) one answer lists whole; more are exported (`limit=0`).
const MAX_LISTED: u64 = 10_000;

/// How long a client may leave an answer unread before its connection is dropped.
const SEND_TIMEOUT_SECS: i64 = 30;

/// The longest request URL served, in bytes.
const MAX_URL: usize = 8 * 1024;

/// What every request shares.
struct Shared {
    index_dir: std::path::PathBuf,
    token: Option<String>,
    timeout: Duration,
    /// The open index and the commit it holds.
    current: Mutex<Option<(Stamp, Arc<quarry::QuarryIndex>)>>,
    /// Requests answered 503 for taking too long that still run.
    overdue: AtomicUsize,
    /// The most overdue requests; beyond it, new requests are refused at once.
    max_overdue: usize,
    /// Where requests run: threads kept for the server's life, so that what they learn
    /// (the analyzers' caches of word forms) serves the requests after.
    pool: Mutex<std::sync::mpsc::Sender<Task>>,
}

/// A request's work, for a thread of the pool.
type Task = Box<dyn FnOnce() + Send>;

/// Starts `n` threads that run the tasks sent to the returned sender, one at a time each.
fn pool(n: usize) -> std::sync::mpsc::Sender<Task> {
    let (tx, rx) = std::sync::mpsc::channel::<Task>();
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..n {
        let rx = rx.clone();
        std::thread::spawn(move || loop {
            let task = match rx.lock() {
                Ok(rx) => rx.recv(),
                Err(_) => return,
            };
            match task {
                // A panic outside the command's own guard costs its request, not the thread.
                Ok(task) => {
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(task));
                }
                Err(_) => return,
            }
        });
    }
    tx
}

type Stamp = Vec<Option<(u64, u64, Option<std::time::SystemTime>)>>;

impl Shared {
    fn new(
        index_dir: std::path::PathBuf,
        token: Option<String>,
        timeout: Duration,
        threads: usize,
    ) -> Shared {
        Shared {
            index_dir,
            token,
            timeout,
            current: Mutex::new(None),
            overdue: AtomicUsize::new(0),
            max_overdue: threads,
            // The workers' own requests, and as many overdue ones.
            pool: Mutex::new(pool(threads * 2)),
        }
    }

    /// The index as of its latest commit: the one already open, or opened now when another
    /// process has committed since.
    fn index(&self) -> Result<Arc<quarry::QuarryIndex>, quarry::Error> {
        let stamp = quarry::index::files::commit_stamp(&self.index_dir);
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((s, index)) = current.as_ref() {
            if *s == stamp {
                return Ok(index.clone());
            }
        }
        match quarry::QuarryIndex::open(&self.index_dir) {
            Ok(index) => {
                let index = Arc::new(index);
                *current = Some((stamp, index.clone()));
                Ok(index)
            }
            // A commit being written may not open yet: the open one still answers.
            Err(e) => match current.as_ref() {
                Some((_, index)) => Ok(index.clone()),
                None => Err(e),
            },
        }
    }
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let invalid = |what: String, hint: &str| {
        Failure::Quarry(quarry::Error::new(quarry::ErrorKind::InvalidInput, what).with_hint(hint))
    };
    let addr: SocketAddr = args.bind.parse().map_err(|_| {
        invalid(
            format!(
                "'{}' is not an address and port",
                quarry::error::quote_input(&args.bind)
            ),
            "give one like 127.0.0.1:7700",
        )
    })?;
    let token = args.token.filter(|t| !t.is_empty());
    if !addr.ip().is_loopback() && token.is_none() {
        return Err(invalid(
            format!("listening on {addr} lets other machines read the index"),
            "give a --token (or QUARRY_TOKEN) that every request must carry, or bind to 127.0.0.1",
        ));
    }
    let shared = Arc::new(Shared::new(
        globals.index_dir.clone(),
        token,
        Duration::from_secs(args.timeout),
        usize::from(args.threads),
    ));
    // The index must exist: the server never builds one.
    shared.index()?;
    let cannot_listen = |e: &dyn std::fmt::Display| {
        invalid(
            format!("cannot listen on {addr}: {e}"),
            "choose another port with --bind",
        )
    };
    let listener = std::net::TcpListener::bind(addr).map_err(|e| cannot_listen(&e))?;
    no_delay(&listener);
    let server = tiny_http::Server::from_listener(listener, None).map_err(|e| cannot_listen(&e))?;
    let server = Arc::new(server);
    let shown = server
        .server_addr()
        .to_ip()
        .map_or_else(|| addr.to_string(), |a| a.to_string());
    // Said even with --quiet: it is where to connect.
    eprintln!(
        "quarry: serving {} at http://{shown}/ (pages) and http://{shown}/api/v1/ (JSON; Ctrl-C stops)",
        globals.index_dir.display()
    );
    if args.open {
        let page = match &shared.token {
            Some(t) => format!(
                "http://{shown}/?{}",
                pages::encode(&[("token".into(), t.clone())])
            ),
            None => format!("http://{shown}/"),
        };
        if let Err(e) = opener::open_browser(&page) {
            globals.notice(&format!(
                "cannot open a browser ({e}); open {page} yourself"
            ));
        }
    }
    let workers: Vec<_> = (0..args.threads)
        .map(|_| {
            let server = server.clone();
            let shared = shared.clone();
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    handle(&shared, request, respond);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    Ok(Outcome::Found)
}

/// Sends answers without waiting to fill a packet (TCP_NODELAY, which connections accepted
/// on Linux inherit from their listener). Without it, a kept-alive connection's next answer
/// waited 40 ms for the client's delayed acknowledgement of the previous one's last packet.
///
/// Also a send timeout ([`SEND_TIMEOUT_SECS`], inherited the same way): a client that stops
/// reading its answer cannot hold a worker for ever.
fn no_delay(listener: &std::net::TcpListener) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    let timeout = libc::timeval {
        tv_sec: SEND_TIMEOUT_SECS,
        tv_usec: 0,
    };
    // SAFETY: a valid socket descriptor, and pointers to values of the sizes given.
    unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            (&timeout as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

/// What a request's thread sends its worker.
enum Message {
    /// The whole answer.
    Whole(Reply),
    /// The start of a streamed answer: its content type and first bytes.
    Start(&'static str, Vec<u8>),
    /// More of a streamed answer.
    More(Vec<u8>),
    /// A streamed answer is complete.
    End,
}

/// A request's state, shared by its worker and its thread: running, done, or given up by
/// its worker (answered 503 while it ran on, so it counts as overdue until it ends).
const RUNNING: u8 = 0;
const DONE: u8 = 1;
const GIVEN_UP: u8 = 2;

/// Marks a request done when its thread ends, and uncounts it if it was overdue.
struct Ending {
    shared: Arc<Shared>,
    state: Arc<AtomicU8>,
}

impl Drop for Ending {
    fn drop(&mut self) {
        let was = self
            .state
            .compare_exchange(RUNNING, DONE, Ordering::SeqCst, Ordering::SeqCst);
        if was == Err(GIVEN_UP) {
            self.shared.overdue.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Runs one request on its own thread and sends its answer to its worker.
type Job = fn(&Shared, &tiny_http::Method, &str, &[(String, String)], SyncSender<Message>);

/// Answers a request: with its reply whole, or streamed.
fn respond(
    shared: &Shared,
    method: &tiny_http::Method,
    url: &str,
    headers: &[(String, String)],
    tx: SyncSender<Message>,
) {
    let reply = answer(shared, method, url, |name| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    });
    match reply.stream {
        Some(argv) => stream(shared, &argv, reply.content_type, tx),
        None => {
            let _ = tx.send(Message::Whole(reply));
        }
    }
}

/// Takes one request on a worker: runs `job` for it on a thread of its own and answers with
/// what that sends, or with 503 when it sends nothing in time.
fn handle(shared: &Arc<Shared>, request: tiny_http::Request, job: Job) {
    let url = request.url().to_string();
    let early = if url.len() > MAX_URL {
        Some(Reply::error(
            414,
            &format!("the request's URL is longer than {MAX_URL} bytes"),
            Some("shorten the query"),
        ))
    } else if request.body_length().is_some_and(|n| n > 0) {
        Some(Reply::error(
            413,
            "requests carry no body here",
            Some("send a GET with parameters"),
        ))
    } else if shared.overdue.load(Ordering::SeqCst) >= shared.max_overdue {
        Some(Reply::error(
            503,
            "the server is busy with slow requests",
            Some("try again shortly"),
        ))
    } else {
        None
    };
    if let Some(reply) = early {
        let _ = request.respond(reply.into_tiny());
        return;
    }
    let method = request.method().clone();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_string(),
                h.value.as_str().to_string(),
            )
        })
        .collect();
    let (tx, rx) = sync_channel::<Message>(2);
    let state = Arc::new(AtomicU8::new(RUNNING));
    let ending = Ending {
        shared: shared.clone(),
        state: state.clone(),
    };
    let task: Task = Box::new(move || {
        // A request answered 503 while it waited for a thread is not run at all.
        if ending.state.load(Ordering::SeqCst) != GIVEN_UP {
            job(&ending.shared, &method, &url, &headers, tx);
        }
        drop(ending);
    });
    let queued = shared
        .pool
        .lock()
        .map_err(|_| ())
        .and_then(|pool| pool.send(task).map_err(|_| ()));
    if queued.is_err() {
        let _ = request.respond(
            Reply::error(
                500,
                "internal error",
                Some("please report it; the server goes on"),
            )
            .into_tiny(),
        );
        return;
    }
    // A client gone before its answer is its own affair.
    let _ = match rx.recv_timeout(shared.timeout) {
        Ok(Message::Whole(reply)) => request.respond(reply.into_tiny()),
        // Chunked transfer is HTTP/1.1's: an older client (or one that asks for another
        // transfer coding) would have tiny_http hold the whole export in memory.
        Ok(Message::Start(..)) if !takes_chunks(&request) => request.respond(
            Reply::error(
                400,
                "a whole result set is streamed with HTTP/1.1 chunked transfer, which this request does not accept",
                Some("send the request as HTTP/1.1 without a TE header, or page with limit and offset"),
            )
            .into_tiny(),
        ),
        Ok(Message::Start(content_type, first)) => {
            let body = Streamed {
                first: std::io::Cursor::new(first),
                rx,
                done: false,
            };
            let mut response = tiny_http::Response::new(200.into(), Vec::new(), body, None, None);
            for h in headers_for(content_type) {
                response.add_header(h);
            }
            request.respond(response)
        }
        Ok(Message::More(_) | Message::End) | Err(RecvTimeoutError::Disconnected) => request
            .respond(
                Reply::error(
                    500,
                    "internal error",
                    Some("please report it; the server goes on"),
                )
                .into_tiny(),
            ),
        Err(RecvTimeoutError::Timeout) => {
            let given_up =
                state.compare_exchange(RUNNING, GIVEN_UP, Ordering::SeqCst, Ordering::SeqCst);
            if given_up.is_ok() {
                shared.overdue.fetch_add(1, Ordering::SeqCst);
            }
            request.respond(
                Reply::error(
                    503,
                    &format!(
                        "the request took longer than {} s",
                        shared.timeout.as_secs()
                    ),
                    Some("narrow the query, or start the server with a longer --timeout"),
                )
                .into_tiny(),
            )
        }
    };
}

/// Whether the client takes a chunked answer: HTTP/1.1 or later, without a `TE` header.
fn takes_chunks(request: &tiny_http::Request) -> bool {
    let version = request.http_version();
    (version.0, version.1) >= (1, 1)
        && !request
            .headers()
            .iter()
            .any(|h| h.field.as_str().as_str().eq_ignore_ascii_case("TE"))
}

/// The body of a streamed answer, read from the request's thread as it writes. It ends in an
/// error (so the chunked response is left incomplete, which clients report) when the command
/// failed after its first bytes.
struct Streamed {
    first: std::io::Cursor<Vec<u8>>,
    rx: Receiver<Message>,
    done: bool,
}

impl Read for Streamed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.first.read(buf)?;
            if n > 0 || buf.is_empty() || self.done {
                return Ok(n);
            }
            match self.rx.recv() {
                Ok(Message::More(bytes)) => self.first = std::io::Cursor::new(bytes),
                Ok(Message::End) => self.done = true,
                _ => {
                    return Err(std::io::Error::other("the export stopped with an error"));
                }
            }
        }
    }
}

/// Writes what a command prints to a streamed answer, 64 KiB at a time; the first write starts
/// the answer. Writes fail once the client is gone, which stops the command.
struct Sender {
    tx: SyncSender<Message>,
    content_type: &'static str,
    buffer: Vec<u8>,
    started: Arc<std::sync::atomic::AtomicBool>,
}

const CHUNK: usize = 64 * 1024;

impl Write for Sender {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            self.send()?;
        }
        Ok(())
    }
}

impl Sender {
    fn send(&mut self) -> std::io::Result<()> {
        let bytes = std::mem::take(&mut self.buffer);
        let message = if self.started.swap(true, Ordering::SeqCst) {
            Message::More(bytes)
        } else {
            Message::Start(self.content_type, bytes)
        };
        self.tx
            .send(message)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client is gone"))
    }
}

/// Runs a streamed command line (an export) and sends its output as it is written.
fn stream(shared: &Shared, argv: &[String], content_type: &'static str, tx: SyncSender<Message>) {
    let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sender = Sender {
        tx: tx.clone(),
        content_type,
        buffer: Vec::new(),
        started: started.clone(),
    };
    let result = run_command_into(shared, "search", argv, Box::new(sender));
    let message = match result {
        Ok(()) if started.load(Ordering::SeqCst) => Message::End,
        // Nothing was written: an empty answer, whole.
        Ok(()) => Message::Whole(Reply {
            status: 200,
            content_type,
            body: Vec::new(),
            stream: None,
        }),
        // After its start, an error can only cut the stream short.
        Err(_) if started.load(Ordering::SeqCst) => return,
        Err(reply) => Message::Whole(reply),
    };
    let _ = tx.send(message);
}

/// The headers of every answer.
fn headers_for(content_type: &str) -> Vec<tiny_http::Header> {
    let header = |k: &str, v: &str| tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes());
    [
        header("Content-Type", content_type),
        header("Cache-Control", "no-store"),
        header("X-Content-Type-Options", "nosniff"),
        header("Allow", "GET, HEAD"),
        header("Content-Security-Policy", CSP),
        header("Referrer-Policy", "no-referrer"),
        header("X-Frame-Options", "DENY"),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Pages load their style and script from the server and nothing else; no inline script runs.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// An answer to one request.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    /// The command line whose output is the body, written as it runs (exports).
    stream: Option<Vec<String>>,
}

impl Reply {
    fn error(status: u16, message: &str, hint: Option<&str>) -> Reply {
        let body = serde_json::json!({
            "error": quarry::output::sanitize(message),
            "hint": hint.map(quarry::output::sanitize),
            "status": status,
        });
        Reply {
            status,
            content_type: "application/json; charset=utf-8",
            body: format!("{body}\n").into_bytes(),
            stream: None,
        }
    }

    fn into_tiny(self) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
        let mut response = tiny_http::Response::from_data(self.body).with_status_code(self.status);
        for h in headers_for(self.content_type) {
            response.add_header(h);
        }
        response
    }
}

/// Options that are the server's to set, never a request's: where the index and the model
/// are (a client must not make the server read other folders), which engine answers and where
/// a cluster is (a client must not make the server connect elsewhere), and how output looks.
const SERVER_OWNED: [&str; 9] = [
    "index",
    "model",
    "color",
    "quiet",
    "format",
    "engine",
    "opensearch",
    "index-name",
    "cluster-timeout",
];

/// The command line a request stands for, or the reply that refuses it.
fn command_line(
    shared: &Shared,
    path: &str,
    params: &[(String, String)],
) -> Result<(String, Vec<String>, &'static str), Reply> {
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| Reply::error(400, "the path is not UTF-8", None))
        })
        .collect::<Result<_, _>>()?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (command, extra, positional): (&str, Vec<&str>, Option<String>) = match segments[..] {
        ["api", "v1", "search"] => ("search", vec![], None),
        ["api", "v1", "count"] => ("search", vec!["--count"], None),
        ["api", "v1", "facets"] => ("search", vec![], None),
        ["api", "v1", "timeline"] => ("search", vec!["--timeline"], None),
        ["api", "v1", "similar", id] => ("similar", vec![], Some(id.to_string())),
        ["api", "v1", "passages", id] if id.contains('-') => ("show", vec![], Some(id.to_string())),
        ["api", "v1", "documents", id] if !id.contains('-') => {
            ("show", vec![], Some(id.to_string()))
        }
        ["api", "v1", "stats"] => ("stats", vec![], None),
        ["api", "v1", "indicators"] => ("indicators", vec![], None),
        _ => {
            return Err(Reply::error(
                404,
                &format!("no such endpoint: {}", quarry::error::quote_input(path)),
                Some("see docs/api.md for the endpoints under /api/v1/"),
            ))
        }
    };
    let facets = segments[..] == ["api", "v1", "facets"];
    let mut argv: Vec<String> = vec![
        "quarry".into(),
        "--index".into(),
        shared.index_dir.to_string_lossy().into_owned(),
        "--color".into(),
        "never".into(),
        "--quiet".into(),
        command.into(),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    let sub = cli_command().find_subcommand(command);
    let mut query: Option<String> = None;
    let mut format = "json";
    for (key, value) in params {
        match key.as_str() {
            "token" => continue,
            "q" if command == "search" || command == "indicators" => {
                query = Some(value.clone());
                continue;
            }
            "format" => {
                format =
                    match (command, value.as_str()) {
                        (_, "json") => "json",
                        ("search" | "similar" | "indicators", "jsonl") => "jsonl",
                        ("search" | "similar" | "indicators", "csv") => "csv",
                        _ => return Err(Reply::error(
                            400,
                            &format!(
                                "format={} is not offered here",
                                quarry::error::quote_input(value)
                            ),
                            Some(
                                "json everywhere; jsonl and csv for search, similar and indicators",
                            ),
                        )),
                    };
                continue;
            }
            _ => {}
        }
        let arg = sub.and_then(|s| {
            s.get_arguments()
                .find(|a| a.get_long() == Some(key.as_str()))
        });
        let Some(arg) = arg.filter(|_| !SERVER_OWNED.contains(&key.as_str())) else {
            return Err(Reply::error(
                400,
                &format!(
                    "unknown parameter '{}' for {command}",
                    quarry::error::quote_input(key)
                ),
                Some("parameters are the long options of the command (see docs/api.md)"),
            ));
        };
        if arg.get_action().takes_values() {
            // An empty form field means the option is not given.
            if !value.is_empty() {
                argv.push(format!("--{key}"));
                argv.push(value.clone());
            }
        } else {
            match value.as_str() {
                "" | "true" | "1" | "yes" => argv.push(format!("--{key}")),
                "false" | "0" | "no" => {}
                _ => {
                    return Err(Reply::error(
                        400,
                        &format!(
                            "{key}={} is not true or false",
                            quarry::error::quote_input(value)
                        ),
                        None,
                    ))
                }
            }
        }
    }
    if facets && !params.iter().any(|(k, _)| k == "facet") {
        return Err(Reply::error(
            400,
            "facets need facet=FIELD",
            Some("publisher, author, tag, kind, lang, format, year, or an indicator kind (domain, email, handle, hashtag, channel, hash); comma-separated for several"),
        ));
    }
    // (Only json is offered for stats and show: checked above.)
    argv.push("--format".into());
    argv.push(format.into());
    let positional =
        match (command, positional) {
            ("search", _) => Some(query.ok_or_else(|| {
                Reply::error(400, "the query is missing", Some("give it as q=..."))
            })?),
            // Without a query, every passage.
            ("indicators", _) => query.filter(|q| !q.trim().is_empty()),
            (_, p) => p,
        };
    if let Some(p) = positional {
        argv.push("--".into());
        argv.push(p);
    }
    let content_type = match format {
        "jsonl" => "application/jsonl; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/json; charset=utf-8",
    };
    Ok((command.to_string(), argv, content_type))
}

/// Answers one request: `header` gives a request header's value by name.
fn answer(
    shared: &Shared,
    method: &tiny_http::Method,
    url: &str,
    header: impl Fn(&str) -> Option<String>,
) -> Reply {
    if !matches!(method, tiny_http::Method::Get | tiny_http::Method::Head) {
        return Reply::error(405, "only GET is served", Some("the server only reads"));
    }
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(token) = &shared.token {
        let bearer = header("Authorization")
            .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_string()));
        let given = bearer.or_else(|| {
            params
                .iter()
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.clone())
        });
        if !given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
            return Reply::error(
                401,
                "this server needs its token",
                Some("send Authorization: Bearer TOKEN"),
            );
        }
    }
    if !path.starts_with("/api/") {
        return pages::answer(shared, path, &params);
    }
    if path == "/api/v1/openapi.json" {
        return Reply {
            status: 200,
            content_type: "application/json; charset=utf-8",
            body: format!("{:#}\n", openapi::spec()).into_bytes(),
            stream: None,
        };
    }
    let (command, argv, content_type) = match command_line(shared, path, &params) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    // Every hit (limit=0) is written a page at a time as it is found; a list answered whole
    // is bounded.
    let limit = argv
        .windows(2)
        .find(|w| w[0] == "--limit")
        .and_then(|w| w[1].trim().parse::<u64>().ok());
    if limit.is_some_and(|n| n > MAX_LISTED) {
        return Reply::error(
            400,
            &format!(
                "limit={} is more than {MAX_LISTED} hits in one answer",
                limit.unwrap_or(0)
            ),
            Some("use limit=0 with format=jsonl or format=csv to export a whole result set"),
        );
    }
    if command == "search" && limit == Some(0) {
        return Reply {
            status: 200,
            content_type,
            body: Vec::new(),
            stream: Some(argv),
        };
    }
    match run_command(shared, &command, &argv) {
        Ok(body) => Reply {
            status: 200,
            content_type,
            body,
            stream: None,
        },
        Err(reply) => reply,
    }
}

/// A buffer that [`captured`] writes into and its caller reads back.
#[derive(Clone, Default)]
struct Buffer(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs the command line `argv` (of subcommand `command`) as the command line would, and
/// returns what it printed, or the reply for its error.
fn run_command(shared: &Shared, command: &str, argv: &[String]) -> Result<Vec<u8>, Reply> {
    let buffer = Buffer::default();
    run_command_into(shared, command, argv, Box::new(buffer.clone()))?;
    let body = buffer.0.take();
    Ok(body)
}

/// Runs the command line `argv` as the command line would, with what it prints written to
/// `sink`; an error becomes its reply.
fn run_command_into(
    shared: &Shared,
    command: &str,
    argv: &[String],
    sink: Box<dyn Write>,
) -> Result<(), Reply> {
    let cli = match parse(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let line = one_line_error(&e.render().to_string(), &format!("quarry {command}"));
            return Err(Reply::error(400, &line, None));
        }
    };
    let index = shared
        .index()
        .map_err(|e| failure_reply(Failure::Quarry(e)))?;
    let globals = Globals {
        index_dir: shared.index_dir.clone(),
        // Never build an index for a request.
        index_named: true,
        color: false,
        quiet: true,
        stderr_tty: false,
        opened: Some(index),
    };
    let result = captured(sink, || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            dispatch(cli.command, &globals)
        }))
    });
    match result {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(failure)) => Err(failure_reply(failure)),
        Err(_) => Err(Reply::error(
            500,
            "internal error",
            Some("please report it; the server goes on"),
        )),
    }
}

/// The command line's definition, built once.
fn cli_command() -> &'static clap::Command {
    static COMMAND: std::sync::OnceLock<clap::Command> = std::sync::OnceLock::new();
    COMMAND.get_or_init(Cli::command)
}

/// Parses a request's command line as `quarry` would, with the definition built once per
/// thread (building it took a tenth of a request's time).
fn parse(argv: &[String]) -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    thread_local! {
        static COMMAND: std::cell::RefCell<clap::Command> = std::cell::RefCell::new(Cli::command());
    }
    COMMAND.with(|c| {
        let matches = c.borrow_mut().try_get_matches_from_mut(argv)?;
        Cli::from_arg_matches(&matches)
    })
}

/// The reply for a command's failure.
fn failure_reply(failure: Failure) -> Reply {
    match failure {
        Failure::Output(e) => Reply::error(500, &format!("cannot write: {e}"), None),
        Failure::Quarry(e) => {
            use quarry::ErrorKind::*;
            let status = match e.kind() {
                InvalidInput if e.message().contains(" with id ") => 404,
                InvalidInput | Query => 400,
                NoIndex => 503,
                IndexLocked => 503,
                _ => 500,
            };
            Reply::error(status, e.message(), e.hint())
        }
    }
}

/// Compares two byte strings in time that depends on their lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        Shared::new("/idx".into(), None, Duration::from_secs(1), 1)
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn requests_become_the_command_lines_they_stand_for() {
        let (command, argv, _) = command_line(
            &shared(),
            "/api/v1/search",
            &params(&[
                ("q", "-x y"),
                ("limit", "5"),
                ("explain", "true"),
                ("all", "false"),
            ]),
        )
        .unwrap();
        assert_eq!(command, "search");
        let tail: Vec<&str> = argv[7..].iter().map(String::as_str).collect();
        assert_eq!(
            tail,
            [
                "--limit",
                "5",
                "--explain",
                "--format",
                "json",
                "--",
                "-x y"
            ]
        );
        // The index, colour and format are the server's.
        for bad in ["index", "color", "quiet", "no-such-option"] {
            let e = command_line(
                &shared(),
                "/api/v1/search",
                &params(&[("q", "x"), (bad, "/")]),
            )
            .unwrap_err();
            assert_eq!(e.status, 400, "{bad}");
        }
        let e = command_line(&shared(), "/api/v1/search", &params(&[("limit", "5")])).unwrap_err();
        assert_eq!(e.status, 400);
        let e = command_line(&shared(), "/api/v1/nowhere", &[]).unwrap_err();
        assert_eq!(e.status, 404);
        let (_, argv, _) = command_line(&shared(), "/api/v1/passages/abc%2D1", &[]).unwrap();
        assert_eq!(argv.last().map(String::as_str), Some("abc-1"));
    }

    /// A job that answers `/slow` after three seconds and anything else at once.
    fn slow_or_fast(
        _: &Shared,
        _: &tiny_http::Method,
        url: &str,
        _: &[(String, String)],
        tx: SyncSender<Message>,
    ) {
        if url == "/slow" {
            std::thread::sleep(Duration::from_secs(3));
        }
        let _ = tx.send(Message::Whole(Reply {
            status: 200,
            content_type: "text/plain",
            body: b"done".to_vec(),
            stream: None,
        }));
    }

    /// The status line of a GET of `path` from `addr`.
    fn status_of(addr: SocketAddr, path: &str) -> String {
        use std::io::BufRead;
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(stream, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stream)
            .read_line(&mut line)
            .unwrap();
        line.trim().to_string()
    }

    #[test]
    fn slow_requests_time_out_and_leave_the_others_served() {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let addr = server.server_addr().to_ip().unwrap();
        // One worker, and room for two requests past their time (as for two workers).
        let shared = Arc::new(Shared::new("/idx".into(), None, Duration::from_secs(1), 2));
        let worker = {
            let (server, shared) = (server.clone(), shared.clone());
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    handle(&shared, request, slow_or_fast);
                }
            })
        };
        let started = std::time::Instant::now();
        assert_eq!(status_of(addr, "/slow"), "HTTP/1.0 503 Service Unavailable");
        assert!(started.elapsed() < Duration::from_millis(2500));
        // The slow one still runs, yet the worker answers the next.
        assert_eq!(status_of(addr, "/fast"), "HTTP/1.0 200 OK");
        // Two slow ones past their time fill the limit: the next is refused at once.
        assert_eq!(status_of(addr, "/slow"), "HTTP/1.0 503 Service Unavailable");
        let refused = std::time::Instant::now();
        assert_eq!(status_of(addr, "/fast"), "HTTP/1.0 503 Service Unavailable");
        assert!(refused.elapsed() < Duration::from_millis(500));
        // Once they end, requests are served again.
        std::thread::sleep(Duration::from_millis(2500));
        assert_eq!(status_of(addr, "/fast"), "HTTP/1.0 200 OK");
        let long = format!("/{}", "x".repeat(MAX_URL));
        assert_eq!(status_of(addr, &long), "HTTP/1.0 414 URI Too Long");
        server.unblock();
        worker.join().unwrap();
    }

    #[test]
    fn tokens_are_compared_whole() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
    }
}
