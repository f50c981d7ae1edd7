"""A TCP proxy on loopback that forwards, or, paused, holds every byte: a server gone silent.

Paused, it still accepts connections and keeps them open, as a hung PostgreSQL (or a network
that drops packets) does: nothing is refused, nothing is answered. Resumed, it carries on.
"""

from __future__ import annotations

import select
import socket
import threading


class PausableProxy:
    """Forward 127.0.0.1:<port> to 127.0.0.1:<target_port>; `pause()` and `resume()`."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._sockets: set[socket.socket] = set()

    def url_for(self, database_url: str) -> str:
        """The same database URL, through this proxy."""
        return database_url.replace(f":{self.target_port}/", f":{self.port}/", 1)

    def start(self) -> PausableProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def pause(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._closed.set()
        self._flowing.set()
        self._listener.close()
        for sock in list(self._sockets):
            sock.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._flowing.wait()  # paused: the connection is accepted, the server never hears of it
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            client.close()
            return
        pair = {client, upstream}
        self._sockets |= pair
        try:
            self._relay(client, upstream)
        except OSError:
            pass
        finally:
            self._sockets -= pair
            for sock in pair:
                sock.close()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        """Carry bytes both ways until either side closes (a database session is then over)."""
        poller = select.poll()
        ends = {client.fileno(): (client, upstream), upstream.fileno(): (upstream, client)}
        for fd in ends:
            poller.register(fd, select.POLLIN)
        while not self._closed.is_set():
            self._flowing.wait()
            for fd, _ in poller.poll(200):
                source, sink = ends[fd]
                data = source.recv(65536)
                if not data:
                    return
                self._flowing.wait()  # paused while reading: held, not forwarded
                sink.sendall(data)
