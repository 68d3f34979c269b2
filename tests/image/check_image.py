"""Checks the container image without a container engine; run by tests/image/check.sh.

Part 1 reads the Containerfile (and .dockerignore, the chart's values, tests/image/engine.sh).
Part 2 assembles the runtime stage's tree from a built binary and plugins, exactly at the paths
and with the owners the runtime stage's COPY lines give them, adds what the base image provides
(the binary's shared libraries, CA certificates, passwd), and runs it the way a container
engine with a read-only root filesystem would: a private mount namespace where the tree is
bind-mounted read-only, the data volume the only writable mount, a chroot, the image's USER (no
supplementary groups, no capabilities, no_new_privs) and only the image's ENV.

Python standard library only. Ends with a 'N passed, N failed[, N skipped]' line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "Containerfile"
VALUES = REPO / "helm" / "vigie" / "values.yaml"
ENGINE_SH = REPO / "tests" / "image" / "engine.sh"
BIN = Path(os.environ.get("VIGIE_IMAGE_BIN", REPO / "target" / "debug" / "vigie"))
PLUGINS = Path(os.environ.get("VIGIE_IMAGE_PLUGINS", REPO / "plugins" / "dist"))

# Shared libraries the runtime base (distroless "cc", Debian 12) provides: glibc, libgcc,
# libstdc++, libgomp, OpenSSL. The binary may need no other.
BASE_LIBRARIES = {
    "linux-vdso.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libc.so.6",
    "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libresolv.so.2",
    "libutil.so.1", "libgcc_s.so.1", "libstdc++.so.6", "libgomp.so.1", "libssl.so.3",
    "libcrypto.so.3",
}
# Bases the runtime stage may use: minimal, no compiler, no package manager in use.
MINIMAL_BASES = ("gcr.io/distroless/cc", "gcr.io/distroless/base", "gcr.io/distroless/static",
                 "docker.io/library/debian:bookworm-slim", "debian:bookworm-slim")
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|ACCESS_KEY|API_KEY)", re.I)
SECRET_VALUE = re.compile(r"(://[^/\s:@]+:[^/\s@]+@|AKIA[0-9A-Z]{16}|BEGIN [A-Z ]*PRIVATE KEY)")
# The test components of plugins/dist (they misbehave on purpose) never go into the image.
TEST_COMPONENTS = {"loop-forever", "alloc-unbounded", "trap", "garbage", "remember"}

results: list[tuple[str, str]] = []
# Host tools part 2 runs, by absolute path (the server's environment is the image's alone).
TOOLS = {name: name for name in ("env", "unshare", "setpriv", "chroot", "mount", "ldd")}


def check(name: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Skip as exc:
        results.append((name, "skipped"))
        print(f"skip {name}: {exc}")
    except Exception as exc:  # noqa: BLE001 - every failure is reported, not raised
        results.append((name, "failed"))
        detail = str(exc)
        if not detail:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f"line {frame.lineno}: {frame.line}"
        print(f"FAIL {name}: {detail}")
        if not isinstance(exc, AssertionError):
            traceback.print_exc()
    else:
        results.append((name, "passed"))
        print(f"ok   {name}")


class Skip(Exception):
    pass


# --- The Containerfile -------------------------------------------------------------------------


class Instruction:
    def __init__(self, keyword: str, args: str, line: int) -> None:
        self.keyword = keyword.upper()
        self.args = args.strip()
        self.line = line

    def exec_form(self) -> list[str]:
        assert self.args.startswith("["), f"line {self.line}: {self.keyword} is not in exec form"
        return json.loads(self.args)

    def flags_and_words(self) -> tuple[dict[str, str], list[str]]:
        flags: dict[str, str] = {}
        words = []
        for word in shlex.split(self.args):
            if word.startswith("--") and not words:
                key, _, value = word[2:].partition("=")
                flags[key] = value
            else:
                words.append(word)
        return flags, words


class Stage:
    def __init__(self, base: str, name: str, line: int) -> None:
        self.base = base
        self.name = name
        self.line = line
        self.instructions: list[Instruction] = []

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for i in self.all("ENV"):
            for word in shlex.split(i.args):
                key, sep, value = word.partition("=")
                assert sep, f"line {i.line}: write ENV as KEY=VALUE"
                env[key] = value
        return env

    def run_text(self) -> str:
        return "\n".join(i.args for i in self.all("RUN"))


def parse_containerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Instructions with their continuation lines joined, comments dropped; stages by FROM."""
    logical: list[tuple[int, str]] = []
    current = ""
    first = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if not current:
            first = number
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        logical.append((first, current))
        current = ""
    assert not current, "the Containerfile ends inside a continued line"

    args: dict[str, str] = {}
    stages: list[Stage] = []
    for number, line in logical:
        keyword, _, rest = line.partition(" ")
        instruction = Instruction(keyword, rest, number)
        if instruction.keyword == "FROM":
            words = shlex.split(rest)
            words = [w for w in words if not w.startswith("--")]
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), words[0])
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else ""
            stages.append(Stage(base, name, number))
        elif instruction.keyword == "ARG" and not stages:
            key, _, value = rest.strip().partition("=")
            args[key] = value
        else:
            assert stages, f"line {number}: {instruction.keyword} before the first FROM"
            stages[-1].instructions.append(instruction)
    return args, stages


TEXT = CONTAINERFILE.read_text()
GLOBAL_ARGS, STAGES = parse_containerfile(TEXT)
BUILD = STAGES[0] if STAGES else None
RUNTIME = STAGES[-1] if STAGES else None


def image_user() -> tuple[int, int]:
    assert RUNTIME
    user = RUNTIME.last("USER")
    assert user, "the runtime stage sets no USER: it would run as root"
    uid, _, gid = user.args.partition(":")
    assert uid.isdigit() and gid.isdigit(), (
        f"USER {user.args}: give a numeric uid:gid, so Kubernetes can check runAsNonRoot")
    assert int(uid) != 0 and int(gid) != 0, f"USER {user.args} is root"
    return int(uid), int(gid)


def runtime_copies() -> list[tuple[dict[str, str], str, str]]:
    """(flags, source, destination) of each COPY/ADD of the runtime stage."""
    assert RUNTIME
    copies = []
    for i in RUNTIME.all("COPY") + RUNTIME.all("ADD"):
        flags, words = i.flags_and_words()
        assert len(words) == 2, f"line {i.line}: one source and one destination per COPY"
        copies.append((flags, words[0], words[1]))
    return copies


def check_stages() -> None:
    assert len(STAGES) >= 2, "the Containerfile must have a build stage and a runtime stage"
    assert BUILD and RUNTIME and BUILD.name == "build", "the first stage must be named build"
    run = BUILD.run_text()
    assert "rustup target add wasm32-unknown-unknown" in run, "the plugins' wasm32 target"
    assert "bash plugins/build.sh" in run, "the build stage must build the plugins"
    assert re.search(r"cargo build --release --locked -p vigie\b", run), "cargo build --release"
    assert any(RUNTIME.base.startswith(b) for b in MINIMAL_BASES), (
        f"runtime base {RUNTIME.base} is not one of the minimal bases {MINIMAL_BASES}")
    assert not RUNTIME.all("RUN"), "the runtime stage runs nothing (a distroless base has no shell)"


def check_user_and_entrypoint() -> None:
    assert RUNTIME
    uid, gid = image_user()
    entrypoint = RUNTIME.last("ENTRYPOINT")
    cmd = RUNTIME.last("CMD")
    assert entrypoint and entrypoint.exec_form() == ["/usr/local/bin/vigie"], "ENTRYPOINT"
    assert cmd and cmd.exec_form() == ["serve"], "CMD must be [\"serve\"]"
    env = RUNTIME.env()
    assert "/usr/local/bin" in env.get("PATH", "").split(":"), "PATH must find vigie (the chart runs `vigie`)"
    data = env.get("VIGIE_DATA_DIR")
    assert data, "ENV VIGIE_DATA_DIR must name the data volume"
    volume = RUNTIME.last("VOLUME")
    assert volume and volume.exec_form() == [data], f"VOLUME must be [{data!r}]"
    port = env.get("VIGIE_BIND", "").rpartition(":")[2]
    expose = RUNTIME.last("EXPOSE")
    assert expose and port and expose.args == port, "EXPOSE must be VIGIE_BIND's port"
    print(f"     user {uid}:{gid}, entry point {entrypoint.args} {cmd.args}, data {data}, "
          f"port {port}")


def image_paths() -> list[tuple[str, str, str]]:
    """(path in the image, owner uid:gid, build output) of everything the runtime stage copies."""
    outputs = build_outputs()
    paths = []
    for flags, source, destination in runtime_copies():
        assert flags.get("from") == "build", (
            f"COPY {source}: the runtime stage copies only from the build stage")
        prefix = source.rstrip("/")
        entries = [k for k in outputs if k == prefix or k.startswith(prefix + "/")]
        assert entries, f"COPY --from=build {source}: the build stage does not make it (install)"
        for out_path in entries:
            relative = out_path[len(prefix):].lstrip("/")
            image_path = destination.rstrip("/") + ("/" + relative if relative else "")
            paths.append((image_path, flags.get("chown", ""), out_path))
    return paths


def check_copies() -> None:
    uid, gid = image_user()
    assert RUNTIME
    data = RUNTIME.env()["VIGIE_DATA_DIR"]
    paths = image_paths()
    for image_path, owner, out_path in paths:
        if image_path == data:
            assert owner == f"{uid}:{gid}", f"{image_path}: the data volume is owned by USER"
        else:
            assert owner == "0:0", f"{image_path}: everything but the data volume is root's"
    found = {p for p, _, _ in paths}
    assert "/usr/local/bin/vigie" in found, "the binary"
    assert data in found, "the data volume"
    plugins = [p for p in found if p.startswith("/usr/share/vigie/plugins/")]
    assert plugins, "the plugins"
    print(f"     copies: {', '.join(sorted(found))}")


def check_no_secrets() -> None:
    for stage in STAGES:
        for i in stage.instructions:
            if i.keyword in ("ENV", "ARG", "LABEL"):
                for word in shlex.split(i.args):
                    key, _, value = word.partition("=")
                    assert not SECRET_NAME.search(key), f"line {i.line}: {key} looks like a secret"
                    assert not SECRET_VALUE.search(value), f"line {i.line}: a credential"
    for name, value in GLOBAL_ARGS.items():
        assert not SECRET_NAME.search(name) and not SECRET_VALUE.search(value), name
    assert not re.search(r"--mount=type=secret|--secret", TEXT), "the build needs no secret"
    ignore = (REPO / ".dockerignore").read_text().split()
    for needed in (".git", "**/target", "plugins/dist", "data", "*.db", "helm/.venv"):
        assert needed in ignore, f".dockerignore must leave out {needed}"
    container_ignore = REPO / ".containerignore"
    assert container_ignore.read_text() == (REPO / ".dockerignore").read_text(), (
        ".containerignore (Podman) must be .dockerignore")


def check_chart_agrees() -> None:
    """The chart runs the image as its USER, mounts the data volume where the image has it."""
    assert RUNTIME
    uid, gid = image_user()
    values = VALUES.read_text()

    def value(key: str) -> str:
        found = re.search(rf"^\s+{key}:\s*(\S+)", values, re.M)
        assert found, f"values.yaml has no {key}"
        return found.group(1)

    assert int(value("runAsUser")) == uid, "podSecurityContext.runAsUser != the image's uid"
    assert int(value("runAsGroup")) == gid, "podSecurityContext.runAsGroup != the image's gid"
    assert value("mountPath") == RUNTIME.env()["VIGIE_DATA_DIR"], "persistence.mountPath"
    assert re.search(r"^command:\n\s+- vigie$", values, re.M), "the chart runs `vigie` (PATH)"


def check_engine_choice() -> None:
    """`make image` picks an engine that answers, and says clearly when none does."""
    with tempfile.TemporaryDirectory() as tmp:
        fake = Path(tmp)
        (fake / "no-daemon").write_text(
            "#!/bin/sh\necho 'Cannot connect to the daemon. Is it running?' >&2\nexit 1\n")
        (fake / "answers").write_text("#!/bin/sh\nexit 0\n")
        for f in fake.iterdir():
            f.chmod(0o755)
        env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
        run = subprocess.run(["bash", str(ENGINE_SH), "no-daemon", "not-installed-engine"],
                             env=env, capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 1, run
        assert "no container engine answers" in run.stderr, run.stderr
        assert "no-daemon: installed, but `no-daemon info` fails: Cannot connect" in run.stderr
        assert "not-installed-engine: not installed" in run.stderr, run.stderr
        run = subprocess.run(["bash", str(ENGINE_SH), "no-daemon", "answers"], env=env,
                             capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 0 and run.stdout.strip() == "answers", run
    make = subprocess.run(["make", "-n", "-C", str(REPO), "image", "CONTAINER_ENGINE=answers"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert "build --file Containerfile --tag vigie:dev ." in make.stdout, make.stdout


# --- The runtime tree, run ---------------------------------------------------------------------


def build_outputs() -> dict[str, tuple[Path | None, int]]:
    """What the build stage's `install` lines put under /out: path -> (local source, mode)."""
    assert BUILD
    outputs: dict[str, tuple[Path | None, int]] = {}
    for command in re.split(r"[;&|\n]+", BUILD.run_text()):
        words = shlex.split(command)
        if not words or words[0] != "install":
            continue
        mode = 0o755
        directory = False
        rest = []
        it = iter(words[1:])
        for w in it:
            if w == "-m":
                mode = int(next(it), 8)
            elif w == "-d":
                directory = True
            elif w.startswith("-"):
                continue
            else:
                rest.append(w)
        if directory:
            outputs[rest[-1]] = (None, mode)
            continue
        source, destination = rest
        if source == "target/release/vigie":
            local = BIN
        elif source.startswith("plugins/dist/"):
            local = PLUGINS / source.removeprefix("plugins/dist/")
        else:
            raise AssertionError(f"the check does not know where {source} comes from")
        outputs[destination] = (local, mode)
    return outputs


class Tree:
    """The runtime stage's filesystem, a data volume and a settings folder, in a temp dir."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "root"
        self.data = base / "volume"
        self.etc = base / "etc-vigie"
        self.uid, self.gid = image_user()
        assert RUNTIME
        self.env = RUNTIME.env()
        self.data_path = self.env["VIGIE_DATA_DIR"]
        self.owners: dict[str, tuple[int, int]] = {}

    def assemble(self) -> None:
        outputs = build_outputs()
        for image_path, owner, out_path in image_paths():
            local, mode = outputs[out_path]
            target = self.root / image_path.lstrip("/")
            if local is None:
                target.mkdir(parents=True, exist_ok=True)
            else:
                assert local.is_file(), f"{local} is missing: build it first (see check.sh)"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(local, target)
            target.chmod(mode)
            self.owners[image_path] = tuple(map(int, owner.split(":")))
        # What the base image provides: the loader and libraries, CA certificates, passwd,
        # a world-writable /tmp (on the read-only root, so not writable in fact), mount points.
        for library in self.libraries():
            target = self.root / library.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(os.path.realpath(library), target)
            target.chmod(0o755)
        certs = Path("/etc/ssl/certs/ca-certificates.crt")
        if certs.exists():
            (self.root / "etc/ssl/certs").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(certs, self.root / "etc/ssl/certs/ca-certificates.crt")
        (self.root / "etc/passwd").write_text(
            "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:"
            "/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
        (self.root / "etc/group").write_text("root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n")
        for folder in ("proc", "dev", "sys", "etc/vigie"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)
        (self.root / "tmp").chmod(0o1777)
        # Owners as the COPY lines give them (directories they create implicitly: root's); then
        # the volume, initialised like a named volume from the image's folder (empty, owned by
        # the image's user).
        for path in [self.root, *self.root.rglob("*")]:
            image_path = "/" + str(path.relative_to(self.root)) if path != self.root else "/"
            os.lchown(path, *self.owners.get(image_path, (0, 0)))
        assert self.owners.get(self.data_path) == (self.uid, self.gid), "volume owner"
        self.data.mkdir()
        os.chown(self.data, self.uid, self.gid)
        self.data.chmod(0o750)
        self.etc.mkdir()

    def libraries(self) -> list[str]:
        out = subprocess.run(["ldd", str(BIN)], capture_output=True, text=True, check=True).stdout
        paths = []
        for line in out.splitlines():
            line = line.strip()
            name = line.split()[0]
            assert Path(name).name in BASE_LIBRARIES, (
                f"vigie needs {name}, which the runtime base does not provide")
            found = re.search(r"(/\S+)", line.split("=>")[-1])
            if found:
                paths.append(found.group(1))
        return paths

    def snapshot(self) -> dict[str, tuple[int, int, int, int]]:
        """Every path of the tree (not the volume) with its size, mtime, owner and mode."""
        listing = {}
        for path in [self.root, *self.root.rglob("*")]:
            st = path.lstat()
            listing[str(path.relative_to(self.root))] = (
                st.st_size, st.st_mtime_ns, st.st_uid, st.st_mode)
        return listing

    def command(self, args: list[str], env: dict[str, str]) -> list[str]:
        """`args` run in the tree as the image's user: read-only root, volume writable."""
        root = shlex.quote(str(self.root))
        data_mount = shlex.quote(str(self.root / self.data_path.lstrip("/")))
        m = TOOLS["mount"]
        setup = " && ".join([
            f"{m} --make-rprivate /",
            f"{m} --bind {root} {root}",
            f"{m} -o remount,bind,ro {root}",
            f"{m} --bind {shlex.quote(str(self.data))} {data_mount}",
            f"{m} --bind -o ro {shlex.quote(str(self.etc))} {root}/etc/vigie",
            f"{m} -o remount,bind,ro {root}/etc/vigie",
            f"{m} --rbind /proc {root}/proc",
            f"{m} --rbind /dev {root}/dev",
            f"{m} --rbind /sys {root}/sys",
        ])
        # exec all the way down: the process started is the server itself (signals reach it).
        inner = (f"{setup} && exec {TOOLS['setpriv']} --no-new-privs {TOOLS['chroot']} "
                 f"--userspec={self.uid}:{self.gid} --groups={self.gid} {root} "
                 + " ".join(shlex.quote(a) for a in args))
        return [TOOLS["env"], "-i", *[f"{k}={v}" for k, v in env.items()],
                TOOLS["unshare"], "--mount", "--propagation", "private", "/bin/sh", "-c", inner]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        status = e.code
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text


def run_tree() -> None:
    if os.geteuid() != 0:
        raise Skip("needs root (a mount namespace and a chroot): run `make test` as root")
    for tool in TOOLS:
        found = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
        assert found, f"{tool} is missing (util-linux, coreutils, libc-bin)"
        TOOLS[tool] = found
    assert BIN.is_file(), (f"{BIN} is missing: build it first (`cargo build -p vigie`; "
                           "`make test` builds it), or pass the binary: check.sh VIGIE_BIN")
    shipped = {p.stem for p in PLUGINS.glob("*.wasm")}
    assert shipped, f"no plugins in {PLUGINS}: build them first (make plugins)"

    with tempfile.TemporaryDirectory(prefix="vigie-image-") as tmp:
        base = Path(tmp)
        base.chmod(0o755)
        tree = Tree(base)
        tree.assemble()
        plugin_folder = tree.root / "usr/share/vigie/plugins"
        in_image = sorted(p.name for p in plugin_folder.iterdir())
        assert in_image and not ({Path(p).stem for p in in_image} & TEST_COMPONENTS), in_image
        print(f"     tree: {sum(1 for _ in tree.root.rglob('*'))} paths; plugins {in_image}; "
              f"libraries from ldd: {len(tree.libraries())}")
        before = tree.snapshot()

        # The chart's init container first: `vigie migrate` on the empty volume.
        migrate = subprocess.run(tree.command(["/usr/local/bin/vigie", "migrate"], tree.env),
                                 capture_output=True, text=True, timeout=300, check=False)
        assert migrate.returncode == 0, f"vigie migrate: {migrate.stdout}{migrate.stderr}"
        assert (tree.data / "vigie.db").is_file(), "vigie migrate made no database in the volume"
        print("     `vigie migrate` (the chart's init container) created the database in the volume")

        port = free_port()
        env = dict(tree.env)
        # The only change to the image's settings: a free loopback port instead of 0.0.0.0:8080
        # on this shared machine.
        env["VIGIE_BIND"] = f"127.0.0.1:{port}"
        url = f"http://127.0.0.1:{port}"
        # The metrics listener as the chart sets it (VIGIE__METRICS__BIND), when this build of
        # Vigie has one (`vigie config sample` lists [metrics]).
        sample = subprocess.run([str(BIN), "config", "sample"], capture_output=True, text=True,
                                timeout=60, check=False).stdout
        metrics_url = ""
        if re.search(r"^\[metrics\]", sample, re.M):
            metrics_port = free_port()
            env["VIGIE__METRICS__BIND"] = f"127.0.0.1:{metrics_port}"
            metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        else:
            print("     this vigie has no [metrics] settings: the metrics listener is not checked")
        log_path = base / "serve.log"
        with log_path.open("w") as log:
            started = time.monotonic()
            server = subprocess.Popen(tree.command(["/usr/local/bin/vigie", "serve"], env),
                                      stdout=log, stderr=subprocess.STDOUT)
        try:
            serve_and_write(server, url, tree, log_path, started, metrics_url)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        log_text = log_path.read_text()
        for bad in ("Read-only file system", "Permission denied", "plugin left out", "panicked"):
            assert bad not in log_text, f"the server's log says {bad!r}:\n{log_text[-3000:]}"

        # The image's extra plugin, pinned in a settings file mounted read-only like the
        # chart's ConfigMap, verifies as the unprivileged user.
        pins = "\n".join(
            f'"{name}" = "{hashlib.sha256((plugin_folder / name).read_bytes()).hexdigest()}"'
            for name in in_image)
        (tree.etc / "vigie.toml").write_text(
            f'[plugins]\ndir = "/usr/share/vigie/plugins"\n\n[plugins.pinned]\n{pins}\n')
        verify = subprocess.run(
            tree.command(["/usr/local/bin/vigie", "plugin", "verify"],
                         dict(tree.env, VIGIE_CONFIG="/etc/vigie/vigie.toml")),
            capture_output=True, text=True, timeout=300, check=False)
        assert verify.returncode == 0, f"vigie plugin verify: {verify.stdout}{verify.stderr}"
        for name in in_image:
            assert re.search(rf"^ok\s+{Path(name).stem}\s", verify.stdout, re.M), verify.stdout
        print(f"     `vigie plugin verify` with plugins.dir=/usr/share/vigie/plugins: "
              f"{verify.stdout.strip().splitlines()[-1]}")

        # The sandbox holds: a data folder off the volume cannot be written.
        denied = subprocess.run(
            tree.command(["/usr/local/bin/vigie", "migrate"],
                         dict(tree.env, VIGIE_DATA_DIR="/srv/vigie")),
            capture_output=True, text=True, timeout=120, check=False)
        assert denied.returncode != 0, "vigie wrote a data folder outside the volume"
        print(f"     a data folder off the volume is refused: "
              f"{(denied.stderr.strip().splitlines() or ['?'])[-1][:120]}")

        # Nothing written outside the volume: the tree is as it was, and every file of the
        # volume belongs to the image's user.
        after = tree.snapshot()
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        assert not changed, f"written outside the data volume: {changed[:20]}"
        foreign = [str(p) for p in tree.data.rglob("*")
                   if p.lstat().st_uid != tree.uid or p.lstat().st_gid != tree.gid]
        assert not foreign, f"files of the volume not owned by {tree.uid}: {foreign[:10]}"
        written = sorted({p.relative_to(tree.data).parts[0] for p in tree.data.rglob("*")})
        print(f"     the volume holds {written}; nothing else changed")


def serve_and_write(server: subprocess.Popen, url: str, tree: Tree, log_path: Path,
                    started: float, metrics_url: str) -> None:
    deadline = started + 240
    while True:
        assert server.poll() is None, (
            f"vigie serve exited ({server.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            status, body = http("GET", f"{url}/healthz", timeout=5)
            if status == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, f"no /healthz in 240 s:\n{log_path.read_text()[-3000:]}"
        time.sleep(0.5)
    print(f"     /healthz answered {body} after {time.monotonic() - started:.1f} s")
    status, body = http("GET", f"{url}/readyz")
    assert status == 200 and body.get("status") == "ready", (status, body)
    print(f"     /readyz: {body}")

    # The process runs as the image's user, without capabilities or a way to gain any.
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{server.pid}/status").read_text().splitlines())
    uids = fields["Uid"].split()
    assert set(uids) == {str(tree.uid)}, f"the server runs as {uids}"
    assert fields["CapEff"].strip() == "0" * 16 and fields["NoNewPrivs"].strip() == "1", fields
    assert fields["Groups"].strip() in ("", str(tree.gid)), fields["Groups"]
    assert os.readlink(f"/proc/{server.pid}/root") == str(tree.root)

    # A write through the API: an account registered (database), whose verification e-mail
    # the outbox worker then writes as an .eml file (no SMTP server set).
    email = "image-check@example.org"
    status, body = http("POST", f"{url}/api/v1/accounts",
                        {"email": email, "password": "a long enough password",
                         "display_name": "Image check"})
    assert status == 202, (status, body)
    outbox = tree.data / "outbox"
    deadline = time.monotonic() + 60
    while not any(email in p.read_text(errors="replace") for p in outbox.glob("*.eml")):
        assert time.monotonic() < deadline, f"no e-mail to {email} in {outbox} after 60 s"
        time.sleep(0.5)
    print("     POST /api/v1/accounts: 202; the verification e-mail is in the volume's outbox/")
    # The account is in the database: signing in is refused only for the unverified address.
    status, body = http("POST", f"{url}/api/v1/session",
                        {"email": email, "password": "a long enough password"})
    assert status == 403 and "email_not_verified" in json.dumps(body), (status, body)

    if metrics_url:
        with urllib.request.urlopen(metrics_url, timeout=30) as response:
            text = response.read().decode()
        assert response.status == 200 and "# TYPE" in text, text[:500]
        status, _ = http("GET", f"{url}/metrics")
        assert status == 404, f"/metrics answers {status} on the public port"
        print(f"     metrics on their own listener (VIGIE__METRICS__BIND): {len(text)} bytes of "
              "Prometheus text; none on the public port")

    # SIGTERM: the server stops by itself, cleanly.
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=30)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("vigie serve did not stop within 30 s of SIGTERM") from e
    assert code == 0, f"vigie serve exited {code} on SIGTERM:\n{log_path.read_text()[-2000:]}"
    assert (tree.data / "vigie.db").is_file(), "no SQLite database in the volume"


def main() -> int:
    print(f"Containerfile: {len(STAGES)} stages, runtime base {RUNTIME.base if RUNTIME else '?'}")
    check("Containerfile: a build stage (plugins with rustup's wasm32, cargo --release) and a "
          "minimal runtime stage", check_stages)
    check("runtime stage: numeric non-root USER, ENTRYPOINT vigie, CMD serve, data VOLUME",
          check_user_and_entrypoint)
    check("runtime stage: copies only what the build stage makes, root-owned but the volume",
          check_copies)
    check("no secret in the Containerfile; .dockerignore = .containerignore", check_no_secrets)
    check("the Helm chart runs the image's uid/gid with the volume at VIGIE_DATA_DIR",
          check_chart_agrees)
    check("make image: picks an engine that answers, says clearly when none does",
          check_engine_choice)
    print(f"binary: {BIN}\nplugins: {PLUGINS}")
    check("the runtime tree, read-only, as the image's user: /healthz, /readyz, a write, "
          "SIGTERM, the extra plugin verifies, nothing written outside the volume", run_tree)

    counts = {k: sum(1 for _, r in results if r == k) for k in ("passed", "failed", "skipped")}
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    print(line)
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
