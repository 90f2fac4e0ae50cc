"""Fixtures for the Monarch tests, made by the PyTorch reference package torch-structured.

Multiply: factors, inputs and outputs of `blockdiag_butterfly_multiply` (the fast autograd kernel) checked
against `blockdiag_butterfly_multiply_reference(..., version=2)` of
`torch_structured/monarch/blockdiag_butterfly_multiply.py` (adapted from HazyResearch/fly).
Float32 multiply: float32 factors and inputs at 4, 12, 16 and 64 blocks (`l` a multiple of 16 and not) with
33 rows of input; the outputs are the reference multiply of the same float32 values in float64, so the Swift
tests can slice the first 1, 5 or 33 rows and compare the Float kernels with an exact oracle.
Projection: `blockdiag_butterfly_project` of `torch_structured/monarch/blockdiag_butterfly_projection.py` on
random square matrices, with the dense matrix its factors represent.

Requires: pip install torch torch-structured numpy   (run by hand; the tests only read the .npy files)
Run: python3 make_fixtures.py [double] [float]   (writes monarch_*.npy beside this script)
"""
import os
import sys

import numpy as np
import torch
from torch_structured.monarch.blockdiag_butterfly_multiply import (
    blockdiag_butterfly_multiply,
    blockdiag_butterfly_multiply_reference,
)
from torch_structured.monarch.blockdiag_butterfly_projection import blockdiag_butterfly_project

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, value):
    np.save(os.path.join(HERE, f"monarch_{name}.npy"), np.asarray(value, dtype=np.float64))


def multiply_cases(rng):
    # (name, w1 shape (k, q, p), w2 shape (l, s, r)): square class, rectangular rank 2, unequal slice ranks.
    cases = [("square", (4, 4, 4), (4, 4, 4)), ("rectangular", (4, 6, 3), (3, 5, 8)), ("general", (2, 3, 4), (2, 5, 3))]
    for name, shape1, shape2 in cases:
        w1 = torch.from_numpy(rng.standard_normal(shape1))
        w2 = torch.from_numpy(rng.standard_normal(shape2))
        x = torch.from_numpy(rng.standard_normal((5, shape1[0] * shape1[2])))
        y = blockdiag_butterfly_multiply(x, w1, w2)
        reference = blockdiag_butterfly_multiply_reference(x, w1, w2, version=2)
        assert torch.allclose(y, reference, rtol=1e-12, atol=1e-12), name
        for key, value in (("w1", w1), ("w2", w2), ("x", x), ("y", y)):
            save(f"{name}_{key}", value.numpy())


def float_multiply_cases(rng):
    # (name, in, out, blocks): fly's MonarchLinear(in, out, nblocks) shapes, slice rank max(1, min(in, out) / b²).
    cases = [("float4", 64, 64, 4), ("float12", 144, 144, 12), ("float16", 512, 256, 16), ("float64", 1024, 1024, 64)]
    for name, n_in, n_out, blocks in cases:
        rank = max(1, min(n_in, n_out) // (blocks * blocks))
        p, s = n_in // blocks, n_out // blocks
        w1 = rng.standard_normal((blocks, rank * blocks, p)).astype(np.float32) / np.sqrt(p)
        w2 = rng.standard_normal((blocks, s, rank * blocks)).astype(np.float32) / np.sqrt(rank * blocks)
        x = rng.standard_normal((33, n_in)).astype(np.float32)
        exact = blockdiag_butterfly_multiply_reference(
            torch.from_numpy(x).double(), torch.from_numpy(w1).double(), torch.from_numpy(w2).double(), version=2)
        for key, value in (("w1", w1), ("w2", w2), ("x", x)):
            np.save(os.path.join(HERE, f"monarch_{name}_{key}.npy"), value)
        save(f"{name}_y", exact.numpy())


def projection_cases(rng):
    # Square matrices n = b1 * b2 projected with the reference's default block sizes.
    for n in (16, 36):
        m = torch.from_numpy(rng.standard_normal((n, n)))
        w1, w2 = blockdiag_butterfly_project(m)
        dense = blockdiag_butterfly_multiply(torch.eye(n, dtype=torch.float64), w1, w2).T
        save(f"projection{n}_matrix", m.numpy())
        save(f"projection{n}_w1", w1.numpy())
        save(f"projection{n}_w2", w2.numpy())
        save(f"projection{n}_dense", dense.numpy())


def main(which):
    rng = np.random.default_rng(2022)
    if "double" in which:
        multiply_cases(rng)
        projection_cases(rng)
    if "float" in which:
        float_multiply_cases(np.random.default_rng(2026))


if __name__ == "__main__":
    # `python3 make_fixtures.py float` remakes only the float32 fixtures (the committed projection factors came
    # from an earlier torch-structured release; newer ones may choose other signs for the same dense matrix).
    main(sys.argv[1:] or ["double", "float"])
