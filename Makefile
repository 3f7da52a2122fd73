# The two commands of the quick start, and the pieces they are made of.
#   make demo   set up, build, analyze datasets/sample, write its report to demo/
#   make test   set up, build with ASan+UBSan, run every test (ctest)
# Other targets: setup, build, build-asan, release-check (a packager's Release build with gcc and
# with clang, every warning an error), bench, clean.

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DIR   ?= demo

.PHONY: all setup build build-asan release-check demo test bench clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: setup
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCIOT_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)

# What a packager builds: CMAKE_BUILD_TYPE=Release (-O3 finds warnings -O2 does not) with both
# compilers Debian ships; -Werror is on in every build, so a warning fails it.
release-check: setup
	@for cc in gcc clang; do \
	  CC=$$cc cmake -S . -B build-release-$$cc -DCMAKE_BUILD_TYPE=Release >/dev/null && \
	  cmake --build build-release-$$cc -j $(JOBS) >/dev/null || exit 1; \
	  echo "release-check: $$cc Release build without a warning"; \
	done

demo: build
	@scripts/demo.sh $(BUILD) $(DEMO_DIR)

test: build-asan
	@cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS)

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-release-gcc build-release-clang $(DEMO_DIR)
