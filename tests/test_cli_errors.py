"""What a user sees when they get something wrong: one line on stderr, exit code 2, no traceback, and fast."""
import os
import shutil
import subprocess
import sys
import time

import pytest

from ner_study.experiment import experiment_from_params, run_experiment

CLI = [sys.executable, '-c', 'import sys; from ner_study.cli import main; sys.exit(main())']


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp('inputs')
    res = run_experiment(experiment_from_params('lstm-word', epochs=1, max_train_sentences=32,
                                                output_dir=str(d / 'runs')),
                         progress=False, log=lambda *_: None)
    good = res.run_dir / 'best'
    broken = d / 'broken'
    shutil.copytree(good, broken)
    (broken / 'weights.pt').write_bytes((broken / 'weights.pt').read_bytes()[:1000])
    (d / 'empty').mkdir()
    (d / 'malformed.conll').write_text('Paris B-LOC\njustonetoken\n', encoding='utf-8')
    (d / 'latin1.conll').write_bytes('Paris B-LOC\nMünchen B-LOC\n'.encode('latin-1'))
    (d / 'latin1.txt').write_bytes('Grüße aus München\n'.encode('latin-1'))
    # not vectors
    (d / 'corpus.conll').write_text('Stabilized\tO\napproach\tO\n\nParis\tB-location\n', encoding='utf-8')
    (d / 'no-test-entities').mkdir()  # a corpus whose test split has nothing to detect
    for split, text in [('train', 'Paris B-LOC\nis O\n\nBerlin B-LOC\n'), ('dev', 'Rome B-LOC\n'),
                        ('test', 'hello O\nthere O\n')]:
        (d / 'no-test-entities' / f'{split}.conll').write_text(text, encoding='utf-8')
    return {'good': good, 'broken': broken, 'empty': d / 'empty', 'dir': d}


# (arguments, what the one line must contain); {name} is a path from `files`
CASES = [
    (['fit', '--model', 'lstm', '--corpus', '/nonexistent/file.conll'],
     "'/nonexistent/file.conll': no such file or folder"),
    (['fit', '--model', 'lstm', '--corpus', '{dir}/malformed.conll'], 'malformed.conll:2: expected a token and a tag'),
    (['fit', '--model', 'lstm', '--corpus', '{dir}/latin1.conll'], 'latin1.conll:2: not UTF-8'),
    (['fit', '--model', 'lstm', '--corpus', '{dir}/no-test-entities'],
     "the test split holds no entity (every tag of its 1 sentence is O): nothing to score"),
    (['fit', '--model', 'gru'], "model='gru' is not a contestant of this study; valid values: lstm-word, lstm-char"),
    (['fit', '--model', 'lstm', '--epochs', '0'], 'epochs'),
    (['fit', '--model', 'lstm', '--vectors', '/nonexistent/glove.txt', '--max-train-sentences', '8'],
     "vectors='/nonexistent/glove.txt': no such file or folder"),
    (['fit', '--model', 'lstm', '--vectors', '{dir}/corpus.conll', '--max-train-sentences', '8'],
     'corpus.conll:1: not a GloVe, word2vec or fastText vector file (expected a word and its numbers'),
    (['predict', '{empty}', 'some text'], 'not a saved tagger (no tagger.json)'),
    (['predict', '{dir}/no-such-run', 'some text'], 'no such folder'),
    (['predict', '{broken}', 'some text'], 'the checkpoint cannot be read'),
    (['predict', '{good}', '--file', '{dir}/latin1.txt'], 'latin1.txt:1: not UTF-8'),
    (['predict', '{good}', '--file', '{dir}/missing.txt'], 'missing.txt: No such file or directory'),
    (['evaluate', '{good}', '--corpus', '/nonexistent/test.conll'],
     "'/nonexistent/test.conll': no such file or folder"),
    (['--threads', '0', 'predict', '{good}', 'some text'],
     "--threads / NER_STUDY_THREADS: expected a positive number or 'auto', got '0'"),
    (['compare', '--plan', '--folds', 'ten'],
     "folds='ten': expected a number >= 1 (1: the corpus's own split), or 'auto'"),
    (['compare', '--plan', '--models', 'lstm,gru'], "models='lstm,gru': give two or more different contestants"),
    (['compare', '--plan', '-p', 'epoch', '3'], '-p epoch: not a parameter of the study; one of corpus, folds'),
    (['compare', '--plan', '--workers', '0'], 'workers=0: expected a number >= 1'),
    (['compare', '--plan', '/nonexistent/corpus'], "corpus '/nonexistent/corpus': no such file or folder"),
    (['compare', '--plan', '{dir}/malformed.conll'], 'malformed.conll:2: expected a token and a tag'),
    (['compare', '--plan', '--extra-tests', '/nonexistent/wnut17'],
     "extra_tests='/nonexistent/wnut17': /nonexistent/wnut17: no such file or folder"),
    (['compare', '--plan', '--system', 'mine={dir}/nowhere{{fold}}.conll'], 'systems: mine: '),
    (['compare', '--plan', '--system', 'mine={dir}/corpus.conll'],
     "corpus.conll: no prediction for tested sentence 1 (fold 1 of 8), "),
    (['folds', 'wnut16', '{dir}'], 'already exists; give a new folder for the folds'),
    (['folds', 'wnut16', '{dir}/new-folds', '--folds', 'ten'], "--folds 'ten': expected a number of folds, or 'auto'"),
    (['folds', '{dir}/malformed.conll', '{dir}/new-folds'], 'malformed.conll:2: expected a token and a tag'),
]


# the hub cases run as a user's process with HF_HUB_OFFLINE=1 (offline as on this project's machines, whatever the CI
# has): the hub library reads it when it is first imported
HUB_CASES = [
    (['fit', '--model', 'lstm', '--corpus', 'conll2003'],
     "corpus 'conll2003': not a local file or folder, and the Hugging Face hub cannot be reached"),
    (['fit', '--model', 'bert', '--encoder', 'some-org/no-such-encoder', '--max-train-sentences', '8'],
     "encoder 'some-org/no-such-encoder': the Hugging Face hub cannot be reached"),
]


def with_paths(args, files):
    "The arguments with each {name} replaced by that path of `files`."
    return [a.format(**{k: str(v) for k, v in files.items()}) for a in args]


def run_cli(args, files, **env):
    "The command as a user's shell runs it: its own process."
    args = with_paths(args, files)
    base = {k: v for k, v in os.environ.items() if k != 'NER_STUDY_DEBUG'}
    env = {**base, 'HF_HUB_OFFLINE': '1', **env}  # offline as on this project's machines, whatever the CI has
    t0 = time.perf_counter()
    r = subprocess.run(CLI + args, capture_output=True, timeout=300, env=env)
    return r.returncode, r.stderr.decode(), time.perf_counter() - t0


def run_main(args, files, capsys, monkeypatch):
    """The same command through `main` in this process: the same code from argument parsing to exit status, without a
    start of Python and torch."""
    from ner_study.cli import main
    monkeypatch.delenv('NER_STUDY_DEBUG', raising=False)
    args = with_paths(args, files)
    t0 = time.perf_counter()
    try: code = main(args)
    except SystemExit as e: code = e.code
    return code, capsys.readouterr().err, time.perf_counter() - t0


def check_one_line(code, err, seconds, needle):
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('ner-study: error: '), err
    assert needle in lines[0], lines[0]
    assert 'Traceback' not in err and seconds < 60, seconds


@pytest.mark.parametrize('args,needle', CASES, ids=[' '.join(a[:2] + a[-1:]) for a, _ in CASES])
def test_a_wrong_invocation_is_one_line(files, args, needle, capsys, monkeypatch):
    check_one_line(*run_main(args, files, capsys, monkeypatch), needle)


@pytest.mark.parametrize('args,needle', HUB_CASES, ids=[' '.join(a[:2] + a[-1:]) for a, _ in HUB_CASES])
def test_an_unreachable_hub_is_one_line(files, args, needle):
    check_one_line(*run_cli(args, files), needle)


def test_debug_shows_the_traceback(files):
    code, err, _ = run_cli(['--debug', 'fit', '--model', 'lstm', '--corpus', '/nonexistent/file.conll'], files)
    assert code != 0 and 'Traceback' in err and 'CorpusError' in err
    code, err, _ = run_cli(['fit', '--model', 'lstm', '--corpus', '/nonexistent/file.conll'], files,
                           NER_STUDY_DEBUG='1')
    assert 'Traceback' in err
