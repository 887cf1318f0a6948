#!/usr/bin/env python3
"""Seeds core/fuzz/corpus/<target>/ from the shared vectors in testdata/.

Files are named by the SHA-1 of their content (libFuzzer's convention), so running this again
adds nothing new. `make fuzz-seed` runs it; the seeds are committed with the corpus.
"""
import hashlib
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata"
CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def put(target: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def brcode_seeds() -> None:
    vectors = json.loads((TESTDATA / "pix" / "brcodes.json").read_text())
    for group in ("valid", "invalid", "encode"):
        for case in vectors[group]:
            put("brcode_decode", case["payload"].encode())


def response_seeds() -> None:
    for path in sorted((TESTDATA / "api").glob("*.json")):
        if path.name != "index.json" and ".request" not in path.name:
            put("parse_response", path.read_bytes())
    for case in json.loads((TESTDATA / "webhooks.json").read_text())["cases"]:
        data = json.loads(case["body"]).get("data") if case["body"].startswith("{") else None
        if isinstance(data, dict):
            put("parse_response", json.dumps(data).encode())


def webhook_seeds() -> None:
    for case in json.loads((TESTDATA / "webhooks.json").read_text())["cases"]:
        body = case["body"].encode()
        # Mode byte 0: the target signs the body itself, so the parser is reached.
        put("webhook", b"\x00" + body)
        # Mode byte 1: "<signature header>\n<body>", the signature as given by the vector.
        put("webhook", b"\x01" + case.get("signature", "").encode() + b"\n" + body)


if __name__ == "__main__":
    brcode_seeds()
    response_seeds()
    webhook_seeds()
    for target in sorted(CORPUS.iterdir()):
        print(f"{target.name}: {len(list(target.iterdir()))} files")
