"""Writes the tiny model folders the compression tests read: a randomly initialized BERT and GPT-2 saved by
transformers (hidden 32, 2 layers), with a few non-weight files that a compressed folder must copy.

Run from this folder: python3 make_fixtures.py  (needs torch, transformers, safetensors).
"""
import json
import os

import torch
from transformers import BertConfig, BertModel, GPT2Config, GPT2Model

torch.manual_seed(0)
here = os.path.dirname(os.path.abspath(__file__))

bert = BertModel(BertConfig(
    vocab_size=40, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
    max_position_embeddings=16, type_vocab_size=2))
bert_dir = os.path.join(here, "tiny-bert")
bert.save_pretrained(bert_dir, safe_serialization=True)
with open(os.path.join(bert_dir, "vocab.txt"), "w") as f:
    f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(35)]) + "\n")
with open(os.path.join(bert_dir, "modules.json"), "w") as f:
    json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}], f)
os.makedirs(os.path.join(bert_dir, "1_Pooling"), exist_ok=True)
with open(os.path.join(bert_dir, "1_Pooling", "config.json"), "w") as f:
    json.dump({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True}, f)

gpt2 = GPT2Model(GPT2Config(n_layer=2, n_head=2, n_embd=32, vocab_size=40, n_positions=16))
gpt2.save_pretrained(os.path.join(here, "tiny-gpt2"), safe_serialization=True)
