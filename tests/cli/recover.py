#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The recovery engine, end to end, with the real binary on fixture roots.

    recover.py --list
    recover.py --binary B [--case NAME]
    recover.py --check-registered NAME...

--list prints the case names, one a line; --case runs that one case (each
is its own meson test, recover-NAME, written out in tests/meson.build);
without --case every case runs. --check-registered (the lint suite) fails
unless the names given are exactly the cases, in order.

Each case works on a copy of a generated fixture root (tests/gen-root.py,
tests/scenarios/recover.ini: the seed machine with amdgpu-dkms's .deb in
/var/cache/apt/archives) with --root and --state-dir under a temp dir;
nothing outside it is written. Cases that need mounts (read-only root,
ENOSPC on a small tmpfs, an immutable file on ext4) run in `unshare -m`.

Exit 0 pass, 1 fail, 77 skip (prerequisite missing and CI is not true).
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import SRC, skip, gen_root  # noqa: E402

KFD = "/usr/src/amdgpu-6.16.6-2238411.24.04/amd/amdkfd/kfd_crat.c"
PKG_VERSION = "1:6.16.6.60204-2238411.24.04"
DEB = "/var/cache/apt/archives/amdgpu-dkms_1%3a6.16.6.60204-2238411.24.04_all.deb"
STATE_NAMES = ("var/lib/rdna1-doctor", "home/alice/.local/share/rdna1-doctor")

failures = []
BASE = [None]  # the generated root every case copies


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def host(root, path):
    return os.path.join(root, path.lstrip("/"))


def snapshot(root, exclude=STATE_NAMES):
    """Everything that matters of a tree: type, content, mode, owner, mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if os.path.normpath(os.path.join(rel, d)) not in exclude]
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            key = os.path.normpath(os.path.join(rel, name))
            if os.path.islink(p):
                out[key] = ("link", os.readlink(p))
            elif os.path.isfile(p):
                out[key] = ("file", md5(p), st.st_mode & 0o7777, st.st_uid, st.st_gid, st.st_mtime_ns)
            else:
                out[key] = ("other", st.st_mode, st.st_rdev)
    return out


def diff_snap(a, b, limit=8):
    lines = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            lines.append("  %s: %s -> %s" % (k, a.get(k), b.get(k)))
    return "\n".join(lines[:limit]) + ("\n  ..." if len(lines) > limit else "")


class Env:
    def __init__(self, binary, tmp):
        self.binary = binary
        self.tmp = tmp
        self.base = os.path.join(tmp, "base")
        BASE[0] = self.base
        self.n = 0

    def generate(self):
        gen_root("recover", self.base)
        self.add_userspace_damage(self.base)

    @staticmethod
    def add_userspace_damage(root):
        """What the other seeds left: an override, a preload, an unowned file, a home override."""
        def put(path, text, mode=0o644, uid=0, gid=0):
            p = host(root, path)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(text)
            os.chown(p, uid, gid)
            os.chmod(p, mode)
            os.utime(p, ns=(1600000000_000000000, 1600000000_123456789))
        put("/etc/environment", 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
            "HSA_OVERRIDE_GFX_VERSION=10.3.0\nMIOPEN_FIND_ENFORCE=3\n")
        put("/etc/ld.so.preload", "/usr/local/lib/libfakegfx.so\n")
        put("/opt/rocm/lib/rocblas/library/TensileLibrary_gfx1030.dat", "untarred\n" * 100, mode=0o640)
        put("/home/alice/.bashrc", "# ~/.bashrc\nexport HSA_OVERRIDE_GFX_VERSION=10.3.0\nalias ll='ls -l'\n",
            mode=0o600, uid=1000, gid=1000)
        put("/home/alice/.local/lib/python3/site-packages/rocm_hack.pth", "import os; os.environ['HSA'] = '1'\n",
            mode=0o644, uid=1000, gid=1000)
        for d in ("/home/alice/.local", "/home/alice/.local/lib", "/home/alice/.local/lib/python3",
                  "/home/alice/.local/lib/python3/site-packages"):
            os.chown(host(root, d), 1000, 1000)

    def copy(self, name):
        self.n += 1
        d = os.path.join(self.tmp, "%02d-%s" % (self.n, name))
        os.makedirs(d)
        subprocess.run(["cp", "-a", self.base, os.path.join(d, "root")], check=True)
        os.makedirs(os.path.join(d, "state"))
        return os.path.join(d, "root"), os.path.join(d, "state")

    def run(self, root, state, *args, env=None, stdin=subprocess.DEVNULL, prefix=()):
        e = dict(os.environ)
        e.pop("RDNA1_DOCTOR_FAULT", None)
        if env:
            e.update(env)
        p = subprocess.run(list(prefix) + [self.binary, "--root", root, "--state-dir", state] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, stdin=stdin)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def file_plan():
    """A plan with every kind of file step, as --plan-file (test only) takes it."""
    def act(action, path, finding, **kw):
        a = {"action": action, "finding": finding, "path": path, "touches": [path], "why": "test", "undo": "test"}
        a.update(kw)
        return a
    return {"schema": "rdna1-doctor/plan/1", "root": "/", "kernel_choice": "rebuild", "reboot_required": False,
            "actions": [
                act("disable-env-line", "/etc/environment", "env.override-gfx", line=2,
                    line_text="HSA_OVERRIDE_GFX_VERSION=10.3.0"),
                act("disable-env-line", "/etc/ld.so.preload", "runtime.preload", line=1,
                    line_text="/usr/local/lib/libfakegfx.so"),
                act("disable-env-line", "/home/alice/.bashrc", "env.override-gfx", line=2,
                    line_text="export HSA_OVERRIDE_GFX_VERSION=10.3.0", in_home=True, owner_uid=1000, owner_gid=1000),
                act("restore-file", KFD, "kernel.patched-source", package="amdgpu-dkms", version=PKG_VERSION,
                    architecture="all", source={"kind": "deb", "path": DEB, "member": KFD,
                                                "md5": None, "size": 0}),
                act("quarantine", "/opt/rocm/lib/rocblas/library/TensileLibrary_gfx1030.dat", "runtime.unowned"),
                act("quarantine", "/home/alice/.local/lib/python3/site-packages/rocm_hack.pth", "python.startup-hook",
                    in_home=True, owner_uid=1000, owner_gid=1000),
            ], "notes": []}


def write_plan(env, root, path):
    """Fill the restore step's md5/size from the fixture's md5sums and .deb, as the planner does."""
    plan = file_plan()
    want = None
    with open(host(root, "/var/lib/dpkg/info/amdgpu-dkms.md5sums")) as f:
        for line in f:
            h, p = line.split(None, 1)
            if "/" + p.strip() == KFD:
                want = h
    size = int(subprocess.run(["sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -xOf - \".$2\" | wc -c", "sh",
                               host(root, DEB), KFD], stdout=subprocess.PIPE, check=True).stdout)
    for a in plan["actions"]:
        if a["action"] == "restore-file":
            a["source"]["md5"] = want
            a["source"]["size"] = size
    with open(path, "w") as f:
        json.dump(plan, f)
    return plan


def journal_dirs(state):
    j = os.path.join(state, "journal")
    return sorted(os.path.join(j, d) for d in os.listdir(j)) if os.path.isdir(j) else []


def check_backups(state, label):
    """No backup lost: every backup a step record names exists and hashes to the record."""
    for jd in journal_dirs(state):
        sd = os.path.join(jd, "steps")
        for name in sorted(os.listdir(sd)):
            if name.startswith("."):
                continue
            with open(os.path.join(sd, name)) as f:
                rec = json.load(f)
            for fr in rec.get("files", []):
                if fr.get("backup"):
                    bp = os.path.join(jd, fr["backup"])
                    if not os.path.isfile(bp):
                        fail("%s: backup %s of %s is missing" % (label, fr["backup"], fr["path"]))
                    elif md5(bp) != fr["md5"]:
                        fail("%s: backup %s of %s does not hash to its record" % (label, fr["backup"], fr["path"]))


# ---------------------------------------------------------------- cases

def case_dry_run(env):
    root, state = env.copy("dry-run")
    before = snapshot(root, exclude=())
    code, out, err = env.run(root, state, "--recover", "--dry-run")
    if code != 0 or "restore-file" not in out or "Dry run: nothing was changed." not in out:
        fail("dry-run text: exit %d\n%s%s" % (code, out, err))
    code, out, err = env.run(root, state, "--recover", "--dry-run", "--json")
    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
        fail("dry-run --json is not JSON: %s %s" % (out[:300], err))
    if doc:
        acts = [a["action"] for a in doc["actions"]]
        if doc.get("schema") != "rdna1-doctor/plan/1":
            fail("plan schema: %s" % doc.get("schema"))
        for a in doc["actions"]:
            for k in ("why", "touches", "undo"):
                if not a.get(k):
                    fail("plan action %s lacks %s" % (a["action"], k))
        r = [a for a in doc["actions"] if a["action"] == "restore-file"]
        if not r or r[0]["source"]["kind"] != "deb" or r[0]["source"]["path"] != DEB or r[0]["path"] != KFD:
            fail("the cached .deb is not the restore source of kfd_crat.c: %s" % json.dumps(r)[:500])
        if "dkms-rebuild" not in acts and "dkms-remove" not in acts:
            fail("no kernel-side action in the seed's plan: %s" % acts)
        if acts.index("restore-file") > min(i for i, a in enumerate(doc["actions"]) if a["kernel_side"]):
            fail("file steps must come before kernel-side ones: %s" % acts)
        if not doc.get("reboot_required"):
            fail("kernel-side plan without reboot_required")
    code, out, err = env.run(root, state, "--recover", "--dry-run", "--json", "--in-tree")
    doc = json.loads(out) if code == 0 else {}
    if doc.get("kernel_choice") != "in-tree" or "dkms-rebuild" in [a["action"] for a in doc.get("actions", [])]:
        fail("--in-tree plan still rebuilds: %s" % out[:400])
    if snapshot(root, exclude=()) != before or os.listdir(state):
        fail("--dry-run changed something:\n" + diff_snap(before, snapshot(root, exclude=())))


def case_headless_needs_yes(env):
    root, state = env.copy("headless")
    before = snapshot(root, exclude=())
    code, out, err = env.run(root, state, "--recover")
    if code != 12 or "--yes" not in err:
        fail("headless --recover without --yes: exit %d, %s" % (code, err))
    if snapshot(root, exclude=()) != before or journal_dirs(state):
        fail("headless --recover without --yes changed something")


def case_recover_and_rollback(env):
    """Restore from the real .deb, kernel side refused with --root, rollback byte for byte but a file replaced since."""
    root, state = env.copy("recover")
    before = snapshot(root)
    code, out, err = env.run(root, state, "--recover", "--yes")
    if code != 11:
        fail("recover on a fixture root: want 11 (kernel side refused), got %d\n%s%s" % (code, out, err))
    if "never run against --root" not in out:
        fail("kernel-side refusal not explained:\n" + out)
    want = None
    with open(host(root, "/var/lib/dpkg/info/amdgpu-dkms.md5sums")) as f:
        for line in f:
            h, p = line.split(None, 1)
            if "/" + p.strip() == KFD:
                want = h
    if md5(host(root, KFD)) != want:
        fail("kfd_crat.c not restored to its md5sums entry")
    st0 = before[os.path.relpath(host(root, KFD), root)]
    st1 = snapshot(root)[os.path.relpath(host(root, KFD), root)]
    if st0[2:] != st1[2:]:
        fail("restored kfd_crat.c lost its mode/owner/mtime: %s -> %s" % (st0, st1))
    ids = [os.path.basename(d) for d in journal_dirs(state)]
    if len(ids) != 1 or ids[0] not in out:
        fail("journal id not printed: %s / %s" % (ids, out))
        return
    # every spawned command's argv, status and output are in the run's directory
    with open(os.path.join(journal_dirs(state)[0], "plan.json")) as f:
        steps = [a["step"] for a in json.load(f)["actions"] if a["action"] == "restore-file" and a["path"] == KFD]
    with open(os.path.join(journal_dirs(state)[0], "steps", "%04d.json" % (steps[0] if steps else 1))) as f:
        rec = json.load(f)
    cmds = rec.get("commands", [])
    if not cmds or cmds[0]["argv"][:2] != ["/usr/bin/dpkg-deb", "-f"] or cmds[0]["status"] != 0:
        fail("the dpkg-deb check is not journaled: %s" % rec)
    else:
        with open(os.path.join(journal_dirs(state)[0], cmds[0]["output"])) as f:
            if "Package: amdgpu-dkms" not in f.read():
                fail("dpkg-deb's output is not kept in the journal")
    code, out, err = env.run(root, state, "--history", "--json")
    h = json.loads(out) if code == 0 else {}
    if h.get("schema") != "rdna1-doctor/history/1" or [r["id"] for r in h.get("runs", [])] != ids:
        fail("--history: %s" % out[:400])
    # no --root run ever wrote the host's state dir
    code, out, err = env.run(root, state, "--rollback", ids[0])
    if code != 0:
        fail("rollback: exit %d\n%s%s" % (code, out, err))
    after = snapshot(root)
    if after != before:
        fail("rollback did not restore the fixture byte for byte:\n" + diff_snap(before, after))


def case_rollback_skips_changed(env):
    root, state = env.copy("rollback-changed")
    plan = os.path.join(os.path.dirname(root), "plan.json")
    write_plan(env, root, plan)
    before = snapshot(root)
    code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan)
    if code != 0:
        fail("file-only recovery: exit %d\n%s%s" % (code, out, err))
        return
    # replaced afterwards by someone else: rollback leaves it and says so
    with open(host(root, "/etc/environment"), "w") as f:
        f.write("LANG=C\n")
    mine = snapshot(root)["etc/environment"]
    jid = os.path.basename(journal_dirs(state)[0])
    code, out, err = env.run(root, state, "--rollback", jid)
    if code != 11 or "/etc/environment changed since the recovery; skipped" not in out:
        fail("rollback over a changed file: exit %d\n%s%s" % (code, out, err))
    if os.path.exists(host(root, "/var/lib/rdna1-doctor/quarantine/" + jid)):
        fail("the emptied quarantine directory of %s is left behind" % jid)
    after = snapshot(root)
    if after.get("etc/environment") != mine:
        fail("rollback overwrote a file changed since the recovery")
    before.pop("etc/environment")
    after.pop("etc/environment")
    if after != before:
        fail("rollback (but the changed file) is not byte for byte:\n" + diff_snap(before, after))


def case_home_files_as_owner(env):
    root, state = env.copy("home")
    plan = os.path.join(os.path.dirname(root), "plan.json")
    write_plan(env, root, plan)
    code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan)
    if code != 0:
        fail("home steps: exit %d\n%s%s" % (code, out, err))
        return
    st = os.lstat(host(root, "/home/alice/.bashrc"))
    with open(host(root, "/home/alice/.bashrc")) as f:
        text = f.read()
    if "# export HSA_OVERRIDE_GFX_VERSION=10.3.0\n" not in text or (st.st_uid, st.st_gid, st.st_mode & 0o777) != (1000, 1000, 0o600):
        fail("~/.bashrc: %r uid %d mode %o" % (text, st.st_uid, st.st_mode & 0o777))
    q = host(root, "/home/alice/.local/share/rdna1-doctor/quarantine")
    moved = [os.path.join(d, f) for d, _, fs in os.walk(q) for f in fs]
    if len(moved) != 1 or os.lstat(moved[0]).st_uid != 1000 or os.path.exists(
            host(root, "/home/alice/.local/lib/python3/site-packages/rocm_hack.pth")):
        fail("home quarantine: %s" % moved)
    # the quarantine directory was made by alice, not by root
    if os.lstat(q).st_uid != 1000:
        fail("the home quarantine directory is owned by %d, not alice" % os.lstat(q).st_uid)
    with open(host(root, "/etc/ld.so.preload")) as f:
        if f.read() != "":
            fail("ld.so.preload line not removed (ld.so would read a '#' line as a library)")


def case_home_symlink_refused(env):
    """~/.bashrc -> /etc/shadow resolves inside the root: never written."""
    root, state = env.copy("home-symlink")
    plan = os.path.join(os.path.dirname(root), "plan.json")
    p = write_plan(env, root, plan)
    p["actions"] = [a for a in p["actions"] if a["path"] == "/home/alice/.bashrc"]
    with open(plan, "w") as f:
        json.dump(p, f)
    os.unlink(host(root, "/home/alice/.bashrc"))
    os.symlink("/etc/shadow", host(root, "/home/alice/.bashrc"))
    with open(host(root, "/etc/shadow"), "w") as f:
        f.write("root:*:1::::::\nexport HSA_OVERRIDE_GFX_VERSION=10.3.0\n")
    before = snapshot(root)
    code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan)
    if code != 11 or snapshot(root) != before:
        fail("a home symlink to /etc/shadow was followed: exit %d\n%s" % (code, out))


def case_packaged_never_quarantined(env):
    root, state = env.copy("packaged")
    plan = os.path.join(os.path.dirname(root), "plan.json")
    p = write_plan(env, root, plan)
    p["actions"] = [{"action": "quarantine", "finding": "runtime.unowned", "path": KFD, "touches": [KFD],
                     "why": "t", "undo": "t"}]
    with open(plan, "w") as f:
        json.dump(p, f)
    before = snapshot(root)
    code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan)
    if code != 11 or "listed by a package" not in out or snapshot(root) != before:
        fail("a packaged file was quarantined: exit %d\n%s" % (code, out))


def build_deb(root, version, out):
    """amdgpu-dkms of another version, built by dpkg-deb --build, with the same member."""
    d = tempfile.mkdtemp(dir=os.path.dirname(root))
    os.makedirs(os.path.join(d, "DEBIAN"))
    with open(os.path.join(d, "DEBIAN", "control"), "w") as f:
        f.write("Package: amdgpu-dkms\nVersion: %s\nArchitecture: all\nMaintainer: t <t@t>\n"
                "Description: test\n" % version)
    m = os.path.join(d, KFD.lstrip("/"))
    os.makedirs(os.path.dirname(m))
    subprocess.run(["sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -xOf - \".$2\" > \"$3\"", "sh",
                    host(BASE[0], DEB), KFD, m], check=True)
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", d, out], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(d)


def case_other_version_rejected(env):
    root, state = env.copy("other-version")
    os.unlink(host(root, DEB))
    build_deb(root, "1:6.16.6.60204-9999999.24.04", host(root, "/var/cache/apt/archives/amdgpu-dkms_9999999_all.deb"))
    code, out, err = env.run(root, state, "--recover", "--dry-run", "--json")
    doc = json.loads(out) if code == 0 else {"actions": []}
    r = [a for a in doc["actions"] if a["action"] == "restore-file"]
    if not r or not r[0]["blocked"] or r[0]["source"]["kind"] != "none" or \
            "apt-get install --reinstall amdgpu-dkms" not in r[0]["blocked_reason"] or \
            "not the installed" not in r[0]["blocked_reason"]:
        fail("a .deb of another version was not rejected: %s" % json.dumps(r)[:600])
    # and the same content under the installed version is accepted
    build_deb(root, PKG_VERSION, host(root, "/var/cache/apt/archives/amdgpu-dkms_rebuilt_all.deb"))
    code, out, err = env.run(root, state, "--recover", "--dry-run", "--json")
    r = [a for a in json.loads(out)["actions"] if a["action"] == "restore-file"]
    if not r or r[0]["blocked"] or not r[0]["source"]["path"].endswith("amdgpu-dkms_rebuilt_all.deb"):
        fail("a .deb of the installed version was not used: %s" % json.dumps(r)[:600])


def case_backup_source(env):
    root, state = env.copy("orig-source")
    os.unlink(host(root, DEB))
    subprocess.run(["sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -xOf - \".$2\" > \"$3\"", "sh",
                    host(env.base, DEB), KFD, host(root, KFD + ".orig")], check=True)
    code, out, err = env.run(root, state, "--recover", "--dry-run", "--json")
    r = [a for a in json.loads(out)["actions"] if a["action"] == "restore-file"]
    if not r or r[0]["source"]["kind"] != "backup" or r[0]["source"]["path"] != KFD + ".orig":
        fail("kfd_crat.c.orig (verified) is not the restore source: %s" % json.dumps(r)[:400])
    # a .orig that does not verify is not used
    with open(host(root, KFD + ".orig"), "a") as f:
        f.write("/* patched */\n")
    code, out, err = env.run(root, state, "--recover", "--dry-run", "--json")
    r = [a for a in json.loads(out)["actions"] if a["action"] == "restore-file"]
    if not r or not r[0]["blocked"]:
        fail("a .orig that does not match md5sums was used: %s" % json.dumps(r)[:400])


def case_lock(env):
    root, state = env.copy("lock")
    holder = subprocess.Popen(["flock", os.path.join(state, "recover.lock"), "sleep", "30"])
    try:
        for _ in range(100):
            if os.path.exists(os.path.join(state, "recover.lock")):
                break
            subprocess.run(["sleep", "0.05"])
        code, out, err = env.run(root, state, "--recover", "--yes")
        if code != 12 or "another recovery is running" not in err:
            fail("a second recovery while the lock is held: exit %d %s" % (code, err))
    finally:
        holder.kill()
        holder.wait()


def case_orphan_child_refuses_resume(env):
    root, state = env.copy("orphan")
    plan = os.path.join(os.path.dirname(root), "plan.json")
    write_plan(env, root, plan)
    code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan,
                             env={"RDNA1_DOCTOR_FAULT": "step-intent@3"})
    if code != -signal.SIGKILL:
        fail("fault step-intent@3 did not kill the run: %d" % code)
        return
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        jd = journal_dirs(state)[0]
        sp = os.path.join(jd, "steps", "0003.json")
        with open(sp) as f:
            rec = json.load(f)
        rec["child"] = sleeper.pid  # a child of the killed run that still works
        with open(sp, "w") as f:
            json.dump(rec, f)
        code, out, err = env.run(root, state, "--recover", "--resume")
        if code != 12 or str(sleeper.pid) not in err:
            fail("--resume while an orphaned child runs: exit %d %s" % (code, err))
    finally:
        sleeper.kill()
        sleeper.wait()
    code, out, err = env.run(root, state, "--recover", "--resume")
    if code != 0:
        fail("--resume once the child is gone: exit %d\n%s%s" % (code, out, err))


def fault_points(env):
    p = subprocess.run([env.binary, "--list-fault-points"], stdout=subprocess.PIPE, check=True)
    return [l for l in p.stdout.decode().splitlines() if l and not l.startswith("#")]


def case_crash_everywhere(env):
    """SIGKILL at every fault point (each hit in turn), then --resume, and separately --rollback."""
    root0, state0 = env.copy("crash-expected")
    plan = os.path.join(os.path.dirname(root0), "plan.json")
    write_plan(env, root0, plan)
    original = snapshot(root0)
    touched = [a["path"] for a in file_plan()["actions"]]
    old = {p: md5(host(root0, p)) for p in touched}
    code, out, err = env.run(root0, state0, "--recover", "--yes", "--plan-file", plan)
    if code != 0:
        fail("reference run: exit %d\n%s%s" % (code, out, err))
        return
    expected = snapshot(root0)
    new = {p: (md5(host(root0, p)) if os.path.exists(host(root0, p)) else None) for p in touched}
    points = fault_points(env)
    if "backup-copy" not in points or "replaced" not in points:
        fail("fault points: %s" % points)
    killed = {}
    for point in points:
        for nth in range(1, 8):
            root, state = env.copy("crash-%s-%d" % (point, nth))
            code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan,
                                     env={"RDNA1_DOCTOR_FAULT": "%s@%d" % (point, nth)})
            if code not in (-signal.SIGKILL, 11, 0):
                fail("%s@%d: exit %d\n%s%s" % (point, nth, code, out, err))
            if code != -signal.SIGKILL and code != 11:
                shutil.rmtree(os.path.dirname(root))
                break  # the point is not reached nth times
            killed[point] = killed.get(point, 0) + 1
            label = "%s@%d" % (point, nth)
            # every file entirely old or entirely new (a quarantined one: here or in the quarantine)
            for p in touched:
                h = md5(host(root, p)) if os.path.exists(host(root, p)) else None
                if h not in (old[p], new[p]):
                    fail("%s: %s is neither old nor new" % (label, p))
            check_backups(state, label)
            # the same crash again on a fresh copy, for the rollback: a copy of the crashed tree would
            # hold other directories than the journal recorded, and rollback refuses those
            crashed = os.path.join(os.path.dirname(root), "crashed")
            subprocess.run(["cp", "-a", BASE[0], crashed], check=True)
            os.makedirs(crashed + "-state")
            env.run(crashed, crashed + "-state", "--recover", "--yes", "--plan-file", plan,
                    env={"RDNA1_DOCTOR_FAULT": "%s@%d" % (point, nth)})
            code, out, err = env.run(root, state, "--recover", "--resume")
            if code != 0:
                fail("%s: --resume exit %d\n%s%s" % (label, code, out, err))
            got = snapshot(root)
            if got != expected:
                fail("%s: after --resume the tree differs from the uninterrupted run:\n%s" % (label, diff_snap(expected, got)))
            check_backups(state, label + " resumed")
            # separately: roll the crashed run back
            jid = os.path.basename(journal_dirs(crashed + "-state")[0])
            code, out, err = env.run(crashed, crashed + "-state", "--rollback", jid)
            if code != 0:
                fail("%s: --rollback of the crashed run: exit %d\n%s%s" % (label, code, out, err))
            got = snapshot(crashed)
            if got != original:
                fail("%s: --rollback of the crashed run is not the original tree:\n%s" % (label, diff_snap(original, got)))
            shutil.rmtree(os.path.dirname(root))
    for point in points:
        if point not in ("rollback-restored", "deb-verified") and point not in killed:
            fail("fault point %s was never reached by the file steps" % point)
    print("crash: %d kills over %d points" % (sum(killed.values()), len(killed)), flush=True)
    # a crash during the rollback itself, then --rollback again
    for point in ("rollback-restored", "temp-written", "replaced"):
        for nth in (1, 3):
            root, state = env.copy("rbcrash-%s-%d" % (point, nth))
            env.run(root, state, "--recover", "--yes", "--plan-file", plan)
            jid = os.path.basename(journal_dirs(state)[0])
            code, out, err = env.run(root, state, "--rollback", jid, env={"RDNA1_DOCTOR_FAULT": "%s@%d" % (point, nth)})
            if code != -signal.SIGKILL:
                fail("rollback fault %s@%d did not kill it: %d" % (point, nth, code))
            check_backups(state, "rollback " + point)
            code, out, err = env.run(root, state, "--rollback", jid)
            got = snapshot(root)
            if code != 0 or got != original:
                fail("rollback after a crash in rollback (%s@%d): exit %d\n%s%s" % (point, nth, code, out,
                                                                                 diff_snap(original, got)))
            shutil.rmtree(os.path.dirname(root))


def in_namespace(script, *args):
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def case_enospc_backup(env):
    """A backup that does not fit aborts before touching the original.

    One restore step of kfd_crat.c (66 KB, 17 pages, from linux-source-6.1;
    72 KB, 18 pages, from 6.12) with the state dir on a tmpfs of just the
    file's pages (68 KiB, 72 KiB): a free-space estimate of the file's size
    passes, the journal's own records take 3 pages first, so the backup
    itself runs out.
    """
    root, state = env.copy("enospc")
    plan = os.path.join(os.path.dirname(root), "plan.json")
    p = write_plan(env, root, plan)
    p["actions"] = [a for a in p["actions"] if a["path"] == KFD]
    with open(plan, "w") as f:
        json.dump(p, f)
    size = os.path.getsize(host(root, KFD))
    pages = -(-size // 4096)
    if size < 32768:
        fail("kfd_crat.c is %d bytes: the ENOSPC case needs 32 KiB or more" % size)
    before = snapshot(root)
    r = in_namespace('mount -t tmpfs -o size=%dk tmpfs "$2"; "$1" --root "$3" --state-dir "$2" --recover --yes '
                     '--plan-file "$4"; echo "exit=$?"; ls "$2/journal/"*/backups/' % (pages * 4), env.binary, state,
                     root, plan)
    out = r.stdout.decode(errors="replace")
    if "exit=11" not in out or "No space left on device" not in out or "original is untouched" not in out:
        fail("ENOSPC during a backup: %s" % out[-1500:])
    if "0001-0" in out.split("exit=")[-1]:
        fail("a partial backup was left in the journal: %s" % out[-500:])
    after = snapshot(root)
    if after != before:
        fail("ENOSPC during the backup of kfd_crat.c changed the tree:\n" + diff_snap(before, after))


def case_cross_fs_quarantine(env):
    """Quarantine across file systems (the file on its own tmpfs): copy, fsync, verify, unlink; rollback back."""
    root, state = env.copy("cross-fs")
    plan = os.path.join(os.path.dirname(root), "plan.json")
    p = write_plan(env, root, plan)
    rel = "/opt/rocm/lib/rocblas/library/TensileLibrary_gfx1030.dat"
    p["actions"] = [a for a in p["actions"] if a["path"] == rel]
    with open(plan, "w") as f:
        json.dump(p, f)
    lib = host(root, os.path.dirname(rel))
    script = ('mkdir -p "$5.keep"; cp -a "$2/." "$5.keep/"; mount -t tmpfs -o mode=0755 tmpfs "$2"; '
              'cp -a "$5.keep/." "$2/"; before=$(stat -c "%a %u %g %Y" "$2/$6"); md5=$(md5sum < "$2/$6"); '
              '"$1" --root "$3" --state-dir "$4" --recover --yes --plan-file "$5"; echo "exit=$?"; '
              'test -e "$2/$6" && echo "still-there"; '
              'q=$(find "$3/var/lib/rdna1-doctor/quarantine" -type f); echo "moved=$(stat -c "%a %u %g %Y" $q) $(md5sum < $q)"; '
              'id=$(ls "$4/journal"); "$1" --root "$3" --state-dir "$4" --rollback "$id"; echo "rb=$?"; '
              'echo "back=$(stat -c "%a %u %g %Y" "$2/$6") $(md5sum < "$2/$6")"; echo "orig=$before $md5"')
    r = in_namespace(script, env.binary, lib, root, state, plan, os.path.basename(rel))
    out = r.stdout.decode(errors="replace")
    lines = dict(l.split("=", 1) for l in out.splitlines() if "=" in l and l.split("=", 1)[0] in
                 ("exit", "moved", "rb", "back", "orig"))
    if lines.get("exit") != "0" or "still-there" in out or lines.get("moved") != lines.get("orig") or \
            lines.get("rb") != "0" or lines.get("back") != lines.get("orig"):
        fail("quarantine across file systems: %s" % out[-2000:])


def case_read_only_root(env):
    root, state = env.copy("read-only")
    before = snapshot(root)
    p = in_namespace('mount --bind "$2" "$2"; mount -o remount,bind,ro "$2"; "$1" --root "$2" --state-dir "$3" '
                     '--recover --yes; echo "exit=$?"', env.binary, root, state)
    out = p.stdout.decode(errors="replace")
    if "exit=12" not in out or ("mount -o remount,rw " + root) not in out or "restore-file" not in out:
        fail("read-only root: want the plan, the remount command and exit 12: %s" % out[-1500:])
    if snapshot(root) != before:
        fail("read-only root: something changed")


def case_immutable_refused(env):
    """chattr +i on an ext4 loop image (inside unshare -m): refused, never forced."""
    root, state = env.copy("immutable")
    img = os.path.join(os.path.dirname(root), "ext4.img")
    plan = os.path.join(os.path.dirname(root), "plan.json")
    write_plan(env, root, plan)
    p = subprocess.run(["mkfs.ext4", "-q", "-F", img, "8M"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        skip("mkfs.ext4: " + p.stdout.decode(errors="replace"))
    script = ('mount -o loop "$4" "$2/etc" 2>/dev/null || { echo "no-loop"; exit 0; }; '
              'cp -a "$5/etc/." "$2/etc/"; chattr +i "$2/etc/environment"; '
              'md5sum "$2/etc/environment"; "$1" --root "$2" --state-dir "$3" --recover --yes --plan-file "$6"; '
              'echo "exit=$?"; md5sum "$2/etc/environment"; chattr -i "$2/etc/environment"')
    p = in_namespace(script, env.binary, root, state, img, env.base, plan)
    out = p.stdout.decode(errors="replace")
    if "no-loop" in out:
        skip("no loop device for the ext4 image")
    sums = [l.split()[0] for l in out.splitlines() if l.endswith("/etc/environment") and len(l.split()) == 2 and len(l.split()[0]) == 32]
    if "exit=11" not in out or "immutable or append-only" not in out or len(sums) != 2 or sums[0] != sums[1]:
        fail("immutable /etc/environment: %s %s" % (sums, out[-1500:]))


def case_crash_profile_install(env):
    """--profile install --disable-conflicts killed at every fault point (the same write path and executor as the
    recovery): every file old or new, no backup lost; then, kill by kill in turn, `--recover --resume` finishes it
    (the installed script and the disabled lines exactly as an uninterrupted install writes them, modes and owners
    included) or `--rollback ID` gives the original tree."""
    root0, _ = env.copy("profile-crash-base")
    conflicting = "/etc/profile.d/rocm-rdna1-57.sh"
    script = "etc/profile.d/rdna1-doctor.sh"
    p = host(root0, conflicting)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write("export HSA_OVERRIDE_GFX_VERSION=10.3.0\nexport MIOPEN_FIND_ENFORCE=3\nexport OTHER=1\n")
    os.utime(p, ns=(1600000000_000000000, 1600000000_123456789))
    BASE_SAVED = BASE[0]
    BASE[0] = root0
    env_base = env.base
    env.base = root0

    def installed(snap):
        """The tree after an install: the new script's time is when it was written, not compared."""
        out = dict(snap)
        if script in out and out[script][0] == "file":
            out[script] = out[script][:5]
        return out

    try:
        original = snapshot(root0)
        args = ("--profile", "install", "miopen-rocm57-conservative", "--disable-conflicts")
        root, state = env.copy("profile-install-expected")
        code, out, err = env.run(root, state, *args)
        expected = installed(snapshot(root))
        if code != 0 or script not in expected or expected.get(conflicting.lstrip("/")) == original.get(
                conflicting.lstrip("/")):
            fail("profile install, uninterrupted: exit %d, script %s\n%s%s" % (code, script in expected, out, err))
            return
        shutil.rmtree(os.path.dirname(root))
        killed, resumed, rolled_back = 0, 0, 0
        for point in fault_points(env):
            for nth in range(1, 5):
                root, state = env.copy("profile-crash-%s-%d" % (point, nth))
                code, out, err = env.run(root, state, *args, env={"RDNA1_DOCTOR_FAULT": "%s@%d" % (point, nth)})
                if code != -signal.SIGKILL:
                    if code != 0:
                        fail("profile install, %s@%d: exit %d\n%s%s" % (point, nth, code, out, err))
                    shutil.rmtree(os.path.dirname(root))
                    break
                killed += 1
                label = "profile install killed at %s@%d" % (point, nth)
                check_backups(state, label)
                jd = journal_dirs(state)
                if not jd:
                    shutil.rmtree(os.path.dirname(root))
                    continue  # killed before the journal was made: nothing was written
                if killed % 2:
                    resumed += 1
                    code, out, err = env.run(root, state, "--recover", "--resume")
                    got = installed(snapshot(root))
                    if code != 0 or got != expected:
                        fail("%s: --recover --resume: exit %d\n%s%s%s" % (label, code, out, err, diff_snap(expected, got)))
                    check_backups(state, label + " resumed")
                else:
                    rolled_back += 1
                    code, out, err = env.run(root, state, "--rollback", os.path.basename(jd[0]))
                    got = snapshot(root)
                    if code != 0 or got != original:
                        fail("%s: --rollback: exit %d\n%s%s%s" % (label, code, out, err, diff_snap(original, got)))
                shutil.rmtree(os.path.dirname(root))
        if killed < 6 or resumed < 3 or rolled_back < 3:
            fail("profile install: only %d kills (%d resumed, %d rolled back): the fault points are not on its "
                 "write path" % (killed, resumed, rolled_back))
        print("profile install: %d kills, %d resumed, %d rolled back" % (killed, resumed, rolled_back), flush=True)
    finally:
        BASE[0] = BASE_SAVED
        env.base = env_base


CASES = [case_dry_run, case_headless_needs_yes, case_recover_and_rollback, case_rollback_skips_changed,
         case_home_files_as_owner, case_home_symlink_refused, case_packaged_never_quarantined,
         case_other_version_rejected, case_backup_source, case_lock, case_orphan_child_refuses_resume,
         case_enospc_backup, case_cross_fs_quarantine, case_read_only_root, case_immutable_refused, case_crash_everywhere,
         case_crash_profile_install]


def case_name(case):
    return case.__name__[len("case_"):].replace("_", "-")


def check_registered(names):
    """The meson tests (tests/meson.build) are exactly the cases, in order."""
    want = [case_name(c) for c in CASES]
    if names == want:
        print("ok %d cases registered" % len(want))
        return
    fail("tests/meson.build's recover_cases are not recover.py's CASES: missing %s, unknown %s%s"
         % ([n for n in want if n not in names], [n for n in names if n not in want],
            ", or another order" if sorted(names) == sorted(want) else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary")
    ap.add_argument("--case", help="run only this case (see --list)")
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    ap.add_argument("--check-registered", nargs="*", metavar="NAME")
    args = ap.parse_args()
    by_name = {case_name(c): c for c in CASES}
    if args.list:
        print("\n".join(by_name))
        return
    if args.check_registered is not None:
        check_registered(args.check_registered)
        if failures:
            sys.exit(1)
        return
    if not args.binary:
        ap.error("--binary is required to run cases")
    if args.case and args.case not in by_name:
        ap.error("no case %r (--list names them)" % args.case)
    if os.geteuid() != 0:
        skip("needs root (fixture owners, a user drop, mount namespaces)")
    for tool in ("dpkg-deb", "unshare", "flock", "chattr", "mkfs.ext4"):
        if not shutil.which(tool):
            skip("%s is missing" % tool)
    tmp = tempfile.mkdtemp(prefix="rdna1-recover-")
    os.chmod(tmp, 0o711)
    try:
        env = Env(os.path.abspath(args.binary), tmp)
        env.generate()
        for name, case in by_name.items():
            if args.case and name != args.case:
                continue
            n = len(failures)
            case(env)
            print("%s %s" % ("ok" if len(failures) == n else "FAILED", name), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
