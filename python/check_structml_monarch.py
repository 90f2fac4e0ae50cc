"""Checks a folder written by `structml monarch compress --model DENSE --output COMPRESSED` against the dense
folder it came from, through python/structml_monarch.py:

1. per layer: the MonarchLinear forward equals x M^T + b with M written out entry by entry (1e-5), and
   ||M - W|| / ||W|| (W the dense weight, transposed for GPT-2's Conv1D) equals the relative_error that structml
   recorded (1e-4): this checks the factor layout and the Conv1D convention independently of structml;
2. end to end: the compressed model equals the dense model whose weights are replaced by the dense M of each
   layer (1e-5 relative on the last hidden state, with padding): the factors are wired in exactly;
3. what compression costs: cosine between the dense and compressed models' mean-pooled outputs.

With --sentences FILE --structml-embeddings EMB.npy (from `structml embed --model COMPRESSED --input FILE
--output EMB.npy`) it also compares structml's sentence embeddings of the compressed folder with PyTorch's
(mean pooling, L2-normalized when --normalize was given to both), to 1e-4.

usage: python3 check_structml_monarch.py DENSE_DIR COMPRESSED_DIR [--sentences FILE --structml-embeddings EMB.npy
       [--normalize]]
Prints one JSON object; exits 1 when a check fails.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from structml_monarch import MonarchLinear, SECTION, load_compressed, monarch_dense, read_folder  # noqa: E402


def mean_pooled(hidden, mask):
    mask = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dense")
    parser.add_argument("compressed")
    parser.add_argument("--sentences")
    parser.add_argument("--structml-embeddings")
    parser.add_argument("--normalize", action="store_true")
    args = parser.parse_args()
    from safetensors.torch import load_file
    from transformers import AutoModel

    torch.manual_seed(0)
    config, state = read_folder(args.compressed)
    dense_state = load_file(os.path.join(args.dense, "model.safetensors"))
    layers = config[SECTION]["layers"]
    report = {"layers": len(layers), "failures": []}
    worst_forward, worst_error_gap = 0.0, 0.0
    exact_state = dict(dense_state)
    for name, layer in layers.items():
        w1, w2 = state[name + ".w1"].double(), state[name + ".w2"].double()
        module = MonarchLinear(w1, w2, state.get(name + ".bias"), layer["in_features"], layer["out_features"]).double()
        m = monarch_dense(w1, w2, layer["in_features"], layer["out_features"])
        x = torch.randn(5, layer["in_features"], dtype=torch.float64)
        bias = module.bias if module.bias is not None else 0
        with torch.no_grad():
            forward = (module(x) - (x @ m.T + bias)).abs().max().item() / max(1e-30, (x @ m.T).abs().max().item())
        worst_forward = max(worst_forward, forward)
        stored = dense_state[layer["tensor"]].double()
        w = stored.T if layer["stored_input_major"] else stored
        relative = ((m - w).norm() / w.norm()).item()
        worst_error_gap = max(worst_error_gap, abs(relative - layer["relative_error"]))
        exact_state[layer["tensor"]] = (m.T if layer["stored_input_major"] else m).to(stored.dtype).contiguous()
    report["max_forward_rel_diff"] = worst_forward
    report["max_recorded_error_gap"] = worst_error_gap
    if worst_forward > 1e-5:
        report["failures"].append("Monarch forward differs from the written-out matrix")
    if worst_error_gap > 1e-4:
        report["failures"].append("relative errors differ from the recorded ones (layout or Conv1D convention)")

    compressed = load_compressed(args.compressed, AutoModel).double().eval()
    exact = AutoModel.from_pretrained(args.dense).double().eval()
    base = exact
    missing, unexpected = base.load_state_dict(exact_state, strict=False)
    dense = AutoModel.from_pretrained(args.dense).double().eval()
    vocab = compressed.config.vocab_size
    ids = torch.randint(0, vocab, (3, 12))
    mask = torch.ones_like(ids)
    mask[1, 8:] = 0
    mask[2, 5:] = 0
    with torch.no_grad():
        out_c = compressed(input_ids=ids, attention_mask=mask).last_hidden_state
        out_e = exact(input_ids=ids, attention_mask=mask).last_hidden_state
        out_d = dense(input_ids=ids, attention_mask=mask).last_hidden_state
    keep = mask.bool()
    exact_diff = ((out_c - out_e)[keep].abs().max() / out_e[keep].abs().max()).item()
    report["exact_weights_rel_diff"] = exact_diff
    if exact_diff > 1e-5:
        report["failures"].append("compressed model differs from the dense model with the Monarch weights")
    cosine = torch.nn.functional.cosine_similarity(mean_pooled(out_c, mask), mean_pooled(out_d, mask), dim=-1)
    report["dense_vs_compressed_mean_pooled_cosine"] = [round(v, 6) for v in cosine.tolist()]

    if args.sentences and args.structml_embeddings:
        import numpy as np
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(args.compressed)
        with open(args.sentences) as f:
            sentences = [line.rstrip("\n") for line in f if line.strip()]
        batch = tokenizer(sentences, padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.no_grad():
            hidden = compressed(**batch).last_hidden_state
        ours = mean_pooled(hidden, batch["attention_mask"])
        if args.normalize:
            ours = torch.nn.functional.normalize(ours, dim=-1)
        theirs = torch.from_numpy(np.load(args.structml_embeddings)).double()
        distance = (1 - torch.nn.functional.cosine_similarity(ours, theirs, dim=-1)).max().item()
        report["structml_embeddings_max_cosine_distance"] = distance
        if distance > 1e-4:
            report["failures"].append("structml's embeddings of the compressed folder differ from PyTorch's")
    print(json.dumps(report))
    sys.exit(1 if report["failures"] else 0)


if __name__ == "__main__":
    main()
