#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where a check keeps its hash cache (README "Package integrity", FILES in
the man page).

    cache-dir.py DOCTOR

A --root tree without var/cache: the check runs, creates nothing there and,
with --verbose, prints one note that says so. A tree with var/cache: the
check makes var/cache/rdna1-doctor (0700) and fills pkg-hash.cache. A
var/cache that is a symlink, or (as root) a var another user owns: no cache,
nothing written through or under it.

As root, the running system (--root /) without /var/cache: inside
`unshare -m`, a private tmpfs over /var (and over /dev, as tests/cli/syslog.py
does, so no line reaches the host's log); the check makes /var/cache 0755
root:root, as dpkg would, and /var/cache/rdna1-doctor 0700. A /var/cache that
is a symlink there is not followed either.
Exit 0 pass, 1 fail, 77 skip (the root part: not root / no unshare, and CI is
not true).
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import fail, skip  # noqa: E402

NOTE = "var/cache does not exist: no hash cache this time"


def check(doctor, root, *extra):
    env = dict(os.environ, NO_COLOR="1", LC_ALL="C")
    for k in ("SUDO_UID", "PKEXEC_UID"):
        env.pop(k, None)
    p = subprocess.run([doctor, "--root", root, "--check", "--json", "--system-only"] + list(extra), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
    if p.returncode not in (0, 1, 2, 3):
        fail("check of %s: exit %d: %s" % (root, p.returncode, p.stderr.decode(errors="replace")))
    return p.stderr.decode(errors="replace")


def fixture(tmp, name):
    """A minimal root with a dpkg database that lists one ROCm file (so there is something to hash)."""
    root = os.path.join(tmp, name)
    for d in ("etc", "var/lib/dpkg/info", "opt/rocm/lib"):
        os.makedirs(os.path.join(root, d))
    with open(os.path.join(root, "opt/rocm/lib/librocblas.so.4"), "wb") as f:
        f.write(b"rocblas\n")
    with open(os.path.join(root, "var/lib/dpkg/status"), "w") as f:
        f.write("Package: rocblas\nStatus: install ok installed\nVersion: 4.0.0-1\nArchitecture: amd64\n\n")
    with open(os.path.join(root, "var/lib/dpkg/info/rocblas.list"), "w") as f:
        f.write("/.\n/opt\n/opt/rocm\n/opt/rocm/lib\n/opt/rocm/lib/librocblas.so.4\n")
    with open(os.path.join(root, "var/lib/dpkg/info/rocblas.md5sums"), "w") as f:
        f.write("4d7d4cbb4c1ae9f2b4b7b5b3b4b0d8e5  opt/rocm/lib/librocblas.so.4\n")
    return root


def mode_of(path):
    st = os.lstat(path)
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, stat.S_ISDIR(st.st_mode)


def foreign_roots(doctor, tmp):
    # no var/cache: nothing made, one note with --verbose, none without
    root = fixture(tmp, "nocache")
    err = check(doctor, root, "--verbose")
    if os.path.lexists(os.path.join(root, "var/cache")):
        fail("a --root tree without var/cache got one")
    if err.count(NOTE) != 1 or root + "/var/cache" not in err:
        fail("no single note naming %s/var/cache with --verbose: %r" % (root, err))
    if NOTE in check(doctor, root):
        fail("the note was printed without --verbose")

    # with var/cache: the cache directory and the hash cache
    root = fixture(tmp, "withcache")
    os.mkdir(os.path.join(root, "var/cache"), 0o755)
    err = check(doctor, root, "--verbose")
    d = os.path.join(root, "var/cache/rdna1-doctor")
    mode, uid, _, isdir = mode_of(d)
    if not isdir or mode != 0o700 or uid != os.geteuid():
        fail("%s: mode %o uid %d (want a directory 0700 of uid %d)" % (d, mode, uid, os.geteuid()))
    if not os.path.isfile(os.path.join(d, "pkg-hash.cache")):
        fail("no pkg-hash.cache after a check of a root with var/cache (stderr %r)" % err)
    if "note:" in err:
        fail("a note although the cache works: %r" % err)

    # var/cache a symlink to a directory elsewhere: not followed
    root = fixture(tmp, "symlinked")
    target = os.path.join(tmp, "elsewhere")
    os.mkdir(target)
    os.symlink(target, os.path.join(root, "var/cache"))
    err = check(doctor, root, "--verbose")
    if os.listdir(target):
        fail("the check wrote through a var/cache symlink: %r" % os.listdir(target))
    if "note: no hash cache in %s/var/cache/rdna1-doctor" % root not in err:
        fail("no note for a var/cache symlink: %r" % err)

    if os.geteuid() == 0:
        # root on a tree whose var another user owns: no cache made under it
        root = fixture(tmp, "usersvar")
        os.mkdir(os.path.join(root, "var/cache"))
        os.chown(os.path.join(root, "var"), 65534, 65534)
        check(doctor, root)
        if os.path.lexists(os.path.join(root, "var/cache/rdna1-doctor")):
            fail("root made its cache under a var that uid 65534 owns")


def inside(doctor, tmp):
    """In a private mount namespace: /dev and /var are private tmpfs mounts."""
    old = os.path.join(tmp, "olddev")
    os.mkdir(old)
    subprocess.run(["mount", "--bind", "/dev", old], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/dev"], check=True)
    for n in ("null", "zero", "random", "urandom"):
        open("/dev/" + n, "w").close()
        subprocess.run(["mount", "--bind", os.path.join(old, n), "/dev/" + n], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/var"], check=True)
    os.umask(0o077)  # the modes must not come from the umask
    check(doctor, "/")
    for path, want in (("/var/cache", 0o755), ("/var/cache/rdna1-doctor", 0o700)):
        mode, uid, gid, isdir = mode_of(path)
        if not isdir or mode != want or uid != 0 or gid != 0:
            fail("%s: dir %s mode %o %d:%d (want a directory %o 0:0)" % (path, isdir, mode, uid, gid, want))

    # a /var/cache symlink on the running system is not followed either
    subprocess.run(["umount", "/var"], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/var"], check=True)
    os.mkdir("/var/elsewhere", 0o755)
    os.symlink("/var/elsewhere", "/var/cache")
    check(doctor, "/")
    if os.listdir("/var/elsewhere"):
        fail("the check wrote through a /var/cache symlink: %r" % os.listdir("/var/elsewhere"))
    print("ok running system: /var/cache 0755 root:root made, a symlink not followed")


def main():
    doctor = os.path.abspath(sys.argv[1])
    if len(sys.argv) > 3 and sys.argv[2] == "--inside":
        inside(doctor, sys.argv[3])
        return
    tmp = tempfile.mkdtemp(prefix="rdna1-cache-dir-")
    try:
        foreign_roots(doctor, tmp)
        print("ok --root trees: no var/cache made, a note with --verbose, no symlink followed")
        if os.geteuid() != 0 or not shutil.which("unshare"):
            skip("the running-system part needs root and unshare(1) for a private /var")
        p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, os.path.abspath(__file__),
                            doctor, "--inside", tmp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=280)
        print(p.stdout.decode("utf-8", "replace"), end="")
        if p.returncode != 0:
            sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
