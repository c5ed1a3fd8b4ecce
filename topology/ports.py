"""Device models and port names: the names a switch's ports and a node's NIC ports carry in every export
(cabling schedule, NetBox bundle, DOT for NVIDIA Air, UFM's P2P sheet), so that they all agree.

A switch's port names follow a template of its model: `{n}` is the port number from 1, `{cage}` / `{lane}`
the twin-port cage and the port within it from 1 (`{cage0}` / `{lane0}` from 0). The NetBox
devicetype-library writes QM9700 ports `P0.0 ... P31.1`, Quantum-X800 ports `sw1p1 ... sw72p2` and
Spectrum-4 ports `swp1 ... swp64`; the catalog gives each switch its template. A node's NIC port for rail
r of plane p is number i = p x rails + r: `mlx5_<i>` on InfiniBand (UFM's default HCA mapping: P2P port
i + 1 is mlx5_<i>) and `eth<i + 1>` on Ethernet (NVIDIA Air's host convention; eth0 is management).
"""

from __future__ import annotations

from dataclasses import dataclass

# NetBox interface types (values of dcim's InterfaceTypeChoices) by protocol and port speed in Gb/s.
INTERFACE_TYPES = {
    ("infiniband", 400): "infiniband-ndr", ("infiniband", 800): "infiniband-xdr",
    ("ethernet", 400): "400gbase-x-osfp", ("ethernet", 800): "800gbase-x-osfp",
}


def interface_type(protocol: str, gbps: float) -> str:
    """The NetBox interface type of a port of this protocol and speed (`other` when NetBox has none)."""
    return INTERFACE_TYPES.get((protocol, int(gbps)), "other")


@dataclass(frozen=True)
class DeviceModel:
    """A switch model as exports need it (built from the catalog's switch entry by the planner)."""

    manufacturer: str
    model: str
    ports: int
    port_gbps: float
    protocol: str = "ethernet"  # infiniband | ethernet
    u_height: int = 1
    port_names: str = ""  # template; "" = swp{n} on Ethernet, p{n} on InfiniBand
    interface_type: str = ""  # NetBox interface type; "" = from protocol and speed
    ufm_port_names: str = ""  # UFM P2P port template (InfiniBand); "" = the port names
    optics: str = "pluggable"  # pluggable | cpo

    @property
    def slug(self) -> str:
        return slugify(f"{self.manufacturer}-{self.model}")

    def port_name(self, n: int) -> str:
        """The name of port n (from 1)."""
        template = self.port_names or ("swp{n}" if self.protocol == "ethernet" else "p{n}")
        return expand(template, n)

    def ufm_port(self, n: int) -> str:
        return expand(self.ufm_port_names, n) if self.ufm_port_names else self.port_name(n)

    @property
    def port_type(self) -> str:
        return self.interface_type or interface_type(self.protocol, self.port_gbps)


def expand(template: str, n: int) -> str:
    cage0, lane0 = divmod(n - 1, 2)
    return template.format(n=n, cage=cage0 + 1, lane=lane0 + 1, cage0=cage0, lane0=lane0)


def generic_switch(ports: int, port_gbps: float) -> DeviceModel:
    """A switch known only by its radix and speed (a spec without a catalog switch)."""
    return DeviceModel(manufacturer="Generic", model=f"{ports}-port {port_gbps:g}G switch", ports=ports,
                       port_gbps=port_gbps)


def nic_name(protocol: str, plane: int, rail: int, rails: int) -> str:
    """A node's NIC port for one rail of one plane."""
    i = plane * rails + rail
    return f"mlx5_{i}" if protocol == "infiniband" else f"eth{i + 1}"


def slugify(text: str) -> str:
    """NetBox slugs: lower case letters, digits, hyphens and underscores."""
    out = "".join(c if c.isalnum() or c in "-_" else "-" for c in text.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")
