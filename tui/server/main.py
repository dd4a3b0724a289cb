"""Starting `qrt serve`: bind the socket, print how to reach it, run uvicorn."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import sys
import threading
from pathlib import Path

from tui.local_defaults import API_KEY_ENV, DATA_DIR_LOCK, READY_PREFIX, RENDEZVOUS_FILE, hub_group_project
from tui.server.context import DEFAULT_INSTANCE, DEFAULT_LEGACY_INSTANCE, ServiceSettings

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def run_service(
    *,
    host: str,
    port: int,
    data_dir: Path,
    api_key: str | None,
    instance: str | None,
    legacy_instance: str | None,
    workers: int,
    allow_remote: bool,
    worker_memory_mib: int = 4096,
    max_job_seconds: float = 3600.0,
    log_level: str,
    stop_on_stdin_eof: bool = False,
    rendezvous: bool = False,
    faults: str | None = None,
    rate_limit: float | None = None,
    count_requests: bool = False,
) -> int:
    import uvicorn

    from tui.server.app import create_app
    from tui.server.protocol import DroppableH11Protocol

    if host not in LOOPBACK_HOSTS and not allow_remote:
        print(
            f"qrt serve: refusing to listen on {host}: other machines could reach it. "
            "Pass --allow-remote if that is what you want.",
            file=sys.stderr,
        )
        return 2
    key_from_env = os.environ.pop(API_KEY_ENV, None)
    generated = api_key is None and key_from_env is None
    key = api_key or key_from_env or secrets.token_urlsafe(24)
    settings = ServiceSettings(
        api_key=key,
        data_dir=data_dir,
        instance=instance or DEFAULT_INSTANCE,
        legacy_instance=legacy_instance or DEFAULT_LEGACY_INSTANCE,
        workers=workers,
        worker_memory_mib=worker_memory_mib,
        max_job_seconds=max_job_seconds,
        faults=faults,
        rate_limit=rate_limit,
        count_requests=count_requests,
        loopback_only=host in LOOPBACK_HOSTS,
    )
    try:
        hub_group_project(settings.legacy_instance)
    except ValueError as exc:
        print(f"qrt serve: --legacy-instance: {exc}", file=sys.stderr)
        return 2
    if faults:
        from tui.server.faults import FaultSpecError, parse_spec

        try:
            parse_spec(faults)
        except FaultSpecError as exc:
            print(f"qrt serve: --faults: {exc}", file=sys.stderr)
            return 2
    for notice in make_private(data_dir):
        print(f"qrt serve: {notice}", file=sys.stderr, flush=True)
    holder = hold_data_dir(data_dir)
    if holder is not None:
        print(f"qrt serve: another qrt serve (pid {holder}) is running on {data_dir}; two on one "
              "data dir would run its jobs twice. Stop it, or pass another --data-dir.", file=sys.stderr, flush=True)
        return 3
    from tui.server.store import DATABASE_NAME, StoreDamaged, check_database

    try:
        check_database(data_dir / DATABASE_NAME)
    except StoreDamaged as exc:
        print(f"qrt serve: {exc}", file=sys.stderr, flush=True)
        return 2
    _raise_open_files_limit()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and without it every keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening now, so a client told the URL (announce, during uvicorn's startup) is
        # queued until uvicorn accepts, never refused.
        sock.listen(2048)
    except OSError as exc:
        print(f"qrt serve: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 2
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if family == socket.AF_INET6 else host
    url = f"http://{shown_host}:{bound_port}"

    def announce() -> None:
        print(f"{READY_PREFIX}{url}", flush=True)
        print(f"qrt serve: instance {settings.instance}", flush=True)
        print(f"qrt serve: legacy instance {settings.legacy_instance}", flush=True)
        print(f"qrt serve: data in {data_dir}", flush=True)
        if generated:
            print(f"qrt serve: API key {key}  (generated; shown once)", flush=True)
        if rendezvous:
            write_rendezvous(data_dir, url, key)

    if stop_on_stdin_eof:
        from tui.server.workers import die_with_parent

        die_with_parent(signal.SIGTERM)  # embedded: the app's death stops us, however it dies
        threading.Thread(target=_stop_on_stdin_eof, name="qrt-stdin-watch", daemon=True).start()
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    def withdraw() -> None:
        if rendezvous:
            (data_dir / RENDEZVOUS_FILE).unlink(missing_ok=True)

    app = create_app(settings, on_ready=announce, on_stopping=withdraw)
    config = uvicorn.Config(
        app, http=DroppableH11Protocol, log_level=log_level, access_log=log_level == "debug", lifespan="on",
        timeout_graceful_shutdown=3,
    )
    # uvicorn re-raises a SIGTERM it handled once it has shut down: nothing after this
    # line runs then, so what must happen at the end happens in the lifespan (`withdraw`).
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def hold_data_dir(data_dir: Path) -> int | None:
    """Lock the data dir for this process's life (the kernel drops the lock however it
    dies); if another `qrt serve` holds it, its pid (or 0 if unknown) and no lock."""
    import fcntl

    descriptor = os.open(data_dir / DATA_DIR_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(descriptor, 32).decode(errors="replace").strip()
        os.close(descriptor)
        return int(holder) if holder.isdigit() else 0
    os.ftruncate(descriptor, 0)
    os.write(descriptor, str(os.getpid()).encode())
    os.set_inheritable(descriptor, False)
    _held_locks.append(descriptor)  # open for as long as the process lives
    return None


_held_locks: list[int] = []


def write_rendezvous(data_dir: Path, url: str, key: str) -> None:
    """Where `qrt` commands find this embedded service: 0600 in the private data dir."""
    import json

    partial = data_dir / f"{RENDEZVOUS_FILE}.partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"url": url, "pid": os.getpid(), "api_key": key}, handle)
    partial.replace(data_dir / RENDEZVOUS_FILE)


def _raise_open_files_limit() -> None:
    """Room for the connection cap (tui.server.protocol) and the store, whatever ulimit -n says."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def make_private(data_dir: Path) -> list[str]:
    """The data dir 0700 and everything in it 0600, whatever the umask: other users of a
    login node must not read its circuits, results, logs or signing secret. Returns what
    had to be tightened, to say so."""
    os.umask(0o077)  # what the service creates from now on (SQLite's WAL, tokens) is private
    notices = []
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if data_dir.stat().st_mode & 0o077:
        data_dir.chmod(0o700)
        notices.append(f"{data_dir} was readable by other users; it is now private (0700)")
    opened = [path for path in data_dir.iterdir() if path.is_file() and path.stat().st_mode & 0o077]
    for path in opened:
        path.chmod(0o600)
    if opened:
        notices.append(f"{len(opened)} file(s) in {data_dir} were readable by other users; now 0600")
    return notices


def _stop_on_stdin_eof() -> None:
    """Shut down gracefully once the parent app closes our stdin, or dies in any way."""
    while sys.stdin.buffer.read(4096):
        pass
    os.kill(os.getpid(), signal.SIGTERM)
