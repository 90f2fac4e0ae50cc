"""Writes entmax_fixtures.json: inputs and outputs of the Python `entmax` package (1.3) for the
ProbabilityMaps tests. Run by hand: `pip install entmax torch numpy; python3 make_fixtures.py`.

Cases cover random rows of 37, 100 and 257 scores (longer than several vectors of the 8- and 16-lane
kernels), ties at the maximum across vector lanes, score scales from 1e-6 to 1e6 and rows with -inf
(masked) entries; the
masked reference is computed on the row with the masked entries deleted (the package's own masking
contract), then padded with zeros. Numbers are written with full double precision."""
import json
import math
import os

import numpy as np
import torch
from entmax import entmax15, sparsemax, entmax_bisect

rng = np.random.default_rng(20240611)


def with_ties_and_masks(rows, scale):
    """Copies the largest score of each row to two other positions (ties at the maximum, across vector
    lanes) and masks every 11th entry from the 3rd on."""
    rows = rows.copy()
    for r in rows:
        top = int(np.argmax(r))
        r[(top + 17) % len(r)] = r[top]
        r[(top + 33) % len(r)] = r[top]
        r[2::11] = -math.inf
    return rows


def rows_for_case():
    cases = {}
    # Rows longer than several vectors (8 doubles, 16 floats): 37, 100 and 257 scores.
    base = rng.standard_normal((3, 37))
    for scale in [1e-6, 1e-3, 1e-1, 1.0, 10.0, 1e3, 1e6]:
        cases[f"scale_{scale:g}"] = base * scale
    cases["long_100"] = with_ties_and_masks(rng.standard_normal((3, 100)) * 2, 2)
    cases["long_257"] = with_ties_and_masks(rng.standard_normal((2, 257)), 1)
    cases["ties"] = np.array([[1.0, 1.0, 1.0, 0.0, -1.0, 1.0, 0.5, 0.5, 0.0] * 4 + [1.0],
                              [2.0, 2.0] + [0.0] * 35,
                              [0.0] * 37,
                              [3.0, -3.0, 3.0, -3.0, 3.0, -3.0, 0.25, 0.25, 0.25] * 4 + [0.25]])
    masked = rng.standard_normal((4, 37))
    masked[0, [1, 4, 20, 36]] = -math.inf
    masked[1, 0] = -math.inf
    masked[2, :36] = -math.inf
    masked[3, 0::2] = -math.inf
    cases["masked"] = masked
    return cases


def apply(fn, row):
    keep = np.isfinite(row)
    out = np.zeros_like(row)
    out[keep] = fn(torch.tensor(row[keep][None, :], dtype=torch.float64)).numpy()[0]
    return out


maps = {
    "softmax": lambda t: torch.softmax(t, dim=-1),
    "sparsemax": lambda t: sparsemax(t, dim=-1),
    "entmax15": lambda t: entmax15(t, dim=-1),
    "entmax_bisect_1.25": lambda t: entmax_bisect(t, alpha=1.25, dim=-1, n_iter=100),
    "entmax_bisect_3": lambda t: entmax_bisect(t, alpha=3.0, dim=-1, n_iter=100),
}

fixtures = []
for name, scores in rows_for_case().items():
    entry = {"case": name, "scores": [[x if math.isfinite(x) else "-inf" for x in r] for r in scores.tolist()]}
    for map_name, fn in maps.items():
        entry[map_name] = [apply(fn, r).tolist() for r in scores]
    fixtures.append(entry)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "entmax_fixtures.json")
with open(path, "w") as f:
    json.dump({"generator": "entmax 1.3 / torch float64", "cases": fixtures}, f, indent=1)
print("wrote", path)
