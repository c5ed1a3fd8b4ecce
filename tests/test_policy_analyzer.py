"""The policy pack through Pulumi's own analyzer protocol: the pack runs as Pulumi runs it (its own
virtualenv from policies/requirements.txt, `python __main__.py` in policies/, printing its gRPC port),
and resources go to it as the engine sends them (Analyze requests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tests.helpers import REPO
from tests.test_policies import CLUSTER, PHASE

CACHE = Path(os.environ.get("GWPLAN_CACHE", Path.home() / ".cache" / "gwplan"))
VENV = CACHE / "policy-venv"


def policy_python() -> Path:
    """The pack's virtualenv, built once per machine from policies/requirements.txt (as Pulumi would)."""
    python = VENV / "bin" / "python"
    marker = VENV / ".complete"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        str(REPO / "policies" / "requirements.txt")], check=True, capture_output=True)
        marker.write_text("ok\n")
    return python


@pytest.fixture(scope="module")
def analyzer():
    pack = subprocess.Popen([str(policy_python()), "__main__.py"], cwd=REPO / "policies", stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        port = int(pack.stdout.readline().decode().strip())  # the plugin handshake: the port, first line
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=60)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        pack.kill()
        pack.wait()


def analyze(stub, typ: str, props: dict) -> list[str]:
    properties = struct_pb2.Struct()
    properties.update(props)
    request = analyzer_pb2.AnalyzeRequest(type=typ, properties=properties, name="r",
                                          urn=f"urn:pulumi:phase-1::gwplan::{typ}::r")
    return [d.message for d in stub.Analyze(request).diagnostics]


def test_the_pack_reports_violations_over_the_analyzer_protocol(analyzer):
    info = analyzer.GetAnalyzerInfo(analyzer_pb2.google_dot_protobuf_dot_empty__pb2.Empty())
    assert info.name == "gwplan-plan-invariants" and len(info.policies) >= 4
    assert analyze(analyzer, "gwplan:compute:GpuCluster", CLUSTER) == []
    assert analyze(analyzer, "gwplan:rollout:Phase", PHASE) == []
    (gpus,) = analyze(analyzer, "gwplan:compute:GpuCluster", {**CLUSTER, "gpus": 36_001})
    assert "are not 500 racks x 72 GPUs" in gpus
    (funding,) = analyze(analyzer, "gwplan:rollout:Phase", {**PHASE, "cumulative_capex_usd": 56e9})
    assert "exceeds the $55.00B funded" in funding
