# pixpipe: top-level commands. `make demo` and `make test` each work as the
# first command after `git clone` on Debian 12: both call `make deps`, which
# installs whatever Debian packages are missing (and nothing when all are there).

BUILD ?= build
MESON_OPTS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Build and test dependencies (Debian 12 package names).
DEB_PKGS := gcc libc6-dev make meson ninja-build pkg-config python3 \
	libjpeg62-turbo-dev libspng-dev libwebp-dev libtiff-dev \
	libjansson-dev libcmocka-dev libsqlite3-dev \
	libopenmpi-dev openmpi-bin slurm-wlm munge \
	libjpeg-turbo-progs python3-opencv procps

.PHONY: all deps build test demo bench bench-mpi clean distclean

all: build

deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

test: build
	@tests/run-meson-tests.sh $(BUILD)

demo: build
	@examples/demo.sh $(BUILD)/src/cli/pixpipe

# Benchmarks against OpenCV, libvips, ImageMagick and the libjpeg-turbo floor:
# writes bench/RESULTS.md (BENCH_QUICK=1 for a smoke run; see bench/bench.py).
bench: build
	@bench/run_bench.sh $(BUILD)

# MPI scaling of mpi batch and mpi apply at 1, 2, 4, 8 ranks: the MPI section
# of bench/RESULTS.md (BENCH_QUICK=1 for a small run, RANKS="..." for others).
bench-mpi: build
	@bench/mpi_bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) demo-out

# also the benchmark corpus and images (several GB, slow to regenerate)
distclean: clean
	rm -rf build-* bench/work
