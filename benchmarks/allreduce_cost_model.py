"""The tables of Sources/Distributed/Distributed.docc/CostModel.md, from measured figures.

Ring allreduce of `bytes` over P ranks: 2(P-1)/P * bytes / bandwidth + 2(P-1) * latency per message, the
gradients going in buckets of `--bucket-bytes`. Data-parallel efficiency (each rank keeps its batch):
compute / (compute + allreduce) without overlap, compute / max(compute, allreduce) with full overlap.
`monarch compress` over P machines: layers dealt largest first to the least loaded machine (LPT), then the
factors gathered on rank 0.

Run by hand: python3 benchmarks/allreduce_cost_model.py --latency 1e-5 --lm-step 0.06 ... (see --help).
"""
import argparse
import math

RANKS = [2, 4, 8, 16, 32, 64]
LINKS_GBIT = [10, 25, 100]


def allreduce_seconds(nbytes, ranks, bandwidth, latency, bucket):
    messages = max(1, math.ceil(nbytes / bucket))
    return 2 * (ranks - 1) / ranks * nbytes / bandwidth + 2 * (ranks - 1) * latency * messages


def efficiency_table(title, parameters, step, latency, bucket):
    nbytes = 4 * parameters
    lines = [f"{title}: {parameters / 1e6:.2f}M parameters ({nbytes / 1e6:.1f} MB of Float gradients), "
             f"compute {step:.4g} s per step", "",
             "| P | " + " | ".join(f"{g} Gb/s" for g in LINKS_GBIT) + " |",
             "|---|" + "---|" * len(LINKS_GBIT)]
    for ranks in RANKS:
        cells = []
        for gbit in LINKS_GBIT:
            t = allreduce_seconds(nbytes, ranks, gbit * 1e9 / 8, latency, bucket)
            cells.append(f"{step / (step + t):.1%} / {step / max(step, t):.1%} ({t * 1e3:.3g} ms)")
        lines.append(f"| {ranks} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compress_table(square, rectangular, layers, factor_fraction, latency):
    jobs = sorted([square] * (4 * layers) + [rectangular] * (3 * layers), reverse=True)
    dense_bytes = 4 * layers * (4 * 4096 * 4096 + 3 * 4096 * 11008)
    total = sum(jobs)
    lines = [f"{len(jobs)} matrices ({4 * layers} of 4096x4096 at {square:.3g} s, {3 * layers} of 11008x4096 at "
             f"{rectangular:.3g} s): {total / 3600:.2f} h on one machine", "",
             "| P | projection (LPT) | + gather of factors at 10 / 25 / 100 Gb/s | speed-up at 10 Gb/s |",
             "|---|---|---|---|"]
    for ranks in [1] + RANKS:
        loads = [0.0] * ranks
        for job in jobs:
            loads[loads.index(min(loads))] += job
        makespan = max(loads)
        gathers = [(ranks - 1) / ranks * factor_fraction * dense_bytes / (g * 1e9 / 8) + (ranks - 1) * latency
                   for g in LINKS_GBIT]
        lines.append(f"| {ranks} | {makespan / 60:.1f} min | " + " / ".join(f"{(makespan + g) / 60:.1f}" for g in gathers)
                     + f" min | {total / (makespan + gathers[0]):.1f}x |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, required=True, help="seconds per allreduce message (bench allreduce)")
    parser.add_argument("--bucket-bytes", type=float, default=64 * 2**20, help="gradient bucket (default 64 MiB)")
    parser.add_argument("--lm-parameters", type=float, required=True)
    parser.add_argument("--lm-step", type=float, required=True, help="seconds of one LM step (bench train)")
    parser.add_argument("--gflops", type=float, required=True, help="measured GFLOP/s of the training step's GEMMs")
    parser.add_argument("--gpt2-tokens", type=float, default=8 * 1024, help="tokens per rank per step")
    parser.add_argument("--square", type=float, required=True, help="seconds to project one 4096x4096 layer")
    parser.add_argument("--rectangular", type=float, required=True, help="seconds to project one 11008x4096 layer")
    parser.add_argument("--factor-fraction", type=float, required=True, help="factor bytes / dense bytes")
    arguments = parser.parse_args()
    gpt2 = 124.44e6
    gpt2_step = 6 * gpt2 * arguments.gpt2_tokens / (arguments.gflops * 1e9)
    print(efficiency_table("Transformer LM (width 128, 4 layers)", arguments.lm_parameters, arguments.lm_step,
                           arguments.latency, arguments.bucket_bytes))
    print()
    print(efficiency_table(f"GPT-2 124M, {arguments.gpt2_tokens:.0f} tokens per rank", gpt2, gpt2_step,
                           arguments.latency, arguments.bucket_bytes))
    print()
    print(compress_table(arguments.square, arguments.rectangular, 32, arguments.factor_fraction, arguments.latency))


if __name__ == "__main__":
    main()
