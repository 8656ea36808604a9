"""Serve with several processes on one port (SENBOT_WORKERS): a parent that forks and supervises.

Why: one Python process uses one core. At the end of the school day hundreds of staff submit at
once, and each logged session is ~5 ms of CPU in the bot, so a 2-core machine answers the peak
twice as fast with two processes (docs/benchmarks.md). The model is the usual pre-fork one: the
parent opens the listening sockets, forks the workers, which accept on them, and only supervises.
The first worker is the primary: it alone runs the scheduler and the start-up grants, so jobs are
not planned twice. If a worker dies, the parent stops the others and exits non-zero, and the
service manager (docs/senbot.service) restarts the whole service.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType

ServeOne = Callable[[int, socket.socket], None]


def _listen(host: str, port: int, count: int) -> list[socket.socket]:
    """One listening socket per worker, all on the same port (port 0: the first picks a free one).

    Why one each (SO_REUSEPORT) rather than one shared socket: the kernel then spreads connections
    evenly over the workers. On a shared socket, asyncio accepts a whole burst in the worker that
    wakes first, so at the end-of-day peak one worker had most of the requests and the other idled.
    """
    first = socket.create_server((host, port), backlog=1024, reuse_port=True)
    bound = first.getsockname()[1]
    return [first] + [
        socket.create_server((host, bound), backlog=1024, reuse_port=True) for _ in range(count - 1)
    ]


class Workers:
    """`count` forked processes, each serving its own socket on one port with `serve_one(index, sock)`
    until SIGTERM."""

    def __init__(self, count: int, serve_one: ServeOne) -> None:
        if count < 1:
            raise ValueError("at least one worker")
        self.count = count
        self.serve_one = serve_one
        self.children: dict[int, int] = {}  # pid -> worker index
        self.stopping = False

    def start(self, host: str, port: int) -> int:
        """Listen, fork the workers (worker i accepts on socket i) and return the port (0: a free one)."""
        socks = _listen(host, port, self.count)
        for index in range(self.count):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child's coverage is measured by its own behaviour
                for other, sock in enumerate(socks):
                    if other != index:
                        sock.close()  # a socket nobody accepts on would still be given connections
                self._run_child(index, socks[index])
            self.children[pid] = index
        bound: int = socks[0].getsockname()[1]
        for sock in socks:
            sock.close()  # the parent only supervises
        return bound

    def _run_child(self, index: int, sock: socket.socket) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        code = 0
        try:
            self.serve_one(index, sock)
        except BaseException as exc:  # the child must never return into the parent's code
            code = 0 if isinstance(exc, SystemExit) and not exc.code else 1
            if code:
                print(f"senbot: worker {index} failed: {exc!r}", file=sys.stderr)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def stop(self) -> None:
        """Ask every worker to finish its requests and exit (aiohttp shuts down on SIGTERM)."""
        self.stopping = True
        for pid in self.children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def stop_on_signals(self) -> None:
        def handler(_signum: int, _frame: FrameType | None) -> None:
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def wait(self) -> int:
        """Wait for every worker; 0 when all stopped because they were asked to, else 1."""
        failed = False
        while self.children:
            pid, status = os.waitpid(-1, 0)
            index = self.children.pop(pid, None)
            if index is None:
                continue
            clean = os.waitstatus_to_exitcode(status) in (0, -signal.SIGTERM)
            if not (self.stopping and clean):
                failed = True
                print(f"senbot: worker {index} exited unexpectedly; stopping the others", file=sys.stderr)
                self.stop()
        return 1 if failed else 0
