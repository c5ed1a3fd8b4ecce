"""A fuzz campaign: generated and mutated inputs through every command, each in its own forked process with
a time limit and a memory cap, in a sandbox whose every file outside the output folder is checked after.

    python -m benchmarks.fuzz                      # 10,000 cases on all cores (~30-60 min on 2 cores)
    python -m benchmarks.fuzz --cases 500 --seed 3 # a quick look
    python -m benchmarks.fuzz --show 20            # print the first 20 failing cases (command and stderr)

The goal is 0 exit-70s ("a bug in gwplan"), 0 hangs, 0 crashes and 0 writes outside the output
folder; exit 0, 2, 3, 4, 5 and 130 are answers. Inputs start from valid files (the bundled scenario,
the bad-input corpus' bases, the bundled plan, a fabric spec, an OR-Library instance) and are mutated:
a field deleted, replaced by a value of another kind (None, booleans, huge or negative numbers, NaN,
text with control characters, paths that leave the folder, lists, mappings, dates), a record duplicated,
bytes flipped, truncated or inserted (broken YAML and UTF-8); or, for 40 % of the documents, mildly
(numbers scaled, list entries dropped or duplicated), so that many inputs stay valid and reach the
solver, the fabric builder and the writers. The same --seed gives the same cases.

The parent imports gwplan once and forks a child per case (a fresh interpreter per case would cost
~1 s of imports each); the child sets its limits (address space, CPU), runs `planner.cli.main(argv)`
with its output in files, and exits with the code. Not part of the test suite: it is long by design.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
ANSWERS = {0, 2, 3, 4, 5, 130}
TIME_LIMIT_S = 60.0  # wall clock per case: beyond it, a hang
MEMORY_CAP = 3 * 2**30  # address space per case

SEEDS = {
    "scenario": REPO / "scenarios" / "10gw-rollout.yaml",
    "small-scenario": REPO / "tests" / "bad_inputs" / "scenarios" / "_base.yaml",
    "plan": REPO / "tests" / "bad_inputs" / "plans" / "_base.plan.yaml",
    "big-plan": REPO / "plans" / "10gw-rollout.plan.yaml",
    "fabric": REPO / "tests" / "bad_inputs" / "fabrics" / "_base.yaml",
}
ORLIB = REPO.parent / "shared" / "benchmarks" / "orlib-cflp" / "cap41.txt"

WEIRD = [None, True, False, 0, -1, -1e308, 1e308, 10**400, 2**63, 0.5, "nan", ".inf", "", " ", "x" * 5000,
         "../../../etc/passwd", "/tmp/x", "a\nb", "a\x00b", "\x1b[31mred", "é漢字", "2026-13-45", "2026-H3",
         "0000-H2", "9999-12", [], [1, 2], [[[]]], {}, {"a": 1}, {"default": -1, "range": [2, 1]}, "1:30", "010"]


def _paths(doc, prefix=()):
    """Every (path, value) in a document."""
    yield prefix, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _delete(doc, path):
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


def mutate_doc(doc, rng: random.Random, steps: int, mild: bool = False):
    """`steps` random changes; `mild` ones keep each value's kind (numbers scaled, records dropped or
    duplicated), so the input often stays valid and reaches the solver, the fabric builder, the writers."""
    doc = copy.deepcopy(doc)
    for _ in range(steps):
        paths = [p for p, _ in _paths(doc) if p]
        if not paths:
            break
        path = rng.choice(paths)
        kind = rng.random()
        try:
            value = dict(_paths(doc))[path]
            if mild:
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    factor = rng.choice([0, 0.1, 0.5, 0.9, 1.1, 2, 10, 1000])
                    _set(doc, path, type(value)(value * factor) if isinstance(value, int) else value * factor)
                elif isinstance(value, list) and value:
                    if rng.random() < 0.5:
                        value.pop(rng.randrange(len(value)))
                    else:
                        value.append(copy.deepcopy(rng.choice(value)))
                continue
            if kind < 0.45:
                _set(doc, path, copy.deepcopy(rng.choice(WEIRD)))
            elif kind < 0.65:
                _delete(doc, path)
            elif kind < 0.8:
                parent = doc
                for key in path[:-1]:
                    parent = parent[key]
                if isinstance(parent, list):
                    parent.append(copy.deepcopy(parent[path[-1]]))  # a duplicated record
                else:
                    _set(doc, path[:-1] + (f"{path[-1]}_typo",), 1)  # an unknown field
            else:
                _set(doc, path, copy.deepcopy(rng.choice([v for _, v in _paths(doc)])))  # a value from elsewhere
        except (KeyError, IndexError, TypeError):
            continue
    return doc


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        kind, at = rng.random(), rng.randrange(max(1, len(data)))
        if kind < 0.4 and data:
            data[at] = rng.randrange(256)
        elif kind < 0.6:
            data[at:at] = rng.choice([b"\x00", b"\xff\xfe", b"{", b"[", b": ", b"\n  - ", b"&a ", b"*a", b"!!binary ",
                                      b"\t", b"'", b'"', b"<<: *b\n"])
        elif kind < 0.8:
            del data[at:at + rng.randint(1, 200)]
        else:
            data = data[:at]
    return bytes(data)


def make_case(n: int, rng: random.Random) -> tuple[str, list[str], dict[str, bytes]]:
    """(family, argv with {in} and {out} placeholders, input files by name)."""
    family = rng.choice(["validate", "validate", "optimize", "sweep", "report", "topology", "export", "stacks",
                         "diff", "fabric", "fabric", "import"])
    as_bytes = rng.random() < 0.3

    def text(seed_key: str) -> bytes:
        raw = SEEDS[seed_key].read_bytes()
        if as_bytes:
            return mutate_bytes(raw, rng)
        doc = yaml.safe_load(raw)
        mild = rng.random() < 0.4
        changed = mutate_doc(doc, rng, rng.randint(1, 3 if mild else 4), mild=mild)
        return yaml.safe_dump(changed, allow_unicode=True).encode()

    if family in ("validate", "optimize", "sweep"):
        kind = rng.choice(["scenario", "small-scenario"]) if family == "validate" else "small-scenario"
        files = {"s.yaml": text(kind)}
        if rng.random() < 0.1:  # extends: a base of its own
            files["base.yaml"] = SEEDS["small-scenario"].read_bytes()
            files["s.yaml"] = b"extends: base.yaml\n" + files["s.yaml"]
        argv = {"validate": ["validate", "{in}/s.yaml"],
                "optimize": ["-q", "optimize", "{in}/s.yaml", "-o", "{out}/p.yaml", "--time-limit", "3"],
                "sweep": ["-q", "sweep", "{in}/s.yaml", "--samples", "2", "--executor", "serial", "--time-limit", "2",
                          "-o", "{out}/sweep.json"]}[family]
    elif family in ("report", "topology", "export", "stacks", "diff"):
        seed = rng.choice(["plan", "plan", "big-plan"])
        files = {"p.yaml": text(seed)}
        # a 1 GW site's whole fabric takes minutes to write (legitimately): detail formats on the small plan
        formats = ["summary", "bom"] + (["cabling", "graphml"] if seed == "plan" else [])
        argv = {"report": ["report", "{in}/p.yaml", "-o", "{out}/r"],
                "topology": ["-q", "topology", "{in}/p.yaml", "--phase", rng.choice(["1", "2", "9"]), "--format",
                             rng.choice(formats), "-o", "{out}/t"],
                "export": ["export", "{in}/p.yaml", "--format", "csv", "-o", "{out}/e"],
                "stacks": ["stacks", "{in}/p.yaml", "-o", "{out}/s"],
                "diff": ["diff", "{in}/p.yaml", str(SEEDS["plan"])]}[family]
    elif family == "fabric":
        files = {"f.yaml": text("fabric")}
        argv = ["-q", "fabric", "{in}/f.yaml", "--format", rng.choice(["summary", "bom", "cabling", "json"]),
                "-o", "{out}/f"]
    else:
        files = {"cap.txt": mutate_bytes(ORLIB.read_bytes(), rng) if ORLIB.exists() else b"1 1\n1 1\n1 1 1\n"}
        argv = ["import", "orlib-cflp", "{in}/cap.txt", "-o", "{out}/x.yaml"]
    return family, argv, files


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    """Size and mtime of every file of the case's sandbox outside `skip` (the output folder) and the
    child's own stdout/stderr captures."""
    out = {}
    captures = {root / "work" / "stdout", root / "work" / "stderr"}
    for path in root.rglob("*"):
        if skip in path.parents or path == skip or path in captures:
            continue
        st = path.lstat()
        out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def run_child(argv: list[str], work: Path) -> None:
    """In the forked child: limits, quiet output, the command, its exit code."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    os.chdir(work)
    out = os.open(work / "stdout", os.O_WRONLY | os.O_CREAT, 0o644)
    err = os.open(work / "stderr", os.O_WRONLY | os.O_CREAT, 0o644)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    from planner.cli import main

    code = 70
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's exit 2
        code = stop.code if isinstance(stop.code, int) else 2
    except BaseException:  # noqa: BLE001 - what escapes main is itself a finding
        code = 71
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--show", type=int, default=10, help="failing cases to print (command and stderr)")
    args = parser.parse_args()
    import planner.cli  # noqa: F401 - imported once, before forking
    import planner.optimize.rollout  # noqa: F401
    import planner.report.html  # noqa: F401

    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="gwplan-fuzz-"))
    running: dict[int, tuple] = {}
    codes, families, failures = Counter(), Counter(), []
    started = time.monotonic()
    peak_mib = 0.0

    def collect(pid: int, status: int, usage) -> None:
        nonlocal peak_mib
        n, family, argv, box, begun = running.pop(pid)
        peak_mib = max(peak_mib, usage.ru_maxrss / 1024)
        code = os.waitstatus_to_exitcode(status)
        hung = time.monotonic() - begun > TIME_LIMIT_S
        outside = snapshot(box, box / "out") != box_before[n]
        verdict = "hang" if hung else ("answer" if code in ANSWERS else ("bug-70" if code == 70 else "crash"))
        if outside and verdict == "answer":
            verdict = "wrote-outside"
        codes[verdict] += 1
        families[(family, code)] += 1
        if verdict != "answer":
            stderr = (box / "work" / "stderr").read_text(errors="replace")[-600:]
            failures.append((n, verdict, code, argv, stderr))
            keep = root / "failures" / f"{n:05d}"
            shutil.copytree(box, keep, dirs_exist_ok=True)
            (keep / "argv.txt").write_text(" ".join(argv) + "\n")
        shutil.rmtree(box, ignore_errors=True)

    box_before: dict[int, dict] = {}
    for n in range(args.cases):
        while len(running) >= args.jobs:
            for pid, (_, _, _, _, begun) in list(running.items()):
                if time.monotonic() - begun > TIME_LIMIT_S:
                    os.kill(pid, signal.SIGKILL)
            pid, status, usage = os.wait4(-1, 0)
            collect(pid, status, usage)
        family, argv, files = make_case(n, rng)
        box = root / f"case-{n:05d}"
        (box / "in").mkdir(parents=True)
        (box / "out").mkdir()
        (box / "work").mkdir()
        for name, data in files.items():
            (box / "in" / name).write_bytes(data)
        argv = [a.replace("{in}", str(box / "in")).replace("{out}", str(box / "out")) for a in argv]
        (box / "work" / "stdout").touch()
        (box / "work" / "stderr").touch()
        box_before[n] = snapshot(box, box / "out")
        pid = os.fork()
        if pid == 0:
            run_child(argv, box / "work")
        running[pid] = (n, family, argv, box, time.monotonic())
        if (n + 1) % 500 == 0:
            print(f"{n + 1:,} cases, {time.monotonic() - started:,.0f} s: {dict(codes)}", file=sys.stderr, flush=True)
    while running:
        pid, status, usage = os.wait4(-1, 0)
        collect(pid, status, usage)
    wall = time.monotonic() - started
    print(f"# fuzz campaign: {args.cases:,} cases, seed {args.seed}, {args.jobs} jobs, {wall:,.0f} s, "
          f"peak child {peak_mib:,.0f} MiB")
    print(f"verdicts: {dict(codes)}")
    by_family: dict[str, Counter] = {}
    for (family, code), count in families.items():
        by_family.setdefault(family, Counter())[code] += count
    for family in sorted(by_family):
        print(f"  {family:9} exit codes {dict(sorted(by_family[family].items()))}")
    for n, verdict, code, argv, stderr in failures[:args.show]:
        print(f"\n## case {n} {verdict} (exit {code}): gwplan {' '.join(argv)}\n{stderr.strip()}")
    if failures:
        print(f"\nfailing cases kept under {root / 'failures'}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
