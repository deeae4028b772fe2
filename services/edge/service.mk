# The edge: intake's HTTP server, a process of its own with no database
# (issue 24, step 3). It links the parts of intake both processes use: the
# case's life cycle, a report's checks, sealing and intake's settings.
INTAKE_SHARED_SRC := $(addprefix services/intake/,intake_case.c intake_report.c intake_seal.c intake_settings.c)
EDGE_SRC  := $(wildcard services/edge/*.c)
EDGE_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(EDGE_SRC))
SERVICE_BINS += $(BUILD)/bin/pelukan-edge

$(BUILD)/bin/pelukan-edge: $(EDGE_OBJS) $(patsubst %.c,$(BUILD)/obj/%.o,$(INTAKE_SHARED_SRC)) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The edge's code without main(), for tests that walk its route table
# (they link INTAKE_LIB after it, for the shared parts).
EDGE_LIB := $(BUILD)/lib/libpelukan_edge.a
$(EDGE_LIB): $(filter-out %/main.o,$(EDGE_OBJS))
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^
