"""Training with several processes: `accelerate launch` with two CPU processes (DDP over gloo) trains the same
BiLSTM-CRF as one process, and only the main process writes the run folder. About 20 s on 2 cores."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

from ner_study.metrics import RunMetrics

# a tiny BiLSTM-CRF, 2 epochs on 50 W-NUT 2016 sentences, dropout off
HELPER = Path(__file__).with_name('dist_train.py')
# float32 sums taken in another order (each process sums its share, then gloo sums the processes): weights agree to
# about 5e-6 after 2 epochs; losses to about 1e-6 relative
WEIGHT_ATOL, LOSS_RTOL = 1e-4, 1e-5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _run(cmd: list[str]) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT', 'ACCELERATE_USE_CPU')}
    # one torch thread per process (2 cores); the CPU even where a GPU is present: this checks gloo
    env.update(OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='', TOKENIZERS_PARALLELISM='false')
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f'{cmd} failed:\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}'
    return r.stdout + r.stderr


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].double() - b[k].double()).abs().max().item() for k in a)


def test_two_processes_train_like_one(tmp_path):
    one, two = tmp_path / 'one', tmp_path / 'two'
    _run([sys.executable, str(HELPER), str(one / 'run')])
    out = _run([sys.executable, '-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '2',
                '--num_machines', '1', '--mixed_precision', 'no', '--dynamo_backend', 'no',
                '--main_process_port', str(_free_port()), str(HELPER), str(two / 'run')])
    assert 'training with 2 processes (DistributedType.MULTI_CPU' in out, out[-3000:]

    s1, s2 = (torch.load(d / 'run' / 'state.pt', weights_only=False) for d in (one, two))
    assert 'process_rngs' not in s1 and len(s2['process_rngs']) == 2
    assert s1['epoch'] == s2['epoch'] == 2 and s1['finished'] and s2['finished']
    diff = _max_diff(s1['model'], s2['model'])
    print(f'max |weight difference| between 1 and 2 processes: {diff:.2e}')
    assert diff < WEIGHT_ATOL, diff
    best = [torch.load(d / 'run' / 'best' / 'weights.pt', weights_only=True) for d in (one, two)]
    assert _max_diff(*best) < WEIGHT_ATOL
    for r1, r2 in zip(s1['history'], s2['history'], strict=True):
        assert r1['dev_f1'] == r2['dev_f1']
        for k in ('train_loss', 'dev_loss'):
            assert abs(r1[k] - r2[k]) <= LOSS_RTOL * abs(r1[k]), (k, r1[k], r2[k])
    assert json.loads((two / 'run' / 'history.json').read_text()) == s2['history']

    # the main process wrote exactly what one process writes; the other wrote nothing
    written = {p.name: json.loads(p.read_text()) for p in two.glob('writes-rank*.json')}
    assert written == {'writes-rank0.json': json.loads((one / 'writes-rank0.json').read_text()),
                       'writes-rank1.json': []}
    assert written['writes-rank0.json'].count('save_tagger') >= 1
    assert sorted(p.name for p in (two / 'run').iterdir()) == sorted(p.name for p in (one / 'run').iterdir())
    assert len(list((two / 'run' / 'tb').iterdir())) == 1  # one TensorBoard event file


def test_readme_command_fits_with_two_processes(tmp_path):
    """The README's multi-process command end to end: `accelerate launch ... -m ner_study.cli fit`; one result, from the
    main process."""
    out = _run([sys.executable, '-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '2',
                '--num_machines', '1',
                '--mixed_precision', 'no', '--dynamo_backend', 'no', '--main_process_port', str(_free_port()),
                '-m', 'ner_study.cli', 'fit', '--model', 'lstm', '--epochs', '1', '--max-train-sentences', '48',
                '--output-dir', str(tmp_path)])
    results = [json.loads(line) for line in out.splitlines() if line.startswith('{"run_dir"')]
    assert len(results) == 1, out[-3000:]
    run_dir = Path(results[0]['run_dir'])
    metrics = RunMetrics.read(run_dir)
    assert metrics.test.f1 == results[0]['test_f1'] and metrics.epochs_trained == 1
