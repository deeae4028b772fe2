# Tests: Criterion binaries, one per file of tests/unit and tests/e2e, and
# the benchmarks of tests/bench; all link the test support code.
SUPPORT_SRC  := $(wildcard tests/support/*.c)
SUPPORT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(SUPPORT_SRC))
UNIT_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/*.c))
E2E_BINS     := $(patsubst tests/e2e/%.c,$(BUILD)/tests/e2e/%,$(wildcard tests/e2e/*.c))
BENCH_BINS   := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(wildcard tests/bench/*.c))
TEST_BINS    := $(UNIT_BINS) $(E2E_BINS) $(BENCH_BINS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(SUPPORT_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(COMMON_LIB) $(LDLIBS) -lcriterion

# Tests of a service's parts link that service's library.
$(filter $(BUILD)/tests/unit/test_intake_%,$(UNIT_BINS)): $(EDGE_LIB) $(INTAKE_LIB)

# Helper programs the tests start as processes (no Criterion).
TOOL_BINS += $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
TEST_BINS += $(TOOL_BINS)

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(AUDIT_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(filter $(BUILD)/tests/unit/test_audit_%,$(UNIT_BINS)): $(AUDIT_LIB)
$(filter %/bench_audit,$(BENCH_BINS)): $(AUDIT_LIB)
# The authorization matrix test walks intake's route table; the catalogue's
# states are checked against intake's life cycle.
$(BUILD)/tests/e2e/test_staff $(BUILD)/tests/e2e/test_intake: $(EDGE_LIB) $(INTAKE_LIB)
# The report benchmark runs intake's own report statement on PostgreSQL alone.
$(filter %/bench_intake,$(BENCH_BINS)): $(INTAKE_LIB)
