# ebano-dal: install, test and run the study.  `make help` lists the targets.
PYTHON ?= python3
# EXTRA=gpu installs faiss-gpu (PyPI's wheels are built for CUDA 12) instead of faiss-cpu; see settings.ini.
EXTRA ?= cpu
FASHION_MNIST_DIR = /usr/share/datasets/fashion-mnist

.PHONY: help install data test test-slow export docs clean study quick

help:
	@echo "make install    install ebano-dal (+dev tools and JAX's CPU wheel, faiss-$(EXTRA)) into the active Python and Fashion-MNIST"
	@echo "make test       package/notebook sync, clean notebooks, links of README and notebooks, all notebook tests (slow/gpu cells skipped), the backend notebooks on JAX too"
	@echo "make test-slow  the same, with the cells tagged slow"
	@echo "make export     nbdev_export + nbdev_clean (run before every commit)"
	@echo "make docs       execute nbs/index.ipynb and nbs/[0-9]*.ipynb in place, keeping their figures (NBS=... for some)"
	@echo "make study      the default study on Fashion-MNIST (ebano-dal run params/fashion-mnist.yaml), results in outputs/"
	@echo "make quick      a first look in a few minutes (the quick profile of the same file)"

install: data
	$(PYTHON) -m pip install --upgrade pip
	$(PYTHON) -m pip install -e ".[dev,$(EXTRA)]"

# The Debian package holds the four official idx files; nothing downloads at run time.
data:
	@if [ -f $(FASHION_MNIST_DIR)/t10k-labels-idx1-ubyte.gz ]; then \
	  echo "Fashion-MNIST found in $(FASHION_MNIST_DIR)"; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist; \
	else \
	  echo "apt-get is not available: put the four Fashion-MNIST idx .gz files in a folder and set EBANO_DAL_DATA to it."; \
	fi

test:
	$(PYTHON) scripts/run_tests.py

test-slow:
	$(PYTHON) scripts/run_tests.py --flags slow

export:
	nbdev_export && nbdev_clean

# Execute notebooks in place so that they are committed with their outputs (cells tagged slow/gpu skipped,
# as in make test), then nbdev_clean them; fails on an error, warns above 2 MB.  NBS="nbs/03_explain.ipynb" for one.
NBS ?=
docs:
	$(PYTHON) scripts/make_docs.py $(NBS)

# The default study: every experiment of params/fashion-mnist.yaml, then the report (outputs/fashion-mnist/).
study:
	ebano-dal run params/fashion-mnist.yaml

# A first look in a few minutes (outputs/fashion-mnist-quick/).
quick:
	ebano-dal run params/fashion-mnist.yaml --profile quick
