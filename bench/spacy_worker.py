"""spaCy's NER as a peer of our BiLSTM-CRF in the benchmark, run in its own venv (.venv-bench-spacy, made by run.sh):

    .venv-bench-spacy/bin/python bench/spacy_worker.py SPEC.json

SPEC.json: what `measure.worker_spec` gives every peer (out, seed, epochs, quality_train, wikiann, tp_train, infer,
batch_size, eval_batch_size, threads) and, optionally, throughput_only (only the timed one-epoch run after the warm-up).
How spaCy is configured, trained and timed: bench/README.md, "The peers"."""
from __future__ import annotations

import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

if len(sys.argv) != 2: sys.exit(__doc__)
SPEC = json.loads(Path(sys.argv[1]).read_text())
if SPEC.get('threads'):  # must be set before numpy (and so spaCy / thinc) is imported
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'BLIS_NUM_THREADS'):
        os.environ[var] = str(SPEC['threads'])

import spacy  # noqa: E402
import spacy.training.loop as spacy_loop  # noqa: E402
from spacy import util  # noqa: E402
from spacy.cli.init_config import init_config  # noqa: E402
from spacy.tokens import Doc, DocBin, Span  # noqa: E402
from spacy.training.initialize import init_nlp  # noqa: E402

from ner_study.corpora import CorpusSpec, load_corpus  # noqa: E402
from ner_study.tags import iob2_spans  # noqa: E402  (no torch: pandas, seqeval)
from ner_study.metrics import evaluate_tags  # noqa: E402

EVAL_BATCH = SPEC.get('eval_batch_size', 64)


# ------------------------------------------------------------------------------------------------------ timing hooks
class Clock:
    "Start of the first update step and seconds spent in the loop's evaluation, reset before each training run."
    start: float | None = None
    eval_seconds: float = 0.0

    @classmethod
    def reset(cls): cls.start, cls.eval_seconds = None, 0.0


@spacy.registry.callbacks('ner_bench.mark_start.v1')
def mark_start():
    "before_update callback: note when the first update step begins (after corpus reading and initialisation)."
    def before_update(nlp, args):
        if Clock.start is None: Clock.start = time.perf_counter()
    return before_update


_make_eval = spacy_loop.create_evaluation_callback


def timed_evaluation_callback(*args, **kwargs):
    "spaCy's own evaluation callback, with the seconds it takes added to Clock.eval_seconds (subtracted later)."
    evaluate = _make_eval(*args, **kwargs)
    def timed():
        t0 = time.perf_counter()
        try: return evaluate()
        finally: Clock.eval_seconds += time.perf_counter() - t0
    return timed


spacy_loop.create_evaluation_callback = timed_evaluation_callback  # `train` looks it up in its module at call time


# ------------------------------------------------------------------------------------------------------------ data
def make_docs(vocab, sentences, labelled=True) -> list[Doc]:
    "Docs from the pre-tokenised words; with `labelled`, the gold entities from the IOB2 tags (other words are O)."
    docs = []
    for s in sentences:
        doc = Doc(vocab, words=list(s.tokens), spaces=[True] * len(s.tokens))
        if labelled:
            doc.set_ents([Span(doc, a, b, label=typ) for typ, a, b in iob2_spans(s.tags)], default='outside')
        docs.append(doc)
    return docs


def doc_tags(doc: Doc) -> list[str]:
    "IOB2 word tags of the predicted entities."
    tags = ['O'] * len(doc)
    for e in doc.ents:
        tags[e.start] = f'B-{e.label_}'
        for k in range(e.start + 1, e.end): tags[k] = f'I-{e.label_}'
    return tags


def n_words(sentences) -> int:
    return sum(len(s.tokens) for s in sentences)


# -------------------------------------------------------------------------------------------------------- training
def base_config():
    "The config `spacy init config --lang en --pipeline ner --optimize efficiency` writes (CPU)."
    return init_config(lang='en', pipeline=['ner'], optimize='efficiency', gpu=False, silent=True)


def train(train_sents, dev_sents, epochs: int):
    "Train a fresh pipeline with spaCy's training loop; returns (nlp, seconds of the training passes)."
    with tempfile.TemporaryDirectory(prefix='ner-bench-spacy-') as d:
        vocab = spacy.blank('en').vocab
        for name, sents in (('train', train_sents), ('dev', dev_sents)):
            DocBin(docs=make_docs(vocab, sents), store_user_data=False).to_disk(Path(d) / f'{name}.spacy')
        base_config().to_disk(Path(d) / 'config.cfg')  # the file a practitioner would edit and pass to `spacy train`
        overrides = {'paths.train': str(Path(d) / 'train.spacy'), 'paths.dev': str(Path(d) / 'dev.spacy'),
                     'system.seed': SPEC['seed'], 'training.max_epochs': epochs, 'training.max_steps': 0,
                     'training.patience': 0, 'training.eval_frequency': 10 ** 9}
        config = util.load_config(Path(d) / 'config.cfg', overrides=overrides, interpolate=False)
        config['training']['batcher'] = {'@batchers': 'spacy.batch_by_sequence.v1', 'size': SPEC['batch_size'],
                                         'get_length': None}
        config['training']['before_update'] = {'@callbacks': 'ner_bench.mark_start.v1'}
        nlp = init_nlp(config, use_gpu=-1)  # untimed: builds the model and the label set from the training corpus
        Clock.reset()
        nlp, _ = spacy_loop.train(nlp, None, use_gpu=-1, stdout=io.StringIO(), stderr=io.StringIO())
        seconds = time.perf_counter() - Clock.start - Clock.eval_seconds
    return nlp, seconds


def predict(nlp, sentences):
    "Predicted IOB2 tags, seconds of nlp.pipe, seconds of making the Doc objects (after an untimed warm-up)."
    list(nlp.pipe(make_docs(nlp.vocab, sentences[:8], labelled=False), batch_size=EVAL_BATCH))  # warm-up
    t0 = time.perf_counter()
    docs = make_docs(nlp.vocab, sentences, labelled=False)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    docs = list(nlp.pipe(docs, batch_size=EVAL_BATCH))
    secs = time.perf_counter() - t0
    return [doc_tags(doc) for doc in docs], secs, build


def f1(gold, pred) -> float:
    return evaluate_tags(gold, pred).f1


def write_json_atomic(path: Path, obj):
    tmp = path.with_name(path.name + '.tmp')
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------------------------ main
def main():
    from importlib.metadata import version
    out = {'versions': {'spacy': spacy.__version__, 'thinc': version('thinc'), 'numpy': version('numpy'),
                        'python': platform.python_version()},
           'settings': {'config': 'init config --lang en --pipeline ner --optimize efficiency (CPU)',
                        'batcher': f"spacy.batch_by_sequence.v1, size {SPEC['batch_size']}",
                        'eval_batch_size': EVAL_BATCH, 'threads': SPEC.get('threads') or None}}
    wnut = load_corpus()
    train(wnut.train[:32], wnut.dev[:8], 1)  # warm-up, untimed: one-time costs of the first training run

    # quality: W-NUT 2016, `epochs` epochs, the final model on the full test split
    if not SPEC.get('throughput_only'):
        qtrain = wnut.train[:SPEC['quality_train'] or None]
        nlp, secs = train(qtrain, wnut.dev[:8], SPEC['epochs'])
        pred, _, _ = predict(nlp, wnut.test)
        out['quality'] = {'test_f1': f1([s.tags for s in wnut.test], pred), 'train_seconds': secs,
                          'sentences_per_s': len(qtrain) * SPEC['epochs'] / secs, 'epochs': SPEC['epochs'],
                          'train_sentences': len(qtrain)}

    # throughput: one epoch over the first tp_train WikiANN training sentences, then prediction speed on its test split
    wiki = load_corpus(CorpusSpec(SPEC['wikiann'])) if SPEC['wikiann'] else wnut
    tp = wiki.train[:SPEC['tp_train']]
    nlp, secs = train(tp, wiki.dev[:8], 1)
    out['train_tp'] = {'seconds': secs, 'sentences_per_s': len(tp) / secs, 'train_sentences': len(tp)}
    if SPEC.get('throughput_only'):
        write_json_atomic(Path(SPEC['out']), out)
        return
    test = wiki.test[:SPEC['infer']]
    _, secs, build = predict(nlp, test)
    out['infer'] = {'seconds': secs, 'words_per_s': n_words(test) / secs, 'doc_objects_seconds': build,
                    'sentences': len(test), 'words': n_words(test)}
    write_json_atomic(Path(SPEC['out']), out)


if __name__ == '__main__':
    main()
