#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generate a fixture root filesystem for rdna1-doctor (--root DIR).

    gen-root.py [--standin] [--cache DIR] [--module-size KIB] [--force]
                [--no-devnodes] [--stamp FILE] [--verify] SCENARIO.ini OUTDIR

Everything is made in the real formats by the real tools: .ko files are
relocatable ELF objects (gcc + ld -r --build-id) with .modinfo, __dyndbg,
__ksymtab_strings and __versions sections, compressed by zstd/xz/gzip;
modules.dep & co. come from depmod -b; the dpkg database from dpkg-deb
--build + dpkg --root -i; initramfs images are newc cpio archives (cpio -o -H
newc), an uncompressed early archive followed by a compressed main one;
the sysfs PCI tree enumerates with `lspci -A linux-sysfs -O
sysfs.path=OUTDIR/sys/bus/pci` (libpci's sysfs.path is the bus directory,
default /sys/bus/pci; pointing it at OUTDIR/sys fails on real systems too).

Options
  --standin        use tests/standin/ (project-written) kfd_crat.c & co.
                   instead of the real upstream text (tests/upstream-source.sh)
  --cache DIR      keep built modules, .debs and initramfs images here, keyed
                   by content (default: a temporary directory)
  --module-size K  pad every amdgpu.ko to about K KiB (default 64)
  --force          wipe a non-empty OUTDIR first (refused otherwise)
  --no-devnodes    regular files instead of device nodes, even as root
  --stamp FILE     touch FILE when done (for build systems)
  --verify         read the result back with lspci, modinfo, readelf, dpkg
                   --verify, cpio and check what the scenario promises
Exit: 0 done, 1 error, 2 usage, 77 a prerequisite (tool, kernel source) is
missing.

Scenario schema (INI; every key optional, defaults model the seed machine:
Ubuntu 24.04, RX 5600 XT at 0000:03:00.0, kernel 6.8.0-48-generic)

[scenario]
  base = NAME              read tests/scenarios/NAME.ini first, then override
  description = TEXT
[system]
  live = yes               no: empty proc/ sys/ dev/ run/ (a disk, no running system)
  running_kernel = 6.8.0-48-generic
  cmdline = TEXT           default "BOOT_IMAGE=/boot/vmlinuz-K root=UUID=... ro quiet splash vt.handoff=7"
  recovery = no            yes: cmdline "... ro recovery nomodeset dis_ucode_ldr", root mounted ro
  loaded = in-tree         which amdgpu runs: in-tree | dkms | none
  render_gid = 992
  user_in_render = yes     alice in the render group
  user_in_video = yes
  module_compression = zst  zst | xz | gz | none (kmod without zlib cannot index .ko.gz)
  usrmerge = yes           lib, bin, sbin -> usr/...
  dyndbg_escape = c        how /proc/dynamic_debug/control escapes "\\n": c (\\n, kernel >= 5.15) | octal (\\012)
  modprobe = none          none | blacklist (blacklist amdgpu) | install-false (install amdgpu /bin/false)
  secure_boot = off        off | on | absent (efivars SecureBoot)
  mok = none               none | enrolled | unenrolled: dkms's signing key (var/lib/dkms/mok.pub,
                           DER, and mok.key, made by openssl) and, on a live root with EFI,
                           MokListRT (efivars, and sys/firmware/efi/mok-variables) holding that
                           certificate (enrolled) or only another one (unenrolled)
  tainted = auto           auto (12288 when an OE module is loaded, else 0) or a number
  kfd_format = auto        KFD properties keys: auto | 6.1 | 6.8 | dkms
  kfd = yes                no: amdgpu bound but no KFD topology and no /dev/kfd
[gpu.N]                    one section per PCI display device, N = 0, 1, ...
  model = rx5600xt         rx5600xt | rx5500xt | raphael | intel-uhd630
  slot = 0000:03:00.0
  bound = yes              driver symlink to amdgpu (i915 for intel) when a driver is loaded
  kfd_flags = 0            mem bank flags in KFD (1 = HOT_PLUGGABLE)
[kernel.K]                 one section per installed kernel (default: the running kernel)
  dkms = none              none | built | installed | failed: amdgpu DKMS state for K
  dkms_build = SOURCE      clean | patched: what the DKMS build of K contains (default: [dkms] source)
  initramfs = auto         auto (what would load: dkms when installed, else in-tree) | in-tree | dkms | no-amdgpu | absent
  compression = (system)   module compression for this kernel
[dkms]
  package = no             amdgpu-dkms installed (dpkg) and added (/var/lib/dkms/amdgpu/V/source)
  version = 6.16.6-2238411.24.04
  package_version = 1:6.16.6.60204-2238411.24.04
  source = clean           clean | patched: /usr/src/amdgpu-V/amd/amdkfd/kfd_crat.c
  patch_array = none       none | dkms.conf | etc: PATCH[0]="rdna1-memory-fix.patch" (+ patches/...)
  patch_indent = tabs      tabs | spaces (the seed's own 4-space text)
  backup_orig = no         leave kfd_crat.c.orig (clean) next to a patched file
  dpkg_status = installed  installed | half-configured
  apt_cache_deb = no       keep the .deb in var/cache/apt/archives/
  extra_versions =         more DKMS versions (space-separated), added only (hostile)
  source_files = 0         pad the DKMS source with N generated ~43 KiB files (the real
                           amdgpu-dkms tree has thousands; for bench/check-latency)
[python]                   Python installs and MIOpen caches (see python_trees())
  benign = yes             setuptools .pth shim, apport sitecustomize, a venv and a conda env
                           with ROCm wheels matching RECORD, MIOpen caches for the first AMD GPU
  pth_hook = no            yes: ~/.local rdna1_autoload.pth (+ module) and /usr/local zz_rocm_rdna1.pth
  sitecustomize = no       yes: /usr/local/lib/python3.12/dist-packages/sitecustomize.py, override
  wheel_lib = clean        modified: venv torch/lib/libMIOpen.so, conda env libhsa-runtime64.so.1
  miopen_cache = no        gfx1030: ~/.config/miopen and ~/.cache/miopen files for that target
  home_files = 0           N empty files in ~/datasets/images (bounded home walk)
[bundle]
  secrets = no             yes: secrets planted for --bundle tests (see bundle_secrets())
[hostile]
  enabled = no             yes adds: FIFOs at etc/modprobe.d/fifo.conf and
                           var/lib/dkms/amdgpu/V/build/make.log; NUL bytes and a 1 MB
                           line in proc/cmdline; KFD node 1 "gfx_target_version abc" and
                           "domain 0x10"; amdgpu-dkms.md5sums cut in the middle of its last
                           line; etc/modprobe.d/evil.conf -> /etc/shadow; amd/amdkfd/evil.c ->
                           ../../../../../../../../../etc/passwd; etc/modprobe.d/loop-a.conf <->
                           loop-b.conf; etc/dkms/amdgpu-loop.conf -> itself; a directory
                           amd/amdkfd/kfd_crat.c.d; a file name with DEL (0x7f); an older DKMS
                           version 6.10.5-2084815.24.04 (source missing) whose build/make.log
                           error line holds ESC ] 0;pwned BEL

[package.NAME]             a ROCm/HIP package (dpkg-deb --build, dpkg --root -i), in section order
  version = 1.0-1
  architecture = amd64
  multiarch = no           yes: Multi-Arch: same (info files are NAME:ARCH.*)
  files = PATH ...         regular files, content generated from (NAME, PATH, size)
  size = 4096              bytes per generated file
  symlinks = PATH=TARGET ...
  conffiles = PATH ...     regular files shipped as conffiles
  replaces = PKG           Replaces: PKG (a takeover of files listed by both)
  md5sums = yes            no: drop info/NAME.md5sums after installing (runtime.unverifiable)
  apt_cache_deb = no       keep the .deb in var/cache/apt/archives/ (packaged symlinks get checked)
[tamper]                   changes after installation, as a user would make them
  modify = PATH ...        overwrite with other bytes, following a symlink (as cp does)
  remove = PATH ...
  repoint = PATH=TARGET ...  re-point a packaged symlink
  divert = PATH ...        dpkg-divert --root --local --rename, then a new file at PATH
  edit_conffile = PATH ...
  untar = DIR:N ...        N Tensile-like files nobody owns under DIR (as `tar x` leaves them)
  artifacts = PATH ...     leftover files (*.orig, *.rej) with a line of text
  apt_source = FILE|LINE   a line in /etc/apt/sources.list.d/FILE
[env]                      environment sources (seeds 000-004; the rdna1-doctor env audit)
  user_script = no         seed002: ~/rocm_rdna1_env.sh with seed 002's exports
  user_script_sourced = yes  .bashrc line 6 sources it (no: only by hand)
  profile_d = no           seed003: /etc/profile.d/rocm-rdna1-57.sh (override line 4)
  ollama = no              override: /etc/systemd/system/ollama.service.d/override.conf with
                           Environment="HSA_OVERRIDE_GFX_VERSION=10.3.0" (line 3), EnvironmentFile=
                           -/etc/default/ollama (MIOPEN_FIND_ENFORCE=3, line 2)
  ld_preload = no          file: /etc/ld.so.preload -> /usr/local/lib/librdna1_shim.so (line 2);
                           env: LD_PRELOAD in ~/.xprofile line 2; both
  library_path = no        bashrc: LD_LIBRARY_PATH=$HOME/rocm-5.7-rdna1/lib:... in .bashrc (line 7);
                           ld.so.conf: /etc/ld.so.conf.d/zz-rocm-rdna1.conf -> /usr/local/rocm-rdna1/lib
  pam_environment = no     override: ~/.pam_environment sets the override (not read on modern PAM)
  etc_environment = none   a value: HSA_OVERRIDE_GFX_VERSION=VALUE in /etc/environment (line 2),
                           scoped with ROCR_VISIBLE_DEVICES when [env] visible_devices is set
  visible_devices =        ROCR_VISIBLE_DEVICES value written beside it (line 3), or alone
                           in /etc/environment (line 2) when etc_environment = none
  jupyter = no             override: ~/.local/share/jupyter/kernels/rocm/kernel.json "env"
[home]                     hostile homes (alice's)
  hostile = no             yes: ~/.bashrc -> /etc/shadow, FIFO ~/.profile, ~/.zshrc whose value holds
                           ESC ] 0;pwned BEL and that sources /etc/shadow (0640), ~/planted.sh owned by uid 4242, ~/.config/fish a symlink
                           to /etc, ~/.config/environment.d/x.conf a socket-like FIFO, a
                           .zprofile sourcing itself and a source chain 12 files deep
  files = 0                N empty files at the top of the home (bounded-walk tests)

The fixed user is alice (uid/gid 1000, /home/alice); /etc/shadow holds the
marker FIXTURE-SHADOW-SECRET so tests can check that nothing leaks it.
"""
import argparse
import configparser
import hashlib
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE_SRC = os.path.join(HERE, "fixture-src")
STANDIN = os.path.join(HERE, "standin")
SCENARIOS = os.path.join(HERE, "scenarios")

EPOCH = 1730419200          # fixed mtime (2024-11-01) for reproducible archives
UID_ALICE = 1000
SEED_FMT = "KFD: Enabling fine-grained for RDNA1 0x%x\n"
PATCH_NAME = "rdna1-memory-fix.patch"
KFD_CRAT_REL = "amd/amdkfd/kfd_crat.c"
CACHE_VERSION = "3"         # bump when the cached artefacts' recipe changes


class Prereq(Exception):
    """A missing tool or input: exit 77 (skip)."""


class Fail(Exception):
    pass


# --------------------------------------------------------------------------
# small helpers

def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, str):
            p = p.encode()
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def find_tool(name):
    path = os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin:/usr/local/sbin"
    found = shutil.which(name, path=path)
    if not found:
        raise Prereq("required tool '%s' not found (Debian package: %s)" % (name, {
            "gcc": "gcc", "ld": "binutils", "objcopy": "binutils", "zstd": "zstd", "xz": "xz-utils",
            "gzip": "gzip", "cpio": "cpio", "depmod": "kmod", "dpkg-deb": "dpkg", "dpkg": "dpkg", "dpkg-divert": "dpkg",
            "diff": "diffutils", "as": "binutils", "lspci": "pciutils", "readelf": "binutils",
            "modinfo": "kmod"}.get(name, name)))
    return found


def run(argv, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("timeout", 300)
    try:
        p = subprocess.run(argv, **kw)
    except subprocess.TimeoutExpired:
        raise Fail("%s timed out" % " ".join(argv))
    if p.returncode != 0:
        raise Fail("%s failed (exit %d): %s" % (" ".join(argv), p.returncode,
                                                 (p.stderr or b"").decode(errors="replace").strip()))
    return p


def atomic_write(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def yes(v):
    return str(v).strip().lower() in ("yes", "true", "1", "on")


def c_escape_kernel(s, style):
    """Escape a format string the way /proc/dynamic_debug/control prints it."""
    out = []
    for ch in s:
        if ch in "\t\r\n":
            if style == "octal":
                out.append("\\%03o" % ord(ch))
            else:
                out.append({"\t": "\\t", "\r": "\\r", "\n": "\\n"}[ch])
        else:
            out.append(ch)
    return "".join(out)


def c_string_literal(s):
    out = ['"']
    for ch in s:
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) > 126:
            out.append("\\%03o" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def unescape_c(lit):
    """Value of the body of a C string literal (simple escapes only)."""
    out, i = [], 0
    while i < len(lit):
        ch = lit[i]
        if ch == "\\" and i + 1 < len(lit):
            nxt = lit[i + 1]
            simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------
# C source analysis (pr_debug sites, the seed patch)

def pr_debug_sites(text):
    """[(function, line, format)] for every pr_debug() in a C file."""
    lines = text.split("\n")
    sites, func = [], None
    for idx, line in enumerate(lines):
        if line and line[0] not in " \t{}#/*" and "(" in line and not line.rstrip().endswith(";"):
            name = line.split("(", 1)[0].split()
            if name:
                func = name[-1].lstrip("*")
        pos = line.find("pr_debug(")
        if pos < 0 or func is None:
            continue
        # Gather the adjacent string literals that start the argument list.
        rest = "\n".join(lines[idx:idx + 6])[pos + len("pr_debug("):]
        fmt, j = [], 0
        while j < len(rest):
            ch = rest[j]
            if ch in " \t\n":
                j += 1
            elif ch == '"':
                k = j + 1
                while k < len(rest) and rest[k] != '"':
                    k += 2 if rest[k] == "\\" else 1
                fmt.append(unescape_c(rest[j + 1:k]))
                j = k + 1
            else:
                break
        if fmt:
            sites.append((func, idx + 1, "".join(fmt)))
    return sites


SEED_LINES = [
    "/* RDNA1 FIX for device 0x731F */",
    "if (dev->gpu && dev->gpu->adev && dev->gpu->adev->pdev) {",
    "\tuint16_t device_id = dev->gpu->adev->pdev->device;",
    "\tif (device_id == 0x731F && heap_type != HSA_MEM_HEAP_TYPE_SYSTEM) {",
    '\t\tpr_debug("KFD: Enabling fine-grained for RDNA1 0x%x\\n", device_id);',
    "\t\tflags |= HSA_MEM_FLAGS_HOT_PLUGGABLE;",
    "\t}",
    "}",
]


def apply_seed_patch(text, indent_style="tabs"):
    """Insert seed 004's 9 lines after `flags |= HSA_MEM_FLAGS_NON_VOLATILE;`
    in kfd_parse_subtype_mem.  Returns (patched text, first inserted line)."""
    lines = text.split("\n")
    start = next((i for i, l in enumerate(lines) if "kfd_parse_subtype_mem(" in l and
                  not l.rstrip().endswith(";")), None)
    if start is None:
        raise Fail("kfd_parse_subtype_mem not found in kfd_crat.c")
    at = next((i for i in range(start, len(lines)) if "flags |= HSA_MEM_FLAGS_NON_VOLATILE;" in lines[i]), None)
    if at is None:
        raise Fail("`flags |= HSA_MEM_FLAGS_NON_VOLATILE;` not found in kfd_parse_subtype_mem")
    cond = lines[at - 1]
    base = cond[:len(cond) - len(cond.lstrip())]
    new = []
    for l in SEED_LINES:
        depth = len(l) - len(l.lstrip("\t"))
        body = l.lstrip("\t")
        if indent_style == "spaces":
            new.append(base.replace("\t", "    ") + "    " * depth + body)
        else:
            new.append(base + "\t" * depth + body)
    new.append("")
    lines[at + 1:at + 1] = new
    return "\n".join(lines), at + 2


# --------------------------------------------------------------------------
# hardware models

GPU_MODELS = {
    "rx5600xt": dict(vendor=0x1002, device=0x731f, rev=0xca, subsys=(0x1da2, 0xe411), cls=0x030000,
                     asic="navi10", gfx=100100, simd=72, arrays=4, cu_per_array=10, vram=6442450944,
                     heap=2, width=64, mem_clk=875, engine_clk=1750, gpu_id=52180, irq=118,
                     fw=145, sdma_fw=35, capability=671588992, unique_id=0, audio=0xab38),
    "rx5500xt": dict(vendor=0x1002, device=0x7340, rev=0xc5, subsys=(0x1da2, 0xe423), cls=0x030000,
                     asic="navi14", gfx=100102, simd=44, arrays=2, cu_per_array=12, vram=8573157376,
                     heap=2, width=64, mem_clk=875, engine_clk=1845, gpu_id=33120, irq=118,
                     fw=145, sdma_fw=35, capability=671588992, unique_id=0, audio=0xab38),
    "raphael": dict(vendor=0x1002, device=0x164e, rev=0xc1, subsys=(0x1043, 0x8877), cls=0x030000,
                    asic="ip discovery", gfx=100306, simd=4, arrays=1, cu_per_array=2, vram=536870912,
                    heap=1, width=64, mem_clk=2400, engine_clk=2200, gpu_id=12611, irq=120,
                    fw=21, sdma_fw=9, capability=671588992, unique_id=0, audio=0x1640),
    "intel-uhd630": dict(vendor=0x8086, device=0x3e92, rev=0x00, subsys=(0x1462, 0x7b17), cls=0x030000,
                         asic=None, irq=126),
}

AMD_PCI_ALIASES = ["7310", "7312", "7318", "7319", "731A", "731B", "731E", "731F", "7340", "7341",
                   "7347", "734F", "7360", "7362", "73A0", "73A1", "73A2", "73A3", "73AB", "73AF",
                   "73BF", "73C0", "73DF", "73E0", "73FF", "7408", "740C", "744C", "747E"]

AMDGPU_FIRMWARE = ["amdgpu/navi10_gpu_info.bin", "amdgpu/navi10_sos.bin", "amdgpu/navi10_asd.bin",
                   "amdgpu/navi10_ta.bin", "amdgpu/navi10_smc.bin", "amdgpu/navi10_pfp.bin",
                   "amdgpu/navi10_me.bin", "amdgpu/navi10_ce.bin", "amdgpu/navi10_rlc.bin",
                   "amdgpu/navi10_mec.bin", "amdgpu/navi10_mec2.bin", "amdgpu/navi10_sdma.bin",
                   "amdgpu/navi10_sdma1.bin", "amdgpu/navi10_vcn.bin", "amdgpu/navi14_gpu_info.bin"]

# In-tree modules next to amdgpu: (path under kernel/, module name, exports, imports)
INTREE_HELPERS = [
    ("drivers/gpu/drm/amd/amdxcp/amdxcp.ko", "amdxcp", ["amdgpu_xcp_drv_probe", "amdgpu_xcp_drv_release"], []),
    ("drivers/gpu/drm/scheduler/gpu-sched.ko", "gpu_sched", ["drm_sched_init", "drm_sched_fini"], []),
    ("drivers/gpu/drm/drm_buddy.ko", "drm_buddy", ["drm_buddy_init"], []),
    ("drivers/gpu/drm/drm_exec.ko", "drm_exec", ["drm_exec_init"], []),
    ("drivers/gpu/drm/drm_suballoc_helper.ko", "drm_suballoc_helper", ["drm_suballoc_new"], []),
    ("drivers/gpu/drm/ttm/ttm.ko", "ttm", ["ttm_bo_init_reserved"], []),
    ("drivers/gpu/drm/drm_ttm_helper.ko", "drm_ttm_helper", ["drm_gem_ttm_mmap"], ["ttm_bo_init_reserved"]),
    ("drivers/gpu/drm/display/drm_display_helper.ko", "drm_display_helper", ["drm_dp_dpcd_read"], []),
    ("drivers/i2c/algos/i2c-algo-bit.ko", "i2c_algo_bit", ["i2c_bit_add_bus"], []),
    ("drivers/acpi/video.ko", "video", ["acpi_video_register"], []),
]
INTREE_AMDGPU = "drivers/gpu/drm/amd/amdgpu/amdgpu.ko"

# amdgpu-dkms: (BUILT_MODULE_NAME, BUILT_MODULE_LOCATION, DEST_MODULE_LOCATION, exports, imports)
DKMS_MODULES = [
    ("amdgpu", "amd/amdgpu", "/kernel/drivers/gpu/drm/amd/amdgpu", [], []),
    ("amdttm", "ttm", "/kernel/drivers/gpu/drm/ttm", ["amdttm_bo_init_reserved"], ["amdkcl_dma_fence_get_status"]),
    ("amdkcl", "amd/amdkcl", "/kernel/drivers/gpu/drm/amd/amdkcl", ["amdkcl_dma_fence_get_status"], []),
    ("amd-sched", "scheduler", "/kernel/drivers/gpu/drm/scheduler", ["amddrm_sched_init", "amddrm_sched_fini"],
     ["amdkcl_dma_fence_get_status"]),
    ("amddrm_ttm_helper", ".", "/kernel/drivers/gpu/drm", ["amddrm_gem_ttm_mmap"], ["amdttm_bo_init_reserved"]),
    ("amddrm_buddy", ".", "/kernel/drivers/gpu/drm", ["amddrm_buddy_init"], []),
    ("amddrm_exec", ".", "/kernel/drivers/gpu/drm", ["amddrm_exec_init"], []),
    ("amdxcp", "amd/amdxcp", "/kernel/drivers/gpu/drm/amd/amdxcp", ["amdgpu_xcp_drv_probe"], []),
    ("amddrm_suballoc_helper", ".", "/kernel/drivers/gpu/drm", ["amddrm_suballoc_new"], []),
]

MODULE_SIZES = {  # proc/modules sizes (bytes) of loaded modules
    "amdgpu": 14356480, "amdxcp": 12288, "gpu_sched": 61440, "drm_buddy": 20480, "drm_exec": 12288,
    "drm_suballoc_helper": 12288, "ttm": 110592, "drm_ttm_helper": 12288, "drm_display_helper": 237568,
    "i2c_algo_bit": 16384, "video": 73728, "amdttm": 122880, "amdkcl": 49152, "amd_sched": 65536,
    "amddrm_ttm_helper": 12288, "amddrm_buddy": 24576, "amddrm_exec": 12288,
    "amddrm_suballoc_helper": 12288, "snd_hda_intel": 61440, "nvme": 61440, "i915": 4194304,
}


def modname(filename):
    return os.path.basename(filename).split(".ko")[0].replace("-", "_")


def crc_of(sym):
    return int(hashlib.md5(sym.encode()).hexdigest()[:8], 16)


def srcversion_of(*parts):
    return hashlib.md5("".join(parts).encode()).hexdigest().upper()[:23]


# --------------------------------------------------------------------------
# artefact builders (cached by content)

class Builder:
    def __init__(self, cache, module_size_kib):
        self.cache = cache
        self.module_size = module_size_kib * 1024
        self.tools = {}
        for sub in ("ko", "deb", "initrd", "blob", "tmp", "mok"):
            os.makedirs(os.path.join(cache, sub), exist_ok=True)
        with open(os.path.join(FIXTURE_SRC, "module.c"), "rb") as f:
            self.module_c = f.read()
        with open(os.path.join(FIXTURE_SRC, "blob.S"), "rb") as f:
            self.blob_s = f.read()

    def tool(self, name):
        if name not in self.tools:
            self.tools[name] = find_tool(name)
        return self.tools[name]

    def tmpdir(self):
        return tempfile.mkdtemp(dir=os.path.join(self.cache, "tmp"))

    def mok_cert(self, name):
        """(DER certificate, PEM key) of a self-signed signing key, made once per cache."""
        der = os.path.join(self.cache, "mok", name + ".der")
        key = os.path.join(self.cache, "mok", name + ".key")
        if not (os.path.exists(der) and os.path.exists(key)):
            tmp = self.tmpdir()
            run([self.tool("openssl"), "req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "36500",
                 "-subj", "/CN=rdna1-doctor fixture %s/" % name, "-keyout", os.path.join(tmp, "k"),
                 "-outform", "DER", "-out", os.path.join(tmp, "c")])
            os.replace(os.path.join(tmp, "k"), key)
            os.replace(os.path.join(tmp, "c"), der)
            shutil.rmtree(tmp, ignore_errors=True)
        with open(der, "rb") as f, open(key, "rb") as g:
            return f.read(), g.read()

    def blob(self, size, seed):
        """size bytes, half of them pseudo-random (so about 2:1 compressible)."""
        path = os.path.join(self.cache, "blob", "%d-%s.bin" % (size, seed))
        if not os.path.exists(path):
            rnd = random.Random(seed)
            chunks = []
            for _ in range(size // 64):
                chunks.append(rnd.randbytes(32))
                chunks.append(bytes([rnd.randrange(4)]) * 32)
            atomic_write(path, b"".join(chunks) + bytes(size % 64))
        return path

    def ko(self, name, modinfo, exports=(), imports=(), dyndbg=(), seed=False, variant=0, pad=False):
        """Build (or take from the cache) a .ko; returns (path, build-id note path)."""
        h = ["#define FIXTURE_MODNAME %s" % c_string_literal(name),
             "#define FIXTURE_VARIANT %d" % variant]
        if seed:
            h.append("#define FIXTURE_RDNA1_SEED 1")
        h.append("#define FIXTURE_MODINFO(X) " + " ".join(
            "X(%s, %s)" % (k, c_string_literal(v)) for k, v in modinfo))
        h.append("#define FIXTURE_EXPORTS(X) " + " ".join("X(%s)" % s for s in exports))
        h.append("#define FIXTURE_IMPORTS(X) " + " ".join("X(%s, 0x%08xUL)" % (s, crc_of(s)) for s in imports))
        h.append("#define FIXTURE_DYNDBG(X) " + " ".join(
            "X(%s, %s, %s, %d)" % (c_string_literal(fn), c_string_literal(fl), c_string_literal(fmt), ln)
            for fn, fl, fmt, ln in dyndbg))
        header = "\n".join(h) + "\n"
        blob_size = max(self.module_size - 16384, 0) if pad else 0
        key = sha(CACHE_VERSION, "ko", self.module_c, self.blob_s, header, str(blob_size))
        path = os.path.join(self.cache, "ko", key + ".ko")
        note = path + ".note"
        if os.path.exists(path) and os.path.exists(note):
            return path, note
        work = self.tmpdir()
        try:
            with open(os.path.join(work, "module.c"), "wb") as f:
                f.write(self.module_c)
            with open(os.path.join(work, "fixture-params.h"), "w") as f:
                f.write(header)
            objs = ["module.o"]
            run([self.tool("gcc"), "-c", "-O2", "-fno-toplevel-reorder", "-fno-asynchronous-unwind-tables",
                 "-fno-pic", "-mcmodel=kernel", "-o", "module.o", "module.c"], cwd=work)
            if blob_size:
                blob = self.blob(blob_size, key[:16])
                with open(os.path.join(work, "blob.S"), "wb") as f:
                    f.write(self.blob_s)
                run([self.tool("gcc"), "-c", "-DFIXTURE_BLOB=\"%s\"" % blob, "-o", "blob.o", "blob.S"], cwd=work)
                objs.append("blob.o")
            run([self.tool("ld"), "-r", "--build-id=sha1", "-o", "out.ko"] + objs, cwd=work)
            run([self.tool("objcopy"), "-O", "binary", "--only-section=.note.gnu.build-id", "out.ko", "out.note"],
                cwd=work)
            os.replace(os.path.join(work, "out.note"), note)
            os.replace(os.path.join(work, "out.ko"), path)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return path, note

    def compressed(self, ko_path, kind):
        """(path, suffix) of the module compressed as kbuild/dkms do."""
        if kind in ("none", ""):
            return ko_path, ""
        suffix = {"zst": ".zst", "xz": ".xz", "gz": ".gz"}[kind]
        out = ko_path + suffix
        if os.path.exists(out):
            return out, suffix
        if kind == "zst":
            argv = [self.tool("zstd"), "-q", "-19", "-c", ko_path]
        elif kind == "xz":
            argv = [self.tool("xz"), "-C", "crc32", "--lzma2=dict=1MiB", "-c", ko_path]
        else:
            argv = [self.tool("gzip"), "-n", "-9", "-c", ko_path]
        atomic_write(out, run(argv).stdout)
        return out, suffix

    def deb(self, control, files):
        """files: {relpath: (mode, bytes or None for a directory, link target or None)}"""
        parts = [CACHE_VERSION, "deb", control]
        for rel in sorted(files):
            mode, data, link = files[rel]
            parts += [rel, oct(mode), link or "", hashlib.sha256(data).hexdigest() if data is not None else "-"]
        key = sha(*parts)
        path = os.path.join(self.cache, "deb", key + ".deb")
        if os.path.exists(path):
            return path
        work = self.tmpdir()
        try:
            pkg = os.path.join(work, "pkg")
            os.makedirs(os.path.join(pkg, "DEBIAN"))
            with open(os.path.join(pkg, "DEBIAN", "control"), "w") as f:
                f.write(control)
            md5 = []
            conffiles = [l.split(None, 1)[1] for l in control.splitlines() if l.startswith("#conffile ")]
            for rel in sorted(files):
                mode, data, link = files[rel]
                dst = os.path.join(pkg, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                if link is not None:
                    os.symlink(link, dst)
                elif data is None:
                    os.makedirs(dst, exist_ok=True)
                    os.chmod(dst, mode)
                else:
                    with open(dst, "wb") as f:
                        f.write(data)
                    os.chmod(dst, mode)
                    if "/" + rel not in conffiles:
                        md5.append("%s  %s\n" % (hashlib.md5(data).hexdigest(), rel))
            with open(os.path.join(pkg, "DEBIAN", "md5sums"), "w") as f:
                f.write("".join(md5))
            # control lines starting with '#conffile ' list conffiles (stripped from control)
            real = "".join(l + "\n" for l in control.splitlines() if not l.startswith("#conffile "))
            with open(os.path.join(pkg, "DEBIAN", "control"), "w") as f:
                f.write(real)
            if conffiles:
                with open(os.path.join(pkg, "DEBIAN", "conffiles"), "w") as f:
                    f.write("".join(c + "\n" for c in conffiles))
            for dirpath, dirnames, filenames in os.walk(pkg):
                for n in dirnames + filenames:
                    p = os.path.join(dirpath, n)
                    os.utime(p, (EPOCH, EPOCH), follow_symlinks=False)
            env = dict(os.environ, SOURCE_DATE_EPOCH=str(EPOCH))
            run([self.tool("dpkg-deb"), "--root-owner-group", "-Zgzip", "--build", pkg, os.path.join(work, "o.deb")],
                env=env)
            os.replace(os.path.join(work, "o.deb"), path)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return path

    def initramfs(self, kver, early_files, main_files, main_links, compress="zst", depmod_conf=None):
        """Ubuntu-style initrd: uncompressed early newc cpio + compressed main newc cpio.
        *_files: {relpath: (mode, bytes)}; main_links: {relpath: target}."""
        parts = [CACHE_VERSION, "initrd", kver, compress]
        for d in (early_files, main_files):
            for rel in sorted(d):
                parts += [rel, oct(d[rel][0]), hashlib.sha256(d[rel][1]).hexdigest()]
        for rel in sorted(main_links):
            parts += [rel, main_links[rel]]
        key = sha(*parts)
        path = os.path.join(self.cache, "initrd", key + ".img")
        if os.path.exists(path):
            return path
        work = self.tmpdir()
        try:
            out = b""
            for name, files, links in (("early", early_files, {}), ("main", main_files, main_links)):
                top = os.path.join(work, name)
                os.makedirs(top)
                entries = set()
                for rel, (mode, data) in files.items():
                    dst = os.path.join(top, rel)
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    with open(dst, "wb") as f:
                        f.write(data)
                    os.chmod(dst, mode)
                for rel, target in links.items():
                    dst = os.path.join(top, rel)
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    os.symlink(target, dst)
                if name == "main":
                    run([self.tool("depmod"), "-b", top] + (["-C", depmod_conf] if depmod_conf else []) + [kver])
                for dirpath, dirnames, filenames in os.walk(top):
                    for n in dirnames + filenames:
                        p = os.path.join(dirpath, n)
                        entries.add(os.path.relpath(p, top))
                        os.utime(p, (EPOCH, EPOCH), follow_symlinks=False)
                os.utime(top, (EPOCH, EPOCH))
                listing = ("\n".join(sorted(["."] + ["./" + e for e in entries])) + "\n").encode()
                cpio = run([self.tool("cpio"), "--quiet", "--reproducible", "-o", "-H", "newc", "-R", "0:0"],
                           cwd=top, input=listing).stdout
                if name == "main":
                    if compress == "zst":
                        cpio = run([self.tool("zstd"), "-q", "-1", "-T0", "-c"], input=cpio).stdout
                    elif compress == "xz":
                        cpio = run([self.tool("xz"), "-C", "crc32", "-c"], input=cpio).stdout
                    elif compress == "gz":
                        cpio = run([self.tool("gzip"), "-n", "-c"], input=cpio).stdout
                out += cpio
            atomic_write(path, out)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return path


# --------------------------------------------------------------------------
# the root writer

class Root:
    def __init__(self, top, devnodes):
        self.top = top
        self.is_root = os.geteuid() == 0
        self.devnodes = devnodes and self.is_root

    def p(self, rel):
        return os.path.join(self.top, rel.lstrip("/"))

    def mkdir(self, rel, mode=0o755, uid=0, gid=0):
        path = self.p(rel)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        self.chown(path, uid, gid)
        return path

    def chown(self, path, uid, gid):
        if self.is_root:
            os.lchown(path, uid, gid)

    def write(self, rel, data, mode=0o644, uid=0, gid=0):
        path = self.p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        if os.path.lexists(path):
            os.unlink(path)         # also read-only files when not root
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        self.chown(path, uid, gid)
        return path

    def copy(self, rel, src, mode=0o644):
        path = self.p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)
        shutil.copyfile(src, path)
        os.chmod(path, mode)
        return path

    def symlink(self, rel, target):
        path = self.p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(target, path)
        return path

    def devnode(self, rel, major, minor, mode, uid, gid):
        path = self.p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if self.devnodes:
            os.mknod(path, stat.S_IFCHR | mode, os.makedev(major, minor))
            os.chmod(path, mode)
        else:
            with open(path, "wb"):
                pass
            os.chmod(path, mode)
        self.chown(path, uid, gid)

    def exists(self, rel):
        return os.path.lexists(self.p(rel))

    def read(self, rel):
        with open(self.p(rel), "rb") as f:
            return f.read()


# --------------------------------------------------------------------------
# PCI sysfs

def pci_config(vendor, device, rev, cls, subsys=(0, 0), header=0, irq=0, bars=(), buses=None, multifunction=False):
    cfg = bytearray(256)
    struct.pack_into("<HHHH", cfg, 0, vendor, device, 0x0407, 0x0010 if header == 0 else 0x0010)
    cfg[8] = rev
    cfg[9] = cls & 0xff
    cfg[10] = (cls >> 8) & 0xff
    cfg[11] = (cls >> 16) & 0xff
    cfg[12] = 0x10
    cfg[14] = header | (0x80 if multifunction else 0)
    for i, bar in enumerate(bars):
        struct.pack_into("<I", cfg, 0x10 + 4 * i, bar)
    if header == 0:
        struct.pack_into("<HH", cfg, 0x2c, subsys[0], subsys[1])
    else:
        cfg[0x18], cfg[0x19], cfg[0x1a] = buses
    cfg[0x34] = 0x48                      # capability list: one PCI Express capability
    cfg[0x48] = 0x10                      # cap id: PCI Express
    cfg[0x49] = 0x00                      # last capability
    struct.pack_into("<H", cfg, 0x4a, 0x0002 | ((0x4 if header == 1 else 0x0) << 4))
    struct.pack_into("<I", cfg, 0x48 + 0x0c, 0x4 | (16 << 4))     # LnkCap: 16 GT/s, x16
    struct.pack_into("<H", cfg, 0x48 + 0x12, 0x4 | (16 << 4))     # LnkSta: 16 GT/s, x16
    cfg[0x3c] = irq & 0xff
    cfg[0x3d] = 1
    return bytes(cfg)


def resource_file(entries, count):
    lines = []
    for i in range(count):
        s, e, fl = entries[i] if i < len(entries) and entries[i] else (0, 0, 0)
        lines.append("0x%016x 0x%016x 0x%016x\n" % (s, e, fl))
    return "".join(lines)


# --------------------------------------------------------------------------
# KFD topology key sets

KFD_NODE_KEYS = {
    "6.1": ["cpu_cores_count", "simd_count", "mem_banks_count", "caches_count", "io_links_count",
            "p2p_links_count", "cpu_core_id_base", "simd_id_base", "max_waves_per_simd", "lds_size_in_kb",
            "gds_size_in_kb", "num_gws", "wave_front_size", "array_count", "simd_arrays_per_engine",
            "cu_per_simd_array", "simd_per_cu", "max_slots_scratch_cu", "gfx_target_version", "vendor_id",
            "device_id", "location_id", "domain", "drm_render_minor", "hive_id", "num_sdma_engines",
            "num_sdma_xgmi_engines", "num_sdma_queues_per_engine", "num_cp_queues"],
}
KFD_GPU_KEYS = {
    "6.1": ["max_engine_clk_fcompute", "local_mem_size", "fw_version", "capability", "sdma_fw_version",
            "unique_id"],
    "6.8": ["max_engine_clk_fcompute", "local_mem_size", "fw_version", "capability", "debug_prop",
            "sdma_fw_version", "unique_id", "num_xcc"],
    "dkms": ["max_engine_clk_fcompute", "local_mem_size", "fw_version", "capability", "capability2",
             "debug_prop", "sdma_fw_version", "unique_id", "num_xcc"],
}
KFD_IOLINK_KEYS = {
    "6.1": ["type", "version_major", "version_minor", "node_from", "node_to", "weight", "min_latency",
            "max_latency", "min_bandwidth", "max_bandwidth", "recommended_transfer_size", "flags"],
    "dkms": ["type", "version_major", "version_minor", "node_from", "node_to", "weight", "min_latency",
             "max_latency", "min_bandwidth", "max_bandwidth", "recommended_transfer_size",
             "recommended_sdma_engine_id_mask", "flags"],
}


# --------------------------------------------------------------------------
# scenario

def load_scenario(path, seen=()):
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str
    with open(path) as f:
        text = f.read()
    probe = configparser.ConfigParser(interpolation=None)
    probe.optionxform = str
    probe.read_string(text, source=path)
    base = probe.get("scenario", "base", fallback="").strip()
    if base:
        if base in seen:
            raise Fail("scenario base loop: %s" % " -> ".join(seen + (base,)))
        cp = load_scenario(os.path.join(os.path.dirname(path), base + ".ini"), seen + (base,))
    cp.read_string(text, source=path)
    return cp


# [env] keys and their values (None: any value), as the docstring lists them;
# a value the generator does not know would otherwise make nothing, silently.
ENV_CHOICES = {
    "user_script": ("no", "seed002"),
    "user_script_sourced": ("yes", "no"),
    "profile_d": ("no", "seed003"),
    "ollama": ("no", "override"),
    "ld_preload": ("no", "file", "env", "both"),
    "library_path": ("no", "bashrc", "ld.so.conf"),
    "pam_environment": ("no", "override"),
    "etc_environment": None,
    "visible_devices": None,
    "jupyter": ("no", "override"),
}


class Scenario:
    def __init__(self, cp, name):
        self.cp = cp
        self.name = name
        s = lambda k, d: cp.get("system", k, fallback=d).strip()
        self.live = yes(s("live", "yes"))
        self.kernel = s("running_kernel", "6.8.0-48-generic")
        self.recovery = yes(s("recovery", "no"))
        self.cmdline = s("cmdline", "")
        self.loaded = s("loaded", "in-tree")
        self.render_gid = int(s("render_gid", "992"))
        self.user_in_render = yes(s("user_in_render", "yes"))
        self.user_in_video = yes(s("user_in_video", "yes"))
        self.compression = s("module_compression", "zst")
        self.usrmerge = yes(s("usrmerge", "yes"))
        self.dyndbg_escape = s("dyndbg_escape", "c")
        self.modprobe = s("modprobe", "none")
        self.secure_boot = s("secure_boot", "off")
        self.mok = s("mok", "none")
        if self.mok not in ("none", "enrolled", "unenrolled"):
            raise Fail("[system] mok must be none, enrolled or unenrolled, not %r" % self.mok)
        self.tainted = s("tainted", "auto")
        self.kfd_format = s("kfd_format", "auto")
        self.kfd = yes(s("kfd", "yes"))
        if not self.live or self.recovery:
            self.loaded = "none"
        self.gpus = []
        for sec in sorted(x for x in cp.sections() if x.startswith("gpu.")):
            g = cp[sec]
            model = g.get("model", "rx5600xt").strip()
            if model not in GPU_MODELS:
                raise Fail("%s: unknown GPU model %r" % (sec, model))
            self.gpus.append(dict(model=model, slot=g.get("slot", "0000:03:00.0").strip(),
                                  bound=yes(g.get("bound", "yes")), kfd_flags=int(g.get("kfd_flags", "0")),
                                  **GPU_MODELS[model]))
        self.kernels = {}
        for sec in cp.sections():
            if sec.startswith("kernel."):
                self.kernels[sec[len("kernel."):]] = cp[sec]
        if not self.kernels:
            self.kernels[self.kernel] = {}
        d = lambda k, v: cp.get("dkms", k, fallback=v).strip()
        self.dkms_package = yes(d("package", "no"))
        self.dkms_version = d("version", "6.16.6-2238411.24.04")
        self.dkms_pkg_version = d("package_version", "1:6.16.6.60204-2238411.24.04")
        self.dkms_source = d("source", "clean")
        self.patch_array = d("patch_array", "none")
        self.patch_indent = d("patch_indent", "tabs")
        self.backup_orig = yes(d("backup_orig", "no"))
        self.dpkg_status = d("dpkg_status", "installed")
        self.apt_cache_deb = yes(d("apt_cache_deb", "no"))
        self.extra_versions = d("extra_versions", "").split()
        self.source_files = int(d("source_files", "0"))
        self.hostile = yes(cp.get("hostile", "enabled", fallback="no"))
        self.env = {k: v.strip() for k, v in cp.items("env")} if cp.has_section("env") else {}
        for k, v in self.env.items():
            if k not in ENV_CHOICES:
                raise Fail("[env] %s: unknown key (keys: %s)" % (k, ", ".join(sorted(ENV_CHOICES))))
            if ENV_CHOICES[k] and v not in ENV_CHOICES[k]:
                raise Fail("[env] %s must be one of %s, not %r" % (k, "/".join(ENV_CHOICES[k]), v))
        self.home = {k: v.strip() for k, v in cp.items("home")} if cp.has_section("home") else {}

    def kget(self, kver, key, default):
        sec = self.kernels.get(kver, {})
        return sec.get(key, default).strip() if hasattr(sec, "get") else default

    def kernel_dkms(self, kver):
        return self.kget(kver, "dkms", "none")

    def kernel_build(self, kver):
        return self.kget(kver, "dkms_build", "patched" if self.dkms_source == "patched" else "clean")

    def kernel_compression(self, kver):
        return self.kget(kver, "compression", self.compression)


# --------------------------------------------------------------------------
# the generator

class Generator:
    def __init__(self, sc, root, builder, standin):
        self.sc = sc
        self.r = root
        self.b = builder
        self.standin = standin
        self.ko = {}            # (kver, origin, name) -> (ko path, note path, relpath under lib/modules/K)
        self.debs = []

    # ---- sources --------------------------------------------------------
    def load_sources(self):
        if self.standin:
            d = STANDIN
        else:
            script = os.path.join(HERE, "upstream-source.sh")
            p = subprocess.run(["sh", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if p.returncode != 0:
                raise Prereq("real upstream kfd_crat.c unavailable: %s (or use --standin)" %
                             p.stderr.decode(errors="replace").strip())
            d = os.path.dirname(p.stdout.decode().strip())
        src = {}
        for n in ("kfd_crat.c", "kfd_crat.h", "kfd_topology.c"):
            with open(os.path.join(d, n), encoding="utf-8", errors="surrogateescape") as f:
                src[n] = f.read()
        self.clean = src
        self.patched_crat, self.patch_line = apply_seed_patch(src["kfd_crat.c"], self.sc.patch_indent)
        self.patch_diff = self.make_diff(src["kfd_crat.c"], self.patched_crat)
        self.amdgpu_extra = {}
        for n in ("amdgpu_drv.c", "amdgpu_kms.c"):
            with open(os.path.join(STANDIN, n)) as f:
                self.amdgpu_extra[n] = f.read()

    def make_diff(self, a, b):
        work = self.b.tmpdir()
        try:
            pa, pb = os.path.join(work, "a"), os.path.join(work, "b")
            with open(pa, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(a)
            with open(pb, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(b)
            p = subprocess.run([self.b.tool("diff"), "-u", "--label", "a/" + KFD_CRAT_REL, "--label",
                                "b/" + KFD_CRAT_REL, pa, pb], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if p.returncode != 1:
                raise Fail("diff -u failed: %s" % p.stderr.decode(errors="replace"))
            return p.stdout
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def crat_text(self, flavor):
        return self.patched_crat if flavor == "patched" else self.clean["kfd_crat.c"]

    def dkms_build_path(self, version=None):
        return "/var/lib/dkms/amdgpu/%s/build" % (version or self.sc.dkms_version)

    def dyndbg_sites(self, origin, flavor):
        """[(function, file, format, line)] of amdgpu's kfd sites for this build."""
        if origin == "in-tree":
            base = "drivers/gpu/drm/amd/amdgpu/../amdkfd/"
        else:
            base = self.dkms_build_path() + "/amd/amdgpu/../amdkfd/"
        out = []
        for fn, line, fmt in pr_debug_sites(self.crat_text(flavor)):
            out.append((fn, base + "kfd_crat.c", fmt, line))
        for fn, line, fmt in pr_debug_sites(self.clean["kfd_topology.c"]):
            out.append((fn, base + "kfd_topology.c", fmt, line))
        return out

    # ---- modules ----------------------------------------------------------
    def vermagic(self, kver):
        return "%s SMP preempt mod_unload modversions " % kver

    def amdgpu_modinfo(self, kver, origin, flavor):
        mi = []
        if origin == "dkms":
            mi.append(("version", self.dkms_module_version()))
        mi += [("license", "GPL and additional rights"),
               ("description", "AMD GPU"),
               ("author", "AMD linux driver team")]
        mi += [("firmware", fw) for fw in AMDGPU_FIRMWARE]
        if origin == "dkms":
            mi.append(("srcversion", srcversion_of(self.crat_text(flavor), self.sc.dkms_version)))
        mi += [("alias", "pci:v00001002d0000%ssv*sd*bc*sc*i*" % a) for a in AMD_PCI_ALIASES]
        mi += [("alias", "pci:v00001002d*sv*sd*bc03sc80i00*"), ("alias", "pci:v00001002d*sv*sd*bc03sc00i00*")]
        if origin == "dkms":
            deps = "amddrm_ttm_helper,amdttm,amddrm_buddy,amdxcp,drm_display_helper,amddrm_exec,amd-sched," \
                   "i2c-algo-bit,amdkcl,video,amddrm_suballoc_helper"
        else:
            deps = "amdxcp,drm_exec,gpu-sched,drm_buddy,i2c-algo-bit,drm_suballoc_helper,drm_ttm_helper,ttm," \
                   "drm_display_helper,video"
        mi.append(("depends", deps))
        mi.append(("retpoline", "Y"))
        if origin == "in-tree":
            mi.append(("intree", "Y"))
        mi += [("name", "amdgpu"), ("vermagic", self.vermagic(kver))]
        return mi

    def dkms_module_version(self):
        return self.sc.dkms_version.split("-")[0]

    def helper_modinfo(self, kver, name, imports_from, intree):
        mi = [("license", "GPL and additional rights" if "amd" in name else "GPL"),
              ("description", "%s (rdna1-doctor fixture)" % name)]
        mi.append(("depends", ",".join(imports_from)))
        mi.append(("retpoline", "Y"))
        if intree:
            mi.append(("intree", "Y"))
        mi += [("name", name), ("vermagic", self.vermagic(kver))]
        return mi

    def build_intree(self, kver):
        """In-tree modules for kver: {relpath: (ko, note)}"""
        out = {}
        exports_by = {}
        for rel, name, exports, imports in INTREE_HELPERS:
            for e in exports:
                exports_by[e] = rel
        for rel, name, exports, imports in INTREE_HELPERS:
            deps = sorted({modname(exports_by[i]).replace("_", "-") if "gpu-sched" in exports_by[i]
                           else modname(exports_by[i]) for i in imports})
            ko, note = self.b.ko(name, self.helper_modinfo(kver, name, deps, True), exports, imports)
            out["kernel/" + rel] = (ko, note, name)
        imports = [e for _, _, exps, _ in INTREE_HELPERS for e in exps[:1]]
        ko, note = self.b.ko("amdgpu", self.amdgpu_modinfo(kver, "in-tree", "clean"), ["amdgpu_fixture_kfd_ioctl"],
                             imports, self.dyndbg_sites("in-tree", "clean"), pad=True)
        out["kernel/" + INTREE_AMDGPU] = (ko, note, "amdgpu")
        return out

    def build_dkms(self, kver, flavor):
        """DKMS-built modules for kver: {BUILT_MODULE_NAME: (ko, note, modname)}"""
        out = {}
        exports_by = {}
        for name, _, _, exports, _ in DKMS_MODULES:
            for e in exports:
                exports_by[e] = name
        all_imports = []
        for name, loc, dest, exports, imports in DKMS_MODULES:
            if name == "amdgpu":
                continue
            deps = sorted({exports_by[i] for i in imports})
            mi = self.helper_modinfo(kver, modname(name), deps, False)
            ko, note = self.b.ko(modname(name), mi, exports, imports)
            out[name] = (ko, note, modname(name))
            all_imports += exports[:1]
        all_imports += ["drm_dp_dpcd_read", "i2c_bit_add_bus", "acpi_video_register"]
        ko, note = self.b.ko("amdgpu", self.amdgpu_modinfo(kver, "dkms", flavor), ["amdgpu_fixture_kfd_ioctl"],
                             all_imports, self.dyndbg_sites("dkms", flavor), seed=(flavor == "patched"),
                             variant=1 if flavor == "patched" else 0, pad=True)
        out["amdgpu"] = (ko, note, "amdgpu")
        return out

    # ---- top level ---------------------------------------------------------
    def generate(self):
        sc = self.sc
        self.load_sources()
        self.base_layout()
        self.etc()
        kvers = sorted(sc.kernels)
        self.intree = {k: self.build_intree(k) for k in kvers}
        self.dkmsmods = {}
        for k in kvers:
            if sc.kernel_dkms(k) in ("built", "installed"):
                self.dkmsmods[k] = self.build_dkms(k, sc.kernel_build(k))
        self.packages(kvers)
        self.rocm_packages()
        self.dkms_tree(kvers)
        for k in kvers:
            self.modules_dir(k)
        for k in kvers:
            self.initramfs(k)
        self.mok_keys()
        if sc.live:
            self.live_state()
        if sc.hostile:
            self.hostile()
        if sc.env:
            self.env_sources()
        if sc.home:
            self.hostile_home()
        python_trees(self)
        bundle_secrets(self)
        self.tamper()
        self.finish()

    def finish(self):
        for d in ("proc", "sys"):
            os.chmod(self.r.p(d), 0o555)

    def base_layout(self):
        r, sc = self.r, self.sc
        for d in ("usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "usr/share", "usr/src", "etc", "var/lib",
                  "var/log", "var/cache", "var/tmp", "home", "opt", "mnt", "media", "srv"):
            r.mkdir(d)
        r.mkdir("root", 0o700)
        r.mkdir("tmp", 0o1777)
        r.mkdir("var/tmp", 0o1777)
        r.mkdir("boot")
        for d in ("proc", "sys", "dev", "run"):
            r.mkdir(d)              # proc and sys become 0555 in finish()
        if sc.usrmerge:
            for d in ("bin", "sbin", "lib", "lib64"):
                r.symlink(d, "usr/" + d)
        else:
            for d in ("bin", "sbin", "lib", "lib64"):
                r.mkdir(d)
        r.mkdir("usr/lib/depmod.d")
        r.write("usr/lib/depmod.d/ubuntu.conf",
                "# Search the DKMS/updates tree before the packaged modules.\nsearch updates ubuntu built-in\n")

    def etc(self):
        r, sc = self.r, self.sc
        r.write("etc/os-release", "\n".join([
            'PRETTY_NAME="Ubuntu 24.04.1 LTS"', 'NAME="Ubuntu"', 'VERSION_ID="24.04"',
            'VERSION="24.04.1 LTS (Noble Numbat)"', "VERSION_CODENAME=noble", "ID=ubuntu", "ID_LIKE=debian",
            'HOME_URL="https://www.ubuntu.com/"', 'SUPPORT_URL="https://help.ubuntu.com/"',
            'BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"',
            'PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"',
            "UBUNTU_CODENAME=noble", "LOGO=ubuntu-logo", ""]))
        r.write("etc/hostname", "rdna1-box\n")
        r.write("etc/passwd", "".join([
            "root:x:0:0:root:/root:/bin/bash\n",
            "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
            "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n",
            "sys:x:3:3:sys:/dev:/usr/sbin/nologin\n",
            "man:x:6:12:man:/var/cache/man:/usr/sbin/nologin\n",
            "systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\n",
            "messagebus:x:100:102::/nonexistent:/usr/sbin/nologin\n",
            "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n",
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"]))
        render_members = "alice" if sc.user_in_render else ""
        video_members = "alice" if sc.user_in_video else ""
        r.write("etc/group", "".join([
            "root:x:0:\n", "daemon:x:1:\n", "bin:x:2:\n", "sys:x:3:\n", "adm:x:4:syslog,alice\n",
            "tty:x:5:\n", "disk:x:6:\n", "man:x:12:\n", "sudo:x:27:alice\n", "audio:x:29:\n",
            "shadow:x:42:\n", "video:x:44:%s\n" % video_members, "plugdev:x:46:alice\n", "users:x:100:\n",
            "messagebus:x:102:\n", "render:x:%d:%s\n" % (sc.render_gid, render_members),
            "systemd-network:x:998:\n", "alice:x:1000:\n", "nogroup:x:65534:\n"]))
        r.write("etc/shadow", "root:*:19998:0:99999:7:::\n"
                "alice:$y$j9T$FIXTURE-SHADOW-SECRET$notarealhash:19998:0:99999:7:::\n", 0o640, 0, 42)
        r.write("etc/fstab", "# <file system> <mount point> <type> <options> <dump> <pass>\n"
                "UUID=2f1e7c4a-5b7e-4d55-9c1a-6f0e3d2b9a11 / ext4 errors=remount-ro 0 1\n"
                "UUID=8c4e-1f2a /boot/efi vfat umask=0077 0 1\n")
        r.mkdir("etc/modprobe.d")
        r.write("etc/modprobe.d/alsa-base.conf",
                "# Keep snd-pcsp from becoming the first sound card.\noptions snd-pcsp index=-2\n"
                "options snd-usb-audio index=-2\n")
        if sc.modprobe == "blacklist":
            r.write("etc/modprobe.d/blacklist-amdgpu.conf", "# recovery: keep amdgpu off\nblacklist amdgpu\n")
        elif sc.modprobe == "install-false":
            r.write("etc/modprobe.d/blacklist-amdgpu.conf", "install amdgpu /bin/false\n")
        r.mkdir("etc/dkms")
        if sc.patch_array == "etc":
            r.write("etc/dkms/amdgpu.conf", 'PATCH[0]="%s"\n' % PATCH_NAME)
        r.mkdir("home/alice", 0o750, UID_ALICE, UID_ALICE)
        r.write("home/alice/.profile", "# ~/.profile\nif [ -f \"$HOME/.bashrc\" ]; then\n    . \"$HOME/.bashrc\"\nfi\n"
                "PATH=\"$HOME/.local/bin:$PATH\"\n", 0o644, UID_ALICE, UID_ALICE)
        r.write("home/alice/.bashrc", "# ~/.bashrc: interactive shells\ncase $- in *i*) ;; *) return;; esac\n"
                "HISTCONTROL=ignoreboth\nalias ll='ls -alF'\n", 0o644, UID_ALICE, UID_ALICE)
        r.write("root/.profile", "# ~/.profile\nmesg n 2> /dev/null || true\n", 0o644)
        for d in ("var/cache/apt/archives/partial", "var/lib/dkms", "var/lib/dpkg/info", "var/lib/dpkg/updates",
                  "var/lib/dpkg/triggers", "var/log/apt"):
            r.mkdir(d)
        r.write("var/lib/dpkg/status", "")
        r.write("var/lib/dpkg/available", "")

    # ---- dpkg ---------------------------------------------------------------
    def dkms_tree_files(self):
        """The clean usr/src/amdgpu-V tree as shipped by amdgpu-dkms."""
        sc = self.sc
        v = sc.dkms_version
        top = "usr/src/amdgpu-%s/" % v
        conf = ['PACKAGE_NAME="amdgpu"', 'PACKAGE_VERSION="%s"' % v, 'AUTOINSTALL="yes"',
                "PRE_BUILD=\"amd/dkms/pre-build.sh $kernelver\"", "",
                "# not all OS supports weak module updates", 'NO_WEAK_MODULES="yes"', ""]
        for i, (name, loc, dest, _, _) in enumerate(DKMS_MODULES):
            conf += ['BUILT_MODULE_NAME[%d]="%s"' % (i, name), 'BUILT_MODULE_LOCATION[%d]="%s"' % (i, loc),
                     'DEST_MODULE_LOCATION[%d]="%s"' % (i, dest), ""]
        conf += ["MAKE[0]=\"'make' -j$(nproc) KERNELVER=$kernelver TTM_NAME=amdttm SCHED_NAME=amd-sched\"",
                 "CLEAN=\"'make' clean\""]
        f = {}
        f[top + "dkms.conf"] = (0o644, ("\n".join(conf) + "\n").encode(), None)
        f[top + "Makefile"] = (0o644, (
            "# SPDX-License-Identifier: GPL-2.0-or-later\n"
            "# Top-level kbuild file of the amdgpu DKMS tree (rdna1-doctor fixture).\n"
            "obj-m += scheduler/ ttm/ amd/amdkcl/ amd/amdxcp/ amd/amdgpu/\n"
            "obj-m += amddrm_ttm_helper.o amddrm_buddy.o amddrm_exec.o amddrm_suballoc_helper.o\n\n"
            "KERNELVER ?= $(shell uname -r)\nKDIR := /lib/modules/$(KERNELVER)/build\n\n"
            "all:\n\t$(MAKE) -C $(KDIR) M=$(CURDIR) modules\n\n"
            "clean:\n\t$(MAKE) -C $(KDIR) M=$(CURDIR) clean\n").encode(), None)
        f[top + "amd/dkms/pre-build.sh"] = (0o755, (
            "#!/bin/sh\n# SPDX-License-Identifier: GPL-2.0-or-later\n"
            "# Fixture stand-in: configure the tree for kernel $1.\nexit 0\n").encode(), None)
        f[top + "amd/amdkfd/kfd_crat.c"] = (0o644, self.clean["kfd_crat.c"].encode("utf-8", "surrogateescape"), None)
        f[top + "amd/amdkfd/kfd_crat.h"] = (0o644, self.clean["kfd_crat.h"].encode("utf-8", "surrogateescape"), None)
        f[top + "amd/amdkfd/kfd_topology.c"] = (0o644, self.clean["kfd_topology.c"].encode("utf-8", "surrogateescape"),
                                                None)
        f[top + "amd/amdkfd/Makefile"] = (0o644, (
            "# SPDX-License-Identifier: GPL-2.0-or-later\n"
            "AMDKFD_FILES := $(AMDKFD_PATH)/kfd_module.o $(AMDKFD_PATH)/kfd_device.o \\\n"
            "\t$(AMDKFD_PATH)/kfd_topology.o $(AMDKFD_PATH)/kfd_crat.o\n").encode(), None)
        f[top + "amd/amdgpu/Makefile"] = (0o644, (
            "# SPDX-License-Identifier: GPL-2.0-or-later\n"
            "AMDKFD_PATH := ../amdkfd\ninclude $(src)/$(AMDKFD_PATH)/Makefile\n"
            "amdgpu-y := amdgpu_drv.o amdgpu_kms.o $(AMDKFD_FILES)\nobj-m += amdgpu.o\n").encode(), None)
        for n, text in self.amdgpu_extra.items():
            f[top + "amd/amdgpu/" + n] = (0o644, text.encode(), None)
        for i in range(self.sc.source_files):
            body = "".join("static int gen_%d_%d(int x)\n{\n\treturn x * %d + %d;\n}\n\n" % (i, j, i, j)
                           for j in range(820))
            f[top + "amd/amdgpu/gen/gen_%05d.c" % i] = (
                0o644, ("/* SPDX-License-Identifier: GPL-2.0-or-later */\n/* rdna1-doctor fixture padding */\n"
                        + body).encode(), None)
        for sub in ("ttm", "scheduler", "amd/amdkcl", "amd/amdxcp"):
            f[top + sub + "/Makefile"] = (0o644, b"# SPDX-License-Identifier: GPL-2.0-or-later\nobj-m += "
                                          + os.path.basename(sub).encode() + b".o\n", None)
        return f

    def control(self, fields):
        return "".join("%s: %s\n" % kv for kv in fields)

    def packages(self, kvers):
        sc = self.sc
        debs = []
        # dkms itself: owns the framework.conf conffile
        debs.append(self.b.deb(self.control([
            ("Package", "dkms"), ("Version", "3.0.11-1ubuntu13"), ("Architecture", "all"),
            ("Maintainer", "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>"), ("Installed-Size", "4"),
            ("Section", "kernel"), ("Priority", "optional"),
            ("Description", "Dynamic Kernel Module System (DKMS)\n rdna1-doctor fixture stand-in.")])
            + "#conffile /etc/dkms/framework.conf\n",
            {"etc/dkms/framework.conf": (0o644, b"## DKMS framework configuration (fixture)\n"
                                                b"# dkms_tree=\"/var/lib/dkms\"\n# source_tree=\"/usr/src\"\n"
                                                b"# install_tree=\"/lib/modules\"\n", None),
             "usr/share/doc/dkms/README.fixture": (0o644, b"Stand-in for the dkms package (rdna1-doctor fixture).\n",
                                                   None)}))
        for k in kvers:
            mods = self.intree[k]
            comp = sc.kernel_compression(k)
            files = {}
            order, builtin = [], []
            for rel, (ko, note, name) in sorted(mods.items()):
                path, suffix = self.b.compressed(ko, comp)
                with open(path, "rb") as fh:
                    files["lib/modules/%s/%s%s" % (k, rel, suffix)] = (0o644, fh.read(), None)
                order.append(rel)
            builtin = ["kernel/drivers/gpu/drm/drm.ko", "kernel/drivers/gpu/drm/drm_kms_helper.ko",
                       "kernel/drivers/pci/pcie/portdrv.ko"]
            files["lib/modules/%s/modules.order" % k] = (0o644, "".join(o + "\n" for o in order).encode(), None)
            files["lib/modules/%s/modules.builtin" % k] = (0o644, "".join(b + "\n" for b in builtin).encode(), None)
            files["lib/modules/%s/modules.builtin.modinfo" % k] = (0o644, b"".join(
                b"%s.%s=%s\0" % (m, t, v) for m, t, v in [
                    (b"drm", b"description", b"DRM shared core routines"), (b"drm", b"license", b"GPL and additional rights"),
                    (b"drm_kms_helper", b"license", b"GPL and additional rights"),
                    (b"pcieportdrv", b"file", b"drivers/pci/pcie/portdrv")]), None)
            files["boot/System.map-%s" % k] = (0o600, b"ffffffff81000000 T _stext\nffffffff81000000 T _text\n"
                                                      b"ffffffff81001000 T startup_64\n", None)
            files["boot/config-%s" % k] = (0o644, (
                "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 %s Kernel Configuration\n#\n"
                "CONFIG_MODULES=y\nCONFIG_MODULE_SIG=y\nCONFIG_MODULE_COMPRESS_ZSTD=y\nCONFIG_MODVERSIONS=y\n"
                "CONFIG_DYNAMIC_DEBUG=y\nCONFIG_DRM_AMDGPU=m\nCONFIG_HSA_AMD=y\n" % k).encode(), None)
            abi = k.rsplit("-", 1)[0]
            debs.append(self.b.deb(self.control([
                ("Package", "linux-modules-%s" % k), ("Source", "linux"), ("Version", "%s.%s" % (abi, "49")),
                ("Architecture", "amd64"), ("Maintainer", "Ubuntu Kernel Team <kernel-team@lists.ubuntu.com>"),
                ("Installed-Size", str(sum(len(v[1]) for v in files.values()) // 1024 + 1)),
                ("Section", "kernel"), ("Priority", "optional"),
                ("Description", "Linux kernel extra modules for version %s\n rdna1-doctor fixture." % abi)]),
                files))
            debs.append(self.b.deb(self.control([
                ("Package", "linux-image-%s" % k), ("Source", "linux-signed"), ("Version", "%s.%s" % (abi, "49")),
                ("Architecture", "amd64"), ("Maintainer", "Ubuntu Kernel Team <kernel-team@lists.ubuntu.com>"),
                ("Installed-Size", "14"), ("Depends", "linux-modules-%s" % k),
                ("Section", "kernel"), ("Priority", "optional"),
                ("Description", "Signed kernel image generic\n rdna1-doctor fixture.")]),
                {"boot/vmlinuz-%s" % k: (0o600, b"MZ" + hashlib.sha256(k.encode()).digest() * 64, None)}))
        if sc.dkms_package:
            files = self.dkms_tree_files()
            size = sum(len(v[1]) for v in files.values()) // 1024 + 1
            self.dkms_deb = self.b.deb(self.control([
                ("Package", "amdgpu-dkms"), ("Version", sc.dkms_pkg_version), ("Architecture", "all"),
                ("Maintainer", "Advanced Micro Devices (AMD) <gpudriverdevsupport@amd.com>"),
                ("Installed-Size", str(size)),
                ("Depends", "dkms (>= 1.95), libc-dev | libc6-dev, autoconf, automake"),
                ("Section", "misc"), ("Priority", "optional"), ("Homepage", "https://www.amd.com"),
                ("Description", "amdgpu driver in DKMS format.\n rdna1-doctor fixture of the amdgpu-dkms package.")]),
                files)
            debs.append(self.dkms_deb)
        env = dict(os.environ, PATH=os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin", LC_ALL="C")
        env.pop("DPKG_FRONTEND_LOCKED", None)
        argv = [self.b.tool("dpkg"), "--root=" + self.r.top, "--force-not-root", "--force-bad-path",
                "--force-depends", "--force-script-chrootless", "--no-triggers", "--log=/dev/null", "-i"] + debs
        if not self.r.is_root:
            argv.insert(1, "--force-unsafe-io")
        run(argv, env=env)
        for backup in ("status-old", "available-old"):
            if self.r.exists("var/lib/dpkg/" + backup):
                os.unlink(self.r.p("var/lib/dpkg/" + backup))
        if sc.dkms_package and sc.dpkg_status == "half-configured":
            st = self.r.read("var/lib/dpkg/status").decode()
            out, cur = [], None
            for line in st.split("\n"):
                if line.startswith("Package: "):
                    cur = line[len("Package: "):]
                if cur == "amdgpu-dkms" and line.startswith("Status: "):
                    line = "Status: install ok half-configured"
                out.append(line)
            self.r.write("var/lib/dpkg/status", "\n".join(out))
        if sc.dkms_package and sc.apt_cache_deb:
            self.r.copy("var/cache/apt/archives/amdgpu-dkms_%s_all.deb" % sc.dkms_pkg_version.replace(":", "%3a"),
                        self.dkms_deb)

    # ---- DKMS -------------------------------------------------------------------
    def dkms_tree(self, kvers):
        sc, r = self.sc, self.r
        if not sc.dkms_package:
            return
        v = sc.dkms_version
        src = "usr/src/amdgpu-%s" % v
        if sc.dkms_source == "patched":
            r.write(src + "/" + KFD_CRAT_REL, self.patched_crat.encode("utf-8", "surrogateescape"))
            if sc.backup_orig:
                r.write(src + "/" + KFD_CRAT_REL + ".orig", self.clean["kfd_crat.c"].encode("utf-8", "surrogateescape"))
        if sc.patch_array != "none":
            r.write(src + "/patches/" + PATCH_NAME, self.patch_diff)
        if sc.patch_array == "dkms.conf":
            conf = r.read(src + "/dkms.conf").decode()
            conf = conf.replace('AUTOINSTALL="yes"\n', 'AUTOINSTALL="yes"\nPATCH[0]="%s"\n' % PATCH_NAME)
            r.write(src + "/dkms.conf", conf)
        base = "var/lib/dkms/amdgpu"
        r.mkdir(base)
        r.mkdir("%s/%s" % (base, v))
        r.symlink("%s/%s/source" % (base, v), "/" + src)
        for k in kvers:
            state = sc.kernel_dkms(k)
            if state in ("built", "installed"):
                mdir = "%s/%s/%s/x86_64" % (base, v, k)
                comp = sc.kernel_compression(k)
                for name, (ko, note, mname) in self.dkmsmods[k].items():
                    path, suffix = self.b.compressed(ko, comp)
                    r.copy("%s/module/%s.ko%s" % (mdir, name, suffix), path)
                r.write(mdir + "/log/make.log", self.make_log(k, ok=True))
                if state == "installed":
                    r.symlink("%s/kernel-%s-x86_64" % (base, k), "%s/%s/x86_64" % (v, k))
            elif state == "failed":
                r.write("%s/%s/build/make.log" % (base, v), self.make_log(k, ok=False))
                r.write("%s/%s/build/dkms.conf" % (base, v), r.read(src + "/dkms.conf"))
                r.write("%s/%s/build/%s" % (base, v, KFD_CRAT_REL), r.read(src + "/" + KFD_CRAT_REL))
        for ev in sc.extra_versions:
            r.mkdir("%s/%s" % (base, ev))
            r.symlink("%s/%s/source" % (base, ev), "/usr/src/amdgpu-%s" % ev)

    def make_log(self, kver, ok, version=None, escape=False):
        v = version or self.sc.dkms_version
        b = "/var/lib/dkms/amdgpu/%s/build" % v
        lines = ["DKMS make.log for amdgpu-%s for kernel %s (x86_64)" % (v, kver),
                 "Tue Nov  4 21:17:42 CET 2025",
                 "make: Entering directory '/usr/src/linux-headers-%s'" % kver]
        for f in ("amd/amdkcl/kcl_common.o", "scheduler/sched_main.o", "ttm/ttm_bo.o",
                  "amd/amdgpu/amdgpu_drv.o", "amd/amdgpu/amdgpu_device.o", "amd/amdgpu/../amdkfd/kfd_topology.o"):
            lines.append("  CC [M]  %s/%s" % (b, f))
        if ok:
            lines.append("  CC [M]  %s/amd/amdgpu/../amdkfd/kfd_crat.o" % b)
            lines.append("  LD [M]  %s/amd/amdgpu/amdgpu.o" % b)
            lines.append("  MODPOST %s/Module.symvers" % b)
            for name, loc, _, _, _ in DKMS_MODULES:
                lines.append("  CC [M]  %s/%s/%s.mod.o" % (b, loc, name) if loc != "." else
                             "  CC [M]  %s/%s.mod.o" % (b, name))
            for name, loc, _, _, _ in DKMS_MODULES:
                lines.append("  LD [M]  %s/%s/%s.ko" % (b, loc, name) if loc != "." else
                             "  LD [M]  %s/%s.ko" % (b, name))
            lines.append("  BTF [M] %s/amd/amdgpu/amdgpu.ko" % b)
            lines.append("Skipping BTF generation for %s/amd/amdgpu/amdgpu.ko due to unavailability of vmlinux" % b)
        else:
            crat = self.patched_crat.split("\n")
            ln = next(i + 1 for i in range(self.patch_line - 1, len(crat)) if "dev->gpu->adev" in crat[i])
            text = crat[ln - 1]
            col = text.index("dev->gpu->adev") + len("dev->gpu->") + 1
            col_vis = len(text[:col - 1].expandtabs(8)) + 1
            src = "%s/amd/amdgpu/../amdkfd/kfd_crat.c" % b
            msg = "error: 'struct kfd_node' has no member named 'adev'"
            if escape:
                msg = "error: 'struct kfd_node' has no member named '\x1b]0;pwned\x07adev'"
            lines += ["  CC [M]  %s/amd/amdgpu/../amdkfd/kfd_crat.o" % b,
                      "%s: In function 'kfd_parse_subtype_mem':" % src,
                      "%s:%d:%d: %s" % (src, ln, col_vis, msg),
                      " %4d | %s" % (ln, text.expandtabs(8)),
                      "      | %s^~" % (" " * (col_vis - 1)),
                      "%s:%d:%d: %s" % (src, ln, col_vis + 26, "error: 'struct kfd_node' has no member named 'adev'"),
                      "make[4]: *** [scripts/Makefile.build:243: %s/amd/amdgpu/../amdkfd/kfd_crat.o] Error 1" % b,
                      "make[3]: *** [scripts/Makefile.build:481: %s/amd/amdgpu] Error 2" % b,
                      "make[2]: *** [/usr/src/linux-headers-%s/Makefile:1925: %s] Error 2" % (kver, b),
                      "make[1]: *** [Makefile:240: __sub-make] Error 2"]
        lines.append("make: Leaving directory '/usr/src/linux-headers-%s'" % kver)
        return "\n".join(lines) + "\n"

    # ---- /lib/modules and the initramfs --------------------------------------
    def modules_dir(self, k):
        sc, r = self.sc, self.r
        if sc.kernel_dkms(k) == "installed":
            comp = sc.kernel_compression(k)
            for name, (ko, note, mname) in self.dkmsmods[k].items():
                path, suffix = self.b.compressed(ko, comp)
                r.copy("lib/modules/%s/updates/dkms/%s.ko%s" % (k, name, suffix), path)
        r.mkdir("usr/src/linux-headers-%s" % k)
        run([self.b.tool("depmod"), "-b", r.top, "-C", r.p("usr/lib/depmod.d"), k])

    def initramfs(self, k):
        sc, r = self.sc, self.r
        mode = sc.kget(k, "initramfs", "auto")
        if mode == "absent":
            return
        if mode == "auto":
            mode = "dkms" if sc.kernel_dkms(k) == "installed" else "in-tree"
        comp = sc.kernel_compression(k)
        early = {"kernel/x86/microcode/AuthenticAMD.bin": (0o644, b"\x00\x00\x00\x00" +
                                                            hashlib.sha256(b"ucode").digest() * 32)}
        main = {
            "conf/initramfs.conf": (0o644, b"MODULES=most\nBUSYBOX=auto\nKEYMAP=n\nCOMPRESS=zstd\nDEVICE=\n"
                                           b"NFSROOT=auto\nRUNSIZE=10%\nFSTYPE=auto\n"),
            "conf/arch.conf": (0o644, b"DPKG_ARCH=amd64\n"),
            "init": (0o755, b"#!/bin/sh\n# initramfs init (rdna1-doctor fixture)\n"
                            b"[ -d /dev ] || mkdir -m 0755 /dev\nmount -t proc -o nodev,noexec,nosuid proc /proc\n"
                            b". /scripts/functions\nmaybe_break top\nexec run-init ${rootmnt} ${init} \"$@\"\n"),
            "scripts/functions": (0o644, b"# shell functions for init (fixture)\nmaybe_break() { :; }\n"),
            "etc/modprobe.d/alsa-base.conf": (0o644, r.read("etc/modprobe.d/alsa-base.conf")),
            "usr/lib/modules/%s/modules.order" % k: (0o644, r.read("lib/modules/%s/modules.order" % k)),
            "usr/lib/modules/%s/modules.builtin" % k: (0o644, r.read("lib/modules/%s/modules.builtin" % k)),
            "usr/lib/modules/%s/modules.builtin.modinfo" % k: (
                0o644, r.read("lib/modules/%s/modules.builtin.modinfo" % k)),
        }
        if mode == "in-tree":
            for rel, (ko, note, name) in self.intree[k].items():
                path, suffix = self.b.compressed(ko, comp)
                with open(path, "rb") as fh:
                    main["usr/lib/modules/%s/%s%s" % (k, rel, suffix)] = (0o644, fh.read())
        elif mode == "dkms":
            flavor = sc.kernel_build(k)
            mods = self.dkmsmods.get(k) or self.build_dkms(k, flavor)
            for name, (ko, note, mname) in mods.items():
                path, suffix = self.b.compressed(ko, comp)
                with open(path, "rb") as fh:
                    main["usr/lib/modules/%s/updates/dkms/%s.ko%s" % (k, name, suffix)] = (0o644, fh.read())
            for rel, (ko, note, name) in self.intree[k].items():
                if name in ("drm_display_helper", "i2c_algo_bit", "video"):
                    path, suffix = self.b.compressed(ko, comp)
                    with open(path, "rb") as fh:
                        main["usr/lib/modules/%s/%s%s" % (k, rel, suffix)] = (0o644, fh.read())
        links = {"lib": "usr/lib", "bin": "usr/bin", "sbin": "usr/sbin", "lib64": "usr/lib64"}
        img = self.b.initramfs(k, early, main, links, "zst", r.p("usr/lib/depmod.d"))
        r.copy("boot/initrd.img-%s" % k, img)
        os.chmod(r.p("boot/initrd.img-%s" % k), 0o644)
        if k == sc.kernel:
            r.symlink("boot/initrd.img", "initrd.img-%s" % k)
            r.symlink("boot/vmlinuz", "vmlinuz-%s" % k)

    # ---- running system -------------------------------------------------------------
    def loaded_modules(self):
        """[(modname, ko, note, taint, holders, version, srcversion)] in load order (oldest first)."""
        sc = self.sc
        k = sc.kernel
        out = []
        if sc.loaded not in ("none", "in-tree", "dkms"):
            raise Fail("[system] loaded = %s: want in-tree, dkms or none" % sc.loaded)
        if sc.loaded != "none" and k not in self.intree:
            raise Fail("running kernel %s has no [kernel.%s] section" % (k, k))
        if sc.loaded == "dkms" and k not in self.dkmsmods:
            raise Fail("loaded = dkms, but [kernel.%s] dkms is not built/installed" % k)
        if sc.loaded == "in-tree" and k in self.intree:
            mods = self.intree[k]
            helpers = [(rel, v) for rel, v in mods.items() if v[2] != "amdgpu"]
            for rel, (ko, note, name) in helpers:
                holders = ["amdgpu"] + (["drm_ttm_helper"] if name == "ttm" else [])
                out.append((name, ko, note, "", holders, None, None))
            amd = mods["kernel/" + INTREE_AMDGPU]
            out.append(("amdgpu", amd[0], amd[1], "", [], None, None))
        elif sc.loaded == "dkms" and k in self.dkmsmods:
            for rel, (ko, note, name) in self.intree[k].items():
                if name in ("drm_display_helper", "i2c_algo_bit", "video"):
                    out.append((name, ko, note, "", ["amdgpu"], None, None))
            flavor = sc.kernel_build(k)
            for bname, (ko, note, name) in self.dkmsmods[k].items():
                if name == "amdgpu":
                    continue
                holders = ["amdgpu"] + {"amdkcl": ["amdttm", "amd_sched"], "amdttm": ["amddrm_ttm_helper"]}.get(name, [])
                out.insert(0, (name, ko, note, "OE", holders, None, None))
            ko, note, _ = self.dkmsmods[k]["amdgpu"]
            out.append(("amdgpu", ko, note, "OE", [], self.dkms_module_version(),
                        srcversion_of(self.crat_text(flavor), sc.dkms_version)))
        return out

    def live_state(self):
        sc, r = self.sc, self.r
        k = sc.kernel
        loaded = self.loaded_modules()
        any_oe = any(m[3] for m in loaded)
        amd_loaded = any(m[0] == "amdgpu" for m in loaded)
        # /proc
        cmd = sc.cmdline or ("BOOT_IMAGE=/boot/vmlinuz-%s root=UUID=2f1e7c4a-5b7e-4d55-9c1a-6f0e3d2b9a11 ro " % k +
                             ("recovery nomodeset dis_ucode_ldr" if sc.recovery else "quiet splash vt.handoff=7"))
        r.write("proc/cmdline", cmd + "\n", 0o444)
        r.write("proc/version", "Linux version %s (buildd@lcy02-amd64-054) (x86_64-linux-gnu-gcc-13 (Ubuntu "
                "13.2.0-23ubuntu4) 13.2.0, GNU ld (GNU Binutils for Ubuntu) 2.42) #49-Ubuntu SMP PREEMPT_DYNAMIC "
                "Fri Oct 18 12:00:00 UTC 2024\n" % k, 0o444)
        r.write("proc/sys/kernel/osrelease", k + "\n", 0o444)
        tainted = (12288 if any_oe else 0) if sc.tainted == "auto" else int(sc.tainted)
        r.write("proc/sys/kernel/tainted", "%d\n" % tainted, 0o444)
        r.write("proc/sys/kernel/random/boot_id", "6f1d2c3b-8a9e-4f70-b1c2-d3e4f5a6b7c8\n", 0o444)
        r.write("proc/mounts", "/dev/nvme0n1p2 / ext4 %s,relatime,errors=remount-ro 0 0\n" % ("ro" if sc.recovery else "rw")
                + "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
                  "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
                  "udev /dev devtmpfs rw,nosuid,relatime,size=16323012k,nr_inodes=4080753,mode=755,inode64 0 0\n"
                  "tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=3270916k,mode=755,inode64 0 0\n"
                + ("" if sc.recovery else "/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077 0 0\n"),
                0o444)
        # proc/modules: newest first
        lines = []
        users = {}
        for m in loaded:
            for h in m[4]:
                users.setdefault(m[0], []).append(h)
        for name, ko, note, taint, holders, ver, srcv in reversed(loaded):
            used = ",".join(holders) + "," if holders else "-"
            lines.append("%s %d %d %s Live 0x0000000000000000%s" % (
                name, MODULE_SIZES.get(name, 16384), len(holders) + (11 if name == "amdgpu" else 0), used,
                " (%s)" % taint if taint else ""))
        lines += ["snd_hda_intel 61440 4 - Live 0x0000000000000000", "nvme 61440 3 - Live 0x0000000000000000"]
        if any(g["model"] == "intel-uhd630" for g in sc.gpus):
            lines.insert(0, "i915 4194304 12 - Live 0x0000000000000000")
        r.write("proc/modules", "".join(l + "\n" for l in lines), 0o444)
        # dynamic debug
        dd = ["# filename:lineno [module]function flags format",
              'init/main.c:1355 [main]run_init_process =_ "  with arguments:\\n"',
              'drivers/pci/pcie/portdrv.c:552 [portdrv]pcie_portdrv_probe =_ "%s: port %s\\n"']
        for name, ko, note, taint, holders, ver, srcv in loaded:
            if name != "amdgpu":
                continue
            origin = "dkms" if taint else "in-tree"
            flavor = sc.kernel_build(k) if origin == "dkms" else "clean"
            for fn, fl, fmt, ln in self.dyndbg_sites(origin, flavor):
                dd.append('%s:%d [amdgpu]%s =_ "%s"' % (fl, ln, fn, c_escape_kernel(fmt, sc.dyndbg_escape)))
        r.write("proc/dynamic_debug/control", "".join(l + "\n" for l in dd), 0o644)
        # /sys/module
        for name, ko, note, taint, holders, ver, srcv in loaded:
            base = "sys/module/%s" % name
            r.write(base + "/initstate", "live\n", 0o444)
            r.write(base + "/refcnt", "%d\n" % (len(holders) + (11 if name == "amdgpu" else 0)), 0o444)
            r.write(base + "/coresize", "%d\n" % MODULE_SIZES.get(name, 16384), 0o444)
            r.write(base + "/initsize", "0\n", 0o444)
            r.write(base + "/taint", taint + "\n", 0o444)
            r.write(base + "/uevent", "", 0o200)
            if ver:
                r.write(base + "/version", ver + "\n", 0o444)
            if srcv:
                r.write(base + "/srcversion", srcv + "\n", 0o444)
            r.mkdir(base + "/holders")
            for h in holders:
                r.symlink("%s/holders/%s" % (base, h), "../../%s" % h)
            r.mkdir(base + "/notes")
            r.copy(base + "/notes/.note.gnu.build-id", note, 0o444)
            r.mkdir(base + "/sections")
            if name == "amdgpu":
                r.write(base + "/parameters/dc", "-1\n", 0o444)
                r.write(base + "/parameters/ppfeaturemask", "0xfff7bfff\n", 0o444)
        for other in ["snd_hda_intel"] + (["i915"] if any(g["model"] == "intel-uhd630" for g in sc.gpus) else []):
            r.write("sys/module/%s/initstate" % other, "live\n", 0o444)
            r.write("sys/module/%s/refcnt" % other, "4\n", 0o444)
            r.write("sys/module/%s/taint" % other, "\n", 0o444)
        self.sys_pci(amd_loaded)
        if amd_loaded and sc.kfd:
            self.kfd_topology(loaded)
        self.dev_nodes(amd_loaded)
        self.efivars()
        r.mkdir("run/user/1000", 0o700, UID_ALICE, UID_ALICE)

    def efivars(self):
        sc, r = self.sc, self.r
        if sc.secure_boot == "absent":
            return
        val = 1 if sc.secure_boot == "on" else 0
        r.write("sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
                struct.pack("<IB", 6, val), 0o644)
        self.moklist()

    def mok_keys(self):
        """dkms's signing key, as dkms makes it (DER certificate, PEM key)."""
        if self.sc.mok == "none":
            return
        der, key = self.b.mok_cert("dkms")
        self.r.write("var/lib/dkms/mok.pub", der, 0o644)
        self.r.write("var/lib/dkms/mok.key", key, 0o600)

    def moklist(self):
        """MokListRT as shim mirrors it: EFI_SIGNATURE_LISTs of X.509 certificates."""
        sc, r = self.sc, self.r
        if sc.mok == "none" or sc.secure_boot == "absent":
            return
        der, _ = self.b.mok_cert("dkms" if sc.mok == "enrolled" else "other")
        x509 = bytes.fromhex("a159c0a5e494a74a87b5ab155c2bf072")  # EFI_CERT_X509_GUID as stored
        owner = bytes.fromhex("50ab5d6046e00043abb63dd810dd8b23")  # SHIM_LOCK_GUID as stored
        esl = x509 + struct.pack("<III", 28 + 16 + len(der), 0, 16 + len(der)) + owner + der
        r.write("sys/firmware/efi/efivars/MokListRT-605dab50-e046-4300-abb6-3dd810dd8b23",
                struct.pack("<I", 6) + esl, 0o644)
        r.write("sys/firmware/efi/mok-variables/MokListRT", esl, 0o400)

    def pci_device(self, slot, parent, cfg, files, driver=None, extra_dirs=()):
        r = self.r
        dev = "sys/devices/%s/%s" % (parent, slot)
        r.mkdir(dev)
        r.write(dev + "/config", cfg, 0o644)
        for n, v in files.items():
            r.write(dev + "/" + n, v, 0o200 if n in ("remove", "rescan") else 0o444)
        depth = parent.count("/") + 3           # sys/devices/<parent...>/<slot>
        r.symlink("sys/bus/pci/devices/%s" % slot, "../../../devices/%s/%s" % (parent, slot))
        r.symlink(dev + "/subsystem", "../" * depth + "bus/pci")
        if driver:
            r.mkdir("sys/bus/pci/drivers/%s" % driver)
            r.symlink(dev + "/driver", "../" * depth + "bus/pci/drivers/%s" % driver)
            r.symlink("sys/bus/pci/drivers/%s/%s" % (driver, slot), "../../../../devices/%s/%s" % (parent, slot))
        return dev

    def sys_pci(self, amd_loaded):
        sc, r = self.sc, self.r
        r.mkdir("sys/bus/pci/devices")
        r.mkdir("sys/bus/pci/drivers")
        r.mkdir("sys/devices/pci0000:00")
        host_cfg = pci_config(0x1022, 0x1480, 0x00, 0x060000)
        self.pci_device("0000:00:00.0", "pci0000:00", host_cfg, self.pci_files(
            0x1022, 0x1480, 0x00, 0x060000, (0x1022, 0x1480), 0, []))
        bridges = {}
        for n, g in enumerate(sc.gpus):
            dom, bus, devfn = g["slot"].split(":", 2)
            busn = int(bus, 16)
            if busn == 0:
                parent = "pci0000:00"
            else:
                bslot = "0000:00:03.1" if g["model"] != "raphael" else "0000:00:08.1"
                parent = "pci0000:00/" + bslot
                if bslot not in bridges:
                    bridges[bslot] = busn
                    bid = 0x1483 if bslot.endswith("03.1") else 0x14dd
                    cfg = pci_config(0x1022, bid, 0x00, 0x060400, header=1, buses=(0, busn, busn))
                    self.pci_device(bslot, "pci0000:00", cfg, self.pci_files(
                        0x1022, bid, 0x00, 0x060400, (0x1022, 0x1453), 28, [], bridge=True), driver="pcieport")
            is_amd = g["vendor"] == 0x1002
            if is_amd:
                driver = "amdgpu" if (amd_loaded and g["bound"]) else None
            else:
                driver = "i915" if g["bound"] else None
            res = [(0x7fe0000000 + n * 0x20000000, 0x7fefffffff + n * 0x20000000, 0x14220c), None,
                   (0x7ff0000000 + n * 0x20000000, 0x7ff01fffff + n * 0x20000000, 0x14220c), None,
                   (0xe000 - n * 0x1000, 0xe0ff - n * 0x1000, 0x40101),
                   (0xfcc00000 - n * 0x200000, 0xfcc7ffff - n * 0x200000, 0x40200),
                   (0xfcc80000 - n * 0x200000, 0xfcc9ffff - n * 0x200000, 0x46200)]
            bars = [(res[0][0] & 0xffffffff) | 0xc, res[0][0] >> 32, (res[2][0] & 0xffffffff) | 0xc, res[2][0] >> 32,
                    res[4][0] | 1, res[5][0]]
            cfg = pci_config(g["vendor"], g["device"], g["rev"], g["cls"], g["subsys"], irq=0xff, bars=bars,
                             multifunction="audio" in g)
            files = self.pci_files(g["vendor"], g["device"], g["rev"], g["cls"], g["subsys"], g["irq"], res,
                                   driver=driver, slot=g["slot"])
            files["boot_vga"] = "1\n" if n == 0 else "0\n"
            dev = self.pci_device(g["slot"], parent, cfg, files, driver=driver)
            if driver:
                r.symlink("sys/bus/pci/drivers/%s/module" % driver, "../../../../module/%s" % driver)
                card, render = n, 128 + n
                for node, minor, dmaj in (("card%d" % card, card, 226), ("renderD%d" % render, render, 226)):
                    r.write("%s/drm/%s/dev" % (dev, node), "%d:%d\n" % (dmaj, minor), 0o444)
                    r.write("%s/drm/%s/uevent" % (dev, node), "MAJOR=%d\nMINOR=%d\nDEVNAME=dri/%s\nDEVTYPE=drm_minor\n"
                            % (dmaj, minor, node), 0o644)
                    r.symlink("sys/class/drm/%s" % node, "../../devices/%s/%s/drm/%s" % (parent, g["slot"], node))
                if is_amd:
                    self.gpu_telemetry(dev, n)
            if "audio" in g and busn != 0:
                aslot = g["slot"][:-1] + "1"
                acfg = pci_config(0x1002, g["audio"], 0x00, 0x040300, g["subsys"], irq=0xff)
                self.pci_device(aslot, parent, acfg, self.pci_files(
                    0x1002, g["audio"], 0x00, 0x040300, g["subsys"], g["irq"] + 2,
                    [(0xfcca0000 - n * 0x200000, 0xfcca3fff - n * 0x200000, 0x40200)], driver="snd_hda_intel",
                    slot=aslot), driver="snd_hda_intel")

    def gpu_telemetry(self, dev, n):
        """amdgpu's sysfs telemetry (what the TUI's Overview reads), fixed
        numbers so screens are reproducible: hwmon temp1_input in
        millidegrees, gpu_busy_percent, mem_info_vram_used/total in bytes."""
        r = self.r
        hw = "%s/hwmon/hwmon%d" % (dev, 2 + n)
        r.write(hw + "/name", "amdgpu\n", 0o444)
        r.write(hw + "/temp1_input", "%d\n" % (47000 + 5000 * n), 0o444)
        r.write(hw + "/temp1_label", "edge\n", 0o444)
        r.write(dev + "/gpu_busy_percent", "%d\n" % (3 + 10 * n), 0o444)
        r.write(dev + "/mem_info_vram_total", "%d\n" % (6 << 30), 0o444)
        r.write(dev + "/mem_info_vram_used", "%d\n" % ((412 + 100 * n) << 20), 0o444)

    def pci_files(self, vendor, device, rev, cls, subsys, irq, res, bridge=False, driver=None, slot=None):
        f = {"vendor": "0x%04x\n" % vendor, "device": "0x%04x\n" % device,
             "subsystem_vendor": "0x%04x\n" % subsys[0], "subsystem_device": "0x%04x\n" % subsys[1],
             "class": "0x%06x\n" % cls, "revision": "0x%02x\n" % rev, "irq": "%d\n" % irq,
             "numa_node": "-1\n", "enable": "1\n", "local_cpulist": "0-11\n", "local_cpus": "fff\n",
             "dma_mask_bits": "44\n", "consistent_dma_mask_bits": "44\n", "msi_bus": "1\n",
             "current_link_speed": "16.0 GT/s PCIe\n", "current_link_width": "16\n",
             "max_link_speed": "16.0 GT/s PCIe\n", "max_link_width": "16\n", "d3cold_allowed": "1\n",
             "power_state": "D0\n", "driver_override": "(null)\n",
             "resource": resource_file(res, 17 if bridge else 13)}
        modalias = "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X" % (
            vendor, device, subsys[0], subsys[1], cls >> 16, (cls >> 8) & 0xff, cls & 0xff)
        f["modalias"] = modalias + "\n"
        ue = []
        if driver:
            ue.append("DRIVER=%s" % driver)
        ue += ["PCI_CLASS=%X" % cls, "PCI_ID=%04X:%04X" % (vendor, device),
               "PCI_SUBSYS_ID=%04X:%04X" % subsys, "PCI_SLOT_NAME=%s" % (slot or ""), "MODALIAS=%s" % modalias]
        f["uevent"] = "".join(u + "\n" for u in ue)
        if bridge:
            f["secondary_bus_number"] = "1\n"
            f["subordinate_bus_number"] = "1\n"
        return f

    def kfd_topology(self, loaded):
        sc, r = self.sc, self.r
        amd = [g for g in sc.gpus if g["vendor"] == 0x1002 and g["bound"]]
        origin = "dkms" if any(m[0] == "amdgpu" and m[3] for m in loaded) else "in-tree"
        fmt = sc.kfd_format if sc.kfd_format != "auto" else ("dkms" if origin == "dkms" else "6.8")
        node_keys = KFD_NODE_KEYS["6.1"]
        gpu_keys = KFD_GPU_KEYS[fmt]
        io_keys = KFD_IOLINK_KEYS["dkms" if fmt == "dkms" else "6.1"]
        r.mkdir("sys/devices/virtual/kfd/kfd/topology/nodes")
        r.symlink("sys/class/kfd/kfd", "../../devices/virtual/kfd/kfd")
        t = "sys/devices/virtual/kfd/kfd/topology"
        r.write("sys/devices/virtual/kfd/kfd/dev", "235:0\n", 0o444)
        r.write(t + "/generation_id", "%d\n" % (len(amd) + 1), 0o444)
        r.write(t + "/system_properties", "platform_oem 0\nplatform_id 0\nplatform_rev 0\n", 0o444)
        hostile = sc.hostile

        def props(path, keys, values):
            out = []
            for key in keys:
                v = values.get(key, 0)
                out.append("%s %s\n" % (key, v))
            r.write(path, "".join(out), 0o444)

        # node 0: the CPU
        n0 = "%s/nodes/0" % t
        r.write(n0 + "/gpu_id", "0\n", 0o444)
        r.write(n0 + "/name", "\n", 0o444)
        props(n0 + "/properties", node_keys + ["max_engine_clk_ccompute"], dict(
            cpu_cores_count=12, mem_banks_count=1, io_links_count=len(amd), max_engine_clk_ccompute=4650))
        props(n0 + "/mem_banks/0/properties", ["heap_type", "size_in_bytes", "flags", "width", "mem_clk_max"],
              dict(heap_type=0, size_in_bytes=33482194944, flags=0, width=64, mem_clk_max=3200))
        r.mkdir(n0 + "/caches")
        r.mkdir(n0 + "/p2p_links")
        for i, g in enumerate(amd):
            props("%s/io_links/%d/properties" % (n0, i), io_keys, dict(
                type=2, node_from=0, node_to=i + 1, weight=20, recommended_transfer_size=0,
                recommended_sdma_engine_id_mask=0, flags=3))
        for i, g in enumerate(amd):
            n = "%s/nodes/%d" % (t, i + 1)
            dom, bus, devfn = g["slot"].split(":", 2)
            dv, fn = devfn.split(".")
            loc = (int(bus, 16) << 8) | (int(dv, 16) << 3) | int(fn)
            minor = 128 + sc.gpus.index(g)
            vals = dict(
                simd_count=g["simd"], mem_banks_count=1, caches_count=3, io_links_count=1, p2p_links_count=0,
                cpu_core_id_base=0, simd_id_base=2147487744 + i * 2048, max_waves_per_simd=16,
                lds_size_in_kb=64, gds_size_in_kb=0, num_gws=64, wave_front_size=32, array_count=g["arrays"],
                simd_arrays_per_engine=2, cu_per_simd_array=g["cu_per_array"], simd_per_cu=2,
                max_slots_scratch_cu=32, gfx_target_version=g["gfx"], vendor_id=g["vendor"],
                device_id=g["device"], location_id=loc, domain=int(dom, 16), drm_render_minor=minor, hive_id=0,
                num_sdma_engines=2 if g["heap"] == 2 else 1, num_sdma_xgmi_engines=0,
                num_sdma_queues_per_engine=8 if g["heap"] == 2 else 2, num_cp_queues=24,
                max_engine_clk_fcompute=g["engine_clk"], local_mem_size=0, fw_version=g["fw"],
                capability=g["capability"], capability2=0, debug_prop=1495, sdma_fw_version=g["sdma_fw"],
                unique_id=g["unique_id"], num_xcc=1, max_engine_clk_ccompute=4650)
            if hostile and i == 0:
                vals["gfx_target_version"] = "abc"
                vals["domain"] = "0x10"
            r.write(n + "/gpu_id", "%d\n" % g["gpu_id"], 0o444)
            r.write(n + "/name", g["asic"] + "\n", 0o444)
            props(n + "/properties", node_keys + gpu_keys + ["max_engine_clk_ccompute"], vals)
            props(n + "/mem_banks/0/properties", ["heap_type", "size_in_bytes", "flags", "width", "mem_clk_max"],
                  dict(heap_type=g["heap"], size_in_bytes=g["vram"], flags=g["kfd_flags"], width=g["width"],
                       mem_clk_max=g["mem_clk"]))
            r.write(n + "/mem_banks/0/used_memory", "%d\n" % (g["vram"] // 37), 0o444)
            caches = [(1, 16, 128, 2), (1, 128, 128, 5), (2, 4096 if g["heap"] == 2 else 2048, 128, 10)]
            for c, (level, size, line, count) in enumerate(caches):
                sib = ",".join(["1"] * count + ["0"] * (g["simd"] // 2 - count if g["simd"] // 2 > count else 0))
                r.write("%s/caches/%d/properties" % (n, c), "".join([
                    "processor_id_low %d\n" % (2147487744 + i * 2048), "level %d\n" % level, "size %d\n" % size,
                    "cache_line_size %d\n" % line, "cache_lines_per_tag 1\n", "association 16\n",
                    "latency 1\n", "type 1\n", "sibling_map %s\n" % sib]), 0o444)
            props(n + "/io_links/0/properties", io_keys, dict(
                type=2, node_from=i + 1, node_to=0, weight=20, recommended_transfer_size=0,
                recommended_sdma_engine_id_mask=0, flags=1))
            r.mkdir(n + "/p2p_links")

    def dev_nodes(self, amd_loaded):
        sc, r = self.sc, self.r
        r.mkdir("dev/dri")
        if sc.kfd and amd_loaded:
            r.devnode("dev/kfd", 235, 0, 0o660, 0, sc.render_gid)
        cards = []
        for n, g in enumerate(sc.gpus):
            if not g["bound"]:
                continue
            if g["vendor"] == 0x1002 and not amd_loaded:
                continue
            cards.append((n, g))
        for n, g in cards:
            r.devnode("dev/dri/card%d" % n, 226, n, 0o660, 0, 44)
            r.devnode("dev/dri/renderD%d" % (128 + n), 226, 128 + n, 0o660, 0, sc.render_gid)
            r.symlink("dev/dri/by-path/pci-%s-card" % g["slot"], "../card%d" % n)
            r.symlink("dev/dri/by-path/pci-%s-render" % g["slot"], "../renderD%d" % (128 + n))
        r.devnode("dev/null", 1, 3, 0o666, 0, 0)
        r.mkdir("dev/shm", 0o1777)

    # ---- ROCm packages and user changes ([package.NAME], [tamper]) ------------------
    def rocm_file_bytes(self, pkg, path, size, salt=""):
        """Deterministic ELF-looking content of one packaged file."""
        seed = hashlib.sha256(("%s\0%s\0%s" % (pkg, path, salt)).encode()).digest()
        body = (seed * (size // len(seed) + 1))[:max(size - 16, 0)]
        return b"\x7fELF\x02\x01\x01\x00" + seed[:8] + body

    def dpkg_env(self):
        env = dict(os.environ, PATH=os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin", LC_ALL="C")
        env.pop("DPKG_FRONTEND_LOCKED", None)
        return env

    def rocm_packages(self):
        cp = self.cp_sections("package.")
        if not cp:
            return
        debs = []
        for name, sec in cp:
            g = lambda k, d="": sec.get(k, d).strip()
            version, arch = g("version", "1.0-1"), g("architecture", "amd64")
            size = int(g("size", "4096"))
            files = {}
            for path in g("files").split():
                files[path.lstrip("/")] = (0o644, self.rocm_file_bytes(name, path, size), None)
            for path in g("conffiles").split():
                files[path.lstrip("/")] = (0o644, ("# %s conffile of %s\n" % (path, name)).encode(), None)
            for spec in g("symlinks").split():
                path, target = spec.split("=", 1)
                files[path.lstrip("/")] = (0o777, None, target)
            fields = [("Package", name), ("Version", version), ("Architecture", arch),
                      ("Maintainer", "rdna1-doctor fixtures <fixtures@example.org>"),
                      ("Installed-Size", str(sum(len(v[1] or b"") for v in files.values()) // 1024 + 1))]
            if yes(g("multiarch", "no")):
                fields.append(("Multi-Arch", "same"))
            if g("replaces"):
                fields.append(("Replaces", g("replaces")))
            fields += [("Section", "libs"), ("Priority", "optional"),
                       ("Description", "%s\n rdna1-doctor fixture ROCm package." % name)]
            control = self.control(fields) + "".join("#conffile %s\n" % c for c in g("conffiles").split())
            deb = self.b.deb(control, files)
            debs.append((name, version, arch, deb, sec))
        for name, version, arch, deb, sec in debs:
            # one at a time, in order: a later package's Replaces takes files over
            argv = [self.b.tool("dpkg"), "--root=" + self.r.top, "--force-not-root", "--force-bad-path",
                    "--force-depends", "--force-script-chrootless", "--no-triggers", "--log=/dev/null", "-i", deb]
            if not self.r.is_root:
                argv.insert(1, "--force-unsafe-io")
            run(argv, env=self.dpkg_env())
            if not yes(sec.get("md5sums", "yes")):
                for info in (name, "%s:%s" % (name, arch)):
                    p = "var/lib/dpkg/info/%s.md5sums" % info
                    if self.r.exists(p):
                        os.unlink(self.r.p(p))
            if yes(sec.get("apt_cache_deb", "no")):
                self.r.copy("var/cache/apt/archives/%s_%s_%s.deb" % (name, version.replace(":", "%3a"), arch), deb)
        for backup in ("status-old", "available-old", "diversions-old"):
            if self.r.exists("var/lib/dpkg/" + backup):
                os.unlink(self.r.p("var/lib/dpkg/" + backup))

    def cp_sections(self, prefix):
        return [(sec[len(prefix):], self.sc.cp[sec]) for sec in self.sc.cp.sections() if sec.startswith(prefix)]

    def tamper(self):
        if not self.sc.cp.has_section("tamper"):
            return
        t = self.sc.cp["tamper"]
        g = lambda k: t.get(k, "").split()
        r = self.r
        for path in g("modify"):
            real = os.path.realpath(r.p(path))      # cp follows the link, as the seeds did
            if not real.startswith(r.top + "/"):
                raise Fail("tamper modify %s leaves the root" % path)
            size = os.path.getsize(real)
            with open(real, "wb") as f:
                f.write(self.rocm_file_bytes("tampered", path, size, "patched build"))
        for path in g("remove"):
            os.unlink(r.p(path))
        for spec in g("repoint"):
            path, target = spec.split("=", 1)
            r.symlink(path, target)
        for path in g("divert"):
            run([self.b.tool("dpkg-divert"), "--root=" + r.top, "--local", "--rename", "--divert",
                 path + ".distrib", "--add", path], env=self.dpkg_env())
            r.write(path, self.rocm_file_bytes("diverter", path, 4096))
        for path in g("edit_conffile"):
            with open(r.p(path), "ab") as f:
                f.write(b"# edited by the administrator\n")
        for spec in g("untar"):
            d, n = spec.rsplit(":", 1)
            for i in range(int(n)):
                name = "Kernels.so-%03d-gfx1010.hsaco" % i if i % 2 == 0 else "TensileLibrary_%03d_gfx1010.dat" % i
                r.write(d.rstrip("/") + "/" + name, self.rocm_file_bytes("untarred", name, 2048))
        for path in g("artifacts"):
            r.write(path, "leftover of a patch run: %s\n" % os.path.basename(path))
        src = t.get("apt_source", "").strip()
        if src:
            fname, line = src.split("|", 1)
            r.write("etc/apt/sources.list.d/" + fname.strip(), line.strip() + "\n")
        if r.exists("var/lib/dpkg/diversions-old"):
            os.unlink(r.p("var/lib/dpkg/diversions-old"))

    # ---- hostile junk ----------------------------------------------------------------
    def mkfifo(self, rel):
        p = self.r.p(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if os.path.lexists(p):
            os.unlink(p)
        os.mkfifo(p, 0o644)

    def hostile(self):
        sc, r = self.sc, self.r
        v = sc.dkms_version
        self.mkfifo("etc/modprobe.d/fifo.conf")
        self.mkfifo("var/lib/dkms/amdgpu/%s/build/make.log" % v)
        if sc.live:
            k = sc.kernel
            r.write("proc/cmdline", b"BOOT_IMAGE=/boot/vmlinuz-" + k.encode() +
                    b" root=UUID=2f1e7c4a-5b7e-4d55-9c1a-6f0e3d2b9a11 ro quiet\x00splash\x00 " +
                    b"junk=" + b"A" * (1024 * 1024) + b"\n", 0o444)
        md5 = "var/lib/dpkg/info/amdgpu-dkms.md5sums"
        if r.exists(md5):
            data = r.read(md5)
            lines = data.split(b"\n")
            lines[-2] = lines[-2][:len(lines[-2]) // 2]
            r.write(md5, b"\n".join(lines[:-1]))
        r.symlink("etc/modprobe.d/evil.conf", "/etc/shadow")
        r.symlink("etc/modprobe.d/loop-a.conf", "loop-b.conf")
        r.symlink("etc/modprobe.d/loop-b.conf", "loop-a.conf")
        src = "usr/src/amdgpu-%s/amd/amdkfd" % v
        r.symlink(src + "/evil.c", "../../../../../../../../../etc/passwd")
        r.mkdir(src + "/kfd_crat.c.d")
        r.write(src + "/kfd_crat.c.d/README", "a directory named like a source file\n")
        r.symlink("etc/dkms/amdgpu-loop.conf", "amdgpu-loop.conf")
        # an older DKMS version whose failed build log carries a terminal escape sequence
        old = "6.10.5-2084815.24.04"
        r.mkdir("var/lib/dkms/amdgpu/%s/build" % old)
        r.symlink("var/lib/dkms/amdgpu/%s/source" % old, "/usr/src/amdgpu-%s" % old)
        r.write("var/lib/dkms/amdgpu/%s/build/make.log" % old, self.make_log(sc.kernel, ok=False, version=old,
                                                                              escape=True))
        r.write("usr/src/amdgpu-%s/amd/amdkfd/.hidden\x7f" % v, "DEL in a file name\n")


    # ---- environment sources (the env audit) --------------------------------
    def alice(self, rel, data, mode=0o644):
        self.r.write("home/alice/" + rel, data, mode, UID_ALICE, UID_ALICE)

    def alice_dir(self, rel):
        path = ""
        for part in rel.split("/"):
            path = path + "/" + part if path else part
            if not self.r.exists("home/alice/" + path):
                self.r.mkdir("home/alice/" + path, 0o755, UID_ALICE, UID_ALICE)

    def env_sources(self):
        r, e = self.r, self.sc.env
        bashrc = self.r.read("home/alice/.bashrc").decode()
        # lines 1-4 come from etc(); what is added here keeps its documented line
        bashrc += "# ROCm RDNA1 (seed 002)\n"                                   # line 5
        if e.get("user_script", "no") == "seed002":
            self.alice("rocm_rdna1_env.sh", "#!/bin/bash\n# ROCm RDNA1 Environment Configuration\n\n"
                       "export HSA_OVERRIDE_GFX_VERSION=10.3.0\n"           # line 4
                       "export MIOPEN_DEBUG_CONV_IMPLICIT_GEMM=0\n"
                       "export MIOPEN_FIND_ENFORCE=3\n"                     # line 6
                       "export MIOPEN_DEBUG_CONV_WINOGRAD=0\n"
                       "export MIOPEN_DEBUG_CONV_DIRECT=0\n"
                       "export MIOPEN_LOG_LEVEL=4\n"
                       "export PYTORCH_ROCM_ARCH=gfx1030\n"                 # line 10
                       "\n"
                       "echo \"ROCm RDNA1 environment configured\"\n", 0o755)
            if yes(e.get("user_script_sourced", "yes")):
                bashrc += "source ~/rocm_rdna1_env.sh\n"                   # line 6
            else:
                bashrc += "# source ~/rocm_rdna1_env.sh  (only by hand now)\n"
        else:
            bashrc += "\n"
        if e.get("library_path", "no") == "bashrc":
            bashrc += "export LD_LIBRARY_PATH=$HOME/rocm-5.7-rdna1/lib:$LD_LIBRARY_PATH\n"   # line 7
            self.alice_dir("rocm-5.7-rdna1/lib")
            self.alice("rocm-5.7-rdna1/lib/libMIOpen.so.1", b"\x7fELF not really\n")
        self.alice(".bashrc", bashrc)

        if e.get("profile_d", "no") == "seed003":
            r.mkdir("etc/profile.d")
            r.write("etc/profile.d/rocm-rdna1-57.sh",
                    "# ROCm 5.7 + PyTorch 2.2.2 on RDNA1 (RX 5600 XT), see FINAL_FINDINGS.md\n"
                    "export ROCM_PATH=/opt/rocm-5.7.0\n"
                    "export PATH=\"$ROCM_PATH/bin:$PATH\"\n"
                    "export HSA_OVERRIDE_GFX_VERSION=10.3.0\n"               # line 4
                    "# MIOPEN_FIND_ENFORCE=3 removed: 33+ minute hangs\n"
                    "export MIOPEN_FIND_MODE=NORMAL\n")
        if e.get("ollama", "no") == "override":
            r.mkdir("etc/systemd/system/ollama.service.d")
            r.write("etc/systemd/system/ollama.service",
                    "[Unit]\nDescription=Ollama Service\nAfter=network-online.target\n\n[Service]\n"
                    "ExecStart=/usr/local/bin/ollama serve\nUser=ollama\nGroup=ollama\nRestart=always\n"
                    "Environment=\"PATH=/usr/local/bin:/usr/bin:/bin\"\n\n[Install]\nWantedBy=default.target\n")
            r.write("etc/systemd/system/ollama.service.d/override.conf",
                    "[Service]\n"
                    "Environment=\"OLLAMA_HOST=0.0.0.0\"\n"
                    "Environment=\"HSA_OVERRIDE_GFX_VERSION=10.3.0\"\n"   # line 3
                    "EnvironmentFile=-/etc/default/ollama\n")
            r.mkdir("etc/default")
            r.write("etc/default/ollama", "# tuning from a forum post\nMIOPEN_FIND_ENFORCE=3\n")
        preload = e.get("ld_preload", "no")
        if preload in ("file", "both"):
            r.mkdir("usr/local/lib")
            r.write("usr/local/lib/librdna1_shim.so", b"\x7fELF shim stand-in\n")
            r.write("etc/ld.so.preload", "# RDNA1 coarse-grain shim (seed 001)\n/usr/local/lib/librdna1_shim.so\n")
        if preload in ("env", "both"):
            self.alice(".xprofile", "# X session\nexport LD_PRELOAD=/usr/local/lib/librdna1_shim.so\n")
        if e.get("library_path", "no") == "ld.so.conf":
            r.mkdir("etc/ld.so.conf.d")
            r.write("etc/ld.so.conf.d/x86_64-linux-gnu.conf", "# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n"
                    "/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n")
            r.write("etc/ld.so.conf.d/zz-rocm-rdna1.conf", "# private ROCm build\n/usr/local/rocm-rdna1/lib\n")
        if e.get("pam_environment", "no") == "override":
            self.alice(".pam_environment", "HSA_OVERRIDE_GFX_VERSION DEFAULT=10.3.0\n")
        val = e.get("etc_environment", "none")
        if val != "none" or e.get("visible_devices"):
            text = 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
            if val != "none":
                text += "HSA_OVERRIDE_GFX_VERSION=%s\n" % val
            if e.get("visible_devices"):
                text += "ROCR_VISIBLE_DEVICES=%s\n" % e["visible_devices"]
            r.write("etc/environment", text)
        if e.get("jupyter", "no") == "override":
            self.alice_dir(".local/share/jupyter/kernels/rocm")
            self.alice(".local/share/jupyter/kernels/rocm/kernel.json",
                       '{\n "argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],\n'
                       ' "display_name": "Python 3 (ROCm gfx1030)",\n "language": "python",\n'
                       ' "env": {\n  "HSA_OVERRIDE_GFX_VERSION": "10.3.0"\n }\n}\n')

    def hostile_home(self):
        r, h = self.r, self.sc.home
        if yes(h.get("hostile", "no")):
            os.unlink(r.p("home/alice/.bashrc"))
            r.symlink("home/alice/.bashrc", "/etc/shadow")
            r.chown(r.p("home/alice/.bashrc"), UID_ALICE, UID_ALICE)
            os.unlink(r.p("home/alice/.profile"))
            self.mkfifo("home/alice/.profile")
            r.chown(r.p("home/alice/.profile"), UID_ALICE, UID_ALICE)
            self.alice(".zshrc", b"# ~/.zshrc\nexport HSA_OVERRIDE_GFX_VERSION=\"10.3.0\x1b]0;pwned\x07\"\n"
                       b"source /etc/shadow\n")
            r.write("home/alice/planted.sh", "export LD_PRELOAD=/tmp/planted.so\n", 0o644, 4242, 4242)
            # a source loop and a chain deeper than the doctor follows (its end is not reached)
            self.alice(".zprofile", ". ~/.zprofile\nsource ~/chain/c0.sh\n")
            self.alice_dir("chain")
            for i in range(12):
                self.alice("chain/c%d.sh" % i, ". ~/chain/c%d.sh\n" % (i + 1) if i < 11 else
                           "export MIOPEN_FIND_ENFORCE=3\n")
            self.alice_dir(".config")
            r.symlink("home/alice/.config/fish", "/etc")
            self.alice_dir(".config/environment.d")
            self.mkfifo("home/alice/.config/environment.d/fifo.conf")
        n = int(h.get("files", "0"))
        if n:
            top = r.p("home/alice")
            for i in range(n):
                p = os.path.join(top, "f%06d" % i)
                fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.close(fd)
                r.chown(p, UID_ALICE, UID_ALICE)


# --------------------------------------------------------------------------
# Python installs (src/core/check/rules_python.c): system dist-packages, ~/.local,
# a venv and a conda env with wheels, MIOpen caches. Everything project-written;
# RECORD files are made the way pip writes them.

PY_UID = UID_ALICE
PY_VENV = "home/alice/venvs/rocm57"
PY_CONDA = "home/alice/miniconda3"
PY_SITE = "lib/python3.12/site-packages"
PY_MIOPEN_VERSION = "2.20.0.a1b2c3d4"      # MIOpen's cache directory: <version>.<commit>


def record_digest(data):
    """sha256=... as in a wheel's RECORD: urlsafe base64 without '=' padding (PEP 376/427)."""
    import base64
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def fake_lib(name, variant=0):
    """Bytes standing in for a shared library: an ELF header and a name (never loaded)."""
    body = ("%s rdna1-doctor fixture library, build %d\n" % (name, variant)).encode()
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + body * 64


def write_wheel(r, site, dist_info, files, uid, installed=None):
    """Install files {relpath: bytes} under site with a RECORD listing them; installed
    overrides what lands on disk (a replaced library) while RECORD keeps the wheel's bytes."""
    rows = []
    for rel, data in sorted(files.items()):
        r.write(site + "/" + rel, (installed or {}).get(rel, data), 0o644, uid, uid)
        rows.append("%s,%s,%d" % (rel, record_digest(data), len(data)))
    meta = {"METADATA": "Metadata-Version: 2.1\nName: %s\n" % dist_info.split("-")[0],
            "WHEEL": "Wheel-Version: 1.0\nGenerator: rdna1-doctor-fixture\nRoot-Is-Purelib: false\n",
            "INSTALLER": "pip\n"}
    for name, text in sorted(meta.items()):
        r.write("%s/%s/%s" % (site, dist_info, name), text, 0o644, uid, uid)
        rows.append("%s/%s,%s,%d" % (dist_info, name, record_digest(text.encode()), len(text)))
    rows.append("%s/RECORD,," % dist_info)
    r.write("%s/%s/RECORD" % (site, dist_info), "\n".join(rows) + "\n", 0o644, uid, uid)


def python_trees(gen):
    """[python] benign = yes      ordinary installs that must raise nothing (default)
                pth_hook = no     .pth autoload hooks: ~/.local rdna1_autoload.pth importing a module
                                  that sets the override, and a one-line hook in /usr/local
                sitecustomize = no /usr/local/lib/python3.12/dist-packages/sitecustomize.py sets
                                  HSA_OVERRIDE_GFX_VERSION
                wheel_lib = clean clean | modified: torch/lib/libMIOpen.so in the venv and
                                  libhsa-runtime64.so in the conda env differ from RECORD
                torch_code = no   gfx1030: the venv's torch 2.2.2+rocm5.7 gets its torch/version.py
                                  and a libtorch_hip.so with real gfx1030-only device code
                                  (fixture-src/libtorch_hip-gfx1030.so, see TORCH_GFX1030_LIB), and
                                  its libMIOpen/libamdhip64/librocblas.so the same code
                miopen_cache = no gfx1030: MIOpen user db and kernel cache built under the override
                home_files = 0    N empty files in ~/datasets/images (the bounded home walk)
                hostile = no      symlinks to /etc/shadow as .pth, usercustomize.py and a wheel
                                  library, a FIFO .pth, an escape sequence in a hook line, a .pth
                                  of 5000 hook lines, RECORD rows that climb out of the site"""
    r, cp = gen.r, gen.sc.cp
    g = lambda k, d: cp.get("python", k, fallback=d).strip()
    u = PY_UID
    if yes(g("benign", "yes")):
        amd = [x for x in gen.sc.gpus if x.get("gfx")]
        target = None
        if amd:
            v = amd[0]["gfx"]          # gfx_target_version 100100 -> gfx1010, CUs = SIMDs / 2
            target = "gfx%d%d%x_%d" % (v // 10000, (v // 100) % 100, v % 100, amd[0]["simd"] // 2)
        torch_code = g("torch_code", "no")
        if torch_code not in ("no", "gfx1030"):
            raise SystemExit("[python] torch_code = %s: only no or gfx1030" % torch_code)
        python_benign(r, u, g("wheel_lib", "clean") == "modified", target, torch_code == "gfx1030")
    if yes(g("pth_hook", "no")):
        site = "home/alice/.local/" + PY_SITE
        r.write(site + "/rdna1_autoload.pth", "import rdna1_autoload\n", 0o644, u, u)
        r.write(site + "/rdna1_autoload.py",
                "# RX 5600 XT (gfx1010): pretend to be gfx1030 so the ROCm 5.7 wheels load kernels.\n"
                "# Imported by rdna1_autoload.pth at every interpreter start.\n"
                "import os\n"
                "os.environ.setdefault(\"HSA_OVERRIDE_GFX_VERSION\", \"10.3.0\")\n"
                "os.environ.setdefault(\"MIOPEN_FIND_ENFORCE\", \"3\")\n", 0o644, u, u)
        r.write("usr/local/lib/python3.12/dist-packages/zz_rocm_rdna1.pth",
                "# keep the RDNA1 workaround on for every user\n"
                "import os; os.environ[\"HSA_OVERRIDE_GFX_VERSION\"] = \"10.3.0\"\n")
    if yes(g("sitecustomize", "no")):
        r.write("usr/local/lib/python3.12/dist-packages/sitecustomize.py",
                "# Site-wide Python start-up for the lab machines.\n"
                "import os\n"
                "\n"
                "os.environ[\"HSA_OVERRIDE_GFX_VERSION\"] = \"10.3.0\"\n"
                "os.environ.setdefault(\"TOKENIZERS_PARALLELISM\", \"false\")\n")
    cache = g("miopen_cache", "no")
    if cache not in ("no", ""):
        r.write("home/alice/.config/miopen/%s_36.HIP.2_20_0_a1b2c3d4.ufdb.txt" % cache,
                "fixture find-db record\n", 0o644, u, u)
        r.write("home/alice/.config/miopen/%s_36_2.udb" % cache, b"SQLite format 3\x00" + b"\x00" * 84, 0o644, u, u)
        r.write("home/alice/.cache/miopen/%s/%s_36.ukdb" % (PY_MIOPEN_VERSION, cache),
                b"SQLite format 3\x00" + b"\x00" * 84, 0o644, u, u)
    if yes(g("hostile", "no")):
        python_hostile(gen, u)
    n = int(g("home_files", "0"))
    if n:
        d = r.mkdir("home/alice/datasets/images", 0o755, u, u)
        for i in range(n):
            with open(os.path.join(d, "%06d.png" % i), "wb"):
                pass
    # directories made on the way belong to alice, as in a real home
    if r.is_root:
        for top in ("home/alice/.local", "home/alice/venvs", "home/alice/miniconda3", "home/alice/.config",
                    "home/alice/.cache", "home/alice/datasets"):
            for dirpath, dirnames, filenames in os.walk(r.p(top)):
                for name in [""] + dirnames + filenames:
                    os.lchown(os.path.join(dirpath, name), u, u)


def python_hostile(gen, u):
    r = gen.r
    site = "home/alice/.local/" + PY_SITE
    r.symlink(site + "/evil.pth", "/etc/shadow")
    r.symlink(site + "/usercustomize.py", "/etc/shadow")
    gen.mkfifo(site + "/fifo.pth")
    r.write(site + "/escape.pth", "import os; os.environ['HSA_OVERRIDE_GFX_VERSION'] = '\x1b]0;pwned\x07'\n",
            0o644, u, u)
    r.write(site + "/zz_many.pth", "import torch\n" * 5000, 0o644, u, u)
    # a wheel whose RECORD points a ROCm library at a symlink out of the home and climbs out of the site
    vsite = PY_VENV + "/" + PY_SITE
    r.symlink(vsite + "/torch/lib/libhsa-runtime64.so", "/etc/shadow")
    rows = ["torch/lib/libhsa-runtime64.so,%s,10" % record_digest(b"0123456789"),
            "../../../../../../etc/libamdhip64.so,%s,10" % record_digest(b"0123456789"),
            "/etc/librocblas.so,%s,10" % record_digest(b"0123456789"),
            "evil-1.0.dist-info/RECORD,,"]
    r.write(vsite + "/evil-1.0.dist-info/RECORD", "\n".join(rows) + "\n", 0o644, u, u)
    r.write("etc/libamdhip64.so", "FIXTURE-SHADOW-SECRET in a library\n")
    r.write("etc/librocblas.so", "FIXTURE-SHADOW-SECRET in a library\n")


# A HIP library with real device code for gfx1030 only, committed so that the
# demo is the same wherever it is built (hipcc is not on every architecture):
#   hipcc --offload-arch=gfx1030 -fPIC -shared -O1 tests/fixture-src/gpu_kernel.hip -o x.so
#   strip -o tests/fixture-src/libtorch_hip-gfx1030.so x.so
# (Debian 12's hipcc 5.2.3); tests/cli/demo-torch.sh checks what it carries.
TORCH_GFX1030_LIB = os.path.join(FIXTURE_SRC, "libtorch_hip-gfx1030.so")
# torch/version.py of a HIP build, as PyTorch's setup writes it (torch.version.hip).
TORCH_VERSION_PY = ("from typing import Optional\n\n"
                    "__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']\n"
                    "__version__ = '%s'\ndebug = False\ncuda: Optional[str] = None\n"
                    "git_version = '%s'\nhip: Optional[str] = '%s'\n")


def python_benign(r, u, modified, miopen_target, torch_code=False):
    """What an ordinary machine has: setuptools' .pth shim, Ubuntu's apport sitecustomize,
    a venv and a conda env with ROCm wheels, path-only .pth files, MIOpen caches for this card."""
    r.write("usr/lib/python3/dist-packages/distutils-precedence.pth",
            "import os; flag = os.environ.get('SETUPTOOLS_USE_DISTUTILS', 'local') == 'local'; "
            "flag and __import__('_distutils_hack').add_shim(); \n")
    r.write("usr/lib/python3/dist-packages/_distutils_hack/__init__.py",
            "import sys\n\ndef add_shim():\n    sys.meta_path.insert(0, None)\n")
    r.write("etc/python3.12/sitecustomize.py",
            "# install the apport exception handler if available\ntry:\n    import apport_python_hook\n"
            "except ImportError:\n    pass\nelse:\n    apport_python_hook.install()\n")
    r.symlink("usr/lib/python3.12/sitecustomize.py", "/etc/python3.12/sitecustomize.py")
    # ~/.local: a path-only .pth
    r.mkdir("home/alice/.local", 0o755, u, u)
    r.write("home/alice/.local/%s/tools.pth" % PY_SITE, "/home/alice/src/tools\n", 0o644, u, u)
    # a venv with the ROCm 5.7 torch wheel
    r.mkdir(PY_VENV, 0o755, u, u)
    r.write(PY_VENV + "/pyvenv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\n"
            "version = 3.12.3\nexecutable = /usr/bin/python3.12\ncommand = /usr/bin/python3 -m venv "
            "/home/alice/venvs/rocm57\n", 0o644, u, u)
    r.symlink(PY_VENV + "/lib64", "lib")
    site = PY_VENV + "/" + PY_SITE
    r.write(site + "/_virtualenv.pth", "import _virtualenv\n", 0o644, u, u)
    r.write(site + "/_virtualenv.py", "\"\"\"Patches applied at start-up.\"\"\"\nimport os\n", 0o644, u, u)
    torch = {"torch/__init__.py": b"from torch._C import *\n",
             "torch/lib/libMIOpen.so": fake_lib("libMIOpen.so"),
             "torch/lib/libamdhip64.so": fake_lib("libamdhip64.so"),
             "torch/lib/librocblas.so": fake_lib("librocblas.so"),
             "torch/lib/libtorch_hip.so": fake_lib("libtorch_hip.so")}
    if torch_code:
        # the HIP version string ROCm 5.7 builds of torch report (torch.version.hip)
        torch["torch/version.py"] = (TORCH_VERSION_PY % ("2.2.2+rocm5.7", "0" * 40, "5.7.31921-d1770ee1b")).encode()
        with open(TORCH_GFX1030_LIB, "rb") as f:
            gfx1030 = f.read()
        torch["torch/lib/libtorch_hip.so"] = gfx1030
        # the wheel's bundled ROCm libraries: the same gfx1030-only code, each
        # with its name after the ELF's last byte (a reader ignores it)
        for name in ("libMIOpen.so", "libamdhip64.so", "librocblas.so"):
            torch["torch/lib/" + name] = gfx1030 + fake_lib(name)[16:]
    installed = {"torch/lib/libMIOpen.so": fake_lib("libMIOpen.so", 1)} if modified else None
    if modified and torch_code:
        installed = {"torch/lib/libMIOpen.so": gfx1030 + fake_lib("libMIOpen.so", 1)[16:]}
    write_wheel(r, site, "torch-2.2.2+rocm5.7.dist-info", torch, u, installed)
    # a conda base and one env with a ROCm triton wheel
    r.write(PY_CONDA + "/conda-meta/history", "==> 2024-10-01 12:00:00 <==\n", 0o644, u, u)
    env = PY_CONDA + "/envs/py311"
    r.write(env + "/conda-meta/history", "==> 2024-10-02 12:00:00 <==\n", 0o644, u, u)
    triton = {"triton/__init__.py": b"__version__ = '2.2.0'\n",
              "triton/third_party/hip/lib/libhsa-runtime64.so.1": fake_lib("libhsa-runtime64.so.1"),
              "triton/third_party/hip/lib/libamdhip64.so": fake_lib("libamdhip64.so")}
    installed = {"triton/third_party/hip/lib/libhsa-runtime64.so.1": fake_lib("libhsa-runtime64.so.1", 7)[:-16]} \
        if modified else None
    write_wheel(r, env + "/lib/python3.11/site-packages", "pytorch_triton_rocm-2.2.0.dist-info", triton, u, installed)
    # MIOpen caches for this machine's first AMD GPU ("gfx1010_36" for an RX 5600 XT)
    if miopen_target:
        r.write("home/alice/.config/miopen/%s.HIP.2_20_0_a1b2c3d4.ufdb.txt" % miopen_target,
                "fixture find-db record\n", 0o644, u, u)
        r.write("home/alice/.cache/miopen/%s/%s.ukdb" % (PY_MIOPEN_VERSION, miopen_target),
                b"SQLite format 3\x00" + b"\x00" * 84, 0o644, u, u)


# --------------------------------------------------------------------------
# --bundle (src/core/bundle/): secrets planted where a careless bundle would
# pick them up. Every value carries "FIXTURE" or is listed in BUNDLE_SECRETS so
# tests can grep the extracted bundle for them.

BUNDLE_MAC = "3c:7c:3f:a1:b2:c3"
BUNDLE_SERIAL = "FIXTURE-DMI-SERIAL-7Q2K"
BUNDLE_UNIQUE_ID = "5764607523034234880"
BUNDLE_JOURNAL_RUN = "20261125-060000-4242"


def bundle_secrets(gen):
    """[bundle] secrets = no   yes: AWS_SECRET_ACCESS_KEY and a password in alice's .bashrc, an ssh
                              private key, the host name in /proc and kern.log, a MAC in sysfs, a
                              DMI serial, a KFD unique_id, a recovery journal run with a backup of
                              .bashrc, a self-test record"""
    r, sc = gen.r, gen.sc
    if not yes(sc.cp.get("bundle", "secrets", fallback="no")):
        return
    u = UID_ALICE
    bashrc = r.read("home/alice/.bashrc").decode()
    bashrc += ("export AWS_SECRET_ACCESS_KEY=FIXTUREAWSwJalrXUtnFEMIK7MDENGbPxRfiCY\n"
               "export DB_PASSWORD='FIXTURE-PASSWORD-hunter2'\n"
               "alias work='ssh alice@rdna1-box.example.org'\n")
    r.write("home/alice/.bashrc", bashrc, 0o644, u, u)
    r.mkdir("home/alice/.ssh", 0o700, u, u)
    r.write("home/alice/.ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nFIXTUREPRIVATEKEYb3BlbnNzaC1rZXktdjE\n"
            "-----END OPENSSH PRIVATE KEY-----\n", 0o600, u, u)
    if sc.live:
        r.write("proc/sys/kernel/hostname", "rdna1-box\n", 0o444)
        r.write("sys/class/net/enp5s0/address", BUNDLE_MAC + "\n", 0o444)
        r.write("sys/class/net/lo/address", "00:00:00:00:00:00\n", 0o444)
        r.write("sys/class/dmi/id/product_serial", BUNDLE_SERIAL + "\n", 0o400)
        r.write("sys/class/dmi/id/product_name", "MS-7C56\n", 0o444)
        dev = "sys/bus/pci/devices/0000:03:00.0/"
        if r.exists(dev.rstrip("/")):
            for name, value in (("hwmon/hwmon2/name", "amdgpu"), ("hwmon/hwmon2/temp1_input", "45000"),
                                ("hwmon/hwmon2/temp1_label", "edge"), ("hwmon/hwmon2/power1_average", "9000000"),
                                ("hwmon/hwmon2/fan1_input", "0"), ("gpu_busy_percent", "3"),
                                ("mem_info_vram_used", "268435456"), ("mem_info_vram_total", "6442450944")):
                r.write(dev + name, value + "\n", 0o444)
        for node in sorted(os.listdir(r.p("sys/class/kfd/kfd/topology/nodes")) if r.exists(
                "sys/class/kfd/kfd/topology/nodes") else []):
            rel = "sys/class/kfd/kfd/topology/nodes/%s/properties" % node
            text = r.read(rel).decode()
            if "simd_count 0\n" not in text:
                r.write(rel, text.replace("unique_id 0\n", "unique_id %s\n" % BUNDLE_UNIQUE_ID), 0o444)
    r.write("var/log/kern.log",
            "Nov 25 06:00:01 rdna1-box kernel: [    3.101] amdgpu 0000:03:00.0: amdgpu: SMU is initialized successfully!\n"
            "Nov 25 06:00:01 rdna1-box kernel: [    3.120] r8169 0000:05:00.0 enp5s0: renamed from eth0, %s\n"
            "Nov 25 06:00:02 rdna1-box sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; COMMAND=/usr/bin/true\n"
            "Nov 25 06:05:12 rdna1-box kernel: [  313.337] amdgpu 0000:03:00.0: amdgpu: ring gfx_0.0.0 timeout, "
            "signaled seq=1234, emitted seq=1236\n" % BUNDLE_MAC, 0o640, 0, 4)
    # a recovery run in the journal: its plan and command log go in, its backups never
    j = "var/lib/rdna1-doctor/journal/" + BUNDLE_JOURNAL_RUN
    r.write(j + "/run.json", '{"status": "done", "root": "/", "user": "alice"}\n', 0o600)
    r.write(j + "/plan.json", '{"schema": "rdna1-doctor/plan/1", "steps": [{"action": "disable-env-line", '
            '"path": "/home/alice/.bashrc", "line": 5}]}\n', 0o600)
    r.write(j + "/steps/0001.json", '{"state": "done", "files": [{"path": "/home/alice/.bashrc", '
            '"backup": "backups/0001-0"}]}\n', 0o600)
    r.write(j + "/cmd/0002-0.log", "dkms status\namdgpu/6.16.6: installed\nhost rdna1-box, link/ether %s\n"
            % BUNDLE_MAC, 0o600)
    r.write(j + "/backups/0001-0", bashrc, 0o600)
    r.write("var/lib/rdna1-doctor/selftest/last.json",
            '{"boot_id": "0f3c1b5e-1111-4222-8333-944455556666", "backend": "cpu", "outcome": "pass", '
            '"host": "rdna1-box"}\n', 0o600)


# --------------------------------------------------------------------------
# --verify: read the generated root back with the real tools

def split_initrd(data):
    """(early cpio, main compressed cpio) of an Ubuntu-style initrd."""
    i = data.find(b"TRAILER!!!")
    if i < 0:
        return data, b""
    end = (i + len(b"TRAILER!!!") + 1 + 511) // 512 * 512
    return data[:end], data[end:]


def verify_root(gen):
    """Problems found by lspci, modinfo, readelf, dpkg --verify, depmod's output and cpio."""
    sc, r, b = gen.sc, gen.r, gen.b
    problems = []

    def tool(name):
        try:
            return b.tool(name)
        except Prereq:
            return None

    def out(argv, **kw):
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, **kw)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    lspci = tool("lspci")
    if sc.live and lspci:
        rc, text, err = out([lspci, "-A", "linux-sysfs", "-O", "sysfs.path=" + r.p("sys/bus/pci"), "-D", "-n"])
        for g in sc.gpus:
            want = "%s 0300: %04x:%04x" % (g["slot"], g["vendor"], g["device"])
            if want not in text:
                problems.append("lspci does not list %r: %s %s" % (want, text.strip(), err.strip()))
    modinfo = tool("modinfo")
    readelf = tool("readelf")
    for k in sc.kernels:
        kdir = r.p("lib/modules/%s" % k)
        dkms_installed = sc.kernel_dkms(k) == "installed"
        for dirpath, _, files in os.walk(kdir):
            for f in files:
                if ".ko" not in f or f.endswith(".gz") or not modinfo:
                    continue
                rc, vm, err = out([modinfo, "-F", "vermagic", os.path.join(dirpath, f)])
                if vm.strip() != gen.vermagic(k).strip():
                    problems.append("modinfo -F vermagic %s: %r %s" % (f, vm, err.strip()))
        with open(os.path.join(kdir, "modules.dep")) as fh:
            dep = [l.split(":", 1)[0] for l in fh if "/amdgpu.ko" in l.split(":", 1)[0]]
        want = "updates/dkms/" if dkms_installed else "kernel/"
        if len(dep) != 1 or not dep[0].startswith(want):
            problems.append("modules.dep of %s resolves amdgpu to %r, want %s..." % (k, dep, want))
        img = r.p("boot/initrd.img-%s" % k)
        if os.path.isfile(img):
            with open(img, "rb") as fh:
                early, main = split_initrd(fh.read())
            rc, text, err = out([b.tool("cpio"), "-t", "--quiet"], input=early)
            if "kernel/x86/microcode/AuthenticAMD.bin" not in text:
                problems.append("%s: early cpio lacks the microcode: %s" % (img, text))
            p = subprocess.run([b.tool("zstd"), "-dc"], input=main, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            rc, text, err = out([b.tool("cpio"), "-t", "--quiet"], input=p.stdout)
            if "usr/lib/modules/%s/modules.dep" % k not in text:
                problems.append("%s: main cpio lacks modules.dep" % img)
    if sc.dkms_package and not sc.hostile:
        rc, text, err = out([b.tool("dpkg"), "--root=" + r.top, "--verify", "amdgpu-dkms"])
        flagged = KFD_CRAT_REL in text
        if flagged != (sc.dkms_source == "patched"):
            problems.append("dpkg --verify amdgpu-dkms: %r (source %s)" % (text.strip(), sc.dkms_source))
    note = r.p("sys/module/amdgpu/notes/.note.gnu.build-id")
    if os.path.exists(note) and readelf:
        with open(note, "rb") as fh:
            want = fh.read()[16:].hex()
        loaded = [m for m in gen.loaded_modules() if m[0] == "amdgpu"]
        rc, text, err = out([readelf, "-n", loaded[0][1]])
        if ("Build ID: " + want) not in text:
            problems.append("sys/module/amdgpu build-id %s is not the loaded .ko's: %s" % (want, text))
    return problems


def main():
    ap = argparse.ArgumentParser(description="Generate an rdna1-doctor fixture root.")
    ap.add_argument("--standin", action="store_true")
    ap.add_argument("--cache")
    ap.add_argument("--module-size", type=int, default=64, metavar="KIB")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--no-devnodes", action="store_true")
    ap.add_argument("--stamp")
    ap.add_argument("--verify", action="store_true", help="read the root back with lspci, modinfo, readelf, "
                    "dpkg --verify and cpio; exit 1 on a mismatch")
    ap.add_argument("scenario")
    ap.add_argument("outdir")
    args = ap.parse_args()
    if args.module_size < 16:
        ap.error("--module-size must be at least 16 (KiB)")

    out = os.path.abspath(args.outdir)
    if os.path.lexists(out):
        if not os.path.isdir(out) or os.path.islink(out):
            print("gen-root.py: %s exists and is not a directory" % out, file=sys.stderr)
            return 1
        if os.listdir(out):
            if not args.force:
                print("gen-root.py: %s is not empty (use --force to wipe it)" % out, file=sys.stderr)
                return 1
            wipe(out)
    os.makedirs(out, exist_ok=True)
    os.chmod(out, 0o755)

    tmp_cache = None
    cache = args.cache
    if not cache:
        tmp_cache = cache = tempfile.mkdtemp(prefix="rdna1-gen-cache-")
    try:
        name = os.path.splitext(os.path.basename(args.scenario))[0]
        sc = Scenario(load_scenario(args.scenario), name)
        for t in ("gcc", "as", "ld", "objcopy", "cpio", "depmod", "dpkg-deb", "dpkg", "dpkg-divert", "diff"):
            find_tool(t)
        builder = Builder(os.path.abspath(cache), args.module_size)
        gen = Generator(sc, Root(out, not args.no_devnodes), builder, args.standin)
        gen.generate()
        if args.verify:
            problems = verify_root(gen)
            if problems:
                raise Fail("verification failed:\n  " + "\n  ".join(problems))
        if args.stamp:
            with open(args.stamp, "w") as f:
                f.write("%s\n" % name)
    except Prereq as e:
        print("gen-root.py: SKIP: %s" % e, file=sys.stderr)
        return 77
    except (Fail, OSError, configparser.Error) as e:
        print("gen-root.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        if tmp_cache:
            shutil.rmtree(tmp_cache, ignore_errors=True)
    return 0


def wipe(top):
    """Remove everything under top (keeps top); copes with 0-mode dirs from tests."""
    for dirpath, dirnames, filenames in os.walk(top):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if not os.path.islink(p):
                try:
                    os.chmod(p, 0o755)
                except OSError:
                    pass
    for entry in os.listdir(top):
        p = os.path.join(top, entry)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)


if __name__ == "__main__":
    sys.exit(main())
