# The two set-up commands of the README, plus the steps they are made of.
BUILD ?= build
JOBS ?= 2

.PHONY: deps build test serve bench clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

serve: build
	./$(BUILD)/hedgerow serve --config config/hedgerow.conf

bench: build
	./$(BUILD)/bench/startup_bench ./$(BUILD)/hedgerow

clean:
	rm -rf $(BUILD)
