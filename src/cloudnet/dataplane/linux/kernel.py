"""Thin access to the kernel: namespaces, batched `ip`, netlink in a namespace, libnftables.

A thread enters a namespace with setns(2) (the attribute is per thread), opens its netlink and
nftables sockets there, and comes back: one process drives every namespace without a
subprocess per object.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL("libc.so.6", use_errno=True)


class KernelError(RuntimeError):
    pass


@contextmanager
def inside(ns: str):
    """Run the calling thread inside namespace `ns` for the duration of the block."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        fd = os.open(NETNS_DIR / ns, os.O_RDONLY)
    except FileNotFoundError:
        os.close(home)
        raise KernelError(f"namespace {ns} does not exist") from None
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise KernelError(f"setns {ns}: {os.strerror(ctypes.get_errno())}")
        yield
    finally:
        os.close(fd)
        _libc.setns(home, CLONE_NEWNET)
        os.close(home)


def namespaces(prefix: str) -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))


def ip_batch(lines: list[str], force: bool = False) -> None:
    """Many `ip` commands through one process (`ip -batch`)."""
    if not lines:
        return
    args = ["ip", "-force", "-batch", "-"] if force else ["ip", "-batch", "-"]
    r = subprocess.run(args, input="\n".join(lines) + "\n", capture_output=True, text=True)
    if r.returncode != 0 and not force:
        raise KernelError(f"ip -batch failed: {r.stderr.strip()[:2000]}")


def write_sysctl(key: str, value: str) -> None:
    """Inside a namespace (see `inside`): /proc/sys/net follows the opening thread's netns."""
    with open(f"/proc/sys/{key.replace('.', '/')}", "w") as f:
        f.write(value)


class Nft:
    """libnftables through ctypes: one transaction per call, no `nft` process."""

    _lib = None

    def __init__(self):
        if Nft._lib is None:
            lib = ctypes.CDLL("libnftables.so.1")
            lib.nft_ctx_new.restype = ctypes.c_void_p
            lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
            for fn in ("nft_ctx_buffer_output", "nft_ctx_buffer_error", "nft_ctx_free"):
                getattr(lib, fn).argtypes = [ctypes.c_void_p]
            for fn in ("nft_ctx_get_output_buffer", "nft_ctx_get_error_buffer"):
                getattr(lib, fn).argtypes = [ctypes.c_void_p]
                getattr(lib, fn).restype = ctypes.c_char_p
            lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            lib.nft_ctx_output_set_flags.argtypes = [ctypes.c_void_p, ctypes.c_uint]
            Nft._lib = lib
        self.lib = Nft._lib

    def run(self, text: str, as_json: bool = False) -> str:
        """Run nft commands in the current thread's namespace; raise on error."""
        lib = self.lib
        ctx = lib.nft_ctx_new(0)
        try:
            lib.nft_ctx_buffer_output(ctx)
            lib.nft_ctx_buffer_error(ctx)
            if as_json:
                lib.nft_ctx_output_set_flags(ctx, 1 << 4)  # NFT_CTX_OUTPUT_JSON
            rc = lib.nft_run_cmd_from_buffer(ctx, text.encode())
            if rc != 0:
                raise KernelError((lib.nft_ctx_get_error_buffer(ctx) or b"").decode()[:2000])
            return (lib.nft_ctx_get_output_buffer(ctx) or b"").decode()
        finally:
            lib.nft_ctx_free(ctx)

    def comments(self, table: str) -> list[str] | None:
        """Comments of every rule in `table inet <table>`, or None if the table is missing."""
        try:
            out = self.run(f"list table inet {table}", as_json=True)
        except KernelError:
            return None
        items = json.loads(out).get("nftables", [])
        return [i["rule"].get("comment", "") for i in items if "rule" in i]
