"""Precision and numerics across machines: a bfloat16 request on a CPU without native bfloat16 trains in float32 with
one line saying so (the CLI here; the report notebook in test_report.py), never a oneDNN crash; and the reproduction
check's command."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ner_study.machine import native_bf16
from ner_study.metrics import RunMetrics

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, '-m', 'ner_study.cli']
# oneDNN capped at AVX2, as on a CPU without AVX512-BF16 or AMX: on this cap oneDNN has no bfloat16 LSTM primitive
NO_BF16 = {**os.environ, 'ONEDNN_MAX_CPU_ISA': 'AVX2', 'TQDM_DISABLE': '1'}
FALLBACK = 'bfloat16 training and prediction asked for, but it runs in float32 here: '


def test_cli_bf16_falls_back_to_float32_where_bf16_is_not_native(tmp_path, wnut_slice):
    """BERT through the CLI: its training asks for bfloat16, and its prediction takes it wherever native (here it is
    not)."""
    r = subprocess.run(CLI + ['fit', '--model', 'bert', '--bf16', '--epochs', '1', '--max-train-sentences', '32',
                              '--corpus', wnut_slice,
                              '--output-dir', str(tmp_path)], env=NO_BF16, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    lines = [l for l in r.stdout.splitlines() if l.startswith(FALLBACK)]
    assert len(lines) == 1, r.stdout
    (run_dir,) = tmp_path.iterdir()
    metrics = RunMetrics.read(run_dir)
    assert metrics.config['train']['bf16'] and metrics.numerics['bf16'] is False


@pytest.mark.skipif(not native_bf16('cpu'), reason='this CPU has no native bfloat16 (AVX512-BF16 or AMX)')
def test_bf16_trains_in_bfloat16_where_it_is_native(tmp_path, wnut_slice):
    r = subprocess.run(CLI + ['fit', '--model', 'lstm', '--bf16', '--epochs', '1', '--max-train-sentences', '32',
                              '--corpus', wnut_slice,
                              '--output-dir', str(tmp_path)], env={**os.environ, 'TQDM_DISABLE': '1'},
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and FALLBACK not in r.stdout, r.stdout + r.stderr
    metrics = RunMetrics.read(next(tmp_path.glob('*/metrics.json')).parent)
    assert metrics.numerics['bf16'] is True, metrics.numerics


def test_reproduce_names_a_missing_set_or_reference_in_one_line(tmp_path, capsys):
    from ner_study.cli import main  # in this process: the command's error path, without a second start of torch
    reference = tmp_path / 'reference.json'
    reference.write_text(json.dumps({'sets': {'headline': [['lstm', 42]]}}))
    assert main(['reproduce', '--reference', str(reference), '--set', 'everything']) == 2
    err = capsys.readouterr().err
    assert (err.count('\n') == 1 and err.startswith('ner-study: error: ') and "set 'everything'" in err
            and 'headline' in err), err
    assert main(['reproduce', '--reference', str(tmp_path / 'none.json')]) == 2
    err = capsys.readouterr().err
    assert 'none.json' in err and err.count('\n') == 1, err
