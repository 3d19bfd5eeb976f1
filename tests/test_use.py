"""Using trained taggers: the command line as a real process, resume after a killed run, hostile input."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ner_study.corpora import CorpusError, load_corpus, read_conll
from ner_study.experiment import experiment_from_params, load_tagger, run_experiment
from ner_study.files import RunFolderBusy
from ner_study.predict import Predictor

CLI = [sys.executable, '-c', 'import sys; from ner_study.cli import main; sys.exit(main())']


@pytest.fixture(scope='module')
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp('runs')
    res = run_experiment(experiment_from_params('lstm', epochs=2, max_train_sentences=200, output_dir=str(out)),
                         progress=False, log=lambda *_: None)
    return res.run_dir / 'best'


def cli(*args, stdin=b''):
    return subprocess.run(CLI + [str(a) for a in args], input=stdin, capture_output=True, timeout=300)


def test_cli_predict_jsonl_from_stdin_and_conll(model_dir):
    r = cli('predict', model_dir, stdin='Going to New York with @mike\n\nemoji 🙂 東京\n'.encode())
    assert r.returncode == 0, r.stderr
    rows = [json.loads(l) for l in r.stdout.decode().splitlines()]
    assert [row['text'] for row in rows] == ['Going to New York with @mike', '', 'emoji 🙂 東京']
    for row in rows:
        assert all(row['text'][e['start']:e['end']] == e['text'] for e in row['entities'])
    r = cli('predict', model_dir, 'Hello Paris .', '--format', 'conll')
    assert (r.returncode == 0
            and [l.split('\t')[0] for l in r.stdout.decode().splitlines() if l] == ['Hello', 'Paris', '.'])


def test_cli_errors_are_one_line(model_dir, tmp_path):
    r = cli('predict', model_dir, stdin=b'fine\nbad \xff byte\n')
    assert (r.returncode == 2
            and r.stderr.decode().strip() == 'ner-study: error: <stdin>:2: not UTF-8 (invalid start byte at byte 4)')
    r = cli('predict', tmp_path, 'x')
    assert (r.returncode == 2 and 'no tagger.json' in r.stderr.decode()
            and len(r.stderr.decode().strip().splitlines()) == 1)
    r = cli('evaluate', model_dir, '--corpus', tmp_path / 'missing.conll')
    assert r.returncode == 2 and 'no such file' in r.stderr.decode()
    r = cli('train', '--model', 'gru')
    assert r.returncode == 2 and 'lstm-word' in r.stderr.decode() and 'bert-frozen' in r.stderr.decode()


def test_cli_evaluate_prints_the_study_metrics(model_dir):
    r = cli('evaluate', model_dir, '--json')
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m['n_gold_entities'] == load_corpus().summary().loc['entities', 'test']


def test_checkpoint_from_another_format_or_broken(model_dir, tmp_path):
    import shutil
    d = tmp_path / 'ckpt'
    shutil.copytree(model_dir, d)
    meta = json.loads((d / 'tagger.json').read_text())
    (d / 'tagger.json').write_text(json.dumps({**meta, 'format': 99}))
    with pytest.raises(ValueError, match='format 99'):
        load_tagger(d)
    (d / 'tagger.json').write_text('{"family": "lstm", ')
    with pytest.raises(ValueError, match='not valid JSON'):
        load_tagger(d)


def test_resume_after_kill_matches_an_uninterrupted_run(tmp_path, wnut_slice):
    params = dict(corpus=wnut_slice, epochs=6, max_train_sentences=96, patience=10)
    script = ('import sys; from ner_study.experiment import *; '
              f'run_experiment(experiment_from_params("lstm", output_dir=sys.argv[1], **{params!r}), progress=False)')
    proc = subprocess.Popen([sys.executable, '-c', script, str(tmp_path / 'killed')], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        hist = list((tmp_path / 'killed').glob('*/history.json'))
        if hist and len(json.loads(hist[0].read_text())) >= 2: break
        time.sleep(0.05)
    assert proc.poll() is None, 'the run finished before it could be killed'
    quiet = lambda *_: None
    with pytest.raises(RunFolderBusy, match=f'is being trained by process {proc.pid} on '):  # one writer per run folder
        run_experiment(experiment_from_params('lstm', output_dir=str(tmp_path / 'killed'), **params), progress=False,
                       log=quiet)
    os.kill(proc.pid, signal.SIGKILL); proc.wait()
    assert 2 <= len(json.loads(hist[0].read_text())) < params['epochs']
    # the killed writer's lock: its process is gone, so the next run takes it over
    assert (hist[0].parent / '.writer').exists()
    resumed = run_experiment(experiment_from_params('lstm', output_dir=str(tmp_path / 'killed'), **params),
                             progress=False, log=quiet)
    whole = run_experiment(experiment_from_params('lstm', output_dir=str(tmp_path / 'whole'), **params), progress=False,
                           log=quiet)
    cols = ['epoch', 'train_loss', 'dev_loss', 'dev_f1']
    assert resumed.history[cols].equals(whole.history[cols])
    assert resumed.metrics.test == whole.metrics.test and resumed.test_pred == whole.test_pred
    assert not (hist[0].parent / '.writer').exists()


def test_truncated_corpus_and_mixed_schemes(tmp_path):
    f = tmp_path / 'cut.conll'
    f.write_text('John B-PER\nlives O\n\nMary B-PER\nvisi', encoding='utf-8')  # cut mid-line
    with pytest.raises(CorpusError, match=r'cut.conll:5:'):
        read_conll(f)
    f.write_text('John B-PER\nlives O\n\nMary B-PER\n', encoding='utf-8')  # cut after a line: read as it is
    assert [s.tokens for s in read_conll(f)[0]] == [['John', 'lives'], ['Mary']]
    f.write_text('New B-LOC\nYork E-LOC\nis O\nMary S-PER\nAnn I-PER\n', encoding='utf-8')  # IOB and BIOES mixed
    sents, rep = read_conll(f)
    assert (rep.scheme == 'BIOES' and sents[0].tags == ['B-LOC', 'I-LOC', 'O', 'B-PER', 'B-PER']
            and rep.repaired_tags == 1)


def test_predict_keeps_every_word_of_a_1mb_line(model_dir):
    p = Predictor.load(model_dir)
    text = ('Paris is lovely . ' * 70_000)[:1_000_000]
    spans = p.predict(text)
    assert all(text[s.start:s.end] == s.text for s in spans)
    assert p.predict('') == [] and p.predict(' \n ') == []


def test_cli_streams_a_long_line_and_keeps_every_word(model_dir, tmp_path):
    """A line longer than LONG_TEXT is tagged a chunk of sentences at a time: every word comes out, in order, with its
    tag."""
    from ner_study.predict import LONG_TEXT, tokenize
    text = ' '.join(['Taylor Swift sang in New York .', 'Off to Paris now !', 'no end mark here'] * (LONG_TEXT // 40))
    assert len(text) > LONG_TEXT
    (tmp_path / 'long.txt').write_text(text + '\n' + 'Paris\n', encoding='utf-8')
    r = cli('predict', model_dir, '--file', tmp_path / 'long.txt', '--format', 'conll')
    assert r.returncode == 0, r.stderr
    rows = [l.split('\t') for l in r.stdout.decode().splitlines() if l]
    assert [w for w, _ in rows] == [w for w, _, _ in tokenize(text)] + ['Paris']
    r = cli('predict', model_dir, '--file', tmp_path / 'long.txt')
    first = json.loads(r.stdout.decode().splitlines()[0])
    assert first['text'] == text and all(text[e['start']:e['end']] == e['text'] for e in first['entities'])
    assert first['entities'] == [s.to_dict() for s in Predictor.load(model_dir).predict(text)]
