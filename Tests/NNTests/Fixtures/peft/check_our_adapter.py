"""Loads an adapter written by StructuredML into PEFT and compares PyTorch's outputs with the ones we wrote.

`PEFTAdapterFixtureTests.anAdapterMadeHereRoundTripsWithItsOutputs` builds an adapter on the base model of
`linear_reference.safetensors` (its own rank 3, alpha 6, rank_pattern and alpha_pattern, random factors), saves
it with `PEFTAdapter.save(to:)` and writes the outputs it computes for each adapted module on the fixture's input.
With `PEFT_CHECK_FOLDER=DIR` set, it writes them to `DIR/adapter/` and `DIR/our_outputs.safetensors`:

    export PEFT_CHECK_FOLDER=$(mktemp -d)
    swift test --filter anAdapterMadeHereRoundTripsWithItsOutputs
    python3 Tests/NNTests/Fixtures/peft/check_our_adapter.py "$PEFT_CHECK_FOLDER"

This script rebuilds the fixture's base model (`generate_peft_fixture.LinearModel`) with the stored base weights,
loads the adapter with `PeftModel.from_pretrained`, runs every adapted module on the same input in eval mode,
and prints the largest absolute and relative difference per module; it exits with status 1 when one exceeds
1e-5 relative (plus 1e-6 absolute) or when PEFT adapted other modules than the file names.

Requires: pip install torch safetensors numpy peft
"""
import os
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from generate_peft_fixture import LinearModel  # noqa: E402


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    folder = sys.argv[1]
    reference = load_file(os.path.join(HERE, "linear_reference.safetensors"))
    ours = load_file(os.path.join(folder, "our_outputs.safetensors"))
    base = LinearModel()
    base.load_state_dict({key[len("base."):]: value for key, value in reference.items() if key.startswith("base.")})
    model = PeftModel.from_pretrained(base, os.path.join(folder, "adapter"))
    model.eval()
    x = ours["input"]
    adapted = {
        name: module
        for name, module in model.base_model.model.named_modules()
        if hasattr(module, "lora_A") and "default" in module.lora_A
    }
    expected = sorted(key[len("output."):] for key in ours if key.startswith("output."))
    failed = sorted(adapted) != expected
    if failed:
        print("PEFT adapted", sorted(adapted), "but the file names", expected)
    with torch.no_grad():
        for name in expected:
            module = adapted[name]
            theirs = module(x)
            mine = ours[f"output.{name}"]
            absolute = (theirs - mine).abs().max().item()
            relative = ((theirs - mine).abs() / mine.abs().clamp_min(1e-12)).max().item()
            scale = module.scaling["default"]
            rank = module.r["default"]
            within = bool(((theirs - mine).abs() <= 1e-6 + 1e-5 * mine.abs()).all())
            failed |= not within
            print(f"{name}: r={rank} scale={scale:.6g} max|diff|={absolute:.3e} max rel={relative:.3e}"
                  f" {'ok' if within else 'FAILED'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
