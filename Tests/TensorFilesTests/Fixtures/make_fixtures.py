#!/usr/bin/env python3
"""Writes the TensorFiles test fixtures with NumPy and the safetensors package.

Values follow formulas the Swift tests recompute (see FixtureTests.swift):
  floats   value(i) = (i - 7) * 0.25          for flat index i
  signed   value(i) = i - 7
  unsigned value(i) = i
  bool     value(i) = (i % 3 == 0)
BF16 values are rounded by PyTorch and checked against exact rational rounding (see below).
Run from this folder: python3 make_fixtures.py   (numpy, safetensors, torch)
"""
import json
import struct

import numpy as np
from numpy.lib import format as npformat
from safetensors import safe_open
from safetensors.numpy import save_file

SHAPE = (2, 3, 4)
N = 24


def values(dtype, n=N):
    i = np.arange(n)
    kind = np.dtype(dtype).kind
    if kind == "f":
        return ((i - 7) * 0.25).astype(dtype)
    if kind == "i":
        return (i - 7).astype(dtype)
    if kind == "u":
        return i.astype(dtype)
    return i % 3 == 0


# --- .npy, written by numpy.save --------------------------------------------------------------------
for name in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]:
    dtype = "?" if name == "b1" else name
    np.save(f"npy_{name}.npy", values(dtype).reshape(SHAPE))
np.save("npy_scalar_f8.npy", np.array(3.5))
np.save("npy_vector_i4.npy", values("i4", 5))
np.save("npy_empty_f4.npy", np.zeros((0, 3), dtype="f4"))
np.save("npy_fortran_f8.npy", np.asfortranarray(values("f8").reshape(SHAPE)))
np.save("npy_bigendian_f4.npy", values(">f4").reshape(SHAPE))
np.save("npy_bigendian_i2.npy", values(">i2").reshape(SHAPE))
for version in [(2, 0), (3, 0)]:
    with open(f"npy_v{version[0]}_f4.npy", "wb") as f:
        npformat.write_array(f, values("f4").reshape(SHAPE), version=version)
np.save("npy_extremes_i8.npy", np.array([np.iinfo("i8").min, np.iinfo("i8").max, 0, 1], dtype="i8"))
np.save("npy_extremes_u8.npy", np.array([0, np.iinfo("u8").max, 1], dtype="u8"))

# --- .safetensors, written by safetensors.numpy ------------------------------------------------------
SAFETENSORS_TYPES = {"BOOL": "?", "U8": "u1", "I8": "i1", "I16": "i2", "U16": "u2", "F16": "f2",
                     "I32": "i4", "U32": "u4", "F32": "f4", "F64": "f8", "I64": "i8", "U64": "u8"}
tensors = {name.lower(): values(dtype, 6).reshape(2, 3) for name, dtype in SAFETENSORS_TYPES.items()}
tensors["scalar"] = np.array(2.5, dtype="f8")
tensors["empty"] = np.zeros((0, 4), dtype="f4")
save_file(tensors, "all_dtypes.safetensors", metadata={"format": "np", "note": "fixture"})

# --- BF16: rounded by PyTorch, written by safetensors.torch -------------------------------------------
# `source` holds float32 values, `rounded` the same values converted by torch to bfloat16 (nearest, ties
# to even). bf16_expected.json records the bit patterns, torch's decoding of each bfloat16 back to
# float32, and doubles rounded to bfloat16 in one step by exact rational arithmetic (torch goes through
# float32, which rounds twice); the Swift tests compare against these recorded values only.
import math
from fractions import Fraction

import torch
from safetensors.torch import save_file as save_torch_file


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def bf16_bits_exact(x):
    """The bfloat16 nearest to the double x, ties to even, by exact arithmetic (8 significant bits,
    exponent range of float32, subnormal quantum 2^-133)."""
    sign = 0x8000 if math.copysign(1.0, x) < 0 else 0
    if math.isinf(x):
        return sign | 0x7F80
    if x == 0:
        return sign
    _, e = math.frexp(abs(x))
    quantum = Fraction(2) ** (max(e, -125) - 8)
    value = round(Fraction(abs(x)) / quantum) * quantum
    if value >= 2 ** 128:
        return sign | 0x7F80
    return sign | (f32_bits(float(value)) >> 16)


special = [1.0, -2.5, 1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-8 + 2**-20, -(1 + 2**-8), 3.0e38,
           3.4028234663852886e38, 1e-40, 2**-133, 3 * 2**-134, 2**-134, -0.0, 0.0, float("inf"),
           float("-inf"), 65504.0, 1 / 3]
rng = np.random.default_rng(7)
random_bits = rng.integers(0, 2**32, size=200, dtype=np.uint64).astype(np.uint32)
# Near-ties: the low 16 bits exactly 0x8000, or one unit either side.
tie_bits = (rng.integers(0, 2**16, size=60, dtype=np.uint64).astype(np.uint32) << 16) | np.array(
    [0x8000, 0x7FFF, 0x8001] * 20, dtype=np.uint32)
source = np.concatenate([np.array(special, dtype="<f4"), random_bits.view("<f4"), tie_bits.view("<f4")])
source = source[~np.isnan(source)]
rounded = torch.from_numpy(source.copy()).to(torch.bfloat16)
rounded_bits = rounded.view(torch.int16).numpy().view("<u2")
decoded_bits = rounded.to(torch.float32).numpy().view("<u4")
assert all(bf16_bits_exact(float(x)) == int(b) for x, b in zip(source, rounded_bits))
save_torch_file({"rounded": rounded, "source": torch.from_numpy(source.copy())}, "bf16.safetensors",
                metadata={"format": "pt"})
doubles = [1 + 2**-8 + 2**-30, 1 + 2**-8 - 2**-40, 1 + 2**-8, -(1 + 3 * 2**-8 + 2**-50), 2**-133 * 1.5000001,
           3.4028235677973366e38, 3.3961776e38 + 1e30, 1e-300, 1e300, math.pi, -math.e]
doubles += list(rng.standard_normal(40) * 10.0 ** rng.integers(-45, 38, size=40))
with open("bf16_expected.json", "w") as f:
    json.dump({
        "source_f32_bits": [int(b) for b in source.view("<u4")],
        "rounded_bf16_bits": [int(b) for b in rounded_bits],
        "decoded_f32_bits": [int(b) for b in decoded_bits],
        "double_bits": [struct.unpack("<Q", struct.pack("<d", x))[0] for x in doubles],
        "double_rounded_bf16_bits": [bf16_bits_exact(x) for x in doubles],
    }, f, indent=1)
    f.write("\n")
with safe_open("bf16.safetensors", framework="numpy") as f:
    assert sorted(f.keys()) == ["rounded", "source"] and f.metadata() == {"format": "pt"}
    assert np.array_equal(f.get_tensor("source"), source)
print(len(source), "float32 values,", len(doubles), "doubles")
