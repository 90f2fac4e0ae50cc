"""Load a model folder written by `structml monarch compress --model DIR` into transformers' model class.

Each compressed linear layer (an `nn.Linear`, or GPT-2's `Conv1D`) is replaced by a `MonarchLinear` whose
factors come from the folder: `P.w1` of shape (k, q, p) and `P.w2` of shape (l, s, r), the layout of
torch-structured's `blockdiag_butterfly_multiply(x, w1, w2)`. The factors represent the out x in map
y = x M^T + b for both kinds of layer (structml transposed the Conv1D weights before projecting them), so a
Conv1D is replaced by the same module as an nn.Linear.

    from transformers import BertModel
    from structml_monarch import load_compressed
    model = load_compressed("minilm-monarch", BertModel).eval()

Needs torch, transformers and safetensors. Not part of the Swift test suite.
"""
import json
import os

import torch
from torch import nn

SECTION = "structml_monarch"


def monarch_multiply(x, w1, w2, in_features, out_features):
    """y = x M^T for the Monarch matrix M of factors w1 (k, q, p) and w2 (l, s, r), on the last axis of x.

    Inputs are zero-padded to k*p columns; block kk of w1 reads columns kk*p ..< (kk+1)*p; the middle vector
    h (width k*q) is read by block ll of w2 at h[rr*l + ll]; output ss*l + ll is row ss of block ll's result;
    outputs are cut to out_features.
    """
    k, q, p = w1.shape
    l, s, r = w2.shape
    shape = x.shape[:-1]
    x = x.reshape(-1, x.shape[-1])
    if k * p != in_features:
        x = nn.functional.pad(x, (0, k * p - in_features))
    batch = x.shape[0]
    h = torch.einsum("kqp,bkp->bkq", w1, x.reshape(batch, k, p)).reshape(batch, k * q)
    g = h.reshape(batch, r, l).transpose(1, 2)  # g[b, ll, rr] = h[b, rr*l + ll]
    z = torch.einsum("lsr,blr->bls", w2, g)
    y = z.transpose(1, 2).reshape(batch, s * l)[:, :out_features]  # y[b, ss*l + ll] = z[b, ll, ss]
    return y.reshape(*shape, out_features)


def monarch_dense(w1, w2, in_features, out_features):
    """The dense out x in matrix, written out entry by entry from the factors (an independent formula):
    M[ss*l + ll, kk*p + pp] = sum_j w2[ll, ss, kk*rho + j] * w1[kk, j*l + ll, pp] with rho = q / l."""
    k, q, p = w1.shape
    l, s, r = w2.shape
    rho = q // l
    m = torch.zeros(l * s, k * p, dtype=w1.dtype)
    for kk in range(k):
        for ll in range(l):
            left = w2[ll][:, kk * rho:(kk + 1) * rho]  # (s, rho)
            right = w1[kk][[j * l + ll for j in range(rho)], :]  # (rho, p)
            m[ll::l, kk * p:(kk + 1) * p] = left @ right
    return m[:out_features, :in_features]


class MonarchLinear(nn.Module):
    """A linear layer whose weight is a Monarch matrix: y = x M^T + b."""

    def __init__(self, w1, w2, bias, in_features, out_features):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.w1 = nn.Parameter(w1.clone())
        self.w2 = nn.Parameter(w2.clone())
        self.bias = nn.Parameter(bias.clone()) if bias is not None else None

    def forward(self, x):
        y = monarch_multiply(x, self.w1.to(x.dtype), self.w2.to(x.dtype), self.in_features, self.out_features)
        return y + self.bias.to(x.dtype) if self.bias is not None else y

    def dense_weight(self):
        """The out x in weight an nn.Linear with the same map would hold."""
        return monarch_dense(self.w1, self.w2, self.in_features, self.out_features)


def read_folder(folder):
    """The folder's config.json (with its structml_monarch section) and its tensors."""
    from safetensors.torch import load_file

    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    if SECTION not in config:
        raise ValueError(f"{folder}/config.json has no '{SECTION}' section: not a structml compressed folder")
    return config, load_file(os.path.join(folder, "model.safetensors"))


def load_compressed(folder, model_class=None):
    """Builds transformers' `model_class` (default: AutoModel) from the folder's config, replaces every
    compressed layer by a MonarchLinear and loads the tensors. Raises when a tensor is left unused or a
    parameter is left unloaded (apart from buffers and a tied head)."""
    from transformers import AutoConfig, AutoModel

    config, state = read_folder(folder)
    model_class = model_class or AutoModel
    hf_config = AutoConfig.from_pretrained(folder)
    auto = model_class.__name__.startswith("Auto")
    model = model_class.from_config(hf_config) if auto else model_class(hf_config)
    prefix = model.base_model_prefix
    # A BertModel / GPT2Model file has no "bert." / "transformer." prefix; a head model's keys do.
    target = model
    if prefix and hasattr(model, prefix) and not any(key.startswith(prefix + ".") for key in state):
        target = getattr(model, prefix)
    layers = config[SECTION]["layers"]
    for name, layer in layers.items():
        parent_name, _, child = name.rpartition(".")
        parent = target.get_submodule(parent_name) if parent_name else target
        w1, w2 = state[name + ".w1"], state[name + ".w2"]
        replacement = MonarchLinear(
            w1, w2, state.get(name + ".bias"), layer["in_features"], layer["out_features"])
        setattr(parent, child, replacement)
    buffers = ("position_ids", "attn.bias", "attn.masked_bias")  # stored by some files, not parameters
    missing, unexpected = target.load_state_dict(state, strict=False)
    unexpected = [key for key in unexpected if not key.endswith(buffers)]
    if unexpected:
        raise ValueError(f"tensors of {folder} that the model does not use: {unexpected[:5]}")
    missing = [key for key in missing if not key.endswith(buffers)]
    if hasattr(model, "tie_weights"):
        model.tie_weights()
    missing = [key for key in missing if key != "lm_head.weight"]
    if missing:
        raise ValueError(f"parameters that {folder} does not hold: {missing[:5]}")
    return model
