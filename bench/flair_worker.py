"""flair's `SequenceTagger` as a peer of our BiLSTM-CRF in the benchmark, run in its own venv (.venv-bench-flair):

    .venv-bench-flair/bin/python bench/flair_worker.py SPEC.json

SPEC.json: what `measure.worker_spec` gives every peer (out, seed, epochs, quality_train, wikiann, tp_train, infer,
batch_size, eval_batch_size, threads) and word_dim, hidden, lr, max_grad_norm of our BiLSTM-CRF. How flair is matched
to ours and timed: bench/README.md, "The peers"."""
from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import torch

from measure import n_words, versions
from ner_study.files import write_json_atomic


def main(spec_path: str):
    "Train and time flair's SequenceTagger as the spec says; write the results as JSON to its `out`."
    spec = json.loads(Path(spec_path).read_text())
    if spec.get('threads'): torch.set_num_threads(spec['threads'])
    import flair
    logging.getLogger('flair').setLevel(logging.WARNING)  # flair logs at INFO (e.g. its whole vocabulary) to stdout
    from flair.data import Corpus as FCorpus, Dictionary, Sentence as FSentence
    from flair.datasets import FlairDatapointDataset
    from flair.embeddings import CharacterEmbeddings, OneHotEmbeddings, StackedEmbeddings
    from flair.models import SequenceTagger
    from flair.trainers import ModelTrainer
    from flair.trainers.plugins import TrainerPlugin
    from flair.trainers.plugins.functional.linear_scheduler import LinearSchedulerPlugin
    from ner_study.corpora import CorpusSpec, load_corpus
    from ner_study.tags import iob2_spans
    from ner_study.metrics import evaluate_tags

    class EpochTimer(TrainerPlugin):
        "Seconds of each training pass, without flair's per-epoch evaluation."
        def __init__(self):
            super().__init__(); self.seconds = []

        @TrainerPlugin.hook
        def before_training_epoch(self, **kw): self.t0 = time.perf_counter()

        @TrainerPlugin.hook
        def after_training_epoch(self, **kw): self.seconds.append(time.perf_counter() - self.t0)

    def to_flair(sents, labelled=True):
        out = []
        for s in sents:
            fs = FSentence(list(s.tokens))
            if labelled:
                for typ, a, b in iob2_spans(s.tags): fs[a:b].add_label('ner', typ)
            out.append(fs)
        return out

    def from_flair(fsents):
        out = []
        for fs in fsents:
            tags = ['O'] * len(fs)
            for sp in fs.get_spans('pred'):
                i = [t.idx - 1 for t in sp.tokens]
                tags[i[0]] = f'B-{sp.get_label("pred").value}'
                for k in i[1:]: tags[k] = f'I-{sp.get_label("pred").value}'
            out.append(tags)
        return out

    def train(sents, epochs):
        flair.set_seed(spec['seed'])
        train_f = to_flair(sents)
        corpus = FCorpus(FlairDatapointDataset(train_f), None, None, sample_missing_splits=False)
        chars = Dictionary(add_unk=True)
        for s in sents:
            for w in s.tokens:
                for c in w: chars.add_item(c)
        emb = StackedEmbeddings([OneHotEmbeddings.from_corpus(corpus, embedding_length=spec['word_dim']),
                                 CharacterEmbeddings(path_to_char_dict=chars)])
        tagger = SequenceTagger(hidden_size=spec['hidden'], embeddings=emb, tag_type='ner', tag_format='BIO',
                                tag_dictionary=corpus.make_label_dictionary('ner', add_unk=False), use_crf=True,
                                rnn_layers=1)
        timer = EpochTimer()
        with tempfile.TemporaryDirectory(prefix='ner-bench-flair-') as d:
            ModelTrainer(tagger, corpus).train(
                d, learning_rate=spec['lr'], mini_batch_size=spec['batch_size'], max_epochs=epochs,
                optimizer=torch.optim.AdamW, weight_decay=0.0, max_grad_norm=spec['max_grad_norm'],
                attach_default_scheduler=False, plugins=[LinearSchedulerPlugin(warmup_fraction=0.0), timer],
                embeddings_storage_mode='none', use_final_model_for_eval=True, save_final_model=False,
                create_file_logs=False, create_loss_file=False)
        return tagger, sum(timer.seconds)

    def predict(tagger, sents):
        t0 = time.perf_counter()
        fs = to_flair(sents, labelled=False)
        build = time.perf_counter() - t0
        tagger.predict(to_flair(sents[:8], labelled=False), mini_batch_size=spec['eval_batch_size'], label_name='pred')
        t0 = time.perf_counter()
        tagger.predict(fs, mini_batch_size=spec['eval_batch_size'], label_name='pred')
        return from_flair(fs), time.perf_counter() - t0, build

    with contextlib.redirect_stdout(io.StringIO()):
        out = {'versions': versions('flair', 'torch', 'transformers'), 'torch_threads': torch.get_num_threads()}
        wnut = load_corpus()
        train(wnut.train[:32], 1)  # warm-up, untimed
        qtrain = wnut.train[:spec['quality_train'] or None]
        tagger, secs = train(qtrain, spec['epochs'])
        pred, _, _ = predict(tagger, wnut.test)
        out['quality'] = {'test_f1': evaluate_tags([s.tags for s in wnut.test], pred).f1, 'train_seconds': secs,
                          'sentences_per_s': len(qtrain) * spec['epochs'] / secs,
                          'parameters': sum(p.numel() for p in tagger.parameters() if p.requires_grad)}
        wiki = load_corpus(CorpusSpec(spec['wikiann'])) if spec['wikiann'] else wnut
        tp = wiki.train[:spec['tp_train']]
        tagger, secs = train(tp, 1)
        out['train_tp'] = {'seconds': secs, 'sentences_per_s': len(tp) / secs}
        test = wiki.test[:spec['infer']]
        _, secs, build = predict(tagger, test)
        out['infer'] = {'seconds': secs, 'words_per_s': n_words([s.tokens for s in test]) / secs,
                        'sentence_objects_seconds': build}
    write_json_atomic(Path(spec['out']), out)


if __name__ == '__main__':
    if len(sys.argv) != 2: sys.exit(__doc__)
    main(sys.argv[1])
