#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A self-test leaves one line in the system log (syslog(3) -> /dev/log).

    syslog.py DOCTOR SELFTEST_HELPER

Runs itself again inside `unshare -m`: a private tmpfs over /dev (with
null, zero, random, urandom bound from the real one) where this script
binds a datagram socket at /dev/log, so nothing reaches the host's log.
Then `--root / --selftest --backend cpu --quick` must send exactly one
line "rdna1-doctor[PID]: selftest: backend cpu, sweep quick: exit 0 (pass)",
and a self-test of a fixture root (--root DIR) must send none.
Exit 0 pass, 1 fail, 77 skip (not root / no unshare, and CI is not true).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import fail, skip  # noqa: E402


def inside(doctor, helper, tmp):
    old = os.path.join(tmp, "olddev")
    os.mkdir(old)
    subprocess.run(["mount", "--bind", "/dev", old], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/dev"], check=True)
    for n in ("null", "zero", "random", "urandom"):
        open("/dev/" + n, "w").close()
        subprocess.run(["mount", "--bind", os.path.join(old, n), "/dev/" + n], check=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("/dev/log")
    s.settimeout(0.5)
    env = dict(os.environ, RDNA1_SELFTEST_HELPER=helper, NO_COLOR="1")
    for k in ("SUDO_UID", "PKEXEC_UID"):
        env.pop(k, None)
    state = os.path.join(tmp, "state")
    os.mkdir(state)

    def run(root):
        p = subprocess.run([doctor, "--root", root, "--state-dir", state, "--selftest", "--backend", "cpu", "--quick",
                            "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
        msgs = []
        while True:
            try:
                msgs.append(s.recv(65536).decode("utf-8", "replace"))
            except socket.timeout:
                break
        return p.returncode, msgs

    code, msgs = run("/")
    if code != 0:
        fail("self-test exit %d" % code)
    if len(msgs) != 1 or "rdna1-doctor[" not in msgs[0] or \
            not msgs[0].endswith("selftest: backend cpu, sweep quick: exit 0 (pass)"):
        fail("syslog lines for --root /: %r" % msgs)
    fixture = os.path.join(tmp, "fixture")
    os.makedirs(os.path.join(fixture, "etc"))
    os.makedirs(os.path.join(fixture, "usr"))
    code, msgs = run(fixture)
    if msgs:
        fail("a self-test of another root logged to this machine's log: %r" % msgs)

    # --rollback of a run this machine never had: refused, and still one line.
    # (It changes nothing: there is no such journal under the private state dir.)
    p = subprocess.run([doctor, "--root", "/", "--state-dir", state, "--rollback", "20000101-000000", "--yes"],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    msgs = []
    while True:
        try:
            msgs.append(s.recv(65536).decode("utf-8", "replace"))
        except socket.timeout:
            break
    want = "rollback: rollback: exit %d (" % p.returncode
    if p.returncode == 0 or len(msgs) != 1 or want not in msgs[0]:
        fail("syslog line for --rollback: exit %d, %r (want one line with %r)" % (p.returncode, msgs, want))
    print("ok syslog")


def main():
    doctor, helper = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if len(sys.argv) > 4 and sys.argv[3] == "--inside":
        inside(doctor, helper, sys.argv[4])
        return
    if os.geteuid() != 0 or not shutil.which("unshare"):
        skip("needs root and unshare(1) for a private /dev/log")
    tmp = tempfile.mkdtemp(prefix="rdna1-syslog-")
    try:
        p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, os.path.abspath(__file__),
                            doctor, helper, "--inside", tmp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=280)
        out = p.stdout.decode("utf-8", "replace")
        print(out, end="")
        if p.returncode != 0:
            sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
