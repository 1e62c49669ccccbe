#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""rdna1-doctor --selftest --framework PYTHON: a PyTorch Conv2d sweep.

Runs in the user's own Python, as the invoking user, under the doctor's
watchdog, and speaks the self-test protocol (PROTOCOL.md) on stdout: one
case per feature-map size, each compared with the same convolution on the
CPU. A hang (the ROCm 5.7 hang: sizes from 44x44 on ROCm 5.7 + PyTorch 2.2) is
caught by the watchdog, which reports the largest size that passed.
"""
import json
import sys
import threading
import time

SIZES = [40, 42, 44, 48, 64, 96, 128, 224]
CHANNELS = 16
_lock = threading.Lock()


def emit(**fields):
    line = json.dumps(fields, separators=(",", ":"))
    with _lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def heartbeat(state):
    while True:
        time.sleep(0.5)
        emit(event="heartbeat", index=state["index"], progress=state["index"] / len(SIZES))


def main():
    try:
        import torch
    except Exception as e:  # any import failure means the framework is unusable
        emit(event="error", message="cannot import torch in %s: %s" % (sys.executable, e), missing="torch")
        return 3
    if not torch.cuda.is_available():
        emit(event="error", message="PyTorch sees no GPU (torch.cuda.is_available() is False)",
             missing="a GPU visible to PyTorch")
        return 3
    emit(event="start", backend="framework", sweep="framework", cases=len(SIZES),
         device={"name": str(torch.cuda.get_device_name(0))}, runtime="torch " + str(torch.__version__))
    state = {"index": 0}
    threading.Thread(target=heartbeat, args=(state,), daemon=True).start()
    torch.manual_seed(0)
    failed = passed = 0
    for i, size in enumerate(SIZES):
        state["index"] = i
        name = "Conv2d %d->%d 3x3 pad 1 on %dx%d" % (CHANNELS, CHANNELS, size, size)
        emit(event="case-start", index=i, name=name, size=size)
        t0 = time.monotonic()
        x = torch.randn(1, CHANNELS, size, size)
        conv = torch.nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1)
        with torch.no_grad():
            ref = conv(x)
            y = conv.cuda()(x.cuda())
            torch.cuda.synchronize()
            err = (y.cpu() - ref).abs().max().item()
            scale = max(1.0, ref.abs().max().item())
        ok = err <= 1e-3 * scale
        ms = (time.monotonic() - t0) * 1000
        passed += ok
        failed += not ok
        emit(event="case", index=i, name=name, size=size, result="pass" if ok else "wrong-result",
             ms=ms, gflops=0.0, max_abs_err=err, bad_elements=0 if ok else 1, repeatable=True)
    emit(event="end", result="pass" if failed == 0 else "wrong-result", cases_passed=passed, cases_failed=failed)
    return 0 if failed == 0 else 20


if __name__ == "__main__":
    sys.exit(main())
