"""The inter-campus network: great-circle distances, fiber latency, a connected mesh, disjoint paths."""

from __future__ import annotations

import json
import math

import networkx as nx
import pytest

from planner.cli import main
from planner.plan import dump_plan
from tests.helpers import site, tiny_doc
from topology.campus import Campus, campus_graph, disjoint_paths, fiber_latency_ms, great_circle_km


def test_great_circle_and_fiber_latency():
    one_degree = great_circle_km(Campus("a", 0.0, 0.0), Campus("b", 0.0, 1.0))
    assert one_degree == pytest.approx(2 * math.pi * 6371 / 360)
    assert great_circle_km(Campus("a", 90.0, 0.0), Campus("b", -90.0, 0.0)) == pytest.approx(math.pi * 6371)
    assert fiber_latency_ms(1000.0) == pytest.approx(7.5)  # 1,000 km x 1.5 route factor x 5 us/km


def grid_of_campuses():
    return [Campus(f"c{i}{j}", 30.0 + 2 * i, -100.0 + 2 * j) for i in range(3) for j in range(3)]


def test_mesh_is_connected_with_two_disjoint_paths_everywhere():
    g = campus_graph(grid_of_campuses())
    assert nx.is_connected(g)
    for a in g:
        for b in g:
            if a < b:
                paths = disjoint_paths(g, a, b, k=2)
                assert len(paths) == 2
                first, second = ({frozenset(e) for e in zip(p, p[1:])} for _, p in paths)
                assert not first & second  # edge-disjoint
                assert paths[0][0] <= paths[1][0]
                direct = nx.shortest_path_length(g, a, b, weight="latency_ms")
                assert paths[0][0] == pytest.approx(direct)


def test_dci_command(solve_doc, tmp_path, capsys):
    sites = [site("A", lat=40.0, lon=-100.0, region="r1"), site("B", lat=41.0, lon=-95.0, region="r2"),
             site("C", lat=35.0, lon=-90.0, region="r3")]
    doc = tiny_doc(sites, constraints={"min_sites_per_phase": 3, "diversity_min_it_mw": 10})
    _, out = solve_doc(doc)
    path = tmp_path / "plan.yaml"
    dump_plan(out.plan, path)
    assert main(["topology", str(path), "--dci", "--paths", "3", "--json", "--format", "graphml",
                 "-o", str(tmp_path / "dci")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {c["id"] for c in report["campuses"]} == {"A", "B", "C"} and len(report["pairs"]) == 3
    assert all(len(pair["paths"]) == 2 for pair in report["pairs"])  # a triangle has only 2 disjoint routes
    ab = next(p for p in report["pairs"] if (p["a"], p["b"]) == ("A", "B"))
    km = great_circle_km(Campus("A", 40.0, -100.0), Campus("B", 41.0, -95.0))
    assert ab["paths"][0]["latency_ms"] == pytest.approx(fiber_latency_ms(km), abs=1e-3)
    assert nx.read_graphml(report["files"]["graphml"]).number_of_nodes() == 3
    assert main(["topology", str(path)]) == 2  # neither --phase nor --dci
