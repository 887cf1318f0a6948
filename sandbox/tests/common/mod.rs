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
