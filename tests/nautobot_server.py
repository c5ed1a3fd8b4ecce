"""A throwaway Nautobot for the tests (and for trying `gwplan sync` by hand): PostgreSQL and Redis from the
Debian packages, Nautobot 2.4 LTS with NVIDIA's nautobot-nvdatamodels app in its own virtualenv (its pins
never meet gwplan's), served by Nautobot's production server (uWSGI, `nautobot-server start`, as deployed),
all on 127.0.0.1 on free ports, torn down afterwards.

    python -m tests.nautobot_server            # start one, print its URL and token, stop on Enter

One-time costs, cached outside the clone in ~/.cache/gwplan (GWPLAN_CACHE overrides): the virtualenv
(~1 min of pip) and the migrated database as a dump keyed by Nautobot's version (the migrations take
~6-8 minutes on 2 cores; restoring the dump takes seconds). PostgreSQL refuses to run as root, so its
cluster runs as the `postgres` user when started by root.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

NAUTOBOT = "2.4.44"
NVDATAMODELS = "0.17.3"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
CACHE = Path(os.environ.get("GWPLAN_CACHE", Path.home() / ".cache" / "gwplan"))
VENV = CACHE / f"nautobot-{NAUTOBOT}-venv"
DUMP = CACHE / f"nautobot-{NAUTOBOT}-nvdatamodels-{NVDATAMODELS}.sql"
PACKAGES = ("postgresql", "redis-server")

CONFIG = """\
from nautobot.core.settings import *  # noqa: F403
from nautobot.core.settings_funcs import parse_redis_connection

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECRET_KEY = {secret!r}
DEBUG = False
DATABASES = {{"default": {{"NAME": "nautobot", "USER": "nautobot", "PASSWORD": "nautobot", "HOST": "127.0.0.1",
                          "PORT": {pg_port}, "ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 300}}}}
CACHES = {{"default": {{"BACKEND": "django_redis.cache.RedisCache",
                       "LOCATION": "redis://127.0.0.1:{redis_port}/0",
                       "OPTIONS": {{"CLIENT_CLASS": "django_redis.client.DefaultClient"}}}}}}
CELERY_BROKER_URL = "redis://127.0.0.1:{redis_port}/1"
PLUGINS = ["nautobot_nvdatamodels"]
MEDIA_ROOT = {media!r}
STATIC_ROOT = {static!r}
JOBS_ROOT = {jobs!r}
"""
JOBS = Path(__file__).resolve().parent.parent / "nautobot_jobs"  # gwplan's Nautobot Jobs, served from the clone


@dataclass
class Server:
    url: str
    token: str
    root: Path
    processes: list
    python: Path | None = None
    jobs_enabled: bool = False

    def without_app(self) -> str:
        """A second web process on the same database whose configuration does not enable NVIDIA's app
        (what a server without nautobot-nvdatamodels answers); returns its URL. Stopped with the server."""
        config = self.root / "nautobot_config.py"
        bare = self.root / "nautobot_config_bare.py"
        bare.write_text(config.read_text().replace('PLUGINS = ["nautobot_nvdatamodels"]', "PLUGINS = []"))
        return self.development_server(bare)

    def development_server(self, config: Path | None = None) -> str:
        """Django's development server (`nautobot-server runserver`: a thread and a database connection per
        request) on the same database, with this configuration file (default: the server's own); returns its
        URL. Stopped with the server."""
        config = config or self.root / "nautobot_config.py"
        port = free_port()
        env = {**os.environ, "NAUTOBOT_CONFIG": str(config), "NAUTOBOT_ROOT": str(self.root)}
        log_file = open(self.root / f"{config.stem}.log", "w")
        web = subprocess.Popen([str(self.python), "-m", "nautobot.core.cli", "runserver", f"127.0.0.1:{port}",
                                "--noreload", "--insecure"], env=env, stdout=log_file, stderr=subprocess.STDOUT)
        self.processes.append(web)
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, self.token, web, 300)
        return url

    def manage(self, *args: str, timeout_s: float = 1800) -> subprocess.CompletedProcess:
        """`nautobot-server ARGS` against this server's database (output captured, not checked)."""
        env = {**os.environ, "NAUTOBOT_CONFIG": str(self.root / "nautobot_config.py"), "NAUTOBOT_ROOT": str(self.root)}
        return subprocess.run([str(self.python), "-m", "nautobot.core.cli", *args], env=env, capture_output=True,
                              text=True, timeout=timeout_s)

    def enable_jobs(self) -> None:
        """Register the Jobs of JOBS_ROOT (what `nautobot-server post_upgrade` does on an install; the restored
        dump predates them) and enable them, as an administrator does once (once per server)."""
        if self.jobs_enabled:
            return
        done = self.manage("shell", "--command",
                           "from django.apps import apps\n"
                           "from nautobot.extras.signals import refresh_job_models\n"
                           "from nautobot.extras.models import Job\n"
                           "refresh_job_models(None, apps=apps)\n"
                           "Job.objects.filter(module_name__startswith='gwplan_').update(enabled=True)\n")
        if done.returncode:
            raise RuntimeError(f"registering the Jobs failed:\n{done.stderr[-2000:]}")
        self.jobs_enabled = True

    def run_job(self, class_path: str, data: dict) -> subprocess.CompletedProcess:
        """`nautobot-server runjob --local` as the test user (the way the README runs gwplan's Jobs)."""
        return self.manage("runjob", "--local", "--username", "gwplan", class_path, "--data", json.dumps(data))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[nautobot] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def one_time_setup():
    """Held while the machine-wide setup is checked or made (packages, virtualenv, migrated dump): two test
    processes starting servers at once on a fresh machine would otherwise run apt-get side by side (the
    second fails on dpkg's lock, exit 100) and write the same virtualenv and dump. The second one waits here
    and then finds everything made."""
    import fcntl

    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "setup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_system_packages() -> None:
    """PostgreSQL and Redis from the Debian packages (apt-get works as root here); the package lists are
    refreshed once if the first attempt fails (a fresh machine may have none)."""
    if (PG_BIN / "postgres").exists() and shutil.which("redis-server"):
        return
    log("installing " + " ".join(PACKAGES) + " with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", *PACKAGES]
    if subprocess.run(install, stdout=subprocess.DEVNULL, env=env).returncode:
        log("apt-get install failed; refreshing the package lists and trying once more")
        subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL, env=env)
        subprocess.run(install, check=True, stdout=subprocess.DEVNULL, env=env)


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    marker = VENV / ".complete"
    if marker.exists():
        return python
    log(f"creating {VENV} (Nautobot {NAUTOBOT}, nautobot-nvdatamodels {NVDATAMODELS}; once per machine)")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    run = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                          f"nautobot=={NAUTOBOT}", f"nautobot-nvdatamodels=={NVDATAMODELS}"],
                         capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"pip could not install Nautobot into {VENV}:\n{run.stderr[-2000:]}")
    marker.write_text("ok\n")
    return python


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, **kwargs)


def start(timeout_s: float = 1200.0) -> Server:
    with one_time_setup():
        ensure_system_packages()
        python = ensure_venv()
    root = Path(tempfile.mkdtemp(prefix="gwplan-nautobot-"))
    os.chmod(root, 0o755)
    processes: list = []
    try:
        pg_port, redis_port, web_port = free_port(), free_port(), free_port()
        data = root / "pg"
        data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                     stdout=subprocess.DEVNULL)
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w", "-o",
                      f"-p {pg_port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                     stdout=subprocess.DEVNULL)
        processes.append(("postgres", data))
        psql = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "-q", "-v",
                "ON_ERROR_STOP=1"]
        subprocess.run([*psql, "-c", "CREATE USER nautobot PASSWORD 'nautobot' SUPERUSER",
                        "-c", "CREATE DATABASE nautobot OWNER nautobot"], check=True)
        processes.append(subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                           "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL))
        config = root / "nautobot_config.py"
        config.write_text(CONFIG.format(secret=secrets.token_hex(32), pg_port=pg_port, redis_port=redis_port,
                                        media=str(root / "media"), static=str(root / "static"), jobs=str(JOBS)))
        env = {**os.environ, "NAUTOBOT_CONFIG": str(config), "NAUTOBOT_ROOT": str(root)}
        server = [str(python), "-m", "nautobot.core.cli"]
        db = [*psql, "-d", "nautobot"]
        with one_time_setup():  # the first server on a machine migrates and dumps; the others wait, then restore
            if DUMP.exists():
                log(f"restoring the migrated database from {DUMP}")
                subprocess.run([*db, "-f", str(DUMP)], check=True, stdout=subprocess.DEVNULL)
            else:
                log(f"migrating a fresh database (Nautobot {NAUTOBOT}; ~6-8 minutes, once per machine)")
                subprocess.run([*server, "migrate", "--no-input"], check=True, env=env, stdout=subprocess.DEVNULL)
                CACHE.mkdir(parents=True, exist_ok=True)
                with open(DUMP.with_suffix(".tmp"), "w") as out:
                    subprocess.run([str(PG_BIN / "pg_dump"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres",
                                    "--no-owner", "nautobot"], check=True, stdout=out)
                DUMP.with_suffix(".tmp").replace(DUMP)
        token = secrets.token_hex(20)
        subprocess.run([*server, "shell", "--command",
                        "from nautobot.users.models import User, Token\n"
                        "u = User.objects.create_superuser('gwplan', 'gwplan@example.com', 'gwplan')\n"
                        f"Token.objects.create(user=u, key='{token}')\n"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        # uWSGI, 2 processes x 2 threads: each keeps its database connection (the development server opens one
        # per request): ~25-40 ms less a request here, the Nautobot tests 300 s against ~340 s (docs/PERFORMANCE.md)
        web = subprocess.Popen([*server, "start", f"--http=127.0.0.1:{web_port}", "--processes=2", "--threads=2",
                                "--master", "--enable-threads", "--die-on-term"],
                               env=env, stdout=open(root / "web.log", "w"), stderr=subprocess.STDOUT)
        processes.append(web)
        url = f"http://127.0.0.1:{web_port}"
        wait_until_up(url, token, web, timeout_s)
        return Server(url=url, token=token, root=root, processes=processes, python=python)
    except BaseException:
        stop(Server("", "", root, processes))
        raise


def wait_until_up(url: str, token: str, web: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise RuntimeError(f"Nautobot exited with {web.returncode}")
        with contextlib.suppress(OSError):
            request = urllib.request.Request(f"{url}/api/status/", headers={"Authorization": f"Token {token}"})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    json.load(response)
                    return
        time.sleep(0.5)
    raise TimeoutError(f"Nautobot at {url} did not answer within {timeout_s:.0f} s")


def stop(server: Server) -> None:
    for p in reversed(server.processes):
        if isinstance(p, tuple):  # the PostgreSQL cluster
            with contextlib.suppress(subprocess.CalledProcessError):
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(p[1]), "-m", "immediate", "-w", "stop"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            p.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(10)
            if p.poll() is None:
                p.kill()
    shutil.rmtree(server.root, ignore_errors=True)


if __name__ == "__main__":
    s = start()
    print(f"Nautobot {NAUTOBOT} at {s.url}\ntoken: {s.token}\n(Enter stops it)")
    try:
        input()
    finally:
        stop(s)
