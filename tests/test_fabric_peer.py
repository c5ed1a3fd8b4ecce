"""gwplan's fabric figures against a peer library (ngraph 0.24.1) on the same full-detail fabrics: the
bisection and the bisection left after one failure of each kind must be equal."""

from __future__ import annotations

import pytest

from benchmarks.fabric_peer import run_gwplan, run_ngraph
from topology.spec import FabricSpec


@pytest.mark.parametrize("spec", [
    FabricSpec(nodes=64, gpus_per_node=8, rails=8, planes=1, port_gbps=400, switch_radix=64, nodes_per_su=64),
    FabricSpec(nodes=300, gpus_per_node=4, rails=4, planes=2, port_gbps=800, switch_radix=64, nodes_per_su=32,
               nvlink_domain_gpus=72),
    FabricSpec(nodes=700, gpus_per_node=1, rails=1, planes=1, port_gbps=400, switch_radix=16, nodes_per_su=8),
], ids=["b300-su", "twin-plane-partial", "three-tier"])
def test_bisection_and_failures_equal_ngraphs(spec):
    mine = run_gwplan(spec)
    elements = [e for e in mine["figures"] if e != "bisection"]
    assert len(elements) >= 3
    peer = run_ngraph(spec, elements)
    assert mine["figures"] == pytest.approx(peer["figures"], rel=1e-9)
