#!/usr/bin/env python3
"""Vigie's macro benchmark (issue 11): the release server under load, next to nginx.

For each backend (SQLite in a temporary folder, PostgreSQL in a fresh database) and each size N:
generate a referential of N places in the official geolocation CSV format (valid UAI check
letters) from the real extract in ../shared/data, start `target/release/vigie serve` with the
demo, import the file through the API (timed), import it again (all unchanged, timed), then
with wrk measure the public reads next to nginx serving the very same bytes, the filing and
contribution rates at growing numbers of existing requests (checking the journal after each
burst), and the resident memory. Prints a table and rewrites the macro section of
docs/benchmarks.md.

Standard library only (Python 3.11). Run it with `make bench-macro` (settings: see
docs/benchmarks.md or the `env` table below).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
UAI_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ"
SLUG = "bench"
PASSWORD = "benchmark password 2026"


def env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


SIZES = [int(x) for x in env("BENCH_SIZES", "500 5000 65000").split()]
BACKENDS = env("BENCH_BACKENDS", "sqlite postgres").split()
RUNS = max(1, int(env("BENCH_RUNS", "3")))
DURATION = max(1, int(env("BENCH_DURATION", "3")))
READ_CONNECTIONS = int(env("BENCH_READ_CONNECTIONS", "64"))
WRITE_CONNECTIONS = int(env("BENCH_WRITE_CONNECTIONS", "8"))
SEED_CONNECTIONS = int(env("BENCH_SEED_CONNECTIONS", "16"))
REQUEST_LEVELS = [int(x) for x in env("BENCH_REQUEST_LEVELS", "0 10000 100000").split()]
SEED_TIMEOUT = int(env("BENCH_SEED_TIMEOUT", "120"))
IMPORT_TIMEOUT = int(env("BENCH_IMPORT_TIMEOUT", "300"))
DATA_DIR = Path(env("VIGIE_BENCH_DATA", str(ROOT.parent / "shared" / "data")))
POSTGRES_URL = env(
    "BENCH_POSTGRES_URL",
    env("VIGIE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
)
VIGIE_BIN = Path(env("VIGIE_BIN", str(ROOT / "target" / "release" / "vigie")))
DOCS = env("BENCH_DOCS", "1") != "0"
# Which measures after the imports: any of reads, map, writes, exports (e.g. BENCH_PARTS=map).
# The exports come last, after the writes have added their contributions (facts).
PARTS = set(env("BENCH_PARTS", "reads map writes exports").split())
THREADS = int(env("BENCH_WRK_THREADS", "2"))



def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- the referential


def uai_letter(first7: str) -> str:
    return UAI_ALPHABET[int(first7) % 23]


def check_uai_algorithm(vectors: Path) -> int:
    """Checks uai_letter against the test vectors; returns how many were checked."""
    checked = 0
    with vectors.open(newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f, delimiter=";"):
            uai, valid = row["uai"].strip(), row["valid"].strip() == "true"
            ours = len(uai) == 8 and uai[:7].isdigit() and uai[7] == uai_letter(uai[:7])
            if ours != valid:
                raise SystemExit(f"UAI check letter algorithm disagrees with {vectors} on {uai}")
            checked += 1
    return checked


def fresh_uais(count: int, taken: set[str]) -> list[str]:
    """Fresh, valid UAIs: département prefixes 001–095, then four digits."""
    out: list[str] = []
    if count == 0:
        return out
    for dept in range(1, 96):
        for number in range(9999, 0, -1):
            first7 = f"0{dept:02d}{number:04d}"
            uai = first7 + uai_letter(first7)
            if uai not in taken:
                out.append(uai)
                if len(out) == count:
                    return out
    raise SystemExit(f"cannot make {count} fresh UAIs")


def generate_referential(n: int, out: Path) -> None:
    """N rows in the geolocation dataset's 35-column CSV: the 102 real collèges of Marseille
    first, then made-up écoles with fresh UAIs, half around Marseille, half across France."""
    source = DATA_DIR / "marseille_colleges_adresse_geolocalisation.csv"
    with source.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f, delimiter=";")
        header = list(reader.fieldnames or [])
        real = list(reader)
    rows = [dict(r) for r in real[:n]]
    rng = random.Random(20261201 + n)
    taken = {r["numero_uai"] for r in real}
    natures = [("101", "ECOLE MATERNELLE", "École maternelle"),
               ("151", "ECOLE DE NIVEAU ELEMENTAIRE", "École élémentaire")]
    for i, uai in enumerate(fresh_uais(max(0, n - len(rows)), taken)):
        t = dict(real[i % len(real)])
        code, nature, label = natures[i % 2]
        if i % 2 == 0:  # around Marseille
            lat = 43.30 + rng.uniform(-0.09, 0.09)
            lon = 5.40 + rng.uniform(-0.12, 0.12)
        else:  # across mainland France
            lat = rng.uniform(42.6, 50.9)
            lon = rng.uniform(-4.4, 7.6)
        patronym = t["patronyme_uai"] or t["denomination_principale"]
        t.update({
            "numero_uai": uai,
            "appellation_officielle": f"{label} {patronym.title()} {i + 1}",
            "denomination_principale": nature,
            "nature_uai": code,
            "nature_uai_libe": nature,
            "latitude": f"{lat:.7f}",
            "longitude": f"{lon:.7f}",
            "position": f"{lat:.7f}, {lon:.7f}",
            "coordonnee_x": "",
            "coordonnee_y": "",
            "EPSG": "",
            "appariement": "",
            "localisation": "",
            "code_departement": f"0{uai[1:3]}",
        })
        rows.append(t)
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header, delimiter=";", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class PeakSampler:
    """Keeps the highest VmRSS of a process, sampled every 50 ms inside each `with` block."""

    def __init__(self, pid: int):
        self.pid, self.peak = pid, 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.is_set():
            v = rss_mib(self.pid)
            if v is not None:
                self.peak = max(self.peak, v)
            self._stop.wait(0.05)

    def __enter__(self) -> "PeakSampler":
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


def run(cmd: list[str], env_vars: dict[str, str] | None = None, timeout: float = 600) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, **(env_vars or {})})
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return r.stdout


class Vigie:
    def __init__(self, backend: str, workdir: Path):
        self.backend, self.workdir = backend, workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db_name = None
        if backend == "sqlite":
            db_url = f"sqlite://{workdir}/vigie.db"
        else:
            self.db_name = f"vigie_bench_{uuid.uuid4().hex[:10]}"
            run(["psql", POSTGRES_URL, "-q", "-c", f"CREATE DATABASE {self.db_name}"])
            parts = urllib.parse.urlsplit(POSTGRES_URL)
            db_url = urllib.parse.urlunsplit(parts._replace(path="/" + self.db_name))
        self.env = {
            "VIGIE_DATABASE_URL": db_url,
            "VIGIE_DATA_DIR": str(workdir / "data"),
            "VIGIE_BIND": f"127.0.0.1:{self.port}",
            "VIGIE_PUBLIC_URL": self.base,
            "VIGIE__DEMO__ENABLED": "true",
            "RUST_LOG": env("BENCH_RUST_LOG", "warn"),
        }
        self.proc: subprocess.Popen | None = None

    def cli(self, *args: str) -> str:
        return run([str(VIGIE_BIN), *args], self.env)

    def prepare(self) -> None:
        self.cli("migrate")
        self.cli("tenant", "create", "--slug", SLUG, "--name", "Banc d'essai",
                 "--types", "schools")
        self.cli("user", "create", "--email", "garant@bench.example", "--password", PASSWORD,
                 "--name", "Garant du banc")
        self.cli("role", "grant", "--role", "garant", "--user", "garant@bench.example",
                 "--tenant", SLUG, "--type", "schools")
        self.cli("user", "create", "--email", "citoyen@bench.example", "--password", PASSWORD,
                 "--name", "Citoyenne du banc")

    def start(self) -> float:
        """Starts the server; returns the seconds until it answered."""
        self.log = (self.workdir / "server.log").open("w")
        t0 = time.monotonic()
        self.proc = subprocess.Popen([str(VIGIE_BIN), "serve"], env={**os.environ, **self.env},
                                     stdout=self.log, stderr=subprocess.STDOUT)
        while time.monotonic() - t0 < 120:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vigie exited at start, see {self.workdir}/server.log")
            try:
                with urllib.request.urlopen(self.base + "/api/v1/tenants", timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError("vigie did not answer within 120 s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.db_name:
            try:
                run(["psql", POSTGRES_URL, "-q", "-c",
                     f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)"])
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                log(f"could not drop {self.db_name}: {e}")


class Nginx:
    """nginx serving a folder of saved bodies, `gzip_static on`, no on-the-fly compression."""

    def __init__(self, workdir: Path):
        self.dir = workdir / "nginx"
        self.root = self.dir / "www"
        self.root.mkdir(parents=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def add(self, name: str, body: bytes, encoding: str) -> str:
        """Saves a body as vigie sent it; returns the URL serving the same bytes."""
        if encoding == "gzip":
            (self.root / (name + ".gz")).write_bytes(body)
            (self.root / name).write_bytes(gzip.decompress(body))
        else:
            (self.root / name).write_bytes(body)
        for p in (self.root, *self.root.iterdir()):
            p.chmod(0o755 if p.is_dir() else 0o644)
        return f"{self.base}/{name}"

    def start(self) -> None:
        # nginx's workers run as an unprivileged user when started by root: let them reach
        # the files (the benchmark's temporary folders are private by default).
        d = self.dir
        while d != d.parent and d != Path(tempfile.gettempdir()):
            d.chmod(0o755)
            d = d.parent
        conf = self.dir / "nginx.conf"
        conf.write_text(f"""
worker_processes auto;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    keepalive_requests 10000000;
    gzip off;
    gzip_static on;
    etag on;
    client_body_temp_path {self.dir}/tmp;
    proxy_temp_path {self.dir}/tmp;
    fastcgi_temp_path {self.dir}/tmp;
    uwsgi_temp_path {self.dir}/tmp;
    scgi_temp_path {self.dir}/tmp;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.root};
    }}
}}
""")
        (self.dir / "tmp").mkdir(exist_ok=True)
        self.proc = subprocess.Popen(["nginx", "-p", str(self.dir), "-c", str(conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not start, see {self.dir}/error.log")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --------------------------------------------------------------------------- HTTP


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 120) -> Answer:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Answer(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Answer(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def sign_in(base: str, email: str) -> str:
    a = http("POST", base + "/api/v1/session",
             json.dumps({"email": email, "password": PASSWORD}).encode(),
             {"Content-Type": "application/json"})
    if a.status != 200:
        raise RuntimeError(f"sign-in of {email}: {a.status} {a.body[:300]!r}")
    m = re.search(r"vigie_session=([^;]+)", a.headers.get("set-cookie", ""))
    if not m:
        raise RuntimeError("sign-in set no vigie_session cookie")
    return "vigie_session=" + m.group(1)


def import_file(base: str, cookie: str, path: Path, timeout: float) -> tuple[float, dict]:
    boundary = "vigiebench" + uuid.uuid4().hex
    parts = [
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"object_type\"\r\n\r\n"
        "schools\r\n".encode(),
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"{path.name}\"\r\nContent-Type: text/csv\r\n\r\n".encode(),
        path.read_bytes(),
        f"\r\n--{boundary}--\r\n".encode(),
    ]
    t0 = time.monotonic()
    a = http("POST", f"{base}/api/v1/tenants/{SLUG}/imports", b"".join(parts),
             {"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookie},
             timeout=timeout)
    elapsed = time.monotonic() - t0
    if a.status != 200:
        raise RuntimeError(f"import: {a.status} {a.body[:500]!r}")
    return elapsed, a.json()


def journal_ok(base: str) -> tuple[bool, str]:
    try:
        a = http("GET", f"{base}/api/v1/tenants/{SLUG}/journal/verify", timeout=300)
    except (OSError, urllib.error.URLError) as e:
        return False, f"no answer: {e}"
    if a.status != 200:
        return False, f"HTTP {a.status}"
    v = a.json()
    if v.get("ok") is True:
        return True, f"{v.get('entries')} entries"
    return False, f"broken at {v.get('broken_at')}: {v.get('reason')}"


def object_ids(base: str) -> list[int]:
    """Ids of the objects the list's first page names (following whatever format it has)."""
    a = http("GET", f"{base}/api/v1/tenants/{SLUG}/objects")
    if a.status != 200:
        raise RuntimeError(f"object list: {a.status}")
    data = a.json()
    items = data if isinstance(data, list) else next(
        (v for v in data.values() if isinstance(v, list)), [])
    return [int(o["id"]) for o in items if isinstance(o, dict) and "id" in o]


def settle(base: str, limit: float = 60) -> None:
    """Waits until the server has finished what wrk left in flight (a cheap read answers
    within 50 ms), at most `limit` seconds, so one measure does not slow down the next."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        t = time.monotonic()
        try:
            http("GET", base + "/api/v1/object-types", timeout=limit)
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() - t < 0.05:
            return
        time.sleep(0.2)


# --------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    rps: float
    p99_ms: float
    ok: int
    errors: int


def wrk(url: str, connections: int, seconds: int, headers: list[str], script: Path,
        args: list[str] | None = None) -> WrkResult:
    cmd = ["wrk", f"-t{min(THREADS, connections)}", f"-c{connections}", f"-d{seconds}s",
           "--latency", "--timeout", "30s", "-s", str(script)]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    if args:
        cmd += ["--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    m = re.search(r"^BENCH_JSON (.*)$", out.stdout, re.M)
    if not m:
        raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    d = json.loads(m.group(1))
    errors = d["status"] + d["connect"] + d["read"] + d["write"] + d["timeout"]
    duration = max(d["duration_us"], 1) / 1e6
    ok = d["requests"] - d["status"]
    return WrkResult(ok / duration, d["p99_us"] / 1000, ok, errors)


def median_runs(results: list[WrkResult]) -> WrkResult:
    return WrkResult(statistics.median(r.rps for r in results),
                     statistics.median(r.p99_ms for r in results),
                     sum(r.ok for r in results), sum(r.errors for r in results))


# --------------------------------------------------------------------------- the report


@dataclass
class Row:
    backend: str
    n: int
    measure: str
    value: str
    target: str = "—"
    verdict: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, backend: str, n: int, measure: str, value: str, target: str = "—",
            ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        self.rows.append(Row(backend, n, measure, value, target, verdict))
        log(f"{backend} N={n}: {measure}: {value}" + (f"  [{verdict} {target}]" if verdict else ""))

    def note(self, text: str) -> None:
        self.notes.append(text)
        log("NOTE: " + text)

    def markdown(self) -> str:
        lines = ["| backend | N | measure | measured | target | verdict |",
                 "|---|---:|---|---|---|---|"]
        for r in self.rows:
            lines.append(f"| {r.backend} | {r.n} | {r.measure} | {r.value} | {r.target} | "
                         f"{r.verdict or '—'} |")
        return "\n".join(lines)

    def text(self) -> str:
        cols = [("backend", 8), ("N", 6), ("measure", 64), ("measured", 64), ("target", 34)]
        out = ["  ".join(f"{h:<{w}}" for h, w in cols) + "  verdict", "-" * 160]
        for r in self.rows:
            vals = [r.backend, str(r.n), r.measure, r.value, r.target]
            out.append("  ".join(f"{v:<{w}}" for v, (_, w) in zip(vals, cols))
                       + f"  {r.verdict or '—'}")
        return "\n".join(out)


def fmt_rps(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ") + " req/s"


# --------------------------------------------------------------------------- the measures


def measure_reads(report: Report, backend: str, n: int, srv: Vigie, nginx: Nginx,
                  object_id: int | None, peak: PeakSampler) -> None:
    base = srv.base
    variants = [
        ("objects", f"/api/v1/tenants/{SLUG}/objects", "gzip", "json"),
        ("objects", f"/api/v1/tenants/{SLUG}/objects", "identity", "json"),
        ("collective page", f"/t/{SLUG}", "gzip", "html"),
    ]
    if object_id is not None:
        variants.append(("object page", f"/t/{SLUG}/o/{object_id}", "gzip", "html"))
    saved = []
    for label, path, accept, ext in variants:
        a = http("GET", base + path, headers={"Accept-Encoding": accept})
        if a.status != 200:
            report.note(f"{backend} N={n}: GET {path} answered {a.status}; not measured")
            continue
        enc = a.headers.get("content-encoding", "identity")
        name = f"{label.replace(' ', '-')}-{accept}.{ext}"
        static = nginx.add(name, a.body, enc)
        info = f"{len(a.body) / 1024:.0f} KB {enc}"
        if "link" in a.headers:
            info += ", paginated (Link)"
        saved.append((label, path, accept, enc, static, info, a.body))
    nginx.start()
    try:
        for label, path, accept, enc, static, info, body in saved:
            hdr = [f"Accept-Encoding: {accept}"]
            v_runs, n_runs = [], []
            for _ in range(RUNS):
                with peak:
                    v_runs.append(wrk(base + path, READ_CONNECTIONS, DURATION, hdr,
                                      BENCH / "report.lua"))
                settle(base)
                n_runs.append(wrk(static, READ_CONNECTIONS, DURATION, hdr, BENCH / "report.lua"))
            v, s = median_runs(v_runs), median_runs(n_runs)
            ratio = v.rps / s.rps if s.rps else 0.0
            if s.errors or not s.ok:
                report.note(f"{backend} N={n}: nginx gave {s.errors} errors and {s.ok} answers "
                            f"on {path} (see its error.log); its ratio is meaningless")
            what = f"GET {path.replace(SLUG, '{slug}').replace(str(object_id), '{id}')}"
            value = (f"{fmt_rps(v.rps)}, p99 {v.p99_ms:.1f} ms; nginx {fmt_rps(s.rps)}; "
                     f"ratio {ratio:.1%}")
            if v.errors:
                value += f"; {v.errors} errors"
            if not v.ok:
                value += f" (no answer within the {DURATION} s windows)"
            measure = f"{what} [{accept}; {info}]"
            answered = v.ok > 0 and not v.errors
            if label == "objects":
                report.add(backend, n, measure, value, "≥ 70 % of nginx, p99 < 20 ms",
                           answered and ratio >= 0.70 and v.p99_ms < 20)
            elif label == "collective page":
                report.add(backend, n, measure, value, "p99 < 50 ms",
                           answered and v.p99_ms < 50)
                compressed = len(body) if enc != "identity" else len(gzip.compress(body))
                size = (f"{compressed / 1024:.0f} KB {enc}" if enc != "identity" else
                        f"{compressed / 1024:.0f} KB once gzipped (served uncompressed, "
                        f"{len(body) / 1024:.0f} KB)")
                report.add(backend, n, "collective page size, compressed", size, "< 150 KB",
                           compressed < 150 * 1024)
            else:
                report.add(backend, n, measure, value, "≥ 5 000 req/s",
                           answered and v.rps >= 5000)
    finally:
        nginx.stop()


@dataclass
class Writer:
    srv: Vigie
    cookie: str
    ids_file: Path
    tag: int = 0

    def burst(self, mode: str, connections: int, seconds: int, limit_total: int = 0,
              peak: PeakSampler | None = None) -> WrkResult:
        self.tag += 1
        threads = min(THREADS, connections)
        per_thread = math.ceil(limit_total / threads) if limit_total else 0
        hdr = [f"Cookie: {self.cookie}", "Content-Type: application/json"]
        args = [mode, SLUG, str(self.ids_file), str(per_thread), f"b{self.tag}"]
        if peak:
            with peak:
                result = wrk(self.srv.base, connections, seconds, hdr, BENCH / "post.lua", args)
        else:
            result = wrk(self.srv.base, connections, seconds, hdr, BENCH / "post.lua", args)
        settle(self.srv.base)
        return result


def measure_writes(report: Report, backend: str, n: int, srv: Vigie, writer: Writer,
                   peak: PeakSampler) -> None:
    filed = 0
    target = "≥ 1 000 req/s" if backend == "sqlite" else "≥ 2 000 req/s"
    floor = 1000 if backend == "sqlite" else 2000
    rates: list[float] = []
    for level in REQUEST_LEVELS:
        if filed < level:
            t0 = time.monotonic()
            r = writer.burst("request", SEED_CONNECTIONS, SEED_TIMEOUT, level - filed)
            filed += r.ok
            took = time.monotonic() - t0
            if r.errors:
                report.note(f"{backend} N={n}: {r.errors} failed requests while seeding")
            if filed < level:
                report.note(f"{backend} N={n}: seeding reached {filed} of {level} requests in "
                            f"{SEED_TIMEOUT} s ({r.ok / took:.0f} req/s); measured there")
            else:
                log(f"seeded to {filed} requests in {took:.0f} s")
        runs = [writer.burst("request", WRITE_CONNECTIONS, DURATION, peak=peak)
                for _ in range(RUNS)]
        m = median_runs(runs)
        filed += m.ok
        rates.append(m.rps)
        ok, why = journal_ok(srv.base)
        value = f"{fmt_rps(m.rps)}, p99 {m.p99_ms:.0f} ms; journal {'OK' if ok else 'BROKEN'} ({why})"
        if m.errors:
            value += f"; {m.errors} errors"
        at = filed - m.ok
        report.add(backend, n, f"file a request at {at} existing ({WRITE_CONNECTIONS} conn.)",
                   value, target + ", flat", m.rps >= floor and ok and not m.errors)
        if filed < level:
            break
    if len(rates) > 1 and rates[0] > 0:
        report.add(backend, n, "filing rate, last level / first", f"{rates[-1] / rates[0]:.0%}",
                   "flat (≥ 80 %)", rates[-1] / rates[0] >= 0.8)
    runs = [writer.burst("contribution", WRITE_CONNECTIONS, DURATION, peak=peak)
            for _ in range(RUNS)]
    m = median_runs(runs)
    ok, why = journal_ok(srv.base)
    value = f"{fmt_rps(m.rps)}, p99 {m.p99_ms:.0f} ms; journal {'OK' if ok else 'BROKEN'} ({why})"
    if m.errors:
        value += f"; {m.errors} errors"
    report.add(backend, n, f"propose a contribution ({WRITE_CONNECTIONS} conn.)", value,
               "≥ 1 000 req/s", m.rps >= 1000 and ok and not m.errors)


def measure_map(report: Report, backend: str, n: int, srv: Vigie, peak: PeakSampler) -> None:
    """The map's first view in Chromium with the CPU slowed 4× (bench/map-first-view.mjs)."""
    script = BENCH / "map-first-view.mjs"
    playwright = ROOT / "tests" / "browser" / "node_modules" / "playwright-core"
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not shutil.which("node") or not playwright.exists() or not Path(chromium).exists():
        report.note(f"{backend} N={n}: map first view not measured (needs node, Chromium and "
                    "tests/browser/node_modules: run `bash tests/browser/run.sh` once)")
        return
    t0 = time.monotonic()
    with peak:
        out = subprocess.run(["node", str(script), srv.base, SLUG, str(RUNS)],
                             capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        report.note(f"{backend} N={n}: map first view failed: {out.stderr.strip()[-300:]}")
        return
    m = json.loads(out.stdout.strip().splitlines()[-1])
    report.add(backend, n, "map: first markers, Chromium with 4× CPU throttling",
               f"{m['first_markers_ms']:,} ms ({m['places']} places in view)".replace(",", " "),
               "< 1.5 s", m["first_markers_ms"] < 1500 and m["places"] == n)
    report.add(backend, n, "map: bytes transferred for the first view",
               f"{m['bytes'] / 1024:.0f} KB", "< 1 MB", m["bytes"] < 1024 * 1024)
    report.add(backend, n, "collective page weight (HTML + CSS + JS, compressed)",
               f"{m['page_bytes'] / 1024:.0f} KB", "< 150 KB", m["page_bytes"] < 150 * 1024)
    log(f"map first view measured in {time.monotonic() - t0:.0f} s")


def measure_exports(report: Report, backend: str, n: int, srv: Vigie) -> None:
    """Open-data downloads of the whole collective (issue 15): places, facts and the zip of
    everything, each read to its end; time, rows, and the server's peak memory above what it
    held before (a file streams page by page, so this must not grow with the collective)."""
    for file, label in (("exports/objects.csv", "objects.csv"),
                        ("exports/facts.csv", "facts.csv"),
                        ("exports.zip", "exports.zip (every dataset + schemas)")):
        url = f"{srv.base}/api/v1/tenants/{SLUG}/{file}"
        before = rss_mib(srv.pid) or 0
        peak = PeakSampler(srv.pid)
        size = lines = 0
        t0 = time.monotonic()
        with peak:
            try:
                with urllib.request.urlopen(url, timeout=IMPORT_TIMEOUT) as r:
                    while chunk := r.read(1 << 16):
                        size += len(chunk)
                        lines += chunk.count(b"\n")
            except (OSError, urllib.error.URLError) as e:
                report.note(f"{backend} N={n}: export {file} failed: {e}")
                continue
        took = time.monotonic() - t0
        grew = max(0.0, peak.peak - before)
        count = f"{lines - 1:,}".replace(",", " ")
        rows = f", {count} rows" if file.endswith(".csv") else ""
        report.add(backend, n, f"export {label}",
                   f"{took:.2f} s, {size / 1048576:.1f} MiB{rows}; peak +{grew:.0f} MiB",
                   "memory flat: peak < +50 MiB", grew < 50)


def bench_one(report: Report, backend: str, n: int, csv_path: Path, workdir: Path) -> None:
    srv = Vigie(backend, workdir)
    try:
        srv.prepare()
        started = srv.start()
        time.sleep(3)
        idle = rss_mib(srv.pid) or 0
        report.add(backend, n, "resident memory idle, with the demo", f"{idle:.0f} MiB "
                   f"(ready in {started:.1f} s)", "< 60 MB", idle < 60)
        garant = sign_in(srv.base, "garant@bench.example")
        try:
            took, rep = import_file(srv.base, garant, csv_path, IMPORT_TIMEOUT)
        except (TimeoutError, socket.timeout):
            report.note(f"{backend} N={n}: import not finished after {IMPORT_TIMEOUT} s; "
                        "rest of this size skipped")
            return
        report.add(backend, n, f"import {n} rows (created {rep['created']}, rejected "
                   f"{rep['rejected']})", f"{took:.2f} s ({n / took:,.0f} rows/s)".replace(",", " "),
                   "65 000 rows < 10 s (≥ 6 500 rows/s)",
                   n / took >= 6500 and rep["created"] == n)
        if rep["rejected"]:
            report.note(f"{backend} N={n}: rejected rows, first: {rep['rejected_rows'][:1]}")
        try:
            took, rep = import_file(srv.base, garant, csv_path, IMPORT_TIMEOUT)
        except (TimeoutError, socket.timeout):
            report.note(f"{backend} N={n}: re-import not finished after {IMPORT_TIMEOUT} s; "
                        "rest of this size skipped")
            return
        report.add(backend, n, f"re-import, all unchanged ({rep['unchanged']} unchanged)",
                   f"{took:.2f} s ({n / took:,.0f} rows/s)".replace(",", " "),
                   "65 000 rows < 5 s (≥ 13 000 rows/s)",
                   n / took >= 13000 and rep["unchanged"] == n)
        after = rss_mib(srv.pid) or 0
        report.add(backend, n, "resident memory after the imports", f"{after:.0f} MiB")
        ids = object_ids(srv.base)
        if not ids:
            raise RuntimeError("the object list's first page names no object")
        ids_file = workdir / "ids.txt"
        ids_file.write_text("\n".join(map(str, ids)) + "\n")
        peak = PeakSampler(srv.pid)
        nginx = Nginx(workdir)
        if "reads" in PARTS:
            measure_reads(report, backend, n, srv, nginx, ids[0], peak)
        if "map" in PARTS:
            measure_map(report, backend, n, srv, peak)
        if "writes" in PARTS:
            citizen = sign_in(srv.base, "citoyen@bench.example")
            writer = Writer(srv, citizen, ids_file)
            measure_writes(report, backend, n, srv, writer, peak)
        if "exports" in PARTS:
            measure_exports(report, backend, n, srv)
        report.add(backend, n, "resident memory, peak under the loads above",
                   f"{peak.peak:.0f} MiB", "< 150 MB", 0 < peak.peak < 150)
    finally:
        srv.stop()


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024 // 1024
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), {mem} GiB RAM, Linux {platform.release()}"


def update_docs(report: Report, started: dt.datetime, minutes: float) -> None:
    docs = ROOT / "docs" / "benchmarks.md"
    text = docs.read_text(encoding="utf-8")
    begin, end = "<!-- macro:begin -->", "<!-- macro:end -->"
    settings = (f"sizes {' '.join(map(str, SIZES))}; backends {' '.join(BACKENDS)}; "
                f"{RUNS} run(s) of {DURATION} s per measure (medians); request levels "
                f"{' '.join(map(str, REQUEST_LEVELS))}; seeding limit {SEED_TIMEOUT} s per level")
    body = [begin,
            f"Measured on **{started:%d %B %Y %H:%M} UTC** with `make bench-macro` on "
            f"{machine()}, in {minutes:.0f} minutes ({settings}).",
            "",
            report.markdown()]
    if report.notes:
        body += ["", "Notes from this run:", ""] + [f"- {n}" for n in report.notes]
    body.append(end)
    section = "\n".join(body)
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    docs.write_text(text, encoding="utf-8")
    log(f"updated {docs.relative_to(ROOT)}")


def ensure_tools() -> None:
    missing = [p for c, p in (("wrk", "wrk"), ("nginx", "nginx-light")) if not shutil.which(c)]
    if missing:
        log(f"installing {' '.join(missing)} with apt-get")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        r = subprocess.run([*sudo, "apt-get", "install", "-y", *missing])
        if r.returncode != 0:
            subprocess.run([*sudo, "apt-get", "update"], check=True)
            subprocess.run([*sudo, "apt-get", "install", "-y", *missing], check=True)
    if "postgres" in BACKENDS and not shutil.which("psql"):
        raise SystemExit("PostgreSQL's psql is needed for the postgres backend "
                         "(or set BENCH_BACKENDS=sqlite)")
    if not VIGIE_BIN.exists():
        raise SystemExit(f"{VIGIE_BIN} is missing: run `cargo build --release -p vigie`")


def main() -> int:
    for name in ("marseille_colleges_adresse_geolocalisation.csv", "uai_test_vectors.csv"):
        if not (DATA_DIR / name).exists():
            raise SystemExit(f"{DATA_DIR / name} is missing: set VIGIE_BENCH_DATA to the folder "
                             "of the shared open-data extracts")
    ensure_tools()
    checked = check_uai_algorithm(DATA_DIR / "uai_test_vectors.csv")
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.monotonic()
    log(f"macro benchmark: sizes {SIZES}, backends {BACKENDS}, {RUNS} runs x {DURATION} s; "
        f"UAI check letter verified on {checked} test vectors; {machine()}")
    report = Report()
    with tempfile.TemporaryDirectory(prefix="vigie-bench-") as tmp:
        tmp_path = Path(tmp)
        for n in SIZES:
            csv_path = tmp_path / f"referential-{n}.csv"
            generate_referential(n, csv_path)
            log(f"generated {csv_path.name}: {n} places, {csv_path.stat().st_size // 1024} KB")
            for backend in BACKENDS:
                workdir = tmp_path / f"{backend}-{n}"
                workdir.mkdir()
                log(f"--- {backend}, N = {n}")
                try:
                    bench_one(report, backend, n, csv_path, workdir)
                except Exception as e:  # noqa: BLE001 — one failing case must not lose the rest
                    report.note(f"{backend} N={n}: stopped: {e}")
                    log_tail = workdir / "server.log"
                    if log_tail.exists():
                        print(log_tail.read_text()[-3000:], file=sys.stderr)
    minutes = (time.monotonic() - t0) / 60
    print()
    print(report.text())
    for note in report.notes:
        print("note:", note)
    misses = sum(1 for r in report.rows if r.verdict == "MISS")
    print(f"\n{misses} target(s) missed; {minutes:.1f} minutes")
    if DOCS:
        update_docs(report, started, minutes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
