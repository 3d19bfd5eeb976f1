"""What every part of the benchmark shares: the sizes and settings of the runs, our own taggers as a contestant, the
machine's matrix-multiply peak and how much of it a training reaches, and running a peer in its own venv."""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
WIKIANN = REPO.parent / 'shared' / 'data' / 'wikiann-en'
WNUT17 = REPO.parent / 'shared' / 'data' / 'wnut17'

# sizes of the full run and of the --quick smoke run; throughput runs train one epoch on a subset
SIZES = {
    'full': dict(bert_epochs=2, bert_quality_train=0, lstm_quality_train=0, bert_tp_train=2000, bert_tp_wnut17=2000,
                 bert_infer=2000,
                 bert_profile=300, lstm_epochs=10, lstm_tp_train=10000, lstm_infer=10000,
                 text_sizes=[100_000, 1_000_000, 10_000_000], busy_warmup_seconds=30),
    'quick': dict(bert_epochs=1, bert_quality_train=32, lstm_quality_train=300, bert_tp_train=32, bert_tp_wnut17=32,
                  bert_infer=64,
                  bert_profile=16, lstm_epochs=1, lstm_tp_train=500, lstm_infer=500,
                  text_sizes=[10_000, 30_000, 100_000], busy_warmup_seconds=20),
}
BERT_TRAIN = dict(batch_size=16, lr=1e-4, weight_decay=0.01, warmup_ratio=0.1, max_grad_norm=1.0)
LSTM_TRAIN = dict(batch_size=16, lr=2e-3, weight_decay=0.0, warmup_ratio=0.0, max_grad_norm=5.0)
EVAL_BATCH = 64
SEED = 42
T0 = time.perf_counter()


def log(*a):
    print(f'{time.perf_counter() - T0:6.0f}s', *a, file=sys.stderr, flush=True)


def n_words(sents) -> int:
    return sum(len(s) for s in sents)



def versions(*names) -> dict:
    from importlib.metadata import PackageNotFoundError, version
    out = {'python': platform.python_version()}
    for n in names:
        try: out[n] = version(n)
        except PackageNotFoundError: out[n] = None
    return out


def machine_info() -> dict:
    from ner_study.machine import cpu_identity, sample_load
    return {'cpu': cpu_identity()['name'], 'cores': os.cpu_count(), 'torch_threads': torch.get_num_threads(),
            'platform': platform.platform(), 'cuda': torch.cuda.get_device_name(0) if torch.cuda.is_available()
            else None,
            'load_average_at_start': os.getloadavg(), 'at_start': sample_load(1.0),
            'versions': versions('torch', 'transformers', 'accelerate', 'datasets', 'tokenizers', 'seqeval',
                                 'ner-study')}


def best_runs(runs: dict, sentences: int, peaks: dict | None = None) -> dict:
    """Per contestant of a pair, its fastest and its median run of `sentences` sentences beside all its runs' seconds;
    with `peaks` (per contestant, the float32 matmul peak measured around each run), the peak around the fastest run."""
    out = {k: {'seconds': min(v), 'sentences_per_s': sentences / min(v), 'median_seconds': statistics.median(v),
               'median_sentences_per_s': sentences / statistics.median(v), 'all_seconds': v} for k, v in runs.items()}
    for k, around in (peaks or {}).items():
        out[k].update(peak_around=around[runs[k].index(min(runs[k]))], all_peaks_around=around)
    return out


# ------------------------------------------------------------------------------------------------ our taggers
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


def predict_ours(tagger, sents, bf16: bool = False):
    "Our predictions for tokenised sentences and their seconds (`bf16`: under bfloat16 autocast)."
    from ner_study.evaluation import predict_tags
    predict_tags(tagger, sents[:8], EVAL_BATCH, bf16=bf16)  # warm-up
    t0 = time.perf_counter()
    pred = predict_tags(tagger, sents, EVAL_BATCH, bf16=bf16)
    return pred, time.perf_counter() - t0


def warm_up(kind: str, corpus):
    """A tiny untimed training run, so no contestant pays the one-time costs of the first call (kernels, allocator,
    imports)."""
    train_ours(kind, corpus.train[:32], corpus.dev[:8], corpus.labels, 1, BERT_TRAIN if kind == 'bert' else LSTM_TRAIN)


# ------------------------------------------------------------------------------------------------ the machine's limit
def matmul_peak(dtype=torch.float32, n: int = 4096, repeats: int = 5) -> float:
    """The machine's own matrix-multiply rate (FLOP/s): best of `repeats` timed n×n `torch.mm`s, same threads as the
    contestants."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.mm(a, b)  # warm-up
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter(); torch.mm(a, b); best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best


def piece_counts(sentences, max_length: int = 256) -> list[int]:
    """Word pieces of each sentence as the encoder sees it ([CLS] and [SEP] included, cut at max_length like the HF
    recipe)."""
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
    # Q, K, V, output; the two FFN layers; the head
    linear_per_piece = layers * (4 * h * h + 2 * h * i) + h * num_labels
    forward = sum(2 * linear_per_piece * n + layers * 4 * n * n * h for n in pieces)
    return 3.0 * forward


def utilisation(train_tp: dict, tp, labels, peak: dict) -> dict:
    """The training FLOPs of these sentences (real word pieces) per second of each contestant, against the matmul peak:
    the peak measured around the run where the pair measured one (`share_of_peak`), else `peak` (measured once); for the
    pair also against the highest peak the pair measured (`share_of_highest_peak`, the most conservative reading)."""
    flops = bert_training_flops(piece_counts(tp), len(labels))
    pair_peaks = train_tp['ours'].get('pair_peaks')
    highest = max(pair_peaks) if pair_peaks else None
    for name, v in train_tp.items():
        v['flops_per_s'] = flops / v['seconds']
        v['share_of_peak'] = v['flops_per_s'] / v.get('peak_around', peak['float32'])
        if 'peak_around' in v: v['share_of_highest_peak'] = v['flops_per_s'] / highest
    return {'training_flops_per_epoch': flops, 'peak_flops_per_s': peak, 'threads': torch.get_num_threads(),
            **({'pair_peaks': pair_peaks} if pair_peaks else {})}


def matmul_share(train, labels, peak: float) -> dict:
    """Where our BERT training's time goes, from `torch.profiler` over one epoch of `train`: the share of the operators'
    time in matrix products (mm, addmm, bmm) and their own rate against the float32 matmul `peak` — what is left to gain
    in the products themselves, beside the whole step's share of the peak."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        train_ours('bert', train, train[:8], labels, 1, BERT_TRAIN)
    events = prof.key_averages()
    products = [e for e in events if e.key in ('aten::mm', 'aten::addmm', 'aten::bmm')]
    seconds = sum(e.self_cpu_time_total for e in products) / 1e6
    flops = sum(e.flops for e in products)
    total = sum(e.self_cpu_time_total for e in events) / 1e6
    return {'sentences': len(train), 'matmul_seconds': seconds, 'operator_seconds': total,
            'matmul_share_of_operators': seconds / total,
            'matmul_flops': flops, 'matmul_flops_per_s': flops / seconds,
            'matmul_share_of_peak': flops / seconds / peak}


# ------------------------------------------------------------------------------------------------ peers in their venvs
def worker_spec(wiki, S) -> dict:
    """What every BiLSTM-CRF peer in its own venv (flair, spaCy) is given: the same data, seed, epochs, batches and
    threads."""
    return {'seed': SEED, 'epochs': S['lstm_epochs'], 'quality_train': S['lstm_quality_train'],
            'wikiann': str(WIKIANN) if wiki.name != 'wnut16' else '', 'tp_train': S['lstm_tp_train'],
            'infer': S['lstm_infer'],
            'batch_size': LSTM_TRAIN['batch_size'], 'eval_batch_size': EVAL_BATCH, 'threads': torch.get_num_threads()}


def run_worker(command: list[str], spec: dict) -> dict:
    "Run a peer's worker in its own venv: `command SPEC.json`; its results (JSON), or {'error': the end of its stderr}."
    with tempfile.TemporaryDirectory(prefix='ner-bench-') as d:
        spec = {**spec, 'out': str(Path(d) / 'out.json')}
        (Path(d) / 'spec.json').write_text(json.dumps(spec))
        proc = subprocess.run([*command, str(Path(d) / 'spec.json')], cwd=REPO, capture_output=True, text=True)
        if proc.returncode:
            log(proc.stderr[-3000:])
            return {'error': proc.stderr[-3000:]}
        return json.loads(Path(spec['out']).read_text())
