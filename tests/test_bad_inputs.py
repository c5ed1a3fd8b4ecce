"""Hostile input: every file of the bad-input corpus (tests/bad_inputs/) gives exit 2 and names its field.

Each corpus folder holds one valid file (`_base*`, checked to work, so that every other file fails for
the one thing it breaks) and bad files, each with the field path (or file-level message) it must name.
The files that could hang or exhaust memory if mishandled (alias bomb, deep nesting, huge numbers, a
billion-port switch, a graph too big to build) run in a child process with a time limit and a 1 GiB
address-space cap: a hang or a blow-up fails the test instead of the machine.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import main
from tests.helpers import REPO

CORPUS = Path(__file__).resolve().parent / "bad_inputs"

# file -> what the one-line message must contain (a field path, or the file-level complaint)
BAD_SCENARIOS = {
    "malformed-unclosed-bracket.yaml": "line 5, column 1: is not valid YAML",
    "malformed-tab-indent.yaml": "line 4, column 1: is not valid YAML",
    "malformed-bad-indent.yaml": "line 5, column 18: is not valid YAML",
    "top-level-list.yaml": "expected a mapping of scenario sections, got a list",
    "top-level-text.yaml": "expected a mapping of scenario sections, got text",
    "empty.yaml": "expected a mapping of scenario sections, got nothing",
    "comments-only.yaml": "expected a mapping of scenario sections, got nothing",
    "binary.yaml": "is not UTF-8 text",
    "not-utf8.yaml": "is not UTF-8 text",
    "alias-bomb.yaml": "expands to more than",
    "alias-cycle.yaml": "(a cycle)",
    "deep-nesting.yaml": "exceeded maximum nesting depth",
    "deep-mappings.yaml": "more than 100 levels deep",
    "python-tag.yaml": "could not determine a constructor",
    "duplicate-key.yaml": "found the key 'discount_rate' twice",
    "unhashable-key.yaml": "found unhashable key",
    "wrong-type-number.yaml": "economics.discount_rate: expected a number, got text",
    "wrong-type-bool-number.yaml": "sites[0].pue: expected a number, got boolean true",
    "wrong-type-sites-mapping.yaml": "sites: expected a list, got a mapping",
    "wrong-type-site-text.yaml": "sites[0]: expected a mapping of fields, got text 'north'",
    "negative-lead-time.yaml": "sites[1].lead_time_months: expected a number >= 0",
    "zero-power-block.yaml": "sites[0].power_blocks[0].it_mw: expected a number > 0",
    "nan-pue.yaml": "sites[0].pue: expected a finite number",
    "pue-out-of-range.yaml": "sites[0].pue: expected a number <= 2",
    "infinite-funding.yaml": "phases[1].funding_usd: expected a finite number",
    "huge-integer.yaml": "phases[0].it_mw_required: expected a finite number, got a 388-digit number",
    "absurd-megawatts.yaml": "phases[0].it_mw_required: expected a number of at most 1e+06",
    "absurd-dollars.yaml": "sites[1].open_cost_usd: expected a number of at most 1e+15",
    "absurd-lead-time.yaml": "sites[1].lead_time_months: expected a number of at most 1200",
    "latitude-out-of-range.yaml": "sites[0].lat: expected a number <= 90",
    "unknown-site-field.yaml": "sites[0].grid_mw_per_phase: unknown field (did you mean 'grid_mw_by_phase'?)",
    "unknown-section.yaml": "constraint: unknown field (did you mean 'constraints'?)",
    "duplicate-site-id.yaml": "sites[1].id: duplicate id 'north'",
    "unknown-platform.yaml": "phases[1].platform: unknown platform 'rubin-nvl999'",
    "unknown-required-site.yaml": "constraints.required_sites[1]: unknown site 'atlantis'",
    "unknown-serving-site.yaml": "demand_regions[0].serve_cost_usd_per_year.atlantis: unknown site",
    "unknown-demand-phase.yaml": "demand_regions[0].from_phase: unknown phase '7'",
    "unknown-switch.yaml": "switch: unknown switch 'q9999'",
    "date-year-zero.yaml": "phases[0].online_date: expected a date",
    "date-year-9999.yaml": "phases[0].online_date: expected a date",
    "binary-value.yaml": "it holds a !!binary value",
    "set-value.yaml": "it holds a !!set value",
    "integer-5000-digits.yaml": "holds a value that cannot be read (Exceeds the limit (4300 digits)",
    "extends-nul.yaml": "extends: expected a file path",
    "gpus-per-node-not-divisor.yaml": "gpus_per_node: expected a divisor of gpus_per_rack (72), got 5",
    "phase-id-escapes.yaml": "phases[0].id: expected an id of letters, digits, '.', '_' and '-'",
    "site-id-control-character.yaml": "sites[2].id: expected an id of letters, digits",
    "bad-port-template.yaml": "port_names: expected a port-name template using {n}, {cage}, {lane}",
    "phases-out-of-order.yaml": "phases[1].online_date: phases must be in date order",
    "phase-before-platform.yaml": "phases[1].platform: Rubin Ultra NVL576 (Kyber) is available from 2027-07-01",
    "bad-date.yaml": "phases[0].online_date: expected a date",
    "bad-period.yaml": "phases[0].online_date: expected a date",
    "bad-grid-date-key.yaml": "sites[1].grid_mw_by_date.next spring: expected a date as the key",
    "grid-wrong-length.yaml": "sites[0].grid_mw_by_phase: expected 2 values (one per phase), got 3",
    "grid-both-forms.yaml": "sites[0].grid_mw_by_phase: expected exactly one of",
    "start-after-first-phase.yaml": "economics.planning_start_date: expected a date on or before",
    "missing-required.yaml": "economics: is required",
    "share-above-one.yaml": "constraints.max_region_share: expected a number <= 1",
    "extends-missing.yaml": "extends: no-such-base.yaml: no such file",
    "extends-cycle.yaml": "extends: extends-cycle.yaml extends itself",
    "key-with-newline.yaml": "x\\n/tmp/s.yaml: all good: unknown field",  # escaped: no forged line
    "sexagesimal-number.yaml": "sites[1].lead_time_months: expected a number, got text '1:30'",  # not 90
}

BAD_FABRICS = {
    "zero-nodes.yaml": "nodes: expected a whole number >= 1, got 0",
    "negative-planes.yaml": "planes: expected a whole number >= 1, got -2",
    "fractional-rails.yaml": "rails: expected a whole number, got 1.5",
    "nan-oversubscription.yaml": "oversubscription: expected a finite number",
    "unknown-switch.yaml": "switch: unknown switch 'q9999'",
    "unknown-field.yaml": "nodes_per_pod: unknown field (did you mean 'nodes_per_su'?)",
    "leaves-exceed-radix.yaml": "leaves_per_rail: 1 leaves per rail give each 200 downlinks + 200 uplinks",
    "rail-only-across-sus.yaml": "rail_only: a rail-only network is one tier of rail leaves for one SU",
    "beyond-three-tiers.yaml": "nodes: 4000000 nodes need",
    "absurd-radix.yaml": "switch_radix: expected at most 4096 ports",
    "domain-not-whole-nodes.yaml": "nvlink_domain_gpus: expected a whole multiple of gpus_per_node",
    "missing-fields.yaml": "nodes: is required",
    "not-a-mapping.yaml": "expected a mapping of fabric fields, got a list",
    "malformed.yaml": "line 3, column 1: is not valid YAML",
    "binary.yaml": "is not UTF-8 text",
}

BAD_PLANS = {
    "wrong-format.yaml": "format: expected 'gwplan-plan/1', got 'gwplan-plan/99'",
    "truncated.yaml": "phases[0].sites[1].capex_usd: is required",
    "unknown-platform.yaml": "phases[1].platform: platform 'rubin-nvl999' is not in the plan's platforms",
    "unknown-switch.yaml": "platforms[0].switch: switch 'q9999' is not in the plan's switches section",
    "negative-racks.yaml": "phases[0].sites[0].racks_added: expected a whole number >= 0",
    "text-racks.yaml": "phases[0].sites[0].racks_added: expected a whole number, got text",
    "nan-it.yaml": "phases[0].sites[0].it_mw_total: expected a finite number",
    "absurd-racks.yaml": "phases[0].sites[0].racks_added: expected a whole number of at most",
    "no-phases.yaml": "phases: expected at least one phase",
    "duplicate-phase.yaml": "phases[1].id: duplicate id '1'",
    "duplicate-site.yaml": "phases[0].sites[1].site: site 'north' is listed twice in this phase (also sites[0])",
    "site-without-campus.yaml": "phases[0].sites[1].site: site 'south' has no record in the plan's campuses",
    "unknown-field.yaml": "phases[0].sites[0].colour: unknown field",
    "not-a-plan.yaml": "is not a gwplan plan",
    "empty.yaml": "is not a gwplan plan",
    "gzip.yaml": "is not UTF-8 text",
    "over-grid.yaml": "phases[0].sites[0].facility_mw: 160.000 MW of facility power exceeds the 150.000 MW supplied",
    "racks-not-whole.yaml": "phases[0].sites[0].racks_added: expected the whole vr-nvl144 racks of 200 kW",
    "gpus-not-whole-racks.yaml": "phases[0].sites[0].gpus_added: expected 250 racks x 72 GPUs, got 18,001",
    "pue-out-of-range.yaml": "phases[0].sites[0].pue: expected a number <= 2",
    "over-funding.yaml": "phases[0]: $4.79B spent by this phase exceeds the $1.00B funded by then",
}

# Inputs that would hang or eat the machine if a guard were missing: run them in a capped child process.
DANGEROUS = [
    ("validate", "scenarios/alias-bomb.yaml"), ("validate", "scenarios/alias-cycle.yaml"),
    ("validate", "scenarios/deep-nesting.yaml"), ("validate", "scenarios/huge-integer.yaml"),
    ("fabric", "fabrics/absurd-radix.yaml"), ("topology", "plans/absurd-racks.yaml"),
]


def _one_clean_error(capsys, path: Path, expected: str) -> None:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    first = err.strip().splitlines()[0]
    assert first.startswith(str(path) + ":"), first  # names the file ...
    assert expected in err, err  # ... and the field (or what is wrong with the file)


def test_corpus_is_big_enough_and_every_file_has_an_expectation():
    for folder, expected in (("scenarios", BAD_SCENARIOS), ("fabrics", BAD_FABRICS), ("plans", BAD_PLANS)):
        files = {p.name for p in (CORPUS / folder).iterdir() if not p.name.startswith("_")}
        assert files == set(expected), folder
    assert len(BAD_SCENARIOS) + len(BAD_FABRICS) >= 30


def test_the_valid_bases_are_valid(tmp_path, capsys):
    """Each bad file breaks one thing of a working input; the working inputs work end to end."""
    assert main(["-q", "validate", str(CORPUS / "scenarios" / "_base.yaml")]) == 0
    assert main(["-q", "optimize", str(CORPUS / "scenarios" / "_base.yaml"), "-o", str(tmp_path / "p.yaml")]) == 0
    assert main(["-q", "fabric", str(CORPUS / "fabrics" / "_base.yaml"), "--json"]) == 0
    plan = str(CORPUS / "plans" / "_base.plan.yaml")
    assert main(["-q", "topology", plan, "--phase", "2", "--json"]) == 0
    assert main(["-q", "diff", plan, str(tmp_path / "p.yaml"), "--json"]) == 0
    assert main(["-q", "stacks", plan, "-o", str(tmp_path / "stacks")]) == 0
    assert main(["-q", "report", plan, "-o", str(tmp_path / "report")]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("name", sorted(BAD_SCENARIOS))
def test_bad_scenario(name, capsys):
    path = CORPUS / "scenarios" / name
    assert main(["-q", "validate", str(path)]) == 2
    _one_clean_error(capsys, path, BAD_SCENARIOS[name])


@pytest.mark.parametrize("name", ["wrong-type-number.yaml", "alias-bomb.yaml", "unknown-platform.yaml"])
def test_bad_scenario_through_optimize_and_sweep(name, tmp_path, capsys):
    path = CORPUS / "scenarios" / name
    assert main(["-q", "optimize", str(path), "-o", str(tmp_path / "p.yaml")]) == 2
    _one_clean_error(capsys, path, BAD_SCENARIOS[name])
    assert main(["-q", "sweep", str(path), "--samples", "2", "-o", str(tmp_path / "s.yaml")]) == 2
    _one_clean_error(capsys, path, BAD_SCENARIOS[name])
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("name", sorted(BAD_FABRICS))
def test_bad_fabric_spec(name, capsys):
    path = CORPUS / "fabrics" / name
    assert main(["-q", "fabric", str(path)]) == 2
    _one_clean_error(capsys, path, BAD_FABRICS[name])


@pytest.mark.parametrize("name", sorted(BAD_PLANS))
@pytest.mark.parametrize("command", ["topology", "stacks", "report", "diff"])
def test_bad_plan(command, name, tmp_path, capsys):
    path = CORPUS / "plans" / name
    good = str(CORPUS / "plans" / "_base.plan.yaml")
    argv = {"topology": ["topology", str(path), "--phase", "1"], "stacks": ["stacks", str(path), "-o", str(tmp_path)],
            "report": ["report", str(path), "-o", str(tmp_path)], "diff": ["diff", good, str(path)]}[command]
    assert main(["-q", *argv]) == 2
    _one_clean_error(capsys, path, BAD_PLANS[name])
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("command", ["validate", "fabric", "topology", "report"])
def test_a_directory_or_a_missing_file(command, tmp_path, capsys):
    for path, expected in ((tmp_path, "is a directory"), (tmp_path / "missing.yaml", "no such file")):
        extra = (["--phase", "1"] if command == "topology" else ["-o", str(tmp_path / "o")] if command == "report"
                 else [])
        assert main(["-q", command, str(path), *extra]) == 2
        _one_clean_error(capsys, path, expected)


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.parametrize("command, name", DANGEROUS)
def test_dangerous_input_is_refused_quickly_in_bounded_memory(command, name, tmp_path):
    path = CORPUS / name
    argv = [sys.executable, "-m", "planner", "-q", command, str(path)]
    if command == "topology":
        argv += ["--phase", "1", "--format", "graphml", "-o", str(tmp_path)]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=REPO, preexec_fn=_limit_memory)
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(str(path) + ":") and "Traceback" not in run.stderr


def test_a_fabric_graph_too_big_for_memory_is_refused_before_it_is_built(capsys):
    argv = ["-q", "fabric", "--nodes", "3000000", "--gpus-per-node", "4", "--rails", "2", "--planes", "2",
            "--switch-radix", "512", "--port-gbps", "200", "--nodes-per-su", "128", "--format", "graphml"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("command line: nodes: the 12,000,000-GPU fabric graph would hold") and "--compact" in err


@pytest.mark.parametrize("argv", [
    ["optimize", "{s}", "-o", "{s}"],
    ["optimize", "{s}", "-o", "{d}/p.yaml", "--summary", "{s}"],
    ["optimize", "{s}", "-o", "{d}/p.yaml", "--summary", "{d}/p.yaml"],
])
def test_an_output_that_is_an_input_is_refused_before_anything_runs(argv, tmp_path, capsys):
    import shutil

    scenario = tmp_path / "s.yaml"
    shutil.copy(CORPUS / "scenarios" / "_base.yaml", scenario)
    before = scenario.read_bytes()
    args = [a.format(s=scenario, d=tmp_path) for a in argv]
    assert main(["-q", *args]) == 2
    assert "is both the" in capsys.readouterr().err
    assert scenario.read_bytes() == before and not (tmp_path / "p.yaml").exists()


def test_import_refuses_to_overwrite_its_instance(tmp_path, capsys):
    import shutil

    from tests.test_orlib import ORLIB

    instance = tmp_path / "cap41.txt"
    shutil.copy(ORLIB / "cap41.txt", instance)
    before = instance.read_bytes()
    assert main(["import", "orlib-cflp", str(instance), "-o", str(instance)]) == 2
    assert "is both the input and an output" in capsys.readouterr().err and instance.read_bytes() == before


@pytest.mark.parametrize("special", ["fifo", "device"])
def test_special_files_are_refused_not_read(special, tmp_path, capsys):
    """A FIFO would hang the read and /dev/zero never ends it: neither is a regular file."""
    import os

    if special == "fifo":
        path = tmp_path / "scenario.yaml"
        os.mkfifo(path)
    else:
        path = "/dev/zero"
    assert main(["-q", "validate", str(path)]) == 2
    assert "is not a regular file" in capsys.readouterr().err


def test_a_malformed_dask_scheduler_is_named_before_anything_runs(capsys):
    assert main(["-q", "sweep", str(CORPUS / "scenarios" / "_base.yaml"), "--executor", "dask", "--scheduler",
                 "not-an-address"]) == 2
    assert "--scheduler: expected an address such as tcp://" in capsys.readouterr().err


@pytest.mark.parametrize("where, message", [
    ("{d}", "is a directory; expected a file path"),
    ("{d}/afile/p.yaml", "afile is a file, not a directory"),
    ("/proc/p.yaml", "cannot write in /proc"),
])
def test_an_unusable_output_path_is_named_before_the_solve(where, message, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    target = where.format(d=tmp_path)
    assert main(["-q", "optimize", str(CORPUS / "scenarios" / "_base.yaml"), "-o", target]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "internal error" not in err


def test_yaml_reads_numbers_as_yaml_1_2_does():
    """`010` is ten (YAML 1.1: octal eight) and `1:30` is text (YAML 1.1: base-60 ninety), silently otherwise."""
    from planner.files import parse_yaml_text

    assert parse_yaml_text("a: 010\nb: 1:30\nc: 0x1f\nd: 0o17\ne: 1_000\nf: -7") == {
        "a": 10, "b": "1:30", "c": 31, "d": 15, "e": 1000, "f": -7}


def test_a_problem_in_a_base_file_is_reported_under_the_base(tmp_path, capsys):
    base = tmp_path / "base.yaml"
    base.write_text((CORPUS / "scenarios" / "_base.yaml").read_text().replace("pue: 1.15", "pue: low"))
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\nsites:\n  - {id: north, pue: high}\n")
    assert main(["validate", str(child)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert f"{child}: sites[0].pue: expected a number, got text 'high'" in err  # the child's own mistake
    assert f"{base}: sites[1].pue: expected a number, got text 'low'" in err  # the base's, under the base


def test_extends_never_quotes_the_file_it_names(tmp_path, capsys):
    """`extends: .env` is a mistake, but the message must not print the secret in it."""
    (tmp_path / ".env").write_text("NAUTOBOT_TOKEN=0123456789abcdef0123456789abcdef\n")
    child = tmp_path / "s.yaml"
    child.write_text("extends: .env\nname: x\n")
    assert main(["validate", str(child)]) == 2
    err = capsys.readouterr().err
    assert "expected a mapping of scenario sections, got text (" in err and "0123456789abcdef" not in err


@pytest.mark.parametrize("argv, message", [
    (["validate", "{base}", "--set", ".=5"], "expected a field path"),
    (["optimize", "{base}", "--seed", str(2**64), "-o", "{tmp}/p.yaml"], "expected a seed from 0 to 2,147,483,647"),
    (["sweep", "{base}", "--seed", "-1"], "expected a whole number >= 0"),
])
def test_ordinary_mistakes_in_arguments_exit_2_with_one_line(argv, message, tmp_path, capsys):
    base = CORPUS / "scenarios" / "_base.yaml"
    argv = [a.format(base=base, tmp=tmp_path) for a in argv]
    with pytest.raises(SystemExit) as stop:  # argparse refuses an argument with exit 2
        code = main(argv)
        raise SystemExit(code)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_backwards_phase_range_is_refused_not_an_empty_commitment(tmp_path, capsys):
    base = CORPUS / "scenarios" / "_base.yaml"
    plan = tmp_path / "p.yaml"
    assert main(["-q", "optimize", str(base), "-o", str(plan), "--time-limit", "30"]) == 0
    capsys.readouterr()
    assert main(["-q", "optimize", str(base), "--commit", str(plan), "--phases", "2-1",
                 "-o", str(tmp_path / "p2.yaml")]) == 2
    assert "the range runs backwards" in capsys.readouterr().err
    assert not (tmp_path / "p2.yaml").exists()


def test_import_leaves_no_rejected_scenario_behind(tmp_path, capsys):
    """An instance that converts to an invalid scenario (a customer with no demand): exit 2 naming the
    instance, the output neither written nor replaced, no draft left beside it."""
    instance = tmp_path / "zero.txt"
    instance.write_text("2 1\n10 5\n10 5\n0 1 1\n")
    out = tmp_path / "zero.yaml"
    out.write_text("# an earlier import\n")
    assert main(["import", "orlib-cflp", str(instance), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{instance} (imported; {out} not written): demand_regions[0].demand_mw: expected a number > 0" in err
    assert out.read_text() == "# an earlier import\n" and sorted(p.name for p in tmp_path.iterdir()) == [
        "zero.txt", "zero.yaml"]


@pytest.mark.parametrize("layout", ["block", "flow"])
def test_a_file_of_millions_of_items_is_refused_in_seconds_within_1_gib(layout, tmp_path):
    """30 MB holding 7.5 or 15 million list items: it took 56-125 s and 2.8-5.6 GB to build before it was
    refused; the parser's events are now counted first. Run under a 1 GiB address-space cap."""
    import time

    path = tmp_path / "big.yaml"
    items = "- 1\n" * 7_500_000 if layout == "block" else "[" + "1," * 15_000_000 + "1]\n"
    path.write_text("name: x\nsites:\n" + items if layout == "block" else "name: x\nsites: " + items)
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "planner", "validate", str(path)], capture_output=True, text=True,
                         timeout=120, cwd=REPO, preexec_fn=_limit_memory)
    assert run.returncode == 2 and "holds more than 2,000,000 values" in run.stderr, run.stderr
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("command", ["report", "topology"])
def test_a_plan_whose_switch_cannot_carry_its_fabric_is_named_not_a_bug(command, tmp_path, capsys):
    """Found by the fuzz campaign: a plan's switch cut to 14 ports (its platform needs more) stopped report
    with exit 70; both commands that size fabrics now name the plan and the reason."""
    plan = tmp_path / "p.yaml"
    plan.write_text((CORPUS / "plans" / "_base.plan.yaml").read_text().replace("ports: 144", "ports: 14"))
    argv = {"report": ["report", str(plan), "-o", str(tmp_path / "r")],
            "topology": ["topology", str(plan), "--phase", "2"]}[command]
    assert main(["-q", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{plan}: ") and "radix 14" in err and "Traceback" not in err
    assert not (tmp_path / "r" / "index.html").exists()
