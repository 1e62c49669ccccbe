#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Does a Python environment's torch carry GPU code for the card? On the real binary.

    torch-coverage.py BINARY LIBDIR

LIBDIR holds the small HIP libraries Debian's hipcc built for the unit tests
(libfixture-gfx1030.so, libfixture-gfx1010-gfx1030.so: real offload bundles).
On generated roots (clean: RX 5600 XT, gfx1010; navi14: RX 5500 XT, gfx1012):
- the system's dist-packages get torch 2.2.2+rocm5.7 whose libtorch_hip.so is
  the gfx1030-only library; alice's venv gets a torch built for gfx1010+gfx1030;
  another venv a CPU build (no hip line), which is not judged;
- gfx1010: python.no-native-code (warning) names the system torch, python.native-code
  (info) alice's; gfx1012: both lack code, no python.native-code;
- with HSA_OVERRIDE_GFX_VERSION=10.3.0 in /etc/environment, no-native-code is critical;
- the fixes of device.rdna1 and env.override-gfx pair "remove the override" with
  what then runs in each environment, for the card's own target (gfx1012 on Navi 14),
  and python.no-native-code's fix names PYTORCH_ROCM_ARCH=<that target>;
- a cut libtorch_hip.so is a reason, not a crash and not a finding;
- beside the system torch, torchvision 0.17.2+rocm5.7 (_C.so: the gfx1030-only library) and the
  wheel's bundled hipBLASLt kernels and MIOpen databases (file names for gfx1030 and gfx90a) are
  named in its evidence; alice's venv gets bitsandbytes' libbitsandbytes_rocm62.so (gfx1010+gfx1030),
  evidence of python.native-code; its CUDA library (libbitsandbytes_cuda121.so) is not read;
- the system torch's own bundled ROCm libraries (hipcc-built, differing targets) are read as well, each
  its own evidence line: libamdhip64.so (gfx900; libamdhip64.so.6, a link to it, is judged once),
  librocblas.so (gfx1010+gfx1030), libMIOpen.so (gfx1012), libhipblaslt.so (cut: a reason in the
  evidence, no crash), libhipblaslt.so.0 (an ELF64 file without device code); its rocblas/library names gfx1010 (Kernels.so-000-gfx1010.hsaco) but has a
  Tensile GEMM library for gfx1030 only, and the evidence says both;
- triton 3.0.0 beside the system torch: its version (read from triton/__init__.py, never run) and
  that its AMD backend compiles kernels at run time, in the same finding's evidence;
- bounded: with 90 bundled libraries in three venvs, exactly 64 are read in one run (the scan cache
  in --state-dir holds one entry per library read).
Exit 0 pass, 1 fail, 77 skip (no hipcc at build time and CI is not true).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import fail, skip, gen_root  # noqa: E402

SYS_SITE = "usr/lib/python3/dist-packages"
VENV = "home/alice/venvs/rocm61"
VENV_SITE = VENV + "/lib/python3.11/site-packages"
CPU_SITE = "home/alice/venvs/cpu/lib/python3.11/site-packages"

VERSION_PY = """from typing import Optional

__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']
__version__ = '%s'
debug = False
cuda: Optional[str] = None
git_version = '0000000000000000000000000000000000000000'
hip: Optional[str] = %s
"""


def run(cmd):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("SUDO_UID", None)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def put_torch(root, site, version, hip, lib, owner):
    d = os.path.join(root, site, "torch")
    os.makedirs(os.path.join(d, "lib"), exist_ok=True)
    with open(os.path.join(d, "version.py"), "w") as f:
        f.write(VERSION_PY % (version, "'%s'" % hip if hip else "None"))
    with open(os.path.join(d, "__init__.py"), "w") as f:
        f.write("from torch._C import *\n")
    if lib:
        shutil.copyfile(lib, os.path.join(d, "lib", "libtorch_hip.so"))
    if owner is not None:
        top = os.path.join(root, site.split("/lib/")[0])
        with open(os.path.join(top, "pyvenv.cfg"), "w") as f:
            f.write("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n")
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, "home/alice/venvs")):
            for n in dirnames + filenames:
                os.lchown(os.path.join(dirpath, n), owner, owner)
        os.lchown(os.path.join(root, "home/alice/venvs"), owner, owner)


def put_companions(root, libdir, owner):
    sys_torch = os.path.join(root, SYS_SITE, "torch")
    for rel in ("lib/hipblaslt/library/TensileLibrary_HH_SS_Bias_gfx1030.co",
                "lib/hipblaslt/library/TensileLibrary_HH_SS_Bias_gfx90a.co",
                "share/miopen/db/gfx1030_36.db", "share/miopen/db/gfx90a_6e.db"):
        os.makedirs(os.path.dirname(os.path.join(sys_torch, rel)), exist_ok=True)
        open(os.path.join(sys_torch, rel), "wb").close()
    tv = os.path.join(root, SYS_SITE, "torchvision")
    os.makedirs(tv)
    with open(os.path.join(tv, "version.py"), "w") as f:
        f.write("__version__ = '0.17.2+rocm5.7'\ngit_version = '0'\nfrom torchvision.extension import _check_cuda_version\n")
    shutil.copyfile(os.path.join(libdir, "libfixture-gfx1030.so"), os.path.join(tv, "_C.so"))
    bnb = os.path.join(root, VENV_SITE, "bitsandbytes")
    os.makedirs(bnb)
    shutil.copyfile(os.path.join(libdir, "libfixture-gfx1010-gfx1030.so"), os.path.join(bnb, "libbitsandbytes_rocm62.so"))
    with open(os.path.join(bnb, "libbitsandbytes_cuda121.so"), "wb") as f:
        f.write(b"not read")
    for dirpath, dirnames, filenames in os.walk(bnb):
        for n in [""] + dirnames + filenames:
            os.lchown(os.path.join(dirpath, n), owner, owner)


def put_bundled(root, libdir, binary):
    """The system torch's bundled ROCm libraries, per-target rocBLAS files and triton."""
    lib = os.path.join(root, SYS_SITE, "torch/lib")
    for name, src in (("libamdhip64.so", "gfx900"), ("librocblas.so", "gfx1010-gfx1030"),
                      ("libMIOpen.so", "gfx1012"), ("libhipblaslt.so", "gfx1030")):
        shutil.copyfile(os.path.join(libdir, "libfixture-%s.so" % src), os.path.join(lib, name))
    os.symlink("libamdhip64.so", os.path.join(lib, "libamdhip64.so.6"))
    # an ELF64 file without a .hip_fatbin section (this doctor's own binary)
    shutil.copyfile(binary, os.path.join(lib, "libhipblaslt.so.0"))
    with open(os.path.join(lib, "libhipblaslt.so"), "r+b") as f:
        f.truncate(3000)  # the ELF header says more than the file holds
    blas = os.path.join(lib, "rocblas/library")
    os.makedirs(blas)
    for n in ("TensileLibrary_lazy_gfx1030.dat", "TensileLibrary_Type_HH_Contraction_gfx1030.co",
              "Kernels.so-000-gfx1010.hsaco", "Kernels.so-000-gfx1030.hsaco", "TensileLibrary.dat"):
        open(os.path.join(blas, n), "wb").close()
    tr = os.path.join(root, SYS_SITE, "triton")
    os.makedirs(tr)
    with open(os.path.join(tr, "__init__.py"), "w") as f:
        f.write("# isort:skip_file\n__version__ = \"3.0.0\"\n\nimport os\n")


def findings(doc, fid):
    return [f for f in doc["findings"] if f["id"] == fid]


def paths(doc, fid):
    return sorted({e["path"] for f in findings(doc, fid) for e in f["evidence"] if e.get("path")})


def make_root(tmp, name, base, libdir, binary):
    root = os.path.join(tmp, name)
    gen_root(base, root)
    owner = os.stat(os.path.join(root, "home/alice")).st_uid
    put_torch(root, SYS_SITE, "2.2.2+rocm5.7", "5.7.31921-d1770ee1b", os.path.join(libdir, "libfixture-gfx1030.so"),
              None)
    put_torch(root, VENV_SITE, "2.4.1", "6.1.40093-e774eb382", os.path.join(libdir, "libfixture-gfx1010-gfx1030.so"),
              owner)
    put_torch(root, CPU_SITE, "2.4.1+cpu", None, None, owner)
    put_companions(root, libdir, owner)
    put_bundled(root, libdir, binary)
    return root


BUNDLED_PER_RUN = 64  # ROCM_COVERAGE_LIBS_MAX


def check_bound(tmp, binary, libdir, problems):
    """Three venvs of 30 bundled libraries each: 64 of the 90 are read, no more."""
    root = os.path.join(tmp, "bound")
    gen_root("clean", root)
    owner = os.stat(os.path.join(root, "home/alice")).st_uid
    for v in range(3):
        site = "home/alice/venvs/b%d/lib/python3.11/site-packages" % v
        put_torch(root, site, "2.4.1", "6.1.40093-e774eb382", os.path.join(libdir, "libfixture-gfx1030.so"), None)
        for n in range(30):
            shutil.copyfile(os.path.join(libdir, "libfixture-gfx900.so"),
                            os.path.join(root, site, "torch/lib/libamdhip64.so.6.0.%d" % n))
        # again with the owner: the venv's pyvenv.cfg, and alice owns all of it
        put_torch(root, site, "2.4.1", "6.1.40093-e774eb382", None, owner)
    state = os.path.join(tmp, "bound-state")
    os.makedirs(state)
    code, out, err = run([binary, "--root", root, "--state-dir", state, "--json"])
    if code not in (0, 1, 2):
        problems.append("bound: exit %d\n%s" % (code, err[-2000:]))
        return
    with open(os.path.join(state, "ko-scan.cache")) as f:
        keys = json.load(f)["entries"].keys()
    read = [k for k in keys if re.search(r"^gpucode:.*/torch/lib/libamdhip64\.so\.6\.0\.\d+$", k)]
    if len(read) != BUNDLED_PER_RUN:
        problems.append("bound: %d bundled libraries read in one run, want %d" % (len(read), BUNDLED_PER_RUN))


def main():
    binary = os.path.abspath(sys.argv[1])
    libdir = sys.argv[2] if len(sys.argv) > 2 else ""
    if not libdir or not os.path.exists(os.path.join(libdir, "libfixture-gfx1030.so")):
        skip("no HIP fixture libraries (Debian's hipcc was not found at build time)")
    tmp = tempfile.mkdtemp(prefix="rdna1-torch-")
    problems = []
    sys_lib = "/" + SYS_SITE + "/torch/lib/libtorch_hip.so"
    sys_libdir = "/" + SYS_SITE + "/torch/lib/"
    bundled = [sys_libdir + n for n in ("libamdhip64.so", "librocblas.so", "libMIOpen.so", "libhipblaslt.so",
                                        "libhipblaslt.so.0")]
    triton = "/" + SYS_SITE + "/triton/__init__.py"
    venv_lib = "/" + VENV_SITE + "/torch/lib/libtorch_hip.so"
    try:
        os.chmod(tmp, 0o755)
        # gfx1010
        root = make_root(tmp, "gfx1010", "clean", libdir, binary)
        code, out, err = run([binary, "--root", root, "--json"])
        doc = json.loads(out)
        tv_lib = "/" + SYS_SITE + "/torchvision/_C.so"
        bnb_lib = "/" + VENV_SITE + "/bitsandbytes/libbitsandbytes_rocm62.so"
        want = sorted([sys_lib, tv_lib, triton] + bundled)
        if paths(doc, "python.no-native-code") != want:
            problems.append("gfx1010: no-native-code on %s, want %s" % (paths(doc, "python.no-native-code"), want))
        if paths(doc, "python.native-code") != sorted([venv_lib, bnb_lib]):
            problems.append("gfx1010: native-code on %s, want %s" % (paths(doc, "python.native-code"),
                                                                      [venv_lib, bnb_lib]))
        ev = {}
        for f in doc["findings"]:
            for e in f["evidence"]:
                if e.get("path"):
                    ev[e["path"]] = ev.get(e["path"], "") + " | " + e.get("detail", "")
        for path, need in ((sys_lib, "bundled hipBLASLt kernels for gfx1030 gfx90a"),
                           (sys_lib, "bundled MIOpen databases for gfx1030 gfx90a"),
                           (tv_lib, "torchvision 0.17.2+rocm5.7: has no code for gfx1010; its GPU code covers gfx1030"),
                           (bnb_lib, "bitsandbytes (libbitsandbytes_rocm62.so): has code for gfx1010"),
                           (bundled[0], "torch 2.2.2+rocm5.7 bundles libamdhip64.so: has no code for gfx1010; "
                                        "its own GPU code (.hip_fatbin) covers gfx900"),
                           (bundled[1], "torch 2.2.2+rocm5.7 bundles librocblas.so: has code for gfx1010; "
                                        "its own GPU code (.hip_fatbin) covers gfx1010 gfx1030; this is the "
                                        "library's own code"),
                           (bundled[2], "torch 2.2.2+rocm5.7 bundles libMIOpen.so: has no code for gfx1010; "
                                        "its own GPU code (.hip_fatbin) covers gfx1012"),
                           (bundled[3], "torch 2.2.2+rocm5.7 bundles libhipblaslt.so: its GPU code could not "
                                        "be read: "),
                           (bundled[4], "torch 2.2.2+rocm5.7 bundles libhipblaslt.so.0: no code for gfx1010; it "
                                        "has no GPU code of its own (no .hip_fatbin section)"),
                           (sys_lib, "bundled rocBLAS kernels for gfx1010 gfx1030 (by file name; Tensile GEMM "
                                     "libraries for gfx1030)"),
                           (triton, "triton 3.0.0 beside this torch: no prebuilt GPU code to judge; its AMD "
                                    "backend compiles each kernel at run time")):
            if need not in ev.get(path, ""):
                problems.append("gfx1010: evidence of %s lacks %r: %r" % (path, need, ev.get(path)))
        for f in findings(doc, "python.no-native-code"):
            if f["severity"] != "warning":
                problems.append("gfx1010 without an override: severity %s, want warning" % f["severity"])
            detail = " ".join(e.get("detail", "") for e in f["evidence"])
            for need in ("2.2.2+rocm5.7", "5.7.31921-d1770ee1b", "gfx1030", "gfx1010"):
                if need not in detail:
                    problems.append("gfx1010: evidence %r lacks %r" % (detail, need))
            for need in ("PYTORCH_ROCM_ARCH", "TheRock", "HSA_OVERRIDE_GFX_VERSION"):
                if need not in f["fix"]:
                    problems.append("gfx1010: fix text lacks %r" % need)
            for need in ("PYTORCH_ROCM_ARCH=gfx1010", "is not one of them"):
                if need not in f["fix"]:
                    problems.append("gfx1010: fix text lacks %r" % need)
        sys_env = "/" + SYS_SITE
        venv_env = "/" + VENV_SITE
        pairing = ["the torch in %s has no gfx1010 code: without the override it cannot use the GPU" % sys_env,
                   "the torch in %s has gfx1010 code: it runs natively" % venv_env]
        for f in findings(doc, "device.rdna1"):
            for need in pairing:
                if need not in f["fix"]:
                    problems.append("gfx1010: device.rdna1 fix lacks %r: %s" % (need, f["fix"]))
        if not findings(doc, "device.rdna1"):
            problems.append("gfx1010: no device.rdna1")
        for f in findings(doc, "python.native-code"):
            if f["severity"] != "info":
                problems.append("native-code severity %s, want info" % f["severity"])
        if code != 1:
            problems.append("gfx1010: exit %d, want 1 (warnings)\n%s" % (code, err[-2000:]))

        # the same with the override reaching every login (/etc/environment)
        with open(os.path.join(root, "etc/environment"), "a") as f:
            f.write("HSA_OVERRIDE_GFX_VERSION=10.3.0\n")
        code, out, err = run([binary, "--root", root, "--json"])
        doc = json.loads(out)
        sev = [f["severity"] for f in findings(doc, "python.no-native-code")]
        if sev != ["critical"]:
            problems.append("gfx1010 with the override: severities %s, want [critical]" % sev)
        if not findings(doc, "env.override-gfx"):
            problems.append("gfx1010 with the override: no env.override-gfx")
        if code != 2:
            problems.append("gfx1010 with the override: exit %d, want 2" % code)
        for f in findings(doc, "env.override-gfx"):
            for need in pairing:
                if need not in f["fix"]:
                    problems.append("gfx1010: env.override-gfx fix lacks %r: %s" % (need, f["fix"]))

        # a cut libtorch_hip.so: a reason, no finding for it, no crash
        with open(os.path.join(root, SYS_SITE, "torch/lib/libtorch_hip.so"), "r+b") as f:
            f.truncate(4000)
        code, out, err = run([binary, "--root", root, "--json"])
        doc = json.loads(out)
        if sys_lib in paths(doc, "python.no-native-code"):
            problems.append("cut library: still judged")
        if "/" + SYS_SITE + "/torchvision/_C.so" not in paths(doc, "python.no-native-code"):
            problems.append("cut libtorch_hip.so: torchvision beside it no longer judged")
        if code not in (0, 1, 2, 3):
            problems.append("cut library: exit %d" % code)
        # a reason that does not make the result partial: shown with --verbose
        code, text, err = run([binary, "--root", root, "--verbose"])
        if sys_lib + ": device code not readable" not in text:
            problems.append("cut library: no reason names it in --verbose:\n%s" % text[-3000:])

        # gfx1012 (Navi 14): neither torch has code for it
        root = make_root(tmp, "gfx1012", "navi14", libdir, binary)
        code, out, err = run([binary, "--root", root, "--json"])
        doc = json.loads(out)
        want = sorted([sys_lib, venv_lib, "/" + SYS_SITE + "/torchvision/_C.so",
                       "/" + VENV_SITE + "/bitsandbytes/libbitsandbytes_rocm62.so", triton] + bundled)
        if paths(doc, "python.no-native-code") != want:
            problems.append("gfx1012: no-native-code on %s, want %s" % (paths(doc, "python.no-native-code"), want))
        ev = {}
        for f in findings(doc, "python.no-native-code"):
            for e in f["evidence"]:
                if e.get("path"):
                    ev[e["path"]] = ev.get(e["path"], "") + " | " + e.get("detail", "")
        for path, need in ((bundled[1], "bundles librocblas.so: has no code for gfx1012; its own GPU code "
                                        "(.hip_fatbin) covers gfx1010 gfx1030"),
                           (bundled[2], "bundles libMIOpen.so: has code for gfx1012; its own GPU code "
                                        "(.hip_fatbin) covers gfx1012"),
                           (triton, "triton 3.0.0 beside this torch")):
            if need not in ev.get(path, ""):
                problems.append("gfx1012: evidence of %s lacks %r: %r" % (path, need, ev.get(path)))
        if findings(doc, "python.native-code"):
            problems.append("gfx1012: python.native-code raised")
        detail = " ".join(e.get("detail", "") for f in findings(doc, "python.no-native-code") for e in f["evidence"])
        if "no code for gfx1012" not in detail:
            problems.append("gfx1012: evidence does not name the card's own target: %r" % detail)
        for f in findings(doc, "python.no-native-code"):
            if "PYTORCH_ROCM_ARCH=gfx1012" not in f["fix"] or "gfx1010" in f["fix"].split("Ways")[0]:
                problems.append("gfx1012: no-native-code fix does not name gfx1012: %s" % f["fix"])
        for f in findings(doc, "device.rdna1"):
            for site in ("/" + SYS_SITE, "/" + VENV_SITE):
                need = "the torch in %s has no gfx1012 code" % site
                if need not in f["fix"]:
                    problems.append("gfx1012: device.rdna1 fix lacks %r: %s" % (need, f["fix"]))
            if "gfx1010 code" in f["fix"]:
                problems.append("gfx1012: device.rdna1 fix speaks of gfx1010: %s" % f["fix"])
        check_bound(tmp, binary, libdir, problems)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        fail("\n".join(problems))
    print("ok: torch coverage on gfx1010 and gfx1012 roots")


if __name__ == "__main__":
    main()
