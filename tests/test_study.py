"""The comparison study's cache: finished runs are reused, a new seed or configuration trains only what is new,
`retrain` trains again, and the cache key follows the corpus; the runs train alike one after another, on two workers
and as submitit jobs, a failed run is named and a killed study resumes; the headline pair's seeds grow until a rule
stops them. (The statistics are checked in nbs/10_significance, nbs/11_errors and nbs/12c_verdict on inputs with known
answers.)"""
import os
from dataclasses import replace
import signal
import subprocess
import sys
import time

import pytest

import ner_study.study as study
from ner_study import seeds, tables, verdict
from ner_study.folds import Folds
from ner_study.run_folders import StudyIncomplete, is_finished
from ner_study.corpora import Corpus, CorpusSpec, load_corpus
from ner_study.tags import Sentence
from ner_study.experiment import run_experiment
from ner_study.power import DetectableDifference
from ner_study.significance import paired_test
from ner_study.metrics import evaluate_tags
from ner_study.workers import Workers


@pytest.fixture(scope='module')
def corpus(wnut_slice):
    return load_corpus(CorpusSpec(wnut_slice))


@pytest.fixture
def count_children(monkeypatch):
    "Every run the study hands to its workers, as (model, seed, train sentences, retrain)."
    calls = []
    real = Workers.train
    def counting(workers, exp, retrain=False):
        calls.append((exp.model, exp.train.seed, exp.train.max_train_sentences, retrain))
        return real(workers, exp, retrain)
    monkeypatch.setattr(Workers, 'train', counting)
    return calls


# two tiny runs (one epoch on 24 sentences, one torch thread each): every engine must train them alike
PARAMS = dict(models='lstm-word,lstm-char', seeds=1, top_seeds=1, fractions='1', epochs=1, max_train_sentences=24,
              threads=1, folds=1)
KILLED_STUDY = """
import sys
import ner_study.study as study
study.run_study(study.StudyConfig(**eval(sys.argv[1])), progress=False)
"""


@pytest.fixture(scope='module')
def sequential(tmp_path_factory, wnut_slice, corpus):
    """The two runs one after another — a study killed once the first run had finished, then run again: (config, runs,
    first run's metrics mtime)."""
    cfg = study.StudyConfig(corpus=wnut_slice, output_dir=str(tmp_path_factory.mktemp('sequential')), **PARAMS)
    first, second = [e.run_dir(corpus) for *_, e in cfg.plan(len(corpus.train))]
    killed = subprocess.Popen([sys.executable, '-c', KILLED_STUDY,
                               repr({'corpus': wnut_slice, 'output_dir': cfg.output_dir, **PARAMS})],
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while not is_finished(first) and killed.poll() is None and time.time() < deadline: time.sleep(0.2)
        assert is_finished(first) and not is_finished(second), 'killed after the first run finished'
    finally:
        os.killpg(killed.pid, signal.SIGKILL); killed.wait()
    mtime = (first / 'metrics.json').stat().st_mtime_ns
    return cfg, study.run_study(cfg, corpus, progress=False), mtime


def test_a_killed_study_resumes_without_retraining_finished_runs(sequential):
    cfg, runs, mtime = sequential
    assert [(r.model, r.trained_now) for r in runs] == [('lstm-word', False), ('lstm-char', True)]
    assert (runs[0].run_dir / 'metrics.json').stat().st_mtime_ns == mtime and runs[0].metrics.threads == 1


def test_study_reuses_finished_runs_and_retrains_on_request(sequential, wnut_slice, corpus, count_children):
    cfg, first, _ = sequential
    mtimes = {r.run_dir: (r.run_dir / 'metrics.json').stat().st_mtime_ns for r in first}
    again = study.run_study(cfg, corpus, progress=False)
    assert not count_children and not any(r.trained_now for r in again), 'nothing is retrained'
    assert [r.metrics for r in again] == [r.metrics for r in first]
    assert all((r.run_dir / 'metrics.json').stat().st_mtime_ns == mtimes[r.run_dir] for r in again)

    more = study.run_study(replace(cfg, seeds=2, top_seeds=2), corpus, progress=False)
    assert [(r.model, r.seed, r.trained_now) for r in more] == [('lstm-word', 42, False), ('lstm-word', 43, True),
                                                                ('lstm-char', 42, False), ('lstm-char', 43, True)]
    forced = study.run_study(cfg, corpus, retrain=True, progress=False)
    assert (all(r.trained_now for r in forced)
            and count_children[-2:] == [('lstm-word', 42, 24, True), ('lstm-char', 42, 24, True)])
    assert all((r.run_dir / 'metrics.json').stat().st_mtime_ns > mtimes[r.run_dir] for r in forced)
    # a retrained run is the same run: same seed, same configuration, same test predictions
    assert [r.test_pred for r in forced] == [r.test_pred for r in first]

    # the saved predictions are the run's: scoring them again gives its metrics
    for r in forced:
        gold = [s.tags for s in corpus.test]
        assert evaluate_tags(gold, r.test_pred).strict['micro avg'] == r.metrics.test.strict['micro avg']
        assert r.metrics.peak_rss_mb > 100, 'a fresh process with torch loaded uses well over 100 MiB'

    # the tables the report is built from
    rt = tables.runs_table(forced)
    sig = verdict.significance_table(forced, corpus, 'lstm-word', 'lstm-char', trials=500)
    t = paired_test([s.tags for s in corpus.test], forced[0].test_pred, forced[1].test_pred, trials=500, seed=42)
    assert sig.loc[0, 'p_value'] == t.p_value and abs(sig.loc[0, 'delta'] - (rt.loc[1, 'f1'] - rt.loc[0, 'f1'])) < 1e-12


def test_cache_key_changes_with_corpus_config_and_seed(corpus):
    cfg = study.StudyConfig(seeds=2)
    exp = cfg.experiment('lstm', 42)
    changed = Corpus(corpus.name,
                     corpus.train[:-1] + [Sentence(corpus.train[-1].tokens + ['!'], corpus.train[-1].tags + ['O'])],
                     corpus.dev, corpus.test)
    dirs = {exp.run_dir(corpus), exp.run_dir(changed), cfg.experiment('lstm', 43).run_dir(corpus),
            study.StudyConfig(epochs=3).experiment('lstm', 42).run_dir(corpus),
            cfg.experiment('bert', 42).run_dir(corpus)}
    assert len(dirs) == 5
    assert (study.StudyConfig(seeds=1, workers=2, tune_trials=3).experiment('lstm', 42).run_dir(corpus)
            == exp.run_dir(corpus))


def test_two_workers_and_submitit_give_the_sequential_figures(sequential, tmp_path, corpus, count_children):
    "The same two runs on two workers (where one fails first) and as submitit jobs (its local executor)."
    cfg, one_by_one, _ = sequential
    # two workers; the second run fails (a file stands where its folder goes): the study names it and keeps the first
    two = replace(cfg, output_dir=str(tmp_path / 'two-workers'), workers=2)
    blocked = [e.run_dir(corpus) for *_, e in two.plan(len(corpus.train))][1]
    blocked.parent.mkdir(parents=True); blocked.write_text('in the way')
    with pytest.raises(StudyIncomplete,
                       match=f'1 of 2 study runs failed(.|\\n)*{blocked.name}: training lstm-char seed 42 failed'):
        study.run_study(two, corpus, progress=False)
    blocked.unlink()
    on_two = study.run_study(two, corpus, progress=False)
    assert [r.trained_now for r in on_two] == [False, True], (
        'the finished run is kept, only the failed one trains again')

    jobs = study.run_study(replace(cfg, output_dir=str(tmp_path / 'submitit'), workers=2, cluster='local'), corpus,
                           progress=False)
    assert len(count_children) == 5 and list((tmp_path / 'submitit' / 'jobs').iterdir()), (
        'the submitit runs went through its job folder')

    runs_tables = [tables.runs_table(runs) for runs in (one_by_one, on_two, jobs)]
    figures = ['model', 'seed', 'f1', 'precision', 'recall', 'macro_f1', 'token_accuracy', 'dev_f1', 'epochs',
               'threads']
    for t in runs_tables[1:]: assert t[figures].equals(runs_tables[0][figures])
    assert runs_tables[0]['threads'].tolist() == [1, 1]
    assert [r.test_pred for r in on_two] == [r.test_pred for r in one_by_one] == [r.test_pred for r in jobs]


@pytest.mark.skipif(not os.path.exists('/proc/stat'),
                    reason='the CPU counters of other processes are read from /proc/stat (Linux)')
def test_a_run_trained_beside_busy_processes_is_marked_busy(tmp_path, wnut_slice, corpus):
    """A process spinning on a core while two study runs train: the run's metrics, the cost table's count and the
    headline say so."""
    spinners = [subprocess.Popen([sys.executable, '-c', 'while True: pass'])]
    try:
        cfg = study.StudyConfig(corpus=wnut_slice, models='lstm-word,lstm-char', seeds=1, top_seeds=1, fractions='1',
                                epochs=1,
                                max_train_sentences=24, output_dir=str(tmp_path))
        runs = study.run_study(cfg, corpus, progress=False)
    finally:
        for p in spinners: p.kill(); p.wait()
    for run in runs:
        machine = run.metrics.machine
        assert machine['busy'] and machine['other_processes_cores'] >= 0.5, machine
        assert machine['cpu_seconds'] > 0 and machine['wall_seconds'] > 0 and machine['cores'] == os.cpu_count()
    rt = tables.runs_table(runs)
    assert rt['busy'].tolist() == [True, True] and tables.busy_runs(rt) == '2 of 2 busy'
    assert 'other processes shared the cores' in verdict.busy_note(rt)


def test_auto_top_seeds_stops_for_each_of_its_reasons(tmp_path, wnut_slice, corpus, monkeypatch):
    """top_seeds='auto' on tiny runs, each new seed trained for real. What the tiny taggers' scores say is arbitrary, so
    the statistics it decides by — the difference and its noise — are set for each case (their arithmetic is checked in
    nbs/)."""
    # in this process: the process-per-run path is the tests' above
    monkeypatch.setattr(Workers, 'train',
                        lambda workers, exp, retrain=False: run_experiment(exp, retrain=retrain, progress=False,
                                                                           log=lambda *_: None))
    params = dict(corpus=wnut_slice, models='lstm-word,bert-frozen', seeds=1, top_seeds='auto', fractions='1', epochs=1,
                  max_train_sentences=24, output_dir=str(tmp_path))
    cfg = study.StudyConfig(**params, seed_budget=30)
    assert cfg.auto_seeds and cfg.top_seed_list == (42, 43)
    runs = study.run_study(cfg, corpus, progress=False)
    one = Workers()
    def noise(test_se, seed_sd):  # the detectable difference of the seeds trained so far, with this noise
        return lambda runs, corpus, a, b: DetectableDifference(test_se, seed_sd,
                                                               len({r.seed for r in runs if r.model == a}), 40)
    # seeds are noisier than the test set: with a small difference, a seed is added (trained now) until the seed floor
    # reaches the test-set floor: 2.8 * 0.03 / sqrt(n) <= 2.8 * 0.02 at n = 3
    monkeypatch.setattr(seeds, 'pair_power', noise(0.02, 0.03))
    monkeypatch.setattr(seeds, 'pair_difference', lambda rt, a, b: 0.01)
    grown_runs, grown, stop = seeds.grow_top_seeds(cfg, corpus, Folds([corpus]), runs, one, progress=False)
    assert (stop['reason'], stop['seeds'], grown.top_seed_list) == ('seed floor', 3, (42, 43, 44)), stop
    assert sorted((r.model, r.seed) for r in grown_runs if r.trained_now) == [('bert-frozen', 44), ('lstm-word', 44)]
    # the same with no time left: the budget stops it at two seeds
    _, _, stop = seeds.grow_top_seeds(study.StudyConfig(**params, seed_budget=0), corpus, Folds([corpus]), runs, one,
                                           progress=False)
    assert ((stop['reason'], stop['seeds']) == ('budget', 2)
            and 'time budget ran out' in seeds.seed_stop_words(stop, noise(0.02, 0.03)(runs, 0, 'lstm-word', 0)))
    # a difference far beyond both noises: decided at once
    monkeypatch.setattr(seeds, 'pair_difference', lambda rt, a, b: 0.3)
    _, _, stop = seeds.grow_top_seeds(cfg, corpus, Folds([corpus]), runs, one, progress=False)
    assert (stop['reason'], stop['seeds']) == ('decided', 2)
