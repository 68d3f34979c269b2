#!/usr/bin/env python3
"""Loads the built components (dist/*.wasm) in a real Wasmtime host and calls
them through the component model, as the Vigie server will.

Needs `pip install wasmtime` (PyPI; its component API is used) and a previous
`./build.sh`. Usage: python3 smoke-test.py [DIST_DIR]

This is a guest-side smoke test, not the host's test suite: it checks that
each component instantiates without imports, exports the
`vigie:object-type/plugin@0.1.0` interface and answers sensibly, and that the
misbehaving test components misbehave as documented (and are contained by
fuel and memory limits).
"""

import os
import sys

try:
    import wasmtime
    import wasmtime.component as wc
except ImportError:  # pragma: no cover
    sys.exit("smoke-test.py needs the wasmtime package: pip install wasmtime")

HERE = os.path.dirname(os.path.abspath(__file__))
DIST = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "dist")
INTERFACE = "vigie:object-type/plugin@0.1.0"
GEOLOCATION_CSV = os.path.join(
    HERE, "..", "..", "shared", "data", "marseille_colleges_adresse_geolocalisation.csv"
)

config = wasmtime.Config()
config.consume_fuel = True
ENGINE = wasmtime.Engine(config)
LINKER = wc.Linker(ENGINE)

passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def rec(**fields):
    record = wc.Record()
    for key, value in fields.items():
        setattr(record, key.replace("_", "-"), value)
    return record


def fv(key, tag, payload):
    return rec(key=key, value=wc.Variant(tag, payload))


class Plugin:
    """A fresh instance with its own store, fuel and memory cap."""

    def __init__(self, name, fuel=10**9, memory=64 << 20):
        self.component = wc.Component.from_file(ENGINE, os.path.join(DIST, f"{name}.wasm"))
        self.store = wasmtime.Store(ENGINE)
        self.store.set_fuel(fuel)
        self.store.set_limits(memory_size=memory)
        self.instance = LINKER.instantiate(self.store, self.component)
        self.iface = self.instance.get_export_index(self.store, INTERFACE)

    def __call__(self, function, *args):
        index = self.instance.get_export_index(self.store, function, self.iface)
        return self.instance.get_func(self.store, index)(self.store, *args)


def traps(name, function, *args, **limits):
    try:
        Plugin(name, **limits)(function, *args)
    except (wasmtime.Trap, wasmtime.WasmtimeError) as error:
        return str(error).splitlines()[0]
    return None


def attr(record, name):
    return getattr(record, name)


def main():
    # --- the real object types -------------------------------------------
    for name, key in [
        ("schools", "schools"),
        ("libraries", "libraries"),
        ("parks", "parks"),
        ("sports-halls", "sports-halls"),
    ]:
        plugin = Plugin(name)
        manifest = plugin("manifest")
        check(f"{name}: manifest identity", manifest.identity.key == key, manifest.identity.key)
        keys = [f.key for f in manifest.fields]
        check(f"{name}: unique field keys", len(keys) == len(set(keys)))
        check(f"{name}: has importers", len(manifest.importers) > 0)
        vintage = "2024-2025" if name == "schools" else "2024"
        check(f"{name}: validate-record of nothing", plugin("validate-record", vintage, []) == [])

    schools = Plugin("schools")
    check("schools: UAI normalised", schools("normalize-identifier", " 0130566v ") == "0130566V")
    error = schools("normalize-identifier", "0130566A")
    check("schools: bad UAI refused", getattr(error, "code", None) == "uai-check-letter", repr(error))
    check("schools: vintage 2024", schools("normalize-vintage", "2024") == "2024-2025")
    diagnostics = schools(
        "validate-record",
        "2024-2025",
        [fv("atsem", "integer", 5), fv("nursery-classes", "integer", 3)],
    )
    check(
        "schools: ATSEM rule",
        [d.code for d in diagnostics] == ["atsem-exceed-nursery-classes"],
        [d.code for d in diagnostics],
    )
    indicators = schools(
        "compute-indicators",
        "2024-2025",
        [fv("pupils", "integer", 213), fv("classes", "integer", 12)],
    )
    values = {i.key: i.value for i in indicators}
    check("schools: pupils per class", abs(values.get("pupils-per-class", 0) - 17.75) < 1e-9, values)
    request = schools("validate-request", "dgi-notice", [])
    check("schools: DGI requires its fields", len(request) == 4, [d.code for d in request])

    if os.path.isfile(GEOLOCATION_CSV):
        with open(GEOLOCATION_CSV, encoding="utf-8") as f:
            lines = f.read().splitlines()
        header = lines[0].split(";")
        imported = 0
        for line in lines[1:]:
            cells = [rec(column=c, text=t) for c, t in zip(header, line.split(";"))]
            obj = schools("import-row", "education-geolocation", cells)
            if isinstance(obj, wc.Variant):  # result<record, record> comes tagged
                obj = obj.payload if obj.tag == "ok" else None
            if getattr(obj, "identifier", None) and obj.location is not None:
                imported += 1
        check("schools: 102 geolocation rows imported in wasm", imported == 102, imported)
    else:
        print("skip schools geolocation rows: shared data not found")

    # --- the misbehaving test components ---------------------------------
    check("loop-forever: manifest loads", Plugin("loop-forever")("manifest").identity.key == "loop-forever")
    message = traps("loop-forever", "validate-record", "2024", [], fuel=10**7)
    check("loop-forever: runs out of fuel", message is not None, message)
    check("alloc-unbounded: manifest loads", Plugin("alloc-unbounded")("manifest").identity.key == "alloc-unbounded")
    message = traps("alloc-unbounded", "validate-record", "2024", [], memory=16 << 20)
    check("alloc-unbounded: stopped by the memory cap", message is not None, message)
    check("trap: manifest loads", Plugin("trap")("manifest").identity.key == "trap")
    for function, args in [
        ("validate-record", ("2024", [fv("count", "integer", 1)])),
        ("normalize-identifier", ("T1",)),
        ("normalize-vintage", ("2024",)),
        ("import-row", ("test-rows", [])),
    ]:
        message = traps("trap", function, *args)
        check(f"trap: {function} traps", message is not None, message)
    garbage = Plugin("garbage")
    manifest = garbage("manifest")
    keys = [f.key for f in manifest.fields]
    check("garbage: empty type key", manifest.identity.key == "")
    check("garbage: duplicate field keys", len(keys) != len(set(keys)), keys)
    indicators = garbage("compute-indicators", "2024", [])
    check("garbage: non-finite indicators", any(i.value != i.value for i in indicators))

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
