#!/usr/bin/env python3
"""Times NumPy/SciPy on the same problems as `structml bench fft` and the SVD row of `structml demo`.

Run by hand next to the Swift numbers (same machine, same moment), e.g.

    OPENBLAS_NUM_THREADS=1 python3 benchmarks/core_fft_linalg.py --n 4096 --rows 256
    OPENBLAS_NUM_THREADS=1 .build/release/structml bench fft --n 4096 --rows 256

and compare ratios, not absolute times. Not part of CI (needs numpy and scipy).
"""
import argparse
import time

import numpy as np
import scipy.linalg


def median_seconds(function, samples=7):
    function()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--rows", type=int, default=256)
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    batch = rng.standard_normal((args.rows, args.n)) + 1j * rng.standard_normal((args.rows, args.n))
    single = batch[0].copy()
    print(f"numpy.fft.fft n={args.n}: {median_seconds(lambda: np.fft.fft(single)) * 1e6:.4g} µs per transform")
    print(f"numpy.fft.fft {args.rows} rows: {median_seconds(lambda: np.fft.fft(batch, axis=1)) * 1e3:.4g} ms")
    a = rng.standard_normal((300, 200))
    seconds = median_seconds(lambda: scipy.linalg.svd(a, full_matrices=False, lapack_driver="gesdd"), samples=5)
    print(f"scipy.linalg.svd 300x200 (gesdd): {seconds * 1e3:.4g} ms")


if __name__ == "__main__":
    main()
