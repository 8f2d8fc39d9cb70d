# The two set-up commands of the README, plus the steps they are made of.
BUILD ?= build
JOBS ?= 2

.PHONY: deps build test test-sanitize test-sanitize-query test-tsan serve bench clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	$(MAKE) test-sanitize
	$(MAKE) test-tsan

# One clang build with AddressSanitizer and UBSan for two jobs: the unit tests of the decoders
# of untrusted input (capture, http, flag filters), the ingestion steps and the store, and the
# libFuzzer targets for every decoder and parser (tests/reliability/fuzz), each run for
# FUZZ_SECONDS from its seed corpus. The libraries carry libFuzzer's coverage instrumentation,
# which the unit tests link without libFuzzer. Long fuzz runs: bench/reliability/fuzz.sh.
# The unit tests run two at a time, and each fuzzer 20 s: a cold CI run took 32 minutes.
FUZZ_SECONDS ?= 20
SANITIZE_TESTS = capture http ingest store flags
test-sanitize: deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD)-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEDGEROW_FUZZ=ON \
	  -DHEDGEROW_FUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build $(BUILD)-sanitize -j$(JOBS) --target fuzzers $(SANITIZE_TESTS:%=hedgerow_%_test)
	cd $(BUILD)-sanitize && ctest --output-on-failure -j$(JOBS) -R '^($(subst $(eval) ,|,$(SANITIZE_TESTS)))$$'
	cd $(BUILD)-sanitize && ctest --output-on-failure -j$(JOBS) -L fuzz

# The query engine under the sanitizers: its ~60 files take ~10 minutes to build with them
# on 2 cores, which CI's 30 minutes cannot hold beside the rest, so it runs on demand (and
# before every submission touching src/query).
test-sanitize-query: deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD)-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEDGEROW_FUZZ=ON \
	  -DHEDGEROW_FUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build $(BUILD)-sanitize -j$(JOBS) --target hedgerow_query_test
	cd $(BUILD)-sanitize && ctest --output-on-failure -R '^query$$'

# ThreadSanitizer over the concurrency of the log, the pipeline and persons, and the store
# (group commit, consumers, merges, scans). The store's fault-injection cases are single
# threaded and fsync-bound: left to the other builds.
TSAN_RUN = TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp"
test-tsan: deps
	cmake -S . -B $(BUILD)-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEDGEROW_TSAN=ON
	cmake --build $(BUILD)-tsan -j$(JOBS) --target hedgerow_log_test hedgerow_ingest_test hedgerow_persons_test hedgerow_store_test
	cd $(BUILD)-tsan && $(TSAN_RUN) ctest --output-on-failure -j$(JOBS) -R '^(log|ingest|persons)$$'
	cd $(BUILD)-tsan && $(TSAN_RUN) ./tests/hedgerow_store_test '~[faults]'

serve: build
	./$(BUILD)/hedgerow serve --config config/hedgerow.conf

bench: build
	./$(BUILD)/bench/startup_bench ./$(BUILD)/hedgerow

clean:
	rm -rf $(BUILD) $(BUILD)-sanitize $(BUILD)-tsan
