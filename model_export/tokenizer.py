"""A BERT-layout WordPiece tokenizer for random-weight BLIP stand-ins, built offline.

The real BLIP tokenizer (bert-base-uncased vocabulary plus [DEC] and [ENC]) comes with the checkpoint; when
only random weights can be built, this one keeps the same size and the same special token ids (so the same
graphs and generation code run), with placeholder word pieces that make stand-in captions obviously fake.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from transformers import BertTokenizerFast

VOCAB_SIZE = 30522  # bert-base-uncased; BLIP adds [DEC] = 30522 and [ENC] = 30523
SPECIAL = {0: "[PAD]", 100: "[UNK]", 101: "[CLS]", 102: "[SEP]", 103: "[MASK]"}
WORDS = (
    "a an the of in on with and picture photo image woman man model wearing dress shirt skirt jacket coat "
    "shoe shoes boot boots bag handbag hat scarf sweater jeans trousers pants shorts top blouse suit tie belt "
    "watch ring necklace sunglasses red blue green black white yellow pink brown grey gray purple orange "
    "striped floral plaid leather denim silk wool cotton long short sleeve sleeves collar pocket pockets "
    "pair of is are standing sitting posing front back side view close up on top background"
).split()


def stand_in_tokenizer() -> BertTokenizerFast:
    vocab = [SPECIAL.get(i, f"[unused{i}]") for i in range(104)]
    vocab += list(dict.fromkeys(WORDS))
    vocab += [f"stand{i}" for i in range(VOCAB_SIZE - len(vocab))]
    with tempfile.TemporaryDirectory() as tmp:
        vocab_file = Path(tmp) / "vocab.txt"
        vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
        tokenizer = BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=True)
    tokenizer.add_special_tokens({"bos_token": "[DEC]", "additional_special_tokens": ["[ENC]"]})
    return tokenizer
