#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Attacks of a user with a normal account on the root tool (docs/SECURITY.md).

    attacks.py --binary B [--only NAME]

Each case plays the attacker on a copy of a generated fixture root
(tests/scenarios/recover.ini plus the damage tests/cli/recover.py adds),
with --root and --state-dir under a temp dir, and asserts what the tool must
guarantee: nothing written outside the owner's reach, the refused step
reported, nothing lost. Every case fails on the code before the fix it
guards (docs/SECURITY.md names the fix).

Exit 0 pass, 1 fail, 77 skip (prerequisite missing and CI is not true).
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import skip, gen_root  # noqa: E402

failures = []
PTH = "/home/alice/.local/lib/python3/site-packages/rocm_hack.pth"


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def host(root, path):
    return os.path.join(root, path.lstrip("/"))


def put(root, path, text, mode=0o644, uid=0, gid=0):
    p = host(root, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
    os.chown(p, uid, gid)
    os.chmod(p, mode)


def tree(root, rel):
    """Names and hashes under root/rel (a directory), for 'nothing was written there'."""
    out = {}
    top = host(root, rel)
    for d, _, fs in os.walk(top):
        for f in fs:
            p = os.path.join(d, f)
            out[os.path.relpath(p, top)] = md5(p) if os.path.isfile(p) and not os.path.islink(p) else "link"
    return out


class Env:
    def __init__(self, binary, tmp):
        self.binary = binary
        self.tmp = tmp
        self.base = os.path.join(tmp, "base")
        self.n = 0

    def generate(self):
        gen_root("recover", self.base)
        b = self.base
        put(b, "/etc/environment", "HSA_OVERRIDE_GFX_VERSION=10.3.0\n")
        put(b, "/home/alice/.bashrc", "# ~/.bashrc\nexport HSA_OVERRIDE_GFX_VERSION=10.3.0\n", 0o600, 1000, 1000)
        put(b, PTH, "import os; os.environ['HSA'] = '1'\n", 0o644, 1000, 1000)
        for d in ("/home/alice/.local", "/home/alice/.local/lib", "/home/alice/.local/lib/python3",
                  "/home/alice/.local/lib/python3/site-packages"):
            os.chown(host(b, d), 1000, 1000)
        os.makedirs(host(b, "/usr/lib/python3/dist-packages"), exist_ok=True)

    def copy(self, name):
        self.n += 1
        d = os.path.join(self.tmp, "%02d-%s" % (self.n, name))
        os.makedirs(d)
        subprocess.run(["cp", "-a", self.base, os.path.join(d, "root")], check=True)
        os.makedirs(os.path.join(d, "state"))
        return os.path.join(d, "root"), os.path.join(d, "state")

    def run(self, root, state, *args, env=None):
        e = dict(os.environ)
        e.pop("RDNA1_DOCTOR_FAULT", None)
        e.update(env or {})
        p = subprocess.run([self.binary, "--root", root, "--state-dir", state] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def journal_id(state):
    ids = sorted(os.listdir(os.path.join(state, "journal")))
    return ids[-1] if ids else None


def plan_file(root, actions):
    path = os.path.join(os.path.dirname(root), "plan.json")
    with open(path, "w") as f:
        json.dump({"schema": "rdna1-doctor/plan/1", "root": "/", "reboot_required": False, "actions": actions,
                   "notes": []}, f)
    return path


def quarantine_action(path, **kw):
    a = {"action": "quarantine", "finding": "python.startup-hook", "path": path, "touches": [path],
         "why": "test", "undo": "test"}
    a.update(kw)
    return a


# ------------------------------------------------------------------ 1

def case_owner_by_file(env):
    """1: alice's files are hers whatever /etc/passwd spells her home: "/home/alice/", or /home a symlink."""
    def trailing_slash(root):
        with open(host(root, "/etc/passwd")) as f:
            text = f.read()
        with open(host(root, "/etc/passwd"), "w") as f:
            f.write(text.replace(":/home/alice:", ":/home/alice/:"))

    def symlinked_home(root):
        os.makedirs(host(root, "/data"))
        os.rename(host(root, "/home"), host(root, "/data/home"))
        os.symlink("data/home", host(root, "/home"))

    for name, attack in (("trailing-slash", trailing_slash), ("symlinked-home", symlinked_home)):
        root, state = env.copy("owner-" + name)
        attack(root)
        code, out, err = env.run(root, state, "--recover", "--dry-run", "--json")
        try:
            actions = json.loads(out)["actions"]
        except (ValueError, KeyError) as e:
            fail("%s: --dry-run --json: %s (exit %d)\n%s%s" % (name, e, code, out[-800:], err))
            continue
        mine = [a for a in actions if a.get("path") in ("/home/alice/.bashrc", PTH)]
        if len(mine) != 2:
            fail("%s: alice's two steps are not planned: %s" % (name, [a.get("path") for a in actions]))
        for a in mine:
            if not a.get("in_home") or a.get("owner_uid") != 1000 or a.get("owner_gid") != 1000:
                fail("%s: %s is planned as root's step: %s" % (name, a["path"], a))
        # run: alice's .pth goes to her own quarantine, moved by her; none of hers to root's
        code, out, err = env.run(root, state, "--recover", "--yes")
        q = host(root, "/home/alice/.local/share/rdna1-doctor/quarantine")
        moved = [os.path.join(d, f) for d, _, fs in os.walk(q) for f in fs]
        sysq = tree(root, "/var/lib/rdna1-doctor/quarantine") if os.path.isdir(
            host(root, "/var/lib/rdna1-doctor/quarantine")) else {}
        if len(moved) != 1 or os.lstat(q).st_uid != 1000 or any("rocm_hack" in k for k in sysq):
            fail("%s: alice's .pth was not moved by alice into her quarantine: %s %s\n%s" % (name, moved, sysq, out))


# ------------------------------------------------------------------ 2

def case_rollback_swapped_dir(env):
    """2: after the quarantine, the owner swaps the directory for a symlink to a system directory (or another
    directory): --rollback refuses, the file stays in the quarantine, nothing is written into the system."""
    for where, swap in (("outside-home-symlink", "symlink"), ("outside-home-dir", "dir"), ("home-dir", "dir")):
        root, state = env.copy("rollback-" + where)
        if where.startswith("outside-home"):
            # alice's own virtualenv under /opt: hers by owner, not under her passwd home
            venv = "/opt/alice-venv/lib/python3/site-packages"
            for d in ("/opt/alice-venv", "/opt/alice-venv/lib", "/opt/alice-venv/lib/python3", venv):
                os.makedirs(host(root, d), exist_ok=True)
                os.chown(host(root, d), 1000, 1000)
            pth = venv + "/rocm_hack.pth"
            put(root, pth, "import os; os.system('id > /tmp/pwned')\n", 0o644, 1000, 1000)
        else:
            venv = os.path.dirname(PTH)
            pth = PTH
        plan = plan_file(root, [quarantine_action(pth, in_home=True, owner_uid=1000, owner_gid=1000)])
        code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan)
        if code != 0 or os.path.exists(host(root, pth)):
            fail("%s: the quarantine itself did not run: exit %d\n%s%s" % (where, code, out, err))
            continue
        system = tree(root, "/usr/lib/python3/dist-packages")
        d = host(root, venv)
        os.rename(d, d + ".old")
        if swap == "symlink":
            os.symlink("/usr/lib/python3/dist-packages", d)
            os.lchown(d, 1000, 1000)
        else:
            os.mkdir(d)
            os.chown(d, 1000, 1000)
        code, out, err = env.run(root, state, "--rollback", journal_id(state))
        q = host(root, "/home/alice/.local/share/rdna1-doctor/quarantine")
        kept = [f for _, _, fs in os.walk(q) for f in fs]
        if tree(root, "/usr/lib/python3/dist-packages") != system:
            fail("%s: --rollback wrote into /usr/lib/python3/dist-packages" % where)
        if os.path.exists(os.path.join(d, "rocm_hack.pth")):
            fail("%s: --rollback wrote into a directory that is not the one backed up from" % where)
        if code == 0 or "skipped" not in out or len(kept) != 1:
            fail("%s: --rollback did not refuse and keep the file in the quarantine: exit %d %s\n%s%s" %
                 (where, code, kept, out, err))


def case_root_step_in_user_dir(env):
    """2: the plan the old planner made for a home written "/home/alice/" (a root step on alice's file):
    root neither moves it nor, after alice swaps site-packages for a symlink, puts it into dist-packages."""
    root, state = env.copy("root-step-user-dir")
    plan = plan_file(root, [quarantine_action(PTH)])
    system = tree(root, "/usr/lib/python3/dist-packages")
    code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan)
    if code == 11 and os.path.exists(host(root, PTH)) and "owned by a user" in out:
        return
    fail("a root step on a file in alice's directory was not refused: exit %d\n%s%s" % (code, out, err))
    if code == 0:
        d = host(root, os.path.dirname(PTH))
        os.rename(d, d + ".old")
        os.symlink("/usr/lib/python3/dist-packages", d)
        env.run(root, state, "--rollback", journal_id(state))
        if tree(root, "/usr/lib/python3/dist-packages") != system:
            fail("root's --rollback put alice's .pth into /usr/lib/python3/dist-packages")


# ------------------------------------------------------------------ 3

def case_sourced_not_owned(env):
    """3: alice's .bashrc sources a root-owned system script, and a file of bob's, each with an override: neither
    is changed (the plan says "not changed: owned by ..." with the manual step); her own line is."""
    root, state = env.copy("sourced-not-owned")
    wrap = "/usr/local/bin/wrap.sh"
    bobs = "/home/bob/gpu-env.sh"
    put(root, wrap, "#!/bin/sh\nexport HSA_OVERRIDE_GFX_VERSION=10.3.0\nexec \"$@\"\n", 0o755)
    with open(host(root, "/etc/passwd"), "a") as f:
        f.write("bob:x:1001:1001:Bob:/home/bob:/bin/bash\n")
    os.makedirs(host(root, "/home/bob"), exist_ok=True)
    os.chown(host(root, "/home/bob"), 1001, 1001)
    os.chmod(host(root, "/home/bob"), 0o755)
    put(root, bobs, "export HSA_OVERRIDE_GFX_VERSION=10.3.0\n", 0o644, 1001, 1001)
    put(root, "/home/alice/.bashrc", "# ~/.bashrc\nexport HSA_OVERRIDE_GFX_VERSION=10.3.0\nsource %s\n. %s\n"
        % (wrap, bobs), 0o600, 1000, 1000)
    before = {p: md5(host(root, p)) for p in (wrap, bobs)}
    code, out, err = env.run(root, state, "--recover", "--dry-run", "--json")
    try:
        actions = json.loads(out)["actions"]
    except (ValueError, KeyError) as e:
        fail("--dry-run --json: %s (exit %d)\n%s%s" % (e, code, out[-800:], err))
        return
    for p, owner in ((wrap, "root (uid 0)"), (bobs, "bob (uid 1001)")):
        mine = [a for a in actions if a.get("path") == p]
        if len(mine) != 1 or not mine[0].get("blocked") or \
                not mine[0].get("blocked_reason", "").startswith("not changed: owned by " + owner) or \
                "Manual step" not in mine[0].get("blocked_reason", ""):
            fail("%s, sourced by alice, is not planned as not changed (owned by %s): %s" % (p, owner, mine))
    own = [a for a in actions if a.get("path") == "/home/alice/.bashrc"]
    if len(own) != 1 or own[0].get("blocked") or own[0].get("owner_uid") != 1000:
        fail("alice's own line is not planned as hers: %s" % own)
    code, out, err = env.run(root, state, "--recover", "--dry-run")
    if "not changed: owned by root (uid 0)" not in out:
        fail("the text plan does not say the system script is not changed:\n%s" % out)
    code, out, err = env.run(root, state, "--recover", "--yes")
    after = {p: md5(host(root, p)) for p in (wrap, bobs)}
    if after != before:
        fail("a file alice only sources was changed: %s (exit %d)\n%s%s" % (
            [p for p in before if before[p] != after[p]], code, out, err))
    with open(host(root, "/home/alice/.bashrc")) as f:
        bashrc = f.read()
    with open(host(root, "/etc/environment")) as f:
        etcenv = f.read()
    if "# export HSA_OVERRIDE_GFX_VERSION=10.3.0" not in bashrc or "source %s" % wrap not in bashrc or \
            not etcenv.startswith("# "):
        fail("the other steps did not run (exit %d):\n.bashrc: %r\n/etc/environment: %r\n%s%s" % (
            code, bashrc, etcenv, out, err))
    if os.lstat(host(root, "/home/alice/.bashrc")).st_uid != 1000:
        fail("alice's .bashrc is no longer hers")


# ------------------------------------------------------------------ 4

def as_alice(*cmd):
    subprocess.run(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "--"] + list(cmd), check=True)


def on_terminal(env, root, state, between=None):
    """--recover on a terminal (a pty): wait for the question, run between(), answer yes; (exit code, output)."""
    import pty
    e = dict(os.environ)
    e.pop("RDNA1_DOCTOR_FAULT", None)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(env.binary, [env.binary, "--root", root, "--state-dir", state, "--recover"], e)
    out = b""
    asked = False
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not asked and b"Type 'yes' to go on" in out:
            asked = True
            if between:
                between()
            os.write(fd, b"yes\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace"), asked


def case_changed_after_review(env):
    """4: --recover asks on a terminal; while the plan is on screen alice rewrites her .bashrc (the line the plan
    comments out now reads differently, and a new line follows): the answered "yes" runs nothing, exit 12, her file
    and the system's are as they were, no journal run. Without the change the same answer runs the plan."""
    bashrc = "/home/alice/.bashrc"
    root, state = env.copy("changed-after-review")
    before = tree(root, "/etc")

    def rewrite():
        as_alice("sh", "-c", "printf '# ~/.bashrc\\nexport HSA_OVERRIDE_GFX_VERSION=10.1.0\\nexport X=1\\n' > %s"
                 % host(root, bashrc))
    code, out, asked = on_terminal(env, root, state, rewrite)
    with open(host(root, bashrc)) as f:
        text = f.read()
    runs = os.listdir(os.path.join(state, "journal")) if os.path.isdir(os.path.join(state, "journal")) else []
    if not asked or code != 12 or "changed since the plan was shown" not in out or bashrc not in out:
        fail("a file changed after the plan was shown: not refused (exit %d, asked %s)\n%s" % (code, asked, out))
    if text != "# ~/.bashrc\nexport HSA_OVERRIDE_GFX_VERSION=10.1.0\nexport X=1\n" or tree(root, "/etc") != before \
            or runs:
        fail("the refused run changed something: .bashrc %r, /etc changed: %s, journal %s" % (
            text, tree(root, "/etc") != before, runs))
    # the same with nothing changed in between: the plan runs
    root, state = env.copy("unchanged-after-review")
    code, out, asked = on_terminal(env, root, state)
    with open(host(root, bashrc)) as f:
        text = f.read()
    if code not in (0, 10, 11) or "# export HSA_OVERRIDE_GFX_VERSION=10.3.0" not in text:
        fail("the confirmed plan did not run with nothing changed (exit %d)\n%s" % (code, out))


def on_terminal_stopping(env, root, state, at_stop):
    """--recover on a pty, stopped at each step's intent (fault point step-intent:STOP): answer yes, run at_stop()
    at the first stop (after the plan was compared once, before any step opened its file), SIGCONT every stop;
    (exit code, output, asked, stops)."""
    import pty
    import select
    import signal
    e = dict(os.environ)
    e["RDNA1_DOCTOR_FAULT"] = "step-intent:STOP"
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(env.binary, [env.binary, "--root", root, "--state-dir", state, "--recover"], e)
    out, asked, stops, status = b"", False, 0, None
    while status is None:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            out += chunk
            if not asked and b"Type 'yes' to go on" in out:
                asked = True
                os.write(fd, b"yes\n")
        got, st = os.waitpid(pid, os.WNOHANG | os.WUNTRACED)
        if got == pid and os.WIFSTOPPED(st):
            stops += 1
            if stops == 1 and at_stop:
                at_stop()
            os.kill(pid, signal.SIGCONT)
        elif got == pid:
            status = st
    while select.select([fd], [], [], 0.1)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace"), asked, stops


def case_changed_before_step(env):
    """4: the plan was shown, confirmed and compared once; then, before the step on her .bashrc opens it, alice
    rewrites the file in place (same size, another first line, the line the plan comments out as it was, its
    mtime set back): device, inode, size and time are the planned ones, so only the content shows it. The step
    compares what it opened with what was shown and refuses (exit 12, reported); her file is as she made it and
    not copied into the journal. Without the change the same stops run the plan."""
    bashrc = "/home/alice/.bashrc"
    root, state = env.copy("changed-before-step")
    hb = host(root, bashrc)
    with open(hb, "rb") as f:
        shown = f.read()
    if not shown.startswith(b"# ~/.bashrc\n"):
        fail("the fixture's .bashrc is not what this case rewrites: %r" % shown)
        return
    rewritten = b"# ~/.BASHRC\n" + shown[len(b"# ~/.bashrc\n"):]

    def rewrite():
        st = os.stat(hb)
        as_alice("python3", "-c", "import os, sys\nfd = os.open(sys.argv[1], os.O_WRONLY)\nos.write(fd, b'# ~/.BASHRC')\n"
                 "os.close(fd)\nos.utime(sys.argv[1], ns=(int(sys.argv[2]), int(sys.argv[3])))",
                 hb, str(st.st_atime_ns), str(st.st_mtime_ns))
        now = os.stat(hb)
        if (now.st_ino, now.st_size, now.st_mtime_ns) != (st.st_ino, st.st_size, st.st_mtime_ns):
            fail("the rewrite changed the file's identity, not only its content")
    code, out, asked, stops = on_terminal_stopping(env, root, state, rewrite)
    with open(hb, "rb") as f:
        now = f.read()
    if not asked or stops < 1:
        fail("the run did not ask, or did not stop at a step (asked %s, %d stops)\n%s" % (asked, stops, out))
    if code != 12 or "not the file the plan showed" not in out or bashrc not in out:
        fail("a file changed after the comparison, before its step: not refused (exit %d)\n%s" % (code, out))
    if now != rewritten:
        fail("the refused step changed alice's .bashrc: %r" % now)
    copies = [os.path.join(d, f) for d, _, fs in os.walk(state) for f in fs if "/backups" in d]
    if any(open(p, "rb").read() in (shown, rewritten) for p in copies):
        fail("alice's .bashrc was copied into the journal by the refused step")
    # the same stops with nothing changed: the plan runs
    root, state = env.copy("unchanged-before-step")
    code, out, asked, stops = on_terminal_stopping(env, root, state, None)
    with open(host(root, bashrc)) as f:
        text = f.read()
    if code not in (0, 10, 11) or "# export HSA_OVERRIDE_GFX_VERSION=10.3.0" not in text:
        fail("the confirmed plan, stopped at each step, did not run with nothing changed (exit %d)\n%s" % (code, out))


def case_reviewed_plan_swap(env):
    """4: the reviewed plan the view stores is read only from a directory nobody else can write: a plan alice
    writes (or a symlink she plants in root's directory) is refused, nothing changes."""
    root, state = env.copy("reviewed-plan-swap")
    before = tree(root, "/etc")
    mine = os.path.join(os.path.dirname(root), "alice")
    os.makedirs(mine)
    os.chown(mine, 1000, 1000)
    plan = {"schema": "rdna1-doctor/plan/1", "root": "/", "reboot_required": False, "notes": [],
            "actions": [{"action": "disable-env-line", "finding": "env.override-gfx", "path": "/etc/environment",
                         "line": 1, "line_text": "HSA_OVERRIDE_GFX_VERSION=10.3.0", "touches": ["/etc/environment"],
                         "why": "x", "undo": "y"}],
            "reviewed_files": [{"path": "/etc/environment", "fingerprint": "absent"}]}
    planted = os.path.join(mine, "plan.json")
    with open(planted, "w") as f:
        json.dump(plan, f)
    os.chown(planted, 1000, 1000)
    os.chmod(planted, 0o600)
    link = os.path.join(state, "reviewed")
    os.makedirs(link, mode=0o700)
    os.symlink(planted, os.path.join(link, "plan-1.json"))
    for path in (planted, os.path.join(link, "plan-1.json")):
        code, out, err = env.run(root, state, "--recover", "--yes", "--reviewed-plan", path)
        if code != 12 or "not a reviewed plan" not in err:
            fail("--reviewed-plan %s (alice's): not refused (exit %d)\n%s%s" % (path, code, out, err))
    if tree(root, "/etc") != before or os.path.isdir(os.path.join(state, "journal")):
        fail("a refused reviewed plan changed something")


# ------------------------------------------------------------------ 5

def case_grown_user_file(env):
    """5: after planning, alice grows her .bashrc and her .pth to 64 MiB sparse files (no quota): root copies
    neither into the journal, both steps are refused and reported, her files are left as they are."""
    root, state = env.copy("grown-file")
    plan = plan_file(root, [
        {"action": "disable-env-line", "finding": "env.override-gfx", "path": "/home/alice/.bashrc", "line": 2,
         "line_text": "export HSA_OVERRIDE_GFX_VERSION=10.3.0", "in_home": True, "owner_uid": 1000,
         "owner_gid": 1000, "touches": ["/home/alice/.bashrc"], "why": "test", "undo": "test"},
        quarantine_action(PTH, in_home=True, owner_uid=1000, owner_gid=1000)])
    for p in ("/home/alice/.bashrc", PTH):
        with open(host(root, p), "r+b") as f:
            f.truncate(64 << 20)
    code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan)
    biggest = max([os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(state) for f in fs] or [0])
    if biggest > (16 << 20):
        fail("a %d byte backup of a user's grown file is in the journal" % biggest)
    if code != 11 or out.count("more than the 16 MiB") != 2 or not os.path.exists(host(root, PTH)):
        fail("grown user files: exit %d\n%s%s" % (code, out, err))


def case_grown_after_planning(env):
    """5: alice grows her .bashrc (a sparse 300 MB file, and, separately, by one line) between the planning and the
    execution: the plan the tool made records the file as it saw it, so the step is refused and reported, the
    journal holds no big copy, her file is left as she made it. Both ways in between: the plan printed by
    --dry-run --json run with --plan-file, and a run killed at its first step (fault point step-intent) resumed."""
    bashrc = "/home/alice/.bashrc"

    def grow(root, how):
        with open(host(root, bashrc), "r+b") as f:
            if how == "sparse":
                f.truncate(300 << 20)
            else:
                f.seek(0, 2)
                f.write(b"alias ll='ls -l'\n")
        return md5(host(root, bashrc))

    def check(label, root, state, code, out, err, grown):
        biggest = max([os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(state) for f in fs] or [0])
        if biggest > (1 << 20):
            fail("%s: a %d byte copy is in the journal" % (label, biggest))
        if md5(host(root, bashrc)) != grown:
            fail("%s: alice's grown .bashrc was changed" % label)
        if code != 11 or bashrc not in out or "refused" not in out:
            fail("%s: the step on the grown file was not refused and reported: exit %d\n%s%s" % (label, code, out, err))

    for how in ("sparse", "line"):
        root, state = env.copy("grown-planned-" + how)
        code, out, err = env.run(root, state, "--recover", "--dry-run", "--json")
        try:
            actions = json.loads(out)["actions"]
        except (ValueError, KeyError):
            fail("--dry-run --json: exit %d %s" % (code, err))
            continue
        mine = [a for a in actions if a.get("path") == bashrc and not a.get("blocked")]
        if not mine or "planned" not in mine[0]:
            fail("%s: the plan does not record alice's .bashrc as planned: %s" % (how, mine))
            continue
        plan = plan_file(root, mine)
        grown = grow(root, how)
        code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan)
        check("plan-file " + how, root, state, code, out, err, grown)
        if how == "line" and "not the file that was planned" not in out:
            fail("grown by a line: the refusal does not say the file is not the one planned:\n%s" % out)

        # killed after the journal and the first intent were written, grown, resumed
        root, state = env.copy("grown-resumed-" + how)
        plan = plan_file(root, mine)
        code, out, err = env.run(root, state, "--recover", "--yes", "--plan-file", plan,
                                 env={"RDNA1_DOCTOR_FAULT": "step-intent"})
        if code != -9:
            fail("resume %s: the fault point did not kill the run: exit %d %s" % (how, code, err))
            continue
        grown = grow(root, how)
        code, out, err = env.run(root, state, "--recover", "--resume")
        check("resume " + how, root, state, code, out, err, grown)


# ------------------------------------------------------------------ 6

def case_helper_credentials(env):
    """6: sudo for a uid the root's passwd does not know: the helper never keeps gid 0 nor root's groups or
    environment; with SUDO_GID it runs with exactly that uid/gid (a real drop, checked by the helper's `id`).
    Root with no invoking user: the helper runs as nobody, as root only with --as-root."""
    helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fake-helpers", "creds")
    root, state = env.copy("helper-creds")
    # as a user's program would see it: a root-only variable in root's environment
    base = {"RDNA1_SELFTEST_HELPER": helper, "RDNA1_ATTACK_ROOT_SECRET": "root-only"}
    for k in ("SUDO_UID", "SUDO_GID", "PKEXEC_UID", "DOAS_USER"):
        os.environ.pop(k, None)

    def names(out):
        try:
            return [c.get("name") for c in json.loads(out).get("cases", [])]
        except ValueError:
            return None

    code, out, err = env.run(root, state, "--selftest", "--backend", "cpu", "--quick", "--json",
                             env=dict(base, SUDO_UID="4242"))
    got = names(out)
    if code != 3 or got or "SUDO_GID" not in out + err:
        fail("SUDO_UID of an unknown account without SUDO_GID: the helper ran (exit %d): %s %s" % (code, got, err))
    code, out, err = env.run(root, state, "--selftest", "--backend", "cpu", "--quick", "--json",
                             env=dict(base, SUDO_UID="4242", SUDO_GID="4343"))
    got = names(out)
    if code != 0 or got != ["uid=4242/4242 gid=4343/4343 groups=4343 leaked=no"]:
        fail("SUDO_UID=4242 SUDO_GID=4343: the helper ran with %s (exit %d)\n%s" % (got, code, err))
    # a known user: her groups from the root's /etc/group, nothing of root's
    code, out, err = env.run(root, state, "--selftest", "--backend", "cpu", "--quick", "--json",
                             env=dict(base, SUDO_UID="1000", SUDO_GID="1000"))
    got = names(out) or [""]
    if code != 0 or not got[0].startswith("uid=1000/1000 gid=1000/1000 ") or "leaked=no" not in got[0] or \
            ",0," in "," + got[0].split("groups=")[1].split()[0] + ",":
        fail("SUDO_UID=1000: the helper ran with %s (exit %d)\n%s" % (got, code, err))
    # root with no one behind it (a root login, recovery mode): the root's nobody with its group, never root
    code, out, err = env.run(root, state, "--selftest", "--backend", "cpu", "--quick", "--json", env=dict(base))
    got = names(out)
    if code != 0 or got != ["uid=65534/65534 gid=65534/65534 groups=65534 leaked=no"]:
        fail("root without SUDO_UID/PKEXEC_UID: the helper ran with %s (exit %d)\n%s" % (got, code, err))
    code, out, err = env.run(root, state, "--selftest", "--backend", "cpu", "--quick", env=dict(base))
    if code != 0 or "runs as nobody (uid 65534); --as-root runs it as root" not in err:
        fail("root without SUDO_UID/PKEXEC_UID: no note that the helper runs as nobody (exit %d): %s" % (code, err))
    # only when asked: --as-root
    code, out, err = env.run(root, state, "--selftest", "--backend", "cpu", "--quick", "--json", "--as-root",
                             env=dict(base))
    got = names(out) or [""]
    if code != 0 or not got[0].startswith("uid=0/0 gid=0/0 "):
        fail("--as-root: the helper ran with %s (exit %d)\n%s" % (got, code, err))


# ------------------------------------------------------------------ 7

def case_bundle_json_secrets(env):
    """7: a journal's plan.json quotes a commented-out line holding a token in escaped quotes, and a private
    key in a multi-line string: neither reaches the bundle."""
    root, state = env.copy("bundle-secrets")
    jdir = host(root, "/var/lib/rdna1-doctor/journal/20260101-000000")
    os.makedirs(os.path.join(jdir, "steps"))
    secrets = ("hf_QUOTEDsecretTOKEN", "MULTILINEkeyBODY", "plainPASSWORDvalue")
    plan = {"schema": "rdna1-doctor/plan/1", "root": "/", "actions": [
        {"action": "disable-env-line", "path": "/home/alice/.bashrc", "line": 3,
         "line_text": 'export HF_TOKEN="hf_QUOTEDsecretTOKEN"', "why": "x", "undo": "y", "touches": []},
        {"action": "disable-env-line", "path": "/etc/environment", "line": 1,
         "line_text": "DB_PASSWORD=plainPASSWORDvalue", "why": "x", "undo": "y", "touches": []},
        {"action": "quarantine", "path": "/opt/k", "why": "-----BEGIN OPENSSH PRIVATE KEY-----\nMULTILINEkeyBODY\n"
         "-----END OPENSSH PRIVATE KEY-----", "undo": "y", "touches": []}], "notes": []}
    with open(os.path.join(jdir, "plan.json"), "w") as f:
        json.dump(plan, f)
    with open(os.path.join(jdir, "run.json"), "w") as f:
        json.dump({"status": "done"}, f)
    out = os.path.join(os.path.dirname(root), "b.tar.xz")
    code, so, err = env.run(root, host(root, "/var/lib/rdna1-doctor"), "--bundle", out)
    if code != 0 or not os.path.exists(out):
        fail("--bundle: exit %d %s" % (code, err))
        return
    x = os.path.join(os.path.dirname(root), "x")
    os.makedirs(x)
    subprocess.run(["tar", "-xJf", out, "-C", x], check=True)
    found = False
    for d, _, fs in os.walk(x):
        for name in fs:
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            if name == "plan.json":
                found = True
            for sec in secrets:
                if sec.encode() in data:
                    fail("%s in the bundle holds %s" % (os.path.relpath(os.path.join(d, name), x), sec))
    if not found:
        fail("the bundle has no journal plan.json to check")


CASES = [case_owner_by_file, case_rollback_swapped_dir, case_root_step_in_user_dir, case_sourced_not_owned,
         case_changed_after_review, case_changed_before_step, case_reviewed_plan_swap, case_grown_user_file,
         case_grown_after_planning, case_helper_credentials,
         case_bundle_json_secrets]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--only")
    args = ap.parse_args()
    if os.geteuid() != 0:
        skip("needs root (fixture owners, a user drop)")
    for tool in ("dpkg-deb", "setpriv"):
        if not shutil.which(tool):
            skip("%s is missing" % tool)
    tmp = tempfile.mkdtemp(prefix="rdna1-attacks-")
    os.chmod(tmp, 0o711)
    try:
        env = Env(os.path.abspath(args.binary), tmp)
        env.generate()
        for case in CASES:
            if args.only and args.only not in case.__name__:
                continue
            n = len(failures)
            case(env)
            print("%s %s" % ("ok" if len(failures) == n else "FAILED", case.__name__[5:]), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
