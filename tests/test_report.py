"""End-to-end checks that are clearer as plain tests than as notebook examples:
the papermill report for each model, parameter errors, checkpoint reloads and offline failures."""
import ast
import inspect
import json
import re
import subprocess
from dataclasses import fields
import sys
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest

from ner_study.corpora import CorpusError, load_corpus, write_conll
from ner_study.tags import iob2_spans
from ner_study.tags import to_iob2
from ner_study.experiment import CONTESTANTS, CheckpointError, experiment_from_params, load_tagger, run_experiment
from ner_study.evaluation import predict_tags
from ner_study.learner import evaluate_tagger
from ner_study.metrics import RunMetrics
from ner_study.study import StudyConfig

ROOT = Path(__file__).resolve().parents[1]
TRAIN_NB = ROOT / 'nbs' / 'train.ipynb'


def _run_report(tmp_path, **params):
    out = tmp_path / f"{params['model']}.ipynb"
    pm.execute_notebook(str(TRAIN_NB), str(out), parameters=params, cwd=str(ROOT), progress_bar=False,
                        kernel_name='python3')
    return out


# the BiLSTM's report also asks for bfloat16 where oneDNN is capped below it: the bfloat16 LSTM is what crashed in
# oneDNN before the machine was checked, so the report must say once that it runs in float32, and then be an ordinary
# report
FALLBACK = 'bfloat16 training and prediction asked for, but it runs in float32 here: '


@pytest.mark.parametrize('model', ['lstm', 'bert'])
def test_report_runs_and_renders(tmp_path, model, monkeypatch, wnut_slice):
    runs = tmp_path / 'runs'
    if model == 'lstm': monkeypatch.setenv('ONEDNN_MAX_CPU_ISA', 'AVX2')  # the kernel papermill starts inherits it
    out = _run_report(tmp_path, model=model, corpus=wnut_slice, epochs=1, max_train_sentences=48, output_dir=str(runs),
                      **({'bf16': True} if model == 'lstm' else {}))
    if model == 'lstm':
        text = out.read_text()
        assert text.count(FALLBACK) == 1 and 'LSTM forward propagation primitive' not in text
    r = subprocess.run([sys.executable, '-m', 'ner_study.cli', 'render', str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    html = out.with_suffix('.html').read_text(encoding='utf-8')
    for section in ('The corpus', 'Training', 'Test results', 'entity F1, strict (micro)', 'Where the errors are'):
        assert section in html, section
    assert html.count('data:image/png') >= 4, 'corpus, curves, F1 per type and confusion plots are embedded'
    check_report_html(html)
    (run_dir,) = runs.iterdir()
    metrics = RunMetrics.read(run_dir)
    corpus = load_corpus(wnut_slice)
    assert metrics.model == model and metrics.corpus['fingerprint'] == corpus.fingerprint()
    assert metrics.test.n_gold_entities == corpus.summary().loc['entities', 'test']
    assert set(metrics.test.strict) >= {t for s in corpus.test for t, *_ in iob2_spans(s.tags)} | {'micro avg',
                                                                                                   'macro avg'}
    assert list((run_dir / 'tb').glob('events.out.tfevents.*')), 'TensorBoard events are written'


def check_report_html(html: str):
    """A rendered report as a reader sees it: the headline box first, no code, no stderr, captions, a table of contents
    that resolves."""
    body = html[html.index('<body'):]
    assert 'class="ner-headline"' in body, 'a headline box'
    first_h2 = body.find('<h2')
    assert first_h2 == -1 or body.index('class="ner-headline"') < first_h2, 'the headline comes before every section'
    assert body.index('class="ner-headline"') < body.find('data:image/png'), 'and before every figure'
    assert 'hl-ipython3' not in body, 'no code cell is visible'
    assert 'TqdmWarning' not in body and 'application/vnd.jupyter.stderr' not in body, 'no progress bars or warnings'
    assert 'Traceback' not in body
    assert body.count('<noscript><table') >= body.count('class="ner-table"'), (
        'every interactive table has a static fallback')
    assert body.count('class="ner-caption"') >= body.count('data:image/png'), 'every figure has a caption'
    targets = re.findall(r'href="#([^"]+)"', body)
    assert len(targets) >= 5, 'a table of contents'
    ids = set(re.findall(r'id="([^"]+)"', body))
    assert not [t for t in targets if t not in ids], [t for t in targets if t not in ids]
    for kind in ('Table', 'Figure'):  # numbered in the order shown, none missing, none twice
        shown = [int(n) for n in re.findall(rf'class="ner-caption"[^>]*>{kind} (\d+)\.', body)]
        assert shown == list(range(1, len(shown) + 1)), (kind, shown)


def notebook_parameters(path: Path) -> dict:
    "The names and default values of a report notebook's parameters cell (papermill's: the cell tagged `parameters`)."
    cell = next(c for c in nbformat.read(path, as_version=4).cells if 'parameters' in c.metadata.get('tags', []))
    return {target.id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body for target in node.targets}


def mismatches(notebook: dict, library: dict) -> list[str]:
    "Each parameter that one side lacks or whose default differs, in a line."
    missing = object()
    return [f'{k}: {notebook.get(k, "absent")!r} in the notebook, {library.get(k, "absent")!r} in the library'
            for k in sorted(notebook.keys() | library.keys()) if notebook.get(k, missing) != library.get(k, missing)]


def test_the_reports_parameters_are_the_librarys():
    """The comparison's parameters cell holds exactly StudyConfig's fields with their defaults; the per-model report's
    are experiment_from_params's."""
    study = {f.name: f.default for f in fields(StudyConfig) if f.name in StudyConfig.parameters()}
    compare = notebook_parameters(ROOT / 'nbs' / 'compare.ipynb')
    assert compare.pop('start') is False  # the notebook's own: a long study starts only when asked (12g_plan)
    assert mismatches(compare, study) == []
    # the check fails for a parameter added in one place only, or a default changed in one place only
    assert mismatches({**compare, 'stratify': True},
                      study) == ["stratify: True in the notebook, 'absent' in the library"]
    assert mismatches({**compare, 'seeds': 3}, study) == ['seeds: 3 in the notebook, 1 in the library']
    run = {k: p.default for k, p in inspect.signature(experiment_from_params).parameters.items()}
    train = notebook_parameters(TRAIN_NB)
    assert train.pop('retrain') is False  # the report's own: train again instead of reusing the finished run
    # and its test sets from elsewhere, which training never sees
    assert train.pop('extra_tests') is None and train.pop('type_map') is None
    assert mismatches(train, {k: run[k] for k in run.keys() - {'patience', 'min_steps'}}) == []


def test_unknown_model_fails_in_first_code_cells(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        _run_report(tmp_path, model='gru')
    assert "model='gru'" in str(err.value) and all(name in str(err.value) for name in CONTESTANTS)
    nb = nbformat.read(tmp_path / 'gru.ipynb', as_version=4)
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code'
              and any(o.get('output_type') == 'error' for o in c.get('outputs', []))]
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code']
    assert failed and code_cells.index(failed[0]) <= 4, 'the parameters are checked before anything slow'


def test_a_bad_type_map_fails_in_first_code_cells_naming_its_line(tmp_path, wnut_slice):
    extra = write_conll(load_corpus(wnut_slice).test, tmp_path / 'elsewhere.conll')
    (tmp_path / 'map.types').write_text('# W-NUT 2016 onto another corpus\ngeo-loc place\n')
    with pytest.raises(pm.PapermillExecutionError) as err:
        _run_report(tmp_path, model='lstm', corpus=wnut_slice, extra_tests=extra, type_map=str(tmp_path / 'map.types'))
    assert f"{tmp_path / 'map.types'}:2: 'place' is not a type of the test set" in str(err.value)
    nb = nbformat.read(tmp_path / 'lstm.ipynb', as_version=4)
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code'
              and any(o.get('output_type') == 'error' for o in c.get('outputs', []))]
    assert [c for c in nb.cells if c.cell_type == 'code'].index(nb.cells[failed[0]]) <= 4, (
        'checked before anything trains')


@pytest.mark.parametrize('params, needle',
                         [(dict(epochs=-1), 'epochs'), (dict(lr=0), 'lr'), (dict(batch_size='big'), 'batch_size'),
                                            (dict(model='bert', freeze_encoder='yes'), 'freeze_encoder'),
                                            (dict(model='lstm', vectors='/nowhere/glove.6B.100d.txt'), 'vectors'),
                                            (dict(model='bert-softmax', vectors='minilm-input'), 'vectors')])
def test_bad_parameters_name_the_parameter(params, needle):
    with pytest.raises(ValueError, match=needle):
        experiment_from_params(**params)


@pytest.mark.parametrize('model', ['lstm', 'bert'])
def test_checkpoint_reloads_and_reproduces_test_scores(tmp_path, model):
    exp = experiment_from_params(model, epochs=1, max_train_sentences=40, output_dir=str(tmp_path))
    res = run_experiment(exp, progress=False, log=lambda *_: None)
    reloaded = load_tagger(res.run_dir / 'best', map_location='cpu')
    again, pred = evaluate_tagger(reloaded, res.corpus.test)
    assert pred == res.test_pred
    assert again.strict == res.metrics.test.strict and again.token_accuracy == res.metrics.test.token_accuracy


def test_hub_corpus_offline_says_how_to_use_local_files(monkeypatch):
    import datasets
    import ner_study.corpora
    # the hub seems reachable, then fails
    monkeypatch.setattr(ner_study.corpora, 'hub_unreachable', lambda *a, **k: None)
    def offline(*a, **k): raise ConnectionError("Couldn't reach 'conll2003' on the Hub (LocalEntryNotFoundError)")
    monkeypatch.setattr(datasets, 'load_dataset', offline)
    with pytest.raises(CorpusError, match='Offline, use local files'):
        load_corpus('conll2003')


def test_missing_checkpoint_files_are_named(tmp_path):
    with pytest.raises(CheckpointError, match='tagger.json'):
        load_tagger(tmp_path)
    (tmp_path / 'tagger.json').write_text(json.dumps({'format': 1, 'family': 'lstm'}))
    with pytest.raises(CheckpointError, match='weights.pt'):
        load_tagger(tmp_path)
    (tmp_path / 'tagger.json').write_text(json.dumps({'format': 1, 'family': 'crf++'}))
    with pytest.raises(CheckpointError, match='unknown tagger family'):
        load_tagger(tmp_path)


def test_every_word_gets_a_prediction_for_long_and_odd_sentences(tmp_path):
    exp = experiment_from_params('bert', epochs=1, max_train_sentences=16, output_dir=str(tmp_path))
    tagger = run_experiment(exp, progress=False, log=lambda *_: None).tagger
    tagger.cfg.max_length, tagger.cfg.overlap = 32, 8
    sents = [['word'] * 600, ['\u200b', '\x00', 'é', '🙂', '東京'], ['Paris']]
    assert [len(p) for p in predict_tags(tagger, sents)] == [600, 5, 1]


def test_bert_with_crf_emits_only_well_formed_iob2(tmp_path):
    """The BERT contestant with a CRF, barely trained (its scores are far from sure), still decodes every test sentence
    to valid IOB2."""
    res = run_experiment(experiment_from_params('bert', epochs=1, max_train_sentences=48, output_dir=str(tmp_path)),
                         progress=False, log=lambda *_: None)
    assert res.tagger.crf is not None and len(res.test_pred) == len(res.corpus.test)
    assert all(to_iob2(tags)[1] == 0 for tags in res.test_pred), 'no I-X without a B-X or I-X of its type before it'
    # valid IOB2 reads the same in seqeval's strict and lenient (conlleval) modes
    assert res.metrics.test.f1 == res.metrics.test.f1_conlleval


def test_comparison_report_renders_as_a_document(tmp_path, wnut_slice):
    """The comparison in miniature (two cheap contestants, two tuning trials each, one seed, one epoch, on two workers,
    a test set from elsewhere): the same reader's checks as the per-model reports."""
    out = tmp_path / 'index.ipynb'
    pm.execute_notebook(str(ROOT / 'nbs' / 'compare.ipynb'), str(out), cwd=str(ROOT), progress_bar=False,
                        kernel_name='python3',
                        parameters=dict(corpus=wnut_slice, models='lstm-word,lstm-crf', seeds=1, top_seeds=1,
                                        fractions='1', epochs=1,
                                        max_train_sentences=32, output_dir=str(tmp_path / 'runs'),
                                        tables_dir=str(tmp_path / 'tables'),
                                        workers=2, threads=1, tune_trials=2,
                                        extra_tests=write_conll(load_corpus().train[-30:],
                                                                tmp_path / 'elsewhere.conll')))
    r = subprocess.run([sys.executable, '-m', 'ner_study.cli', 'render', str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    html = out.with_suffix('.html').read_text(encoding='utf-8')
    check_report_html(html)
    assert 'The ladder' in html and 'BiLSTM-CRF' in html
    # scored, no type map
    assert '<strong>elsewhere</strong> (30 sentences' in html and 'the types of the same name in both' in html
    assert 'torch threads per run: 1; the runs trained now: 2 at a time, as child processes of this machine' in html
    assert ('Every contestant trained with its best of 2 random draws' in html
            and re.search(r'Figure \d+\. Expected best dev F1', html))
    trials = pd.read_csv(tmp_path / 'tables' / 'tuning_trials.csv')
    runs = pd.read_csv(tmp_path / 'tables' / 'runs.csv')
    assert len(trials) == 4 and len(list((tmp_path / 'runs' / 'tuning').glob('*.log'))) == 2
    # each contestant's seed trained with its best draw: that trial's own run folder
    for model, g in trials.groupby('model'):
        assert runs.loc[runs['model'] == model, 'run_dir'].item() == g.loc[g['dev_f1'].idxmax(), 'run_dir']


CLI = [sys.executable, '-c', 'import sys; from ner_study.cli import main; sys.exit(main())']
# what may reach the terminal from `ner-study compare`: the plan, the progress, what it wrote, the answer
NOT_ABOUT_THE_STUDY = ('WARNING', 'TCP', 'Unable to parse', 'Executing', 'Loading weights', 'Traceback', 'Warning',
                       'it/s]')


def test_the_study_command_plans_shows_progress_and_reports(tmp_path, wnut_slice):
    """ner-study compare on a miniature cross-validated study (4 contestants, 3 folds, 1 epoch, a test set from
    elsewhere with a type map): --plan trains nothing; the study prints its plan and progress and nothing else, and
    writes the comparison and one report per model of the pair."""
    from ner_study.extra_tests import retype
    renamed = {'person': 'PER', 'geo-loc': 'LOC', 'facility': 'LOC', 'company': 'ORG', 'sportsteam': 'ORG'}
    extra = write_conll([s._replace(tags=retype(s.tags, renamed)) for s in load_corpus().train[-60:]],
                        tmp_path / 'elsewhere.conll')
    # sportsteam: no counterpart
    (tmp_path / 'map.types').write_text('person PER\ngeo-loc LOC\nfacility LOC\ncompany ORG\nother -\n')
    runs, tables, reports = tmp_path / 'runs', tmp_path / 'tables', tmp_path / 'reports'
    args = ['compare', wnut_slice, '--models', 'lstm-word,lstm,bert-frozen,bert', '--epochs', '1',
            '--max-train-sentences', '48',
            '--folds', '3', '--fractions', '0.5,1', '--workers', '2', '--threads', '1', '--output-dir', str(runs),
            '--tables-dir', str(tables), '--report-dir', str(reports), '--extra-tests', extra, '--type-map',
            str(tmp_path / 'map.types')]
    plan = subprocess.run(CLI + args + ['--plan'], capture_output=True, text=True, timeout=600)
    assert plan.returncode == 0, plan.stderr
    assert ('Runs: 10 to train, 0 reused' in plan.stdout and 'folds 2-3: ' in plan.stdout
            and 'Time: about ' in plan.stdout)
    assert 'Can detect: differences of about ' in plan.stdout and not list(runs.glob('*/metrics.json')), (
        '--plan trains nothing')
    r = subprocess.run(CLI + args, capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stderr[-3000:]
    err = r.stderr.replace('\r', '\n')
    assert not [w for w in NOT_ABOUT_THE_STUDY if w in err], err[-3000:]
    assert err.count('  done: ') == 10 and re.search(r'\[\d+/10 runs\] \d+:\d\d elapsed, about ', err), err[-3000:]
    assert 'Done in ' in err and 'estimated ' in err
    summary = json.loads((tables / 'summary.json').read_text())
    html = (reports / 'index.html').read_text(encoding='utf-8')
    check_report_html(html)
    assert 'Does the verdict hold on every fold?' in html and 'over 3 folds' in html
    assert '<strong>elsewhere</strong>' in html and 'sportsteam' in html  # the map's dropped type is counted
    for model in summary['headline_pair']:  # one report per model of the pair, its fold-1 run reused
        page = (reports / f'{model}.html').read_text(encoding='utf-8')
        check_report_html(page)
        assert 'fold 1 of 3' in page and 'elsewhere' in page
    assert len(list(runs.glob('*/metrics.json'))) == 10 and len(list(runs.glob('*/wall.json'))) == 10, (
        'the study times each run it trains')
    timing = json.loads((tables / 'timing.json').read_text())
    assert timing['runs_trained'] == 10 and timing['report_seconds'] > 0
    again = subprocess.run(CLI + args + ['--plan'], capture_output=True, text=True, timeout=600)
    assert 'Runs: 0 to train, 10 reused' in again.stdout and 'estimated from the finished runs' not in again.stdout


def test_a_long_study_starts_only_when_asked(tmp_path):
    """Run by hand without start=True, the comparison notebook shows the plan of the default study first and stops
    before training, saying how to start."""
    out = tmp_path / 'index.ipynb'
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(ROOT / 'nbs' / 'compare.ipynb'), str(out), cwd=str(ROOT), progress_bar=False,
                            kernel_name='python3',
                            parameters=dict(output_dir=str(tmp_path / 'runs'), tables_dir=str(tmp_path / 'tables'),
                                            workers=2))
    assert (err.value.ename == 'StudyNotStarted' and 'set start = True' in err.value.evalue
            and 'ner-study compare' in err.value.evalue)
    assert not (tmp_path / 'runs').exists() or not list((tmp_path / 'runs').glob('*/history.json')), 'nothing trained'
    cells = [c for c in nbformat.read(out, as_version=4).cells if c.cell_type == 'code' and c.get('outputs')]
    first = ''.join(o.get('text', '') for o in cells[0].outputs)
    assert first.startswith('Study: wnut16, 2,394 sentences') and 'Runs: 23 to train, 0 reused' in first, first
