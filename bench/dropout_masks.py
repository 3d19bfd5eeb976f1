"""Time of one dropout on the tensors of a MiniLM training step: torch's `F.dropout` (bernoulli_) against `mask_dropout`
(ner_study.bert) and its two steps, the mask (`dropout_keep_mask`) and the multiplier (`dropout_scale`: bool -> uint8 ->
float), beside the multiplier made from bool directly.
Usage: .venv/bin/python bench/dropout_masks.py [repeats]
Shapes: hidden states of a WikiANN-en batch (213 real pieces x 384), its attention probabilities (16 x 12 x 20 x 20) and
a W-NUT 2017 batch's (16 x 12 x 48 x 48). Prints microseconds per call and nanoseconds per element, the best of 5 runs of
`repeats` calls each, and the minor page faults per call (fresh memory the allocator maps and the kernel must zero: a
large result can cost more in faults than in arithmetic). (A measurement aid behind nbs/03_bert's figures and the
README; not part of bench/run.sh.)"""
import resource
import sys
import time

import torch
from torch.nn import functional as F

from ner_study.bert import dropout_keep_mask, dropout_scale, mask_dropout

P = 0.1
SHAPES = {'hidden, WikiANN-en': (213, 384), 'attention, WikiANN-en': (16, 12, 20, 20), 'attention, W-NUT 2017': (16, 12, 48, 48)}


def per_call(f, repeats: int) -> tuple[float, float]:
    "Seconds per call of f(), the best of 5 runs of `repeats` calls (after 10 untimed), and minor page faults per call."
    for _ in range(10): f()
    best, faults = float('inf'), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(repeats): f()
        best = min(best, (time.perf_counter() - t0) / repeats)
    return best, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / (5 * repeats)


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads; dropout p = {P}')
    for name, shape in SHAPES.items():
        x = torch.randn(shape)
        mask = dropout_keep_mask(shape, P)
        cases = {'F.dropout (bernoulli_)': lambda: F.dropout(x, P, True),
                 'mask_dropout': lambda: mask_dropout(x, P),
                 '  its mask (dropout_keep_mask)': lambda: dropout_keep_mask(shape, P),
                 '  its multiplier via uint8 (dropout_scale)': lambda: dropout_scale(mask, P, x.dtype),
                 '  (the multiplier from bool directly)': lambda: mask.to(x.dtype).mul_(1 / (1 - P))}
        print(f'{name} {tuple(shape)}, {x.numel():,} elements:')
        for case, f in cases.items():
            s, faults = per_call(f, repeats)
            print(f'  {case:<44} {s * 1e6:8.1f} us  {s * 1e9 / x.numel():6.2f} ns/element  {faults:6.0f} page faults')


if __name__ == '__main__':
    main()
