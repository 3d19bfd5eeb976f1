"""Speed and quality of ner-study's taggers against what users would otherwise run, on the same data and machine.

    bench/run.sh                          # the full run (installs the benchmark venvs on first use): bench/results.json
    bench/run.sh --quick                  # a smoke run on tiny subsets (its figures mean nothing) bench/run.sh --suite
    bert             # one suite: bert, lstm (with flair and spaCy), text bench/run.sh --pair bert --rounds 5   # the
    BERT training pair vs the HF Trainer with group_by_length alone, more rounds bench/run.sh --pair lstm-spacy        #
    our BiLSTM-CRF's training vs spaCy's alone, alternating

The suites and how each is measured: bench/README.md. Shared helpers: measure.py; targets and report: report.py.
"""
from __future__ import annotations

import argparse
import os
import statistics
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

from hf_recipe import HfRecipe, hf_predict_tags, pipeline_tags, run_pipeline  # noqa: E402
from measure import (BERT_TRAIN, EVAL_BATCH, LSTM_TRAIN, REPO, SIZES, WIKIANN, WNUT17, best_runs,  # noqa: E402
                     log, machine_info, matmul_peak, matmul_share, n_words, predict_ours, run_worker,
                     train_ours, utilisation, warm_up, worker_spec)
from report import pair_ratio, report, targets  # noqa: E402
from ner_study.files import write_json_atomic  # noqa: E402
from ner_study.machine import MachineLoad  # noqa: E402


# ------------------------------------------------------------------------------------------------------------ BERT
def throughput_pair(tp, labels, corpus_name: str, rounds: int = 3) -> dict:
    """Training sentences/s over one epoch of `tp`: ours and the HF Trainer with group_by_length, alternating, the best
    of `rounds` each. The float32 matmul peak is measured before the first run and after every run: each run's
    utilisation is taken against the mean of the peaks just before and just after it (the VM's speed drifts over
    minutes, so a peak measured at another moment would misstate it either way)."""
    dev_small = tp[:32]
    runs = {'ours': [], 'hf_trainer_group_by_length': []}
    peaks, around = [matmul_peak(torch.float32)], {k: [] for k in runs}
    for r in range(rounds):
        for name in runs:
            log(f'[bert] training throughput, {corpus_name} {len(tp)} sentences, 1 epoch, round {r + 1}/{rounds}: '
                f'{name}')
            runs[name].append(train_ours('bert', tp, dev_small, labels, 1, BERT_TRAIN)[1] if name == 'ours'
                              else HfRecipe(labels).train(tp, 1, 'group_by_length'))
            peaks.append(matmul_peak(torch.float32))
            around[name].append((peaks[-2] + peaks[-1]) / 2)
    out = best_runs(runs, len(tp), around)
    out['ours']['pair_peaks'] = peaks  # in the order measured (kept once, with ours)
    return out


def compare_bert(wnut, wiki, S) -> dict:
    "Ours vs HF Trainer (training speed and F1) and vs the pipeline (inference speed)."
    from ner_study.machine import native_bf16
    from ner_study.metrics import evaluate_tags
    res = {'settings': {**BERT_TRAIN, 'epochs_quality': S['bert_epochs'], 'epochs_throughput': 1,
                        'throughput_train_sentences': len(wiki.train[:S['bert_tp_train']]),
                        'quality_train_sentences': len(wnut.train[:S['bert_quality_train'] or None]),
                        'infer_sentences': len(wiki.test[:S['bert_infer']]), 'eval_batch_size': EVAL_BATCH}}
    warm_up('bert', wiki); HfRecipe(wiki.labels).train(wiki.train[:32], 1)  # both sides' one-time costs, untimed
    # --- training throughput on WikiANN, one epoch
    tp = wiki.train[:S['bert_tp_train']]
    # ours and the HF Trainer with group_by_length (its fastest float32 configuration) alternate, three times each, and
    # the fastest of each counts: a 2-core VM's speed drifts by ~10 % over minutes (a timed torch.mm loop here varies
    # 150-190 GFLOP/s), and alternating keeps a slow spell from landing on one contestant only
    res['train_tp'] = throughput_pair(tp, wiki.labels, 'WikiANN')
    log('[bert] training throughput: hf_trainer (its default random sampling)')
    secs = HfRecipe(wiki.labels).train(tp, 1)
    res['train_tp']['hf_trainer'] = {'seconds': secs, 'sentences_per_s': len(tp) / secs}
    peak = {'float32': matmul_peak(torch.float32)}
    res['utilisation'] = utilisation(res['train_tp'], tp, wiki.labels, peak)
    log(f"[bert] where a step's time goes: {S['bert_profile']} WikiANN sentences under torch.profiler")
    res['matmul'] = matmul_share(tp[:S['bert_profile']], wiki.labels, peak['float32'])
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
    res['quality'] = {'ours': {'test_f1': evaluate_tags(gold, ours_pred).f1, 'train_seconds': secs,
                               'sentences_per_s': len(qtrain) * S['bert_epochs'] / secs}}
    # then prediction under bfloat16 autocast too (`predict_tags(bf16=True)`): its F1 and speed
    bf16 = native_bf16(ours.device.type)
    if bf16: res['quality']['ours (bf16 prediction)'] = {'test_f1': evaluate_tags(gold,
                                                                                  predict_ours(ours,
                                                                                               [s.tokens
                                                                                                for s in wnut.test],
                                                                                               True)[0]).f1}
    log('[bert] quality: hf_trainer')
    hf = HfRecipe(wnut.labels)
    secs = hf.train(qtrain, S['bert_epochs'])
    res['quality']['hf_trainer'] = {'test_f1': evaluate_tags(gold, hf_predict_tags(hf, wnut.test)).f1,
                                    'train_seconds': secs,
                                    'sentences_per_s': len(qtrain) * S['bert_epochs'] / secs}

    # --- inference on WikiANN test sentences (the W-NUT models; speed does not depend on the weights)
    sents = [s.tokens for s in wiki.test[:S['bert_infer']]]
    log(f'[bert] inference: {len(sents)} WikiANN test sentences, {n_words(sents)} words')
    _, secs = predict_ours(ours, sents)
    res['infer'] = {'ours': {'seconds': secs, 'words_per_s': n_words(sents) / secs}}
    if bf16:
        _, secs = predict_ours(ours, sents, True)
        res['infer']['ours_bf16'] = {'seconds': secs, 'words_per_s': n_words(sents) / secs}
    pipe = hf.pipeline()
    _, secs = run_pipeline(pipe, sents)
    res['infer']['pipeline'] = {'seconds': secs, 'words_per_s': n_words(sents) / secs, 'batch_size': EVAL_BATCH,
                                'aggregation_strategy': 'first'}
    # sanity: the pipeline's word tags score like the HF model it wraps
    outs, _ = run_pipeline(pipe, [s.tokens for s in wnut.test])
    res['quality']['pipeline (check)'] = {'test_f1': evaluate_tags(gold,
                                                                   pipeline_tags(outs,
                                                                                 [s.tokens for s in wnut.test])).f1}
    return res


# ------------------------------------------------------------------------------------------------------ BiLSTM-CRF
def compare_lstm(wnut, wiki, S, flair_python: str | None, save_to: Path | None = None) -> dict:
    "Our BiLSTM-CRF vs flair's SequenceTagger: training and inference speed on WikiANN, F1 on W-NUT 2016."
    from ner_study.lstm import LstmConfig
    from ner_study.metrics import evaluate_tags
    lc = LstmConfig()
    res = {'settings': {**LSTM_TRAIN, 'epochs_quality': S['lstm_epochs'], 'epochs_throughput': 1,
                        'hidden_per_direction': lc.hidden,
                        'quality_train_sentences': len(wnut.train[:S['lstm_quality_train'] or None]),
                        'word_dim': lc.word_dim, 'throughput_train_sentences': len(wiki.train[:S['lstm_tp_train']]),
                        'infer_sentences': len(wiki.test[:S['lstm_infer']]), 'eval_batch_size': EVAL_BATCH}}
    tp = wiki.train[:S['lstm_tp_train']]
    warm_up('lstm', wiki)
    log(f'[lstm] training throughput: ours, {len(tp)} WikiANN sentences, 1 epoch')
    tagger, secs = train_ours('lstm', tp, wiki.dev[:32], wiki.labels, 1, LSTM_TRAIN)
    res['train_tp'] = {'ours': {'seconds': secs, 'sentences_per_s': len(tp) / secs}}
    test = [s.tokens for s in wiki.test[:S['lstm_infer']]]
    _, secs = predict_ours(tagger, test)
    res['infer'] = {'ours': {'seconds': secs, 'words_per_s': n_words(test) / secs}}
    qtrain = wnut.train[:S['lstm_quality_train'] or None]
    log(f"[lstm] quality: ours, W-NUT 2016, {len(qtrain)} sentences, {S['lstm_epochs']} epochs")
    tagger, secs = train_ours('lstm', qtrain, wnut.dev, wnut.labels, S['lstm_epochs'], LSTM_TRAIN)
    pred, _ = predict_ours(tagger, [s.tokens for s in wnut.test])
    if save_to:  # the raw-text measurements below predict with this model
        from ner_study.files import save_tagger
        save_tagger(tagger, save_to)
    res['quality'] = {'ours': {'test_f1': evaluate_tags([s.tags for s in wnut.test], pred).f1, 'train_seconds': secs,
                               'sentences_per_s': len(qtrain) * S['lstm_epochs'] / secs,
                               'parameters': tagger.n_trainable()}}
    if not flair_python or not Path(flair_python).exists():
        res['flair'] = {'skipped': f'no flair interpreter at {flair_python}'}
        return res
    log('[lstm] flair (subprocess in its own venv): quality, training throughput, inference')
    fl = run_worker([flair_python, str(REPO / 'bench' / 'flair_worker.py')], {
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
    """spaCy's NER (CPU efficiency config, its own loop and optimizer) beside our BiLSTM-CRF: same data, batch size,
    epochs. The training throughput is also measured as a pair, like BERT's: ours and spaCy alternate `rounds` times
    (spaCy's first worker also measures quality and inference, the later ones only the throughput) and the best of each
    counts."""
    if not spacy_python or not Path(spacy_python).exists():
        lstm['spacy'] = {'skipped': f'no spaCy interpreter at {spacy_python}'}
        return
    tp = wiki.train[:S['lstm_tp_train']]
    pair = {'ours': [], 'spacy': []}
    for r in range(rounds):
        log(f'[lstm] training throughput vs spaCy, {len(tp)} WikiANN sentences, 1 epoch, round {r + 1}/{rounds}: ours')
        pair['ours'].append(train_ours('lstm', tp, wiki.dev[:32], wiki.labels, 1, LSTM_TRAIN)[1])
        log(f'[lstm] ... round {r + 1}/{rounds}: spaCy (subprocess in its own venv' + ('): quality, training '
                                                                                       'throughput, inference'
                                                                                       if r == 0
                                                                                       else '): training throughput'))
        sp = run_worker([spacy_python, str(REPO / 'bench' / 'spacy_worker.py')],
                        {**worker_spec(wiki, S), 'throughput_only': r > 0})
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


# ------------------------------------------------------------------------------------------------------ raw text
def run_predict(checkpoint: Path, path: Path, *extra: str) -> tuple[float, float]:
    """Run `ner-study predict` on a file as a user would; returns (wall seconds, peak resident memory of that process in
    MiB)."""
    # the peak is the process's own high-water mark (VmHWM), read while it runs: getrusage's ru_maxrss of a child would
    # start from this (large) benchmark process's, which it inherits at fork
    # stderr goes to a file, not a pipe: nobody reads a pipe while this loop polls, and a full one would block the child
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, '-m', 'ner_study.cli', *extra, 'predict', str(checkpoint), '--file',
                                 str(path)],
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
    """`ner-study predict` (BiLSTM-CRF) on raw text of growing size, one line and one sentence per line: words/s and
    peak memory; then on the middle size beside a training of our BERT tagger, with predict's default thread choice
    ('auto': the cores other processes leave free) and with one thread per core (torch's default)."""
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
                res['rows'].append({'characters': size, 'layout': layout, 'words': files[size, layout][1],
                                    'seconds': secs,
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
                                        'words_per_s': words / secs, 'slowdown': secs / idle['seconds'],
                                        'peak_mib': mib})
        finally:
            trainer.kill(); trainer.wait()
    return res


# ----------------------------------------------------------------------------------------------- a pair alone
def pair_only(which: str, rounds: int, sentences: int, corpus: str | None) -> dict:
    """One alternating pair, more rounds than the full run's three: the BERT pair on WikiANN-en and W-NUT 2017 (or
    `corpus`), or ours vs spaCy."""
    from ner_study.corpora import CorpusSpec, load_corpus
    out = {}
    if which == 'lstm-spacy':
        wiki = load_corpus(CorpusSpec(str(WIKIANN)))
        warm_up('lstm', wiki)
        lstm = {'quality': {}, 'train_tp': {}, 'infer': {}}
        compare_spacy(lstm, wiki, SIZES['full'], str(REPO / '.venv-bench-spacy' / 'bin' / 'python'), rounds)
        if 'train_tp_pair_spacy' not in lstm: sys.exit(f"spaCy: {lstm['spacy']}")
        out['lstm_spacy'] = lstm['train_tp_pair_spacy']
        p = out['lstm_spacy']
        print("BiLSTM-CRF training: ours / spaCy median "
              f"{statistics.median(p['spacy']['all_seconds']) / statistics.median(p['ours']['all_seconds']):.2f}x, "
              f"best {p['spacy']['seconds'] / p['ours']['seconds']:.2f}x (seconds: ours {p['ours']['all_seconds']}, "
              f"spaCy {p['spacy']['all_seconds']})")
        return out
    for name, folder in (('WikiANN-en', WIKIANN), ('W-NUT 2017', WNUT17)):
        if corpus and name != corpus: continue
        data = load_corpus(CorpusSpec(str(folder)))
        warm_up('bert', data); HfRecipe(data.labels).train(data.train[:32], 1)
        tp = data.train[:sentences]
        r = throughput_pair(tp, data.labels, name, rounds)
        utilisation(r, tp, data.labels, {'float32': max(r['ours']['pair_peaks'])})
        out[name] = r
        print(f"{name}: ours / HF group_by_length median {pair_ratio(r):.2f}x, best "
              f"{r['ours']['sentences_per_s'] / r['hf_trainer_group_by_length']['sentences_per_s']:.2f}x; "
              "sentences/s ours "
              + ' '.join(f'{sentences / s:.1f}' for s in r['ours']['all_seconds']) + ', HF '
              + ' '.join(f'{sentences / s:.1f}' for s in r['hf_trainer_group_by_length']['all_seconds'])
              + f"; share of the peak around the best run: ours {r['ours']['share_of_peak']:.0%}, HF "
                f"{r['hf_trainer_group_by_length']['share_of_peak']:.0%}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--quick', action='store_true', help='smoke run on tiny subsets (under ~2 minutes)')
    ap.add_argument('--suite', choices=['all', 'bert', 'lstm', 'text'], default='all',
                    help='one part of the benchmark (default: all)')
    ap.add_argument('--pair', choices=['bert', 'lstm-spacy'],
                    help='one alternating pair alone (results not written to results.json)')
    ap.add_argument('--rounds', type=int, default=4, help='with --pair: rounds of each contestant (default 4)')
    ap.add_argument('--sentences', type=int, default=2000, help='with --pair bert: training sentences (default 2000)')
    ap.add_argument('--corpus', choices=['WikiANN-en', 'W-NUT 2017'],
                    help='with --pair bert: one corpus only (default: both)')
    ap.add_argument('--out',
                    help='where to write the results (default: bench/results.json for the full run, none otherwise)')
    ap.add_argument('--flair-python', default=str(REPO / '.venv-bench-flair' / 'bin' / 'python'),
                    help="python of the venv with flair (flair needs transformers < 5); '' skips flair")
    ap.add_argument('--spacy-python', default=str(REPO / '.venv-bench-spacy' / 'bin' / 'python'),
                    help="python of the venv with spaCy (run.sh makes it); '' skips spaCy")
    ap.add_argument('--f1-tolerance', type=float, default=0.0,
                    help='F1 points ours may be below the baseline and still count as "equal" (default 0: strict)')
    ap.add_argument('--threads', type=int, default=0,
                    help="torch threads for every contestant (default 0: torch's default, one per core)")
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error(); hf_logging.disable_progress_bar()
    import datasets
    datasets.disable_progress_bars()
    from ner_study.corpora import CorpusSpec, load_corpus

    load = MachineLoad(children=True)  # the flair, spaCy and predict workers are the bench's own work
    if a.pair:
        pair_only(a.pair, a.rounds, a.sentences, a.corpus)
        m = load.stop()
        print(f"other processes used {m['other_processes_cores']:.2f} cores on average during the run "
              f"({m['wall_seconds']:.0f} s)")
        return
    mode = 'quick' if a.quick else 'full'
    S = SIZES[mode]
    t0 = time.perf_counter()
    r = {'mode': mode, 'suite': a.suite, 'sizes': S, 'machine': machine_info(), 'f1_tolerance': a.f1_tolerance}
    wnut = load_corpus()
    if WIKIANN.exists(): wiki = load_corpus(CorpusSpec(str(WIKIANN)))
    else:
        log(f'{WIKIANN} not found: throughput and scaling use W-NUT 2016 instead')
        wiki = wnut
    r['corpora'] = {'quality': repr(wnut), 'throughput': repr(wiki)}
    run = lambda suite: a.suite in ('all', suite)
    if run('bert'): r['bert'] = compare_bert(wnut, wiki, S)
    with tempfile.TemporaryDirectory(prefix='ner-bench-model-') as d:
        if run('lstm') or run('text'):
            r['lstm'] = compare_lstm(wnut, wiki, S, (a.flair_python or None) if run('lstm') else None,
                                     save_to=Path(d) / 'lstm')
        if run('lstm'): compare_spacy(r['lstm'], wiki, S, a.spacy_python or None)
        if run('text'): r['raw_text'] = raw_text(wnut, Path(d) / 'lstm', S)
    r['load_average_at_end'] = os.getloadavg()
    # busy: other processes used half a core or more in the second before the start or on average during the run (the
    # bench itself keeps the cores busy, so only the other processes' share says whether work was competing)
    r['during'] = load.stop()
    r['busy'] = r['machine']['at_start']['busy'] or r['during']['busy']
    r['wall_seconds'] = time.perf_counter() - t0
    out = a.out or (str(REPO / 'bench' / 'results.json') if a.suite == 'all' and not a.quick else None)
    if a.suite == 'all':
        r['targets'] = targets(r['bert'], r['lstm'], a.f1_tolerance, r['raw_text'])
        r['report'] = report(r)
        print(r['report'])
    if out: write_json_atomic(Path(out), r)
    print(f"\nwall time {r['wall_seconds']:.0f} s" + (f'; results written to {out}' if out else ''))


if __name__ == '__main__':
    main()
