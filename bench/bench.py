"""Speed and quality of ner-study's taggers against the standard tools, on the same data and hardware (issue 6).

What it measures, in one run (figures and ratios printed as a table and written to bench/results.json):

1. BERT training: our `learner.fit` + `BertTagger` vs the Hugging Face `Trainer` token-classification recipe
   (AutoModelForTokenClassification, first-sub-word labels with -100 elsewhere, DataCollatorForTokenClassification),
   same MiniLM encoder, epochs, batch size 16, lr 1e-4, warm-up ratio 0.1, weight decay 0.01, clipping 1.0.
   Throughput (sentences/s of the training pass only) on a WikiANN-en subset, one epoch; test entity F1
   (seqeval, strict IOB2, micro) on W-NUT 2016 (the default corpus), both models after the same number of epochs.
2. BERT inference: our `predict_tags` vs `transformers.pipeline("token-classification")` on pre-tokenised
   WikiANN test sentences (`is_split_into_words=True`, `aggregation_strategy="first"`), both with batch size 64.
3. BiLSTM-CRF: ours vs flair's `SequenceTagger` (BiLSTM, use_crf=True, OneHotEmbeddings + CharacterEmbeddings with a
   character dictionary built from the corpus, so nothing is downloaded). Flair 0.15.1 requires transformers < 5, so it
   runs in its own venv (.venv-bench-flair) as a subprocess of this script (`--flair-worker`); the BiLSTM path of flair
   does not use transformers at all. Same torch, threads, data, batch size, lr, schedule and hidden size.
4. How our training time grows with corpus size (WikiANN subsets) and with sentence length (WikiANN sentences
   concatenated and cut to exactly 16/32/64/128 words, same number of words per length).
5. The issue's targets, each printed PASS or MISS.

Run (from the repository root; installs the benchmark venvs on first use):

    bench/run.sh            # full run, about 22 minutes on 2 idle cores
    bench/run.sh --quick    # smoke run on tiny subsets, under ~2 minutes (figures meaningless)

Every contestant first does a tiny untimed training run (one-time costs of the first call), every timed inference
starts after an untimed call on 8 sentences. Training time is the training passes only (no evaluation, no saving).
Throughput figures need an otherwise idle machine: the load average at start and end is recorded and a warning is
printed when the machine was busy.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
os.environ.setdefault('TRANSFORMERS_NO_ADVISORY_WARNINGS', '1')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
warnings.filterwarnings('ignore')

import torch  # noqa: E402

from ner_study.learner import MachineLoad, sample_load, write_json_atomic  # noqa: E402  (both benchmark venvs have ner_study)

REPO = Path(__file__).resolve().parents[1]
WIKIANN = REPO.parent / 'shared' / 'data' / 'wikiann-en'
WNUT17 = REPO.parent / 'shared' / 'data' / 'wnut17'

# Sizes of the full run and of the --quick smoke run. Throughput runs train one epoch on a subset.
SIZES = {
    'full': dict(bert_epochs=2, bert_quality_train=0, lstm_quality_train=0, bert_tp_train=2000, bert_tp_wnut17=2000, bert_infer=2000,
                 bert_scale=[500, 1000, 2000], bert_len_words=4096,
                 lstm_epochs=10, lstm_tp_train=10000, lstm_infer=10000,
                 lstm_scale=[2500, 5000, 10000], lstm_len_words=32768, lengths=[16, 32, 64, 128],
                 text_sizes=[100_000, 1_000_000, 10_000_000], busy_warmup_seconds=30),
    'quick': dict(bert_epochs=1, bert_quality_train=32, lstm_quality_train=300, bert_tp_train=32, bert_tp_wnut17=32, bert_infer=64,
                  bert_scale=[16, 32], bert_len_words=256,
                  lstm_epochs=1, lstm_tp_train=500, lstm_infer=500,
                  lstm_scale=[250, 500], lstm_len_words=1024, lengths=[16, 64],
                  text_sizes=[10_000, 30_000, 100_000], busy_warmup_seconds=20),
}
BERT_TRAIN = dict(batch_size=16, lr=1e-4, weight_decay=0.01, warmup_ratio=0.1, max_grad_norm=1.0)
LSTM_TRAIN = dict(batch_size=16, lr=2e-3, weight_decay=0.0, warmup_ratio=0.0, max_grad_norm=5.0)
EVAL_BATCH = 64
SEED = 42


# ---------------------------------------------------------------------------------------------------------- helpers
T0 = time.perf_counter()


def log(*a):
    print(f'{time.perf_counter() - T0:6.0f}s', *a, file=sys.stderr, flush=True)


def n_words(sents) -> int:
    return sum(len(s) for s in sents)


def f1(metrics: dict) -> float:
    return metrics['strict']['micro avg']['f1']


def cpu_model() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()


def versions(*names) -> dict:
    from importlib.metadata import PackageNotFoundError, version
    out = {'python': platform.python_version()}
    for n in names:
        try: out[n] = version(n)
        except PackageNotFoundError: out[n] = None
    return out


def machine_info() -> dict:
    return {'cpu': cpu_model(), 'cores': os.cpu_count(), 'torch_threads': torch.get_num_threads(),
            'platform': platform.platform(), 'cuda': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            'load_average_at_start': os.getloadavg(), 'at_start': sample_load(1.0),
            'versions': versions('torch', 'transformers', 'accelerate', 'datasets', 'tokenizers', 'seqeval', 'ner-study')}


def fixed_length(sentences, length: int, total_words: int):
    "Concatenate sentences and cut them into pieces of exactly `length` words; a piece starting inside an entity starts it with B-."
    from ner_study.corpora import Sentence
    toks, tags = [], []
    for s in sentences:
        toks += s.tokens; tags += s.tags
        if len(toks) >= total_words: break
    out = []
    for i in range(0, total_words - length + 1, length):
        t = list(tags[i:i + length])
        if t[0].startswith('I-'): t[0] = 'B-' + t[0][2:]
        out.append(Sentence(toks[i:i + length], t))
    return out


def growth_exponent(xs, ys) -> float:
    "Slope of log(y) against log(x): 1 = linear growth, 2 = quadratic."
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / den if den else float('nan')


def matmul_peak(dtype=torch.float32, n: int = 4096, repeats: int = 5) -> float:
    "The machine's own matrix-multiply rate (FLOP/s): best of `repeats` timed n×n `torch.mm`s, same threads as the contestants."
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.mm(a, b)  # warm-up
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter(); torch.mm(a, b); best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best


def piece_counts(sentences, max_length: int = 256) -> list[int]:
    "Word pieces of each sentence as the encoder sees it ([CLS] and [SEP] included, cut at max_length like the HF recipe)."
    from transformers import AutoTokenizer
    from ner_study.bert import resolve_encoder
    tok = AutoTokenizer.from_pretrained(resolve_encoder('minilm')[0], local_files_only=True)
    enc = tok([s.tokens for s in sentences], is_split_into_words=True, truncation=True, max_length=max_length)
    return [len(ids) for ids in enc['input_ids']]


def bert_training_flops(pieces: list[int], num_labels: int) -> float:
    """Floating-point operations of one training pass over sentences of these word-piece counts (padding not counted):
    forward = 2 × (multiply-adds of every linear layer per piece) + attention (QKᵀ and AV, 4·n²·h per layer), training =
    3 × forward (the backward pass costs two forwards). Shapes from the bundled encoder's config."""
    from transformers import AutoConfig
    from ner_study.bert import resolve_encoder
    c = AutoConfig.from_pretrained(resolve_encoder('minilm')[0], local_files_only=True)
    h, i, layers = c.hidden_size, c.intermediate_size, c.num_hidden_layers
    linear_per_piece = layers * (4 * h * h + 2 * h * i) + h * num_labels  # Q, K, V, output; the two FFN layers; the head
    forward = sum(2 * linear_per_piece * n + layers * 4 * n * n * h for n in pieces)
    return 3.0 * forward


# ------------------------------------------------------------------------------------------------------ our taggers
def train_ours(kind: str, train, dev, labels, epochs: int, train_kw: dict):
    "Train our tagger with `learner.fit`; returns (tagger after the last epoch, seconds of the training passes)."
    from ner_study.bert import BertConfig, BertTagger
    from ner_study.learner import TrainConfig, fit, seed_everything
    from ner_study.lstm import BiLstmCrfTagger, LstmConfig
    seed_everything(SEED)
    tagger = (BertTagger.from_sentences(train, labels, BertConfig()) if kind == 'bert'
              else BiLstmCrfTagger.from_sentences(train, labels, LstmConfig()))
    cfg = TrainConfig(epochs=epochs, patience=epochs, seed=SEED, eval_batch_size=EVAL_BATCH, **train_kw)
    with tempfile.TemporaryDirectory(prefix='ner-bench-') as d:
        hist = fit(tagger, train, dev, cfg, d, resume=False, progress=False, tensorboard=False, log=lambda *a: None)
    return tagger, float(hist['train_seconds'].sum())


def predict_ours(tagger, sents):
    from ner_study.learner import predict_tags
    predict_tags(tagger, sents[:8], EVAL_BATCH)  # warm-up
    t0 = time.perf_counter()
    pred = predict_tags(tagger, sents, EVAL_BATCH)
    return pred, time.perf_counter() - t0


def warm_up(kind: str, corpus, hf: bool = False):
    "A tiny untimed training run, so no contestant pays the one-time costs of the first call (kernels, allocator, imports)."
    train_ours(kind, corpus.train[:32], corpus.dev[:8], corpus.labels, 1, BERT_TRAIN if kind == 'bert' else LSTM_TRAIN)
    if hf: HfRecipe(corpus.labels).train(corpus.train[:32], 1)


# ------------------------------------------------------------------------------------------- Hugging Face recipe
class HfRecipe:
    "The standard Hugging Face token-classification fine-tuning recipe with the bundled MiniLM encoder."

    def __init__(self, labels: list[str]):
        from transformers import AutoTokenizer
        from ner_study.bert import resolve_encoder
        self.path = resolve_encoder('minilm')[0]
        self.labels = list(labels)
        self.label2id = {l: i for i, l in enumerate(self.labels)}
        self.tok = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        self.model = None

    def encode(self, sentences):
        "Tokenise pre-split words; label the first sub-word of each word, -100 elsewhere (as run_ner.py does)."
        from datasets import Dataset
        enc = self.tok([s.tokens for s in sentences], is_split_into_words=True, truncation=True, max_length=256)
        labels = []
        for i, s in enumerate(sentences):
            prev, row = None, []
            for w in enc.word_ids(i):
                row.append(-100 if w is None or w == prev else self.label2id[s.tags[w]])
                prev = w
            labels.append(row)
        return Dataset.from_dict({**{k: enc[k] for k in enc.keys()}, 'labels': labels})

    def train(self, train, epochs: int, sampling: str = 'random', bf16: bool = False) -> float:
        "Fine-tune a fresh model; returns the Trainer's own train_runtime (training loop only, no evaluation or saving)."
        from transformers import (AutoModelForTokenClassification, DataCollatorForTokenClassification, Trainer,
                                  TrainingArguments, set_seed)
        ds = self.encode(train)
        set_seed(SEED)
        self.model = AutoModelForTokenClassification.from_pretrained(
            self.path, num_labels=len(self.labels), id2label=dict(enumerate(self.labels)), label2id=self.label2id,
            local_files_only=True)
        with tempfile.TemporaryDirectory(prefix='ner-bench-hf-') as d:
            args = TrainingArguments(
                output_dir=d, num_train_epochs=epochs, per_device_train_batch_size=BERT_TRAIN['batch_size'],
                per_device_eval_batch_size=EVAL_BATCH, learning_rate=BERT_TRAIN['lr'], weight_decay=BERT_TRAIN['weight_decay'],
                warmup_steps=BERT_TRAIN['warmup_ratio'],  # transformers 5: a float in [0, 1) is a ratio of the steps
                lr_scheduler_type='linear', max_grad_norm=BERT_TRAIN['max_grad_norm'], seed=SEED,
                train_sampling_strategy=sampling, eval_strategy='no', save_strategy='no', logging_strategy='no',
                report_to='none', disable_tqdm=True, dataloader_num_workers=0, bf16=bf16,
                use_cpu=not torch.cuda.is_available())
            trainer = Trainer(model=self.model, args=args, train_dataset=ds,
                              data_collator=DataCollatorForTokenClassification(self.tok), processing_class=self.tok)
            with contextlib.redirect_stdout(sys.stderr): out = trainer.train()  # it prints its metrics
            self.trainer = trainer
        return float(out.metrics['train_runtime'])

    def pipeline(self):
        from transformers import pipeline
        return pipeline('token-classification', model=self.model, tokenizer=self.tok, aggregation_strategy='first',
                        device=0 if torch.cuda.is_available() else -1)


def hf_predict_tags(recipe: HfRecipe, sentences) -> list[list[str]]:
    "Word tags of the HF model: arg-max at each word's first sub-word; words cut off by truncation get 'O'."
    enc = recipe.tok([s.tokens for s in sentences], is_split_into_words=True, truncation=True, max_length=256)
    logits = recipe.trainer.predict(recipe.encode(sentences)).predictions
    out = []
    for i, s in enumerate(sentences):
        tags, prev = ['O'] * len(s.tokens), None
        for j, w in enumerate(enc.word_ids(i)):
            if w is not None and w != prev: tags[w] = recipe.labels[int(logits[i, j].argmax())]
            prev = w
        out.append(tags)
    return out


def pipeline_tags(outputs, sentences) -> list[list[str]]:
    "Convert the pipeline's aggregated entities (character offsets in the space-joined words) back to IOB2 word tags."
    out = []
    for ents, words in zip(outputs, sentences):
        starts, pos = {}, 0
        for k, w in enumerate(words): starts[pos] = k; pos += len(w) + 1
        ends = {st + len(words[k]): k for st, k in starts.items()}
        tags = ['O'] * len(words)
        for e in ents:
            a, b = starts.get(e['start']), ends.get(e['end'])
            if a is None or b is None: continue
            tags[a] = f"B-{e['entity_group']}"
            for k in range(a + 1, b + 1): tags[k] = f"I-{e['entity_group']}"
        out.append(tags)
    return out


def run_pipeline(pipe, sents):
    pipe(sents[:8], is_split_into_words=True, batch_size=EVAL_BATCH)  # warm-up
    t0 = time.perf_counter()
    outputs = pipe(sents, is_split_into_words=True, batch_size=EVAL_BATCH)
    return outputs, time.perf_counter() - t0


# ------------------------------------------------------------------------------------------------------ comparisons
def best_runs(runs: dict, sentences: int, peaks: dict | None = None) -> dict:
    """Per contestant, its fastest run of `sentences` sentences (the one that counts), beside all of its runs' seconds;
    with `peaks` (per contestant, the float32 matmul peak measured around each run), the peak around the fastest run."""
    out = {k: {'seconds': min(v), 'sentences_per_s': sentences / min(v), 'all_seconds': v} for k, v in runs.items()}
    for k, around in (peaks or {}).items():
        out[k].update(peak_around=around[runs[k].index(min(runs[k]))], all_peaks_around=around)
    return out


def throughput_pair(tp, labels, corpus_name: str, rounds: int = 3) -> dict:
    """Training sentences/s over one epoch of `tp`: ours and the HF Trainer with group_by_length, alternating, the best of
    `rounds` each. The float32 matmul peak is measured before the first run and after every run: each run's utilisation
    is taken against the mean of the peaks just before and just after it (the VM's speed drifts over minutes, so a peak
    measured at another moment would misstate it either way)."""
    dev_small = tp[:32]
    runs = {'ours': [], 'hf_trainer_group_by_length': []}
    peaks, around = [matmul_peak(torch.float32)], {k: [] for k in runs}
    for r in range(rounds):
        for name in runs:
            log(f'[bert] training throughput, {corpus_name} {len(tp)} sentences, 1 epoch, round {r + 1}/{rounds}: {name}')
            runs[name].append(train_ours('bert', tp, dev_small, labels, 1, BERT_TRAIN)[1] if name == 'ours'
                              else HfRecipe(labels).train(tp, 1, 'group_by_length'))
            peaks.append(matmul_peak(torch.float32))
            around[name].append((peaks[-2] + peaks[-1]) / 2)
    out = best_runs(runs, len(tp), around)
    out['ours']['pair_peaks'] = peaks  # in the order measured (kept once, with ours)
    return out


def utilisation(train_tp: dict, tp, labels, peak: dict) -> dict:
    """The training FLOPs of these sentences (real word pieces) per second of each contestant, against the matmul peak:
    the peak measured around the run where the pair measured one (`share_of_peak`, what the target reads), else `peak`
    (measured once); for the pair also against the highest peak the pair measured (`share_of_highest_peak`, the most
    conservative reading) and against `peak`."""
    flops = bert_training_flops(piece_counts(tp), len(labels))
    pair_peaks = train_tp['ours'].get('pair_peaks')
    highest = max(pair_peaks) if pair_peaks else None
    for name, v in train_tp.items():
        v['flops_per_s'] = flops / v['seconds']
        single = peak['bfloat16' if 'bf16' in name and 'bfloat16' in peak else 'float32']
        v['share_of_peak'] = v['flops_per_s'] / v.get('peak_around', single)
        if 'peak_around' in v:
            v['share_of_highest_peak'] = v['flops_per_s'] / highest
            v['share_of_single_peak'] = v['flops_per_s'] / single
    return {'training_flops_per_epoch': flops, 'peak_flops_per_s': peak, 'threads': torch.get_num_threads(),
            **({'pair_peaks': pair_peaks} if pair_peaks else {})}


def compare_bert(wnut, wiki, S) -> dict:
    "Ours vs HF Trainer (training speed and F1) and vs the pipeline (inference speed)."
    from ner_study.bert import native_bf16
    from ner_study.metrics import evaluate_tags
    res = {'settings': {**BERT_TRAIN, 'epochs_quality': S['bert_epochs'], 'epochs_throughput': 1,
                        'throughput_train_sentences': len(wiki.train[:S['bert_tp_train']]),
                        'quality_train_sentences': len(wnut.train[:S['bert_quality_train'] or None]),
                        'infer_sentences': len(wiki.test[:S['bert_infer']]), 'eval_batch_size': EVAL_BATCH}}
    warm_up('bert', wiki, hf=True)
    # --- training throughput on WikiANN, one epoch
    tp = wiki.train[:S['bert_tp_train']]
    dev_small = wiki.dev[:32]
    # ours and the HF Trainer with group_by_length (its fastest float32 configuration) alternate, three times each, and
    # the fastest of each counts: a 2-core VM's speed drifts by ~10 % over minutes (a timed torch.mm loop here varies
    # 150-190 GFLOP/s), and alternating keeps a slow spell from landing on one contestant only
    res['train_tp'] = throughput_pair(tp, wiki.labels, 'WikiANN')
    log('[bert] training throughput: ours, bf16 mixed precision')
    _, secs = train_ours('bert', tp, dev_small, wiki.labels, 1, {**BERT_TRAIN, 'bf16': True})
    res['train_tp']['ours_bf16'] = {'seconds': secs, 'sentences_per_s': len(tp) / secs}
    for name, sampling, bf16 in (('hf_trainer', 'random', False), ('hf_trainer_bf16', 'random', True)):
        log(f'[bert] training throughput: {name}')
        secs = HfRecipe(wiki.labels).train(tp, 1, sampling, bf16)
        res['train_tp'][name] = {'seconds': secs, 'sentences_per_s': len(tp) / secs}
    res['scale_point'] = {'sentences': len(tp), 'seconds': res['train_tp']['ours']['seconds']}
    peak = {'float32': matmul_peak(torch.float32)}
    if native_bf16('cpu' if not torch.cuda.is_available() else 'cuda'): peak['bfloat16'] = matmul_peak(torch.bfloat16)
    res['utilisation'] = utilisation(res['train_tp'], tp, wiki.labels, peak)
    # the same pair on W-NUT 2017 (tweets, longer sentences), where present
    if S['bert_tp_wnut17'] and WNUT17.exists():
        from ner_study.corpora import CorpusSpec, load_corpus
        w17 = load_corpus(CorpusSpec(str(WNUT17)))
        tp17 = w17.train[:S['bert_tp_wnut17']]
        res['train_tp_wnut17'] = throughput_pair(tp17, w17.labels, 'W-NUT 2017')
        res['utilisation_wnut17'] = utilisation(res['train_tp_wnut17'], tp17, w17.labels, peak)
        res['settings']['throughput_wnut17_sentences'] = len(tp17)

    # --- quality on W-NUT 2016: same epochs, final models, full test split
    qtrain = wnut.train[:S['bert_quality_train'] or None]
    gold = [s.tags for s in wnut.test]
    log(f"[bert] quality: ours, W-NUT 2016, {len(qtrain)} sentences, {S['bert_epochs']} epochs")
    ours, secs = train_ours('bert', qtrain, wnut.dev, wnut.labels, S['bert_epochs'], BERT_TRAIN)
    ours_pred, _ = predict_ours(ours, [s.tokens for s in wnut.test])
    res['quality'] = {'ours': {'test_f1': f1(evaluate_tags(gold, ours_pred)), 'train_seconds': secs,
                               'sentences_per_s': len(qtrain) * S['bert_epochs'] / secs}}
    log('[bert] quality: ours, bf16 mixed precision')
    ours16, secs = train_ours('bert', qtrain, wnut.dev, wnut.labels, S['bert_epochs'], {**BERT_TRAIN, 'bf16': True})
    res['quality']['ours_bf16'] = {'test_f1': f1(evaluate_tags(gold, predict_ours(ours16, [s.tokens for s in wnut.test])[0])),
                                   'train_seconds': secs, 'sentences_per_s': len(qtrain) * S['bert_epochs'] / secs}
    ours.cfg.predict_bf16 = False  # the same model predicting in float32: the F1 cost of bf16 inference, if any
    res['quality']['ours (float32 prediction)'] = {'test_f1': f1(evaluate_tags(gold, predict_ours(ours, [s.tokens for s in wnut.test])[0]))}
    ours.cfg.predict_bf16 = True
    log('[bert] quality: hf_trainer')
    hf = HfRecipe(wnut.labels)
    secs = hf.train(qtrain, S['bert_epochs'])
    res['quality']['hf_trainer'] = {'test_f1': f1(evaluate_tags(gold, hf_predict_tags(hf, wnut.test))), 'train_seconds': secs,
                                    'sentences_per_s': len(qtrain) * S['bert_epochs'] / secs}

    # --- inference on WikiANN test sentences (the W-NUT models; speed does not depend on the weights)
    sents = [s.tokens for s in wiki.test[:S['bert_infer']]]
    log(f'[bert] inference: {len(sents)} WikiANN test sentences, {n_words(sents)} words')
    _, secs = predict_ours(ours, sents)
    res['infer'] = {'ours': {'seconds': secs, 'words_per_s': n_words(sents) / secs,
                             'bf16': bool(ours.cfg.predict_bf16 and native_bf16(ours.device.type))}}
    ours.cfg.predict_bf16 = False
    _, secs = predict_ours(ours, sents)
    res['infer']['ours_float32'] = {'seconds': secs, 'words_per_s': n_words(sents) / secs}
    ours.cfg.predict_bf16 = True
    pipe = hf.pipeline()
    _, secs = run_pipeline(pipe, sents)
    res['infer']['pipeline'] = {'seconds': secs, 'words_per_s': n_words(sents) / secs, 'batch_size': EVAL_BATCH,
                                'aggregation_strategy': 'first'}
    # sanity: the pipeline's word tags score like the HF model it wraps
    outs, _ = run_pipeline(pipe, [s.tokens for s in wnut.test])
    res['quality']['pipeline (check)'] = {'test_f1': f1(evaluate_tags(gold, pipeline_tags(outs, [s.tokens for s in wnut.test])))}
    return res


def flair_worker(spec_path: str):
    "Run inside the flair venv: train and time flair's SequenceTagger as `spec` says, write results as JSON."
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
    from ner_study.corpora import CorpusSpec, iob2_spans, load_corpus
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
        out['quality'] = {'test_f1': f1(evaluate_tags([s.tags for s in wnut.test], pred)), 'train_seconds': secs,
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


def worker_spec(wiki, S) -> dict:
    "What every BiLSTM-CRF contestant in its own venv (flair, spaCy) is given: the same data, seed, epochs, batches and threads."
    return {'seed': SEED, 'epochs': S['lstm_epochs'], 'quality_train': S['lstm_quality_train'],
            'wikiann': str(WIKIANN) if wiki.name != 'wnut16' else '', 'tp_train': S['lstm_tp_train'], 'infer': S['lstm_infer'],
            'batch_size': LSTM_TRAIN['batch_size'], 'eval_batch_size': EVAL_BATCH, 'threads': torch.get_num_threads()}


def run_worker(command: list[str], spec: dict) -> dict:
    "Run a contestant's worker in its own venv: `command SPEC.json`; its results (JSON), or {'error': the end of its stderr}."
    with tempfile.TemporaryDirectory(prefix='ner-bench-') as d:
        spec = {**spec, 'out': str(Path(d) / 'out.json')}
        (Path(d) / 'spec.json').write_text(json.dumps(spec))
        proc = subprocess.run([*command, str(Path(d) / 'spec.json')], cwd=REPO, capture_output=True, text=True)
        if proc.returncode:
            log(proc.stderr[-3000:])
            return {'error': proc.stderr[-3000:]}
        return json.loads(Path(spec['out']).read_text())


def compare_lstm(wnut, wiki, S, flair_python: str | None, save_to: Path | None = None) -> dict:
    "Our BiLSTM-CRF vs flair's SequenceTagger: training and inference speed on WikiANN, F1 on W-NUT 2016."
    from ner_study.lstm import LstmConfig
    from ner_study.metrics import evaluate_tags
    lc = LstmConfig()
    res = {'settings': {**LSTM_TRAIN, 'epochs_quality': S['lstm_epochs'], 'epochs_throughput': 1, 'hidden_per_direction': lc.hidden,
                        'quality_train_sentences': len(wnut.train[:S['lstm_quality_train'] or None]),
                        'word_dim': lc.word_dim, 'throughput_train_sentences': len(wiki.train[:S['lstm_tp_train']]),
                        'infer_sentences': len(wiki.test[:S['lstm_infer']]), 'eval_batch_size': EVAL_BATCH}}
    tp = wiki.train[:S['lstm_tp_train']]
    warm_up('lstm', wiki)
    log(f'[lstm] training throughput: ours, {len(tp)} WikiANN sentences, 1 epoch')
    tagger, secs = train_ours('lstm', tp, wiki.dev[:32], wiki.labels, 1, LSTM_TRAIN)
    res['train_tp'] = {'ours': {'seconds': secs, 'sentences_per_s': len(tp) / secs}}
    res['scale_point'] = {'sentences': len(tp), 'seconds': secs}
    test = [s.tokens for s in wiki.test[:S['lstm_infer']]]
    _, secs = predict_ours(tagger, test)
    res['infer'] = {'ours': {'seconds': secs, 'words_per_s': n_words(test) / secs}}
    qtrain = wnut.train[:S['lstm_quality_train'] or None]
    log(f"[lstm] quality: ours, W-NUT 2016, {len(qtrain)} sentences, {S['lstm_epochs']} epochs")
    tagger, secs = train_ours('lstm', qtrain, wnut.dev, wnut.labels, S['lstm_epochs'], LSTM_TRAIN)
    pred, _ = predict_ours(tagger, [s.tokens for s in wnut.test])
    if save_to:  # the raw-text measurements below predict with this model
        from ner_study.learner import save_tagger
        save_tagger(tagger, save_to)
    res['quality'] = {'ours': {'test_f1': f1(evaluate_tags([s.tags for s in wnut.test], pred)), 'train_seconds': secs,
                               'sentences_per_s': len(qtrain) * S['lstm_epochs'] / secs, 'parameters': tagger.n_trainable()}}
    if not flair_python or not Path(flair_python).exists():
        res['flair'] = {'skipped': f'no flair interpreter at {flair_python}'}
        return res
    log('[lstm] flair (subprocess in its own venv): quality, training throughput, inference')
    fl = run_worker([flair_python, __file__, '--flair-worker'], {
        **worker_spec(wiki, S), 'word_dim': lc.word_dim, 'hidden': lc.hidden, 'lr': LSTM_TRAIN['lr'],
        'max_grad_norm': LSTM_TRAIN['max_grad_norm']})
    if 'error' in fl:
        res['flair'] = fl
        return res
    res['flair'] = {'versions': fl['versions'], 'torch_threads': fl['torch_threads']}
    res['quality']['flair'] = fl['quality']
    res['train_tp']['flair'] = fl['train_tp']
    res['infer']['flair'] = fl['infer']
    return res


def compare_spacy(lstm: dict, wiki, S, spacy_python: str | None, rounds: int = 2):
    """spaCy's NER (CPU efficiency config, its own loop and optimizer) beside our BiLSTM-CRF: same data, batch size, epochs.
    The training throughput is also measured as a pair, like BERT's: ours and spaCy alternate `rounds` times (spaCy's
    first worker also measures quality and inference, the later ones only the throughput) and the best of each counts."""
    if not spacy_python or not Path(spacy_python).exists():
        lstm['spacy'] = {'skipped': f'no spaCy interpreter at {spacy_python}'}
        return
    tp = wiki.train[:S['lstm_tp_train']]
    pair = {'ours': [], 'spacy': []}
    for r in range(rounds):
        log(f'[lstm] training throughput vs spaCy, {len(tp)} WikiANN sentences, 1 epoch, round {r + 1}/{rounds}: ours')
        pair['ours'].append(train_ours('lstm', tp, wiki.dev[:32], wiki.labels, 1, LSTM_TRAIN)[1])
        log(f'[lstm] ... round {r + 1}/{rounds}: spaCy (subprocess in its own venv' + ('): quality, training throughput, inference' if r == 0 else '): training throughput'))
        sp = run_worker([spacy_python, str(REPO / 'bench' / 'spacy_worker.py')], {**worker_spec(wiki, S), 'throughput_only': r > 0})
        if 'error' in sp and r == 0:
            lstm['spacy'] = sp
            return
        if 'error' in sp:  # a later round failed: the pair keeps the rounds both sides finished
            lstm['spacy']['error_in_round'] = {'round': r + 1, **sp}
            pair['ours'].pop()
            break
        pair['spacy'].append(sp['train_tp']['seconds'])
        if r == 0:
            lstm['spacy'] = {'versions': sp['versions'], 'settings': sp.get('settings')}
            lstm['quality']['spacy'] = {**sp['quality'], 'parameters': float('nan')}
            lstm['train_tp']['spacy'] = sp['train_tp']
            lstm['infer']['spacy'] = sp['infer']
    lstm['train_tp_pair_spacy'] = best_runs(pair, len(tp))


def run_predict(checkpoint: Path, path: Path, *extra: str) -> tuple[float, float]:
    "Run `ner-study predict` on a file as a user would; returns (wall seconds, peak resident memory of that process in MiB)."
    # the peak is the process's own high-water mark (VmHWM), read while it runs: getrusage's ru_maxrss of a child would
    # start from this (large) benchmark process's, which it inherits at fork
    # stderr goes to a file, not a pipe: nobody reads a pipe while this loop polls, and a full one would block the child
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, '-m', 'ner_study.cli', *extra, 'predict', str(checkpoint), '--file', str(path)],
                                stdout=subprocess.DEVNULL, stderr=err, cwd=REPO)
        peak_kib = 0
        while proc.poll() is None:
            try:
                status = Path(f'/proc/{proc.pid}/status').read_text()
                peak_kib = max(peak_kib, int(status.split('VmHWM:')[1].split()[0]))
            except (OSError, IndexError, ValueError): pass
            time.sleep(0.02)
        secs = time.perf_counter() - t0
        if proc.returncode:
            err.seek(0)
            raise RuntimeError(f'ner-study predict failed on {path}: {err.read().decode(errors="replace")[-2000:]}')
    return secs, peak_kib / 1024


def raw_text(wnut, checkpoint: Path, S) -> dict:
    """`ner-study predict` (BiLSTM-CRF) on raw text of growing size, one line and one sentence per line: words/s and peak
    memory; then on the middle size beside a training of our BERT tagger, with predict's default thread choice ('auto':
    the cores other processes leave free) and with one thread per core (torch's default)."""
    from ner_study.predict import iter_tokens
    sents = [' '.join(s.tokens) for s in wnut.train]
    def text(n, sep):
        out, size, i = [], 0, 0
        while size < n: out.append(sents[i % len(sents)]); size += len(out[-1]) + 1; i += 1
        return sep.join(out)[:n]
    res = {'model': 'BiLSTM-CRF (the W-NUT 2016 model above)', 'rows': [], 'busy': []}
    with tempfile.TemporaryDirectory(prefix='ner-bench-text-') as d:
        tiny = Path(d) / 'tiny.txt'; tiny.write_text('Paris\n')
        run_predict(checkpoint, tiny)  # warm the file cache
        res['startup_seconds'], res['startup_peak_mib'] = run_predict(checkpoint, tiny)
        files = {}
        for size in S['text_sizes']:
            for layout, sep in (('one line', ' '), ('many lines', '\n')):
                path = Path(d) / f'{size}-{layout[:3]}.txt'
                body = text(size, sep); path.write_text(body + '\n', encoding='utf-8')
                files[size, layout] = (path, sum(1 for _ in iter_tokens(body)))
                log(f'[text] predict {size:,} characters, {layout}')
                secs, mib = run_predict(checkpoint, path)
                res['rows'].append({'characters': size, 'layout': layout, 'words': files[size, layout][1], 'seconds': secs,
                                    'words_per_s': files[size, layout][1] / secs, 'peak_mib': mib})
        size = S['text_sizes'][len(S['text_sizes']) // 2]
        log(f'[text] predict {size:,} characters beside a training of our BERT tagger')
        trainer = subprocess.Popen([sys.executable, '-m', 'ner_study.cli', 'fit', '--model', 'bert', '--epochs', '100',
                                    '--max-train-sentences', '2000', '--output-dir', str(Path(d) / 'runs')],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        try:
            time.sleep(S['busy_warmup_seconds'])  # imports and model loading: the training is running after this
            for layout in ('one line', 'many lines'):
                path, words = files[size, layout]
                for threads in ('auto', str(os.cpu_count() or 1)):
                    secs, mib = run_predict(checkpoint, path, '--threads', threads)
                    idle = next(r for r in res['rows'] if r['characters'] == size and r['layout'] == layout)
                    res['busy'].append({'characters': size, 'layout': layout, 'threads': threads, 'seconds': secs,
                                        'words_per_s': words / secs, 'slowdown': secs / idle['seconds'], 'peak_mib': mib})
        finally:
            trainer.kill(); trainer.wait()
    return res


def scaling(wiki, S, bert_point: dict, lstm_point: dict) -> dict:
    "Our training time (one epoch) against corpus size and against sentence length."
    res = {'corpus_size': {}, 'sentence_length': {}}
    for kind, sizes, point, kw in (('bert', S['bert_scale'], bert_point, BERT_TRAIN), ('lstm', S['lstm_scale'], lstm_point, LSTM_TRAIN)):
        rows = []
        for n in sizes:
            if n == point['sentences']: secs = point['seconds']  # measured in the throughput comparison
            else:
                log(f'[scale] {kind}: {n} sentences')
                _, secs = train_ours(kind, wiki.train[:n], wiki.dev[:32], wiki.labels, 1, kw)
            sub = wiki.train[:n]
            rows.append({'sentences': n, 'words': n_words([s.tokens for s in sub]), 'seconds': secs, 'sentences_per_s': n / secs})
        res['corpus_size'][kind] = {'rows': rows, 'growth_exponent': growth_exponent([r['sentences'] for r in rows], [r['seconds'] for r in rows])}
    for kind, words, kw in (('bert', S['bert_len_words'], BERT_TRAIN), ('lstm', S['lstm_len_words'], LSTM_TRAIN)):
        rows = []
        for L in S['lengths']:
            sents = fixed_length(wiki.train, L, words)
            log(f'[scale] {kind}: {len(sents)} sentences of {L} words')
            _, secs = train_ours(kind, sents, sents[:4], wiki.labels, 1, kw)
            rows.append({'length': L, 'sentences': len(sents), 'words': L * len(sents), 'seconds': secs,
                         'words_per_s': L * len(sents) / secs})
        res['sentence_length'][kind] = {'rows': rows, 'growth_exponent_per_sentence': growth_exponent(
            [r['length'] for r in rows], [r['seconds'] / r['sentences'] for r in rows])}
    return res


# ------------------------------------------------------------------------------------------------ targets & report
def targets(bert: dict, lstm: dict, tol: float, text: dict | None = None) -> list[dict]:
    "The issue's targets, each with the measured figures and PASS/MISS."
    out = []
    def add(name, ok, detail): out.append({'target': name, 'pass': bool(ok), 'detail': detail})
    fh = bert['quality']['hf_trainer']['test_f1']
    for ours, how in (('ours', 'float32, as the recipe'), ('ours_bf16', 'ours with bf16 mixed precision vs the float32 recipe')):
        tr = bert['train_tp'][ours]['sentences_per_s'] / bert['train_tp']['hf_trainer']['sentences_per_s']
        fo = bert['quality'][ours]['test_f1']
        add(f'BERT training >= 1.3x HF Trainer at >= F1 ({how})', tr >= 1.3 and fo >= fh - tol,
            f'speed ratio {tr:.2f}x, F1 ours {fo:.4f} vs HF {fh:.4f} ({fo - fh:+.4f})')
    for key, corpus in (('train_tp', 'WikiANN-en'), ('train_tp_wnut17', 'W-NUT 2017')):
        if key not in bert:
            add(f'BERT training >= 1.3x HF Trainer with group_by_length on {corpus}', False, 'not measured (corpus not found)')
            continue
        tp = bert[key]
        g = tp['ours']['sentences_per_s'] / tp['hf_trainer_group_by_length']['sentences_per_s']
        add(f'BERT training >= 1.3x HF Trainer with group_by_length on {corpus} (float32, its fastest configuration)', g >= 1.3,
            f"speed ratio {g:.2f}x ({tp['ours']['sentences_per_s']:.1f} vs {tp['hf_trainer_group_by_length']['sentences_per_s']:.1f} sent/s, best of "
            f"{len(tp['ours'].get('all_seconds', [0]))} alternating runs each)")
        share, hf = tp['ours']['share_of_peak'], tp['hf_trainer_group_by_length']
        around = 'around each run' if 'peak_around' in tp['ours'] else 'once'
        add(f'BERT training (float32) on {corpus} >= 60% of the measured float32 matmul peak', share >= 0.6,
            f"ours {share:.0%}, HF Trainer with group_by_length {hf['share_of_peak']:.0%} (peak measured {around}"
            + (f"; against the highest peak of the pair: ours {tp['ours']['share_of_highest_peak']:.0%}, HF {hf['share_of_highest_peak']:.0%}"
               if 'share_of_highest_peak' in tp['ours'] else '') + ')')
    ir = bert['infer']['ours']['words_per_s'] / bert['infer']['pipeline']['words_per_s']
    add('BERT inference >= 2x pipeline words/s', ir >= 2.0,
        f"ratio {ir:.2f}x ({'bf16' if bert['infer']['ours'].get('bf16') else 'float32'} prediction; "
        f"float32: {bert['infer']['ours_float32']['words_per_s'] / bert['infer']['pipeline']['words_per_s']:.2f}x)")
    if 'flair' in lstm['quality']:
        t = lstm['train_tp']['ours']['sentences_per_s'] / lstm['train_tp']['flair']['sentences_per_s']
        i = lstm['infer']['ours']['words_per_s'] / lstm['infer']['flair']['words_per_s']
        fo, ff = lstm['quality']['ours']['test_f1'], lstm['quality']['flair']['test_f1']
        add('BiLSTM-CRF training >= flair at >= F1', t >= 1.0 and fo >= ff - tol,
            f'speed ratio {t:.2f}x, F1 ours {fo:.4f} vs flair {ff:.4f} ({fo - ff:+.4f})')
        add('BiLSTM-CRF inference >= flair', i >= 1.0, f'ratio {i:.2f}x')
    else:
        add('BiLSTM-CRF vs flair', False, f"flair not measured: {lstm.get('flair')}")
    if 'spacy' in lstm['quality']:
        pair = lstm['train_tp_pair_spacy']
        t = pair['ours']['sentences_per_s'] / pair['spacy']['sentences_per_s']
        i = lstm['infer']['ours']['words_per_s'] / lstm['infer']['spacy']['words_per_s']
        fo, fs = lstm['quality']['ours']['test_f1'], lstm['quality']['spacy']['test_f1']
        add('BiLSTM-CRF training >= spaCy (F1 difference reported, not a condition)', t >= 1.0,
            f"speed ratio {t:.2f}x ({pair['ours']['sentences_per_s']:.0f} vs {pair['spacy']['sentences_per_s']:.0f} sent/s, best of "
            f"{len(pair['ours']['all_seconds'])} alternating runs each); F1 ours {fo:.4f} vs spaCy {fs:.4f} ({fo - fs:+.4f})")
        add('BiLSTM-CRF inference >= spaCy', i >= 1.0, f'ratio {i:.2f}x')
    else:
        add('BiLSTM-CRF vs spaCy', False, f"spaCy not measured: {lstm.get('spacy')}")
    if text:
        for layout in ('one line', 'many lines'):
            rows = [x for x in text['rows'] if x['layout'] == layout]
            small, big = rows[-2], rows[-1]
            add(f'raw text, {layout}: {big["characters"]:,} characters in bounded memory (peak <= 1.2x that of {small["characters"]:,})',
                big['peak_mib'] <= 1.2 * small['peak_mib'], f"{big['peak_mib']:,.0f} vs {small['peak_mib']:,.0f} MiB")
        worst = max(x['slowdown'] for x in text['busy'] if x['threads'] == 'auto')
        add('raw text beside a training: the default threads at most 2x the idle time', worst <= 2.0,
            f"auto: up to {worst:.1f}x; one thread per core: up to {max(x['slowdown'] for x in text['busy'] if x['threads'] != 'auto'):.1f}x")
    return out


def report(r: dict) -> str:
    b, l, s = r['bert'], r['lstm'], r['scaling']
    lines = [f"ner-study benchmark ({r['mode']} run) on {r['machine']['cpu']}, {r['machine']['cores']} cores, "
             f"torch {r['machine']['versions']['torch']} with {r['machine']['torch_threads']} threads, "
             f"transformers {r['machine']['versions']['transformers']}"
             + (f", flair {l['flair']['versions']['flair']} (own venv, transformers {l['flair']['versions']['transformers']})"
                if 'versions' in l.get('flair', {}) else ''),
             f"load average at start {r['machine']['load_average_at_start'][0]:.2f}, at end {r['load_average_at_end'][0]:.2f}; "
             f"other processes used {r['machine']['at_start']['other_processes_cores'] or 0:.2f} cores at the start and "
             f"{r['during']['other_processes_cores'] or 0:.2f} on average during the run", '']
    row = lambda *c: '  '.join(f'{x:<34}' if i == 0 else f'{x:>12}' for i, x in enumerate(c))
    def block(title, head, items):
        lines.append(title); lines.append(row(*head))
        lines.extend(row(*it) for it in items); lines.append('')
    bs = b['settings']
    def tp_block(title, u, tp):
        pp = u.get('pair_peaks')
        block(title + (f"; float32 mm peak around the pair's runs {min(pp) / 1e9:.0f}-{max(pp) / 1e9:.0f} GFLOP/s" if pp else ''),
              ('', 'seconds', 'sent/s', 'ours/this', 'GFLOP/s', 'of peak', 'of highest', 'every run, s'),
              [(k, f"{v['seconds']:.1f}", f"{v['sentences_per_s']:.1f}", f"{tp['ours']['sentences_per_s'] / v['sentences_per_s']:.2f}x",
                f"{v['flops_per_s'] / 1e9:.0f}", f"{v['share_of_peak']:.0%}",
                f"{v['share_of_highest_peak']:.0%}" if 'share_of_highest_peak' in v else '-',
                ' '.join(f'{x:.1f}' for x in v.get('all_seconds', [v['seconds']]))) for k, v in tp.items()])
    u = b['utilisation']
    tp_block(f"BERT training, WikiANN {bs['throughput_train_sentences']} sentences, 1 epoch "
             f"({u['training_flops_per_epoch'] / 1e12:.2f} TFLOP on the real word pieces; mm peak measured once "
             + ', '.join(f'{k} {v / 1e9:.0f} GFLOP/s' for k, v in u['peak_flops_per_s'].items()) + f", {u['threads']} threads)",
             u, b['train_tp'])
    if 'train_tp_wnut17' in b:
        u17 = b['utilisation_wnut17']
        tp_block(f"BERT training, W-NUT 2017 {bs['throughput_wnut17_sentences']} sentences, 1 epoch "
                 f"({u17['training_flops_per_epoch'] / 1e12:.2f} TFLOP on the real word pieces)", u17, b['train_tp_wnut17'])
    lines.append("  (of peak: against the float32 mm peak measured just before and just after the run, for the alternating pair; "
                 "else against the one measured once. of highest: against the highest peak the pair measured)")
    lines.append('')
    block(f"BERT quality, W-NUT 2016 ({bs['quality_train_sentences']} train sentences, {bs['epochs_quality']} epochs, final model)",
          ('', 'test F1', 'train s', 'sent/s'),
          [(k, f"{v['test_f1']:.4f}", f"{v.get('train_seconds', float('nan')):.1f}", f"{v.get('sentences_per_s', float('nan')):.1f}")
           for k, v in b['quality'].items()])
    block(f"BERT inference, WikiANN {bs['infer_sentences']} test sentences, batch {bs['eval_batch_size']}", ('', 'seconds', 'words/s', 'ours/this'),
          [(k, f"{v['seconds']:.2f}", f"{v['words_per_s']:.0f}", f"{b['infer']['ours']['words_per_s'] / v['words_per_s']:.2f}x")
           for k, v in b['infer'].items()])
    ls = l['settings']
    block(f"BiLSTM-CRF training, WikiANN {ls['throughput_train_sentences']} sentences, 1 epoch", ('', 'seconds', 'sent/s', 'ours/this'),
          [(k, f"{v['seconds']:.1f}", f"{v['sentences_per_s']:.0f}", f"{l['train_tp']['ours']['sentences_per_s'] / v['sentences_per_s']:.2f}x")
           for k, v in l['train_tp'].items()])
    if 'train_tp_pair_spacy' in l:
        pair = l['train_tp_pair_spacy']
        block(f"BiLSTM-CRF training vs spaCy, the same {ls['throughput_train_sentences']} sentences, alternating (the best run counts)",
              ('', 'best s', 'sent/s', 'ours/this', 'every run, s'),
              [(k, f"{v['seconds']:.1f}", f"{v['sentences_per_s']:.0f}", f"{pair['ours']['sentences_per_s'] / v['sentences_per_s']:.2f}x",
                ' '.join(f'{x:.1f}' for x in v['all_seconds'])) for k, v in pair.items()])
    block(f"BiLSTM-CRF quality, W-NUT 2016 ({ls['quality_train_sentences']} train sentences, {ls['epochs_quality']} epochs, final model)", ('', 'test F1', 'train s', 'params'),
          [(k, f"{v['test_f1']:.4f}", f"{v['train_seconds']:.1f}", f"{v['parameters']:,}" if v['parameters'] == v['parameters'] else '-')
           for k, v in l['quality'].items()])
    block(f"BiLSTM-CRF inference, WikiANN {ls['infer_sentences']} test sentences, batch {ls['eval_batch_size']}", ('', 'seconds', 'words/s', 'ours/this'),
          [(k, f"{v['seconds']:.2f}", f"{v['words_per_s']:.0f}", f"{l['infer']['ours']['words_per_s'] / v['words_per_s']:.2f}x")
           for k, v in l['infer'].items()])
    for kind in ('bert', 'lstm'):
        cs = s['corpus_size'][kind]
        block(f"ours {kind}: one epoch vs corpus size (growth exponent {cs['growth_exponent']:.2f}; 1 = linear)",
              ('sentences', 'words', 'seconds', 'sent/s'),
              [(str(x['sentences']), str(x['words']), f"{x['seconds']:.1f}", f"{x['sentences_per_s']:.1f}") for x in cs['rows']])
        sl = s['sentence_length'][kind]
        block(f"ours {kind}: one epoch vs sentence length, same words (time per sentence grows ^{sl['growth_exponent_per_sentence']:.2f})",
              ('words per sentence', 'sentences', 'seconds', 'words/s'),
              [(str(x['length']), str(x['sentences']), f"{x['seconds']:.1f}", f"{x['words_per_s']:.0f}") for x in sl['rows']])
    t = r['raw_text']
    block(f"ner-study predict on raw text ({t['model']}; every figure includes the command's start-up of "
          f"{t['startup_seconds']:.1f} s and {t['startup_peak_mib']:.0f} MiB)", ('characters, layout', 'words', 'seconds', 'words/s', 'peak MiB'),
          [(f"{x['characters']:,}, {x['layout']}", f"{x['words']:,}", f"{x['seconds']:.1f}", f"{x['words_per_s']:,.0f}", f"{x['peak_mib']:,.0f}")
           for x in t['rows']])
    block('... beside a training of our BERT tagger (both cores busy): the default thread choice vs one thread per core',
          ('characters, layout, threads', 'seconds', 'words/s', 'x idle time', 'peak MiB'),
          [(f"{x['characters']:,}, {x['layout']}, {x['threads']}", f"{x['seconds']:.1f}", f"{x['words_per_s']:,.0f}",
            f"{x['slowdown']:.1f}x", f"{x['peak_mib']:,.0f}") for x in t['busy']])
    lines.append('Targets (issues 6 and 12)')
    lines.extend(f"  {'PASS' if t['pass'] else 'MISS'}  {t['target']}: {t['detail']}" for t in r['targets'])
    if r['mode'] == 'quick': lines.append('\n(quick smoke run: tiny subsets, the figures and verdicts mean nothing)')
    if r['busy']: lines.append(f"\nWARNING: other processes used the machine (at the start "
                               f"{r['machine']['at_start']['other_processes_cores'] or 0:.2f} cores, during the run "
                               f"{r['during']['other_processes_cores'] or 0:.2f} cores on average): throughput figures may not be reliable")
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--quick', action='store_true', help='smoke run on tiny subsets (under ~2 minutes)')
    ap.add_argument('--out', default=str(REPO / 'bench' / 'results.json'), help='where to write the results (JSON)')
    ap.add_argument('--flair-python', default=str(REPO / '.venv-bench-flair' / 'bin' / 'python'),
                    help="python of the venv with flair (flair needs transformers < 5); '' skips flair")
    ap.add_argument('--spacy-python', default=str(REPO / '.venv-bench-spacy' / 'bin' / 'python'),
                    help="python of the venv with spaCy (bench/install_spacy_venv.sh); '' skips spaCy")
    ap.add_argument('--f1-tolerance', type=float, default=0.0,
                    help='F1 points ours may be below the baseline and still count as "equal" (default 0: strict)')
    ap.add_argument('--threads', type=int, default=0,
                    help="torch threads for every contestant (default 0: torch's default, one per core)")
    ap.add_argument('--flair-worker', metavar='SPEC', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.flair_worker: return flair_worker(a.flair_worker)
    if a.threads: torch.set_num_threads(a.threads)

    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error(); hf_logging.disable_progress_bar()
    import datasets
    datasets.disable_progress_bars()
    from ner_study.corpora import CorpusSpec, load_corpus

    load = MachineLoad(children=True)  # the flair, spaCy and predict workers are the bench's own work
    mode = 'quick' if a.quick else 'full'
    S = SIZES[mode]
    t0 = time.perf_counter()
    r = {'mode': mode, 'sizes': S, 'machine': machine_info()}
    wnut = load_corpus()
    if WIKIANN.exists(): wiki = load_corpus(CorpusSpec(str(WIKIANN)))
    else:
        log(f'{WIKIANN} not found: throughput and scaling use W-NUT 2016 instead')
        wiki = wnut
    r['corpora'] = {'quality': repr(wnut), 'throughput': repr(wiki)}
    r['bert'] = compare_bert(wnut, wiki, S)
    with tempfile.TemporaryDirectory(prefix='ner-bench-model-') as d:
        r['lstm'] = compare_lstm(wnut, wiki, S, a.flair_python or None, save_to=Path(d) / 'lstm')
        compare_spacy(r['lstm'], wiki, S, a.spacy_python or None)
        r['raw_text'] = raw_text(wnut, Path(d) / 'lstm', S)
    r['scaling'] = scaling(wiki, S, r['bert']['scale_point'], r['lstm']['scale_point'])
    r['targets'] = targets(r['bert'], r['lstm'], a.f1_tolerance, r['raw_text'])
    r['load_average_at_end'] = os.getloadavg()
    # the benchmark itself keeps one thread per core busy, so the load at the end is about the core count even on an
    # idle machine; only the load before it started says whether other work was competing
    # busy: other processes used half a core or more in the second before the start or on average during the run
    r['during'] = load.stop()
    r['busy'] = r['machine']['at_start']['busy'] or r['during']['busy']
    r['wall_seconds'] = time.perf_counter() - t0
    r['report'] = report(r)
    write_json_atomic(Path(a.out), r)
    print(r['report'])
    print(f"\nwall time {r['wall_seconds']:.0f} s; results written to {a.out}")


if __name__ == '__main__':
    main()
