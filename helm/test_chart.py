"""Checks the Vigie Helm chart offline; run by helm/test.sh inside helm/.venv.

For every case — the default values, each helm/vigie/ci/*.yaml file, and a few inline variants —
it renders the chart with Helm's own engine (helm-python-sdk, Helm's Go SDK behind ctypes, no
helm binary), lints it (helm lint --strict), validates every rendered object against the
Kubernetes JSON schemas with kubernetes-validate (strict: unknown fields are errors; a kind
without a schema is an error too), and checks what the chart promises: probes, security
context, the config file against vigie.sample.toml, the database URL only in a Secret, the
checksum annotations. Then it checks that bad values (SQLite with replicaCount > 1, a database
URL in `config`, …) fail rendering with a clear message.

Rendered manifests are written to helm/.out/CASE/ for inspection. Exits non-zero on any failure
and ends with a 'N passed, N failed' line.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import traceback
from pathlib import Path
from typing import Any, Callable

import helm_python as helm
import kubernetes_validate
import kubernetes_validate.utils as kv_utils
import yaml

HERE = Path(__file__).resolve().parent
CHART = HERE / "vigie"
OUT = HERE / ".out"
SAMPLE = HERE.parent / "crates" / "vigie-config" / "vigie.sample.toml"
NAMESPACE = "vigie-test"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest with schemas.
KUBE_VERSIONS = ["1.25.0", kv_utils.latest_version()]
PG_URL_MARKERS = ("postgres://", "postgresql://")
# Optional: a built `vigie` binary; each rendered config file is then loaded by
# `vigie config show` with the pod's environment, as the real check of the settings.
VIGIE_BIN = os.environ.get("VIGIE_BIN", "")

Values = dict[str, Any]
Docs = list[dict[str, Any]]

results: list[tuple[str, bool]] = []


def check(name: str, fn: Callable[[], None]) -> None:
    """Runs one named check and records its outcome."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - every failure is reported, not raised
        results.append((name, False))
        detail = str(exc)
        if not detail:
            # A bare assert: show the line that failed.
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f"line {frame.lineno}: {frame.line}"
        print(f"FAIL {name}: {detail}")
        if not isinstance(exc, AssertionError):
            traceback.print_exc()
    else:
        results.append((name, True))
        print(f"ok   {name}")


def deep_merge(base: Values, override: Values) -> Values:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def render(chart: helm.Chart, values: Values | None, release: str = "vigie") -> dict[str, str]:
    return chart.render(values, name=release, namespace=NAMESPACE, is_install=True)


def parse(manifests: dict[str, str]) -> Docs:
    docs: Docs = []
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt") or not text.strip():
            continue
        for doc in yaml.safe_load_all(text):
            if doc is None:
                continue
            assert isinstance(doc, dict), f"{path}: a YAML document is not an object"
            doc.setdefault("_source", path)
            docs.append(doc)
    return docs


def strip(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_source"}


def write_out(case: str, manifests: dict[str, str]) -> None:
    folder = OUT / case
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in manifests.items():
        (folder / Path(path).name).write_text(text)


def kube_validate(docs: Docs) -> None:
    problems = []
    for doc in docs:
        obj = strip(doc)
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                problems.append(f"{doc['_source']} {obj['kind']} @ {version}: {path}: {e.message}")
            except kv_utils.SchemaNotFoundError as e:
                problems.append(f"{doc['_source']}: {e.message}")
    assert not problems, "Kubernetes schema validation failed:\n  " + "\n  ".join(problems)


def lint(values: Values | None) -> None:
    report = helm.lint(str(CHART), values, strict=True, namespace=NAMESPACE)
    bad = [m for m in report["messages"] if m["severity"] >= 2]
    assert not bad and not report["errors"], f"helm lint --strict: {bad or report['errors']}"


def by_kind(docs: Docs, kind: str) -> Docs:
    return [d for d in docs if d["kind"] == kind]


def one(docs: Docs, kind: str) -> dict[str, Any]:
    found = by_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def load_sample() -> dict[str, Any]:
    with SAMPLE.open("rb") as f:
        return tomllib.load(f)


def check_config_toml(text: str, merged: Values, sample: dict[str, Any]) -> dict[str, Any]:
    """The config file parses, and holds only settings Vigie knows, with their types."""
    settings = tomllib.loads(text)
    for section, table in settings.items():
        assert section in sample, f"config file: unknown section [{section}]"
        assert isinstance(table, dict), f"config file: {section} is not a table"
        for key, value in table.items():
            assert key in sample[section], f"config file: unknown setting {section}.{key}"
            expected = type(sample[section][key])
            assert type(value) is expected, (
                f"config file: {section}.{key} = {value!r} is a {type(value).__name__}, "
                f"Vigie wants a {expected.__name__}"
            )
    server = settings["server"]
    assert server["bind"] == "0.0.0.0:8080", server
    assert "url" not in settings.get("database", {}), "the database URL is in the config file"
    for section, table in (merged.get("config") or {}).items():
        for key, value in table.items():
            assert settings[section][key] == value, f"config.{section}.{key} not rendered as set"
    return settings


def check_with_binary(toml_text: str, container: dict[str, Any]) -> None:
    """The real binary accepts the config file, with the container's plain env variables."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "vigie.toml"
        config.write_text(toml_text)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for e in container.get("env", []):
            if "value" in e:
                env[e["name"]] = e["value"]
        env["VIGIE_CONFIG"] = str(config)
        if "VIGIE_DATABASE_URL" in env_of(container):
            env["VIGIE_DATABASE_URL"] = "postgres://vigie:secret@db.invalid:5432/vigie"
        run = subprocess.run([VIGIE_BIN, "config", "show"], env=env, capture_output=True,
                             text=True, timeout=60, check=False)
        assert run.returncode == 0, f"`vigie config show` refused the config: {run.stderr}"
        assert "log_format: Json" in run.stdout, run.stdout


def check_case(case: str, values: Values | None, release: str = "vigie") -> None:
    """Everything a rendering with these values must satisfy."""
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())
    merged = deep_merge(chart_values, values or {})
    sample = load_sample()
    with helm.Chart.load(str(CHART)) as chart:
        manifests = render(chart, values, release)
    write_out(case, manifests)
    docs = parse(manifests)

    lint(values)
    kube_validate(docs)

    db = merged["database"]
    sqlite = not (db["url"] or db["existingSecret"])
    deploy = one(docs, "Deployment")
    service = one(docs, "Service")
    configmap = one(docs, "ConfigMap")
    spec = deploy["spec"]
    pod = spec["template"]
    pod_spec = pod["spec"]
    (server,) = [c for c in pod_spec["containers"] if c["name"] == "vigie"]

    # Labels and selectors.
    for doc in docs:
        labels = doc["metadata"].get("labels", {})
        for label in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                      "app.kubernetes.io/managed-by", "app.kubernetes.io/version",
                      "helm.sh/chart"):
            assert label in labels, f"{doc['kind']} {doc['metadata']['name']} lacks label {label}"
        assert doc["metadata"].get("namespace") == NAMESPACE, f"{doc['kind']} namespace"
    selector = spec["selector"]["matchLabels"]
    assert selector.items() <= pod["metadata"]["labels"].items(), "selector does not match pods"
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"

    # Replicas, strategy, container, probes.
    assert spec["replicas"] == merged["replicaCount"], spec["replicas"]
    if sqlite:
        assert spec["replicas"] <= 1
        assert spec["strategy"]["type"] == "Recreate", "SQLite needs the Recreate strategy"
    assert server["args"] == ["serve"], server["args"]
    assert server["command"] == merged["command"]
    assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in server["ports"]
    assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert server["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert pod_spec["terminationGracePeriodSeconds"] > 10
    assert pod_spec["enableServiceLinks"] is False

    # Security.
    assert pod_spec["securityContext"]["runAsNonRoot"] is True
    containers = pod_spec["containers"] + pod_spec.get("initContainers", [])
    for c in containers:
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] is True, c["name"]
        assert sc["readOnlyRootFilesystem"] is True, c["name"]
        assert sc["allowPrivilegeEscalation"] is False, c["name"]
        assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert mounts.get("/tmp") == "tmp", f"{c['name']}: no writable /tmp"
        assert mounts.get(merged["persistence"]["mountPath"]) == "data", c["name"]
        assert mounts.get("/etc/vigie") == "config", c["name"]
        assert env_of(c)["VIGIE_CONFIG"]["value"] == "/etc/vigie/vigie.toml"

    # Migrations.
    inits = pod_spec.get("initContainers", [])
    if merged["migrations"]["initContainer"]:
        assert [i["name"] for i in inits] == ["migrate"], inits
        assert inits[0]["args"] == ["migrate"] and inits[0]["image"] == server["image"]
        assert env_of(inits[0]).keys() == env_of(server).keys(), "migrate and serve envs differ"
    else:
        assert not inits, inits

    # Config file.
    toml_text = configmap["data"]["vigie.toml"]
    settings = check_config_toml(toml_text, merged, sample)
    assert settings["storage"]["data_dir"] == merged["persistence"]["mountPath"]
    assert settings["server"]["log_format"] == merged["config"]["server"]["log_format"]
    public_url = (merged["publicUrl"] or "").rstrip("/")
    ingress_values = merged["ingress"]
    if not public_url and ingress_values["enabled"] and ingress_values["hosts"]:
        host = ingress_values["hosts"][0]["host"]
        tls = any(host in t.get("hosts", []) for t in ingress_values["tls"])
        public_url = f"{'https' if tls else 'http'}://{host}"
    assert settings["server"].get("public_url", "") == public_url, settings["server"]
    for cm in by_kind(docs, "ConfigMap"):
        blob = yaml.safe_dump(strip(cm))
        assert not any(m in blob for m in PG_URL_MARKERS), "a database URL is in a ConfigMap"
    if VIGIE_BIN:
        check_with_binary(toml_text, server)
    annotations = pod["metadata"]["annotations"]
    cm_text = manifests["vigie/templates/configmap.yaml"]
    assert annotations["checksum/config"] == hashlib.sha256(cm_text.encode()).hexdigest()

    # Database URL: only in a Secret, passed as VIGIE_DATABASE_URL.
    all_secrets = by_kind(docs, "Secret")
    secrets = [s for s in all_secrets if s["metadata"]["name"].endswith("-database")]
    for c in containers:
        env = env_of(c)
        if sqlite:
            assert "VIGIE_DATABASE_URL" not in env, c["name"]
        else:
            ref = env["VIGIE_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
            if db["existingSecret"]:
                assert ref == {"name": db["existingSecret"], "key": db["existingSecretKey"]}, ref
            else:
                (secret,) = secrets
                assert ref["name"] == secret["metadata"]["name"]
                url = base64.b64decode(secret["data"][ref["key"]]).decode()
                assert url == db["url"], "the Secret does not hold database.url"
        for e in c.get("env", []):
            assert not any(m in str(e.get("value", "")) for m in PG_URL_MARKERS), e["name"]
    if db["url"]:
        secret_text = manifests["vigie/templates/secret.yaml"]
        assert annotations["checksum/secret"] == hashlib.sha256(secret_text.encode()).hexdigest()
    else:
        assert not secrets, "a Secret is rendered without database.url"
        assert "checksum/secret" not in annotations

    # SMTP URL (it carries a password): only in a Secret, passed as VIGIE__MAIL__SMTP_URL.
    mail = merged["mail"]
    mail_secrets = [s for s in all_secrets if s["metadata"]["name"].endswith("-mail")]
    assert "smtp_url" not in settings.get("mail", {}), "the SMTP URL is in the config file"
    for c in containers:
        env = env_of(c)
        if not (mail["smtpUrl"] or mail["existingSecret"]):
            assert "VIGIE__MAIL__SMTP_URL" not in env, c["name"]
            continue
        ref = env["VIGIE__MAIL__SMTP_URL"]["valueFrom"]["secretKeyRef"]
        if mail["existingSecret"]:
            assert ref == {"name": mail["existingSecret"], "key": mail["existingSecretKey"]}, ref
        else:
            (secret,) = mail_secrets
            assert ref["name"] == secret["metadata"]["name"]
            url = base64.b64decode(secret["data"][ref["key"]]).decode()
            assert url == mail["smtpUrl"], "the Secret does not hold mail.smtpUrl"
        for e in c.get("env", []):
            assert "smtp://" not in str(e.get("value", "")), e["name"]
    for cm in by_kind(docs, "ConfigMap"):
        assert "smtp://" not in yaml.safe_dump(strip(cm)) and "smtps://" not in yaml.safe_dump(strip(cm))
    if mail["smtpUrl"]:
        text = manifests["vigie/templates/mail-secret.yaml"]
        assert annotations["checksum/mail-secret"] == hashlib.sha256(text.encode()).hexdigest()
    else:
        assert not mail_secrets, "a mail Secret is rendered without mail.smtpUrl"
        assert "checksum/mail-secret" not in annotations

    # The inbound webhook's secret: only in a Secret, passed as VIGIE__MAIL__INBOUND_SECRET.
    inbound_secrets = [s for s in all_secrets if s["metadata"]["name"].endswith("-inbound")]
    assert "inbound_secret" not in settings.get("mail", {}), "the webhook secret is in the config"
    for c in containers:
        env = env_of(c)
        if not (mail["inboundSecret"] or mail["inboundExistingSecret"]):
            assert "VIGIE__MAIL__INBOUND_SECRET" not in env, c["name"]
            continue
        ref = env["VIGIE__MAIL__INBOUND_SECRET"]["valueFrom"]["secretKeyRef"]
        if mail["inboundExistingSecret"]:
            assert ref == {"name": mail["inboundExistingSecret"],
                           "key": mail["inboundExistingSecretKey"]}, ref
        else:
            (secret,) = inbound_secrets
            assert ref["name"] == secret["metadata"]["name"]
            value = base64.b64decode(secret["data"][ref["key"]]).decode()
            assert value == mail["inboundSecret"], "the Secret does not hold mail.inboundSecret"
    if mail["inboundSecret"]:
        for cm in by_kind(docs, "ConfigMap"):
            assert mail["inboundSecret"] not in yaml.safe_dump(strip(cm))
    else:
        assert not inbound_secrets, "an inbound Secret is rendered without mail.inboundSecret"

    # Persistence.
    volumes = {v["name"]: v for v in pod_spec["volumes"]}
    pvcs = by_kind(docs, "PersistentVolumeClaim")
    persistence = merged["persistence"]
    if persistence["enabled"]:
        claim = volumes["data"]["persistentVolumeClaim"]["claimName"]
        if persistence["existingClaim"]:
            assert claim == persistence["existingClaim"] and not pvcs
        else:
            (pvc,) = pvcs
            assert pvc["metadata"]["name"] == claim
            assert pvc["spec"]["accessModes"] == persistence["accessModes"]
            assert pvc["spec"]["resources"]["requests"]["storage"] == persistence["size"]
    else:
        assert "emptyDir" in volumes["data"] and not pvcs

    # Ingress.
    ingresses = by_kind(docs, "Ingress")
    if merged["ingress"]["enabled"]:
        (ingress,) = ingresses
        for rule in ingress["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                backend = p["backend"]["service"]
                assert backend["name"] == service["metadata"]["name"]
                assert backend["port"]["number"] == service["spec"]["ports"][0]["port"]
        if merged["ingress"]["className"]:
            assert ingress["spec"]["ingressClassName"] == merged["ingress"]["className"]
    else:
        assert not ingresses

    notes = manifests.get("vigie/templates/NOTES.txt", "")
    assert "kubectl" in notes, "NOTES.txt is empty"
    print(f"     {case}: {len(docs)} objects valid against Kubernetes "
          f"{', '.join(KUBE_VERSIONS)} (strict)")


def check_checksum_rolls() -> None:
    """Changing a setting changes the pod template; changing something else does not."""
    def pod_annotations(values: Values | None) -> dict[str, str]:
        with helm.Chart.load(str(CHART)) as chart:
            docs = parse(render(chart, values))
        return one(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]

    base = pod_annotations(None)
    changed = pod_annotations({"config": {"accounts": {"session_days": 7}}})
    assert base["checksum/config"] != changed["checksum/config"], "config change not detected"
    same = pod_annotations({"resources": {"requests": {"cpu": "1"}}})
    assert base["checksum/config"] == same["checksum/config"], "checksum depends on resources"
    pg = {"database": {"url": "postgres://u:one@db/vigie"}}
    pg2 = {"database": {"url": "postgres://u:two@db/vigie"}}
    assert pod_annotations(pg)["checksum/secret"] != pod_annotations(pg2)["checksum/secret"]


def check_fails(values: Values, expected: str) -> None:
    """Rendering fails, and the message says what is wrong."""
    with helm.Chart.load(str(CHART)) as chart:
        try:
            render(chart, values)
        except helm.HelmError as e:
            message = str(e)
        else:
            raise AssertionError(f"rendering with {values} succeeded; it must fail")
    assert expected in message, f"unclear failure message: {message}"
    print(f"     -> {message.split(': ', 1)[-1] if 'execution error' in message else message}")


def main() -> int:
    # Keep the engine's own INFO lines (e.g. each `fail` call) off the output.
    helm.enable_logging(logging.WARNING)
    print(f"helm-python-sdk {helm.__version__} (Helm SDK {helm.helm_sdk_version()}), "
          f"kubernetes-validate {kubernetes_validate.__version__}")
    if VIGIE_BIN:
        print(f"config files also checked by {VIGIE_BIN} config show")
    shutil.rmtree(OUT, ignore_errors=True)

    check("default values: SQLite, one pod, no ingress", lambda: check_case("default", None))
    for ci in sorted((CHART / "ci").glob("*.yaml")):
        values = yaml.safe_load(ci.read_text()) or {}
        check(f"ci/{ci.name}", lambda v=values, n=ci.stem: check_case(n, v))
    check("release name containing 'vigie', persistence off, image digest, ingress without TLS",
          lambda: check_case("variants", {
              "persistence": {"enabled": False},
              "image": {"digest": "sha256:" + "0" * 64},
              "ingress": {"enabled": True, "hosts": [{"host": "vigie.test"}]},
              "config": {"demo": {"enabled": True}},
          }, release="my-vigie"))
    check("SMTP URL in a chart-made Secret", lambda: check_case("smtp-url", {
        "mail": {"smtpUrl": "smtp://vigie:s3cret@smtp.example.org:587?tls=starttls"},
    }))
    check("inbound webhook secret in a chart-made Secret", lambda: check_case("inbound", {
        "mail": {"inboundSecret": "w3bh00k-s3cret"},
        "config": {"mail": {"reply_domain": "reply.vigie.example.org"}},
    }))
    check("SQLite with replicaCount 0 (scaled down) renders", lambda: check_case(
        "scaled-down", {"replicaCount": 0}))
    check("a config change rolls the pods (checksum annotations)", check_checksum_rolls)

    failures = [
        ("SQLite with replicaCount 2 fails clearly", {"replicaCount": 2},
         "replicaCount is 2 but Vigie uses its embedded SQLite database"),
        ("SQLite with replicaCount 3 and ingress fails clearly",
         {"replicaCount": 3, "ingress": {"enabled": True}},
         "SQLite allows a single pod, so set replicaCount to 1"),
        ("a database URL in config fails", {"config": {"database": {"url": "postgres://a@b/c"}}},
         "a database URL is a secret and must not go into a ConfigMap"),
        ("a non-PostgreSQL database.url fails", {"database": {"url": "mysql://a@b/c"}},
         "database.url must be a PostgreSQL URL"),
        ("database.url and existingSecret together fail",
         {"database": {"url": "postgres://a@b/c", "existingSecret": "s"}}, "not both"),
        ("config.server.bind fails", {"config": {"server": {"bind": "127.0.0.1:1"}}},
         "config.server.bind is set by the chart"),
        ("config.storage.data_dir fails", {"config": {"storage": {"data_dir": "/x"}}},
         "set persistence.mountPath instead"),
        ("an SMTP URL in config fails", {"config": {"mail": {"smtp_url": "smtp://u:p@h:587"}}},
         "an SMTP URL carries a password and must not go into a ConfigMap"),
        ("the webhook secret in config fails",
         {"config": {"mail": {"inbound_secret": "s3cret"}}},
         "the webhook's secret must not go into a ConfigMap"),
        ("a non-SMTP mail.smtpUrl fails", {"mail": {"smtpUrl": "http://h"}},
         "mail.smtpUrl must be an SMTP URL"),
        ("mail.smtpUrl and existingSecret together fail",
         {"mail": {"smtpUrl": "smtp://h:25", "existingSecret": "s"}}, "set either mail.smtpUrl"),
        ("a non-table config section fails", {"config": {"mail": "smtp"}},
         "config.mail must be a map of settings"),
        ("a nested config value fails", {"config": {"mail": {"smtp": {"host": "x"}}}},
         "is not a TOML value this chart can write"),
    ]
    for name, values, expected in failures:
        check(name, lambda v=values, x=expected: check_fails(v, x))

    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"rendered manifests are in {OUT.relative_to(HERE.parent)}/")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
