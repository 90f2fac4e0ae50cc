"""Makes the tiny GPT-2 fixtures: a byte-level BPE vocabulary, a random GPT-2 in Hugging Face's folder layout,
and what Hugging Face computes with them.

Run from this folder with numpy, torch, tokenizers, transformers and safetensors installed:
    python generate.py

Writes
  vocab.json, merges.txt       a byte-level BPE (1,024 tokens, `<|endoftext|>` first) trained by `tokenizers`
                               on ../tokenizers/corpus.txt and the docstrings of a fixed list of standard modules
  config.json, model.safetensors, generation_config.json
                               GPT2LMHeadModel(n_layer=2, n_head=2, n_embd=32, n_positions=64) with random
                               weights (every parameter, norms and biases included, so none is at its default)
                               and layer_norm_epsilon 1e-3, so a loader that ignores the config's epsilon fails
  bpe-tokenizer/tokenizer.json the same tokenizer as one tokenizers JSON file
  tokenizer_expected.json      transformers' GPT2Tokenizer's ids for each line of the corpus (checked equal to
                               those of OpenAI's encoder.py algorithm, written out below)
  model_expected.json          token sequences, and the greedy continuations `generate(do_sample=False)` gives
  model_expected_logits.safetensors
                               `logits.K`: the logits of sequence K, tokens x vocabulary, F32
"""
import importlib
import json
import pathlib

import torch
from safetensors.torch import save_file
from tokenizers import ByteLevelBPETokenizer
import regex
from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE.parent / "tokenizers" / "corpus.txt"
MODULES = ["argparse", "collections", "functools", "itertools", "json", "pathlib", "re", "string", "textwrap",
           "unittest", "urllib.parse", "email", "http.client", "logging", "subprocess", "threading"]
VOCABULARY_SIZE = 1024
END_OF_TEXT = "<|endoftext|>"


def training_text():
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    for name in MODULES:
        module = importlib.import_module(name)
        for value in [module] + [getattr(module, attribute) for attribute in sorted(dir(module))]:
            if getattr(value, "__doc__", None) and isinstance(value.__doc__, str):
                lines.extend(value.__doc__.splitlines())
    return lines


def bytes_to_unicode():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    characters = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            characters.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, characters)))


class OpenAIEncoder:
    """OpenAI's gpt-2 encoder.py: the pattern, the byte map, and BPE by lowest merge rank."""

    PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

    def __init__(self, vocabulary, merges):
        self.vocabulary = vocabulary
        self.ranks = {tuple(line.split(" ")): rank for rank, line in enumerate(merges)}
        self.byte_map = bytes_to_unicode()

    def bpe(self, token):
        word = list(token)
        while len(word) > 1:
            pairs = [(self.ranks.get(pair, float("inf")), pair) for pair in zip(word, word[1:])]
            rank, best = min(pairs)
            if rank == float("inf"):
                break
            merged, index = [], 0
            while index < len(word):
                if index + 1 < len(word) and (word[index], word[index + 1]) == best:
                    merged.append(word[index] + word[index + 1])
                    index += 2
                else:
                    merged.append(word[index])
                    index += 1
            word = merged
        return word

    def encode(self, text):
        ids = []
        for piece in self.PATTERN.findall(text):
            spelled = "".join(self.byte_map[byte] for byte in piece.encode("utf-8"))
            ids.extend(self.vocabulary[token] for token in self.bpe(spelled))
        return ids


def make_tokenizer():
    trainer = ByteLevelBPETokenizer()
    trainer.train_from_iterator(
        training_text(), vocab_size=VOCABULARY_SIZE, min_frequency=2, special_tokens=[END_OF_TEXT], show_progress=False)
    trainer.save_model(str(HERE))
    fast = GPT2Tokenizer.from_pretrained(str(HERE))
    # The same tokenizer in the one-file form (tokenizers' JSON, model type BPE), read by its own test.
    (HERE / "bpe-tokenizer").mkdir(exist_ok=True)
    fast.backend_tokenizer.save(str(HERE / "bpe-tokenizer" / "tokenizer.json"))
    merges = [line for line in (HERE / "merges.txt").read_text(encoding="utf-8").split("\n")[1:] if line]
    slow = OpenAIEncoder(json.loads((HERE / "vocab.json").read_text(encoding="utf-8")), merges)
    lines = CORPUS.read_text(encoding="utf-8").split("\n")
    if lines[-1] == "":
        lines.pop()
    expected = []
    for line in lines:
        ids = fast.encode(line)
        assert ids == slow.encode(line), line
        assert fast.decode(ids) == line, line
        expected.append({"text": line, "ids": ids})
    # One text across lines, and one that spells the special token.
    for text in ["\n".join(lines[:3]) + "\n", f"first{END_OF_TEXT}second {END_OF_TEXT} third"]:
        expected.append({"text": text, "ids": fast.encode(text)})
    (HERE / "tokenizer_expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return fast


def make_model(tokenizer):
    torch.manual_seed(0)
    end = tokenizer.convert_tokens_to_ids(END_OF_TEXT)
    config = GPT2Config(
        n_layer=2, n_head=2, n_embd=32, vocab_size=len(tokenizer), n_positions=64, layer_norm_epsilon=1e-3,
        bos_token_id=end, eos_token_id=end)
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                parameter.copy_(1 + 0.2 * torch.randn_like(parameter))
            else:
                parameter.copy_(0.2 * torch.randn_like(parameter))
    model.save_pretrained(str(HERE), safe_serialization=True)

    prompts = ["The quick brown fox", "Hello, world! How's it going?", "a", "Café déjà vu: naïve façade, résumé"]
    sequences = [tokenizer.encode(prompt) for prompt in prompts]
    sequences.append(tokenizer.encode(CORPUS.read_text(encoding="utf-8"))[:64])
    logits = {}
    with torch.no_grad():
        for index, ids in enumerate(sequences):
            logits[f"logits.{index}"] = model(torch.tensor([ids])).logits[0].contiguous()
    save_file(logits, str(HERE / "model_expected_logits.safetensors"))
    generations = []
    with torch.no_grad():
        for prompt in prompts[:3]:
            ids = tokenizer.encode(prompt)
            count = 20
            output = model.generate(
                torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long), max_new_tokens=count,
                do_sample=False, pad_token_id=end)
            generated = output[0, len(ids):].tolist()
            assert len(generated) == count and end not in generated, (prompt, generated)
            generations.append({"prompt": prompt, "prompt_ids": ids, "generated": generated,
                                "text": tokenizer.decode(ids + generated)})
    expected = {"sequences": sequences, "generations": generations}
    (HERE / "model_expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    make_model(make_tokenizer())
