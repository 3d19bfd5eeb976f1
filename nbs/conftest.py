"""How nbval compares the notebooks' stored outputs (`make test-notebooks`).

The outputs were stored under the reference numerics of `ner_study.machine` (04a_machine): kernels that every x86-64 CPU
with AVX2 and FMA runs identically, one thread. Where this process runs under them, every output is compared exactly.
Where it cannot (an ARM CPU, an x86 CPU without AVX2, or a run outside the Makefile's NB_ENV), the cells tagged
`float-results` — results of float computations that another CPU's kernels move — still run, assertions included, but
their outputs are not compared; the test header says which case this is."""
import os
import time

from ner_study.machine import reference_numerics_active, reference_numerics_unavailable

FLOAT_RESULTS = 'float-results'


def pytest_sessionstart(session):
    # xdist starts its workers together, and each starts a kernel for its first notebook at once; jupyter_client picks
    # free TCP ports for each kernel on its own, so two kernels started in the same instant can pick the same port, and
    # one then dies before it answers ("Kernel died before replying to kernel_info"). The second worker waits a moment.
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    if worker != 'gw0' and worker[2:].isdigit(): time.sleep(3.0 * int(worker[2:]))


def pytest_report_header(config):
    if not getattr(config.option, 'nbval', False): return None
    if reference_numerics_active():
        return 'notebooks: reference numerics (AVX2 kernels, one thread): every stored output is compared exactly'
    why = reference_numerics_unavailable() or "this process does not run under them; make test-notebooks sets them"
    return (f'notebooks: no reference numerics here ({why}): the outputs of cells tagged {FLOAT_RESULTS} are not '
            'compared')


def pytest_collection_modifyitems(config, items):
    if reference_numerics_active(): return
    for item in items:
        cell = getattr(item, 'cell', None)  # nbval's notebook cells
        if cell is not None and FLOAT_RESULTS in cell.metadata.get('tags', []): item.options['check'] = False


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    line = pytest_report_header(config)  # again at the end, where `pytest -q` (make test) shows it
    if line: terminalreporter.write_line(line)
