# The intake service, the case owner: every .c of services/intake linked
# with libpelukan_common. Its edge is services/edge.
INTAKE_SRC  := $(wildcard services/intake/*.c)
INTAKE_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(INTAKE_SRC))
SERVICE_BINS += $(BUILD)/bin/pelukan-intake

$(BUILD)/bin/pelukan-intake: $(INTAKE_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The service's code without main(), for tests that exercise its parts.
INTAKE_LIB := $(BUILD)/lib/libpelukan_intake.a
$(INTAKE_LIB): $(filter-out %/main.o,$(INTAKE_OBJS))
	@mkdir -p $(dir $@)
	@rm -f $@ # an archive keeps members whose source was moved or removed
	$(AR) rcs $@ $^
