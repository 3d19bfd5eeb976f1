"""The BERT training pair of bench.py alone, with more rounds: ours vs the HF Trainer with group_by_length.
Usage: .venv-bench/bin/python bench/pair.py [--rounds 4] [--sentences 2000] [--corpus WikiANN-en|'W-NUT 2017']
Same setup as bench/run.sh (same functions: warm-up, then the two alternate, on WikiANN-en and ../shared/data/wnut17);
prints every round's sentences/s, the ratio of the best and of the median runs, and the share of the float32
matmul peak (measured before the first run and after each, as the bench does). On a 2-core VM whose speed drifts
by 10-20 % over minutes, more rounds say more than the full bench's three. (Not part of bench/run.sh.)"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402
from ner_study.corpora import CorpusSpec, load_corpus  # noqa: E402
from ner_study.learner import MachineLoad  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rounds', type=int, default=4)
    ap.add_argument('--sentences', type=int, default=2000)
    ap.add_argument('--corpus', choices=['WikiANN-en', 'W-NUT 2017'], help='only this corpus (default: both)')
    ap.add_argument('--lstm-spacy', action='store_true', help="instead: our BiLSTM-CRF's training throughput against spaCy's "
                    '(WikiANN-en, 10,000 sentences, 1 epoch; spaCy in its venv, as the bench runs it), alternating')
    a = ap.parse_args()
    hf_logging.set_verbosity_error(); hf_logging.disable_progress_bar()
    load = MachineLoad(children=True)
    if a.lstm_spacy: lstm_spacy(a.rounds)
    else: bert_pairs(a.rounds, a.sentences, a.corpus)
    m = load.stop()
    print(f"other processes used {m['other_processes_cores']:.2f} cores on average during the run ({m['wall_seconds']:.0f} s)")


def bert_pairs(rounds: int, sentences: int, only: str | None):
    "Ours vs the HF Trainer with group_by_length, alternating, on WikiANN-en and W-NUT 2017 (or `only` one of them)."
    for name, folder in (('WikiANN-en', bench.WIKIANN), ('W-NUT 2017', bench.WNUT17)):
        if only and name != only: continue
        corpus = load_corpus(CorpusSpec(str(folder)))
        bench.warm_up('bert', corpus, hf=True)
        r = bench.throughput_pair(corpus.train[:sentences], corpus.labels, name, rounds=rounds)
        ours, hf = (r[k]['all_seconds'] for k in ('ours', 'hf_trainer_group_by_length'))
        print(f'{name}: ours ' + ' '.join(f'{sentences / s:.1f}' for s in ours) + ' sent/s; HF group_by_length '
              + ' '.join(f'{sentences / s:.1f}' for s in hf) + ' sent/s (rounds in order)')
        print(f'  ours / HF: best {min(hf) / min(ours):.2f}x, median {statistics.median(hf) / statistics.median(ours):.2f}x')
        peaks = r['ours']['pair_peaks']
        bench.utilisation(r, corpus.train[:sentences], corpus.labels, {'float32': max(peaks)})
        print(f'  float32 mm peak before the first run and after each: ' + ' '.join(f'{p / 1e9:.0f}' for p in peaks) + ' GFLOP/s')
        print('  share of the peak around the best run: ' + ', '.join(
            f"{k} {r[k]['share_of_peak']:.0%} (of the highest {r[k]['share_of_highest_peak']:.0%})" for k in ('ours', 'hf_trainer_group_by_length')))


def lstm_spacy(rounds: int):
    "Our BiLSTM-CRF and spaCy's NER, training sentences/s over one epoch, alternating: the bench's own `compare_spacy` pair."
    wiki = load_corpus(CorpusSpec(str(bench.WIKIANN)))
    bench.warm_up('lstm', wiki)
    res = {'quality': {}, 'train_tp': {}, 'infer': {}}
    bench.compare_spacy(res, wiki, bench.SIZES['full'], str(bench.REPO / '.venv-bench-spacy' / 'bin' / 'python'), rounds)
    if 'train_tp_pair_spacy' not in res: sys.exit(f"spaCy: {res['spacy']}")  # skipped (no venv) or its error
    ours, spacy = (res['train_tp_pair_spacy'][k]['all_seconds'] for k in ('ours', 'spacy'))
    n = bench.SIZES['full']['lstm_tp_train']
    print(f'BiLSTM-CRF training, WikiANN-en {n} sentences: ours ' + ' '.join(f'{n / x:.0f}' for x in ours)
          + ' sent/s; spaCy ' + ' '.join(f'{n / x:.0f}' for x in spacy) + ' sent/s (rounds in order)')
    print(f'  ours / spaCy: best {min(spacy) / min(ours):.2f}x, median {statistics.median(spacy) / statistics.median(ours):.2f}x')


if __name__ == '__main__':
    main()
