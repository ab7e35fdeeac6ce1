#!/usr/bin/env python3
"""swift-kmeans models inside other people's graphs, checked with the real tools.

1. SavedModel (`kmeans export --saved-model`), for float32 and float64 models and both
   metrics: TensorFlow 2.15.1's tf.saved_model.load reads it; every signature on held-out rows
   gives `kmeans predict`'s labels exactly and `kmeans transform`'s distances within 1e-5
   relative; `score` gives `kmeans score`; the signature runs inside a tf.function between an
   embedding lookup and a one-hot; saved_model_cli show --all lists every signature.
2. TensorFlow's own KMeans estimator trains and exports a SavedModel; `kmeans export` of the
   same model directory gives a SavedModel with the same signatures, inputs, outputs and
   answers.
3. ONNX (`kmeans export --onnx`): onnx.checker passes; ONNX Runtime gives our labels and
   distances; the inputs and outputs are those of scikit-learn's converter (skl2onnx) for a
   scikit-learn KMeans with the same centers, and both give the same answers.
4. TensorBoard: its event reader (EventAccumulator) and the multiplexer its server uses list
   the tags, steps and values of a training run, of a resumed run (one step axis), of a run
   resumed from an earlier checkpoint (the abandoned tail dropped) and of evaluations.

Run from the repository root: python3 Scripts/export-interop.py (installs the tools into
.venv-tf on first use, see Scripts/interop_environment.py).
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_environment import Checks, enter  # noqa: E402

ROOT, KMEANS = enter()
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.cluster import KMeans as SklearnKMeans  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.backend.event_processing import plugin_event_multiplexer  # noqa: E402

tf.get_logger().setLevel("ERROR")
print(f"TensorFlow {tf.__version__}, ONNX {onnx.__version__}, ONNX Runtime "
      f"{onnxruntime.__version__}")
check = Checks()
SIGNATURES = {"serving_default", "cluster_index", "all_distances", "transform", "score"}


def kmeans(*arguments):
    done = subprocess.run([KMEANS, *arguments], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"kmeans {' '.join(arguments)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def relative_error(ours, theirs):
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    scale = np.maximum(np.abs(ours), 1e-6 * max(1.0, float(np.max(np.abs(ours)))))
    return float(np.max(np.abs(ours - theirs) / scale))


# Digits, split into training rows and held-out rows (features in sorted column order, as
# swift-kmeans and TensorFlow's estimator order named columns).
table = np.genfromtxt(os.path.join(ROOT, "Data", "digits.csv"), delimiter=",", names=True,
                      dtype=np.float64)
columns = sorted(name for name in table.dtype.names if name != "digit")
features = np.stack([table[name] for name in columns], axis=1)
rng = np.random.RandomState(7)
order = rng.permutation(len(features))
train_rows, held_out_rows = features[order[:1500]], features[order[1500:]]

with tempfile.TemporaryDirectory() as scratch:
    def path(name):
        return os.path.join(scratch, name)

    np.save(path("train.npy"), train_rows)
    np.save(path("held-out.npy"), held_out_rows)

    # 1. SavedModels of our own models.
    CASES = os.environ.get("EXPORT_INTEROP_CASES")
    ALL_CASES = [("float32", "euclidean"), ("float32", "cosine"),
                 ("float64", "euclidean"), ("float64", "cosine")]
    if CASES is not None:
        known = {f"{dtype}-{metric}" for dtype, metric in ALL_CASES}
        chosen = [case for case in CASES.split(",") if case]
        unknown = [case for case in chosen if case not in known]
        if not chosen or unknown:
            sys.exit(f"EXPORT_INTEROP_CASES={CASES!r} selects no case or an unknown one "
                     f"({', '.join(unknown) or 'none given'}); known: {', '.join(sorted(known))}")
    for dtype, metric in ALL_CASES:
        case = f"{dtype}-{metric}"
        if CASES is not None and case not in CASES.split(","):
            continue
        print(f"SavedModel and ONNX of a {dtype} {metric} model")
        model_dir = path(f"run-{case}")
        precision = ["--float64"] if dtype == "float64" else []
        kmeans("train", path("train.npy"), "-k", "10", "--metric", metric, "--model-dir",
               model_dir, "--steps", "15", "--seed", "3", *precision)
        saved = path(f"saved-{case}")
        onnx_path = path(f"{case}.onnx")
        kmeans("export", "--model-dir", model_dir, "--saved-model", saved, "--onnx", onnx_path)
        kmeans("predict", "--model-dir", model_dir, path("held-out.npy"), "--output",
               path("labels.npy"))
        ours = np.load(path("labels.npy"))
        kmeans("transform", "--model-dir", model_dir, path("held-out.npy"), "--output",
               path("distances.npy"), "--no-euclidean")
        our_distances = np.load(path("distances.npy"))
        euclidean = np.sqrt(np.maximum(our_distances, 0)) if metric == "euclidean" \
            else our_distances
        our_score = json.loads(kmeans("score", "--model-dir", model_dir, path("held-out.npy"),
                                      "--json"))["score"]
        tf_dtype = tf.float64 if dtype == "float64" else tf.float32
        rows = tf.constant(held_out_rows, dtype=tf_dtype)

        loaded = tf.saved_model.load(saved)
        check("tf.saved_model.load lists the signatures", set(loaded.signatures) == SIGNATURES,
              ", ".join(sorted(loaded.signatures)))
        for key in ["serving_default", "cluster_index"]:
            labels = loaded.signatures[key](input=rows)["output"].numpy()
            differing = int(np.sum(labels != ours))
            check(f"{key} gives our labels", labels.dtype == np.int64 and differing == 0,
                  f"{differing} of {len(ours)} differ, {labels.dtype}")
        all_distances = loaded.signatures["all_distances"](input=rows)["output"]
        error = relative_error(our_distances, all_distances.numpy())
        check("all_distances gives our distances", all_distances.dtype == tf_dtype and
              error <= 1e-5, f"max relative error {error:.2e}, {all_distances.dtype.name}")
        transformed = loaded.signatures["transform"](input=rows)["output"].numpy()
        error = relative_error(euclidean, transformed)
        check("transform gives our Euclidean (or 1 - cos) distances", error <= 1e-5,
              f"max relative error {error:.2e}")
        scored = loaded.signatures["score"](input=rows)
        error = relative_error([our_score], [scored["score"].numpy()])
        nearest_error = relative_error(np.min(our_distances, axis=1),
                                       scored["nearest_distance"].numpy())
        check("score gives kmeans score, nearest_distance the nearest distances",
              error <= 1e-5 and nearest_error <= 1e-5,
              f"{float(scored['score']):.2f} vs {our_score:.2f}")

        # k-means inside a TensorFlow graph: row ids → embedding lookup → our signature →
        # one-hot → cluster sizes, traced into one graph by tf.function.
        assign = loaded.signatures["cluster_index"]

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
        def cluster_sizes(ids):
            embedded = tf.nn.embedding_lookup(rows, ids)
            one_hot = tf.one_hot(assign(input=embedded)["output"], depth=10, dtype=tf.int32)
            return tf.reduce_sum(one_hot, axis=0)

        ids = tf.range(len(held_out_rows))
        sizes = cluster_sizes(ids).numpy()
        graph_ops = {op.type for op in
                     cluster_sizes.get_concrete_function().graph.get_operations()}
        check("inside a tf.function (embedding lookup → cluster_index → one-hot)",
              np.array_equal(sizes, np.bincount(ours, minlength=10)) and
              {"GatherV2", "OneHot"} <= graph_ops, f"sizes {sizes.tolist()}, ops "
              f"{', '.join(sorted(graph_ops & {'GatherV2', 'OneHot', 'PartitionedCall', 'StatefulPartitionedCall'}))}")

        shown = subprocess.run([os.path.join(os.path.dirname(sys.executable), "saved_model_cli"),
                                "show", "--all", "--dir", saved], capture_output=True, text=True)
        listed = all(f"signature_def['{key}']" in shown.stdout for key in SIGNATURES)
        check("saved_model_cli show --all lists every signature",
              shown.returncode == 0 and listed and "tensorflow/serving/predict" in shown.stdout)
        if case == "float32-euclidean":
            print("    --- saved_model_cli show --all ---")
            print("\n".join("    " + line for line in shown.stdout.strip().splitlines()))

        # ONNX.
        model = onnx.load(onnx_path)
        try:
            onnx.checker.check_model(model, full_check=True)
            checked = ""
        except Exception as error:  # noqa: BLE001
            checked = str(error)
        check("onnx.checker (full check) passes", checked == "",
              f"opset {model.opset_import[0].version}, IR {model.ir_version}" + checked)
        session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        numpy_dtype = np.float64 if dtype == "float64" else np.float32
        label, scores = session.run(None, {"X": held_out_rows.astype(numpy_dtype)})
        differing = int(np.sum(label != ours))
        check("ONNX Runtime gives our labels", label.dtype == np.int64 and differing == 0,
              f"{differing} of {len(ours)} differ")
        error = relative_error(euclidean, scores)
        check("ONNX Runtime gives our distances", scores.dtype == numpy_dtype and error <= 1e-5,
              f"max relative error {error:.2e}, {scores.dtype}")

        if metric == "euclidean":
            # scikit-learn's converter on a scikit-learn KMeans with our centers.
            kmeans("export", "--model-dir", model_dir, "--centers", path("centers.npy"))
            centers = np.load(path("centers.npy")).astype(numpy_dtype)
            reference = SklearnKMeans(n_clusters=10, init=centers, n_init=1, max_iter=1)
            reference.fit(centers)  # every center its own cluster: the centers stay
            reference.cluster_centers_ = centers
            converted = to_onnx(reference, held_out_rows[:1].astype(numpy_dtype),
                                target_opset=13)

            def interface(proto):
                def describe(values):
                    return [(v.name, v.type.tensor_type.elem_type,
                             len(v.type.tensor_type.shape.dim)) for v in values]
                return describe(proto.graph.input), describe(proto.graph.output)

            check("inputs and outputs are skl2onnx's (names, types, ranks)",
                  interface(model) == interface(converted), str(interface(model)))
            reference_session = onnxruntime.InferenceSession(
                converted.SerializeToString(), providers=["CPUExecutionProvider"])
            their_label, their_scores = reference_session.run(
                None, {"X": held_out_rows.astype(numpy_dtype)})
            error = relative_error(their_scores, scores)
            check("skl2onnx's model and ours give the same labels and distances",
                  int(np.sum(their_label != label)) == 0 and error <= 1e-5,
                  f"max relative error {error:.2e}")

    # 2. TensorFlow's own export of its own estimator, and ours of the same directory.
    print("TensorFlow's export_saved_model and kmeans export of the same model directory")
    tf_dir = path("tensorflow")
    estimator = tf.compat.v1.estimator.experimental.KMeans(
        num_clusters=10, model_dir=tf_dir, use_mini_batch=False, seed=3,
        config=tf.estimator.RunConfig(tf_random_seed=3))
    train32 = train_rows.astype(np.float32)
    estimator.train(
        lambda: tf.compat.v1.data.Dataset.from_tensors({"input": train32}).repeat(), steps=8)

    def receiver():  # called inside the estimator's graph
        rows = tf.compat.v1.placeholder(tf.float32, [None, features.shape[1]], name="input")
        return tf.estimator.export.ServingInputReceiver({"input": rows}, {"input": rows})

    theirs_dir = estimator.export_saved_model(path("tf-export"), receiver).decode()
    kmeans("export", "--model-dir", tf_dir, "--saved-model", path("ours-of-tf"))
    theirs = tf.saved_model.load(theirs_dir)
    ours_of_tf = tf.saved_model.load(path("ours-of-tf"))
    rows = tf.constant(held_out_rows.astype(np.float32))

    def structure(signature):
        inputs = {k: (v.dtype.name, v.shape.as_list())
                  for k, v in signature.structured_input_signature[1].items()}
        outputs = {k: v.dtype.name for k, v in signature.structured_outputs.items()}
        return inputs, outputs

    common = set(theirs.signatures)
    check("every signature of TensorFlow's export is in ours", common <= set(ours_of_tf.signatures),
          f"theirs: {', '.join(sorted(common))}")
    for key in sorted(common & set(ours_of_tf.signatures)):
        same = structure(theirs.signatures[key]) == structure(ours_of_tf.signatures[key])
        their_out = theirs.signatures[key](input=rows)["output"].numpy()
        our_out = ours_of_tf.signatures[key](input=rows)["output"].numpy()
        if their_out.dtype == np.int64:
            agree = np.array_equal(their_out, our_out)
            detail = f"{int(np.sum(their_out != our_out))} labels differ"
        else:
            error = relative_error(their_out, our_out)
            agree = error <= 1e-5
            detail = f"max relative error {error:.2e}"
        check(f"'{key}': same inputs and outputs, same answers", same and agree,
              f"{structure(ours_of_tf.signatures[key])}; {detail}")

    # 4. TensorBoard.
    print("TensorBoard summaries")
    run = path("summaries")
    first = json.loads(kmeans("train", path("train.npy"), "-k", "10", "--model-dir", run,
                              "--steps", "6", "--summary-every", "2", "--checkpoint-every", "2", "--seed", "3",
                              "--tol", "0", "--json"))
    kmeans("train", path("train.npy"), "-k", "10", "--model-dir", run, "--steps", "4",
           "--summary-every", "2", "--checkpoint-every", "2", "--seed", "3", "--tol", "0")

    def scalars(directory, tag):
        accumulator = event_accumulator.EventAccumulator(directory)
        accumulator.Reload()
        if tag not in accumulator.Tags()["scalars"]:
            return accumulator.Tags()["scalars"], []
        return accumulator.Tags()["scalars"], [(e.step, e.value) for e in
                                                accumulator.Scalars(tag)]

    tags, loss = scalars(run, "loss/raw")
    expected_tags = {"loss", "loss/raw", "global_step/sec", "kmeans/rows_per_sec",
                     "kmeans/center_shift", "kmeans/relocated_clusters", "kmeans/changed_labels"}
    check("the training tags", expected_tags <= set(tags), ", ".join(sorted(tags)))
    steps = [step for step, _ in loss]
    check("one step axis over the run and its resumption (first, every 2nd, last steps)",
          steps == [1, 2, 4, 6, 7, 8, 10], f"steps {steps}")
    print(f"    loss/raw: {[(s, round(v, 1)) for s, v in loss]}")
    # The first call's losses, as its JSON summary reports them (float32 in the events file).
    reported = dict(zip(first["iterationSteps"], first["iterationLosses"]))
    matching = [abs(value - reported[step]) <= 1e-6 * abs(reported[step])
                for step, value in loss if step in reported]
    check("loss/raw holds the losses of the steps", len(matching) == 4 and all(matching),
          f"{len(matching)} compared")
    _, rows_per_second = scalars(run, "kmeans/rows_per_sec")
    check("rows/s is positive", rows_per_second and all(v > 0 for _, v in rows_per_second))

    # An earlier checkpoint: the steps after it are written again and TensorBoard keeps only
    # the new ones (SessionLog.START).
    kmeans("train", path("train.npy"), "-k", "10", "--model-dir", run, "--steps", "4",
           "--summary-every", "2", "--checkpoint-every", "2", "--seed", "3", "--tol", "0", "--resume-from", "model.ckpt-8")
    _, loss = scalars(run, "loss/raw")
    steps = [step for step, _ in loss]
    check("resumed from an earlier checkpoint: the abandoned tail is dropped",
          steps == [1, 2, 4, 6, 7, 8, 9, 10, 12], f"steps {steps}")

    evaluated = json.loads(kmeans("evaluate", "--model-dir", run, path("held-out.npy"),
                                  "--name", "held_out", "--json"))
    kmeans("evaluate", "--model-dir", run, path("train.npy"))
    tags, score = scalars(os.path.join(run, "eval_held_out"), "score")
    check("evaluate --name held_out writes score and the metrics into eval_held_out/",
          score == [(12, score[0][1])] and abs(score[0][1] - evaluated["score"]) <=
          1e-6 * evaluated["score"] and {"score", "loss", "silhouette"} <= set(tags),
          f"{score}, tags {', '.join(sorted(tags))}")
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(run)
    multiplexer.Reload()
    runs = sorted(multiplexer.Runs())
    check("TensorBoard's multiplexer sees training and evaluations side by side",
          runs == [".", "eval", "eval_held_out"], f"runs {runs}")
    # TensorFlow's own reader (it checks every record's length and CRC, and raises
    # DataLossError on a damaged one) reads every events file SummaryWriter wrote.
    events = sorted(glob.glob(os.path.join(run, "events.out.tfevents.*")))
    read_steps = set()
    for name in events:
        for event in tf.compat.v1.train.summary_iterator(name):
            read_steps.update(event.step for value in event.summary.value
                              if value.tag == "loss/raw")
    check("tf.compat.v1.train.summary_iterator reads the training events (CRCs checked)",
          len(events) >= 1 and {1, 2, 4, 6, 8, 10, 12} <= read_steps,
          f"{len(events)} files, steps {sorted(read_steps)}")

check.finish()
