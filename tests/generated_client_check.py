"""A client generated from the committed spec builds the documents that matter and the server
accepts them: pydantic models are generated from openapi/openapi.json with
datamodel-code-generator, a programme document (the Shizuishan fixture under a new key), its
scoring scheme and a reward method are built and validated with those models only, and posted to
the running demo server as a province admin.

Usage: generated_client_check.py SPEC BASE_URL FIXTURE_YAML TOKEN
(TOKEN: a province admin's bearer token for fj-admin, taken before any fuzzing: a fuzzed login
flood pauses the address, as it should.)
"""

import importlib.util
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import yaml


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main():
    spec, base, fixture, admin = Path(sys.argv[1]), sys.argv[2].rstrip("/"), Path(sys.argv[3]), sys.argv[4]
    out = Path(tempfile.mkdtemp()) / "models.py"
    subprocess.run(
        [
            "datamodel-codegen", "--input", str(spec), "--input-file-type", "openapi",
            "--output", str(out), "--output-model-type", "pydantic_v2.BaseModel",
        ],
        check=True,
    )
    spec_ = importlib.util.spec_from_file_location("models", out)
    models = importlib.util.module_from_spec(spec_)
    # Registered before it runs, so that pydantic resolves the models' forward references.
    sys.modules["models"] = models
    spec_.loader.exec_module(models)

    def dump(model):
        return json.loads(model.model_dump_json(exclude_none=True, by_alias=True))

    doc = yaml.safe_load(fixture.read_text())
    doc["programme"]["key"] = "generated-client-check"
    scoring = doc.pop("scoring", None)
    typed = models.ProgrammeDocumentDto.model_validate(doc)
    # fj-admin is Fujian's: the document gets a Fujian scope and county units of its own.
    body = dump(typed)
    body["programme"]["scope"] = "350000"
    body["programme"]["unit_level"] = "county"
    body["units"] = [{"region": "350103", "directions": [1]}, {"region": "350121", "directions": [2]}]
    body = dump(models.ProgrammeDocumentDto.model_validate(body))
    status, summary = call(base, "POST", "/api/v1/programmes/import", body, admin)
    assert status == 201, (status, summary)
    print("import accepted:", summary)

    scheme = {
        "items": [{"key": "plan", "name": "方案", "full": 60}, {"key": "delivery", "name": "落实", "full": 40}],
        "bonus_cap": 5,
        "auto_rules": [
            {"kind": "late", "item": "plan", "deliverable": "mid-term-evaluation", "per_day": 1, "cap": 10},
            {"kind": "missing", "item": "plan", "points": 20},
        ],
        "ranking_from": "2024-11",
        "ranking_to": "2025-07",
        "appeal_window_days": 7,
        "annual": {"monthly": 80, "final_evaluation": 20},
    }
    if scoring:
        assert models.SchemeDto.model_validate(scoring), "the fixture's own scheme is a SchemeDto"
    status, got = call(
        base, "PUT", "/api/v1/programmes/generated-client-check/scheme", dump(models.SchemeDto.model_validate(scheme)), admin
    )
    assert status == 200, (status, got)
    assert got["items"][0]["full"] == 60 and got["auto_rules"][0]["kind"] == "late", got
    print("scheme accepted")
    method = models.RewardInput.model_validate(
        {"label": "生成客户端检查", "year": 2025, "fund": 100, "method": {"kind": "fixed", "grants": [
            {"unit": "350103", "amount": 60}, {"unit": "350121", "amount": 40}]}}
    )
    status, got = call(base, "POST", "/api/v1/programmes/generated-client-check/rewards", dump(method), admin)
    assert status == 201, (status, got)
    assert sum(s["amount"] for s in got["shares"]) == 100, got
    print("reward method accepted")
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
