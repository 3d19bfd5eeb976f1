"""Train a tiny BiLSTM-CRF with `ner_study.learner.fit`; run by tests/test_distributed.py once as one process and
once under `accelerate launch` with two. Usage: python tests/dist_train.py RUN_DIR

Each process records which of the learner's file writers it called in RUN_DIR/../writes-rank<R>.json."""
import json
import os
import sys
from pathlib import Path

import torch

import ner_study.learner as learner
from ner_study.corpora import load_corpus
from ner_study.lstm import BiLstmCrfTagger, LstmConfig

N_TRAIN, N_DEV = 50, 30  # batches of 7: shares of 4 and 3 sentences, and one batch of a single sentence
CFG = learner.TrainConfig(epochs=2, batch_size=7, lr=0.01, patience=5, seed=3, eval_batch_size=32)


def main(run_dir: Path):
    rank = int(os.environ.get('RANK', '0'))
    writes = []
    for name in ('save_tagger', 'torch_save_atomic', 'write_json_atomic'):  # record the learner's writes, then do them
        def record(*args, _name=name, _f=getattr(learner, name)):
            writes.append(_name)
            return _f(*args)
        setattr(learner, name, record)
    torch.set_num_threads(1)
    corpus = load_corpus()
    train, dev = corpus.train[:N_TRAIN], corpus.dev[:N_DEV]
    torch.manual_seed(CFG.seed)
    tagger = BiLstmCrfTagger.from_sentences(train, corpus.labels, LstmConfig(
        word_dim=16, char_dim=8, char_filters=8, case_dim=4, hidden=16, dropout=0.0, unk_replace=0.0))
    learner.fit(tagger, train, dev, CFG, run_dir, progress=False, tensorboard=True)
    (run_dir.parent / f'writes-rank{rank}.json').write_text(json.dumps(writes))


if __name__ == '__main__':
    main(Path(sys.argv[1]))
