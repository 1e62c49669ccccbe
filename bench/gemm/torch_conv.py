#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Time each sweep case with PyTorch's cuDNN convolution (FP32, TF32 off)
and print it beside the self-test kernel's im2col + GEMM time from
gemm_bench's CSV.

    torch_conv.py CSV [--reps N]

Ratio = cuDNN time / ours: the self-test convolution's speed as a fraction
of cuDNN's. cudnn.benchmark is on, so cuDNN uses its fastest FP32 algorithm.
"""
import csv
import statistics
import sys

import torch
import torch.nn.functional as F


def median_ms(fn, reps):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 20
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name(0)}; cudnn.allow_tf32={torch.backends.cudnn.allow_tf32}, "
          f"matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32}")
    print(f"{'conv case':36} | {'ours ms':>9} {'cuDNN ms':>9} {'ratio':>7} | {'cuDNN err/bound':>15}")
    worst = []
    slow = []       # rows where cuDNN takes more than 40 us: its kernels, not the dispatch, dominate
    with open(sys.argv[1]) as f:
        for r in csv.DictReader(f):
            n, cin, h, w, cout, kh, kw, s, p = (int(r[k]) for k in
                                                ("n", "cin", "h", "w", "cout", "kh", "kw", "stride", "pad"))
            x = torch.rand(n, cin, h, w, device=dev) * 2 - 1
            wt = torch.rand(cout, cin, kh, kw, device=dev) * 2 - 1
            ms = median_ms(lambda: F.conv2d(x, wt, stride=s, padding=p), reps)
            # cuDNN's own FP32 result against a float64 reference, for scale
            y = F.conv2d(x, wt, stride=s, padding=p).double()
            ref = F.conv2d(x.double(), wt.double(), stride=s, padding=p)
            bound_sum = F.conv2d(x.double().abs(), wt.double().abs(), stride=s, padding=p)
            k = cin * kh * kw
            u = 2.0 ** -24
            gamma = k * u / (1 - k * u)
            ratio_b = ((y - ref).abs() / (gamma * bound_sum).clamp_min(1e-300)).max().item()
            ours = float(r["ours_conv_ms"])
            worst.append(ms / ours)
            if ms > 0.040:
                slow.append(ms / ours)
            name = f"n{n} c{cin}x{h}x{w} -> {cout} k{kh}x{kw} s{s} p{p}"
            print(f"{name:36} | {ours:9.4f} {ms:9.4f} {100 * ms / ours:6.1f}% | {ratio_b:15.3g}")
    print(f"ours vs cuDNN: median {100 * statistics.median(worst):.1f}%, "
          f"min {100 * min(worst):.1f}%, max {100 * max(worst):.1f}% of cuDNN's speed")
    if slow:
        print(f"rows where cuDNN takes > 40 us ({len(slow)}): median {100 * statistics.median(slow):.1f}%, "
              f"min {100 * min(slow):.1f}% of cuDNN's speed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
