# Shortcuts for swift-kmeans development. Each target is one command a user can also type.
.PHONY: demo test python-test interop-test export-test mpi-test fuzz sanitize memory-test exactness-test portability-test bench bench-mini-batch bench-peers bench-bfloat16 bench-half-precision bench-differentiable bench-compare format fixtures docs

demo:           ## Cluster the bundled digits and report agreement with the true digits.
	Scripts/install-dependencies.sh && swift run -c release kmeans train Data/digits.csv -k 10 --label-column digit --n-init 4

test:           ## The test suite (what CI runs, with the format check): Swift, then Python.
	Scripts/install-dependencies.sh && swift test && Scripts/python-tests.sh

python-test:    ## The Python package: ruff, pip install ., the wheel without the toolchain, pytest.
	Scripts/python-tests.sh

interop-test:   ## Round trip with real TensorFlow 2.15.1 (installs it into .venv-tf once).
	python3 Scripts/tensorflow-interop.py

export-test:    ## SavedModel, ONNX and TensorBoard files checked with TensorFlow, TensorBoard, ONNX Runtime.
	python3 Scripts/export-interop.py

mpi-test:       ## Distributed training over Open MPI, incl. two network-namespace hosts (root).
	Scripts/mpi-tests.sh

fuzz:           ## Fuzz every parser for SECONDS each (default 300), two at a time (libFuzzer + ASan).
	Scripts/fuzz.sh all $(or $(SECONDS),300)

sanitize:       ## The threaded tests under ThreadSanitizer, the parsers' and ABI's under AddressSanitizer.
	Scripts/sanitizers.sh

memory-test:    ## Peak memory of streamed and in-memory training against stated bounds.
	Scripts/memory-bounds.sh

exactness-test: ## Every algorithm, in memory and streamed, bit for bit at n = 150,000, k = 1,024.
	Scripts/exactness-at-scale.sh

portability-test: ## Darwin/Linux lint; the C kernels natively and on aarch64 (qemu); macOS/iOS syntax.
	Scripts/check-portability.sh

bench:          ## Seconds per Lloyd iteration against a plain GEMM of the same shape.
	swift run -c release kmeans-bench --suite lloyd

bench-mini-batch: ## Seeding (k-means++, AFK-MC², k-MC²) and mini-batch against full batch.
	swift run -c release kmeans-bench --suite mini-batch

bench-peers:    ## swift-kmeans against scikit-learn and FAISS (installs them into .venv-peers).
	python3 Scripts/bench-peers.py

bench-bfloat16: ## Lloyd: the bfloat16 screen, the float32 kernels and the GEMM bound, d = 32 … 1,536.
	python3 Scripts/bench-bfloat16.py

bench-half-precision: ## float16, bfloat16 and uint8 files kept compact against float32: time, memory, bits.
	python3 Scripts/bench-half-precision.py

bench-differentiable: ## Soft k-means loss + gradient against TensorFlow's GradientTape (.venv-tf).
	python3 Scripts/bench-differentiable.py

bench-compare:  ## Before/after: our rows of bench-peers, BASELINE=path/to/other/kmeans against this build.
	swift build -c release --product kmeans && python3 Scripts/bench-compare.py $(BASELINE)

format:         ## Format the sources, then lint them strictly.
	Scripts/format.sh

fixtures:       ## Regenerate the scikit-learn known answers.
	python3 Scripts/generate-sklearn-fixtures.py

docs:           ## DocC archives of every library module into .build/docs/, failing on any warning.
	Scripts/docs.sh
