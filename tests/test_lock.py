"""One writer per run folder: two processes that find the same stale lock at once cannot both take it over."""
import json
import socket
import subprocess
import sys
import time

RACER = r'''
import sys, time
from ner_study.files import RunFolderBusy, WriterLock
folder, start = sys.argv[1], float(sys.argv[2])
judge = WriterLock.stale
def slow_stale(self, holder):  # widen the window between judging the lock stale and acting on it
    time.sleep(0.3); return judge(self, holder)
WriterLock.stale = slow_stale
time.sleep(max(0.0, start - time.time()))
try:
    with WriterLock(folder): time.sleep(1.5); print('won')
except RunFolderBusy as e: print('busy:', e)
'''


def test_two_processes_racing_for_a_stale_lock_exactly_one_wins(tmp_path):
    gone = int(subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True,
                              text=True).stdout)
    folder = tmp_path / 'run'; folder.mkdir()
    # its writer died
    (folder / '.writer').write_text(json.dumps({'host': socket.gethostname(), 'pid': gone, 'since': 'earlier'}))
    start = time.time() + 2
    racers = [subprocess.Popen([sys.executable, '-c', RACER, str(folder), str(start)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in racers]
    said = sorted(o.strip().split(':')[0] for o, _ in outs)
    assert said == ['busy', 'won'], outs
