"""PyTorch reference for the Transformer LM parity test (LanguageModelParityTests.swift).

Defines, in plain torch, the decoder-only Transformer that `LanguageModel` builds from
`LanguageModelConfiguration.transformer(vocabularySize: 11, contextLength: 8, width: 16, layers: 2, heads: 2)`:
nanoGPT's layout and parameter names (token and learned position embeddings, pre-norm blocks of LayerNorm,
causal softmax attention through `c_attn`/`c_proj`, LayerNorm, an MLP `c_fc` -> tanh GELU -> `c_proj`, a
final LayerNorm and an output head tied to the token embeddings), every linear layer an `nn.Linear` with bias.

It draws float32 weights and a batch of 2 x 8 tokens (one target ignored), then in float64 computes the
logits, the mean cross-entropy, every parameter's gradient, and the weights after 3 `torch.optim.AdamW`
steps on the same batch (lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.1 on the linear weights and
0 on biases, norms and embeddings), and writes them to transformer_parity.safetensors beside this script:
`tokens`, `targets` (I64), `weights.<name>` (F32, the starting values), `logits`, `loss`,
`gradients.<name>` and `adamw3.<name>` (F64).

Requires: pip install torch numpy   (run by hand; the tests only read the .safetensors file)
Run: python3 generate_transformer.py
"""
import json
import math
import os
import struct
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
LEARNING_RATE, BETAS, EPSILON, WEIGHT_DECAY, STEPS = 1e-3, (0.9, 0.999), 1e-8, 0.1, 3


@dataclass
class Sizes:
    vocabulary: int = 11
    context: int = 8
    width: int = 16
    layers: int = 2
    heads: int = 2


class CausalAttention(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.width, self.heads = sizes.width, sizes.heads
        self.c_attn = nn.Linear(sizes.width, 3 * sizes.width)
        self.c_proj = nn.Linear(sizes.width, sizes.width)

    def forward(self, x):
        batch, length, _ = x.shape
        d = self.width // self.heads

        def heads(t):
            return t.view(batch, length, self.heads, d).transpose(1, 2)

        q, k, v = (heads(t) for t in self.c_attn(x).split(self.width, dim=2))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)
        future = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
        weights = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        return self.c_proj((weights @ v).transpose(1, 2).reshape(batch, length, self.width))


class FeedForward(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.c_fc = nn.Linear(sizes.width, 4 * sizes.width)
        self.c_proj = nn.Linear(4 * sizes.width, sizes.width)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.ln_1 = nn.LayerNorm(sizes.width)
        self.attn = CausalAttention(sizes)
        self.ln_2 = nn.LayerNorm(sizes.width)
        self.mlp = FeedForward(sizes)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class LanguageModel(nn.Module):
    def __init__(self, sizes=Sizes()):
        super().__init__()
        self.vocabulary = sizes.vocabulary
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(sizes.vocabulary, sizes.width),
            wpe=nn.Embedding(sizes.context, sizes.width),
            h=nn.ModuleList([Block(sizes) for _ in range(sizes.layers)]),
            ln_f=nn.LayerNorm(sizes.width),
        ))
        self.lm_head = nn.Linear(sizes.width, sizes.vocabulary, bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, tokens, targets):
        positions = torch.arange(tokens.shape[1])
        x = self.transformer.wte(tokens) + self.transformer.wpe(positions)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = F.cross_entropy(logits.view(-1, self.vocabulary), targets.view(-1), ignore_index=-100)
        return logits.view(-1, self.vocabulary), loss


def is_decayed(name):
    return name.endswith(".weight") and (".c_attn." in name or ".c_proj." in name or ".c_fc." in name)


def write_safetensors(path, tensors):
    dtypes = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int64): "I64"}
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtypes[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def main():
    rng = np.random.default_rng(2024)
    model = LanguageModel()
    start = {}
    for name, parameter in model.named_parameters():
        shape = tuple(parameter.shape)
        if ".ln_" in name:
            base = 1.0 if name.endswith(".weight") else 0.0
            values = base + 0.1 * rng.standard_normal(shape)
        elif name.endswith(".bias"):
            values = 0.1 * rng.standard_normal(shape)
        else:
            values = 0.3 * rng.standard_normal(shape)
        start[name] = values.astype(np.float32)
    sizes = Sizes()
    tokens = rng.integers(0, sizes.vocabulary, size=(2, sizes.context))
    targets = rng.integers(0, sizes.vocabulary, size=(2, sizes.context))
    targets[0, 3] = -100

    model = model.double()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.copy_(torch.from_numpy(start[name].astype(np.float64)))
    tokens_t, targets_t = torch.from_numpy(tokens), torch.from_numpy(targets)
    logits, loss = model(tokens_t, targets_t)
    loss.backward()
    out = {"tokens": tokens.astype(np.int64), "targets": targets.astype(np.int64)}
    out.update({f"weights.{name}": values for name, values in start.items()})
    out["logits"] = logits.detach().numpy().astype(np.float64)
    out["loss"] = np.array([loss.item()], dtype=np.float64)
    out.update({f"gradients.{name}": p.grad.numpy().copy() for name, p in model.named_parameters()})

    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for n, p in named if is_decayed(n)], "weight_decay": WEIGHT_DECAY},
            {"params": [p for n, p in named if not is_decayed(n)], "weight_decay": 0.0},
        ],
        lr=LEARNING_RATE, betas=BETAS, eps=EPSILON)
    for step in range(STEPS):
        if step > 0:
            optimizer.zero_grad()
            model(tokens_t, targets_t)[1].backward()
        optimizer.step()
    out.update({f"adamw3.{name}": p.detach().numpy().copy() for name, p in model.named_parameters()})
    write_safetensors(os.path.join(HERE, "transformer_parity.safetensors"), out)
    print(f"loss {loss.item():.6f}; {len(named)} parameters")


if __name__ == "__main__":
    main()
