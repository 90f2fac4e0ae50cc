#!/usr/bin/env python3
"""Writes the seed corpora of the fuzzers in Fuzz/: small valid files and slightly broken ones.

Run from anywhere: python3 Fuzz/Corpus/generate.py. Uses the standard library only (the formats are
written byte by byte, independently of the Swift code under test). The output is deterministic.
"""
import json
import os
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))


def write(fuzzer, name, data):
    folder = os.path.join(ROOT, fuzzer)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# --- .npy -------------------------------------------------------------------------------------------

def npy(descr, shape, payload, fortran=False, version=1, header_override=None):
    shape_text = "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
    header = header_override or "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", shape_text)
    length_size = 2 if version == 1 else 4
    header_bytes = header.encode("latin-1")
    padding = 64 - (6 + 2 + length_size + len(header_bytes) + 1) % 64
    header_bytes += b" " * padding + b"\n"
    length = struct.pack("<H" if version == 1 else "<I", len(header_bytes))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header_bytes + payload


def floats(fmt, values):
    return b"".join(struct.pack(fmt, v) for v in values)


def npy_seeds():
    f = "FuzzNPY"
    write(f, "f4_2x3.npy", npy("<f4", [2, 3], floats("<f", [1, -2, 3.5, 0, float("inf"), float("nan")])))
    write(f, "f8_fortran_2x2.npy", npy("<f8", [2, 2], floats("<d", [1, 2, 3, 4]), fortran=True))
    write(f, "f4_bigendian_3.npy", npy(">f4", [3], floats(">f", [1, 2, 3])))
    write(f, "f2_4.npy", npy("<f2", [4], floats("<e", [1, -1, 65504, 0.5])))
    write(f, "i8_scalar.npy", npy("<i8", [], struct.pack("<q", -7)))
    write(f, "i4_empty_0x5.npy", npy("<i4", [0, 5], b""))
    write(f, "u1_2x2x2.npy", npy("|u1", [2, 2, 2], bytes(range(8))))
    write(f, "b1_3.npy", npy("|b1", [3], b"\x01\x00\x01"))
    write(f, "v2_f4_1.npy", npy("<f4", [1], floats("<f", [42]), version=2))
    write(f, "broken_truncated_data.npy", npy("<f4", [2, 3], floats("<f", [1, 2, 3]))[:-1])
    write(f, "broken_huge_shape.npy", npy("<f4", [2**40, 2**40], b""))
    write(f, "broken_extra_key.npy", npy("<f4", [1], floats("<f", [1]),
                                          header_override="{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}"))
    write(f, "broken_magic.npy", b"\x93NUMPZ" + npy("<f4", [1], floats("<f", [1]))[6:])
    write(f, "broken_short.npy", b"\x93NUMPY\x01\x00")


# --- .safetensors -----------------------------------------------------------------------------------

def safetensors(tensors, metadata=None, header_override=None, pad=True):
    """tensors: list of (name, dtype, shape, bytes), laid out in order."""
    header, offset, payload = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        payload += data
    text = header_override if header_override is not None else json.dumps(header, separators=(",", ":"))
    raw = text.encode("utf-8")
    if pad:
        raw += b" " * ((8 - len(raw) % 8) % 8)
    return struct.pack("<Q", len(raw)) + raw + payload


def safetensors_seeds():
    f = "FuzzSafetensors"
    write(f, "f32_and_i64.safetensors", safetensors([
        ("weight", "F32", [2, 2], floats("<f", [1, 2, 3, 4])),
        ("step", "I64", [], struct.pack("<q", 3)),
    ], metadata={"format": "pt"}))
    write(f, "f16_bf16.safetensors", safetensors([
        ("half", "F16", [3], floats("<e", [1, -2, 0.25])),
        ("brain", "BF16", [2], b"\x80\x3f\x00\xc0"),
    ]))
    write(f, "f64_u8_bool.safetensors", safetensors([
        ("d", "F64", [1, 2], floats("<d", [float("nan"), -1e300])),
        ("bytes", "U8", [4], b"\x00\x01\xfe\xff"),
        ("mask", "BOOL", [2], b"\x01\x00"),
    ]))
    write(f, "f8_and_empty.safetensors", safetensors([
        ("e4m3", "F8_E4M3", [2], b"\x38\xb8"),
        ("empty", "F32", [0, 7], b""),
    ]))
    write(f, "empty_header.safetensors", safetensors([], header_override="{}"))
    write(f, "broken_overlap.safetensors", safetensors([], header_override=json.dumps({
        "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
        "b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}})) + bytes(8))
    write(f, "broken_length_mismatch.safetensors", safetensors([("w", "F32", [3], floats("<f", [1, 2]))]))
    write(f, "broken_huge_header_length.safetensors", struct.pack("<Q", 2**63 - 1) + b"{}")
    write(f, "broken_truncated_header.safetensors", safetensors([("w", "F32", [1], floats("<f", [1]))])[:20])
    write(f, "broken_shape_overflow.safetensors", safetensors([], header_override=json.dumps({
        "w": {"dtype": "F32", "shape": [2**62, 2**62, 0], "data_offsets": [0, 0]}})))
    write(f, "broken_nested.safetensors", safetensors([], header_override="[" * 200 + "]" * 200))
    write(f, "broken_not_utf8.safetensors", struct.pack("<Q", 4) + b"{\xff\xfe}")


# --- Monarch factor files ---------------------------------------------------------------------------

def monarch_seeds():
    f = "FuzzMonarchFactors"
    # in = out = 4, 2 blocks, rank 1: w1 (k=2, q=2, p=2), w2 (l=2, s=2, r=2); k*q = l*r = 4.
    w1 = floats("<f", [1, 0, 0, 1, 0.5, -0.5, 2, 1])
    w2 = floats("<f", [1, 2, 3, 4, -1, 0, 0, -1])
    meta = {"in_features": "4", "out_features": "4", "in_blocks": "2", "out_blocks": "2", "rank": "1"}
    write(f, "square_4.safetensors", safetensors([("w1", "F32", [2, 2, 2], w1), ("w2", "F32", [2, 2, 2], w2)], meta))
    # in = 3 (padded to 4), out = 2: w1 (2, 2, 2), w2 (2, 1, 2).
    meta = {"in_features": "3", "out_features": "2", "in_blocks": "2", "out_blocks": "2", "rank": "1"}
    write(f, "padded_3_to_2.safetensors", safetensors(
        [("w1", "F32", [2, 2, 2], w1), ("w2", "F32", [2, 1, 2], floats("<f", [1, 2, 3, 4]))], meta))
    # The PyTorch Monarch layer's names (blkdiag1/blkdiag2), without metadata, as a state dictionary holds them.
    write(f, "pytorch_naming.safetensors", safetensors(
        [("blkdiag1", "F32", [2, 2, 2], w1), ("blkdiag2", "F32", [2, 2, 2], w2)]))
    write(f, "broken_both_namings.safetensors", safetensors(
        [("w1", "F32", [2, 2, 2], w1), ("w2", "F32", [2, 2, 2], w2),
         ("blkdiag1", "F32", [2, 2, 2], w1), ("blkdiag2", "F32", [2, 2, 2], w2)]))
    write(f, "broken_rank_metadata.safetensors", safetensors(
        [("w1", "F32", [2, 2, 2], w1), ("w2", "F32", [2, 2, 2], w2)], dict(meta, rank="+1")))
    write(f, "float64_factors.safetensors", safetensors(
        [("w1", "F64", [1, 1, 2], floats("<d", [1, 2])), ("w2", "F64", [1, 1, 1], floats("<d", [3]))]))
    write(f, "broken_huge_features.safetensors", safetensors(
        [("w1", "F32", [2, 2, 2], w1), ("w2", "F32", [2, 2, 2], w2)],
        {"in_features": str(2**63 - 1), "out_features": str(2**63 - 1)}))
    write(f, "broken_zero_element_huge_extent.safetensors", safetensors(
        [("w1", "F32", [0, 2**40, 2**40], b""), ("w2", "F32", [2**40, 0, 2**40], b"")]))
    write(f, "broken_not_chaining.safetensors", safetensors(
        [("w1", "F32", [2, 2, 2], w1), ("w2", "F32", [1, 2, 2], floats("<f", [1, 2, 3, 4]))]))
    write(f, "broken_nan.safetensors", safetensors(
        [("w1", "F32", [1, 1, 1], floats("<f", [float("nan")])), ("w2", "F32", [1, 1, 1], floats("<f", [1]))]))
    write(f, "broken_missing_w2.safetensors", safetensors([("w1", "F32", [2, 2, 2], w1)]))


# --- Command-line arguments -------------------------------------------------------------------------

def arguments_seeds():
    """First byte: the command's index in the registry (modulo its size); then NUL-separated arguments."""
    f = "FuzzArguments"
    seeds = [
        (0, ["--output", "dir", "--seed", "1"]),
        (1, ["--stats", "--json", "model.safetensors"]),
        (1, ["--include=^layer\\.[0-9]+$", "file.npy", "extra"]),
        (2, ["--input", "m.safetensors:w", "--blocks", "4", "--output", "f.safetensors"]),
        (3, ["--factors", "f.safetensors", "--input", "x.npy", "--output", "y.npy", "--json"]),
        (6, ["--measure", "legs", "--n", "64"]),
        (7, ["--measure", "lagt", "--dt=1e308", "--method", "zoh"]),
        (9, ["--length", "16777216", "--channels", "65536"]),
        (10, ["--map", "entmax15", "--alpha", "1.5", "--temperature", "1e-300", "--", "-5"]),
        (10, ["--map", "--map"]),
        (11, ["--n", "-3", "--n", "4"]),
        (12, ["-h"]),
        (13, ["--json=yes", "-x", "--"]),
        (14, ["\u00e9\u0000".encode("utf-8", "surrogatepass").decode("latin-1"), "--=", "--"]),
    ]
    for number, (command, arguments) in enumerate(seeds):
        data = bytes([command]) + b"\x00".join(a.encode("utf-8") for a in arguments)
        write(f, "seed_%02d" % number, data)
    write(f, "broken_not_utf8", b"\x05--n\x00\xff\xfe\x00--json")


# --- Run configurations (config.json of a run folder) -----------------------------------------------

def run_configuration_seeds():
    f = "FuzzRunConfiguration"
    training = {"batch_size": 16, "learning_rate": 0.01, "warmup_steps": 1, "steps": 2}
    teacher = {"type": "teacher", "examples": 64, "features": 8, "classes": 4, "teacher_hidden": 8, "seed": 1}
    mlp = {"type": "mlp", "input_features": 8, "hidden_features": [16], "classes": 4}
    seeds = {
        "mlp_dense.json": {"model": mlp, "data": teacher, "training": training},
        "mlp_monarch.json": {"model": dict(mlp, hidden_features=[16, 16], hidden_layers={"type": "monarch", "blocks": 2}),
                             "data": teacher, "training": training},
        "mlp_relu_npy.json": {"model": dict(mlp, activation="relu"),
                              "data": {"type": "npy", "features": "x.npy", "labels": "y.npy"}, "training": training},
        "broken_huge_width.json": {"model": dict(mlp, hidden_features=[46000, 46000, 46000]), "data": teacher,
                                   "training": training},
        "broken_blocks.json": {"model": dict(mlp, hidden_layers={"type": "monarch", "blocks": 9}), "data": teacher,
                               "training": training},
        "broken_mismatch.json": {"model": dict(mlp, input_features=9), "data": teacher, "training": training},
        "broken_type.json": {"model": dict(mlp, type="rnn"), "data": teacher, "training": training},
    }
    chain = {"type": "markov_chain", "symbols": 8, "order": 2, "seed": 0, "training_tokens": 512, "held_out_tokens": 128}
    lm = {"type": "language_model", "vocabulary_size": 8, "context_length": 8, "width": 16, "layers": 1,
          "mixer": {"attention": {"heads": 2, "normalizer": "softmax", "positions": "learned"}}}
    lm_training = dict(training, batch_size=2)
    seeds.update({
        "lm_transformer.json": {"model": lm, "data": chain, "training": lm_training},
        "lm_entmax_rotary_monarch.json": {
            "model": dict(lm, mixer={"attention": {"heads": 2, "normalizer": {"entmax": {"alpha": 1.3}}, "positions": "rotary"}},
                          feed_forward_layers={"type": "monarch", "blocks": 2}),
            "data": chain, "training": lm_training},
        "lm_ssm_rtf_text.json": {"model": dict(lm, mixer={"long_convolution": {"kernel": {"rtf": {"order": 7}}}}, vocabulary_size=256),
                                 "data": {"type": "text", "file": "corpus.txt"}, "training": lm_training},
        "lm_ssm_s4d.json": {"model": dict(lm, mixer={"long_convolution": {"kernel": {"s4d": {"state_size": 4}}}}),
                            "data": chain, "training": lm_training},
        "broken_lm_heads.json": {"model": dict(lm, mixer={"attention": {"heads": 3, "normalizer": "softmax", "positions": "learned"}}),
                                 "data": chain, "training": lm_training},
        "broken_lm_huge_batch.json": {"model": dict(lm, context_length=4096, width=1024),
                                      "data": chain, "training": dict(training, batch_size=1000000)},
    })
    for name, value in seeds.items():
        write(f, name, json.dumps(value, sort_keys=True).encode("utf-8"))
    write(f, "broken_nested.json", b"[" * 1000 + b"]" * 1000)
    write(f, "broken_not_utf8.json", b'{"model": "\xff\xfe"}')


# --- PEFT adapter folders (first byte: 0 replaces adapter_config.json, 1 adapter_model.safetensors) ----

def peft_adapter_seeds():
    f = "FuzzPEFTAdapter"
    config = {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q"], "use_rslora": False,
              "rank_pattern": {}, "alpha_pattern": {}, "init_lora_weights": True, "fan_in_fan_out": False,
              "bias": "none", "lora_dropout": 0.0}
    seeds = {
        "config_reference.json": config,
        "config_rslora_patterns.json": dict(config, use_rslora=True, rank_pattern={"blocks\\.1\\.q": 2},
                                            alpha_pattern={"q": 8.0}),
        "config_regex_targets.json": dict(config, target_modules=r".*\.q"),
        "broken_config_dora.json": dict(config, use_dora=True),
        "broken_config_rank.json": dict(config, r=3),
        "broken_config_type.json": dict(config, peft_type="IA3"),
        "broken_config_bad_regex.json": dict(config, target_modules="(q"),
    }
    for name, value in seeds.items():
        write(f, name, b"\x00" + json.dumps(value, sort_keys=True).encode("utf-8"))
    write(f, "broken_config_not_json", b"\x00{\"peft_type\": ")
    prefix = "base_model.model.blocks.{}.q.lora_{}.weight"
    tensors = []
    for layer in range(2):
        tensors.append((prefix.format(layer, "A"), "F32", [2, 4], floats("<f", [i / 8 for i in range(8)])))
        tensors.append((prefix.format(layer, "B"), "F32", [3, 2], floats("<f", [i / 6 - 0.5 for i in range(6)])))
    write(f, "weights_reference.safetensors", b"\x01" + safetensors(tensors, metadata={"format": "pt"}))
    write(f, "weights_bf16.safetensors", b"\x01" + safetensors(
        [(n, "BF16", s, bytes(len(d) // 2)) for n, _, s, d in tensors], metadata={"format": "pt"}))
    write(f, "broken_weights_only_a.safetensors", b"\x01" + safetensors(tensors[:1] + tensors[2:3]))
    write(f, "broken_weights_rank.safetensors", b"\x01" + safetensors(
        [(prefix.format(0, "A"), "F32", [3, 4], floats("<f", [0] * 12))] + tensors[1:]))


if __name__ == "__main__":
    npy_seeds()
    safetensors_seeds()
    monarch_seeds()
    arguments_seeds()
    run_configuration_seeds()
    peft_adapter_seeds()
