"""Run the Pulumi program without the Pulumi CLI, under the SDK's mocks (`pulumi.runtime.set_mocks`).

For tests and benchmarks on machines without the CLI. Two things the CLI would do are done here:
Pulumi.yaml's config defaults are merged with the stack file (`stack_config`), and, because mocks
keep duplicate URNs silently and `MockResourceArgs` carries neither URN nor parent, a recording
monitor keeps each registration's type, URN and parent URN so callers can check them. Each run gets a
root Stack resource of its own stack (the SDK keeps the first one a process made).
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import yaml

REPO = Path(__file__).resolve().parent.parent


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that echo inputs as outputs and keep every resource's arguments."""

    def __init__(self):
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.aliases: dict[str, list] = {}  # urn -> alias specs, filled from the monitor after a run

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):  # noqa: ARG002 - the program makes no calls
        return {}


class RecordingMonitor(pulumi.runtime.mocks.MockMonitor):
    """Also records each registration's URN and parent URN (MockResourceArgs carries neither)."""

    def __init__(self, mocks):
        super().__init__(mocks)
        self.registrations: list[tuple[str, str, str]] = []  # (type, urn, parent urn)
        self.aliases: dict[str, list] = {}  # urn -> the alias specs it was registered with

    def RegisterResource(self, request):  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append((request.type, response.urn, request.parent))
            self.aliases[response.urn] = list(request.aliases)
        return response


def stack_config(stack: str, repo: Path = REPO) -> dict[str, str]:
    """Pulumi.yaml defaults (project namespace) overlaid with the stack file, as the CLI would."""
    project = yaml.safe_load((repo / "Pulumi.yaml").read_text())
    config = {f"{project['name']}:{key}": str(decl["default"])
              for key, decl in project["config"].items() if "default" in decl}
    stack_file = repo / project["stackConfigDir"] / f"Pulumi.{stack}.yaml"
    config.update({k: str(v) for k, v in yaml.safe_load(stack_file.read_text())["config"].items()})
    return config


def run_under_mocks(stack: str, config: dict[str, str]):
    """((registrations, stack outputs), mocks) of one run of the program for a stack."""
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    # set_mocks makes a root Stack resource only when the process has none yet: without this, every run after
    # the first would hang its resources under the first run's stack (another stack's URN as their parent)
    pulumi.runtime.settings.set_root_resource(None)
    pulumi.runtime.set_mocks(mocks, project="gwplan", stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config)
    from stacks.program import main

    result: dict = {}

    @pulumi.runtime.test
    def program():
        result.update(main())

    program()
    mocks.aliases = monitor.aliases
    return (monitor.registrations, result), mocks
