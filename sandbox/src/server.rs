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
use std::collections::VecDeque;

use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::sync::watch;
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::app::App;
use crate::clock;
use crate::config::{Credentials, SandboxConfig};
use crate::faults::{Action, FaultKind};
use crate::guard::Guard;
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
    guard: Arc<Guard>,
    /// API requests being handled (`max_in_flight`): bounds the tasks spawned below.
    in_flight: Arc<Semaphore>,
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
        Box::pin(async move {
            // Nothing has happened yet: waiting here (and giving up, if the client does) is safe.
            let Ok(permit) = gateway.in_flight.clone().acquire_owned().await else {
                return Err(Dropped);
            };
            // Spawned, so a request whose client gave up (a timeout) still runs to its end, as
            // on a real server: the payout happens although nobody reads the answer.
            let task = tokio::spawn(async move {
                let _permit = permit;
                gateway.handle(request).await
            });
            task.await.unwrap_or(Err(Dropped))
        })
    }
}

/// The largest request body the latency fault buffers (the API's bodies are a few KB), and the
/// largest answer the body faults rewrite.
const MAX_BODY_BYTES: usize = 1024 * 1024;

async fn route(router: Router, request: Request<Body>) -> Response<Body> {
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The bearer token of a request, to expire it after a fault that says so.
fn bearer(request: &Request<Body>) -> Option<String> {
    request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
}

impl Gateway {
    async fn handle(self, request: Request<Incoming>) -> Result<Response<Body>, Dropped> {
        let seq = self.request_ids.fetch_add(1, Ordering::Relaxed);
        let request_id =
            HeaderValue::from_str(&format!("sbx-{:x}-{seq:08}", self.app.seed & 0xffff))
                .unwrap_or(HeaderValue::from_static("sbx"));
        let path = request.uri().path().to_owned();
        if let Err(refusal) = self.guard.check(request.headers(), &path) {
            let mut response = refusal.into_response();
            response.headers_mut().insert("x-request-id", request_id);
            return Ok(response);
        }
        let request = request.map(Body::new);
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
        let token = action
            .filter(|a| a.expire_token)
            .and_then(|_| bearer(&request));
        let (mut response, handler_status) = match action {
            None => {
                let response = route(self.router, request).await;
                let status = response.status().as_u16();
                (response, Some(status))
            }
            Some(action) => self.faulted(action, request).await,
        };
        if let Some(token) = token {
            self.app.expire_token(&token);
        }
        response.headers_mut().insert("x-request-id", request_id);
        let dropped =
            action.is_some_and(|a| matches!(a.kind, FaultKind::CommitThenDrop | FaultKind::Drop));
        self.app.journal.record_request(RequestRecord {
            seq: 0,
            method,
            path,
            // Dropped: nothing was sent; the handler's status when it ran, else 0.
            status: if dropped {
                handler_status.unwrap_or(0)
            } else {
                response.status().as_u16()
            },
            handler_status,
            idempotency_key,
            at: clock::utc(self.app.clock.now_ms()),
            fault: action.map(|a| a.label()),
            dropped,
        });
        if dropped {
            return Err(Dropped);
        }
        Ok(response)
    }

    /// Carries out one fault; returns the answer to send and, when the request was handled,
    /// the status the API handler produced.
    async fn faulted(
        &self,
        action: Action,
        request: Request<Body>,
    ) -> (Response<Body>, Option<u16>) {
        let handled = if action.kind == FaultKind::Latency {
            // Read the body first: the client may hang up during the wait, and the request
            // must still be carried out afterwards.
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
                .await
                .unwrap_or_default();
            tokio::time::sleep(Duration::from_millis(action.latency_ms)).await;
            Some(
                route(
                    self.router.clone(),
                    Request::from_parts(parts, Body::from(body)),
                )
                .await,
            )
        } else if action.commit {
            Some(route(self.router.clone(), request).await)
        } else {
            None
        };
        let handler_status = handled.as_ref().map(|r| r.status().as_u16());
        let response = match action.kind {
            FaultKind::RateLimit => {
                ApiError::rate_limited(action.retry_after_seconds).into_response()
            }
            FaultKind::Status => fault_answer(action.status, action.commit),
            FaultKind::Latency | FaultKind::CommitThenDrop | FaultKind::Drop => {
                handled.unwrap_or_else(|| StatusCode::NO_CONTENT.into_response())
            }
            FaultKind::TruncateBody | FaultKind::ResetAfterHeaders | FaultKind::SlowBody => {
                let base = handled.unwrap_or_else(|| fault_answer(action.status, false));
                broken_body(base, action.kind, action.latency_ms).await
            }
        };
        (response, handler_status)
    }
}

/// A 5xx as the hop that failed would send it. Refused before commit: the API's own problem
/// body (`SERVICE_UNAVAILABLE` for 503 — the only 5xx the docs define as "nothing was done").
/// After commit: what a proxy or CDN in front of the API sends when the origin did the work
/// but the answer went wrong — a 503 that is not the API's problem body, the API's 500-family
/// problem, or a CDN page for 520–527.
fn fault_answer(status: u16, committed: bool) -> Response<Body> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if (520..=527).contains(&status) {
        let page = format!(
            "<!DOCTYPE html><html><head><title>Error {status}</title></head><body>\
             <h1>Error {status}</h1><p>The origin web server did not answer in time or could not be \
             reached (sandbox CDN fault).</p></body></html>"
        );
        return (
            code,
            [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
            page,
        )
            .into_response();
    }
    if committed && status == 503 {
        return (
            code,
            [(header::CONTENT_TYPE, "text/plain")],
            "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
        )
            .into_response();
    }
    ApiError::server(code).into_response()
}

/// One step of a broken body.
enum Step {
    Pause(Duration),
    Data(Bytes),
    Fail,
}

/// Rewrites an answer's body: the status and headers go out whole (with the full
/// `Content-Length`, so the client knows what it is missing), the body breaks.
async fn broken_body(response: Response<Body>, kind: FaultKind, latency_ms: u64) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    // A pause before failing lets hyper flush what was written before the connection closes.
    let flush = Step::Pause(Duration::from_millis(20));
    let steps: VecDeque<Step> = match kind {
        FaultKind::TruncateBody => {
            let half = bytes.slice(..bytes.len() / 2);
            VecDeque::from([Step::Data(half), flush, Step::Fail])
        }
        FaultKind::ResetAfterHeaders => VecDeque::from([flush, Step::Fail]),
        _ => {
            // Slow body: ten pieces, evenly spread over latency_ms; complete if anyone waits.
            let pieces = 10usize;
            let size = bytes.len().div_ceil(pieces).max(1);
            let pause = Duration::from_millis(latency_ms / pieces as u64);
            let mut steps = VecDeque::new();
            let mut at = 0;
            while at < bytes.len() {
                let end = (at + size).min(bytes.len());
                steps.push_back(Step::Pause(pause));
                steps.push_back(Step::Data(bytes.slice(at..end)));
                at = end;
            }
            steps
        }
    };
    let stream = futures_util::stream::unfold(steps, |mut steps| async move {
        loop {
            match steps.pop_front()? {
                Step::Pause(d) => tokio::time::sleep(d).await,
                Step::Data(b) => return Some((Ok(b), steps)),
                Step::Fail => {
                    return Some((
                        Err(std::io::Error::other("body cut by a sandbox fault")),
                        steps,
                    ));
                }
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// CORS answers for the origins the guard accepts (loopback ones by default), so a page served
/// from `http://localhost:3000` can call the sandbox and a page from elsewhere cannot read it.
fn cors(guard: Arc<Guard>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origin.to_str().is_ok_and(|o| guard.origin_allowed(o))
        }))
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
        if let Some(warning) = crate::guard::exposure_warning(&addr) {
            eprintln!("\n{}\n{warning}\n{}\n", "!".repeat(78), "!".repeat(78));
        }
        let credentials = config.credentials();
        let guard = Arc::new(Guard::new(&config, addr));
        let max_connections = config.max_connections.max(1);
        let in_flight = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
        let app = App::new(config, seed);
        let _ = app.base_url.set(base_url.clone());
        let router = crate::api::router()
            .merge(crate::control::router())
            .with_state(app.clone());
        let gateway = Gateway {
            app: app.clone(),
            router,
            request_ids: Arc::new(AtomicU64::new(1)),
            guard: guard.clone(),
            in_flight,
        };
        let service = ServiceBuilder::new().layer(cors(guard)).service(gateway);
        let (stop_tx, stop_rx) = watch::channel(false);
        let connections = Arc::new(Semaphore::new(max_connections));
        let task = tokio::spawn(accept_loop(listener, service, stop_rx, connections));
        Ok(RunningSandbox {
            base_url,
            credentials,
            seed,
            stop: stop_tx,
            task: Some(task),
        })
    }
}

async fn accept_loop<S>(
    listener: TcpListener,
    service: S,
    mut stop: watch::Receiver<bool>,
    connections: Arc<Semaphore>,
) where
    S: Service<Request<Incoming>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    loop {
        // One task per open connection, at most `max_connections`: the rest wait in the backlog.
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
            _ = stop.changed() => return,
        };
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
            let _permit = permit;
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
