import json, copy
CASH_IN = {"amount": "150.50", "externalReference": "order_abc123", "expirationInMinutes": 60,
           "webhookUrl": "https://api.yourdomain.com/webhooks/connectpsp",
           "payer": {"name": "João Silva", "document": "12345678909"}}
CASH_OUT = {"amount": "50.00", "externalReference": "withdrawal-user-42-001", "description": "User withdrawal",
            "webhookUrl": "https://api.yourdomain.com/webhooks/connectpsp",
            "payee": {"name": "Maria Silva", "document": "12345678909",
                      "destination": {"type": "PIX", "pixKeyType": "CPF", "pixKey": "12345678909"}}}
BANK_DEST = {"type": "BANK_ACCOUNT", "bankAccount": {"ispb": "18236120", "branch": "0001", "account": "947710840", "accountType": "PAYMENT"}}
REFUND = {"id": "US7B1JQ", "reason": "CUSTOMER_REQUEST", "description": "Customer requested refund via support ticket #1234."}
GET_IN = {"id": "US7B1JQ"}
GET_OUT = {"id": "dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9"}
REBALANCE = {"targetAmount": "1000000.00"}
BASES = {"cashIn.create": CASH_IN, "cashOut.create": CASH_OUT, "cashIn.refund": REFUND,
         "cashIn.get": GET_IN, "cashOut.get": GET_OUT, "account.rebalance": REBALANCE}
MISSING = object()
cases = []
def case(call, field, desc, path=None, value=MISSING, base=None):
    """Base params of `call` with the value at `path` (default: `field`) replaced (or removed)."""
    params = copy.deepcopy(base if base is not None else BASES[call])
    parts = (path or field).split(".")
    target = params
    for p in parts[:-1]:
        target = target[p]
    if value is MISSING:
        target.pop(parts[-1], None)
    else:
        target[parts[-1]] = value
    cases.append({"name": f"{call} {desc}", "call": call, "params": params, "field": field})

# ---- amounts (as JSON numbers only where a JS double keeps the bad text: JSON.stringify must not repair it)
AMOUNT_BAD = [
 ("0.1+0.2 as a binary float", 0.30000000000000004), ("0.1+0.2 as text", "0.30000000000000004"),
 ("exponent below a centavo 1e-3", "1e-3"), ("exponent, three decimals 1.0005E1", "1.0005E1"), ("exponent number 1e21", 1e21),
 ("comma decimal 1,50", "1,50"), ("grouped 1.000,50", "1.000,50"), ("currency symbol", "R$ 10,00"),
 ("negative number", -10), ("negative text", "-10.00"), ("negative zero text", "-0.00"),
 ("zero number", 0), ("zero text", "0.00"),
 ("three decimals number", 10.005), ("three decimals text", "10.005"), ("third decimal after the exponent", "1005e-3"), ("huge exponent", "1e999999999"),
 ("above MAX number", 99999999999), ("above MAX text", "10000000000.00"), ("i64 overflow", "99999999999999999999999999"),
 ("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"), ("empty string", ""),
 ("leading space", " 10.00"), ("trailing space", "10.00 "), ("plus sign", "+10.00"),
 ("boolean", True), ("null", None), ("array", [10]), ("object", {"value": 10}),
 ("words", "ten"), ("bare fraction", ".50"), ("trailing dot", "5."), ("hex", "0x10"), ("fullwidth digits", "１０"),
 ("missing", MISSING),
]
for desc, v in AMOUNT_BAD:
    case("cashIn.create", "amount", f"amount {desc}", value=v)
for desc, v in [("zero", 0), ("negative cent", "-0.01"), ("three decimals", "10.001"), ("above MAX", 10000000000),
                ("exponent below a centavo", "5e-3"), ("missing", MISSING), ("string with comma", "50,00")]:
    case("cashOut.create", "amount", f"amount {desc}", value=v)
for desc, v in [("negative", -1), ("huge exponent", "1E99999999999999999999"), ("three decimals", "0.001"), ("above MAX", "10000000000"),
                ("words", "abc"), ("null", None), ("boolean", True), ("missing", MISSING), ("negative zero", "-0")]:
    case("account.rebalance", "targetAmount", f"targetAmount {desc}", value=v)

# ---- externalReference
EXT_BAD = [("empty", ""), ("129 chars", "r" * 129), ("slash", "order/1"), ("question mark", "order?1"),
           ("hash", "order#1"), ("percent-encoded slash", "order%2F1"), ("CR/LF", "order\r\n1"),
           ("non-ASCII", "pedido-ção"), ("tab", "order\t1"), ("number", 123), ("missing", MISSING), ("null", None)]
for desc, v in EXT_BAD:
    case("cashIn.create", "externalReference", f"externalReference {desc}", value=v)
for desc, v in EXT_BAD[:8]:
    case("cashOut.create", "externalReference", f"externalReference {desc}", value=v)

# ---- names and descriptions
for desc, v in [("empty", ""), ("blank", "   "), ("141 chars", "a" * 141), ("line break", "João\nSilva"),
                ("NUL", "João\u0000"), ("number", 42), ("missing", MISSING)]:
    case("cashIn.create", "payer.name", f"payer.name {desc}", value=v)
for desc, v in [("missing", MISSING), ("null", None), ("string", "João Silva"), ("array", [])]:
    case("cashIn.create", "payer", f"payer {desc}", value=v)
for desc, v in [("141 chars", "a" * 141), ("CR/LF", "x\r\ny")]:
    case("cashOut.create", "payee.name", f"payee.name {desc}", value=v)
case("cashOut.create", "payee", "payee missing", value=MISSING)
for desc, v in [("141 chars", "d" * 141), ("bell character", "withdrawal\u0007"), ("number", 5)]:
    case("cashOut.create", "description", f"description {desc}", value=v)

# ---- documents
DOC_BAD = [("CPF wrong check digit", "12345678900"), ("CPF with punctuation", "123.456.789-09"),
           ("10 digits", "9876543210"), ("12 digits", "987654321098"), ("13 digits", "9876543210987"),
           ("CNPJ wrong check digit", "11222333000182"), ("CNPJ with punctuation", "11.222.333/0001-81"),
           ("lowercase alphanumeric CNPJ", "12abc34501de35"), ("alphanumeric CNPJ wrong check digit", "12ABC34501DE36"),
           ("empty", ""), ("number", 12345678909), ("non-ASCII digits", "١٢٣٤٥٦٧٨٩٠٩"), ("missing", MISSING)]
for desc, v in DOC_BAD:
    case("cashIn.create", "payer.document", f"payer.document {desc}", value=v)
for desc, v in DOC_BAD[:9]:
    case("cashOut.create", "payee.document", f"payee.document {desc}", value=v)

# ---- PIX keys of every type
def pix(kind, key):
    base = copy.deepcopy(CASH_OUT)
    base["payee"]["destination"] = {"type": "PIX", "pixKeyType": kind, "pixKey": key}
    return base
KEY_BAD = [("CPF", "wrong check digit", "12345678900"), ("CPF", "punctuated", "123.456.789-09"), ("CPF", "10 digits", "9876543210"),
           ("CNPJ", "wrong check digit", "11222333000182"), ("CNPJ", "punctuated", "11.222.333/0001-81"), ("CNPJ", "13 characters", "9988877700016"),
           ("EMAIL", "no at sign", "maria.example.com"), ("EMAIL", "two at signs", "maria@@example.com"),
           ("EMAIL", "78 characters", "m" * 66 + "@example.com"), ("EMAIL", "leading space", " maria@example.com"),
           ("EMAIL", "non-ASCII", "maría@example.com"),
           ("PHONE", "missing +55", "11987654321"), ("PHONE", "formatted", "+55 (11) 98765-4321"),
           ("PHONE", "mobile without leading 9", "+5511887654321"), ("PHONE", "too short", "+5511987654"),
           ("PHONE", "not Brazil", "+15551234567"), ("PHONE", "invalid area code", "+5500987654321"),
           ("EVP", "not a UUID", "not-a-uuid"), ("EVP", "no hyphens", "123e4567e89b12d3a456426614174000"),
           ("EVP", "bad hex", "123e4567-e89b-12d3-a456-42661417400g"),
           ("CPF", "empty", ""), ("EMAIL", "CR/LF", "maria@example.com\r\n")]
for kind, desc, key in KEY_BAD:
    case("cashOut.create", "payee.destination.pixKey", f"pixKey {kind} {desc}", path="payee.destination.pixKey", value=key, base=pix(kind, key))
case("cashOut.create", "payee.destination.pixKeyType", "pixKeyType unknown", value="RANDOM")
case("cashOut.create", "payee.destination.pixKeyType", "pixKeyType lowercase", value="cpf")
case("cashOut.create", "payee.destination.pixKeyType", "pixKeyType missing", value=MISSING)
case("cashOut.create", "payee.destination.pixKey", "pixKey missing", value=MISSING)
case("cashOut.create", "payee.destination.pixKey", "pixKey number", value=12345678909)
case("cashOut.create", "payee.destination.type", "destination type unknown", value="TED")
case("cashOut.create", "payee.destination.type", "destination type lowercase", value="pix")
case("cashOut.create", "payee.destination.type", "destination type missing", value=MISSING)
case("cashOut.create", "payee.destination", "destination missing", value=MISSING)
case("cashOut.create", "payee.destination.bankAccount", "PIX destination with a bankAccount too",
     value=BANK_DEST["bankAccount"])

# ---- bank accounts
def bank(**changes):
    base = copy.deepcopy(CASH_OUT)
    base["payee"]["destination"] = copy.deepcopy(BANK_DEST)
    return base
for desc, sub, v in [("ispb 7 digits", "ispb", "1823612"), ("ispb with a letter", "ispb", "1823612A"), ("ispb missing", "ispb", MISSING),
                     ("branch 5 digits", "branch", "00001"), ("branch empty", "branch", ""), ("branch with check digit", "branch", "0001-9"),
                     ("account empty", "account", ""), ("account 21 digits", "account", "1" * 21), ("account with space", "account", "9477 10840"),
                     ("account two check digits", "account", "94771084-01"), ("accountType unknown", "accountType", "CURRENT")]:
    case("cashOut.create", f"payee.destination.bankAccount.{sub}", f"bankAccount {desc}", value=v, base=bank())
case("cashOut.create", "payee.destination.bankAccount", "BANK_ACCOUNT without bankAccount", value=MISSING, base=bank())
case("cashOut.create", "payee.destination.pixKey", "BANK_ACCOUNT with a pixKey too", value="12345678909", base=bank())

# ---- URLs
URL_BAD = [("plain http to a public host", "http://api.yourdomain.com/webhooks"), ("javascript:", "javascript:alert(1)"),
           ("empty", ""), ("ftp", "ftp://example.com/hook"), ("no host", "https://"), ("space", "https://exa mple.com/hook"),
           ("CR/LF header injection", "https://example.com/hook\r\nX-Injected: 1"), ("2049 chars", "https://example.com/" + "a" * 2030),
           ("user info pointing elsewhere", "http://127.0.0.1@evil.com/hook"), ("loopback lookalike", "http://localhost.evil.com/hook"),
           ("scheme-relative", "//example.com/hook"), ("non-ASCII host", "https://exämple.com/hook"), ("data:", "data:text/html,hi"),
           ("file:", "file:///etc/passwd"), ("number", 8080)]
for desc, v in URL_BAD:
    case("cashIn.create", "webhookUrl", f"webhookUrl {desc}", value=v)
for desc, v in URL_BAD[:3]:
    case("cashOut.create", "webhookUrl", f"webhookUrl {desc}", value=v)
of = copy.deepcopy(CASH_IN); of["openFinance"] = {"redirectUrl": "https://shop.example.com/back"}
for desc, v in [("javascript:", "javascript:alert(1)"), ("plain http to a public host", "http://shop.example.com/back")]:
    case("cashIn.create", "openFinance.redirectUrl", f"openFinance.redirectUrl {desc}", value=v, base=of)

# ---- expiration
for desc, v in [("zero", 0), ("negative", -1), ("over a year", 525601), ("fraction", 1.5), ("string", "60"), ("huge", 10**20)]:
    case("cashIn.create", "expirationInMinutes", f"expirationInMinutes {desc}", value=v)

# ---- refund
for desc, v in [("unknown", "REFUND"), ("lowercase", "customer_request"), ("empty", ""), ("number", 1), ("missing", MISSING), ("null", None)]:
    case("cashIn.refund", "reason", f"reason {desc}", value=v)
for desc, v in [("141 chars", "n" * 141), ("line break", "ticket\n#1234"), ("number", 1234)]:
    case("cashIn.refund", "description", f"description {desc}", value=v)

# ---- ids in the path
ID_BAD = [("dot-dot-slash", "../secret"), ("percent-encoded slash", "US7B1JQ%2Frefund"), ("query", "US7B1JQ?x=1"),
          ("fragment", "US7B1JQ#x"), ("slash", "US7B1JQ/refund"), ("CR/LF", "US7B1JQ\r\n"), ("non-ASCII", "ÚS7B1JQ"),
          ("space", "US7 B1JQ"), ("empty", ""), ("65 chars", "a" * 65), ("dot-dot", ".."), ("number", 123), ("missing", MISSING)]
for desc, v in ID_BAD:
    case("cashIn.get", "id", f"id {desc}", value=v)
for desc, v in ID_BAD[:7]:
    case("cashIn.refund", "id", f"id {desc}", value=v)
for desc, v in ID_BAD[:4]:
    case("cashOut.get", "id", f"id {desc}", value=v)

# ---- idempotency keys (reach a header)
for desc, v in [("CR/LF header injection", "key\r\nX-Evil: 1"), ("non-ASCII", "chave-ção"), ("empty", ""),
                ("256 chars", "k" * 256), ("space", "my key")]:
    case("cashIn.create", "idempotencyKey", f"idempotencyKey {desc}", value=v)
case("cashOut.create", "idempotencyKey", "idempotencyKey LF", value="abc\ndef")
case("cashIn.refund", "idempotencyKey", "idempotencyKey tab", value="abc\tdef")

# ---- unknown / misspelt fields
case("cashIn.create", "webhookURL", "misspelt webhookURL", path="webhookURL", value="https://api.yourdomain.com/hook")
case("cashIn.create", "payer.documento", "misspelt payer.documento", path="payer.documento", value="12345678909")
case("cashOut.create", "payee.destination.key", "misspelt destination key", path="payee.destination.key", value="x")
case("account.rebalance", "amount", "rebalance with amount instead of targetAmount", path="amount", value="10.00")

names = [c["name"] for c in cases]
assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
out = {
  "description": "Bad inputs for every call: each case is the valid 'base' params of its call with exactly one defect. Params are camelCase, as the JS package receives them (the Python tests convert keys to snake_case and expect the field path in snake_case). Every case must be refused with a ValidationError whose field is 'field', before any network call. 'id' is the path id and 'idempotencyKey' the header; the other keys are the request body.",
  "base": BASES,
  "cases": cases,
}
with open("bad_inputs.json", "w") as f:
    json.dump(out, f, ensure_ascii=False, indent=2); f.write("\n")
print(len(cases))
