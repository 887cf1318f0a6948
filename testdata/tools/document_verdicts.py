"""Computes testdata/pix/library_verdicts.json: what six independent CPF/CNPJ validators say
about our document vectors and about every "repeated body" number (one character repeated,
check digits correct). Run once by hand; the data is committed, the libraries are not.

    python3 -m venv /tmp/docvenv
    /tmp/docvenv/bin/pip install python-stdnum validate-docbr pycpfcnpj brazilnum
    mkdir /tmp/docnpm && (cd /tmp/docnpm && npm init -y && npm install cpf-cnpj-validator @brazilian-utils/brazilian-utils)
    /tmp/docvenv/bin/python testdata/tools/document_verdicts.py /tmp/docnpm > testdata/pix/library_verdicts.json
"""

import importlib.metadata
import json
import pathlib
import string
import subprocess
import sys

from brazilnum import cnpj as brazilnum_cnpj, cpf as brazilnum_cpf
from pycpfcnpj import cnpj as pycpfcnpj_cnpj, cpf as pycpfcnpj_cpf
from stdnum.br import cnpj as stdnum_cnpj, cpf as stdnum_cpf
from validate_docbr import CNPJ, CPF

ROOT = pathlib.Path(__file__).resolve().parents[2]
NPM = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/docnpm")


def check_digit(values, weights):
    r = sum(v * w for v, w in zip(values, weights)) % 11
    return 0 if r < 2 else 11 - r


def cpf_digits(body):
    values = [int(c) for c in body]
    d1 = check_digit(values, range(10, 1, -1))
    d2 = check_digit(values + [d1], range(11, 1, -1))
    return f"{d1}{d2}"


def cnpj_digits(body):
    values = [ord(c) - 48 for c in body]
    w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    d1 = check_digit(values, w1)
    d2 = check_digit(values + [d1], [6] + w1)
    return f"{d1}{d2}"


def safe(fn, value):
    try:
        return bool(fn(value))
    except Exception:  # a library that raises on odd input refuses it
        return False


PY = {
    "python-stdnum": (stdnum_cpf.is_valid, stdnum_cnpj.is_valid),
    "validate-docbr": (CPF().validate, CNPJ().validate),
    "pycpfcnpj": (pycpfcnpj_cpf.validate, pycpfcnpj_cnpj.validate),
    "brazilnum": (brazilnum_cpf.validate_cpf, brazilnum_cnpj.validate_cnpj),
}
DIST = {"python-stdnum": "python-stdnum", "validate-docbr": "validate-docbr",
        "pycpfcnpj": "pycpfcnpj", "brazilnum": "brazilnum"}

JS = r"""
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const v = require('cpf-cnpj-validator');
const bu = require('@brazilian-utils/brazilian-utils');
const out = input.map(([kind, doc]) => ({
  'cpf-cnpj-validator': kind === 'CPF' ? v.cpf.isValid(doc) : v.cnpj.isValid(doc),
  'brazilian-utils': kind === 'CPF' ? bu.isValidCpf(doc) : bu.isValidCnpj(doc),
}));
const version = (name) =>
  JSON.parse(require('fs').readFileSync(`node_modules/${name}/package.json`, 'utf8')).version;
console.log(JSON.stringify({ out, versions: {
  'cpf-cnpj-validator': version('cpf-cnpj-validator'),
  'brazilian-utils': version('@brazilian-utils/brazilian-utils') } }));
"""


def main():
    vectors = json.loads((ROOT / "testdata/pix/documents.json").read_text())
    cases = []
    for group in ("valid", "invalid"):
        for case in vectors[group]:
            doc = case["document"]
            kind = "CPF" if len(doc.strip()) <= 11 or case.get("kind") == "CPF" else "CNPJ"
            cases.append({"document": doc, "kind": case.get("kind", kind), "rule": group})
    for c in "0123456789":
        body = c * 9
        cases.append({"document": body + cpf_digits(body), "kind": "CPF", "rule": "repeated_body"})
    for c in string.digits + string.ascii_uppercase:
        body = c * 12
        cases.append({"document": body + cnpj_digits(body), "kind": "CNPJ", "rule": "repeated_body"})

    for case in cases:
        index = 0 if case["kind"] == "CPF" else 1
        case["verdicts"] = {name: safe(fns[index], case["document"]) for name, fns in PY.items()}
    js = subprocess.run(["node", "-e", JS], cwd=NPM, check=True, capture_output=True, text=True,
                        input=json.dumps([[c["kind"], c["document"]] for c in cases]))
    result = json.loads(js.stdout)
    for case, verdicts in zip(cases, result["out"]):
        case["verdicts"].update(verdicts)
    versions = {name: importlib.metadata.version(DIST[name]) for name in PY}
    versions.update(result["versions"])
    print(json.dumps({
        "_comment": "Verdicts (true = valid) of six independent CPF/CNPJ validators, computed once by "
                    "testdata/tools/document_verdicts.py. 'rule' is the group of testdata/pix/documents.json "
                    "the case comes from, or 'repeated_body' (one character repeated, correct check digits). "
                    "The core agrees with them on every repeated-body CNPJ (accepted) and keeps refusing "
                    "repeated-digit CPFs (never issued); see docs/api-decisions.md, "Request fields".",
        "libraries": versions,
        "cases": cases,
    }, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
