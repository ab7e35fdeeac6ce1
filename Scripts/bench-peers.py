#!/usr/bin/env python3
"""swift-kmeans against scikit-learn and FAISS on the same data, from the same initial centers,
with 2 threads everywhere: one table of seconds per iteration, time to converge, iterations,
final inertia and peak RSS, each with its ratio to the best peer. `make bench-peers` runs it.

It makes its own virtual environment (.venv-peers: scikit-learn 1.9.1, faiss-cpu, threadpoolctl),
builds `kmeans` and `kmeans-bench` in release mode, writes seeded data sets under
.build/bench-peers/, and runs every job in its own process (so peak RSS is per job). The peers'
bundled OpenBLAS picks its best kernel only with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset:
they are unset for the peer processes only; our processes keep the environment they were given.

    python3 Scripts/bench-peers.py [--quick] [--large] [--only NAME,...] [--repeat N]

--large adds the FAISS-sized rows (1M×64 and 500k×128 at k = 4,096 and 16,384, unit 200k×384 at
k = 1,000): about an hour on 2 cores, most of it FAISS's. Without it, large k is measured on
blobs 200k×64 at k = 4,096. --only NAME,... keeps the data sets whose names contain one of the
words, --task WORD,... the tasks likewise (e.g. --task "32 rows"). When FAISS trains on a sample
(32 rows per center) its time runs through the `index.search` that labels every row: its train
never assigns the rows outside the sample, and our time includes every row's label. On an
AVX-512 machine, `KMEANS_KERNEL=avx2 make bench-peers` measures our AVX2 kernels (the peers are
not affected). The runs to convergence from each side's defaults and the mini-batch runs are
each the median (by time) of --repeat N runs (default 5); the fixed-iteration rows run once.
"""
import json, os, subprocess, sys, time, venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv-peers")
WORK = os.path.join(ROOT, ".build", "bench-peers")
THREADS = 2
PACKAGES = ["scikit-learn==1.9.1", "numpy", "scipy", "faiss-cpu", "threadpoolctl"]

if sys.prefix != VENV:
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python) or subprocess.call(
            [python, "-c", "import sklearn, faiss, threadpoolctl"], stderr=subprocess.DEVNULL):
        print("setting up .venv-peers (scikit-learn, faiss-cpu) …", flush=True)
        venv.create(VENV, with_pip=True)
        subprocess.check_call([os.path.join(VENV, "bin", "pip"), "install", "-q"] + PACKAGES)
    os.execv(python, [python] + sys.argv)

# Jobs start from a small launcher process: Linux carries a parent's peak RSS into a forked
# child (ru_maxrss survives exec), so forking from this process, once it holds data, would
# overstate every job's memory.
LAUNCHER = r"""
import json, os, subprocess, sys
for line in sys.stdin:
    job = json.loads(line)
    process = subprocess.Popen(job["command"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=job["env"], cwd=job["cwd"])
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    print(json.dumps({"status": os.waitstatus_to_exitcode(status), "rss": usage.ru_maxrss,
                      "stdout": out.decode(), "stderr": err.decode()[-3000:]}), flush=True)
"""
launcher = None
if not (len(sys.argv) > 2 and sys.argv[1] == "--worker"):
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)

import numpy as np


def peer_environment():
    env = dict(os.environ)
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(name, None)
    env.update(OMP_NUM_THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS),
               MKL_NUM_THREADS=str(THREADS))
    return env


def timed(command, env=None):
    """Runs `command` from the launcher: (stdout, peak RSS in MB, wall seconds)."""
    start = time.time()
    launcher.stdin.write(json.dumps({"command": command, "env": env or dict(os.environ),
                                     "cwd": ROOT}) + "\n")
    launcher.stdin.flush()
    result = json.loads(launcher.stdout.readline())
    if result["status"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result['stderr']}")
    return result["stdout"], result["rss"] / 1024.0, time.time() - start


# ---------------------------------------------------------------------------------------------
# Worker: one peer job in its own process.

def blas_kernels():
    from threadpoolctl import threadpool_info
    names = []
    for pool in threadpool_info():
        if pool.get("internal_api") == "openblas":
            names.append(f"OpenBLAS {pool.get('version')} {pool.get('architecture')}")
        elif pool.get("user_api") == "blas":
            names.append(f"{pool.get('internal_api')} {pool.get('architecture', '')}")
    return ", ".join(sorted(set(names))) or "none"


def worker(job):
    from threadpoolctl import threadpool_limits
    import scipy.sparse
    with threadpool_limits(limits=THREADS):
        if job["data"].endswith(".npz"):
            X = scipy.sparse.load_npz(job["data"]).tocsr()
        else:
            X = np.load(job["data"])
        if job.get("dtype") == "float64":
            X = X.astype(np.float64)
        init = np.load(job["init"]).astype(X.dtype) if job.get("init") else None
        k = job["k"]
        result = {"kernel": blas_kernels()}
        impl = job["impl"]
        if impl in ("sklearn-lloyd", "sklearn-elkan", "sklearn-default"):
            from sklearn.cluster import KMeans
            if impl == "sklearn-default":
                model = KMeans(n_clusters=k, n_init=1, random_state=0)
            else:
                model = KMeans(n_clusters=k, init=init, n_init=1, max_iter=job["iterations"],
                               tol=0.0, algorithm=impl.split("-")[1])
            start = time.perf_counter()
            model.fit(X)
            seconds = time.perf_counter() - start
            result.update(seconds=seconds, iterations=int(model.n_iter_),
                          inertia=float(model.inertia_))
        elif impl == "sklearn-minibatch":
            from sklearn.cluster import MiniBatchKMeans
            model = MiniBatchKMeans(n_clusters=k, batch_size=1024, n_init=1, random_state=0)
            start = time.perf_counter()
            model.fit(X)
            seconds = time.perf_counter() - start
            inertia = -model.score(X)
            result.update(seconds=seconds, iterations=int(model.n_steps_), inertia=float(inertia))
        elif impl == "faiss-default":
            # FAISS's own defaults (random initial centroids, 25 iterations, its sampling), as a
            # user training an IVF coarse quantizer would run it; spherical for cosine.
            import faiss
            faiss.omp_set_num_threads(THREADS)
            X32 = np.ascontiguousarray(X, dtype=np.float32)
            model = faiss.Kmeans(X32.shape[1], k, seed=1, spherical=job.get("cosine", False),
                                 max_points_per_centroid=job.get("mppc") or 256, verbose=False)
            # On a sample, train never assigns the other rows: timed through the search that
            # labels every row, as our time includes every row's label.
            sampled = X32.shape[0] > k * (job.get("mppc") or 256)
            start = time.perf_counter()
            model.train(X32)
            seconds = time.perf_counter() - start
            _, labels = model.index.search(X32, 1)
            if sampled:
                seconds = time.perf_counter() - start
            centers = model.centroids[labels[:, 0]]
            if job.get("cosine"):
                norms = np.linalg.norm(centers, axis=1) * np.linalg.norm(X32, axis=1)
                inertia = float(np.sum(1 - np.sum(X32 * centers, axis=1) / np.maximum(norms, 1e-30)))
            else:
                inertia = float(np.sum((X32 - centers) ** 2, dtype=np.float64))
            # FAISS (1.8 on) stops early once the objective stops changing: its objective
            # list has one entry per iteration run.
            result.update(seconds=seconds, iterations=len(model.obj) or 25, inertia=inertia,
                          kernel=result["kernel"] + " (FAISS " + faiss.__version__ + ")")
        elif impl == "faiss":
            import faiss
            faiss.omp_set_num_threads(THREADS)
            X32 = np.ascontiguousarray(X, dtype=np.float32)
            model = faiss.Kmeans(X32.shape[1], k, niter=job["iterations"], seed=1,
                                 max_points_per_centroid=10 ** 9, verbose=False)
            start = time.perf_counter()
            model.train(X32, init_centroids=np.ascontiguousarray(init, dtype=np.float32))
            seconds = time.perf_counter() - start
            # FAISS's objective is the inertia before the last update; assign once more.
            distances, _ = model.index.search(X32, 1)
            result.update(seconds=seconds, iterations=len(model.obj) or job["iterations"],
                          inertia=float(distances.sum()), kernel=result["kernel"] + " (FAISS " +
                          faiss.__version__ + ")")
        else:
            raise ValueError(impl)
    print(json.dumps(result))


if len(sys.argv) > 2 and sys.argv[1] == "--worker":
    worker(json.loads(sys.argv[2]))
    sys.exit(0)

# ---------------------------------------------------------------------------------------------
# Data.

quick = "--quick" in sys.argv
large = "--large" in sys.argv
only = None
if "--only" in sys.argv:
    only = set(sys.argv[sys.argv.index("--only") + 1].split(","))
tasks = None
if "--task" in sys.argv:
    tasks = set(sys.argv[sys.argv.index("--task") + 1].split(","))


repeats = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5


def median_run(job):
    """The run of median time among `repeats` runs of `job` (each in its own process)."""
    runs = sorted((job() for _ in range(repeats)), key=lambda result: result["seconds"])
    result = dict(runs[len(runs) // 2])
    result["runs"] = len(runs)
    return result


def wanted(task):
    return tasks is None or any(word in task for word in tasks)


os.makedirs(WORK, exist_ok=True)


def save(name, array):
    path = os.path.join(WORK, name)
    if not os.path.exists(path):
        np.save(path, array)
    return path


def blobs(name, n, d, k):
    from sklearn.datasets import make_blobs
    path = os.path.join(WORK, f"{name}.npy")
    if not os.path.exists(path):
        X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=1.0,
                          center_box=(-10, 10), random_state=0)
        np.save(path, X.astype(np.float32))
    return path


def initial_centers(data_path, k, name):
    path = os.path.join(WORK, f"{name}-init{k}.npy")
    if not os.path.exists(path):
        if data_path.endswith(".npz"):
            import scipy.sparse
            X = scipy.sparse.load_npz(data_path).tocsr()
            rows = np.random.default_rng(7).choice(X.shape[0], size=k, replace=False)
            np.save(path, X[rows].toarray().astype(np.float32))
        else:
            X = np.load(data_path, mmap_mode="r")
            rows = np.sort(np.random.default_rng(7).choice(X.shape[0], size=k, replace=False))
            np.save(path, np.asarray(X[rows], dtype=np.float32))
    return path


def docstring_tfidf(limit):
    """TF-IDF of real English: paragraphs of the docstrings of numpy, scipy and scikit-learn."""
    path = os.path.join(WORK, f"tfidf-{limit}.npz")
    if os.path.exists(path):
        return path
    import importlib, inspect, pkgutil, warnings
    import scipy.sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    texts, seen = [], set()
    warnings.simplefilter("ignore")
    for package_name in ("numpy", "scipy", "sklearn"):
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            if ".tests" in info.name or "._" in info.name:
                continue
            try:
                module = importlib.import_module(info.name)
            except Exception:
                continue
            for _, member in sorted(vars(module).items(), key=lambda item: item[0]):
                doc = inspect.getdoc(member) if callable(member) else None
                for paragraph in (doc or "").split("\n\n"):
                    paragraph = " ".join(paragraph.split())
                    if len(paragraph.split()) >= 8 and paragraph not in seen:
                        seen.add(paragraph)
                        texts.append(paragraph)
    texts = texts[:limit]
    X = TfidfVectorizer(min_df=2, stop_words="english", dtype=np.float32).fit_transform(texts)
    X = scipy.sparse.csr_matrix(X)
    X.sort_indices()
    scipy.sparse.save_npz(path, X, compressed=False)
    return path


def unit_vectors(n, d, k):
    path = os.path.join(WORK, f"unit-{n}x{d}.npy")
    if not os.path.exists(path):
        from sklearn.datasets import make_blobs
        X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=4.0, random_state=1)
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        np.save(path, X.astype(np.float32))
    return path


def digits():
    path = os.path.join(WORK, "digits.npy")
    if not os.path.exists(path):
        table = np.loadtxt(os.path.join(ROOT, "Data", "digits.csv"), delimiter=",", skiprows=1)
        np.save(path, table[:, :64].astype(np.float32))
    return path


# ---------------------------------------------------------------------------------------------
# Jobs.

def ours(data, k, *, init=None, iterations=None, float64=False, cosine=False, mini_batch=False,
         algorithm="auto", initialization=None, max_points=None):
    command = [os.path.join(ROOT, ".build", "release", "kmeans"), "train", data, "-k", str(k),
               "--threads", str(THREADS), "--json", "--algorithm", algorithm]
    if initialization:
        command += ["--init", initialization]
    if init:
        command += ["--init", init, "--tol", "0", "--max-iter", str(iterations)]
    if float64:
        command.append("--float64")
    if cosine:
        command += ["--metric", "cosine"]
    if mini_batch:
        command += ["--mini-batch", "--batch-size", "1024"]
    if max_points:
        command += ["--max-points-per-center", str(max_points)]
    out, rss, _ = timed(command)
    summary = json.loads(out)
    # Timed as the peers are: `seconds` is the whole fit (seeding, every iteration and the final
    # labels of every row, not loading the file), per iteration that over the iterations run.
    # The iterations alone are kept in results.json as `loopPerIteration`.
    steps = summary.get("iterationSeconds") or [summary["seconds"]]
    return {"seconds": summary["seconds"], "iterations": summary["iterations"],
            "inertia": summary["inertia"], "rss": rss, "loopPerIteration": sum(steps) / len(steps)}


def peer(impl, data, k, *, init=None, iterations=None, dtype="float32", cosine=False, mppc=None):
    job = {"impl": impl, "data": data, "k": k, "init": init, "iterations": iterations,
           "dtype": dtype, "cosine": cosine, "mppc": mppc}
    out, rss, _ = timed([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(job)],
                        env=peer_environment())
    result = json.loads(out.strip().splitlines()[-1])
    result["rss"] = rss
    return result


print(f"building swift-kmeans (release) …", flush=True)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_environment import cpu_model_and_flags, swift_environment  # noqa: E402

subprocess.check_call(["swift", "build", "-c", "release", "--product", "kmeans"], cwd=ROOT,
                      stdout=subprocess.DEVNULL, env=swift_environment())
subprocess.check_call(["swift", "build", "-c", "release", "--product", "kmeans-bench"], cwd=ROOT,
                      stdout=subprocess.DEVNULL, env=swift_environment())
peak_line = subprocess.check_output(
    [os.path.join(ROOT, ".build", "release", "kmeans-bench"), "--suite", "peak", "--threads",
     str(THREADS)] + (["--quick"] if quick else []), cwd=ROOT).decode()
our_kernel = peak_line.splitlines()[0].removeprefix("BLAS: ")
our_assignment_kernel = peak_line.splitlines()[1].split(":", 1)[1].split("(")[0].strip()
peak = float(peak_line.split(":")[-1].split()[0])
cpu_model, flags = cpu_model_and_flags()
isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"

iterations = 20
datasets = [
    ("blobs 1M×64 k=256", lambda: blobs("blobs-1Mx64", 1_000_000, 64, 256), 256, False),
    ("blobs 100k×32 k=64", lambda: blobs("blobs-100kx32", 100_000, 32, 64), 64, False),
    ("digits k=10", digits, 10, False),
    ("unit 20k×384 k=100 cosine", lambda: unit_vectors(20_000, 384, 100), 100, True),
    ("TF-IDF sparse k=20", lambda: docstring_tfidf(60_000), 20, False),
]
large_k = [("large k: blobs 200k×64 k=4096", lambda: blobs("blobs-200kx64-1000", 200_000, 64, 1000),
            4096, False)]
if large:
    large_k = [("large k: blobs 1M×64 k=4096", lambda: blobs("blobs-1Mx64-4096", 1_000_000, 64, 4096), 4096, False),
               ("large k: blobs 1M×64 k=16384", lambda: blobs("blobs-1Mx64-4096", 1_000_000, 64, 4096), 16384, False),
               ("large k: blobs 500k×128 k=4096", lambda: blobs("blobs-500kx128-4096", 500_000, 128, 4096), 4096, False),
               ("large k: blobs 500k×128 k=16384", lambda: blobs("blobs-500kx128-4096", 500_000, 128, 4096), 16384, False),
               ("unit 200k×384 k=1000 cosine", lambda: unit_vectors(200_000, 384, 1000), 1000, True)]
if quick:
    datasets = [d for d in datasets if "1M" not in d[0]]
    large_k = []
if only:
    datasets = [d for d in datasets if any(word in d[0] for word in only)]
    large_k = [d for d in large_k if any(word in d[0] for word in only)]

rows = []  # (dataset, task, implementation, result)
kernels = {"swift-kmeans": our_kernel}
for name, make, k, cosine in datasets:
    print(f"{name}: data …", flush=True)
    data = make()
    sparse = data.endswith(".npz")
    if sparse:
        import scipy.sparse
        shape = scipy.sparse.load_npz(data).shape
        n, d = shape
    else:
        n, d = np.load(data, mmap_mode="r").shape
    init = initial_centers(data, k, os.path.basename(data).split(".")[0])
    flops = 2.0 * n * k * d
    task = f"Lloyd, {iterations} iterations, same start"
    jobs = [("swift-kmeans Float", lambda: ours(data, k, init=init, iterations=iterations, cosine=cosine)),
            ("swift-kmeans Float, plain Lloyd", lambda: ours(data, k, init=init, iterations=iterations, cosine=cosine, algorithm="lloyd")),
            ("swift-kmeans Double", lambda: ours(data, k, init=init, iterations=iterations, cosine=cosine, float64=True)),
            ("scikit-learn lloyd", lambda: peer("sklearn-lloyd", data, k, init=init, iterations=iterations)),
            ("scikit-learn elkan", lambda: peer("sklearn-elkan", data, k, init=init, iterations=iterations))]
    if not sparse:
        jobs.append(("FAISS", lambda: peer("faiss", data, k, init=init, iterations=iterations)))
    for label, job in jobs:
        if not wanted(task):
            continue
        print(f"  {task}: {label} …", flush=True)
        result = job()
        result["bound"] = flops / (peak * 1e9) if not sparse else None
        rows.append((name, task, label, result))
        if "kernel" in result:
            kernels[label] = result["kernel"]
    if "1M" in name or "100k" in name:
        task = "converge from k-means++ (defaults)"
        for label, job in [("swift-kmeans Float", lambda: ours(data, k, cosine=cosine)),
                           ("swift-kmeans Float, AFK-MC²", lambda: ours(data, k, cosine=cosine, initialization="afk-mc2")),
                           ("scikit-learn lloyd", lambda: peer("sklearn-default", data, k))]:
            if not wanted(task):
                continue
            print(f"  {task}: {label} (median of {repeats}) …", flush=True)
            rows.append((name, task, label, median_run(job)))
    if not sparse:
        # scikit-learn's MiniBatchKMeans is Euclidean: on unit rows both sides run Euclidean.
        task = "mini-batch (batch 1024, defaults)"
        for label, job in [("swift-kmeans Float", lambda: ours(data, k, mini_batch=True)),
                           ("scikit-learn MiniBatchKMeans", lambda: peer("sklearn-minibatch", data, k))]:
            if not wanted(task):
                continue
            print(f"  {task}: {label} (median of {repeats}) …", flush=True)
            rows.append((name, task, label, median_run(job)))

# Large k and embeddings, converged from each side's defaults (FAISS: random centroids, 25
# iterations); large k also with both sides sampling 32 rows per center.
for name, make, k, cosine in large_k + [("unit 20k×384 k=100 cosine", lambda: unit_vectors(20_000, 384, 100), 100, True),
                                        ("unit 20k×384 k=1000 cosine", lambda: unit_vectors(20_000, 384, 100), 1000, True)]:
    if (quick and "k=1000" in name) or (only and not any(word in name for word in only)):
        continue
    print(f"{name}: data …", flush=True)
    data = make()
    task = "converge from defaults"
    jobs = [("swift-kmeans Float", lambda: ours(data, k, cosine=cosine)),
            ("FAISS", lambda: peer("faiss-default", data, k, cosine=cosine, mppc=10 ** 9))]
    if name.startswith("large k"):
        jobs.append(("swift-kmeans Float, Lloyd", lambda: ours(data, k, cosine=cosine, algorithm="lloyd")))
    for label, job in jobs:
        if not wanted(task):
            continue
        print(f"  {task}: {label} (median of {repeats}) …", flush=True)
        result = median_run(job)
        rows.append((name, task, label, result))
        if "kernel" in result:
            kernels[label] = result["kernel"]
    if name.startswith("large k"):
        task = "converge, 32 rows per center"
        for label, job in [("swift-kmeans Float", lambda: ours(data, k, cosine=cosine, max_points=32)),
                           ("FAISS", lambda: peer("faiss-default", data, k, cosine=cosine, mppc=32))]:
            if not wanted(task):
                continue
            print(f"  {task}: {label} …", flush=True)
            rows.append((name, task, label, job()))

# ---------------------------------------------------------------------------------------------
# The table: every figure with its ratio to the best peer of the same data set and task.

print()
print(f"CPU: {cpu_model}, {isa}; our assignment kernel: {our_assignment_kernel}"
      f"{' (KMEANS_KERNEL=' + os.environ['KMEANS_KERNEL'] + ')' if 'KMEANS_KERNEL' in os.environ else ''}")
print(f"peak SGEMM (4096³, {THREADS} threads, our BLAS): {peak:.1f} GFLOP/s")
for label, kernel in kernels.items():
    print(f"BLAS of {label}: {kernel}")
print()
header = (f"{'data':27s} {'task':38s} {'implementation':29s} {'s/iter':>8s} {'×peer':>6s} "
          f"{'×bound':>6s} {'total s':>8s} {'×peer':>6s} {'iter':>5s} {'inertia':>14s} "
          f"{'×peer':>8s} {'RSS MB':>7s} {'×peer':>6s}")
print(header)
print("-" * len(header))
groups = {}
for name, task, label, result in rows:
    groups.setdefault((name, task), []).append((label, result))
for (name, task), entries in groups.items():
    peers = [r for label, r in entries if not label.startswith("swift-kmeans")]
    for label, r in entries:
        r["perIteration"] = r["seconds"] / max(1, r["iterations"])
    best_iter = min(r["perIteration"] for r in peers)
    best_total = min(r["seconds"] for r in peers)
    best_inertia = min(r["inertia"] for r in peers)
    best_rss = min(r["rss"] for r in peers)
    for label, r in entries:
        per_iteration = r["perIteration"]
        bound = r.get("bound")
        print(f"{name:27s} {task:38s} {label:29s} {per_iteration:8.4f} {per_iteration / best_iter:6.2f} "
              f"{(per_iteration / bound if bound else float('nan')):6.2f} {r['seconds']:8.2f} "
              f"{r['seconds'] / best_total:6.2f} {r['iterations']:5d} {r['inertia']:14.6g} "
              f"{r['inertia'] / best_inertia:8.5f} {r['rss']:7.0f} {r['rss'] / best_rss:6.2f}")
print()
print("×peer: ratio to the best scikit-learn/FAISS figure of the same data and task (lower is "
      "better); ×bound: s/iter over 2·n·k·d / peak SGEMM.")
print("s/iter: every engine's fit time (seeding, iterations and the final labels; not loading) "
      "over its iterations (mini-batch: its steps).")
print(f"Converged and mini-batch rows: the run of median time of {repeats} on each side; the "
      "fixed-iteration rows: one run.")
print("Cosine: swift-kmeans minimises 1 − cos; the peers run Euclidean k-means on the same unit "
      "vectors (their inertia is not comparable).")
with open(os.path.join(WORK, "results.json"), "w") as f:
    json.dump({"peak": peak, "kernels": kernels, "cpu": cpu_model, "isa": isa,
               "assignmentKernel": our_assignment_kernel,
               "rows": [{"data": a, "task": b, "implementation": c, **d} for a, b, c, d in rows]},
              f, indent=1)
