"""Times softmax, sparsemax and 1.5-entmax of the Python `entmax` package on PyTorch CPU, on the shape of
`structml bench probmap` (1024 x 4096 float32, N(0, 1) scores), as ratios to torch.softmax in the same run.
Run by hand: `pip install torch entmax; python3 probmaps_entmax_torch.py [--threads 2]`."""
import argparse
import time

import torch
from entmax import entmax15, sparsemax


def median_seconds(fn, samples=5):
    fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1024)
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(7)
    x = torch.randn(args.rows, args.n)
    v = torch.randn(args.rows, args.n)
    maps = {"softmax": lambda t: torch.softmax(t, dim=-1), "sparsemax": sparsemax, "entmax15": entmax15}
    baseline = None
    for name, fn in maps.items():
        forward = median_seconds(lambda: fn(x))

        def both():
            xs = x.clone().requires_grad_(True)
            (fn(xs) * v).sum().backward()

        fwd_bwd = median_seconds(both)
        baseline = baseline or (forward, fwd_bwd)
        print(f"{name:10s} forward {forward:.4f} s (x{forward / baseline[0]:.2f})  "
              f"fwd+bwd {fwd_bwd:.4f} s (x{fwd_bwd / baseline[1]:.2f})")


if __name__ == "__main__":
    main()
