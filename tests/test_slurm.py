"""The study's SLURM path against a real cluster: the one-node cluster of tests/slurm-cluster.sh (`make test-slurm`).
Without one (no SLURM_CONF) every test here skips, saying why."""
import json
import os
import shutil
import subprocess
import time

import pytest

from ner_study.experiment import experiment_from_params
from ner_study.run_folders import StudyIncomplete, train_missing
from ner_study.study import StudyConfig, run_study
from ner_study.workers import Workers, run_spec_of, train_in_child

pytestmark = pytest.mark.skipif(not os.environ.get('SLURM_CONF'), reason=os.environ.get('NER_STUDY_NO_SLURM')
                                or 'no SLURM cluster here: `make test-slurm` runs these tests on one '
                                   '(tests/slurm-cluster.sh)')

STUDY = dict(models='lstm-word,lstm-char', folds=1, top_seeds=1, fractions='1', epochs=2, max_train_sentences=64,
             threads=1)


def job_state(job_id) -> str:
    "A job's state from the controller (this cluster keeps no accounting for sacct, which submitit would ask)."
    out = subprocess.run(['scontrol', 'show', 'job', str(job_id)], capture_output=True, text=True).stdout
    return next((f.split('=', 1)[1] for f in out.split() if f.startswith('JobState=')), 'UNKNOWN')


def study(corpus, out, **kw):
    return run_study(StudyConfig(corpus=corpus, output_dir=str(out), tables_dir=str(out / 'tables'), **STUDY, **kw),
                     progress=False)


def test_a_study_on_slurm_gives_the_figures_of_one_run_after_another(wnut_slice, tmp_path):
    on_slurm = study(wnut_slice, tmp_path / 'slurm', cluster='slurm', workers=2, slurm='partition=debug,time=20,mem=2')
    alone = study(wnut_slice, tmp_path / 'alone', workers=1)  # child processes one after another, one thread each too
    assert len(on_slurm) == len(alone) == 2 and all(r.trained_now for r in on_slurm + alone)
    for a, b in zip(on_slurm, alone):
        assert (a.model, a.seed) == (b.model, b.seed)
        assert (a.metrics.test == b.metrics.test and a.test_pred == b.test_pred
                and a.metrics.threads == b.metrics.threads == 1)
    logs = list((tmp_path / 'slurm' / 'jobs').glob('*/*_log.out'))
    assert len(logs) == 2, 'each run was a SLURM job with its own log'


def test_the_users_slurm_settings_reach_sbatch(tmp_path):
    cfg = StudyConfig(cluster='slurm', workers=2, threads=1, output_dir=str(tmp_path),
                      slurm='partition=debug,time=30,mem=2,gpus=1,cpus=2')
    text = cfg.make_workers()._submitit_executor()._executor._make_submission_file_text('python -c pass', 'uid')
    for flag in ('--partition=debug', '--time=30', '--mem=2GB', '--gpus-per-node=1', '--cpus-per-task=2'):
        assert f'#SBATCH {flag}\n' in text, (flag, text)
    with pytest.raises(ValueError, match=r"slurm='queue=gpu': 'queue=gpu' is not one of partition"):
        StudyConfig(cluster='slurm', slurm='queue=gpu')


def test_a_cancelled_job_resumes_from_its_last_finished_epoch(wnut_slice, tmp_path):
    params = dict(corpus=wnut_slice, epochs=8, max_train_sentences=160, patience=10)
    exp = experiment_from_params('lstm', output_dir=str(tmp_path / 'cancelled'), **params)
    workers = Workers(cluster='slurm', threads=1, folder=str(tmp_path / 'jobs'))
    job = workers.submit(exp)
    deadline = time.time() + 300
    while time.time() < deadline and not job.done():
        hist = list((tmp_path / 'cancelled').glob('*/history.json'))
        if hist and len(json.loads(hist[0].read_text())) >= 2: break
        time.sleep(0.1)
    assert not job.done(), 'the job finished before it could be cancelled'
    subprocess.run(['scancel', str(job.job_id)], check=True)
    while time.time() < deadline and job_state(job.job_id) not in ('CANCELLED', 'COMPLETED', 'FAILED'): time.sleep(0.2)
    before = json.loads(hist[0].read_text())
    assert job_state(job.job_id) == 'CANCELLED' and 2 <= len(before) < params['epochs'], (
        (job_state(job.job_id), len(before)))
    workers.train(exp)  # sent again: resumes after the last finished epoch (the cancelled job's lock is taken over)
    whole = experiment_from_params('lstm', output_dir=str(tmp_path / 'whole'), **params)
    train_in_child(run_spec_of(whole, threads=1))  # uninterrupted, with the same one thread
    resumed = json.loads(hist[0].read_text())
    assert resumed[:len(before)] == before, 'the epochs the cancelled job finished were kept, not trained again'
    uninterrupted = json.loads(next((tmp_path / 'whole').glob('*/history.json')).read_text())
    cols = ['epoch', 'train_loss', 'dev_loss', 'dev_f1']
    assert [{c: e[c] for c in cols} for e in resumed] == [{c: e[c] for c in cols} for e in uninterrupted]


def test_a_failed_job_is_named_with_the_last_lines_of_its_log(wnut_slice, tmp_path):
    gone = shutil.copytree(wnut_slice, tmp_path / 'corpus-removed-before-training')
    bad = experiment_from_params('lstm-word', corpus=str(gone), epochs=1, max_train_sentences=16,
                                 output_dir=str(tmp_path / 'runs'))
    good = experiment_from_params('lstm-word', corpus=wnut_slice, epochs=1, max_train_sentences=16,
                                  output_dir=str(tmp_path / 'runs'))
    runs = {'bad': (bad, tmp_path / 'runs' / 'bad'), 'good': (good, tmp_path / 'runs' / 'good')}
    shutil.rmtree(gone)
    with pytest.raises(StudyIncomplete) as e:
        train_missing(runs, Workers(workers=2, cluster='slurm', threads=1, folder=str(tmp_path / 'jobs')),
                      progress=False)
    message = str(e.value)
    assert (message.startswith('1 of 2 study runs failed')
            and '- bad: training lstm-word seed 42 failed (submitit job ' in message)
    assert 'corpus-removed-before-training' in message and 'no such file or folder' in message, message
