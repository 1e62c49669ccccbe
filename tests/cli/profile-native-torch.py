#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A native profile warns, before the command runs, when the interpreter's torch has no code for the GPU.

    profile-native-torch.py BINARY LIBDIR

LIBDIR holds the HIP libraries Debian's hipcc built for the unit tests
(libfixture-gfx1030.so, libfixture-gfx1010-gfx1030.so: real offload bundles).
Real venvs (python3 -m venv) get a torch tree whose libtorch_hip.so is one of
them; `exec --profile gfx1010-native -- VENV/bin/python3` and
`--selftest --framework VENV/bin/python3` on generated roots must:
- gfx1010 root, gfx1030-only torch: warn on stderr, naming gfx1010, the
  targets the torch carries and its version, before the command's output;
  the command still runs (exit 0);
- gfx1010 root, gfx1010+gfx1030 torch: no warning;
- navi14 root (gfx1012): the same gfx1010+gfx1030 torch gets the warning for gfx1012;
- a CPU build of torch, a command that is no Python interpreter: no warning;
- --selftest --framework: the warning without an override in the environment,
  none with HSA_OVERRIDE_GFX_VERSION set and --as-root (the GPU does not run natively then;
  as nobody the probe gets exec's clean environment, without it).
Exit 0 pass, 1 fail, 77 skip (no hipcc at build time and CI is not true).
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import fail, skip, gen_root  # noqa: E402

WARN = "rdna1-doctor: warning: "


def make_venv(tmp, name, version, hip, lib):
    venv = os.path.join(tmp, name)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    libdir = os.path.join(venv, "lib")
    site = os.path.join(libdir, [d for d in os.listdir(libdir) if d.startswith("python3.")][0], "site-packages")
    os.makedirs(os.path.join(site, "torch", "lib"))
    with open(os.path.join(site, "torch", "version.py"), "w") as f:
        f.write("__version__ = '%s'\nhip: Optional[str] = %s\n" % (version, "'%s'" % hip if hip else "None"))
    if lib:
        shutil.copyfile(lib, os.path.join(site, "torch", "lib", "libtorch_hip.so"))
    return os.path.join(venv, "bin", "python3")


def run(cmd, extra_env=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
           "RDNA1_DOCTOR_DATADIR": os.environ.get("RDNA1_DOCTOR_DATADIR", "")}
    env.update(extra_env or {})
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    binary = os.path.abspath(sys.argv[1])
    libdir = sys.argv[2] if len(sys.argv) > 2 else ""
    if not libdir or not os.path.exists(os.path.join(libdir, "libfixture-gfx1030.so")):
        skip("no HIP fixture libraries (Debian's hipcc was not found at build time)")
    tmp = tempfile.mkdtemp(prefix="rdna1-native-")
    problems = []
    as_root = ["--as-root"] if os.geteuid() == 0 else []
    try:
        os.chmod(tmp, 0o755)
        old = make_venv(tmp, "rocm57", "2.2.2+rocm5.7", "5.7.31921-d1770ee1b",
                        os.path.join(libdir, "libfixture-gfx1030.so"))
        both = make_venv(tmp, "gfx1010", "2.4.1", "6.1.40093-e774eb382",
                         os.path.join(libdir, "libfixture-gfx1010-gfx1030.so"))
        cpu = make_venv(tmp, "cpu", "2.4.1+cpu", None, None)
        gfx1010 = os.path.join(tmp, "gfx1010-root")
        gen_root("clean", gfx1010)
        navi14 = os.path.join(tmp, "navi14-root")
        gen_root("navi14", navi14)

        def exec_(root, py, args=("-c", "print('the command ran')")):
            return run([binary, "exec"] + as_root + ["--root", root, "--profile", "gfx1010-native", "--", py] +
                       list(args))

        code, out = exec_(gfx1010, old)
        lines = out.splitlines()
        warn = [i for i, l in enumerate(lines) if l.startswith(WARN)]
        ran = [i for i, l in enumerate(lines) if l == "the command ran"]
        if code != 0 or not ran:
            problems.append("gfx1030-only torch: the command did not run (exit %d):\n%s" % (code, out))
        if len(warn) != 1:
            problems.append("gfx1030-only torch on gfx1010: %d warnings, want 1:\n%s" % (len(warn), out))
        else:
            w = lines[warn[0]]
            for need in ("no GPU code for gfx1010", "carries gfx1030", "2.2.2+rocm5.7", "5.7.31921-d1770ee1b",
                         "'gfx1010-native'", "python.no-native-code", os.path.dirname(os.path.dirname(old))):
                if need not in w:
                    problems.append("warning lacks %r: %s" % (need, w))
            if ran and warn[0] > ran[0]:
                problems.append("the warning came after the command's output:\n%s" % out)

        code, out = exec_(gfx1010, both)
        if WARN in out or code != 0:
            problems.append("gfx1010+gfx1030 torch on gfx1010: exit %d, output:\n%s" % (code, out))
        code, out = exec_(navi14, both)
        if "no GPU code for gfx1012" not in out:
            problems.append("gfx1010+gfx1030 torch on gfx1012: no warning for gfx1012:\n%s" % out)
        code, out = exec_(gfx1010, cpu)
        if WARN in out:
            problems.append("CPU torch: warned:\n%s" % out)
        code, out = run([binary, "exec"] + as_root + ["--root", gfx1010, "--profile", "gfx1010-native", "--",
                                                      "/bin/true"])
        if WARN in out or code != 0:
            problems.append("/bin/true: exit %d, output:\n%s" % (code, out))

        # the framework probe: refused on a fixture root, but the warning comes first
        sel = [binary, "--root", gfx1010, "--state-dir", os.path.join(tmp, "state"), "--selftest", "--framework", old]
        code, out = run(sel)
        if "no GPU code for gfx1010" not in out:
            problems.append("--selftest --framework: no warning:\n%s" % out)
        # (as root: the probe as nobody would get exec's clean environment, without the override)
        code, out = run(sel + ["--as-root"], {"HSA_OVERRIDE_GFX_VERSION": "10.3.0"})
        if WARN in out:
            problems.append("--selftest --framework with the override set: warned about native code:\n%s" % out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        fail("\n".join(problems))
    print("ok: native profiles warn when the interpreter's torch lacks the GPU's code")


if __name__ == "__main__":
    main()
