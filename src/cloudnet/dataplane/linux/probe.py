"""Send real packets between a lab's namespaces and see what arrives.

All sockets are made by this one process: a thread enters the source or destination
namespace, opens the socket there (it stays bound to that namespace) and comes back; one
selector loop then drives every probe at once.  TCP: a listener in the destination, a
connect from the source.  UDP: an echo server, a datagram with a token.  ICMP: a raw echo
request, answered by the destination's kernel.  Traffic only flows between the lab's own
namespaces, toward the addresses the model gives them.
"""

from __future__ import annotations

import os
import selectors
import socket
import struct
import time
from dataclasses import dataclass

from .kernel import inside

TIMEOUT = 1.5


@dataclass(frozen=True)
class Flow:
    src_ns: str
    dst_ns: str
    dst_ip: str
    proto: str  # tcp, udp, icmp
    dport: int | None
    sport: int | None


def _sock(ns: str, kind: int, proto: int = 0) -> socket.socket:
    with inside(ns):
        return socket.socket(socket.AF_INET, kind, proto)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def _echo_request(ident: int, seq: int) -> bytes:
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"cloudnet-probe"
    return body[:2] + struct.pack("!H", _checksum(body)) + body[4:]


class Prober:
    def __init__(self, timeout: float = TIMEOUT):
        self.timeout = timeout

    def run(self, flows: list[Flow]) -> list[bool]:
        sel = selectors.DefaultSelector()
        opened: list[socket.socket] = []
        results = [False] * len(flows)
        try:
            self._listeners(flows, sel, opened)
            icmp: dict = {}  # source namespace -> (raw socket, {identifier: flow index})
            for i, f in enumerate(flows):
                self._start(i, f, sel, opened, icmp)
            deadline = time.monotonic() + self.timeout
            pending = {i for i, f in enumerate(flows)}
            while pending and time.monotonic() < deadline:
                for key, mask in sel.select(timeout=max(0.0, deadline - time.monotonic())):
                    role, data = key.data
                    sock = key.fileobj
                    if role == "listen":
                        try:
                            conn, _ = sock.accept()
                            conn.close()
                        except OSError:
                            pass
                    elif role == "echo":
                        try:
                            payload, addr = sock.recvfrom(2048)
                            sock.sendto(payload, addr)
                        except OSError:
                            pass
                    elif role == "tcp":
                        sel.unregister(sock)
                        results[data] = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
                        pending.discard(data)
                    elif role == "udp":
                        try:
                            payload = sock.recv(2048)
                            results[data] = payload == f"cloudnet-{data}".encode()
                        except OSError:
                            results[data] = False
                        sel.unregister(sock)
                        pending.discard(data)
                    elif role == "icmp":
                        idx_by_ident = data
                        try:
                            packet = sock.recv(2048)
                        except OSError:
                            continue
                        ihl = (packet[0] & 0x0F) * 4
                        typ, _, _, ident, _ = struct.unpack("!BBHHH", packet[ihl:ihl + 8])
                        i = idx_by_ident.get(ident)
                        if typ == 0 and i is not None and i in pending:
                            results[i] = True
                            pending.discard(i)
        finally:
            sel.close()
            for s in opened:
                s.close()
        return results

    def _listeners(self, flows, sel, opened) -> None:
        for ns, proto, port in sorted({(f.dst_ns, f.proto, f.dport) for f in flows
                                       if f.proto in ("tcp", "udp")}):
            kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
            s = _sock(ns, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("0.0.0.0", port))
            except OSError:  # something in the node already serves this port: it answers
                s.close()
                continue
            if proto == "tcp":
                s.listen(512)
            s.setblocking(False)
            opened.append(s)
            sel.register(s, selectors.EVENT_READ, ("listen" if proto == "tcp" else "echo", None))

    def _start(self, i: int, f: Flow, sel, opened, icmp) -> None:
        if f.proto == "icmp":
            self._icmp(i, f, sel, opened, icmp)
            return
        kind = socket.SOCK_STREAM if f.proto == "tcp" else socket.SOCK_DGRAM
        s = _sock(f.src_ns, kind)
        opened.append(s)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if f.sport:
            s.bind(("0.0.0.0", f.sport))
        s.setblocking(False)
        if f.proto == "tcp":
            try:
                s.connect((f.dst_ip, f.dport))
            except BlockingIOError:
                pass
            except OSError:
                return  # refused at once (unreachable route): stays False
            sel.register(s, selectors.EVENT_WRITE, ("tcp", i))
        else:
            try:
                s.sendto(f"cloudnet-{i}".encode(), (f.dst_ip, f.dport))
            except OSError:
                return
            sel.register(s, selectors.EVENT_READ, ("udp", i))

    def _icmp(self, i: int, f: Flow, sel, opened, icmp) -> None:
        # One raw socket per source namespace; replies are told apart by their identifier.
        if f.src_ns not in icmp:
            s = _sock(f.src_ns, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            s.setblocking(False)
            opened.append(s)
            icmp[f.src_ns] = (s, {})
            sel.register(s, selectors.EVENT_READ, ("icmp", icmp[f.src_ns][1]))
        sock, idents = icmp[f.src_ns]
        ident = (os.getpid() + i) & 0xFFFF
        idents[ident] = i
        try:
            sock.sendto(_echo_request(ident, 1), (f.dst_ip, 0))
        except OSError:
            pass
