"""PEFT reference adapters for PEFTAdapterFixtureTests.swift.

Builds two tiny models, wraps each with `peft.get_peft_model` and a `LoraConfig`, gives every `lora_B` random
values (PEFT initialises B to zero, which would make the adapter a no-op), saves the adapter with
`save_pretrained` and writes the base weights, an input and PyTorch's adapted outputs beside it:

* `linear/`: a model of `nn.Linear` layers (`blocks.{0,1}.attn.q_proj`, `blocks.{0,1}.attn.v_proj`,
  `blocks.{0,1}.mlp.up`, `head`) adapted with `r=4, lora_alpha=8, target_modules=["q_proj", "up"],
  use_rslora=True, rank_pattern={"blocks.1.attn.q_proj": 2}, alpha_pattern={"up": 3.5}`: four adapted modules
  with three different scales (8/sqrt(4), 8/sqrt(2), 3.5/sqrt(4)); `v_proj` and `head` are not adapted.
  `linear_reference.safetensors` holds `base.<name>` (the base model's state dict), `input` (5 x 6) and
  `output.<module>`, the output of each adapted module on `input` in eval mode.
* `conv1d/`: a model of GPT-2 `Conv1D` layers (weights stored in x out) adapted with `r=3, lora_alpha=6,
  target_modules=["c_attn", "c_fc"], fan_in_fan_out=True`; `conv1d_reference.safetensors` holds the same
  entries.

* `pissa/` and `pissa_rslora/`: PiSSA adapters on the `nn.Linear` model (which PiSSA turns into the residual
  model), their factors then moved as training would move them, saved with
  `save_pretrained(..., path_initial_model_for_weight_conversion=...)`, i.e. converted to rank 2r for the
  original base weights. `pissa` has `r=2, lora_alpha=4, rank_pattern={"blocks.1.attn.q_proj": 1},
  alpha_pattern={"up": 3}`; `pissa_rslora` has `r=2, lora_alpha=4, use_rslora=True` (PEFT refuses patterns
  with rsLoRA here). `<name>_initial_config.json` is the configuration PEFT saved for the initial adapter;
  `<name>_reference.safetensors` holds the original base weights (`base.<name>`), `input`, and the outputs of
  the adapted modules of the trained model (`output.<module>`), which the converted adapter reproduces on the
  original weights.

PEFT's model-card README.md is removed from the adapter folders; everything else is as `save_pretrained` wrote
it. All tensors are float32.

Requires: pip install torch safetensors numpy peft   (run by hand; the tests only read the files)
Run: python3 generate_peft_fixture.py
"""
import json
import os
import shutil

import peft
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from torch import nn
from transformers.pytorch_utils import Conv1D

HERE = os.path.dirname(os.path.abspath(__file__))


class Attention(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.q_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width, bias=False)


class MLP(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.up = nn.Linear(width, hidden)


class Block(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.attn = Attention(width)
        self.mlp = MLP(width, hidden)


class LinearModel(nn.Module):
    def __init__(self, width=6, hidden=10, classes=3):
        super().__init__()
        self.blocks = nn.ModuleList([Block(width, hidden) for _ in range(2)])
        self.head = nn.Linear(width, classes)


class ConvBlock(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.c_attn = Conv1D(3 * width, width)  # weight: width x 3·width (in x out)
        self.c_fc = Conv1D(hidden, width)


class ConvModel(nn.Module):
    def __init__(self, width=4, hidden=7):
        super().__init__()
        self.h = nn.ModuleList([ConvBlock(width, hidden)])


def build(name, model, config, width, seed):
    base = {f"base.{key}": value.detach().clone().contiguous() for key, value in model.state_dict().items()}
    peft_model = get_peft_model(model, config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for key, parameter in peft_model.named_parameters():
            if "lora_B" in key:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    peft_model.eval()
    x = torch.randn(5, width, generator=generator)
    tensors = dict(base)
    tensors["input"] = x
    with torch.no_grad():
        for module_name, module in peft_model.base_model.model.named_modules():
            if hasattr(module, "lora_A") and "default" in module.lora_A:
                tensors[f"output.{module_name}"] = module(x).contiguous()
    folder = os.path.join(HERE, name)
    peft_model.save_pretrained(folder)
    card = os.path.join(folder, "README.md")
    if os.path.exists(card):
        os.remove(card)
    save_file(tensors, os.path.join(HERE, f"{name}_reference.safetensors"))
    with open(os.path.join(folder, "adapter_config.json")) as handle:
        saved = json.load(handle)
    print(name, "peft", peft.__version__, "torch", torch.__version__)
    print("  r", saved["r"], "alpha", saved["lora_alpha"], "rank_pattern", saved["rank_pattern"],
          "alpha_pattern", saved["alpha_pattern"], "fan_in_fan_out", saved["fan_in_fan_out"])
    for key in sorted(k for k in tensors if k.startswith("output.")):
        print("  ", key, tuple(tensors[key].shape))


def build_converted(name, config, seed):
    torch.manual_seed(seed)
    model = LinearModel()
    original = {f"base.{key}": value.detach().clone().contiguous() for key, value in model.state_dict().items()}
    peft_model = get_peft_model(model, config)  # PiSSA replaces each target weight by its residual
    initial = os.path.join(HERE, f"{name}_initial")
    peft_model.peft_config["default"].init_lora_weights = True
    peft_model.save_pretrained(initial)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for key, parameter in peft_model.named_parameters():
            if "lora_" in key:
                parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.2)
    peft_model.eval()
    x = torch.randn(5, 6, generator=generator)
    tensors = dict(original)
    tensors["input"] = x
    with torch.no_grad():
        for module_name, module in peft_model.base_model.model.named_modules():
            if hasattr(module, "lora_A") and "default" in module.lora_A:
                tensors[f"output.{module_name}"] = module(x).contiguous()
    folder = os.path.join(HERE, name)
    peft_model.save_pretrained(folder, path_initial_model_for_weight_conversion=initial)
    os.replace(os.path.join(initial, "adapter_config.json"), os.path.join(HERE, f"{name}_initial_config.json"))
    shutil.rmtree(initial)
    card = os.path.join(folder, "README.md")
    if os.path.exists(card):
        os.remove(card)
    save_file(tensors, os.path.join(HERE, f"{name}_reference.safetensors"))
    with open(os.path.join(folder, "adapter_config.json")) as handle:
        saved = json.load(handle)
    print(name, "converted: r", saved["r"], "alpha", saved["lora_alpha"], "rank_pattern", saved["rank_pattern"],
          "alpha_pattern", saved["alpha_pattern"], "init_lora_weights", saved["init_lora_weights"])


def main():
    torch.manual_seed(0)
    linear = LinearModel()
    build("linear", linear, LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "up"], use_rslora=True,
        rank_pattern={"blocks.1.attn.q_proj": 2}, alpha_pattern={"up": 3.5}, lora_dropout=0.0), width=6, seed=1)
    torch.manual_seed(2)
    conv = ConvModel()
    build("conv1d", conv, LoraConfig(
        r=3, lora_alpha=6, target_modules=["c_attn", "c_fc"], fan_in_fan_out=True, lora_dropout=0.0),
        width=4, seed=3)
    build_converted("pissa", LoraConfig(
        r=2, lora_alpha=4, target_modules=["q_proj", "up"], init_lora_weights="pissa",
        rank_pattern={"blocks.1.attn.q_proj": 1}, alpha_pattern={"up": 3}, lora_dropout=0.0), seed=4)
    build_converted("pissa_rslora", LoraConfig(
        r=2, lora_alpha=4, target_modules=["q_proj", "up"], init_lora_weights="pissa", use_rslora=True,
        lora_dropout=0.0), seed=6)


if __name__ == "__main__":
    main()
