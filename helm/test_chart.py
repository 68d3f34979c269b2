"""Checks the Vigie Helm chart offline; run by helm/test.sh inside helm/.venv.

For every case — the default values, each helm/vigie/ci/*.yaml file, and a few inline variants —
it renders the chart with Helm's own engine (helm-python-sdk, Helm's Go SDK behind ctypes, no
helm binary), lints it (helm lint --strict), validates every rendered object against the
Kubernetes JSON schemas with kubernetes-validate (strict: unknown fields are errors; a kind
without a schema is an error too), and checks what the chart promises: probes, security
context, the config file against vigie.sample.toml, every credential only in a Secret, the
checksum annotations, the metrics port and ServiceMonitor, the NetworkPolicy, the autoscaler and
the PodDisruptionBudget. Then it checks that bad values (more than one pod with SQLite or with
media in a folder, a database URL in `config`, …) fail rendering with a clear message, and that
the `helm` and `kubectl create secret` commands shown in docs/operations.md render and agree.

The ServiceMonitor (monitoring.coreos.com/v1) is a CRD, not in the Kubernetes schemas: it is
validated against helm/schemas/servicemonitor-v1.json, a strict subset of the Prometheus
Operator's CRD schema written for this chart (the fields it renders, their types).

Rendered manifests are written to helm/.out/CASE/ for inspection. Exits non-zero on any failure
and ends with a 'N passed, N failed' line.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import logging
import re
import shlex
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
import jsonschema
import kubernetes_validate
import kubernetes_validate.utils as kv_utils
import yaml

HERE = Path(__file__).resolve().parent
CHART = HERE / "vigie"
OUT = HERE / ".out"
SAMPLE = HERE.parent / "crates" / "vigie-config" / "vigie.sample.toml"
OPERATIONS = HERE.parent / "docs" / "operations.md"
NAMESPACE = "vigie-test"
# Kinds that are CRDs (no Kubernetes schema): validated against a schema of ours instead.
CRD_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): HERE / "schemas" / "servicemonitor-v1.json",
}
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


def render(chart: helm.Chart, values: Values | None, release: str = "vigie",
           namespace: str = NAMESPACE) -> dict[str, str]:
    return chart.render(values, name=release, namespace=namespace, is_install=True)


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
        crd_schema = CRD_SCHEMAS.get((obj.get("apiVersion"), obj.get("kind")))
        if crd_schema:
            schema = json.loads(crd_schema.read_text())
            for e in jsonschema.Draft7Validator(schema).iter_errors(obj):
                path = ".".join(str(p) for p in e.path)
                problems.append(f"{doc['_source']} {obj['kind']} ({crd_schema.name}): {path}: {e.message}")
            continue
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                problems.append(f"{doc['_source']} {obj['kind']} @ {version}: {path}: {e.message}")
            except kv_utils.SchemaNotFoundError as e:
                problems.append(f"{doc['_source']}: {e.message}")
    assert not problems, "Kubernetes schema validation failed:\n  " + "\n  ".join(problems)


def lint(values: Values | None, namespace: str = NAMESPACE) -> None:
    report = helm.lint(str(CHART), values, strict=True, namespace=namespace)
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


def check_case(case: str, values: Values | None, release: str = "vigie",
               namespace: str = NAMESPACE) -> Docs:
    """Everything a rendering with these values must satisfy; returns the rendered objects."""
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())
    merged = deep_merge(chart_values, values or {})
    sample = load_sample()
    with helm.Chart.load(str(CHART)) as chart:
        manifests = render(chart, values, release, namespace)
    write_out(case, manifests)
    docs = parse(manifests)

    lint(values, namespace)
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
        assert doc["metadata"].get("namespace") == namespace, f"{doc['kind']} namespace"
    selector = spec["selector"]["matchLabels"]
    assert selector.items() <= pod["metadata"]["labels"].items(), "selector does not match pods"
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"

    # Replicas (or the autoscaler), strategy, container, probes.
    autoscaling = merged["autoscaling"]
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    if autoscaling["enabled"]:
        assert "replicas" not in spec, "the autoscaler owns the replica count"
        (hpa,) = hpas
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                 "name": deploy["metadata"]["name"]}
        assert hpa["spec"]["minReplicas"] == autoscaling["minReplicas"]
        assert hpa["spec"]["maxReplicas"] == autoscaling["maxReplicas"]
        max_pods, min_pods = autoscaling["maxReplicas"], autoscaling["minReplicas"]
    else:
        assert not hpas
        assert spec["replicas"] == merged["replicaCount"], spec["replicas"]
        max_pods = min_pods = merged["replicaCount"]
    local_media = not str(merged["media"]["store"] or "").startswith("s3://")
    if max_pods > 1:
        assert not sqlite and not local_media, "several pods need PostgreSQL and S3"
    if sqlite:
        assert max_pods <= 1
        assert spec["strategy"]["type"] == "Recreate", "SQLite needs the Recreate strategy"
    assert server["args"] == ["serve"], server["args"]
    assert server["command"] == merged["command"]
    assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in server["ports"]
    assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert server["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert server["startupProbe"]["httpGet"]["path"] == "/readyz"
    requests = server["resources"]["requests"]
    assert requests["cpu"] and requests["memory"] and server["resources"]["limits"]["memory"]
    assert pod_spec["terminationGracePeriodSeconds"] > 10
    assert pod_spec["enableServiceLinks"] is False

    # Security.
    assert pod_spec["securityContext"]["runAsNonRoot"] is True
    assert pod_spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    containers = pod_spec["containers"] + pod_spec.get("initContainers", [])
    for c in containers:
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] is True, c["name"]
        assert sc["readOnlyRootFilesystem"] is True, c["name"]
        assert sc["allowPrivilegeEscalation"] is False, c["name"]
        assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, c["name"]
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert mounts.get("/tmp") == "tmp", f"{c['name']}: no writable /tmp"
        assert mounts.get(merged["persistence"]["mountPath"]) == "data", c["name"]
        assert mounts.get("/etc/vigie") == "config", c["name"]
        assert env_of(c)["VIGIE_CONFIG"]["value"] == "/etc/vigie/vigie.toml"
        # The image sets VIGIE_DATA_DIR, which beats the config file: the chart must too.
        assert env_of(c)["VIGIE_DATA_DIR"]["value"] == merged["persistence"]["mountPath"]

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

    check_media(docs, merged, settings, containers, annotations, manifests)
    check_metrics(docs, merged, server, service, containers)
    check_network_policy(docs, merged, sqlite, local_media, pod)
    check_pdb(docs, merged, min_pods, pod)

    notes = manifests.get("vigie/templates/NOTES.txt", "")
    assert "kubectl" in notes, "NOTES.txt is empty"
    print(f"     {case}: {len(docs)} objects ({', '.join(sorted({d['kind'] for d in docs}))}) "
          f"valid against Kubernetes {', '.join(KUBE_VERSIONS)} (strict)")
    return docs


def check_media(docs: Docs, merged: Values, settings: dict[str, Any], containers: list,
                annotations: dict[str, str], manifests: dict[str, str]) -> None:
    """Media on S3: the store in the config file, the credentials only in a Secret."""
    media = merged["media"]
    s3 = media["s3"]
    store = media["store"] or ""
    assert settings.get("media", {}).get("store", "") == store, "media.store not rendered"
    assert "s3_access_key_id" not in settings.get("media", {})
    assert "s3_secret_access_key" not in settings.get("media", {})
    s3_secrets = [s for s in by_kind(docs, "Secret") if s["metadata"]["name"].endswith("-s3")]
    for c in containers:
        env = env_of(c)
        if not store.startswith("s3://"):
            assert "VIGIE__MEDIA__S3_ACCESS_KEY_ID" not in env, c["name"]
            continue
        key_id = env["VIGIE__MEDIA__S3_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"]
        secret_key = env["VIGIE__MEDIA__S3_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]
        if s3["existingSecret"]:
            assert key_id == {"name": s3["existingSecret"],
                              "key": s3["existingSecretAccessKeyIdKey"]}, key_id
            assert secret_key == {"name": s3["existingSecret"],
                                  "key": s3["existingSecretSecretAccessKeyKey"]}, secret_key
            assert not s3_secrets
        else:
            (secret,) = s3_secrets
            data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
            assert data[key_id["key"]] == s3["accessKeyId"]
            assert data[secret_key["key"]] == s3["secretAccessKey"]
            text = manifests["vigie/templates/s3-secret.yaml"]
            assert annotations["checksum/s3-secret"] == hashlib.sha256(text.encode()).hexdigest()
    if s3["secretAccessKey"]:
        for doc in docs:
            if doc["kind"] != "Secret":
                assert s3["secretAccessKey"] not in yaml.safe_dump(strip(doc)), doc["kind"]


def check_metrics(docs: Docs, merged: Values, server: dict[str, Any], service: dict[str, Any],
                  containers: list) -> None:
    """VIGIE__METRICS__BIND, the `metrics` ports and the ServiceMonitor, or none of them."""
    metrics = merged["metrics"]
    monitors = by_kind(docs, "ServiceMonitor")
    ports = {p["name"]: p for p in server["ports"]}
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    if not metrics["enabled"]:
        assert "metrics" not in ports and "metrics" not in service_ports and not monitors
        for c in containers:
            assert "VIGIE__METRICS__BIND" not in env_of(c)
        return
    port = metrics["port"]
    assert env_of(server)["VIGIE__METRICS__BIND"]["value"] == f"0.0.0.0:{port}"
    assert ports["metrics"]["containerPort"] == port != 8080
    assert service_ports["metrics"]["targetPort"] == "metrics"
    if metrics["serviceMonitor"]["enabled"]:
        (monitor,) = monitors
        selector = monitor["spec"]["selector"]["matchLabels"]
        assert selector.items() <= service["metadata"]["labels"].items(), "selects no Service"
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"
        labels = metrics["serviceMonitor"]["labels"] or {}
        assert labels.items() <= monitor["metadata"]["labels"].items()
    else:
        assert not monitors


def check_network_policy(docs: Docs, merged: Values, sqlite: bool, local_media: bool,
                         pod: dict[str, Any]) -> None:
    """Ingress on the HTTP port (and metrics) only; egress to DNS and the services used only."""
    policies = by_kind(docs, "NetworkPolicy")
    np = merged["networkPolicy"]
    if not np["enabled"]:
        assert not policies
        return
    (policy,) = policies
    spec = policy["spec"]
    assert spec["podSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    ingress = {r["ports"][0]["port"]: r for r in spec["ingress"]}
    expected = {"http", "metrics"} if merged["metrics"]["enabled"] else {"http"}
    assert set(ingress) == expected, ingress.keys()
    assert all(len(r["ports"]) == 1 for r in spec["ingress"])
    assert ingress["http"].get("from", []) == (np["ingressFrom"] or [])
    if "metrics" in ingress:
        assert ingress["metrics"].get("from", []) == (np["metricsFrom"] or [])
    egress_ports = [sorted(p["port"] for p in r["ports"]) for r in spec["egress"]]
    assert egress_ports[0] == [53, 53], "DNS first"
    expected_rules = [[53, 53]]
    mail = merged["mail"]
    for used, rule in ((not sqlite, np["egress"]["postgres"]),
                       (not local_media, np["egress"]["s3"]),
                       (bool(mail["smtpUrl"] or mail["existingSecret"]), np["egress"]["smtp"])):
        if used:
            expected_rules.append(sorted(rule["ports"]))
    expected_rules += [sorted(p["port"] for p in r["ports"]) for r in np["extraEgress"] or []]
    assert egress_ports == expected_rules, (egress_ports, expected_rules)


def check_pdb(docs: Docs, merged: Values, min_pods: int, pod: dict[str, Any]) -> None:
    pdbs = by_kind(docs, "PodDisruptionBudget")
    values = merged["podDisruptionBudget"]
    if not values["enabled"]:
        assert not pdbs
        return
    (pdb,) = pdbs
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    if values["maxUnavailable"] not in ("", None):
        assert pdb["spec"]["maxUnavailable"] == values["maxUnavailable"]
        assert "minAvailable" not in pdb["spec"]
    else:
        minimum = pdb["spec"]["minAvailable"]
        assert isinstance(minimum, str) or minimum < min_pods, "the budget blocks every drain"


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


def operations_commands() -> list[list[str]]:
    """The commands of the ```sh chart blocks of docs/operations.md, continuation lines joined."""
    text = OPERATIONS.read_text()
    commands = []
    for block in re.findall(r"^```sh chart\n(.*?)^```", text, re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(shlex.split(line))
    return commands


def set_path(values: Values, dotted: str, raw: str) -> None:
    """--set a.b.c=value, with helm's simple typing (ints, booleans, strings, {a,b} lists)."""
    value: Any = raw
    if raw in ("true", "false"):
        value = raw == "true"
    elif re.fullmatch(r"-?\d+", raw):
        value = int(raw)
    elif raw.startswith("{") and raw.endswith("}"):
        value = [v for v in raw[1:-1].split(",") if v]
    keys = dotted.split(".")
    node = values
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


def check_doc_commands() -> None:
    """Each `kubectl create secret` records a Secret; each `helm install|upgrade` renders and
    passes check_case with those values, and every Secret it names was created with its keys."""
    commands = operations_commands()
    assert commands, "docs/operations.md has no ```sh chart block"
    secrets: dict[str, set[str]] = {}
    namespaces: set[str] = set()
    rendered = 0
    for words in commands:
        if words[:3] == ["kubectl", "create", "namespace"]:
            namespaces.add(words[3])
            continue
        if words[:4] == ["kubectl", "create", "secret", "generic"]:
            name = words[4]
            ns = words[words.index("-n") + 1] if "-n" in words else "default"
            assert ns in namespaces, f"{' '.join(words)}: namespace {ns} not created before"
            secrets[name] = {w.split("=", 1)[1].split("=", 1)[0] for w in words
                             if w.startswith("--from-literal=")}
            assert secrets[name], f"{' '.join(words)}: no --from-literal"
            continue
        assert words[0] == "helm" and words[1] in ("install", "upgrade"), (
            f"docs/operations.md shows a command helm/test.sh does not check: {' '.join(words)}")
        args = [w for w in words[2:] if w not in ("--install", "--wait", "--atomic")]
        release, chart = args[0], args[1]
        assert chart == "helm/vigie", chart
        values: Values = {}
        namespace = NAMESPACE
        create = False
        it = iter(args[2:])
        for w in it:
            if w in ("-n", "--namespace"):
                namespace = next(it)
            elif w in ("-f", "--values"):
                values = deep_merge(values, yaml.safe_load((HERE.parent / next(it)).read_text()))
            elif w == "--set":
                key, _, raw = next(it).partition("=")
                set_path(values, key, raw)
            elif w == "--create-namespace":
                create = True
            elif w == "--reuse-values":
                continue
            else:
                raise AssertionError(f"unknown flag {w} in {' '.join(words)}")
        assert create or namespace in namespaces or words[1] == "upgrade", (
            f"{' '.join(words)}: namespace {namespace} neither created before nor --create-namespace")
        namespaces.add(namespace)
        merged = deep_merge(yaml.safe_load((CHART / "values.yaml").read_text()), values)
        wanted = []
        if merged["database"]["existingSecret"]:
            wanted.append((merged["database"]["existingSecret"], merged["database"]["existingSecretKey"]))
        if merged["mail"]["existingSecret"]:
            wanted.append((merged["mail"]["existingSecret"], merged["mail"]["existingSecretKey"]))
        s3 = merged["media"]["s3"]
        if s3["existingSecret"]:
            wanted += [(s3["existingSecret"], s3["existingSecretAccessKeyIdKey"]),
                       (s3["existingSecret"], s3["existingSecretSecretAccessKeyKey"])]
        for name, key in wanted:
            assert key in secrets.get(name, set()), (
                f"{' '.join(words)} reads Secret {name} key {key}, which the docs do not create")
        check_case(f"docs-{rendered}-{release}", values, release, namespace)
        rendered += 1
    assert rendered, "docs/operations.md shows no helm install"


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
    large = yaml.safe_load((CHART / "ci" / "large-values.yaml").read_text())
    check("large instance with the autoscaler (3 to 10 pods) instead of replicaCount",
          lambda: check_case("large-autoscaling", deep_merge(large, {"autoscaling": {"enabled": True}})))
    check("large instance: chart-made Secrets, metrics without ServiceMonitor, open ingress, "
          "PDB by maxUnavailable", lambda: check_case("large-chart-secrets", deep_merge(large, {
              "database": {"existingSecret": "", "url": "postgres://vigie:pw@db:5432/vigie"},
              "media": {"s3": {"existingSecret": "", "accessKeyId": "AKIAEXAMPLE",
                               "secretAccessKey": "s3cr3t-key"}},
              "mail": {"existingSecret": "", "smtpUrl": "smtps://vigie:pw@smtp.example.org:465"},
              "metrics": {"serviceMonitor": {"enabled": False}},
              "networkPolicy": {"ingressFrom": [], "extraEgress": [
                  {"ports": [{"port": 443, "protocol": "TCP"}],
                   "to": [{"ipBlock": {"cidr": "192.0.2.0/24"}}]}]},
              "podDisruptionBudget": {"maxUnavailable": 1},
          })))
    check("commands of docs/operations.md render and agree (helm install/upgrade, secrets)",
          check_doc_commands)
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
        ("PostgreSQL, 2 replicas, media in the data folder fails clearly",
         {"replicaCount": 2, "database": {"existingSecret": "db"}},
         "replicaCount is 2 but uploaded documents and photos are kept in a folder"),
        ("PostgreSQL, 3 replicas, media in another folder fails clearly",
         {"replicaCount": 3, "database": {"existingSecret": "db"},
          "media": {"store": "/shared/files"}},
         "set media.store to an S3 bucket"),
        ("an autoscaler up to 4 pods on SQLite fails clearly",
         {"autoscaling": {"enabled": True, "minReplicas": 1, "maxReplicas": 4}},
         "autoscaling.maxReplicas is 4 but Vigie uses its embedded SQLite database"),
        ("an autoscaler with media in the data folder fails clearly",
         {"autoscaling": {"enabled": True}, "database": {"existingSecret": "db"}},
         "autoscaling.maxReplicas is 6 but uploaded documents and photos are kept in a folder"),
        ("an S3 store without credentials fails", {"media": {"store": "s3://b"}},
         "media.store is an S3 bucket but no credentials are given"),
        ("S3 credentials twice fail", {"media": {"store": "s3://b", "s3": {
            "existingSecret": "s", "accessKeyId": "a", "secretAccessKey": "b"}}},
         "set either media.s3.existingSecret or media.s3.accessKeyId"),
        ("half the S3 credentials fail", {"media": {"store": "s3://b", "s3": {"accessKeyId": "a"}}},
         "set both media.s3.accessKeyId and media.s3.secretAccessKey"),
        ("S3 credentials without an S3 store fail", {"media": {"s3": {"existingSecret": "s"}}},
         "media.s3 credentials are set but media.store is not an s3:// URL"),
        ("credentials in the S3 URL fail", {"media": {"store": "s3://key:secret@b",
                                                      "s3": {"existingSecret": "s"}}},
         "media.store must not carry credentials"),
        ("an unknown media.store scheme fails", {"media": {"store": "gs://b"}},
         "media.store must be an s3:// URL"),
        ("config.media.store fails", {"config": {"media": {"store": "s3://b"}}},
         "config.media.store is set by the chart: set media.store instead"),
        ("an S3 secret key in config fails",
         {"config": {"media": {"s3_secret_access_key": "k"}}},
         "S3 credentials must not go into a ConfigMap"),
        ("config.metrics.bind fails", {"config": {"metrics": {"bind": "0.0.0.0:9090"}}},
         "set metrics.enabled and metrics.port instead"),
        ("a ServiceMonitor without metrics fails",
         {"metrics": {"serviceMonitor": {"enabled": True}}},
         "metrics.serviceMonitor.enabled needs metrics.enabled"),
        ("metrics on the HTTP port fail", {"metrics": {"enabled": True, "port": 8080}},
         "metrics.port must differ from the HTTP port 8080"),
        ("a PodDisruptionBudget that blocks every drain fails (1 pod, minAvailable 1)",
         {"podDisruptionBudget": {"enabled": True}},
         "podDisruptionBudget.minAvailable is 1 but the release runs 1 pod(s)"),
        ("a PodDisruptionBudget with neither bound fails",
         {"podDisruptionBudget": {"enabled": True, "minAvailable": ""}},
         "podDisruptionBudget: set minAvailable or maxUnavailable"),
        ("a PodDisruptionBudget with maxUnavailable 0 fails",
         {"podDisruptionBudget": {"enabled": True, "maxUnavailable": 0}},
         "podDisruptionBudget.maxUnavailable is 0"),
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
