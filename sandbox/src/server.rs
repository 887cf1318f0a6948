//! The HTTP server: accept loop, the gateway every API request goes through (journal, faults,
//! `X-Request-Id`, commit-then-drop), CORS, and the handles that start and stop it.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, Response};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_http::cors::{Any, CorsLayer};

use crate::app::App;
use crate::clock;
use crate::config::{Credentials, SandboxConfig};
use crate::faults::Action;
use crate::journal::RequestRecord;
use crate::problem::ApiError;

/// The error that makes hyper close the connection without an answer ("commit then drop").
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a sandbox fault")
    }
}

impl std::error::Error for Dropped {}

#[derive(Clone)]
struct Gateway {
    app: Arc<App>,
    router: Router,
    request_ids: Arc<AtomicU64>,
}

impl Service<Request<Incoming>> for Gateway {
    type Response = Response<Body>;
    type Error = Dropped;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Dropped>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Dropped>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let gateway = self.clone();
        // Spawned, so a request whose client gave up (a timeout) still runs to its end, as on
        // a real server: the payout happens although nobody reads the answer.
        let task = tokio::spawn(gateway.handle(request));
        Box::pin(async move { task.await.unwrap_or(Err(Dropped)) })
    }
}

/// The largest request body the latency fault buffers (the API's bodies are a few KB).
const MAX_BODY_BYTES: usize = 1024 * 1024;

async fn route(router: Router, request: Request<Incoming>) -> Response<Body> {
    match router.oneshot(request.map(Body::new)).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

impl Gateway {
    async fn handle(self, request: Request<Incoming>) -> Result<Response<Body>, Dropped> {
        let seq = self.request_ids.fetch_add(1, Ordering::Relaxed);
        let request_id =
            HeaderValue::from_str(&format!("sbx-{:x}-{seq:08}", self.app.seed & 0xffff))
                .unwrap_or(HeaderValue::from_static("sbx"));
        let path = request.uri().path().to_owned();
        if path == "/_sandbox" || path.starts_with("/_sandbox/") {
            let mut response = route(self.router, request).await;
            response.headers_mut().insert("x-request-id", request_id);
            return Ok(response);
        }
        let method = request.method().as_str().to_owned();
        let idempotency_key = request
            .headers()
            .get("x-idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(|k| k.chars().take(255).collect::<String>());
        let action = self.app.faults.decide(&method, &path, &self.app.fault_rng);
        let mut response = match action {
            Some(Action::Status(status)) => {
                ApiError::server(axum::http::StatusCode::from_u16(status).unwrap_or_default())
                    .into_response()
            }
            Some(Action::RateLimit {
                retry_after_seconds,
            }) => ApiError::rate_limited(retry_after_seconds).into_response(),
            Some(Action::Latency { ms }) => {
                // Read the body first: the client may hang up during the wait, and the
                // request must still be carried out afterwards.
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(Body::new(body), MAX_BODY_BYTES)
                    .await
                    .unwrap_or_default();
                tokio::time::sleep(Duration::from_millis(ms)).await;
                match self
                    .router
                    .oneshot(Request::from_parts(parts, Body::from(body)))
                    .await
                {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
            Some(Action::CommitThenDrop) | None => route(self.router, request).await,
        };
        response.headers_mut().insert("x-request-id", request_id);
        let dropped = action == Some(Action::CommitThenDrop);
        self.app.journal.record_request(RequestRecord {
            seq: 0,
            method,
            path,
            status: response.status().as_u16(),
            idempotency_key,
            at: clock::utc(self.app.clock.now_ms()),
            fault: action.map(|a| a.kind().name()),
            dropped,
        });
        if dropped {
            return Err(Dropped);
        }
        Ok(response)
    }
}

fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("idempotent-replayed"),
            HeaderName::from_static("retry-after"),
        ])
}

/// Starts sandboxes.
pub struct Sandbox;

impl Sandbox {
    /// Binds, then serves in the background of the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> std::io::Result<RunningSandbox> {
        let seed = config.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
        });
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let addr = listener.local_addr()?;
        let base_url = match addr {
            SocketAddr::V4(a) => format!("http://{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => format!("http://[{}]:{}", a.ip(), a.port()),
        };
        let credentials = config.credentials();
        let app = Arc::new(App::new(config, seed));
        let _ = app.base_url.set(base_url.clone());
        let router = crate::api::router()
            .merge(crate::control::router())
            .with_state(app.clone());
        let gateway = Gateway {
            app: app.clone(),
            router,
            request_ids: Arc::new(AtomicU64::new(1)),
        };
        let service = ServiceBuilder::new().layer(cors()).service(gateway);
        let (stop_tx, stop_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, service, stop_rx));
        Ok(RunningSandbox {
            base_url,
            credentials,
            seed,
            stop: stop_tx,
            task: Some(task),
        })
    }
}

async fn accept_loop<S>(listener: TcpListener, service: S, mut stop: watch::Receiver<bool>)
where
    S: Service<Request<Incoming>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(service.clone());
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), connection).await;
                }
            }
        });
    }
}

/// A sandbox serving in the current runtime.
pub struct RunningSandbox {
    base_url: String,
    credentials: Credentials,
    seed: u64,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The seed in use (drawn from the clock when the config had none).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Stops accepting, lets open connections finish their current request, and returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A sandbox on its own thread with its own tokio runtime, for blocking callers (the Python
/// package's `connectpsp.testing.Sandbox`). Dropping it stops it.
pub struct SandboxHandle {
    base_url: String,
    credentials: Credentials,
    seed: u64,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl SandboxHandle {
    pub fn spawn(config: SandboxConfig) -> std::io::Result<SandboxHandle> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("connectpsp-sandbox".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("connectpsp-sandbox-worker")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Sandbox::start(config).await {
                        Ok(running) => {
                            let _ = ready_tx.send(Ok((
                                running.base_url().to_owned(),
                                running.credentials().clone(),
                                running.seed(),
                            )));
                            let _ = stop_rx.await;
                            running.shutdown().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
                // Pending webhook retries and settlements die with the runtime.
                runtime.shutdown_timeout(Duration::from_millis(200));
            })?;
        let (base_url, credentials, seed) = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the sandbox thread exited before starting"))??;
        Ok(SandboxHandle {
            base_url,
            credentials,
            seed,
            stop: Mutex::new(Some(stop_tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Stops the server and joins its thread. Idempotent.
    pub fn stop(&self) {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
