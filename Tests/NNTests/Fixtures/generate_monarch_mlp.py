"""PyTorch reference for the Monarch MLP parity test (MonarchMLPParityTests.swift).

Defines, in torch with torch-structured's Monarch multiply (`blockdiag_butterfly_multiply`, the autograd
function its `MonarchLinear` layer runs), the classifier that `MLPClassifier` builds from
`MLPConfiguration(inputFeatures: 11, hiddenFeatures: [32, 24], classes: 7, activation: .gelu,
hiddenLayers: .monarch(blocks: 2), outputLayer: .monarch(blocks: 4))`: three Monarch layers
`hidden.0` (11 -> 32), `hidden.1` (32 -> 24) and `output` (24 -> 7), each `y = pad(x) M^T + b` truncated to
the output width, with factors `w1` (k, q, p) and `w2` (l, s, r) of the default slice rank
max(1, min(in, out) / blocks^2), and the exact (erf) GELU after each hidden layer. The first layer's input
(11 features in 2 blocks of 6) and the last layer's output (7 classes in 4 blocks of 2) are padded, as
torch-structured's `StructuredLinear` pads and truncates.

It draws float32 weights, 9 feature rows and their classes, then in float64 computes the logits, the mean
cross-entropy, every parameter's gradient, and the weights after 3 `torch.optim.AdamW` steps on the same
batch (lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.1 on the factors and 0 on the biases), and
writes them to monarch_mlp_parity.safetensors beside this script: `features` (F32), `classes` (I64),
`weights.<name>` (F32, the starting values), `logits`, `loss`, `gradients.<name>` and `adamw3.<name>` (F64).

Requires: pip install torch numpy einops torch-structured triton  (torch-structured imports triton even on
a CPU; run by hand, the tests only read the .safetensors file)
Run: python3 generate_monarch_mlp.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch_structured.monarch.blockdiag_butterfly_multiply import blockdiag_butterfly_multiply

from generate_transformer import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
LEARNING_RATE, BETAS, EPSILON, WEIGHT_DECAY, STEPS = 1e-3, (0.9, 0.999), 1e-8, 0.1, 3
INPUT, HIDDEN, CLASSES, ROWS = 11, [32, 24], 7, 9
HIDDEN_BLOCKS, OUTPUT_BLOCKS = 2, 4


def ceil_div(a, b):
    return -(-a // b)


class Monarch(nn.Module):
    """A Monarch layer with blocks in both factors and the default slice rank."""

    def __init__(self, in_features, out_features, blocks):
        super().__init__()
        rank = max(1, min(in_features, out_features) // (blocks * blocks))
        self.in_features, self.out_features = in_features, out_features
        self.padded_in = blocks * ceil_div(in_features, blocks)
        self.w1 = nn.Parameter(torch.empty(blocks, rank * blocks, ceil_div(in_features, blocks)))
        self.w2 = nn.Parameter(torch.empty(blocks, ceil_div(out_features, blocks), rank * blocks))
        self.bias = nn.Parameter(torch.empty(out_features))

    def forward(self, x):
        x = F.pad(x, (0, self.padded_in - self.in_features))
        return blockdiag_butterfly_multiply(x, self.w1, self.w2)[..., : self.out_features] + self.bias


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        widths = [INPUT] + HIDDEN
        self.hidden = nn.ModuleList([Monarch(widths[i], widths[i + 1], HIDDEN_BLOCKS) for i in range(len(HIDDEN))])
        self.output = Monarch(HIDDEN[-1], CLASSES, OUTPUT_BLOCKS)

    def forward(self, x):
        for layer in self.hidden:
            x = F.gelu(layer(x))
        return self.output(x)


def main():
    rng = np.random.default_rng(2025)
    model = Classifier()
    start = {}
    for name, parameter in model.named_parameters():
        scale = 0.1 if name.endswith(".bias") else 0.5
        start[name] = (scale * rng.standard_normal(tuple(parameter.shape))).astype(np.float32)
    features = rng.standard_normal((ROWS, INPUT)).astype(np.float32)
    classes = rng.integers(0, CLASSES, size=ROWS)

    model = model.double()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.copy_(torch.from_numpy(start[name].astype(np.float64)))
    x, y = torch.from_numpy(features.astype(np.float64)), torch.from_numpy(classes)

    def loss_and_logits():
        logits = model(x)
        return F.cross_entropy(logits, y), logits

    loss, logits = loss_and_logits()
    loss.backward()
    out = {"features": features, "classes": classes.astype(np.int64)}
    out.update({f"weights.{name}": values for name, values in start.items()})
    out["logits"] = logits.detach().numpy().astype(np.float64)
    out["loss"] = np.array([loss.item()], dtype=np.float64)
    out.update({f"gradients.{name}": p.grad.numpy().copy() for name, p in model.named_parameters()})

    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for n, p in named if not n.endswith(".bias")], "weight_decay": WEIGHT_DECAY},
            {"params": [p for n, p in named if n.endswith(".bias")], "weight_decay": 0.0},
        ],
        lr=LEARNING_RATE, betas=BETAS, eps=EPSILON)
    for step in range(STEPS):
        if step > 0:
            optimizer.zero_grad()
            loss_and_logits()[0].backward()
        optimizer.step()
    out.update({f"adamw3.{name}": p.detach().numpy().copy() for name, p in model.named_parameters()})
    write_safetensors(os.path.join(HERE, "monarch_mlp_parity.safetensors"), out)
    print(f"loss {loss.item():.6f}; {len(named)} parameters: " + ", ".join(f"{n} {tuple(p.shape)}" for n, p in named))


if __name__ == "__main__":
    main()
