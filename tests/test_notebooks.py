"""The notebooks in nbs/ are committed with their outputs and `make test` re-runs them with nbval, comparing every
output (after nbs/sanitize.cfg's substitutions). These tests check that check: a notebook stored without its run is
caught, and a result that differs from the stored one fails."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / 'nbs').glob('*.ipynb'))


def makefile_variable(name: str) -> dict:
    """The settings of a Makefile variable of `NAME=value` words (`NB_ENV`, `REFERENCE_NUMERICS`), variables in it
    expanded."""
    line = next(l for l in (ROOT / 'Makefile').read_text().splitlines() if re.match(rf'{name}\s*:=', l))
    env = {}
    for word in shlex.split(line.split(':=', 1)[1]):
        inner = re.fullmatch(r'\$\((\w+)\)', word)
        env.update(makefile_variable(inner[1]) if inner else [word.split('=', 1)])
    return env


def notebook_env() -> dict:
    """The environment the Makefile runs the notebooks in (its NB_ENV line), so this test and `make test` cannot drift
    apart."""
    return makefile_variable('NB_ENV')


def test_the_makefile_runs_the_notebooks_under_the_reference_numerics():
    from ner_study.machine import REFERENCE_NUMERICS
    assert makefile_variable('REFERENCE_NUMERICS') == REFERENCE_NUMERICS
    assert notebook_env().items() >= REFERENCE_NUMERICS.items() and notebook_env()['IN_TEST'] == '1'


def test_every_notebook_carries_the_outputs_of_one_run():
    # nbval checks only cells with an execution count: a notebook saved cleared (or by `nbdev_clean`) would pass
    # unchecked
    assert len(NOTEBOOKS) >= 15
    for path in NOTEBOOKS:
        cells = [c for c in json.loads(path.read_text())['cells'] if c['cell_type'] == 'code'
                 and ''.join(c['source']).strip()]
        counts = [c.get('execution_count') for c in cells]
        assert None not in counts, (
            f'{path.name}: cells without a stored run (`make notebooks` runs them and stores the outputs)')
        assert counts == sorted(counts) and len(set(counts)) == len(counts), \
            f'{path.name}: cells stored out of order {counts}: run it top to bottom (`make notebooks`)'


def test_nbval_fails_when_a_stored_result_is_edited(tmp_path):
    src = ROOT / 'nbs' / '10_significance.ipynb'
    nb = json.loads(src.read_text())
    # the worked example: "bert is ahead of lstm by 4.3 F1 points"
    cell = next(c for c in nb['cells'] if c.get('id') == '267f3472')
    text = ''.join(cell['outputs'][0]['data']['text/plain'])
    assert re.search(r'by \d+\.\d F1 points', text), text
    edited = re.sub(r'by (\d+)\.(\d) F1 points', lambda m: f'by {m[1]}.{(int(m[2]) + 1) % 10} F1 points', text, count=1)
    cell['outputs'][0]['data']['text/plain'] = edited
    shutil.copy(src, tmp_path / 'stored.ipynb')
    (tmp_path / 'edited.ipynb').write_text(json.dumps(nb, indent=1))
    out = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-rf', '-p', 'no:cacheprovider', '--nbval',
                          '--nbval-current-env',
                          '--nbval-sanitize-with', str(ROOT / 'nbs' / 'sanitize.cfg'), 'stored.ipynb', 'edited.ipynb'],
                         cwd=tmp_path, env={**os.environ, **notebook_env()}, capture_output=True, text=True,
                         timeout=600)
    report = out.stdout + out.stderr
    assert out.returncode == 1, report
    failed = re.findall(r'^FAILED (\S+)', report, re.M)
    assert failed and all(f.startswith('edited.ipynb::') for f in failed), report  # the stored notebook still passes
    assert len(failed) == 1 and 'Cell outputs differ' in report and edited.split(' F1 points')[0][-12:] in report, (
        report)
