"""Times greedy generation with transformers' GPT2LMHeadModel (PyTorch eager, KV cache) on a GPT-2-family model
folder, for comparison with `structml generate --model DIR` on the same machine and threads.

Run by hand (needs torch and transformers):
    python3 benchmarks/generate_torch.py --model DIR [--prompt TEXT] [--tokens N] [--threads T]
    python3 benchmarks/generate_torch.py --make-random DIR   # GPT-2 small's blocks (12 x 768, 85M parameters)
                                                             # with random weights and the tiny test tokenizer
                                                             # (so the vocabulary is its 1,024 tokens)
Prints one JSON object: the median over 3 runs after one warm-up of the seconds and tokens per second of
generating N tokens, and the ids generated (`min_new_tokens` keeps `<|endoftext|>` from ending the run early,
which `structml generate` never does).
"""
import argparse
import json
import pathlib
import shutil
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

FIXTURE = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "PretrainedTests" / "Fixtures" / "tiny-gpt2"


def make_random(folder):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(vocab_size=1024, bos_token_id=0, eos_token_id=0)).save_pretrained(str(folder), safe_serialization=True)
    for name in ["vocab.json", "merges.txt"]:
        shutil.copy(FIXTURE / name, folder / name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    parser.add_argument("--make-random")
    parser.add_argument("--prompt", default="The quick brown fox")
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    arguments = parser.parse_args()
    if arguments.make_random:
        make_random(arguments.make_random)
        return
    torch.set_num_threads(arguments.threads)
    model = GPT2LMHeadModel.from_pretrained(arguments.model).eval()
    tokenizer = GPT2Tokenizer.from_pretrained(arguments.model)
    ids = torch.tensor([tokenizer.encode(arguments.prompt)])
    times = []
    with torch.no_grad():
        for run in range(4):
            start = time.perf_counter()
            output = model.generate(
                ids, attention_mask=torch.ones_like(ids), max_new_tokens=arguments.tokens,
                min_new_tokens=arguments.tokens, do_sample=False, pad_token_id=tokenizer.eos_token_id)
            if run > 0:
                times.append(time.perf_counter() - start)
    times.sort()
    seconds = times[len(times) // 2]
    print(json.dumps({
        "threads": arguments.threads, "tokens": arguments.tokens, "torch_seconds": seconds,
        "torch_tokens_per_second": arguments.tokens / seconds, "generated": output[0, ids.shape[1]:].tolist()}))


if __name__ == "__main__":
    main()
