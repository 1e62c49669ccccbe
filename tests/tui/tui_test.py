#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The TUI in a real terminal: tmux runs the real binary on generated
fixture roots; keys go in with send-keys, screens come out with
capture-pane (-e for colour) and the raw byte stream with pipe-pane.

    tui_test.py --binary B --helper SELFTEST_HELPER [--only NAME...]

Screens are compared with tests/tui/golden/NAME.txt (the root path replaced
by @ROOT@; UPDATE_GOLDEN=1 rewrites them: review the diff). Nothing here
waits for a time: every wait polls the pane a bounded number of times for
the text that must appear. Exit 0 pass, 1 fail, 77 skip (tmux missing and
CI is not true).

test_recovery drives a recovery from the keyboard (plan, typed yes, live
steps, result) on the recover scenario and checks the fixture's files, then
rolls it back from the History screen.
"""
import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import SRC, skip, gen_root, release_neutral  # noqa: E402

GOLDEN = os.path.join(SRC, "tests", "tui", "golden")
TRIES = 1200         # polls of the pane before giving up (a bound, not a deadline)
POLL = 0.05          # seconds between polls (a bound on tries, not a timing assertion)

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


class Tmux:
    def __init__(self, tmp, name):
        self.sock = os.path.join(tmp, "tmux-" + name)
        self.tmp = tmp
        self.name = name

    def __call__(self, *args, check=True):
        p = subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if check and p.returncode != 0:
            raise RuntimeError("tmux %s: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
        return p.stdout.decode("utf-8", "replace")

    def start(self, cmd, x=80, y=24, env=None):
        envs = " ".join("%s=%s" % (k, shq(v)) for k, v in (env or {}).items())
        self("new-session", "-d", "-x", str(x), "-y", str(y), "-s", "t",
             "env %s sh -c %s" % (envs, shq(cmd)))
        self("set-option", "-t", "t", "remain-on-exit", "on")

    def keys(self, *keys):
        self("send-keys", "-t", "t", *keys)

    def capture(self, colour=False):
        args = ["capture-pane", "-p", "-t", "t"] + (["-e"] if colour else [])
        return self(*args)

    def screen(self):
        return "\n".join(l.rstrip() for l in self.capture().split("\n")).rstrip("\n") + "\n"

    def wait(self, pred, what):
        s = ""
        for _ in range(TRIES):
            s = self.screen()
            if pred(s):
                return s
            time.sleep(POLL)
        fail("%s: never appeared; screen was:\n%s" % (what, s))
        return s

    def wait_text(self, text, what=None):
        return self.wait(lambda s: text in s, what or repr(text))

    def resize(self, x, y):
        self("resize-window", "-t", "t", "-x", str(x), "-y", str(y))

    def pane_pid(self):
        return int(self("display-message", "-p", "-t", "t", "#{pane_pid}").strip())

    def kill(self):
        self("kill-server", check=False)


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def normalize(screen, root):
    return screen.replace(root, "@ROOT@")


def compare(name, got):
    path = os.path.join(GOLDEN, name + ".txt")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        with open(path, "w") as f:
            f.write(got)
        return
    if not os.path.exists(path):
        fail("golden screen %s missing (UPDATE_GOLDEN=1 makes it; review it)" % path)
        return
    with open(path) as f:
        want = f.read()
    want, got = release_neutral(want), release_neutral(got)
    if want != got:
        import difflib
        fail("screen %s differs:\n%s" % (name, "".join(difflib.unified_diff(
            want.splitlines(True), got.splitlines(True), path, "actual", n=1))))


def framed(cols, then=None):
    """A whole frame at this width is on screen: the status line ends in the
    last column but one, and no line is wider."""
    def pred(s):
        lines = s.rstrip("\n").split("\n")
        return (lines[-1].endswith("q quit") and len(lines[-1]) == cols - 1 and max(map(len, lines)) <= cols
                and (then is None or then(s)))
    return pred


def findings_shown(s):
    """The Findings list is on screen (its header line)."""
    return re.search(r"^ \d+ findings?(  \(Enter|; could not check)", s, re.M) is not None


def root_shown(s, path, tag):
    """The Overview's root line shows path, whole or with its start elided
    ("...tail" when too long for the line), and then tag."""
    m = re.search(r"Root (\S+)" + re.escape(tag), s)
    if not m:
        return False
    shown = m.group(1)
    return shown == path or (shown.startswith("...") and len(shown) > 10 and path.endswith(shown[3:]))


def settled(s):
    """The first inspection is on screen and nothing is running."""
    return "Root " in s and "[inspecting" not in s


class Session:
    """The binary in a fresh tmux session, wrapped so that the terminal's
    modes are saved before and after it (stty -g) and its exit status kept."""

    def __init__(self, args, tmp, name, root, env=None, x=80, y=24):
        self.t = Tmux(tmp, name)
        self.dir = os.path.join(tmp, "s-" + name)
        os.makedirs(self.dir)
        self.root = root
        d = self.dir
        cmd = ("stty -g >%s/before; %s; echo $? >%s/rc; stty -g >%s/after; echo SESSION-END; sleep 3600"
               % (d, " ".join(shq(a) for a in args), d, d))
        self.t.start(cmd, x, y, env)

    def file(self, name):
        p = os.path.join(self.dir, name)
        for _ in range(TRIES):
            if os.path.exists(p) and os.path.getsize(p) > 0:
                with open(p) as f:
                    return f.read().strip()
            time.sleep(POLL)
        return None

    def doctor_pid(self):
        sh = self.t.pane_pid()
        for _ in range(TRIES):
            p = subprocess.run(["pgrep", "-P", str(sh)], stdout=subprocess.PIPE)
            pids = [int(x) for x in p.stdout.split()]
            for pid in pids:
                try:
                    with open("/proc/%d/comm" % pid) as f:
                        if f.read().strip() == "rdna1-doctor":
                            return pid
                except OSError:
                    pass
            time.sleep(POLL)
        return None


# ---- the tests --------------------------------------------------------------

def test_screens(a, tmp, roots):
    """Every screen at 80x24, navigation by number keys, Tab, Enter, Esc, j/k."""
    root = roots["seed-broken"]
    s = Session([a.binary, "--root", root, "--state-dir", os.path.join(tmp, "state")], tmp, "screens", root, a.env)
    t = s.t
    compare("overview-80x24", normalize(t.wait(settled, "first inspection"), root))
    t.keys("2")
    compare("findings-80x24", normalize(t.wait(findings_shown, "the findings list"), root))
    t.keys("j")
    sc = t.wait_text(">CRIT kernel.patched-initramfs", "j moves the selection")
    t.keys("k")
    t.wait_text(">CRIT kernel.patched-build", "k moves it back")
    t.keys("Enter")
    compare("finding-detail-80x24", normalize(t.wait_text("Evidence"), root))
    t.keys("Escape")
    t.wait_text("(Enter: evidence and fix)", "Esc returns to the list")
    for key, name, marker in (("3", "recovery", "Plan: 3 steps"),
                              ("5", "selftest", "Press s to run the self-test"),
                              ("6", "history", "No recovery has run on this root"),
                              ("?", "help", "made from the key table")):
        t.keys(key)
        compare("%s-80x24" % name, normalize(t.wait_text(marker, name), root))
    t.keys("Escape")
    t.wait_text("No recovery has run", "Esc leaves help for the screen before")
    # Tab cycles 1..6 and wraps; Shift+Tab goes back
    t.keys("1")
    t.wait_text("Root ")
    for marker in ("(Enter: evidence and fix)", "Plan: 3 steps", "PROFILES", "Press s to run", "No recovery has run", "Root "):
        t.keys("Tab")
        if marker == "PROFILES":  # with or without --profile in this build (test_profiles)
            t.wait(lambda x: "Profiles are not in this build" in x or "(Enter: diff, v: validate, i: install)" in x, "Tab to Profiles")
        else:
            t.wait_text(marker, "Tab to " + marker)
    t.keys("BTab")
    t.wait_text("No recovery has run", "Shift+Tab back")
    # r rescans and comes back to the same verdict
    t.keys("1", "r")
    t.wait(lambda x: "Root " in x and "[inspecting" not in x, "rescan finishes")
    t.keys("q")
    if s.file("rc") != "2":
        fail("q: exit status %r, want 2 (the check's code)" % s.file("rc"))
    if s.file("before") != s.file("after"):
        fail("q: stty -g differs before and after")
    t.kill()


def test_resize(a, tmp, roots):
    root = roots["seed-broken"]
    s = Session([a.binary, "--root", root], tmp, "resize", root, a.env)
    t = s.t
    first = normalize(t.wait(settled, "first inspection"), root)
    t.resize(120, 40)
    compare("overview-120x40", normalize(t.wait(framed(120, lambda x: "Root " in x), "redraw at 120x40"), root))
    t.keys("2", "Enter")
    compare("findings-120x40", normalize(t.wait(framed(120, lambda x: "Evidence" in x), "detail at 120x40"), root))
    t.resize(80, 24)
    t.keys("1")
    back = normalize(t.wait(lambda x: normalize(x, root) == first, "the same 80x24 frame again"), root)
    if back != first:
        import difflib
        fail("80x24 after 120x40 differs from the first 80x24 frame:\n" + "".join(
            difflib.unified_diff(first.splitlines(True), back.splitlines(True), "first", "after", n=1)))
    t.resize(60, 20)
    t.wait_text("needs at least 80x24", "too-small notice")
    t.resize(80, 24)
    t.wait(framed(80, lambda x: "Root " in x), "back from too small")
    t.keys("q")
    s.file("rc")
    t.kill()


def test_igpu(a, tmp, roots):
    """Two GPUs: two cards (side by side from 120 columns)."""
    root = roots["igpu"]
    s = Session([a.binary, "--root", root], tmp, "igpu", root, a.env, 120, 40)
    compare("igpu-120x40", normalize(s.t.wait(settled, "first inspection"), root))
    s.t.keys("q")
    s.file("rc")
    s.t.kill()


def test_selftest(a, tmp, roots):
    """The real helper with the CPU backend under the watchdog; HIP is refused on a fixture root."""
    root = roots["seed-broken"]
    s = Session([a.binary, "--root", root, "--state-dir", os.path.join(tmp, "st-state")], tmp, "selftest", root, a.env)
    t = s.t
    t.wait(settled, "first inspection")
    t.keys("5", "s")
    sc = t.wait_text("Result pass", "CPU self-test result")
    m = re.search(r"(\d+)/(\d+) cases", sc)
    if not m or m.group(1) != m.group(2) or int(m.group(1)) < 3:
        fail("self-test: progress line %r" % (m.group(0) if m else None))
    rows = [l for l in sc.split("\n") if re.match(r"\s+\d+\s+n\d", l)]
    if len(rows) < 3 or not all("[##########] pass" in r for r in rows):
        fail("self-test: result table rows %r" % rows)
    if "Watchdog finished" not in sc or "0 failed, exit 0" not in sc:
        fail("self-test: watchdog state / summary missing:\n" + sc)
    t.keys("b", "s")
    sc = t.wait_text("Result refused", "HIP refusal")
    if "running system only" not in sc:
        fail("HIP refusal does not say why:\n" + sc)
    t.keys("q")
    s.file("rc")
    t.kill()


def doctor_children(pid):
    """The doctor's child processes: the self-test helper and, the doctor
    being its child subreaper, anything of the helper's that outlived it."""
    p = subprocess.run(["pgrep", "-P", str(pid)], stdout=subprocess.PIPE)
    return [int(x) for x in p.stdout.split()]


def test_framework(a, tmp, roots):
    """f: the framework probe with the stand-in torch that hangs from 44x44; Esc cancels the prompt."""
    root = "/"
    # through a link: tmux's command line then does not match tests/cli/selftest.sh's pgrep for survivors
    torch = os.path.join(tmp, "torch-stand-in")
    os.symlink(os.path.join(SRC, "tests", "selftest", "fake-torch"), torch)
    env = dict(a.env, PYTHONPATH=torch, FAKE_TORCH_HANG_FROM="44",
               RDNA1_SELFTEST_CASE_DEADLINE_MS="1500", RDNA1_SELFTEST_NO_PROGRESS_MS="5000")
    # the probe runs on the running system only (as --selftest --framework); the inspection only reads
    os.makedirs(os.path.join(tmp, "fw-state"))  # the hang record stays in it
    # --as-root: root with no invoking user would run the probe as nobody, who
    # reaches neither the stand-in torch nor this host's python3
    s = Session([a.binary, "--as-root", "--state-dir", os.path.join(tmp, "fw-state")], tmp, "framework", root, env)
    t = s.t
    t.wait(settled, "first inspection")
    t.keys("5", "f")
    sc = t.wait_text("Python interpreter: python3", "interpreter prompt")
    t.keys("Escape")
    sc = t.wait_text("Framework probe not started", "prompt cancelled")
    if "Result" in sc:
        fail("framework: Esc started a run:\n" + sc)
    t.keys("f")
    t.wait_text("Python interpreter: python3", "interpreter prompt again")
    t.keys("BSpace", "3", "Enter")
    t.wait_text("Profile (empty: none):", "profile prompt")
    t.keys("Enter")
    sc = t.wait_text("Result hang", "framework probe result")
    if "largest passed 42x42" not in sc or "first failure 44x44: hang" not in sc:
        fail("framework: sizes not shown:\n" + sc)
    if "exit 22" not in sc:
        fail("framework: exit code not shown:\n" + sc)
    pid = s.doctor_pid()
    if pid is None or doctor_children(pid):
        fail("framework: a probe process survived: %r" % (doctor_children(pid) if pid else "no doctor"))
    t.keys("q")
    s.file("rc")
    t.kill()


def test_cancel(a, tmp, roots):
    """c twice stops a running CPU --standard self-test through the watchdog: cancelled, exit 3, nothing left."""
    root = roots["seed-broken"]
    s = Session([a.binary, "--root", root, "--state-dir", os.path.join(tmp, "cancel-state")], tmp, "cancel", root,
                a.env)
    t = s.t
    t.wait(settled, "first inspection")
    t.keys("5", "w", "s")
    t.wait_text("Watchdog running", "a running self-test")
    t.keys("c")
    t.wait_text("c again stops", "cancel asks once more")
    t.keys("c")
    sc = t.wait_text("Result cancelled", "cancelled result")
    if "exit 3" not in sc or "cancelled by the user" not in sc:
        fail("cancel: summary:\n" + sc)
    pid = s.doctor_pid()
    if pid is None or doctor_children(pid):
        fail("cancel: a helper process survived: %r" % (doctor_children(pid) if pid else "no doctor"))
    t.keys("q")
    s.file("rc")
    t.kill()


def colour_sgr(capture):
    """SGR parameters that set a colour (30-38, 40-48, 90-97, 100-107)."""
    found = []
    for params in re.findall(r"\x1b\[([0-9;]*)m", capture):
        for p in params.split(";"):
            if p and (30 <= int(p) <= 38 or 40 <= int(p) <= 48 or 90 <= int(p) <= 107):
                found.append(p)
    return found


def test_no_color(a, tmp, roots):
    root = roots["seed-broken"]
    for nc, want in (("", True), ("1", False)):
        env = dict(a.env, NO_COLOR=nc)
        s = Session([a.binary, "--root", root], tmp, "colour" + nc, root, env)
        s.t.wait(settled, "first inspection")
        s.t.keys("2")
        s.t.wait(findings_shown, "the findings list")
        got = colour_sgr(s.t.capture(colour=True))
        if want and not got:
            fail("no colour without NO_COLOR (the check could not fail)")
        if not want and got:
            fail("NO_COLOR=1: colour escapes %r in the screen" % got[:5])
        s.t.keys("q")
        s.file("rc")
        s.t.kill()


BOX = re.compile("[\u2500-\u257f]")


def test_term_linux(a, tmp, roots):
    """TERM=linux: line drawing through the terminal's ACS (SO/SI), no UTF-8 box glyphs in the bytes written."""
    root = roots["seed-broken"]
    for term, want_acs in (("linux", True), ("screen", False)):
        env = dict(a.env, TERM=term)
        raw = os.path.join(tmp, "raw-" + term)
        t = Tmux(tmp, "acs-" + term)
        t.start("sleep 1; %s --root %s; echo SESSION-END; sleep 3600" % (shq(a.binary), shq(root)), env=env)
        t("pipe-pane", "-t", "t", "-O", "cat >>%s" % shq(raw))
        t.wait(settled, "first inspection (TERM=%s)" % term)
        sc = t.capture(colour=True)
        t.keys("q")
        t.wait_text("SESSION-END", "quit")
        with open(raw, "rb") as f:
            data = f.read().decode("utf-8", "replace")
        if want_acs:
            if BOX.search(data):
                fail("TERM=linux: UTF-8 box glyphs written: %r" % BOX.findall(data)[:5])
            if "\x0e" not in data:
                fail("TERM=linux: no ACS (SO) in the output")
            if "\x0elq" not in sc:  # tmux marks ACS cells with SO in capture -e: a corner and a line
                fail("TERM=linux: tmux shows no ACS line drawing")
        else:
            if not BOX.search(data):
                fail("TERM=screen: expected UTF-8 box glyphs (the TERM=linux check could not fail)")
        t.kill()


def test_term_dumb(a, tmp, roots):
    """On a terminal with TERM=dumb (and with stdout not a terminal) the bare command prints
    the plain check and exits with its code: no curses, no escape sequences."""
    root = roots["seed-broken"]
    for name, env, pipe in (("dumb", dict(a.env, TERM="dumb"), ""), ("pipe", a.env, " | cat")):
        raw = os.path.join(tmp, "raw-" + name)
        rc = os.path.join(tmp, "rc-" + name)
        t = Tmux(tmp, "plain-" + name)
        t.start("sleep 1; { %s --root %s; echo $? >%s; }%s; echo SESSION-END; sleep 3600"
                % (shq(a.binary), shq(root), shq(rc), pipe), env=env)
        t("pipe-pane", "-t", "t", "-O", "cat >>%s" % shq(raw))
        sc = t.wait_text("SESSION-END", "the plain check ends (%s)" % name)
        if not re.search(r"^Verdict: critical \(\d+ critical", sc, re.M):
            fail("%s: no plain check report:\n%s" % (name, sc))
        with open(raw, "rb") as f:
            data = f.read()
        if b"\x1b" in data:
            fail("%s: escape sequences written: %r" % (name, data[data.index(b"\x1b"):][:20]))
        with open(rc) as f:
            got = f.read().strip()
        if got != "2":
            fail("%s: exit status %s, want 2 (the check's)" % (name, got))
        t.kill()


def test_signals(a, tmp, roots):
    """SIGTERM, SIGHUP, SIGINT and a crash (SIGSEGV, SIGABRT): the terminal modes come back."""
    root = roots["seed-broken"]
    for sig, code in (("TERM", 143), ("HUP", 129), ("INT", 130), ("SEGV", 139), ("ABRT", 134)):
        s = Session([a.binary, "--root", root], tmp, "sig" + sig, root, a.env)
        s.t.wait(settled, "first inspection")
        pid = s.doctor_pid()
        if not pid:
            fail("SIG%s: no rdna1-doctor process" % sig)
            s.t.kill()
            continue
        before = s.file("before")
        subprocess.run(["kill", "-" + sig, str(pid)])
        s.t.wait_text("SESSION-END", "exit after SIG" + sig)
        rc = s.file("rc")
        if rc != str(code):
            fail("SIG%s: exit status %s, want %d (the signal re-raised)" % (sig, rc, code))
        if before != s.file("after"):
            fail("SIG%s: stty -g differs: %r -> %r" % (sig, before, s.file("after")))
        s.t.kill()


def test_suspend(a, tmp, roots):
    """^Z in an interactive shell gives back a sane terminal; fg redraws."""
    root = roots["seed-broken"]
    t = Tmux(tmp, "tstp")
    d = os.path.join(tmp, "s-tstp")
    os.makedirs(d)
    t.start("exec bash --norc --noprofile -i", env=dict(a.env, PS1="PROMPT$ "))
    t.wait_text("PROMPT$")
    t.keys("stty -g >%s/before; %s --root %s" % (d, shq(a.binary), shq(root)), "Enter")
    t.wait(settled, "first inspection")
    t.keys("C-z")
    t.wait_text("Stopped", "^Z stops it")
    t.keys("stty -g >%s/after; echo SAVED-$((40+2))" % d, "Enter")
    t.wait_text("SAVED-42")  # not the typed command line
    with open(os.path.join(d, "before")) as f1, open(os.path.join(d, "after")) as f2:
        b1, b2 = f1.read(), f2.read()
        if b1 != b2:
            fail("^Z: stty -g differs while stopped: %r -> %r" % (b1, b2))
    t.keys("fg", "Enter")
    t.wait(lambda x: "Root " in x and "PROMPT$" not in x, "fg redraws the TUI")
    t.keys("q")
    t.wait_text("PROMPT$", "quit after fg")
    t.kill()


def test_hostile(a, tmp, roots):
    """Strings from a hostile root reach the terminal escaped: no raw ESC ] title sequence."""
    root = roots["hostile"]
    raw = os.path.join(tmp, "raw-hostile")
    t = Tmux(tmp, "hostile")
    t.start("sleep 1; %s --root %s; echo SESSION-END; sleep 3600" % (shq(a.binary), shq(root)), env=a.env)
    t("pipe-pane", "-t", "t", "-O", "cat >>%s" % shq(raw))
    t.wait(settled, "first inspection")
    t.keys("2")
    sc = t.wait(findings_shown, "the findings list")
    n = int(re.search(r"^ (\d+) findings?", sc, re.M).group(1))
    seen = ""
    for i in range(n):  # walk every finding's detail; each key waits for the screen it leads to
        t.keys("Enter")
        seen += t.wait_text("Evidence", "the detail of finding %d" % (i + 1))
        t.keys("Escape")
        t.wait(findings_shown, "the list again after finding %d" % (i + 1))
        t.keys("j")
    if "\\x1b]0;pwned\\x07" not in seen.replace("\n", ""):
        fail("hostile: the make.log line with ESC ] ... BEL is not shown escaped")
    t.keys("q")
    t.wait_text("SESSION-END", "quit")
    with open(raw, "rb") as f:
        data = f.read()
    if b"\x1b]0;pwned" in data or b"\x07" in data:
        fail("hostile: a raw OSC/BEL from the root reached the terminal")
    if b"FIXTURE-SHADOW-SECRET" in data:
        fail("hostile: /etc/shadow leaked")
    t.kill()


SEED_MARKER = b"Enabling fine-grained for RDNA1"
KFD = "usr/src/amdgpu-6.16.6-2238411.24.04/amd/amdkfd/kfd_crat.c"


def has_marker(root):
    with open(os.path.join(root, KFD), "rb") as f:
        return SEED_MARKER in f.read()


def test_recovery(a, tmp, roots):
    """A recovery driven from the keyboard (plan, typed yes, live steps, result), the file
    checked afterwards, then its rollback from History."""
    root = roots["recover"]
    state = os.path.join(tmp, "rec-state")
    if not has_marker(root):
        fail("recover fixture: kfd_crat.c is not patched to begin with")
        return
    s = Session([a.binary, "--root", root, "--state-dir", state], tmp, "recovery", root, a.env)
    t = s.t
    t.wait(settled, "first inspection")
    t.keys("3")
    compare("recovery-plan-80x24", normalize(t.wait(lambda x: "Plan: 3 steps" in x and "Preflight:" in x,
                                                    "the plan and its preflight"), root))
    # the preview of the gate: another process holding dpkg's lock is seen before anyone types yes
    os.makedirs(os.path.join(root, "var/lib/dpkg"), exist_ok=True)
    with open(os.path.join(root, "var/lib/dpkg/lock-frontend"), "a") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        t.keys("r")
        t.wait(lambda x: "Preflight would refuse" in x and "dpkg-lock: the dpkg lock is held by process %d" % os.getpid()
               in re.sub(r"\s+", " ", x), "the preview sees the dpkg lock held")
    t.keys("r")
    t.wait(lambda x: "Preflight: " in x and "[inspecting" not in x, "the preview passes once the lock is free")
    t.keys("Enter")
    t.wait_text("Type yes and press Enter", "the confirmation prompt")
    # while typing, q and digits are letters, and a wrong word starts over
    t.keys("q", "6", "Enter")
    t.wait_text("(Esc cancels): _", "a wrong word clears the prompt")
    if not has_marker(root):
        fail("recovery ran without the typed yes")
    t.keys("y", "e", "s")
    t.wait_text("(Esc cancels): yes_")
    t.keys("Enter")
    sc = t.wait_text("[exit 11]", "the recovery's result (partial: kernel side refused on --root)")
    if not re.search(r"1\. restore-file\s+done", sc):
        fail("recovery: restore-file step not shown done:\n" + sc)
    if not re.search(r"dkms-remove\s+failed|dkms-rebuild\s+failed", sc):
        fail("recovery: kernel-side step not shown refused:\n" + sc)
    if has_marker(root):
        fail("recovery: kfd_crat.c still carries the seed patch")
    runs = os.listdir(os.path.join(state, "journal")) if os.path.isdir(os.path.join(state, "journal")) else []
    if len(runs) != 1:
        fail("recovery: want one journal run in the state dir, have %r" % runs)
    t.keys("Enter")  # leave the result: the plan of the new inspection, without the restored file
    t.wait(lambda x: "Plan: " in x and "restore-file" not in x and "[inspecting" not in x, "the new plan")
    t.keys("6")
    t.wait(lambda x: re.search(r"\d{8}-\d{6}\S*\s+partial\s+1/3", x), "History lists the partial run")
    t.keys("Enter", "y", "e", "s", "Enter")
    sc = t.wait_text("Rolled back.", "the rollback's result")
    if "rolled-back" not in sc:
        fail("rollback: steps not shown rolled back:\n" + sc)
    if not has_marker(root):
        fail("rollback: kfd_crat.c was not put back")
    t.keys("q")
    if s.file("rc") not in ("1", "2", "3"):
        fail("recovery session: exit status %r" % s.file("rc"))
    t.kill()


def test_reviewed_plan(a, tmp, roots):
    """The typed yes runs the plan that was on screen (docs/SECURITY.md, 4): alice rewrites her .bashrc while
    the plan that comments out its line is shown; the confirmed recovery is refused and changes nothing."""
    root = os.path.join(tmp, "reviewed")
    os.chmod(tmp, 0o711)  # alice reaches her home in the fixture
    subprocess.run(["cp", "-a", roots["recover"], root], check=True)
    state = os.path.join(tmp, "reviewed-state")
    bashrc = os.path.join(root, "home/alice/.bashrc")
    with open(bashrc, "a") as f:
        f.write("export HSA_OVERRIDE_GFX_VERSION=10.3.0\n")
    s = Session([a.binary, "--root", root, "--state-dir", state], tmp, "reviewed", root, a.env)
    t = s.t
    t.wait(settled, "first inspection")
    t.keys("3")
    t.wait(lambda x: "Plan: 4 steps" in x and "Preflight:" in x and "/home/alice/.bashrc" in x,
           "the plan with alice's line")
    t.keys("Enter")
    t.wait_text("Type yes and press Enter", "the confirmation prompt")
    t.keys("y", "e", "s")
    t.wait_text("(Esc cancels): yes_")
    # alice, while the plan is on screen: the same line now, and one more
    cmd = ["sh", "-c", "printf 'export HSA_OVERRIDE_GFX_VERSION=10.3.0\\nexport LD_PRELOAD=/tmp/x.so\\n' > %s"
           % shq(bashrc)]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=%d" % os.stat(bashrc).st_uid, "--regid=%d" % os.stat(bashrc).st_gid,
               "--clear-groups", "--"] + cmd
    subprocess.run(cmd, check=True)
    t.keys("Enter")
    sc = t.wait_text("[exit 12]", "the refusal")
    if "changed since the plan was shown" not in sc:
        fail("reviewed plan: the refusal does not say why:\n" + sc)
    with open(bashrc) as f:
        if f.read() != "export HSA_OVERRIDE_GFX_VERSION=10.3.0\nexport LD_PRELOAD=/tmp/x.so\n":
            fail("reviewed plan: alice's .bashrc was changed by the refused run")
    if not has_marker(root):
        fail("reviewed plan: kfd_crat.c was restored by the refused run")
    if os.path.isdir(os.path.join(state, "journal")) and os.listdir(os.path.join(state, "journal")):
        fail("reviewed plan: the refused run started a journal")
    t.keys("q")
    s.file("rc")
    if os.path.isdir(os.path.join(state, "reviewed")) and os.listdir(os.path.join(state, "reviewed")):
        fail("reviewed plan: the stored plan was left behind: %s" % os.listdir(os.path.join(state, "reviewed")))
    t.kill()


def tree_digest(root):
    """Every entry under root: its type, mode and content (a link's target), by path."""
    out = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            st = os.lstat(p)
            if os.path.islink(p):
                what = "link:" + os.readlink(p)
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    what = hashlib.sha256(f.read()).hexdigest()
            else:
                what = "dir" if os.path.isdir(p) else "other"
            out[os.path.relpath(p, root)] = (st.st_mode, what)
    return out


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def test_demo(a, tmp, roots):
    """--demo: recovery, rollback and a profile install from the keyboard work on a fresh
    private copy (STATE/demo/root); the view follows the copy; the installed demo is never
    written."""
    if "RDNA1_DOCTOR_DATADIR" not in a.env:
        fail("demo: RDNA1_DOCTOR_DATADIR is not set (the build's data dir holds the demo)")
        return
    demo = os.path.join(a.env["RDNA1_DOCTOR_DATADIR"], "demo")
    before = tree_digest(demo)
    state = os.path.join(tmp, "demo-state")
    copy = os.path.join(state, "demo", "root")
    preload = "etc/ld.so.preload"
    s = Session([a.binary, "--demo", "--state-dir", state], tmp, "demo", demo, a.env)
    t = s.t
    t.wait(lambda x: settled(x) and root_shown(x, demo, "  (demo: writes go to a private copy)"), "the demo, read-only")
    t.keys("3")
    t.wait_text("Enter: apply the plan to a fresh private copy of the demo", "the demo's plan")
    t.keys("Enter", "y", "e", "s", "Enter")
    sc = t.wait(lambda x: re.search(r"\[exit \d+\]", x), "the demo recovery's result")
    if not re.search(r"disable-env-line\s+done\s+/etc/ld\.so\.preload", sc):
        fail("demo recovery: /etc/ld.so.preload not shown done:\n" + sc)
    if not os.path.isfile(os.path.join(copy, preload)):
        fail("demo recovery: no private copy at " + copy)
        t.kill()
        return
    if read_bytes(os.path.join(copy, preload)) == read_bytes(os.path.join(demo, preload)):
        fail("demo recovery: the copy's /etc/ld.so.preload was not changed")
    t.keys("Enter", "1")
    t.wait(lambda x: root_shown(x, copy, "  (the demo's private copy)") and "[inspecting" not in x,
           "the view on the private copy")
    t.keys("6")
    t.wait(lambda x: "Recoveries of the demo's private copy" in x and re.search(r"\d{8}-\d{6}\S*\s+partial", x),
           "History lists the copy's run")
    t.keys("Enter", "y", "e", "s", "Enter")
    t.wait_text("Rolled back.", "the rollback on the copy")
    if read_bytes(os.path.join(copy, preload)) != read_bytes(os.path.join(demo, preload)):
        fail("demo rollback: the copy's /etc/ld.so.preload was not put back")
    t.keys("q")
    s.file("rc")
    t.kill()

    # installed under a long path, the root loses its start and the demo's tag stays whole
    deep = os.path.join(tmp, "an-installed-data-directory-deep-enough-to-push-the-root-line-past-80-columns")
    shutil.copytree(a.env["RDNA1_DOCTOR_DATADIR"], deep, symlinks=True)
    s = Session([a.binary, "--demo", "--state-dir", os.path.join(tmp, "demo-state-deep")], tmp, "demo-deep",
                os.path.join(deep, "demo"), dict(a.env, RDNA1_DOCTOR_DATADIR=deep))
    s.t.wait(lambda x: settled(x) and root_shown(x, os.path.join(deep, "demo"), "  (demo: writes go to a private copy)"),
             "a long demo path, its start elided")
    s.t.keys("q")
    s.file("rc")
    s.t.kill()

    # a profile install from the read-only view makes the copy too
    state2 = os.path.join(tmp, "demo-state2")
    copy2 = os.path.join(state2, "demo", "root")
    s = Session([a.binary, "--demo", "--state-dir", state2], tmp, "demo-profile", demo, a.env)
    t = s.t
    t.wait(settled, "the demo, read-only")
    t.keys("4")
    sc = t.wait(lambda x: re.search(r"^\s*\d+ profiles?", x, re.M), "the demo's profiles")
    m = re.search(r"^ (\S+)\s+gfx", sc, re.M)
    if not m:
        fail("demo profiles: none listed:\n" + sc)
    else:
        t.keys("i", "y", "e", "s", "Enter")
        t.wait_text("--profile install %s: exit 0" % m.group(1), "the profile installed on the copy")
        if not os.path.isfile(os.path.join(copy2, "etc/profile.d/rdna1-doctor.sh")):
            fail("demo profile install: no /etc/profile.d/rdna1-doctor.sh in the copy")
        t.keys("1")
        t.wait(lambda x: root_shown(x, copy2, "  (the demo's private"), "the view on the profile's copy")
    t.keys("q")
    s.file("rc")
    t.kill()
    if tree_digest(demo) != before:
        fail("demo: the installed demo was written to")


def test_overview(a, tmp, roots):
    """The first screen says what is wrong and which key acts, most serious first, at 80x24:
    on the demo (critical and warnings), a clean root, a root with only warnings."""
    if "RDNA1_DOCTOR_DATADIR" not in a.env:
        fail("overview: RDNA1_DOCTOR_DATADIR is not set (the build's data dir holds the demo)")
        return
    # the demo from a data directory whose path has the same length in every build
    data = os.path.join(tmp, "data")
    shutil.copytree(a.env["RDNA1_DOCTOR_DATADIR"], data, symlinks=True)
    demo = os.path.join(data, "demo")
    cases = [("overview-demo-80x24", [a.binary, "--demo", "--state-dir", os.path.join(tmp, "ov-demo")], demo,
              dict(a.env, RDNA1_DOCTOR_DATADIR=data))]
    for sc in ("clean", "python-leftovers"):
        root = os.path.join(tmp, "ov-" + sc)
        gen_root(sc, root)
        cases.append(("overview-%s-80x24" % sc, [a.binary, "--root", root, "--state-dir", root + ".state"], root, a.env))
    for name, args, root, env in cases:
        s = Session(args, tmp, name, root, env)
        sc = s.t.wait(lambda x: settled(x) and "What is wrong" in x, name)
        compare(name, normalize(sc, root))
        s.t.keys("q")
        s.file("rc")
        s.t.kill()
    demo_screen = open(os.path.join(GOLDEN, "overview-demo-80x24.txt")).read()
    if demo_screen.find("The running amdgpu is a patched build") > demo_screen.find("HSA_OVERRIDE_GFX_VERSION"):
        fail("overview: the running patched driver is not listed before the environment override")
    if "3: plan the repair" not in demo_screen:
        fail("overview: the demo's screen does not name the key that plans the repair")


def test_profiles(a, tmp, roots):
    """Profiles through the command line's --profile: the same list, diff and validation as
    the CLI gives; a build without --profile says so."""
    root = roots["seed-broken"]
    env = dict(os.environ, **a.env)
    cli = subprocess.run([a.binary, "--root", root, "--profile", "list", "--json"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    s = Session([a.binary, "--root", root, "--state-dir", os.path.join(tmp, "prof-state")], tmp, "profiles", root,
                a.env)
    t = s.t
    t.wait(settled, "first inspection")
    t.keys("4")
    if cli.returncode == 64:
        compare("profiles-unavailable-80x24", normalize(t.wait_text("not in this build"), root))
    else:
        names = [p["name"] for p in json.loads(cli.stdout)["profiles"]]
        sc = t.wait_text("%d profile" % len(names), "the profile list")
        for n in names[:8]:
            if n not in sc:
                fail("profiles: %s not listed:\n%s" % (n, sc))
        # Enter: --profile diff; v: --profile validate. Each shows the CLI's own exit status and first line.
        for key, sub in (("Enter", "diff"), ("v", "validate")):
            if not names:
                break
            cli = subprocess.run([a.binary, "--root", root, "--profile", sub, names[0]], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            first = (cli.stdout or cli.stderr).decode(errors="replace").split("\n")[0][:40]
            t.keys(key)
            sc = t.wait_text("--profile %s %s: exit %d" % (sub, names[0], cli.returncode), "the %s's result" % sub)
            if first and first not in sc.replace("\n", " "):
                fail("profiles: %s does not show the CLI's first line %r:\n%s" % (sub, first, sc))
    t.keys("q")
    s.file("rc")
    t.kill()


TESTS = [test_screens, test_resize, test_igpu, test_selftest, test_framework, test_cancel, test_no_color, test_term_linux, test_term_dumb, test_signals,
         test_suspend, test_hostile, test_recovery, test_reviewed_plan, test_demo, test_profiles, test_overview]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--helper", required=True)
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    if not shutil.which("tmux"):
        skip("tmux is not installed")
    a.binary = os.path.abspath(a.binary)
    a.env = {"RDNA1_SELFTEST_HELPER": os.path.abspath(a.helper), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
             "TERM": "screen"}
    if os.environ.get("RDNA1_DOCTOR_DATADIR"):
        a.env["RDNA1_DOCTOR_DATADIR"] = os.environ["RDNA1_DOCTOR_DATADIR"]
    tmp = tempfile.mkdtemp(prefix="rdna1-tui.", dir="/tmp")
    try:
        roots = {}
        for sc in ("seed-broken", "igpu", "hostile", "recover"):
            roots[sc] = os.path.join(tmp, sc)
            gen_root(sc, roots[sc])
        for test in TESTS:
            if a.only and test.__name__[5:] not in a.only:
                continue
            print("# " + test.__name__)
            n = len(failures)
            try:
                test(a, tmp, roots)
            except Exception as e:  # a broken tmux call is a failure, not a crash of the suite
                fail("%s: %r" % (test.__name__, e))
            print("ok " + test.__name__ if len(failures) == n else "not ok " + test.__name__)
    finally:
        for name in os.listdir(tmp):
            if name.startswith("tmux-"):
                subprocess.run(["tmux", "-S", os.path.join(tmp, name), "kill-server"], stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok tui")
    return 0


if __name__ == "__main__":
    sys.exit(main())
