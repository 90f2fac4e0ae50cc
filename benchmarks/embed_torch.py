"""Sentences per second of sentence-transformers (PyTorch eager, CPU) on the workload of `structml bench embed`.

    python3 -m pip install torch sentence-transformers
    python3 benchmarks/embed_torch.py --model DIR [--threads T] [--sentences 256] [--batch 32] [--rounds 5]

Sentence i has 8 + (7·i mod 24) words, word j of it being WORDS[(13·i + 5·j) mod 32], as in the Swift command.
Run both on the same machine with the same number of threads (the Swift command reports the count it used).
"""
import argparse
import json
import statistics
import time

import torch
from sentence_transformers import SentenceTransformer

WORDS = [
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "models", "learn", "structured", "matrices",
    "from", "data", "while", "people", "read", "papers", "about", "fast", "attention", "and", "sparse", "weights",
    "in", "a", "small", "city", "near", "river", "today", "again",
]


def sentences(count):
    return [" ".join(WORDS[(13 * i + 5 * j) % len(WORDS)] for j in range(8 + (7 * i) % 24)) + "." for i in range(count)]


parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--threads", type=int, default=torch.get_num_threads())
parser.add_argument("--sentences", type=int, default=256)
parser.add_argument("--batch", type=int, default=32)
parser.add_argument("--rounds", type=int, default=5)
args = parser.parse_args()
torch.set_num_threads(args.threads)
model = SentenceTransformer(args.model, device="cpu")
workload = sentences(args.sentences)
with torch.inference_mode():
    model.encode(workload, batch_size=args.batch)
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        model.encode(workload, batch_size=args.batch)
        times.append(time.perf_counter() - start)
seconds = statistics.median(times)
print(json.dumps({
    "sentences": args.sentences, "batch": args.batch, "threads": args.threads, "seconds": seconds,
    "sentences_per_second": args.sentences / seconds,
}))
