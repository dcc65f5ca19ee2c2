# bpcheck — the two quick-start commands and the development ones.
#
#   make example   build bpcheck and analyse a bundled example: reports/digits-cnn.md (+ .json, .svg)
#   make test      build and run every test (installs MPFR/GMP when missing)
#   make dataset-report  dataset reports of lenet5-init (8 batches of 16, 4 shards) and mnist-cnn-pretrained (8 of 4, 2 shards)
#   make test-python  the Python package (python/) in a fresh .venv-python with torch, under pytest
#   make test-slurm   a real one-node Slurm (Debian's slurm-wlm): sharded job array, merge, cancel and resume
#   make test-pytorch  run the README's "From PyTorch" commands verbatim (torch wheel in .venv-readme)
#   make reports   regenerate reports/ for every bundled example (lenet5-init takes ~3 minutes)
#   make train-example  training replay of digits-cnn from --reinit: reports/digits-cnn-train.md (+ .json, .svg, weights)
#   make bench     release-mode benchmark of performance.md (with JAX's figures after make peer)
#   make peer      set up the JAX peer in .venv-peer
#   make examples  regenerate examples/ from scikit-learn's bundled digits
#   make onnx-fixtures  regenerate the ONNX parity fixtures with PyTorch (in .venv-onnx)
#   make jax-fixtures   regenerate the ONNX parity fixtures exported from JAX (jax2onnx, in .venv-peer)
#   make onnx-proto     regenerate Sources/ModelIO/ONNX/onnx.pb.swift (tools/onnx/generate.sh)
#   make onnx-conformance  regenerate ONNX's own node conformance cases as fixtures (onnx wheel, offline)
#   make pretrained-example  regenerate examples/mnist-cnn-pretrained (torch from the wheel on disk)

SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps example train-example test test-pytorch test-slurm test-python dataset-report bench peer examples reports clean onnx-fixtures jax-fixtures onnx-proto onnx-conformance pretrained-example

# MPFR and GMP headers and libraries, through apt when pkg-config cannot find them.
deps:
	@if ! pkg-config --exists mpfr gmp 2>/dev/null || [ ! -f /usr/include/mpfr.h ]; then \
		echo "installing libmpfr-dev libgmp-dev pkg-config"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libmpfr-dev libgmp-dev pkg-config >/dev/null; \
	fi

BPCHECK = $$($(SWIFT) build -c release --show-bin-path)/bpcheck
# The build `make test` runs, and the test-* targets after it (one build description: a later
# `build --product bpcheck` would compile every module again without the tests' settings, ~15
# minutes of CI).
BUILD_WITH_TESTS = $(SWIFT) build -c release --build-tests

example: deps
	$(SWIFT) build -c release --product bpcheck
	$(BPCHECK) examples/digits-cnn/model.json --report reports/digits-cnn.md

# Training replay (docs/training.md): digits-cnn from PyTorch's default init (seed 1), 400 steps of
# SGD + momentum at f16, bf16, f32, f64 under C (ReLU'(0)=0) and C′ (ReLU'(0)=1; max-pool ties to the
# first maximum in both, so that only ReLU'(0) differs, as in Bertoin et al.); ~45 s.
TRAIN_EXAMPLE = train examples/digits-cnn/model.json --data examples/digits-cnn-train/train.npz \
	--eval-data examples/digits-cnn-train/heldout.npz --batch-size 32 --steps 400 --optimizer sgd --lr 0.1 \
	--momentum 0.9 --reinit 1 --alternative-derivative maxpool-tie=first --eval-every 25 --certify-every 100 \
	--report reports/digits-cnn-train.md

train-example: deps
	$(SWIFT) build -c release --product bpcheck
	$(BPCHECK) $(TRAIN_EXAMPLE)

reports: deps
	$(SWIFT) build -c release --product bpcheck
	$(BPCHECK) $(TRAIN_EXAMPLE)
	for e in digits-mlp digits-cnn lenet5-init; do $(BPCHECK) examples/$$e/model.json --report reports/$$e.md || exit $$?; done
	$(BPCHECK) examples/mnist-cnn-pretrained/mnist-cnn-pretrained.onnx --data examples/mnist-cnn-pretrained/data.npz --report reports/mnist-cnn-pretrained.md
	$(BPCHECK) analyze examples/digits-cnn/model.json --precisions e4m3,e5m2,f16,bf16 --report reports/digits-cnn-fp8.md
	$(BPCHECK) examples/digits-cnn/model.json --precisions amp-f16,amp-bf16,e4m3-policy,sr:bf16,bf16,f16 --sr-seeds 5 --report reports/digits-cnn-amp.md

# Optimised: the W2 test of ThreadDeterminismTests runs performance.md's whole W2 analysis on 1
# and on 2 threads (~40 s optimised, over 10 minutes unoptimised). The tests use only public API.
test: deps
	$(BUILD_WITH_TESTS)
	$(SWIFT) test -c release --skip-build

# The README's "From PyTorch" python and text blocks, run as written on a small seeded CNN
# (Tests/CLITests/Fixtures/readme-pytorch/run.sh): bpcheck's f64 gradient against torch's float64
# autograd. torch 2.13.0+cpu from the wheel on disk, numpy and onnx 1.23.2 in .venv-readme
# (VENV=... to use another venv).
dataset-report: deps
	$(SWIFT) build -c release --product bpcheck
	rm -rf .build-dataset/lenet5-init
	for k in 0 1 2 3; do $(BPCHECK) examples/lenet5-init/model.json --batch-size 16 --shard $$k/4 --results .build-dataset/lenet5-init || exit $$?; done
	$(BPCHECK) merge .build-dataset/lenet5-init --report reports/lenet5-init-dataset.md
	rm -rf .build-dataset/mnist-cnn-pretrained
	for k in 0 1; do $(BPCHECK) examples/mnist-cnn-pretrained/mnist-cnn-pretrained.onnx --data examples/mnist-cnn-pretrained/data.npz --batch-size 4 --shard $$k/2 --results .build-dataset/mnist-cnn-pretrained || exit $$?; done
	$(BPCHECK) merge .build-dataset/mnist-cnn-pretrained --report reports/mnist-cnn-pretrained-dataset.md

test-python: deps
	$(BUILD_WITH_TESTS)
	rm -rf .venv-python
	python3 -m venv .venv-python
	.venv-python/bin/pip install -q "$(TORCH_WHEEL)" numpy onnx==1.23.2 pytest ./python
	BPCHECK=$(BPCHECK) .venv-python/bin/python -m pytest -q python/tests

test-slurm:
	$(BUILD_WITH_TESTS)
	bash Tests/CLITests/Fixtures/slurm/run.sh

test-pytorch: deps
	$(BUILD_WITH_TESTS)
	BPCHECK=$(BPCHECK) Tests/CLITests/Fixtures/readme-pytorch/run.sh

bench: deps
	$(SWIFT) build -c release --product BPCheckBench
	$$($(SWIFT) build -c release --show-bin-path)/BPCheckBench

# The JAX peer for `make bench` (jax[cpu] from PyPI in .venv-peer); bench prints its figures.
peer:
	python3 -m venv .venv-peer
	.venv-peer/bin/pip install -q "jax[cpu]" numpy
	.venv-peer/bin/python Sources/BPCheckBench/jax_peer.py 5

# Regenerates examples/ (committed) from scikit-learn's bundled digits, in a local venv.
examples:
	python3 -m venv .venv-examples
	.venv-examples/bin/pip install -q numpy scikit-learn safetensors
	.venv-examples/bin/python examples/make_examples.py

# The ONNX parity fixtures (committed; the tests need no Python): torch 2.13.0+cpu from the wheel
# on disk (or PyPI), onnx 1.23.2, onnxscript for the dynamo exporter.
TORCH_WHEEL ?= $(firstword $(wildcard /opt/wheels/torch-2.13.0+cpu-*.whl) torch==2.13.0+cpu)
onnx-fixtures:
	[ -x .venv-onnx/bin/python ] || python3 -m venv .venv-onnx
	.venv-onnx/bin/pip install -q "$(TORCH_WHEEL)" numpy onnx==1.23.2 onnxscript==0.7.2
	cd Tests/ModelIOTests/Fixtures/onnx && ../../../../.venv-onnx/bin/python make_onnx_fixtures.py

# JAX networks exported by jax2onnx, JAX's float64 gradients as the oracle (.venv-peer of make peer).
jax-fixtures:
	[ -x .venv-peer/bin/python ] || python3 -m venv .venv-peer
	.venv-peer/bin/pip install -q "jax[cpu]==0.10.2" jax2onnx==0.17.1 onnx==1.23.2 numpy
	cd Tests/ModelIOTests/Fixtures/onnx && ../../../../.venv-peer/bin/python make_jax_fixtures.py

onnx-proto:
	tools/onnx/generate.sh

# The pretrained third-party example (digit-recognizer-py 0.1.0, MIT) exported to ONNX.
pretrained-example:
	[ -x .venv-onnx/bin/python ] || python3 -m venv .venv-onnx
	.venv-onnx/bin/pip install -q "$(TORCH_WHEEL)" numpy onnx==1.23.2 scikit-learn
	.venv-onnx/bin/pip download -q digit-recognizer-py==0.1.0 --no-deps -d .build-wheels
	.venv-onnx/bin/python examples/mnist-cnn-pretrained/make_example.py .build-wheels/digit_recognizer_py-0.1.0-py3-none-any.whl

# ONNX's node test cases for the ops bpcheck imports (onnx.backend.test, generated offline).
onnx-conformance:
	[ -x .venv-onnx/bin/python ] || python3 -m venv .venv-onnx
	.venv-onnx/bin/pip install -q numpy onnx==1.23.2
	.venv-onnx/bin/python Tests/ModelIOTests/Fixtures/onnx/conformance/make_conformance.py

clean:
	rm -rf .build
