"""Fixtures for the Monarch tests: factors, inputs and outputs of the reference multiply.

The reference is `blockdiag_butterfly_multiply_reference(x, w1, w2, version=2)` of torch-structured
(`torch_structured/monarch/blockdiag_butterfly_multiply.py`, adapted from HazyResearch/fly). When torch and
torch-structured are installed it is called directly; otherwise its two einsums and the rearrange between them
are run in NumPy, line for line:

    out1 = einsum('kqp,bkp->bkq', w1, x.reshape(b, k, p))
    out1 = rearrange(out1, 'b k q -> b (k q)') then 'b (r l) -> b l r'
    out  = einsum('lsr,blr->bsl', w2, out1).reshape(b, s * l)

Run: python3 make_fixtures.py   (writes monarch_<case>_{w1,w2,x,y}.npy beside this script)
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def reference_multiply(x, w1, w2):
    try:
        import torch
        from torch_structured.monarch.blockdiag_butterfly_multiply import blockdiag_butterfly_multiply_reference

        return blockdiag_butterfly_multiply_reference(
            torch.from_numpy(x), torch.from_numpy(w1), torch.from_numpy(w2), version=2).numpy()
    except ImportError:
        batch = x.shape[0]
        k, q, p = w1.shape
        l, s, r = w2.shape
        out1 = np.einsum('kqp,bkp->bkq', w1, x.reshape(batch, k, p)).reshape(batch, k * q)
        out1 = out1.reshape(batch, r, l).transpose(0, 2, 1)
        return np.einsum('lsr,blr->bsl', w2, out1).reshape(batch, s * l)


def main():
    rng = np.random.default_rng(2022)
    # (name, w1 shape (k, q, p), w2 shape (l, s, r)): square class, rectangular rank 2, unequal slice ranks.
    cases = [("square", (4, 4, 4), (4, 4, 4)), ("rectangular", (4, 6, 3), (3, 5, 8)), ("general", (2, 3, 4), (2, 5, 3))]
    for name, shape1, shape2 in cases:
        w1 = rng.standard_normal(shape1)
        w2 = rng.standard_normal(shape2)
        x = rng.standard_normal((5, shape1[0] * shape1[2]))
        y = reference_multiply(x, w1, w2)
        for key, value in (("w1", w1), ("w2", w2), ("x", x), ("y", y)):
            np.save(os.path.join(HERE, f"monarch_{name}_{key}.npy"), value.astype(np.float64))


if __name__ == "__main__":
    main()
