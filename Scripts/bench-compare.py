#!/usr/bin/env python3
"""Before/after: swift-kmeans's own rows of `make bench-peers`, run by two `kmeans` binaries in
turn (A B A B …) on the same data, so that the ratio holds while a shared machine's speed
drifts. Prints, per row, the median seconds per iteration of each side, the median of the
pairwise ratios B/A with its range, the iterations and the inertia of each side.

    python3 Scripts/bench-compare.py BASELINE_KMEANS [CANDIDATE_KMEANS] [--rounds 5] [--only NAME,...]

CANDIDATE defaults to this checkout's .build/release/kmeans. BASELINE is a `kmeans` built from
another commit (e.g. `git worktree add ../before REV && (cd ../before && swift build -c release
--product kmeans)`). The data sets are the ones `make bench-peers` writes under
.build/bench-peers/ (run it once first). Every job uses 2 threads, as the peer benchmark does.
"""
import json, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, ".build", "bench-peers")
THREADS = 2


def arguments():
    args = sys.argv[1:]
    options = {"rounds": 5, "only": None}
    positional = []
    while args:
        word = args.pop(0)
        if word == "--rounds":
            options["rounds"] = int(args.pop(0))
        elif word == "--only":
            options["only"] = args.pop(0).split(",")
        elif word in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        else:
            positional.append(os.path.abspath(word))
    if not positional:
        sys.exit(__doc__)
    if len(positional) == 1:
        positional.append(os.path.join(ROOT, ".build", "release", "kmeans"))
    return positional[0], positional[1], options


def rows():
    """(data set, task, label, data file, arguments) for each of our rows of the peer table."""
    datasets = [
        ("blobs 1M×64 k=256", "blobs-1Mx64.npy", 256, False),
        ("blobs 100k×32 k=64", "blobs-100kx32.npy", 64, False),
        ("digits k=10", "digits.npy", 10, False),
        ("unit 20k×384 k=100 cosine", "unit-20000x384.npy", 100, True),
        ("TF-IDF sparse k=20", "tfidf-60000.npz", 20, False),
    ]
    for name, file, k, cosine in datasets:
        data = os.path.join(WORK, file)
        if not os.path.exists(data):
            sys.exit(f"{data} is missing: run `make bench-peers` once first")
        stem = file.split(".")[0]
        init = os.path.join(WORK, f"{stem}-init{k}.npy")
        base = ["-k", str(k)] + (["--metric", "cosine"] if cosine else [])
        fixed = base + ["--init", init, "--tol", "0", "--max-iter", "20"]
        task = "Lloyd, 20 iterations, same start"
        yield name, task, "Float", data, fixed + ["--algorithm", "auto"]
        yield name, task, "Float, plain Lloyd", data, fixed + ["--algorithm", "lloyd"]
        yield name, task, "Double", data, fixed + ["--algorithm", "auto", "--float64"]
        if "1M" in name or "100k" in name:
            task = "converge from k-means++ (defaults)"
            yield name, task, "Float", data, base + ["--algorithm", "auto"]
            yield name, task, "Float, AFK-MC²", data, base + ["--algorithm", "auto", "--init",
                                                              "afk-mc2"]
        if "1M" in name:
            yield (name, "mini-batch (batch 1024, defaults)", "Float", data,
                   base + ["--mini-batch", "--batch-size", "1024"])


def run(binary, data, extra):
    command = [binary, "train", data, "--threads", str(THREADS), "--json"] + extra
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    summary = json.loads(out)
    steps = summary.get("iterationSeconds") or [summary["seconds"]]
    return {"perIteration": sum(steps) / len(steps), "best": min(steps), "seconds": summary["seconds"],
            "iterations": summary["iterations"], "inertia": summary["inertia"]}


def main():
    baseline, candidate, options = arguments()
    for label, binary in (("A (baseline)", baseline), ("B (candidate)", candidate)):
        print(f"{label}: {binary}")
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "unknown CPU")
    flags = open("/proc/cpuinfo").read()
    isa = "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "no AVX2"
    kernel = os.environ.get("KMEANS_KERNEL", "automatic")
    print(f"CPU: {cpu}, {isa}; KMEANS_KERNEL={kernel}; {THREADS} threads; "
          f"{options['rounds']} rounds, A and B in turn\n")
    header = (f"{'data':27s} {'task':36s} {'variant':19s} {'A s/iter':>9s} {'B s/iter':>9s} "
              f"{'B/A':>6s} {'B/A range':>13s} {'best B/A':>8s} {'A total':>8s} {'B total':>8s} {'iter A/B':>9s} "
              f"{'inertia A':>12s} {'inertia B':>12s}")
    print(header)
    print("-" * len(header), flush=True)
    for name, task, variant, data, extra in rows():
        if options["only"] and not any(word in name for word in options["only"]):
            continue
        run(baseline, data, extra)  # warm the page cache and the binaries
        a_runs, b_runs = [], []
        for _ in range(options["rounds"]):
            a_runs.append(run(baseline, data, extra))
            b_runs.append(run(candidate, data, extra))
        ratios = [b["perIteration"] / a["perIteration"] for a, b in zip(a_runs, b_runs)]
        a, b = a_runs[-1], b_runs[-1]
        median = lambda runs, key: statistics.median(r[key] for r in runs)
        best = lambda runs: min(r["best"] for r in runs)
        print(f"{name:27s} {task:36s} {variant:19s} {median(a_runs, 'perIteration'):9.4f} "
              f"{median(b_runs, 'perIteration'):9.4f} {statistics.median(ratios):6.3f} "
              f"{min(ratios):6.3f}–{max(ratios):6.3f} {best(b_runs) / best(a_runs):8.3f} "
              f"{median(a_runs, 'seconds'):8.3f} "
              f"{median(b_runs, 'seconds'):8.3f} {a['iterations']:4d}/{b['iterations']:<4d} "
              f"{a['inertia']:12.6g} {b['inertia']:12.6g}", flush=True)
    print("\nB/A: the median of the pairwise ratios of seconds per iteration (below 1: B is "
          "faster); best B/A: the fastest single iteration of B over A's, over all rounds (the "
          "figure least disturbed by other work on a shared machine; for rows of equal work per "
          "iteration); totals include loading and seeding.")


main()
