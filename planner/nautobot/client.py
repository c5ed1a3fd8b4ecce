"""Nautobot's REST API over the standard library (urllib): paged reads, bulk writes in batches, and one
clear error per failure (unreachable server, refused token, missing app, a record Nautobot rejects).
The token is sent as a header and never printed or logged."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request

API_VERSION = "2.4"
BATCH = 50  # records per bulk request; batch size barely matters (benchmarks/nautobot.py), parallelism does
WORKERS = 4  # bulk creates in flight at once: 2x the records per second of one at a time on uWSGI


class NautobotError(Exception):
    """A failure talking to Nautobot, in one line."""


class Client:
    def __init__(self, url: str, token: str, timeout_s: float = 300.0, batch: int = BATCH, workers: int = WORKERS):
        self.url = url.rstrip("/")
        self._token = token
        self.timeout_s = timeout_s
        self.batch = batch
        self.workers = workers
        self.requests = 0
        self._count = threading.Lock()

    def __repr__(self) -> str:  # never the token
        return f"Client({self.url!r})"

    def call(self, method: str, path: str, body=None, params: dict | None = None):
        query = ("?" + urllib.parse.urlencode(params, doseq=True)) if params else ""
        request = urllib.request.Request(
            f"{self.url}/api/{path.strip('/')}/{query}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {self._token}", "Content-Type": "application/json",
                     "Accept": f"application/json; version={API_VERSION}"})
        with self._count:
            self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                text = response.read()
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:300].replace("\n", " ")
            if err.code in (401, 403):
                raise NautobotError(f"Nautobot at {self.url} refused the token (HTTP {err.code}); check "
                                    "NAUTOBOT_TOKEN or the stack's gwplan:nautobotToken") from None
            if err.code == 404 and path.startswith("plugins/"):
                raise NautobotError(f"Nautobot at {self.url} has no {path.split('/')[1]} app (HTTP 404 on "
                                    f"/api/{path}); NVLink domains need nautobot-nvdatamodels enabled") from None
            raise NautobotError(f"Nautobot rejected {method} /api/{path}/ (HTTP {err.code}): {detail}") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise NautobotError(f"cannot reach Nautobot at {self.url}: {reason}") from None
        return json.loads(text) if text else None

    def all(self, path: str, **params) -> list[dict]:
        """Every record of an endpoint (paged, 1,000 at a time)."""
        out, offset = [], 0
        while True:
            page = self.call("GET", path, params={**params, "limit": 1000, "offset": offset, "depth": 0})
            out += page["results"]
            offset += len(page["results"])
            if not page.get("next") or not page["results"]:
                return out

    def create(self, path: str, items: list[dict]) -> list[dict]:
        """Bulk creates, `workers` batches in flight at once; the created records in the order given."""
        from concurrent.futures import ThreadPoolExecutor

        chunks = [items[start:start + self.batch] for start in range(0, len(items), self.batch)]
        if len(chunks) <= 1 or self.workers <= 1:
            return [r for chunk in chunks for r in self.call("POST", path, chunk)]
        with ThreadPoolExecutor(self.workers) as pool:
            return [r for made in pool.map(lambda chunk: self.call("POST", path, chunk), chunks) for r in made]

    def update(self, path: str, items: list[dict]) -> None:
        for start in range(0, len(items), self.batch):
            self.call("PATCH", path, items[start:start + self.batch])

    def delete(self, path: str, ids: list[str]) -> None:
        for start in range(0, len(ids), self.batch):
            self.call("DELETE", path, [{"id": i} for i in ids[start:start + self.batch]])

    def check(self) -> None:
        """NautobotError if the server is unreachable, refuses the token or lacks the NVIDIA app.

        Two one-record reads, one of a core endpoint and one of the app's. Not /api/status/: it asks Celery
        which workers are running and waits out that broadcast's 1 s timeout on every call."""
        self.call("GET", "dcim/locations", params={"limit": 1, "depth": 0})
        self.call("GET", "plugins/nvdatamodels/nvlink-domains", params={"limit": 1, "depth": 0})
