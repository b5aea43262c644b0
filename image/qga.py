#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Talks to the QEMU guest agent of a VM (the boot test's way into the appliance, as a
hypervisor's administrator would use it): read a file, run a command, copy a file in.

  qga.py SOCKET ping [TIMEOUT_S]       wait until the agent answers
  qga.py SOCKET read PATH              print a guest file
  qga.py SOCKET exec CMD [ARG...]      run a command; print its output, exit with its status
                                       (gives up after QGA_EXEC_TIMEOUT seconds, default 300)
  qga.py SOCKET write LOCAL REMOTE     copy a local file into the guest
"""
import base64
import json
import os
import random
import socket
import sys
import time


class Agent:
    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        # guest-sync discards anything a previous client left half-read.
        token = random.randint(1, 2**31)
        self.sock.sendall(b"\xff")
        self.send({"execute": "guest-sync-delimited", "arguments": {"id": token}})
        while True:
            reply = self.recv(skip_delimiter=True)
            if reply.get("return") == token:
                break

    def send(self, msg):
        self.sock.sendall(json.dumps(msg).encode() + b"\n")

    def recv(self, skip_delimiter=False):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("guest agent closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        if skip_delimiter:
            line = line.split(b"\xff")[-1]
        if not line.strip():
            return {}
        return json.loads(line)

    def call(self, command, **args):
        self.send({"execute": command, "arguments": args} if args else {"execute": command})
        reply = self.recv()
        if "error" in reply:
            raise RuntimeError(f"{command}: {reply['error'].get('desc', reply['error'])}")
        return reply.get("return")

    def read(self, path):
        handle = self.call("guest-file-open", path=path, mode="r")
        data = b""
        try:
            while True:
                r = self.call("guest-file-read", handle=handle, count=65536)
                data += base64.b64decode(r["buf-b64"])
                if r.get("eof") or not r["count"]:
                    break
        finally:
            self.call("guest-file-close", handle=handle)
        return data

    def write(self, data, path):
        handle = self.call("guest-file-open", path=path, mode="w")
        try:
            for i in range(0, len(data), 49152):
                self.call("guest-file-write", handle=handle,
                          **{"buf-b64": base64.b64encode(data[i:i + 49152]).decode()})
        finally:
            self.call("guest-file-close", handle=handle)

    def exec(self, argv, timeout=300):
        pid = self.call("guest-exec", path=argv[0], arg=argv[1:], **{"capture-output": True})["pid"]
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = self.call("guest-exec-status", pid=pid)
            if st.get("exited"):
                out = base64.b64decode(st.get("out-data", "")) + base64.b64decode(st.get("err-data", ""))
                return st.get("exitcode", 1), out
            time.sleep(0.2)
        raise TimeoutError(" ".join(argv))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd == "ping":
        deadline = time.time() + (float(args[0]) if args else 60)
        while True:
            try:
                Agent(path, timeout=5).call("guest-ping")
                return 0
            except (OSError, ConnectionError, ValueError, RuntimeError):
                if time.time() > deadline:
                    return 1
                time.sleep(1)
    agent = Agent(path)
    if cmd == "read":
        sys.stdout.buffer.write(agent.read(args[0]))
        return 0
    if cmd == "write":
        with open(args[0], "rb") as f:
            agent.write(f.read(), args[1])
        return 0
    if cmd == "exec":
        code, out = agent.exec(args, timeout=float(os.environ.get("QGA_EXEC_TIMEOUT", 300)))
        sys.stdout.buffer.write(out)
        return code
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
