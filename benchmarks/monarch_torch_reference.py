"""Times the PyTorch reference Monarch multiply and projection on CPU, for comparison with
`structml bench monarch --n 4096 --batch 1024 --blocks 64`.

Needs torch and torch-structured (pip install torch-structured). Run by hand:
    python3 benchmarks/monarch_torch_reference.py [n] [batch] [blocks]
"""
import sys
import time

import torch
from torch_structured.monarch.blockdiag_butterfly_multiply import blockdiag_butterfly_multiply
from torch_structured.monarch.blockdiag_butterfly_projection import blockdiag_butterfly_project


def median_seconds(fn, repeats=5):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    n, batch, blocks = (int(a) for a in (sys.argv[1:] + ["4096", "1024", "64"][len(sys.argv) - 1:]))
    torch.manual_seed(0)
    x = torch.randn(batch, n)
    w = torch.randn(n, n)
    w1 = torch.randn(blocks, n // blocks, n // blocks)
    w2 = torch.randn(blocks, n // blocks, n // blocks)
    dense = median_seconds(lambda: x @ w.T)
    monarch = median_seconds(lambda: blockdiag_butterfly_multiply(x, w1, w2))
    dense_flops = 2 * batch * n * n
    monarch_flops = 2 * batch * (w1.numel() + w2.numel())
    print(f"dense {dense:.4f} s {dense_flops / dense * 1e-9:.1f} GFLOP/s")
    print(f"monarch {monarch:.4f} s {monarch_flops / monarch * 1e-9:.1f} GFLOP/s "
          f"({100 * monarch_flops / monarch / (dense_flops / dense):.1f}% of dense)")
    start = time.perf_counter()
    blockdiag_butterfly_project(w)
    projection = time.perf_counter() - start
    square = median_seconds(lambda: w @ w, repeats=1)
    print(f"projection {projection:.3f} s, one {n}^3 GEMM {square:.3f} s (ratio {projection / square:.2f})")


if __name__ == "__main__":
    main()
