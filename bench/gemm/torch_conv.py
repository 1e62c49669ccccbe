#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Time each sweep case with PyTorch's cuDNN convolution (FP32, TF32 off)
and print it beside the self-test kernel's im2col + GEMM time from
gemm_bench's CSV.

    torch_conv.py CSV [--reps N]

Ratio = cuDNN time / ours: the self-test convolution's speed as a fraction
of cuDNN's, for im2col + GEMM and for the implicit GEMM (gemm_conv_f32_*).
cuDNN is timed twice: each F.conv2d call between events (PyTorch's dispatch
included, as the issue's figures were), and as the replay of a CUDA graph
holding one F.conv2d (its GPU work alone: the stricter comparison). cudnn.benchmark is on, so cuDNN uses its fastest FP32 algorithm.
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
    print(f"{'conv case':36} | {'im2col ms':>9} {'impl. ms':>9} {'cuDNN ms':>9} {'im2col':>7} {'implicit':>8} "
          f"| {'graph ms':>9} {'implicit':>8} | {'cuDNN err/bound':>15}")
    worst, worst_i, graph_i = [], [], []
    slow, slow_i = [], []   # rows where cuDNN takes more than 40 us: its kernels, not the dispatch, dominate
    slow_g = []             # the same rule on the graph-replayed cuDNN time
    with open(sys.argv[1]) as f:
        for r in csv.DictReader(f):
            n, cin, h, w, cout, kh, kw, s, p = (int(r[k]) for k in
                                                ("n", "cin", "h", "w", "cout", "kh", "kw", "stride", "pad"))
            x = torch.rand(n, cin, h, w, device=dev) * 2 - 1
            wt = torch.rand(cout, cin, kh, kw, device=dev) * 2 - 1
            ms = median_ms(lambda: F.conv2d(x, wt, stride=s, padding=p), reps)
            # one F.conv2d captured in a CUDA graph (cudnn.benchmark has picked its algorithm above)
            try:
                side = torch.cuda.Stream()
                side.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(side):
                    F.conv2d(x, wt, stride=s, padding=p)
                torch.cuda.current_stream().wait_stream(side)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    F.conv2d(x, wt, stride=s, padding=p)
                gms = median_ms(graph.replay, reps)
            except RuntimeError as e:
                print(f"graph capture failed: {e}", file=sys.stderr)
                gms = float("nan")
            # cuDNN's own FP32 result against a float64 reference, for scale
            y = F.conv2d(x, wt, stride=s, padding=p).double()
            ref = F.conv2d(x.double(), wt.double(), stride=s, padding=p)
            bound_sum = F.conv2d(x.double().abs(), wt.double().abs(), stride=s, padding=p)
            k = cin * kh * kw
            u = 2.0 ** -24
            gamma = k * u / (1 - k * u)
            ratio_b = ((y - ref).abs() / (gamma * bound_sum).clamp_min(1e-300)).max().item()
            ours = float(r["ours_conv_ms"])
            impl = float(r["ours_implicit_ms"])
            worst.append(ms / ours)
            worst_i.append(ms / impl)
            if gms == gms:
                graph_i.append(gms / impl)
            if ms > 0.040:
                slow.append(ms / ours)
                slow_i.append(ms / impl)
            if gms > 0.040:
                slow_g.append(gms / impl)
            name = f"n{n} c{cin}x{h}x{w} -> {cout} k{kh}x{kw} s{s} p{p}"
            print(f"{name:36} | {ours:9.4f} {impl:9.4f} {ms:9.4f} {100 * ms / ours:6.1f}% {100 * ms / impl:7.1f}% "
                  f"| {gms:9.4f} {100 * gms / impl:7.1f}% | {ratio_b:15.3g}")
    for what, all_rows, slow_rows in (("im2col + GEMM", worst, slow), ("implicit GEMM", worst_i, slow_i)):
        print(f"{what} vs cuDNN: median {100 * statistics.median(all_rows):.1f}%, "
              f"min {100 * min(all_rows):.1f}%, max {100 * max(all_rows):.1f}% of cuDNN's speed")
        if slow_rows:
            print(f"  rows where cuDNN takes > 40 us ({len(slow_rows)}): median "
                  f"{100 * statistics.median(slow_rows):.1f}%, min {100 * min(slow_rows):.1f}% of cuDNN's speed")
    if graph_i:
        print(f"implicit GEMM vs cuDNN replayed from a CUDA graph: median {100 * statistics.median(graph_i):.1f}%, "
              f"min {100 * min(graph_i):.1f}%, max {100 * max(graph_i):.1f}%")
    if slow_g:
        print(f"  rows where the graph-replayed cuDNN takes > 40 us ({len(slow_g)}): median "
              f"{100 * statistics.median(slow_g):.1f}%, min {100 * min(slow_g):.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
