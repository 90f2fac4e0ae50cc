"""Times one PyTorch eager training step of the Transformer LM of the small CPU configuration (4 layers,
4 heads, width 128, context 64, batch 12, byte vocabulary; forward, backward, gradient clipping to norm 1 and
AdamW), for comparison with a `LanguageModel` step of the same configuration on the same machine and threads.

The model is the one the parity fixture is made from (Tests/NNTests/Fixtures/generate_transformer.py), so
both sides run the same architecture. Needs torch. Run by hand:
    python3 benchmarks/transformer_lm_torch.py [threads]
Prints one JSON object with the median of 20 steps after 3 warm-up steps.
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NNTests", "Fixtures"))
from generate_transformer import LanguageModel, Sizes  # noqa: E402


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    sizes = Sizes(vocabulary=256, context=64, width=128, layers=4, heads=4)
    model = LanguageModel(sizes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    tokens = torch.randint(0, sizes.vocabulary, (12, sizes.context))
    targets = torch.randint(0, sizes.vocabulary, (12, sizes.context))
    times = []
    for step in range(23):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=False)
        model(tokens, targets)[1].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step >= 3:
            times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({"threads": threads, "torch_lm_step_seconds": times[len(times) // 2]}))


if __name__ == "__main__":
    main()
