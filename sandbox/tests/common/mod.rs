//! A tiny hand-written HTTP client for the sandbox's integration tests (not the SDK).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use connectpsp_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub struct Client {
    pub sandbox: RunningSandbox,
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
    pub signature: String,
}

/// Fast settlement and webhook retries, fixed seed.
pub fn test_config() -> SandboxConfig {
    SandboxConfig {
        seed: Some(7),
        settle_delay_ms: 50,
        webhook_retry_base_ms: 50,
        webhook_timeout_ms: 1000,
        ..SandboxConfig::default()
    }
}

pub fn sign(crypto_token: &str, access_token: &str) -> String {
    connectpsp_core::signature::digital_signature(crypto_token, access_token)
}

impl Client {
    pub async fn start() -> Client {
        Client::start_with(test_config()).await
    }

    pub async fn start_with(config: SandboxConfig) -> Client {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        let base = sandbox.base_url().to_owned();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut client = Client {
            sandbox,
            base,
            http,
            token: String::new(),
            signature: String::new(),
        };
        client.login().await;
        client
    }

    pub async fn login(&mut self) {
        let c = self.sandbox.credentials().clone();
        let reply = self
            .send(
                "POST",
                "/auth/token",
                Some(json!({"clientId": c.client_id, "clientSecret": c.client_secret})),
                &[],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        self.token = reply.body["accessToken"].as_str().unwrap().to_owned();
        self.signature = sign(&c.crypto_token, &self.token);
    }

    /// A raw request with exactly the given headers.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.send_raw(
            method,
            path,
            body.map(|b| b.to_string().into_bytes()),
            headers,
        )
        .await
        .expect("the sandbox answers")
    }

    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, reqwest::Error> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            headers,
            body,
            text,
        })
    }

    pub fn auth_headers(&self) -> Vec<(&str, String)> {
        vec![
            ("authorization", format!("Bearer {}", self.token)),
            (
                "applicationtoken",
                self.sandbox.credentials().application_token.clone(),
            ),
            ("digitalsignature", self.signature.clone()),
        ]
    }

    /// An authenticated, signed API call, with an optional idempotency key.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Reply {
        let mut owned = self.auth_headers();
        if let Some(key) = key {
            owned.push(("x-idempotency-key", key.to_owned()));
        }
        let headers: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.send(method, path, body, &headers).await
    }

    pub async fn control(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.send(method, path, body, &[]).await
    }

    pub async fn create_cash_in(&self, reference: &str, amount: &str) -> Reply {
        self.api(
            "POST",
            "/cash-in",
            Some(cash_in_body(reference, amount)),
            None,
        )
        .await
    }

    pub async fn create_cash_out(&self, reference: &str, amount: &str, key: Option<&str>) -> Reply {
        self.api(
            "POST",
            "/cash-out",
            Some(cash_out_body(reference, amount)),
            key,
        )
        .await
    }

    pub async fn balance(&self) -> Value {
        let reply = self.api("GET", "/account/balance", None, None).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body
    }

    /// Polls `GET path` until `status` is `wanted` (2 s at most).
    pub async fn wait_status(&self, path: &str, wanted: &str) -> Value {
        for _ in 0..200 {
            let reply = self.api("GET", path, None, None).await;
            if reply.body["status"] == wanted {
                return reply.body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{path} never reached {wanted}");
    }
}

/// An amount in the raw JSON text of the body (`50.00` stays `50.00`).
pub fn amount(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

pub fn cash_in_body(reference: &str, amount_text: &str) -> Value {
    json!({
        "amount": amount(amount_text),
        "externalReference": reference,
        "expirationInMinutes": 60,
        "payer": {"name": "João Silva", "document": "12345678909"}
    })
}

pub fn cash_out_body(reference: &str, amount_text: &str) -> Value {
    json!({
        "amount": amount(amount_text),
        "externalReference": reference,
        "description": "User withdrawal",
        "payee": {
            "name": "Maria Silva",
            "document": "12345678909",
            "destination": {"type": "PIX", "pixKeyType": "CPF", "pixKey": "12345678909"}
        }
    })
}

/// Centavos of a JSON amount (exact: from its text).
pub fn centavos(value: &Value) -> i64 {
    connectpsp_core::Amount::parse(&value.to_string())
        .unwrap_or_else(|_| panic!("not an amount: {value}"))
        .centavos()
}

/// A local webhook receiver: records every delivery and answers the queued statuses
/// (200 once the queue is empty).
/// One webhook as received: its headers and exact body bytes.
pub type Delivery = (HeaderMap, Vec<u8>);

#[derive(Clone, Default)]
pub struct Receiver {
    pub deliveries: Arc<Mutex<Vec<Delivery>>>,
    pub answers: Arc<Mutex<std::collections::VecDeque<u16>>>,
}

impl Receiver {
    pub async fn start(answers: &[u16]) -> (Receiver, String) {
        let receiver = Receiver::default();
        receiver.answers.lock().unwrap().extend(answers);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/connectpsp", listener.local_addr().unwrap());
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hooks/connectpsp",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let state = state.clone();
                    async move {
                        let mut converted = HeaderMap::new();
                        for (k, v) in headers.iter() {
                            converted.insert(
                                reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes())
                                    .unwrap(),
                                reqwest::header::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
                            );
                        }
                        state
                            .deliveries
                            .lock()
                            .unwrap()
                            .push((converted, body.to_vec()));
                        let status = state.answers.lock().unwrap().pop_front().unwrap_or(200);
                        axum::http::StatusCode::from_u16(status).unwrap()
                    }
                },
            ),
        );
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        (receiver, url)
    }

    pub fn count(&self) -> usize {
        self.deliveries.lock().unwrap().len()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Delivery> {
        for _ in 0..500 {
            if self.count() >= n {
                return self.deliveries.lock().unwrap().clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("expected {n} webhook deliveries, got {}", self.count());
    }
}

/// What a raw HTTP/1.1 exchange produced: the head as text, the body bytes that arrived, and
/// whether the server closed the connection before the declared `Content-Length`.
pub struct RawReply {
    pub head: String,
    pub body: Vec<u8>,
    pub content_length: Option<usize>,
    /// Milliseconds until the end of the head arrived.
    pub head_ms: u128,
    /// Milliseconds until the connection closed (or the read timed out).
    pub total_ms: u128,
}

impl RawReply {
    pub fn status(&self) -> u16 {
        self.head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    pub fn truncated(&self) -> bool {
        self.content_length.is_some_and(|n| self.body.len() < n)
    }
}

/// One request over a fresh TCP connection (`Connection: close`), read until the server closes
/// or `read_for` passes: shows exactly what went over the wire, broken bodies included.
pub async fn raw_http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    read_for: std::time::Duration,
) -> RawReply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nconnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("host: {authority}\r\n"));
    }
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() {
        request.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let started = std::time::Instant::now();
    let deadline = started + read_for;
    let mut bytes = Vec::new();
    let mut head_ms = None;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                bytes.extend_from_slice(&buf[..n]);
                if head_ms.is_none() && bytes.windows(4).any(|w| w == b"\r\n\r\n") {
                    head_ms = Some(started.elapsed().as_millis());
                }
            }
        }
    }
    let total_ms = started.elapsed().as_millis();
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let body = bytes[split..].to_vec();
    let mut reply = RawReply {
        head,
        body,
        content_length: None,
        head_ms: head_ms.unwrap_or(total_ms),
        total_ms,
    };
    reply.content_length = reply.header("content-length").and_then(|v| v.parse().ok());
    reply
}

impl Client {
    /// `raw_http` with this client's auth headers (and an optional idempotency key).
    pub async fn raw_api(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
        read_for: std::time::Duration,
    ) -> RawReply {
        let mut owned = self.auth_headers();
        if let Some(key) = key {
            owned.push(("x-idempotency-key", key.to_owned()));
        }
        let headers: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = body.map(|b| b.to_string().into_bytes());
        raw_http(
            &self.base,
            method,
            path,
            &headers,
            body.as_deref(),
            read_for,
        )
        .await
    }

    /// The cash-outs the sandbox holds for `reference`.
    pub async fn cash_outs_for(&self, reference: &str) -> Vec<Value> {
        let rows = self
            .control(
                "GET",
                &format!("/_sandbox/transactions?externalReference={reference}"),
                None,
            )
            .await;
        assert_eq!(rows.status, 200, "{}", rows.text);
        rows.body["transactions"].as_array().unwrap().clone()
    }

    pub async fn fault(&self, spec: Value) {
        let reply = self.control("POST", "/_sandbox/faults", Some(spec)).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
}
