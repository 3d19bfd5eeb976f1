"""The benchmark's targets and its printed report, both made from bench/results.json (what bench.py writes).

    .venv-bench/bin/python bench/report.py [bench/results.json]   # the report of a finished run again:
    bench/README.md's table
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def targets(bert: dict, lstm: dict, tol: float, text: dict | None = None) -> list[dict]:
    "The benchmark's targets (bench/README.md), each with the measured figures and PASS/MISS."
    out = []
    def add(name, ok, detail): out.append({'target': name, 'pass': bool(ok), 'detail': detail})
    fh = bert['quality']['hf_trainer']['test_f1']
    tr = bert['train_tp']['ours']['sentences_per_s'] / bert['train_tp']['hf_trainer']['sentences_per_s']
    fo = bert['quality']['ours']['test_f1']
    add('BERT training >= 1.3x HF Trainer at >= F1 (float32, as the recipe)', tr >= 1.3 and fo >= fh - tol,
        f'speed ratio {tr:.2f}x, F1 ours {fo:.4f} vs HF {fh:.4f} ({fo - fh:+.4f})')
    # the pair against the HF Trainer with group_by_length, read from the median of the alternating rounds: float32
    # eager training on 2 cores is at its limit (the matrix products near the machine's peak), so the decision is >=
    # 1.2x on every corpus and >= 1.3x on at least one
    medians = {}
    for key, corpus in (('train_tp', 'WikiANN-en'), ('train_tp_wnut17', 'W-NUT 2017')):
        if key in bert: medians[corpus] = pair_ratio(bert[key])
    detail = '; '.join(f"{c} {m:.2f}x (median of {len(bert[k]['ours']['all_seconds'])} alternating runs each)"
                       for (k, c), m in
                       zip([(k, c) for k, c in (('train_tp', 'WikiANN-en'), ('train_tp_wnut17', 'W-NUT 2017'))
                            if k in bert], medians.values()))
    missing = [c for c in ('WikiANN-en', 'W-NUT 2017') if c not in medians]
    add('BERT training >= 1.2x HF Trainer with group_by_length on every corpus (median ratio, float32)',
        not missing and min(medians.values()) >= 1.2,
        detail + (f"; not measured: {', '.join(missing)}" if missing else ''))
    add('BERT training >= 1.3x HF Trainer with group_by_length on at least one corpus (median ratio, float32)',
        bool(medians) and max(medians.values()) >= 1.3, detail)
    ir = bert['infer']['ours']['words_per_s'] / bert['infer']['pipeline']['words_per_s']
    add('BERT inference >= 2x pipeline words/s', ir >= 2.0,
        f"ratio {ir:.2f}x (float32, as the pipeline"
        + ("; with bf16 prediction "
           f"{bert['infer']['ours_bf16']['words_per_s'] / bert['infer']['pipeline']['words_per_s']:.2f}x)"
           if 'ours_bf16' in bert['infer'] else ')'))
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
            f"speed ratio {t:.2f}x ({pair['ours']['sentences_per_s']:.0f} vs {pair['spacy']['sentences_per_s']:.0f} "
            f"sent/s, best of {len(pair['ours']['all_seconds'])} alternating runs each); F1 ours {fo:.4f} "
            f"vs spaCy {fs:.4f} ({fo - fs:+.4f})")
        add('BiLSTM-CRF inference >= spaCy', i >= 1.0, f'ratio {i:.2f}x')
    else:
        add('BiLSTM-CRF vs spaCy', False, f"spaCy not measured: {lstm.get('spacy')}")
    if text:
        for layout in ('one line', 'many lines'):
            rows = [x for x in text['rows'] if x['layout'] == layout]
            small, big = rows[-2], rows[-1]
            add(f'raw text, {layout}: {big["characters"]:,} characters in bounded memory (peak <= 1.2x that of '
                f'{small["characters"]:,})',
                big['peak_mib'] <= 1.2 * small['peak_mib'], f"{big['peak_mib']:,.0f} vs {small['peak_mib']:,.0f} MiB")
        worst = max(x['slowdown'] for x in text['busy'] if x['threads'] == 'auto')
        add('raw text beside a training: the default threads at most 2x the idle time', worst <= 2.0,
            f"auto: up to {worst:.1f}x; one thread per core: up to "
            f"{max(x['slowdown'] for x in text['busy'] if x['threads'] != 'auto'):.1f}x")
    return out


def pair_ratio(tp: dict) -> float:
    "Ours over the HF Trainer with group_by_length: the ratio of the two median runs' sentences/s."
    ours, hf = tp['ours'], tp['hf_trainer_group_by_length']
    return statistics.median(hf['all_seconds']) / statistics.median(ours['all_seconds'])


def report(r: dict) -> str:
    """A run's ratios as the markdown table bench/README.md shows, then its targets: what bench.py prints at the end,
    and `report.py` again."""
    b, l, t = r['bert'], r['lstm'], r['raw_text']
    bn, ln = b['settings']['throughput_train_sentences'], l['settings']['throughput_train_sentences']
    rows = [(f'BERT training vs the HF Trainer recipe, WikiANN-en {bn:,} sentences (sentences/s)',
             b['train_tp']['ours']['sentences_per_s'], b['train_tp']['hf_trainer']['sentences_per_s'])]
    for key, corpus in (('train_tp', 'WikiANN-en'), ('train_tp_wnut17', 'W-NUT 2017')):
        if key in b:
            tp = b[key]
            rows.append((f'— vs the HF Trainer with group_by_length, {corpus} (median of '
                         f'{len(tp["ours"]["all_seconds"])} alternating runs)',
                         tp['ours']['median_sentences_per_s'],
                         tp['hf_trainer_group_by_length']['median_sentences_per_s']))
    for ours, how in (('ours', ''), ('ours_bf16', ', ours with bf16 prediction')):
        if ours in b['infer']: rows.append((f'BERT inference vs pipeline("token-classification"), WikiANN-en test{how} '
                                            '(words/s)',
                                            b['infer'][ours]['words_per_s'], b['infer']['pipeline']['words_per_s']))
    for peer in ('flair', 'spacy'):
        if peer in l['quality']:
            tp = l['train_tp_pair_spacy'] if peer == 'spacy' else l['train_tp']
            rows.append((f'BiLSTM-CRF training vs {"spaCy" if peer == "spacy" else peer}, WikiANN-en {ln:,} sentences '
                         '(sentences/s)',
                         tp['ours']['sentences_per_s'], tp[peer]['sentences_per_s']))
            rows.append((f'BiLSTM-CRF inference vs {"spaCy" if peer == "spacy" else peer} (words/s)',
                         l['infer']['ours']['words_per_s'],
                         l['infer'][peer]['words_per_s']))
    lines = ['| comparison | ours | theirs | ours / theirs |', '|---|---|---|---|']
    lines += [f'| {name} | {a:,.0f} | {c:,.0f} | {a / c:.2f}× |' if a >= 1000
              else f'| {name} | {a:.1f} | {c:.1f} | {a / c:.2f}× |'
              for name, a, c in rows]
    q = b['quality']
    lines.append(f"| BERT test F1 on W-NUT 2016 after {b['settings']['epochs_quality']} epochs, vs the HF recipe | "
                 f"{q['ours']['test_f1']:.4f} | "
                 f"{q['hf_trainer']['test_f1']:.4f} | {q['ours']['test_f1'] - q['hf_trainer']['test_f1']:+.4f} |")
    if 'flair' in l['quality'] and 'spacy' in l['quality']:
        lq = l['quality']
        lines.append(f"| BiLSTM-CRF test F1 on W-NUT 2016 after {l['settings']['epochs_quality']} epochs, vs flair / "
                     f"spaCy | {lq['ours']['test_f1']:.4f} | "
                     f"{lq['flair']['test_f1']:.4f} / {lq['spacy']['test_f1']:.4f} | "
                     f"{lq['ours']['test_f1'] - lq['flair']['test_f1']:+.4f} / "
                     f"{lq['ours']['test_f1'] - lq['spacy']['test_f1']:+.4f} |")
    shares = [f"{c}: {b[k]['ours']['share_of_peak']:.0%} (HF {b[k]['hf_trainer_group_by_length']['share_of_peak']:.0%})"
              for k, c in (('train_tp', 'WikiANN-en'), ('train_tp_wnut17', 'W-NUT 2017')) if k in b]
    m = b.get('matmul')
    text = ["Share of the float32 matmul peak measured around the run, ours (the HF Trainer's in brackets): "
            f"{'; '.join(shares)}."
            + (f" The matrix products themselves take {m['matmul_share_of_operators']:.0%} of the operators' time and "
               f"run at {m['matmul_share_of_peak']:.0%} of the peak." if m else ''),
            'Raw text (`ner-study predict`, BiLSTM-CRF): ' + '; '.join(
                f"{x['characters'] / 1e6:g} MB {x['layout']}: {x['words_per_s']:,.0f} words/s, "
                f"{x['peak_mib']:,.0f} MiB" for x in t['rows'])
            + '. Beside a training: ' + '; '.join(
                f"{x['layout']}, threads {x['threads']}: {x['slowdown']:.1f}× the idle time" for x in t['busy']) + '.',
            f"Targets: {sum(x['pass'] for x in r['targets'])} of {len(r['targets'])} pass."]
    text += [f"- {'PASS' if t['pass'] else 'MISS'} {t['target']}: {t['detail']}" for t in r['targets']]
    if r['mode'] == 'quick': text.append('(quick smoke run: tiny subsets, the figures and verdicts mean nothing)')
    if r['busy']: text.append("WARNING: other processes used the machine "
                              f"({r['machine']['at_start']['other_processes_cores'] or 0:.2f} "
                              f"cores at the start, {r['during']['other_processes_cores'] or 0:.2f} on average during "
                              "the run): the throughput figures may not be reliable")
    head = (f"{r['machine']['cpu']}, {r['machine']['cores']} cores, {r['machine']['torch_threads']} torch threads, "
            f"torch {r['machine']['versions']['torch']}, transformers {r['machine']['versions']['transformers']}; "
            f"the run took {r['wall_seconds'] / 60:.0f} min; other processes used "
            f"{r['during']['other_processes_cores'] or 0:.2f} cores on average.")
    return '\n'.join([head, '', *lines, '', *text])


if __name__ == '__main__':
    path = Path(sys.argv[1] if sys.argv[1:] else Path(__file__).with_name('results.json'))
    results = json.loads(path.read_text())
    results['targets'] = targets(results['bert'], results['lstm'], results.get('f1_tolerance', 0.0),
                                 results.get('raw_text'))
    print(report(results))
