//! Driving the sans-IO core with your own transport: plain HTTP/1.1 over `std::net::TcpStream`.
//!
//! The core builds, signs and retries; this file only moves bytes, reads the clock and draws
//! random bytes, which is all a binding ever does (docs/architecture.md §2). Plain HTTP is
//! only for the local sandbox: the core refuses `http://` to anything but loopback.
//!
//!     CONNECTPSP_BASE_URL=http://127.0.0.1:8080 CONNECTPSP_CLIENT_ID=… CONNECTPSP_CLIENT_SECRET=… \
//!     CONNECTPSP_APPLICATION_TOKEN=… CONNECTPSP_CRYPTO_TOKEN=… \
//!     cargo run -p connectpsp-core --example sans_io
//!
//! It authenticates, reads the balance, tops the transactional account up if needed, creates a
//! cash-in and a cash-out, and reads the cash-out back.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use connectpsp_core::model::parse_request_str;
use connectpsp_core::operation::{Call, Operation, Outcome, Reply, Session, Step};
use connectpsp_core::{
    Amount, Config, Error, FailureKind, HttpRequest, HttpResponse, TransportFailure, bridge,
};

/// Bodies above this are refused, like the bindings do.
const MAX_BODY: u64 = 10 * 1024 * 1024;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `Error`'s Display never contains a secret.
            eprintln!("error: {error} [{}]", error.class_name());
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Error> {
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let mut config = Config::new(
        &env("CONNECTPSP_BASE_URL"),
        &env("CONNECTPSP_CLIENT_ID"),
        &env("CONNECTPSP_CLIENT_SECRET"),
        &env("CONNECTPSP_APPLICATION_TOKEN"),
        &env("CONNECTPSP_CRYPTO_TOKEN"),
    )?;
    config.binding_version = connectpsp_core::VERSION.to_owned();
    let mut session = Session::new(config);

    let balance = execute(&mut session, Call::GetBalance)?;
    let Reply::Balance(balance) = &balance.reply else {
        unreachable!("account.balance answers a Balance")
    };
    let available = balance.consolidated.transactional_balance;
    println!("balance: transactional R$ {available}");

    let payout = Amount::parse("12.34")?;
    if available < payout.into() {
        // Top up to the payout plus what is there (an overdrawn balance counts as nothing).
        let there = Amount::from_centavos(available.centavos().max(0))?;
        let target = payout.checked_add(there).unwrap_or(payout);
        let request = parse_request_str(&format!(r#"{{"targetAmount": {target}}}"#))?;
        execute(&mut session, Call::Rebalance { request })?;
        println!("rebalanced: transactional target R$ {target}");
    }

    let stamp = now_ms();
    let reference = format!("sans-io-cash-in-{stamp}");
    let request = parse_request_str(&format!(
        r#"{{"amount": 150.50, "externalReference": "{reference}",
            "payer": {{"name": "João Silva", "document": "12345678909"}}}}"#
    ))?;
    let created = execute(
        &mut session,
        Call::CreateCashIn {
            request,
            idempotency_key: None,
        },
    )?;
    if let Reply::CashIn(cash_in) = &created.reply {
        println!(
            "cash-in {} created: R$ {} {} (HTTP {}, key {})",
            cash_in.transaction_id,
            cash_in.amount,
            cash_in.status,
            created.status,
            created.idempotency_key.as_deref().unwrap_or("-")
        );
    }

    // A key derived from the business reference: re-running after a crash cannot pay twice.
    let reference = format!("sans-io-payout-{stamp}");
    let key = bridge::idempotency_key_for(&reference);
    let request = parse_request_str(&format!(
        r#"{{"amount": "{payout}", "externalReference": "{reference}", "description": "sans-IO example",
            "payee": {{"name": "Maria Silva", "document": "12345678909",
                       "destination": {{"type": "PIX", "pixKeyType": "CPF", "pixKey": "12345678909"}}}}}}"#
    ))?;
    let paid = execute(
        &mut session,
        Call::CreateCashOut {
            request,
            idempotency_key: Some(key),
        },
    )?;
    let Reply::CashOut(cash_out) = &paid.reply else {
        unreachable!("cashOut.create answers a CashOut")
    };
    println!(
        "cash-out {} accepted: R$ {} {} (HTTP {}, attempts {})",
        cash_out.transaction_id, cash_out.amount, cash_out.status, paid.status, paid.attempts
    );

    let read = execute(
        &mut session,
        Call::GetCashOut {
            id: cash_out.transaction_id.clone(),
        },
    )?;
    if let Reply::CashOut(again) = &read.reply {
        println!("cash-out {} is {}", again.transaction_id, again.status);
    }
    println!(
        "token requests made: {}",
        session.token_state().exchanges_started()
    );
    Ok(())
}

/// The loop every binding writes: the core decides, we do what it says.
fn execute(session: &mut Session, call: Call) -> Result<Outcome, Error> {
    let mut op = Operation::new(call, session, entropy(), now_ms());
    loop {
        match op.poll(session, now_ms()) {
            Step::Send(request) => match send(&request) {
                Ok(response) => op.handle_response(session, response, now_ms()),
                Err(failure) => op.handle_failure(session, failure, now_ms()),
            },
            Step::Sleep { ms } => std::thread::sleep(Duration::from_millis(ms)),
            // One operation at a time here, so nobody else can be refreshing the token.
            Step::AwaitToken { max_wait_ms } => {
                std::thread::sleep(Duration::from_millis(max_wait_ms.min(50)))
            }
            Step::Done(result) => return result,
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// 32 bytes from the OS CSPRNG: 16 for the UUID v4 key, 16 for the backoff jitter.
fn entropy() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .unwrap_or_else(|e| panic!("no OS randomness: {e}"));
    bytes
}

/// One HTTP/1.1 exchange. `request_sent` is false only when the connection never opened.
fn send(request: &HttpRequest) -> Result<HttpResponse, TransportFailure> {
    let rest = request.url.strip_prefix("http://").ok_or_else(|| {
        TransportFailure::new(
            FailureKind::Connect,
            false,
            "this example speaks plain HTTP only (the local sandbox)",
        )
    })?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let timeout = Duration::from_millis(request.timeout_ms.max(1));
    let not_sent = |kind, message: String| TransportFailure::new(kind, false, message);
    let address = authority
        .to_socket_addrs()
        .map_err(|e| not_sent(FailureKind::Connect, format!("resolve: {e}")))?
        .next()
        .ok_or_else(|| not_sent(FailureKind::Connect, "no address".into()))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::TimedOut {
            FailureKind::Timeout
        } else {
            FailureKind::Connect
        };
        not_sent(kind, format!("connect: {e}"))
    })?;
    // From here on bytes may have left: any failure means "maybe delivered".
    let sent = |e: std::io::Error| {
        let kind = match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => FailureKind::Timeout,
            _ => FailureKind::Io,
        };
        TransportFailure::new(kind, true, e.to_string())
    };
    stream.set_read_timeout(Some(timeout)).map_err(sent)?;
    stream.set_write_timeout(Some(timeout)).map_err(sent)?;
    let mut head = format!(
        "{} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        request.method.as_str(),
        request.body.len()
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(sent)?;
    stream.write_all(&request.body).map_err(sent)?;
    let mut raw = Vec::new();
    (&mut stream)
        .take(MAX_BODY + 64 * 1024)
        .read_to_end(&mut raw)
        .map_err(sent)?;
    parse_response(&raw)
        .ok_or_else(|| TransportFailure::new(FailureKind::Io, true, "malformed HTTP response"))
}

fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let response = HttpResponse::new(status, headers, Vec::new());
    if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        body = dechunk(&body)?;
    } else if let Some(length) = response.header("content-length") {
        body.truncate(length.parse().ok()?);
    }
    Some(HttpResponse { body, ..response })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
