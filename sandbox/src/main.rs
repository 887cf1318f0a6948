//! `connectpsp-sandbox`: run the sandbox from the command line.
//!
//! The first line of output is machine-readable (`CONNECTPSP_SANDBOX_URL=http://127.0.0.1:PORT`);
//! the rest tells a human which credentials to use. Stops cleanly on SIGINT and SIGTERM.

use clap::Parser;
use connectpsp_sandbox::{Sandbox, SandboxConfig};

#[derive(Debug, Parser)]
#[command(
    name = "connectpsp-sandbox",
    version,
    about = "A stateful local twin of the ConnectPSP API"
)]
struct Args {
    /// Address to bind.
    #[arg(long, env = "CONNECTPSP_SANDBOX_HOST", default_value = "127.0.0.1")]
    host: String,
    /// TCP port; 0 picks a free one (printed).
    #[arg(long, env = "CONNECTPSP_SANDBOX_PORT", default_value_t = 8080)]
    port: u16,
    #[arg(long, env = "CONNECTPSP_SANDBOX_CLIENT_ID", default_value = connectpsp_sandbox::DEFAULT_CLIENT_ID)]
    client_id: String,
    #[arg(long, env = "CONNECTPSP_SANDBOX_CLIENT_SECRET", default_value = connectpsp_sandbox::DEFAULT_CLIENT_SECRET, hide_default_value = false)]
    client_secret: String,
    #[arg(long, env = "CONNECTPSP_SANDBOX_APPLICATION_TOKEN", default_value = connectpsp_sandbox::DEFAULT_APPLICATION_TOKEN)]
    application_token: String,
    #[arg(long, env = "CONNECTPSP_SANDBOX_CRYPTO_TOKEN", default_value = connectpsp_sandbox::DEFAULT_CRYPTO_TOKEN)]
    crypto_token: String,
    /// Lifetime of issued tokens, seconds.
    #[arg(long, env = "CONNECTPSP_SANDBOX_TOKEN_TTL", default_value_t = 3600)]
    token_ttl: u64,
    /// Delay before a cash-out settles on its own, milliseconds.
    #[arg(
        long,
        env = "CONNECTPSP_SANDBOX_SETTLE_DELAY_MS",
        default_value_t = 1000
    )]
    settle_delay_ms: u64,
    /// Keep cash-outs PROCESSING until the control API completes or fails them.
    #[arg(long, env = "CONNECTPSP_SANDBOX_MANUAL_SETTLE")]
    manual_settle: bool,
    /// Seed of every random draw (ids, fault percentages); random when absent.
    #[arg(long, env = "CONNECTPSP_SANDBOX_SEED")]
    seed: Option<u64>,
    /// First webhook retry delay, milliseconds (doubles after each failure).
    #[arg(
        long,
        env = "CONNECTPSP_SANDBOX_WEBHOOK_RETRY_MS",
        default_value_t = 1000
    )]
    webhook_retry_ms: u64,
    /// Webhook attempts per event.
    #[arg(long, env = "CONNECTPSP_SANDBOX_WEBHOOK_ATTEMPTS", default_value_t = 5)]
    webhook_attempts: u32,
    /// Accept this Host besides the bound address and the loopback names (repeatable or
    /// comma-separated; `*` = any). Guards against DNS rebinding.
    #[arg(
        long = "allow-host",
        env = "CONNECTPSP_SANDBOX_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,
    /// Accept this Origin (requests and CORS) besides loopback ones (repeatable or
    /// comma-separated; `*` = any).
    #[arg(
        long = "cors-origin",
        env = "CONNECTPSP_SANDBOX_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// Require `Authorization: Bearer <token>` on the control API (/_sandbox/*).
    #[arg(long, env = "CONNECTPSP_SANDBOX_CONTROL_TOKEN", hide_env_values = true)]
    control_token: Option<String>,
    /// Idempotency keys remembered (oldest forgotten first).
    #[arg(long, env = "CONNECTPSP_SANDBOX_MAX_IDEMPOTENCY_KEYS", default_value_t = connectpsp_sandbox::DEFAULT_MAX_IDEMPOTENCY_KEYS)]
    max_idempotency_keys: usize,
    /// Request journal entries kept (oldest dropped first).
    #[arg(long, env = "CONNECTPSP_SANDBOX_MAX_REQUEST_LOG", default_value_t = connectpsp_sandbox::DEFAULT_MAX_REQUEST_LOG)]
    max_request_log: usize,
    /// Webhook journal entries kept (oldest dropped first).
    #[arg(long, env = "CONNECTPSP_SANDBOX_MAX_WEBHOOK_LOG", default_value_t = connectpsp_sandbox::DEFAULT_MAX_WEBHOOK_LOG)]
    max_webhook_log: usize,
    /// Connections served at once.
    #[arg(long, env = "CONNECTPSP_SANDBOX_MAX_CONNECTIONS", default_value_t = connectpsp_sandbox::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// API requests handled at once.
    #[arg(long, env = "CONNECTPSP_SANDBOX_MAX_IN_FLIGHT", default_value_t = connectpsp_sandbox::DEFAULT_MAX_IN_FLIGHT)]
    max_in_flight: usize,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let config = SandboxConfig {
        host: args.host,
        port: args.port,
        client_id: args.client_id,
        client_secret: args.client_secret,
        application_token: args.application_token,
        crypto_token: args.crypto_token,
        token_ttl_secs: args.token_ttl,
        settle_delay_ms: args.settle_delay_ms,
        auto_settle: !args.manual_settle,
        seed: args.seed,
        webhook_max_attempts: args.webhook_attempts,
        webhook_retry_base_ms: args.webhook_retry_ms,
        allowed_hosts: args.allowed_hosts,
        cors_origins: args.cors_origins,
        control_token: args.control_token,
        max_idempotency_keys: args.max_idempotency_keys,
        max_request_log: args.max_request_log,
        max_webhook_log: args.max_webhook_log,
        max_connections: args.max_connections,
        max_in_flight: args.max_in_flight,
        ..SandboxConfig::default()
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("connectpsp-sandbox: cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let c = sandbox.credentials();
    // These are sandbox credentials: printing them is the point (paste them into your tests).
    println!("CONNECTPSP_SANDBOX_URL={}", sandbox.base_url());
    println!("ConnectPSP sandbox listening on {}", sandbox.base_url());
    println!("  clientId          {}", c.client_id);
    println!("  clientSecret      {}", c.client_secret);
    println!("  ApplicationToken  {}", c.application_token);
    println!("  CryptoToken       {}", c.crypto_token);
    println!("  seed              {}", sandbox.seed());
    println!(
        "  control API       {}/_sandbox/ (see sandbox/README.md)",
        sandbox.base_url()
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    wait_for_signal().await;
    sandbox.shutdown().await;
    std::process::ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
