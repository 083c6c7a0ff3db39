# SPDX-License-Identifier: MIT
# sspix - the two commands of the README, and the developer targets around them.
#   make demo    set up (packages, build, a throwaway KDC) and show a mutual authentication
#   make check   set up and run every test (ctest)
# Other targets: build, install PREFIX=..., asan (the suite under ASan+UBSan),
# valgrind (the suite under valgrind), check-clang (the suite built by clang), analyze (cppcheck,
# gcc -fanalyzer), fuzz (the libFuzzer targets, bounded), fuzz-long (hours), bench
# (benchmarks against MIT's gss-sample peers, regenerating bench/README.md), clean.

BUILD     ?= build
PREFIX    ?= /usr/local
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build check demo install asan valgrind fuzz fuzz-build fuzz-long bench clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

# A build of its own configured for PREFIX (GNUInstallDirs' multiarch libdir under /usr) and without
# the test programs, so installing builds only what it installs.
install: deps
	cmake -S . -B $(BUILD)-install -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSPIX_BUILD_TESTS=OFF \
	  -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)
	cmake --build $(BUILD)-install -j $(JOBS)
	cmake --install $(BUILD)-install

asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DSSPIX_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

valgrind: deps
	SSPIX_DEPS_EXTRA=valgrind scripts/deps.sh
	cmake -S . -B $(BUILD)-valgrind -DCMAKE_BUILD_TYPE=Debug \
	  "-DSSPIX_TEST_LAUNCHER=valgrind;--error-exitcode=99;--leak-check=full;--errors-for-leak-kinds=definite;--suppressions=$(CURDIR)/tests/sanitizers/valgrind.supp;--quiet" $(CMAKE_ARGS)
	cmake --build $(BUILD)-valgrind -j $(JOBS)
	# One test at a time, one worker thread: valgrind 3.19 keeps its global lock while a thread waits
	# in fcntl(F_OFD_SETLKW) (MIT's replay cache), which stalls any other thread holding that lock.
	# The 4-thread run is covered by make check and make asan.
	cd $(BUILD)-valgrind && SSPIX_TEST_THREADS=1 ctest --output-on-failure -j 1

# check-clang: the whole suite built by clang (its warnings, the same -Werror, the hardening flags).
# analyze: cppcheck and gcc -fanalyzer over src/ and apps/ (scripts/analyze.sh; the suppressions
# are tests/sanitizers/cppcheck.supp and analyzer.supp, each justified).
.PHONY: check-clang analyze
check-clang: deps
	SSPIX_DEPS_EXTRA=clang scripts/deps.sh
	CC=clang cmake -S . -B $(BUILD)-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)
	cmake --build $(BUILD)-clang -j $(JOBS)
	cd $(BUILD)-clang && ctest --output-on-failure -j $(JOBS)

analyze: deps
	SSPIX_DEPS_EXTRA=cppcheck scripts/deps.sh
	scripts/analyze.sh $(BUILD)-analyze

# fuzz: every fuzz.* ctest for the bounded time its cmake/fuzz-*.cmake gives it (CI), then per target
# execs, exec/s, cov and ft (scripts/fuzz-report.py). fuzz-long: every target for SSPIX_FUZZ_SECONDS
# each (default one hour; e.g. make fuzz-long SSPIX_FUZZ_SECONDS=14400 FUZZ_JOBS=2), outside ctest,
# keeping what it finds in $(BUILD)-fuzz/fuzz-long-corpus/.
SSPIX_FUZZ_SECONDS ?= 3600
FUZZ_JOBS ?= 1
fuzz-build: deps
	SSPIX_DEPS_EXTRA="clang libclang-rt-dev" scripts/deps.sh
	CC=clang cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=Debug -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(BUILD)-fuzz -j $(JOBS)

fuzz: fuzz-build
	python3 scripts/fuzz-report.py $(BUILD)-fuzz

fuzz-long: fuzz-build
	python3 scripts/fuzz-report.py --seconds $(SSPIX_FUZZ_SECONDS) --jobs $(FUZZ_JOBS) $(BUILD)-fuzz

# Benchmarks side by side with MIT's gss-server/gss-client; regenerates bench/README.md.
bench: build
	bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-valgrind $(BUILD)-fuzz $(BUILD)-clang $(BUILD)-analyze $(BUILD)-install $(BUILD)-deb

# clang-format: rewrite, or check that nothing would change.
FORMAT_FILES = $(shell git ls-files '*.c' '*.h')
.PHONY: format format-check
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: clean"

# Debian packages (libsspix0, libsspix-dev, sspix-server, sspix-client) built with dpkg-buildpackage
# from a clean copy of the tree (the files git tracks or would track) in $(DEB_DIR)/src; the .deb
# files land in $(DEB_DIR), and lintian must report no error or warning.
DEB_DIR ?= $(BUILD)-deb
.PHONY: deb
deb:
	SSPIX_DEPS_EXTRA="debhelper dpkg-dev lintian" scripts/deps.sh
	rm -rf $(DEB_DIR)/src $(DEB_DIR)/*.deb $(DEB_DIR)/*.ddeb $(DEB_DIR)/*.buildinfo $(DEB_DIR)/*.changes
	mkdir -p $(DEB_DIR)/src
	git ls-files -z -c -o --exclude-standard | xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh \
	  | tar --null -T - -cf - | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b
	lintian -I --fail-on error,warning $(DEB_DIR)/sspix_*.changes
