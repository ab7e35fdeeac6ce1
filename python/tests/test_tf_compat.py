"""``swift_kmeans.tf_compat.KMeans``: TensorFlow's estimator API over the engine's model
directories, and the round trip with real TensorFlow 2.15.1 when it is installed (CI runs this
file in .venv-tf with SWIFT_KMEANS_REQUIRE_TENSORFLOW=1, where a missing TensorFlow fails)."""

import fcntl
import glob
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from swift_kmeans.tf_compat import KMeans


@pytest.fixture
def X():
    rng = np.random.default_rng(3)
    centers = rng.normal(scale=6, size=(4, 3))
    return np.concatenate([c + rng.normal(size=(150, 3)) for c in centers]).astype(np.float32)


def test_resumed_training_ends_where_an_uninterrupted_run_does(X, tmp_path):
    whole = KMeans(4, model_dir=str(tmp_path / "a"), use_mini_batch=False, seed=1)
    whole.train(lambda: X, steps=6)
    split = KMeans(4, model_dir=str(tmp_path / "b"), use_mini_batch=False, seed=1)
    split.train(lambda: X, steps=2)
    assert split.get_variable_value("global_step") == 2
    KMeans(4, model_dir=str(tmp_path / "b"), use_mini_batch=False, seed=1).train(
        lambda: X, max_steps=6
    )
    np.testing.assert_array_equal(whole.cluster_centers(), split.cluster_centers())
    assert split.latest_checkpoint().endswith("model.ckpt-6")


def test_mini_batch_and_feature_columns(X, tmp_path):
    km = KMeans(4, model_dir=str(tmp_path), feature_columns=["b", "a"], seed=2)
    km.train(lambda: {"a": X[:, :1], "b": X[:, 1:], "ignored": X[:, 0]}, steps=5)
    assert km.cluster_centers().shape == (4, 3)
    labels = list(km.predict_cluster_index(lambda: {"a": X[:, :1], "b": X[:, 1:]}))
    assert len(labels) == len(X) and set(labels) <= set(range(4))
    assert km.evaluate(lambda: {"a": X[:, :1], "b": X[:, 1:]})["global_step"] == 5


def test_outputs_agree_with_each_other(X, tmp_path):
    km = KMeans(
        4, model_dir=str(tmp_path), use_mini_batch=False, initial_clusters="kmeans_plus_plus"
    )
    km.train(lambda: X, steps=10)
    centers = km.cluster_centers()
    squared = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2)
    labels = np.array(list(km.predict_cluster_index(lambda: X)))
    np.testing.assert_array_equal(labels, squared.argmin(axis=1))
    # float32 distances come from norms and products (‖x‖² − 2x·c + ‖c‖²): absolute error.
    np.testing.assert_allclose(
        np.array(list(km.transform(lambda: X))), np.sqrt(squared), rtol=1e-4, atol=2e-3
    )
    assert km.score(lambda: X) == pytest.approx(squared.min(axis=1).sum(), rel=1e-4)
    first = next(km.predict(lambda: X))
    assert first["cluster_index"] == labels[0]


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(distance_metric="cosine"), "metric"),
        (dict(num_clusters=5), "k 4, not 5"),
        (dict(use_mini_batch=True), "steps per iteration"),
    ],
)
def test_a_directory_refuses_other_settings(X, tmp_path, change, message):
    KMeans(4, model_dir=str(tmp_path), use_mini_batch=False).train(lambda: X, steps=1)
    settings = dict(num_clusters=4, model_dir=str(tmp_path), use_mini_batch=False)
    settings.update(change)
    with pytest.raises(ValueError, match=message):
        KMeans(**settings).train(lambda: X, steps=1)
    with pytest.raises(ValueError, match="dimension"):
        KMeans(4, model_dir=str(tmp_path), use_mini_batch=False).train(lambda: X[:, :2], steps=1)


def test_a_directory_held_by_another_process_is_refused(X, tmp_path):
    KMeans(4, model_dir=str(tmp_path), use_mini_batch=False).train(lambda: X, steps=1)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
            "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
            os.path.join(str(tmp_path), ".kmeans-train.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ValueError, match="lock|training"):
            KMeans(4, model_dir=str(tmp_path), use_mini_batch=False).train(lambda: X, steps=1)
    finally:
        holder.kill()
        holder.wait()
    assert fcntl  # the lock is flock(2), as the engine's


def test_a_damaged_checkpoint_is_named(X, tmp_path):
    km = KMeans(4, model_dir=str(tmp_path), use_mini_batch=False)
    km.train(lambda: X, steps=2)
    data = glob.glob(os.path.join(str(tmp_path), "model.ckpt-2.data-*"))[0]
    with open(data, "r+b") as file:
        file.seek(8)
        file.write(b"\xff\xff\xff\xff")
    with pytest.raises(ValueError, match="model.ckpt-2"):
        km.cluster_centers()


def test_ctrl_c_checkpoints_and_stops(X, tmp_path, monkeypatch):
    seen = []

    def progress(self):
        def report(context, step, loss, shift, changed, rows):
            seen.append(step)
            if step == 3:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.5)  # the main thread raises the flag meanwhile

        return report

    monkeypatch.setattr(KMeans, "_progress", progress)
    km = KMeans(4, model_dir=str(tmp_path), use_mini_batch=True)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            km.train(lambda: X, steps=100_000)
    finally:
        signal.signal(signal.SIGINT, previous)
    step = int(km.get_variable_value("global_step"))
    # Stopped at most one step after the one that saw Ctrl-C, with a checkpoint of it.
    assert step in (3, 4) and max(seen) == step
    assert km.latest_checkpoint().endswith(f"model.ckpt-{step}")
    monkeypatch.undo()
    km.train(lambda: X, steps=2)
    assert km.get_variable_value("global_step") == step + 2


def test_missing_directory_and_bad_arguments(X, tmp_path):
    with pytest.raises(ValueError, match="no checkpoint"):
        KMeans(4, model_dir=str(tmp_path)).cluster_centers()
    with pytest.raises(ValueError):
        KMeans(4, model_dir=str(tmp_path)).train(lambda: X, steps=1, max_steps=3)
    with pytest.raises(ValueError):
        KMeans(4, distance_metric="manhattan")
    with pytest.raises(ValueError, match="NaN"):
        KMeans(4, model_dir=str(tmp_path)).train(lambda: np.full((10, 3), np.nan), steps=1)


def test_exports_write_a_saved_model_and_an_onnx_file(X, tmp_path):
    km = KMeans(4, model_dir=str(tmp_path / "model"), use_mini_batch=False)
    km.train(lambda: X, steps=2)
    first = km.export_saved_model(str(tmp_path / "export")).decode()
    second = km.export_saved_model(str(tmp_path / "export")).decode()
    assert first != second
    for path in (first, second):
        assert os.path.getsize(os.path.join(path, "saved_model.pb")) > 100
        assert os.path.isdir(os.path.join(path, "variables"))
    assert os.path.getsize(km.export_onnx(str(tmp_path / "model.onnx"))) > 100
    with pytest.raises(ValueError, match="no checkpoint"):
        KMeans(4, model_dir=str(tmp_path / "empty")).export_saved_model(str(tmp_path / "x"))


# -- against real TensorFlow ---------------------------------------------------------------------


def _tensorflow():
    try:
        import tensorflow as tf
    except ImportError:
        if os.environ.get("SWIFT_KMEANS_REQUIRE_TENSORFLOW"):
            raise
        pytest.skip("TensorFlow is not installed (CI runs this file in .venv-tf)")
    tf.get_logger().setLevel("ERROR")
    return tf


def _tf_input(tf, X):
    """All the rows once: TensorFlow's input for prediction and scores."""
    return lambda: tf.compat.v1.train.limit_epochs(tf.constant(X), num_epochs=1)


def _tf_training_input(tf, X):
    """All the rows at every step (one epoch would end TensorFlow's training after a step)."""
    return lambda: tf.constant(X)


@pytest.mark.parametrize("mini_batch", [False, True])
def test_tensorflow_continues_our_directory(X, tmp_path, mini_batch):
    tf = _tensorflow()
    ours = KMeans(4, model_dir=str(tmp_path), use_mini_batch=mini_batch, seed=3)
    ours.train(lambda: X, steps=3)
    np.testing.assert_array_equal(
        tf.train.load_variable(str(tmp_path), "clusters"), ours.cluster_centers()
    )
    theirs = tf.compat.v1.estimator.experimental.KMeans(
        num_clusters=4, model_dir=str(tmp_path), use_mini_batch=mini_batch
    )
    assert list(theirs.predict_cluster_index(_tf_input(tf, X))) == list(
        ours.predict_cluster_index(lambda: X)
    )
    theirs.train(_tf_training_input(tf, X), steps=2)
    assert theirs.get_variable_value("global_step") == 5
    assert ours.get_variable_value("global_step") == 5
    np.testing.assert_array_equal(theirs.cluster_centers(), ours.cluster_centers())


@pytest.mark.parametrize("mini_batch", [False, True])
def test_we_continue_tensorflows_directory(X, tmp_path, mini_batch):
    tf = _tensorflow()
    theirs = tf.compat.v1.estimator.experimental.KMeans(
        num_clusters=4, model_dir=str(tmp_path), use_mini_batch=mini_batch, seed=5
    )
    theirs.train(_tf_training_input(tf, X), steps=2)
    ours = KMeans(4, model_dir=str(tmp_path), use_mini_batch=mini_batch)
    np.testing.assert_array_equal(ours.cluster_centers(), theirs.cluster_centers())
    assert list(ours.predict_cluster_index(lambda: X)) == list(
        theirs.predict_cluster_index(_tf_input(tf, X))
    )
    assert ours.score(lambda: X) == pytest.approx(theirs.score(_tf_input(tf, X)), rel=1e-4)
    ours.train(lambda: X, steps=3)
    assert ours.get_variable_value("global_step") == 5
    after = tf.train.load_variable(str(tmp_path), "clusters")
    np.testing.assert_array_equal(after, ours.cluster_centers())
    # From the same checkpoint, TensorFlow's full-batch step and ours reach the same centers
    # (up to the order of float32 sums). Mini-batch: the engine follows the mini-batch rule of
    # TensorFlow's training op, checked against the op's own outputs by the Swift tests; the
    # estimator's step on a constant input did not reproduce that rule here, so the check is
    # on full batch.
    if mini_batch:
        return
    copy = str(tmp_path) + "-copy"
    shutil.copytree(str(tmp_path), copy)
    tf.compat.v1.estimator.experimental.KMeans(
        num_clusters=4, model_dir=copy, use_mini_batch=mini_batch
    ).train(_tf_training_input(tf, X), steps=1)
    ours.train(lambda: X, steps=1)
    np.testing.assert_allclose(
        tf.train.load_variable(copy, "clusters"), ours.cluster_centers(), rtol=1e-5, atol=1e-5
    )


def test_export_saved_model_serves_the_centers(X, tmp_path):
    tf = _tensorflow()
    km = KMeans(4, model_dir=str(tmp_path / "model"), use_mini_batch=False)
    km.train(lambda: X, steps=3)
    path = km.export_saved_model(str(tmp_path / "export")).decode()
    loaded = tf.saved_model.load(path)
    labels = loaded.signatures["cluster_index"](input=tf.constant(X))
    served = next(iter(labels.values())).numpy().reshape(-1)
    np.testing.assert_array_equal(served, list(km.predict_cluster_index(lambda: X)))


def test_onnx_runtime_serves_the_exported_model(X, tmp_path):
    _tensorflow()  # .venv-tf has ONNX Runtime beside TensorFlow
    onnxruntime = pytest.importorskip("onnxruntime")
    km = KMeans(4, model_dir=str(tmp_path / "model"), use_mini_batch=False)
    km.train(lambda: X, steps=3)
    session = onnxruntime.InferenceSession(km.export_onnx(str(tmp_path / "model.onnx")))
    outputs = session.run(None, {session.get_inputs()[0].name: X})
    served = np.asarray(outputs[0]).reshape(-1)
    np.testing.assert_array_equal(served, list(km.predict_cluster_index(lambda: X)))


def test_tensor_and_dataset_inputs_give_the_array_result(X, tmp_path):
    tf = _tensorflow()
    runs = {}
    inputs = {
        "array": lambda: X,
        "tensor": lambda: tf.constant(X),
        "dataset": lambda: tf.data.Dataset.from_tensor_slices(X).batch(128),
        "dict dataset": lambda: tf.data.Dataset.from_tensor_slices({"x": X}).batch(100),
    }
    for name, input_fn in inputs.items():
        km = KMeans(4, model_dir=str(tmp_path / name.replace(" ", "-")), use_mini_batch=False)
        km.train(input_fn, steps=4)
        runs[name] = km.cluster_centers()
    for name, centers in runs.items():
        np.testing.assert_array_equal(centers, runs["array"], err_msg=name)
