"""The worker processes that read returns and build workbooks: what they are handed, what comes
back, and that none outlives the loop that started it (tests/test_interrupts.py presses Ctrl-C
on the real command line and kills its parent outright)."""

from __future__ import annotations

import errno
import multiprocessing
import os
import signal
import time
from contextlib import closing

import pytest

from sheetkit.common.sandbox import Failure, Limits, run_isolated

FEW = Limits(seconds=30, workers=2)


def _scaled(shared, item):
    return shared["factor"] * item


def _fails_on_three(item):
    if item == 3:
        raise OSError(errno.ENOSPC, "No space left on device", f"/somewhere/{item}.xlsx")
    return item


def _slow(item):
    time.sleep(item)
    return item


def _pid(item):
    return os.getpid()


def test_what_every_input_needs_is_handed_over_once():
    results = dict(run_isolated(_scaled, [1, 2, 3, 4], FEW, shared={"factor": 10}))
    assert results == {0: 10, 1: 20, 2: 30, 3: 40}


def test_what_a_worker_raised_comes_back_as_it_was():
    results = dict(run_isolated(_fails_on_three, [1, 3, 5], FEW))
    failure = results[1]
    assert isinstance(failure, Failure) and failure.reason == "error"
    assert isinstance(failure.error, OSError) and failure.error.errno == errno.ENOSPC
    assert failure.error.filename == "/somewhere/3.xlsx"
    assert results[0] == 1 and results[2] == 5


def test_leaving_the_loop_early_stops_every_worker():
    with closing(run_isolated(_slow, [0, 30, 30, 30], FEW)) as results:
        next(results)  # the first answer; two workers are still busy for half a minute
        assert len(multiprocessing.active_children()) == 2
    assert multiprocessing.active_children() == []


def test_an_error_in_the_loop_stops_every_worker():
    with pytest.raises(ZeroDivisionError):
        with closing(run_isolated(_slow, [0, 30, 30], FEW)) as results:
            for _ in results:
                1 / 0
    assert multiprocessing.active_children() == []


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL to kill a worker from outside")
def test_a_worker_killed_while_idle_is_replaced():
    with closing(run_isolated(_pid, list(range(6)), Limits(seconds=30, workers=1))) as results:
        _, first = next(results)
        os.kill(first, signal.SIGKILL)  # as the system's out-of-memory killer might
        time.sleep(0.2)
        rest = [pid for _, pid in results]
    assert len(rest) == 5 and all(isinstance(pid, int) for pid in rest) and first not in rest
