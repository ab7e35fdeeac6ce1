"""The GIL is released while the engine works, and Ctrl-C stops a fit after the current
iteration, raises KeyboardInterrupt, leaves no thread behind and the estimator unfitted."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from swift_kmeans import KMeans


def _long_data():
    return np.random.default_rng(0).normal(size=(60_000, 16)).astype(np.float32)


def test_other_python_threads_run_during_a_fit(monkeypatch):
    monkeypatch.setenv("SWIFT_KMEANS_NUM_THREADS", "1")
    X = _long_data()
    done = threading.Event()
    count = 0

    def fit():
        KMeans(64, algorithm="plain", n_init=2, tol=0, max_iter=30, random_state=0).fit(X)
        done.set()

    worker = threading.Thread(target=fit)
    worker.start()
    while not done.is_set():
        count += 1
    worker.join()
    # Holding the GIL through the foreign call would leave this loop a handful of turns.
    assert count > 1000


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="main")
def test_ctrl_c_stops_the_fit_after_the_current_iteration(monkeypatch):
    X = _long_data()
    seen = []

    def progress(self, label="Iteration"):
        def report(context, iteration, loss, shift, changed, rows):
            seen.append(iteration)
            if iteration == 3:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.5)  # the main thread raises the flag meanwhile

        return report

    monkeypatch.setattr(KMeans, "_progress", progress)
    # Python's own Ctrl-C handler, also where the test runner was started with SIGINT ignored
    # (a background job of a non-interactive shell).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    km = KMeans(64, algorithm="plain", tol=0, max_iter=10_000, random_state=0)
    try:
        with pytest.raises(KeyboardInterrupt):
            km.fit(X)
    finally:
        signal.signal(signal.SIGINT, previous)
    # The engine reads the flag as the next iteration starts and stops after it at the latest.
    assert max(seen) in (3, 4), seen
    assert not hasattr(km, "cluster_centers_")
    assert not [t for t in threading.enumerate() if t.name == "swift-kmeans"]
    # The engine is usable again at once.
    monkeypatch.undo()
    assert KMeans(4, random_state=0).fit(X[:1000]).n_iter_ >= 1
