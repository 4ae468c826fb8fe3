//! HTTP to an OpenSearch cluster, through `ureq` (rustls for TLS, with the authorities of
//! `QUARRY_OPENSEARCH_CA` when set): credentials from the environment, timeouts, and retries with backoff on what a busy or recovering cluster answers
//! (429, 5xx, and connections that fail), so a node that goes away in the middle of
//! an export costs time, not passages.

use crate::error::{Error, ErrorKind, Result};
use std::io::Read;
use std::time::Duration;

/// Environment variables read for credentials.
pub const ENV_USER: &str = "QUARRY_OPENSEARCH_USER";
/// The password that goes with [`ENV_USER`] (basic authentication).
pub const ENV_PASSWORD: &str = "QUARRY_OPENSEARCH_PASSWORD";
/// An API key, sent as `Authorization: ApiKey KEY` (instead of a user and password).
pub const ENV_API_KEY: &str = "QUARRY_OPENSEARCH_API_KEY";
/// A PEM file of the certificate authorities to trust for `https://` (a cluster with its own
/// authority); without it, Mozilla's root certificates (`webpki-roots`).
pub const ENV_CA: &str = "QUARRY_OPENSEARCH_CA";

/// The TLS settings: the authorities of [`ENV_CA`] when it is set.
fn tls_config() -> Result<ureq::tls::TlsConfig> {
    let builder = ureq::tls::TlsConfig::builder();
    let Some(path) = std::env::var_os(ENV_CA).filter(|p| !p.is_empty()) else {
        return Ok(builder.build());
    };
    let path = std::path::PathBuf::from(path);
    let pem = std::fs::read(&path).map_err(|e| {
        Error::io("read", &path, &e).with_hint(format!("{ENV_CA} names a PEM file of certificates"))
    })?;
    let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{} holds no PEM certificate", path.display()),
        )
        .with_hint(format!(
            "{ENV_CA} names a PEM file of certificates (-----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(builder
        .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(certs)))
        .build())
}

/// How a request is retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait before the second attempt; it doubles after each failure, up to 30 s.
    pub first_wait: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            attempts: 8,
            first_wait: Duration::from_millis(250),
        }
    }
}

impl Retry {
    /// The wait after the `n`th failed attempt (1-based).
    pub fn wait(&self, n: u32) -> Duration {
        let factor = 1u32 << n.saturating_sub(1).min(16);
        (self.first_wait * factor).min(Duration::from_secs(30))
    }
}

/// An answer: its status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body, as text.
    pub body: String,
}

impl Answer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The error OpenSearch gave, in one line: `type: reason`.
    pub fn reason(&self) -> String {
        let v = self.json();
        let e = &v["error"];
        let root = e["root_cause"][0].clone();
        let pick = if root.is_object() { &root } else { e };
        match (pick["type"].as_str(), pick["reason"].as_str()) {
            (Some(t), Some(r)) => format!("{t}: {r}"),
            (Some(t), None) => t.to_string(),
            _ if e.is_string() => e.as_str().unwrap_or_default().to_string(),
            _ => {
                let line = self.body.lines().next().unwrap_or_default();
                line.chars().take(200).collect()
            }
        }
    }

    /// Whether trying again later may succeed.
    pub fn retryable(&self) -> bool {
        retryable_status(self.status)
    }
}

/// Statuses a cluster answers when busy or recovering: 429, and 5xx (a node that left
/// answers 500 `node ... is not available` until the cluster notices). Every request quarry
/// makes is idempotent (bulk items carry their ids), so trying again is safe.
pub fn retryable_status(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// The `Authorization` header for a user and password (basic authentication) or an API key
/// (which wins); `None` without either.
pub fn authorization(
    user: Option<&str>,
    password: Option<&str>,
    api_key: Option<&str>,
) -> Option<String> {
    use base64::Engine;
    match (
        api_key.filter(|k| !k.is_empty()),
        user.filter(|u| !u.is_empty()),
    ) {
        (Some(key), _) => Some(format!("ApiKey {key}")),
        (None, Some(user)) => {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{user}:{}", password.unwrap_or_default()));
            Some(format!("Basic {token}"))
        }
        (None, None) => None,
    }
}

/// A connection to one cluster.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
    auth: Option<String>,
    retry: Retry,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("Client").field("base", &self.base).finish()
    }
}

impl Client {
    /// A client for the cluster at `url` (`http://host:9200`), with credentials from the
    /// environment ([`ENV_USER`] and [`ENV_PASSWORD`], or [`ENV_API_KEY`]) and `timeout` for
    /// each request.
    pub fn new(url: &str, timeout: Duration) -> Result<Client> {
        let base = url.trim().trim_end_matches('/').to_string();
        let valid = (base.starts_with("http://") || base.starts_with("https://"))
            && base
                .split("://")
                .nth(1)
                .is_some_and(|rest| !rest.is_empty());
        if !valid {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "'{}' is not a cluster address",
                    crate::error::quote_input(url)
                ),
            )
            .with_hint("give it as http://HOST:PORT or https://HOST:PORT"));
        }
        let auth = authorization(
            std::env::var(ENV_USER).ok().as_deref(),
            std::env::var(ENV_PASSWORD).ok().as_deref(),
            std::env::var(ENV_API_KEY).ok().as_deref(),
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .tls_config(tls_config()?)
            .build()
            .into();
        Ok(Client {
            base,
            agent,
            auth,
            retry: Retry::default(),
        })
    }

    /// The same client with another `Authorization` header (see [`authorization`]).
    pub fn with_authorization(mut self, auth: Option<String>) -> Client {
        self.auth = auth;
        self
    }

    /// The same client with another retry policy.
    pub fn with_retry(mut self, retry: Retry) -> Client {
        self.retry = retry;
        self
    }

    /// The cluster's address.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The retry policy.
    pub fn retry(&self) -> Retry {
        self.retry
    }

    /// One request, once: `Err` only when no answer came (refused, reset, timed out).
    pub fn send_once(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
    ) -> std::result::Result<Answer, String> {
        let url = format!("{}{}", self.base, path);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(auth) = &self.auth {
            request = request.header("Authorization", auth);
        }
        if let Some((content_type, _)) = body {
            request = request.header("Content-Type", content_type);
        }
        let payload = body.map(|(_, b)| b.to_vec()).unwrap_or_default();
        let request = request.body(payload).map_err(|e| e.to_string())?;
        let mut response = self.agent.run(request).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let mut text = String::new();
        response
            .body_mut()
            .with_config()
            .limit(512 * 1024 * 1024)
            .reader()
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())?;
        Ok(Answer { status, body: text })
    }

    /// One request, retried with backoff while the cluster is unreachable or answers 429 or
    /// 5xx; the last answer otherwise. `retried` counts the attempts after the first.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
        retried: &mut u64,
    ) -> Result<Answer> {
        let mut attempt = 1;
        loop {
            let outcome = self.send_once(method, path, body);
            let again = match &outcome {
                Ok(answer) => answer.retryable(),
                Err(_) => true,
            };
            if !again || attempt >= self.retry.attempts {
                return outcome.map_err(|e| self.unreachable(&e));
            }
            std::thread::sleep(self.retry.wait(attempt));
            attempt += 1;
            *retried += 1;
        }
    }

    /// A JSON request: the answer when its status is 2xx, else an error naming what the cluster
    /// said.
    pub fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        retried: &mut u64,
    ) -> Result<serde_json::Value> {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let answer = self.send(
            method,
            path,
            bytes.as_deref().map(|b| ("application/json", b)),
            retried,
        )?;
        if !(200..300).contains(&answer.status) {
            return Err(self.refused(method, path, &answer));
        }
        Ok(answer.json())
    }

    /// The error for a cluster that did not answer.
    pub fn unreachable(&self, detail: &str) -> Error {
        Error::new(
            ErrorKind::Cluster,
            format!("cannot reach the cluster at {}: {detail}", self.base),
        )
        .with_hint("check the address, that the cluster runs, and the network")
    }

    /// The error for a request the cluster refused.
    pub fn refused(&self, method: &str, path: &str, answer: &Answer) -> Error {
        let hint = match answer.status {
            401 | 403 => format!(
                "set {ENV_USER} and {ENV_PASSWORD}, or {ENV_API_KEY}, to credentials the cluster accepts"
            ),
            _ => "see the cluster's log for more".to_string(),
        };
        Error::new(
            ErrorKind::Cluster,
            format!(
                "the cluster refused {method} {path} ({}): {}",
                answer.status,
                answer.reason()
            ),
        )
        .with_hint(hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_a_ceiling() {
        let r = Retry::default();
        assert_eq!(r.wait(1), Duration::from_millis(250));
        assert_eq!(r.wait(2), Duration::from_millis(500));
        assert_eq!(r.wait(30), Duration::from_secs(30));
    }

    #[test]
    fn reasons_come_from_the_root_cause() {
        let a = Answer {
            status: 400,
            body: r#"{"error":{"root_cause":[{"type":"mapper_parsing_exception","reason":"failed to parse field [date_from]"}],"type":"x","reason":"y"},"status":400}"#.into(),
        };
        assert_eq!(
            a.reason(),
            "mapper_parsing_exception: failed to parse field [date_from]"
        );
        let b = Answer {
            status: 502,
            body: "Bad Gateway\n<html>".into(),
        };
        assert_eq!(b.reason(), "Bad Gateway");
        assert!(b.retryable());
    }

    #[test]
    fn credentials_become_the_authorization_header() {
        assert_eq!(
            authorization(Some("elastic"), Some("changeme"), None).as_deref(),
            Some("Basic ZWxhc3RpYzpjaGFuZ2VtZQ==")
        );
        assert_eq!(
            authorization(Some("elastic"), Some("x"), Some("a2V5")).as_deref(),
            Some("ApiKey a2V5")
        );
        assert_eq!(authorization(Some(""), None, Some("")), None);
    }

    #[test]
    fn the_authorization_header_is_sent() {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push(line.trim_end().to_string());
            }
            let _ = reader
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
            head
        });
        let client = Client::new(&url, Duration::from_secs(5))
            .unwrap()
            .with_authorization(authorization(Some("u"), Some("p"), None));
        let mut retried = 0;
        client.json("GET", "/", None, &mut retried).unwrap();
        let head = server.join().unwrap();
        assert!(
            head.iter()
                .any(|h| h.eq_ignore_ascii_case("authorization: Basic dTpw")),
            "{head:?}"
        );
    }

    #[test]
    fn addresses_are_checked() {
        assert!(Client::new("localhost:9200", Duration::from_secs(1)).is_err());
        assert!(Client::new("http://", Duration::from_secs(1)).is_err());
        let c = Client::new("http://127.0.0.1:9200/", Duration::from_secs(1)).unwrap();
        assert_eq!(c.base(), "http://127.0.0.1:9200");
    }
}
