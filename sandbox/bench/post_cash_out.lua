-- wrk script: POST /cash-out with a fresh externalReference and idempotency key per request.
-- Headers (Authorization, ApplicationToken, DigitalSignature) come from wrk's -H flags.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tid
end

function request()
  counter = counter + 1
  local ref = string.format("load-%d-%d", thread_id, counter)
  local body = '{"amount":0.01,"externalReference":"' .. ref .. '","payee":{"name":"Maria Silva",' ..
    '"document":"12345678909","destination":{"type":"PIX","pixKeyType":"CPF","pixKey":"12345678909"}}}'
  -- wrk.format ignores the -H headers when given a table: copy them in.
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  headers["X-Idempotency-Key"] = ref
  return wrk.format("POST", "/cash-out", headers, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("non-2xx answers: %d, socket errors: %d\n", non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
