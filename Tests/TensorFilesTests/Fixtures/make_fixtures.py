#!/usr/bin/env python3
"""Writes the TensorFiles test fixtures with NumPy and the safetensors package.

Values follow formulas the Swift tests recompute (see FixtureTests.swift):
  floats   value(i) = (i - 7) * 0.25          for flat index i
  signed   value(i) = i - 7
  unsigned value(i) = i
  bool     value(i) = (i % 3 == 0)
Run from this folder: python3 make_fixtures.py   (numpy, safetensors)
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

# --- BF16: numpy has no bfloat16, so the file is assembled here from float32 bit patterns --------------
# `source` holds float32 values, `rounded` the same values rounded to bfloat16 (nearest, ties to even)
# by this independent NumPy formula; the reference safetensors parser then reads the header back.
source = np.array([1.0, -2.5, 1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-8 + 2**-20, 3.0e38, 1e-40, -0.0],
                  dtype="f4")
u = source.view(np.uint32).astype(np.uint64)
rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
header = {"__metadata__": {"format": "pt"},
          "rounded": {"dtype": "BF16", "shape": [8], "data_offsets": [0, 16]},
          "source": {"dtype": "F32", "shape": [8], "data_offsets": [16, 48]}}
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)
with open("bf16.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + rounded.tobytes() + source.astype("<f4").tobytes())
with safe_open("bf16.safetensors", framework="numpy") as f:
    assert sorted(f.keys()) == ["rounded", "source"] and f.metadata() == {"format": "pt"}
    assert np.array_equal(f.get_tensor("source"), source)
print("bf16 bits:", [hex(x) for x in rounded])
