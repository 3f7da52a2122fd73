# The two commands of the quick start, and the pieces they are made of.
#   make demo   set up, build, analyze datasets/sample, write its report to demo/
#   make test   set up, build with ASan+UBSan, run every test (ctest)
# Other targets: setup, build, build-asan, bench, clean.

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DIR   ?= demo

.PHONY: all setup build build-asan demo test bench clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: setup
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCIOT_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD) $(DEMO_DIR)

test: build-asan
	@cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS)

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(DEMO_DIR)
