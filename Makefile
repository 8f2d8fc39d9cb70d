# The two set-up commands of the README, plus the steps they are made of.
BUILD ?= build
JOBS ?= 2

.PHONY: deps build test test-sanitize test-sanitize-query test-fuzz test-tsan serve bench clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	$(MAKE) test-sanitize
	$(MAKE) test-fuzz

# The decoders of untrusted input (capture, http, flag filters) and the ingestion steps under
# AddressSanitizer and UBSan, in a build of their own.
test-sanitize: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEDGEROW_SANITIZE=ON
	cmake --build $(BUILD)-asan -j$(JOBS) --target hedgerow_capture_test hedgerow_http_test hedgerow_ingest_test hedgerow_store_test \
	  hedgerow_flags_test
	cd $(BUILD)-asan && ctest --output-on-failure -R '^(capture|http|ingest|store|flags)$$'

# The query engine under the sanitizers: its ~60 files take ~10 minutes to build with them
# on 2 cores, which CI's 30 minutes cannot hold beside the rest, so it runs on demand (and
# before every submission touching src/query).
test-sanitize-query: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEDGEROW_SANITIZE=ON
	cmake --build $(BUILD)-asan -j$(JOBS) --target hedgerow_query_test
	cd $(BUILD)-asan && ctest --output-on-failure -R '^query$$'

# libFuzzer targets for every decoder and parser of untrusted input (tests/reliability/fuzz),
# built by clang with ASan and UBSan, each run for FUZZ_SECONDS from its seed corpus. Long
# runs: bench/reliability/fuzz.sh.
FUZZ_SECONDS ?= 30
test-fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEDGEROW_FUZZ=ON \
	  -DHEDGEROW_FUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build $(BUILD)-fuzz -j$(JOBS) --target fuzzers
	cd $(BUILD)-fuzz && ctest --output-on-failure -j$(JOBS) -L fuzz

# ThreadSanitizer over the concurrency of the log, the pipeline and persons, and the store
# (group commit, consumers, merges, scans): on demand, as CI's 30 minutes cannot hold it.
test-tsan: deps
	cmake -S . -B $(BUILD)-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEDGEROW_TSAN=ON
	cmake --build $(BUILD)-tsan -j$(JOBS) --target hedgerow_log_test hedgerow_ingest_test hedgerow_persons_test hedgerow_store_test
	cd $(BUILD)-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --output-on-failure -R '^(log|ingest|persons|store)$$'

serve: build
	./$(BUILD)/hedgerow serve --config config/hedgerow.conf

bench: build
	./$(BUILD)/bench/startup_bench ./$(BUILD)/hedgerow

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz $(BUILD)-tsan
