-- wrk script for the loopback ceiling: the same authenticated POST /cash-out the clients send,
-- with a unique externalReference and a fresh v4 idempotency key per request, so the sandbox
-- does the same work (idempotency record, balance debit, new transaction) for wrk as for them.
--
-- The token, its DigitalSignature and the application token come from the environment
-- (BENCH_ACCESS_TOKEN, BENCH_DIGITAL_SIGNATURE, CONNECTPSP_APPLICATION_TOKEN): the runner fetches
-- them once, as every client does. BENCH_RUN_ID keeps the references unique across runs.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local headers
local prefix
local sent = 0

function init(args)
  math.randomseed(os.time() * 1000 + thread_number)
  headers = {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_ACCESS_TOKEN"),
    ["ApplicationToken"] = os.getenv("CONNECTPSP_APPLICATION_TOKEN"),
    ["DigitalSignature"] = os.getenv("BENCH_DIGITAL_SIGNATURE"),
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }
  prefix = "bench-" .. (os.getenv("BENCH_RUN_ID") or tostring(os.time())) .. "-wrk" .. thread_number .. "-"
end

local function r16()
  return math.random(0, 0xffff)
end

local function uuid4()
  return string.format("%04x%04x-%04x-4%03x-%04x-%04x%04x%04x",
    r16(), r16(), r16(), math.random(0, 0xfff), 0x8000 + math.random(0, 0x3fff), r16(), r16(), r16())
end

function request()
  sent = sent + 1
  headers["X-Idempotency-Key"] = uuid4()
  local body = '{"amount":1.00,"externalReference":"' .. prefix .. sent .. '",'
    .. '"description":"bench payout","payee":{"name":"Maria Silva","document":"12345678909",'
    .. '"destination":{"type":"PIX","pixKeyType":"CPF","pixKey":"12345678909"}}}'
  return wrk.format("POST", "/cash-out", headers, body)
end
