"""Writes a tiny randomly initialized BERT folder (config.json, model.safetensors) and its reference hidden
states (expected.json) from PyTorch, for a padded batch of sequences of unequal lengths.

    python3 -m pip install torch transformers safetensors
    python3 make_tiny_bert.py

The model is BertModel with the `bert.` prefix stripped as saved by save_pretrained (no prefix), hidden 32,
2 layers, 4 heads, intermediate 48, exact GELU, eps 1e-12, 3 token types. The reference runs in float64 on the
float32 weights, so it is free of float32 rounding; tokens at padding positions are left out.
"""
import json
import pathlib

import torch
from transformers import BertConfig, BertModel

here = pathlib.Path(__file__).parent
torch.manual_seed(11)
config = BertConfig(
    vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
    max_position_embeddings=24, type_vocab_size=3, hidden_act="gelu", layer_norm_eps=1e-12,
    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
model = BertModel(config, add_pooling_layer=True).eval()
with torch.no_grad():
    # Non-trivial norms and biases, so the test sees them.
    for name, parameter in model.named_parameters():
        if "LayerNorm" in name or name.endswith("bias"):
            parameter.add_(0.1 * torch.randn_like(parameter))
model.save_pretrained(here, safe_serialization=True)

lengths = [9, 4, 6]
length = max(lengths)
generator = torch.Generator().manual_seed(5)
ids = torch.randint(1, 64, (len(lengths), length), generator=generator)
types = torch.randint(0, 3, (len(lengths), length), generator=generator)
mask = torch.zeros(len(lengths), length, dtype=torch.long)
for row, n in enumerate(lengths):
    mask[row, :n] = 1
    ids[row, n:] = 0
    types[row, n:] = 0
reference = model.double()
with torch.no_grad():
    hidden = reference(input_ids=ids, token_type_ids=types, attention_mask=mask).last_hidden_state
result = {
    "ids": ids.tolist(), "token_types": types.tolist(), "lengths": lengths,
    "hidden": [hidden[row, :n].flatten().tolist() for row, n in enumerate(lengths)],
}
with open(here / "expected.json", "w") as f:
    json.dump(result, f)
    f.write("\n")
