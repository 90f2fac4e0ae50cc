"""Loads a structml run folder into PyTorch and checks that PyTorch's logits match structml's.

Defines, in plain torch, the two models `structml train` writes with their parameter names and layouts:
- `MLP` (`--model mlp`): `hidden.{i}` layers then `output`, each an `nn.Linear` (`weight` out x in, `bias`) or a
  `MonarchLinear` (`w1` (k, q, p), `w2` (l, s, r), `bias`), GELU (exact erf form) or ReLU between them;
- `GPT` (`--model transformer`): nanoGPT's decoder (`transformer.wte`, `transformer.wpe`, `transformer.h.{i}`
  with `ln_1`, `attn.c_attn`, `attn.c_proj`, `ln_2`, `mlp.c_fc`, `mlp.c_proj`, then `transformer.ln_f`), the
  output head tied to the token embeddings (`lm_head.weight` is `transformer.wte.weight`), its MLP layers dense or
  Monarch like the classifier's. Softmax attention with learned or rotary positions; the entmax normalizers
  have no torch counterpart here and are refused;
- the state-space LM (`--model ssm`): the same stack without position embeddings, each block's `attn` replaced by
  a `mixer`: a long convolution (`log_dt`, `log_A_real`, `A_imag`, `C` for an S4D kernel; `a`, `b` for an RTF
  kernel; the skip term `D`), the model's GELU, then `mixer.out_proj`.

An S4D kernel is K[h, l] = 2 Re sum_n C[h, n] (exp(dt A) - 1)/A exp(dt A l) with dt = exp(log_dt[h]) and
A = -exp(log_A_real) + i A_imag (zero-order hold, B = 1). An RTF kernel is irfft(rfft([0, b]) / rfft([1, a]), n = L)
with the period L fixed to the context and its first T taps used. The convolution is causal:
y[t] = sum_{j <= t} K[j] u[t - j] + D u[t].

A Monarch layer computes y = x M^T + b with M given by its two block-diagonal factors, as torch-structured's
`blockdiag_butterfly_multiply` does: the input, zero-padded to k*p columns, is split into k blocks of p; block j
is multiplied by w1[j]^T (giving q values); the k*q middle values are read as r x l (row-major) and transposed
to l blocks of r; block i is multiplied by w2[i]^T (giving s values); the output is read as s x l transposed back
(index s_index * l + i) and truncated to the output width.

Usage (torch and safetensors installed; not part of the test suite):
    structml eval --checkpoint RUN_DIR --dump-logits RUN_DIR/logits.safetensors
    python3 python/structml_torch.py RUN_DIR [RUN_DIR/logits.safetensors]
It loads RUN_DIR/config.json and RUN_DIR/model.safetensors, runs the dumped inputs through the torch model in
float64 and prints the largest absolute and relative logit differences; exit status 1 when the relative
difference exceeds 1e-4.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn


class MonarchLinear(nn.Module):
    """A Monarch layer with structml's (and torch-structured's) factor layout."""

    def __init__(self, in_features, out_features, w1_shape, w2_shape, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.w1 = nn.Parameter(torch.zeros(w1_shape))
        self.w2 = nn.Parameter(torch.zeros(w2_shape))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None

    def forward(self, x):
        k, q, p = self.w1.shape
        l, s, r = self.w2.shape
        batch = x.shape[:-1]
        x = x.reshape(-1, x.shape[-1])
        x = F.pad(x, (0, k * p - self.in_features))
        middle = torch.einsum("kqp,bkp->bkq", self.w1, x.view(-1, k, p)).reshape(-1, r, l).transpose(1, 2)
        y = torch.einsum("lsr,blr->bsl", self.w2, middle).reshape(-1, s * l)[:, : self.out_features]
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*batch, self.out_features)


def linear(kind, in_features, out_features):
    """An `nn.Linear` or a `MonarchLinear` with the default slice rank max(1, min(in, out) / blocks^2)."""
    if kind["type"] == "dense":
        return nn.Linear(in_features, out_features)
    blocks = kind["blocks"]
    rank = max(1, min(in_features, out_features) // (blocks * blocks))
    p, s = -(-in_features // blocks), -(-out_features // blocks)
    return MonarchLinear(in_features, out_features, (blocks, rank * blocks, p), (blocks, s, rank * blocks))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        widths = [config["input_features"]] + config["hidden_features"] + [config["classes"]]
        hidden = config.get("hidden_layers", {"type": "dense"})
        output = config.get("output_layer", {"type": "dense"})
        self.hidden = nn.ModuleList([linear(hidden, a, b) for a, b in zip(widths[:-2], widths[1:-1])])
        self.output = linear(output, widths[-2], widths[-1])
        self.activation = F.relu if config.get("activation", "gelu") == "relu" else F.gelu

    def forward(self, x):
        for layer in self.hidden:
            x = self.activation(layer(x))
        return self.output(x)


def rotate(x):
    """Rotary positions on (batch, heads, length, d) in the half-split layout (Llama, GPT-NeoX): elements i and
    i + d/2 rotated by the angle t / 10000^(2i/d) at position t."""
    length, d = x.shape[-2], x.shape[-1]
    frequencies = 10000.0 ** (-2 * torch.arange(d // 2, dtype=x.dtype) / d)
    angles = torch.arange(length, dtype=x.dtype)[:, None] * frequencies[None, :]
    cos, sin = angles.cos(), angles.sin()
    first, second = x[..., : d // 2], x[..., d // 2 :]
    return torch.cat((first * cos - second * sin, second * cos + first * sin), dim=-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, width, heads, rotary):
        super().__init__()
        self.width, self.heads, self.rotary = width, heads, rotary
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)

    def forward(self, x):
        batch, length, _ = x.shape
        d = self.width // self.heads
        q, k, v = (t.view(batch, length, self.heads, d).transpose(1, 2) for t in self.c_attn(x).split(self.width, dim=2))
        if self.rotary:
            q, k = rotate(q), rotate(k)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)
        future = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
        weights = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        return self.c_proj((weights @ v).transpose(1, 2).reshape(batch, length, self.width))


class LongConvolution(nn.Module):
    """The state-space LM's mixer: a causal long convolution with an S4D or RTF kernel, GELU, `out_proj`."""

    def __init__(self, width, kernel, context, approximate):
        super().__init__()
        self.context, self.approximate = context, approximate
        if "s4d" in kernel:
            modes = kernel["s4d"]["state_size"] // 2
            self.log_dt = nn.Parameter(torch.zeros(width))
            self.log_A_real = nn.Parameter(torch.zeros(width, modes))
            self.A_imag = nn.Parameter(torch.zeros(width, modes))
            self.C = nn.Parameter(torch.zeros(width, modes, 2))
        elif "rtf" in kernel:
            order = kernel["rtf"]["order"]
            self.a = nn.Parameter(torch.zeros(width, order))
            self.b = nn.Parameter(torch.zeros(width, order))
        else:
            raise SystemExit(f"long-convolution kernel {kernel!r}: only s4d and rtf are defined here")
        self.D = nn.Parameter(torch.zeros(width))
        self.out_proj = nn.Linear(width, width)

    def taps(self, length):
        if hasattr(self, "log_dt"):
            A = torch.complex(-torch.exp(self.log_A_real), self.A_imag)
            dtA = torch.exp(self.log_dt)[:, None] * A
            C = torch.complex(self.C[..., 0], self.C[..., 1]) * (torch.exp(dtA) - 1) / A
            powers = torch.exp(dtA[..., None] * torch.arange(length, dtype=self.log_dt.dtype))
            return 2 * torch.einsum("hn,hnl->hl", C, powers).real
        width, order = self.a.shape
        numerator = torch.zeros(width, self.context, dtype=self.a.dtype)
        denominator = torch.zeros(width, self.context, dtype=self.a.dtype)
        numerator[:, 1 : order + 1] = self.b
        denominator[:, 0] = 1
        denominator[:, 1 : order + 1] = self.a
        spectrum = torch.fft.rfft(numerator) / torch.fft.rfft(denominator)
        return torch.fft.irfft(spectrum, n=self.context)[:, :length]

    def forward(self, x):
        length = x.shape[1]
        u = x.transpose(1, 2)
        product = torch.fft.rfft(u, n=2 * length) * torch.fft.rfft(self.taps(length), n=2 * length)
        y = torch.fft.irfft(product, n=2 * length)[..., :length] + self.D[:, None] * u
        return self.out_proj(F.gelu(y.transpose(1, 2), approximate=self.approximate))


class FeedForward(nn.Module):
    def __init__(self, width, hidden, kind, approximate):
        super().__init__()
        self.c_fc = linear(kind, width, hidden)
        self.c_proj = linear(kind, hidden, width)
        self.approximate = approximate

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate=self.approximate))


class Block(nn.Module):
    def __init__(self, config, heads, rotary):
        super().__init__()
        width = config["width"]
        self.ln_1 = nn.LayerNorm(width)
        convolution = config["mixer"].get("long_convolution")
        if convolution is None:
            self.attn = CausalSelfAttention(width, heads, rotary)
        else:
            self.mixer = LongConvolution(width, convolution["kernel"], config["context_length"], config.get("gelu", "tanh"))
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = FeedForward(
            width, width * config.get("feed_forward_expansion", 4), config.get("feed_forward_layers", {"type": "dense"}),
            config.get("gelu", "tanh"))

    def forward(self, x):
        mix = self.mixer if hasattr(self, "mixer") else self.attn
        x = x + mix(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        attention = config["mixer"].get("attention")
        if attention is not None and attention["normalizer"] != "softmax":
            raise SystemExit(f"normalizer {attention['normalizer']!r}: only softmax attention is defined here")
        heads = attention["heads"] if attention else None
        # The state-space LM has no position embeddings: its convolutions see the order.
        self.positions = attention["positions"] if attention else "none"
        modules = dict(
            wte=nn.Embedding(config["vocabulary_size"], config["width"]),
            h=nn.ModuleList([Block(config, heads, self.positions == "rotary") for _ in range(config["layers"])]),
            ln_f=nn.LayerNorm(config["width"]),
        )
        if self.positions == "learned":
            modules["wpe"] = nn.Embedding(config["context_length"], config["width"])
        self.transformer = nn.ModuleDict(modules)
        self.lm_head = nn.Linear(config["width"], config["vocabulary_size"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied, as in nanoGPT

    def forward(self, tokens):
        x = self.transformer.wte(tokens)
        if self.positions == "learned":
            x = x + self.transformer.wpe(torch.arange(tokens.shape[1]))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


def load(run_dir):
    """The run's model, its weights loaded from model.safetensors (every tensor used, none missing)."""
    with open(os.path.join(run_dir, "config.json")) as file:
        config = json.load(file)["model"]
    if config["type"] == "mlp":
        model = MLP(config)
    elif config["type"] == "language_model":
        model = GPT(config)
    else:
        raise SystemExit(f"unknown model type {config['type']!r}")
    weights = load_file(os.path.join(run_dir, "model.safetensors"))
    # lm_head.weight is transformer.wte.weight itself, so the checkpoint does not hold it.
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [name for name in missing if name != "lm_head.weight"]
    if missing or unexpected:
        raise SystemExit(f"checkpoint does not fit the model: missing {missing}, unexpected {unexpected}")
    return model.double().eval(), config


def main():
    run_dir = sys.argv[1]
    dump = sys.argv[2] if len(sys.argv) > 2 else os.path.join(run_dir, "logits.safetensors")
    model, config = load(run_dir)
    tensors = load_file(dump)
    inputs, ours = tensors["inputs"], tensors["logits"].double()
    with torch.no_grad():
        theirs = model(inputs.long() if config["type"] == "language_model" else inputs.double())
    theirs = theirs.reshape(ours.shape)
    absolute = (theirs - ours).abs().max().item()
    relative = absolute / max(ours.abs().max().item(), 1e-30)
    print(json.dumps({"model": config["type"], "logits": list(ours.shape), "max_abs_diff": absolute, "max_rel_diff": relative}))
    sys.exit(0 if relative <= 1e-4 else 1)


if __name__ == "__main__":
    main()
