//! `quarry serve`: the index over HTTP, as a JSON API (docs/api.md).
//!
//! One process answers many requests, so scripts pay no process start per query and the
//! sentence-embedding model is loaded once. Each request runs the same subcommand code as the
//! command line (`search`, `similar`, `show`, `stats`), parsed by the same clap definitions from
//! the request's parameters (`/api/v1/search?q=...&limit=5&publisher=...`), with its output
//! captured: one contract, one serialiser, the same errors. The index is opened per request, so
//! a `quarry index` run in another shell shows up at the next request, and nothing the server
//! does can change the index (only reading subcommands are reachable, and a missing index is
//! never built). It binds to loopback by default; another address needs a token, checked on
//! every request.

mod openapi;
mod pages;

use super::{captured, dispatch, one_line_error, Cli, Failure, Globals, Outcome};
use clap::{CommandFactory, Parser};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Endpoints (GET): /api/v1/search?q=QUERY, /api/v1/count?q=, /api/v1/facets?q=&facet=FIELD, \
                  /api/v1/timeline?q=, /api/v1/similar/PASSAGE_ID, /api/v1/passages/PASSAGE_ID, \
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
}

/// What every request shares.
struct Shared {
    index_dir: std::path::PathBuf,
    token: Option<String>,
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let invalid = |what: String, hint: &str| {
        Failure::Quarry(quarry::Error::new(quarry::ErrorKind::InvalidInput, what).with_hint(hint))
    };
    // The index must exist: the server never builds one.
    quarry::QuarryIndex::open(&globals.index_dir)?;
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
    let server = tiny_http::Server::http(addr).map_err(|e| {
        invalid(
            format!("cannot listen on {addr}: {e}"),
            "choose another port with --bind",
        )
    })?;
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
    let shared = Arc::new(Shared {
        index_dir: globals.index_dir.clone(),
        token,
    });
    let workers: Vec<_> = (0..args.threads)
        .map(|_| {
            let server = server.clone();
            let shared = shared.clone();
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    let response = answer(&shared, request.method(), request.url(), |name| {
                        request
                            .headers()
                            .iter()
                            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                            .map(|h| h.value.as_str().to_string())
                    });
                    // A client gone before its answer is its own affair.
                    let _ = request.respond(response.into_tiny());
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    Ok(Outcome::Found)
}

/// An answer to one request.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
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
        }
    }

    fn into_tiny(self) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
        let header = |k: &str, v: &str| tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes());
        let mut response = tiny_http::Response::from_data(self.body).with_status_code(self.status);
        for h in [
            header("Content-Type", self.content_type),
            header("Cache-Control", "no-store"),
            header("X-Content-Type-Options", "nosniff"),
            header("Allow", "GET, HEAD"),
        ]
        .into_iter()
        .flatten()
        {
            response.add_header(h);
        }
        response
    }
}

/// Options that are the server's to set, never a request's: where the index and the model
/// are (a client must not make the server read other folders), and how output looks.
const SERVER_OWNED: [&str; 5] = ["index", "model", "color", "quiet", "format"];

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
    let clap_command = Cli::command();
    let sub = clap_command.find_subcommand(command);
    let mut query: Option<String> = None;
    let mut format = "json";
    for (key, value) in params {
        match key.as_str() {
            "token" => continue,
            "q" if command == "search" => {
                query = Some(value.clone());
                continue;
            }
            "format" => {
                format = match (command, value.as_str()) {
                    (_, "json") => "json",
                    ("search" | "similar", "jsonl") => "jsonl",
                    ("search" | "similar", "csv") => "csv",
                    _ => {
                        return Err(Reply::error(
                            400,
                            &format!(
                                "format={} is not offered here",
                                quarry::error::quote_input(value)
                            ),
                            Some("json everywhere; jsonl and csv for search and similar"),
                        ))
                    }
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
            Some("publisher, author, tag, kind, lang, format or year; comma-separated for several"),
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
        };
    }
    let (command, argv, content_type) = match command_line(shared, path, &params) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    match run_command(shared, &command, &argv) {
        Ok(body) => Reply {
            status: 200,
            content_type,
            body,
        },
        Err(reply) => reply,
    }
}

/// Runs the command line `argv` (of subcommand `command`) as the command line would, and
/// returns what it printed, or the reply for its error.
fn run_command(shared: &Shared, command: &str, argv: &[String]) -> Result<Vec<u8>, Reply> {
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let line = one_line_error(&e.render().to_string(), &format!("quarry {command}"));
            return Err(Reply::error(400, &line, None));
        }
    };
    let globals = Globals {
        index_dir: shared.index_dir.clone(),
        // Never build an index for a request.
        index_named: true,
        color: false,
        quiet: true,
        stderr_tty: false,
    };
    let (result, body) = captured(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            dispatch(cli.command, &globals)
        }))
    });
    match result {
        Ok(Ok(_)) => Ok(body),
        Ok(Err(Failure::Output(e))) => Err(Reply::error(500, &format!("cannot write: {e}"), None)),
        Ok(Err(Failure::Quarry(e))) => {
            use quarry::ErrorKind::*;
            let status = match e.kind() {
                InvalidInput if e.message().contains(" with id ") => 404,
                InvalidInput | Query => 400,
                NoIndex => 503,
                IndexLocked => 503,
                _ => 500,
            };
            Err(Reply::error(status, e.message(), e.hint()))
        }
        Err(_) => Err(Reply::error(
            500,
            "internal error",
            Some("please report it; the server goes on"),
        )),
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
        Shared {
            index_dir: "/idx".into(),
            token: None,
        }
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

    #[test]
    fn tokens_are_compared_whole() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
    }
}
