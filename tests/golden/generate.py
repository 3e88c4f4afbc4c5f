#!/usr/bin/env python3
"""Generate reference embeddings for the golden test (tests/golden_embeddings.rs).

Reference implementation: Python sentence-transformers, the library the model
was published for. Run it against the same model files the Rust encoder uses:

    python3 -m venv /tmp/stenv && /tmp/stenv/bin/pip install sentence-transformers
    /tmp/stenv/bin/python tests/golden/generate.py --model-dir "$(veracity models list --json | ...)"

or simply pass the store folder, e.g. ~/.local/share/veracity/models/all-MiniLM-L6-v2.
Writes tests/golden/<short name>.json: {model, versions, sentences: [{text, embedding}]}.
The second model veracity supports:

    /tmp/stenv/bin/python tests/golden/generate.py --name all-mpnet-base-v2 \
        --model-dir ~/.local/share/veracity/models/all-mpnet-base-v2
"""
import argparse
import json
import pathlib

import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

LONG = (
    "The committee's final report, published after eighteen months of hearings in "
    "Washington, Brussels and Nairobi, concluded that the programme had reduced child "
    "mortality by 14 per cent in the districts where it operated, although the authors "
    "cautioned that rainfall, vaccination campaigns run by other agencies, and changes "
    "in how deaths were recorded could each account for part of the decline, and they "
    "recommended that the next phase be rolled out in randomly chosen districts first so "
    "that its effect could be measured against comparable areas that had not yet received "
    "it, a design which the ministry initially rejected as unethical but later accepted "
    "after an independent ethics board reviewed the plan and found that staggered rollout "
    "denied no district anything it would otherwise have received within the budget year."
)

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Unemployment fell to 3.9% in March, the lowest level since 2000.",
    "The U.S. Senate passed the bill 52-48 on Jan. 5.",
    "Dr. Smith said the vaccine is 95 percent effective.",
    "Global temperatures have risen by about 1.1°C since pre-industrial times.",
    "Sea levels are rising faster than at any time in the past 3,000 years.",
    "Carbon dioxide is a trace gas and cannot affect the climate.",
    "They are traitors who hate our great nation!",
    "Make America great again!",
    "The company reported revenue of $4.2 billion for the quarter.",
    "Is this really what you want for your children?",
    "Everyone knows the election was stolen.",
    "Le gouvernement a annoncé une hausse des impôts de 2 %.",
    "Die Bundesregierung plant neue Klimaschutzmaßnahmen.",
    "東京は日本の首都です。",
    "Москва — столица России.",
    "¿Dónde está la biblioteca?",
    "Café naïve résumé — coöperate façade.",
    "Emoji test: the team won 🏆🎉 last night!",
    "!!!",
    "...",
    "?!?! -- ;;",
    "",
    " ",
    "a",
    "UPPERCASE HEADLINE ABOUT TAX CUTS",
    "The minister resigned on Tuesday.",
    "The minister did not resign on Tuesday.",
    "In 1969, Neil Armstrong became the first person to walk on the Moon.",
    "Vaccines cause autism, according to a debunked 1998 study.",
    "Tabs\tand   multiple   spaces\tare here.",
    "Numbers like 1,234,567.89 and 3.14159 and 10^6.",
    LONG,
    LONG + " " + LONG,
    # Past every supported model's max_seq_length (256, 384): truncation.
    LONG + " " + LONG + " " + LONG,
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True, help="folder holding the sentence-transformers model")
    ap.add_argument("--name", default="all-MiniLM-L6-v2", help="short model name (sentence-transformers/NAME)")
    ap.add_argument("--out", help="output file (default: tests/golden/NAME.json)")
    args = ap.parse_args()
    out_path = args.out or str(pathlib.Path(__file__).with_name(f"{args.name}.json"))
    torch.manual_seed(0)
    model = SentenceTransformer(args.model_dir, device="cpu")
    expected = json.loads((pathlib.Path(args.model_dir) / "sentence_bert_config.json").read_text())["max_seq_length"]
    assert model.max_seq_length == expected, (model.max_seq_length, expected)
    emb = model.encode(SENTENCES, batch_size=8, normalize_embeddings=False, convert_to_numpy=True)
    tok = model.tokenizer
    out = {
        "model": f"sentence-transformers/{args.name}",
        "max_seq_length": model.max_seq_length,
        "generated_by": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, cpu, float32",
        "sentences": [
            {
                "text": s,
                "tokens": len(tok(s, truncation=False)["input_ids"]),
                "embedding": [round(float(x), 7) for x in e],
            }
            for s, e in zip(SENTENCES, emb)
        ],
    }
    pathlib.Path(out_path).write_text(json.dumps(out, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {len(SENTENCES)} embeddings to {out_path}")


if __name__ == "__main__":
    main()
