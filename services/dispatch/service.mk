# The dispatch service: every .c of services/dispatch linked with libpelukan_common.
DISPATCH_SRC  := $(wildcard services/dispatch/*.c)
DISPATCH_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(DISPATCH_SRC))
SERVICE_BINS += $(BUILD)/bin/pelukan-dispatch

$(BUILD)/bin/pelukan-dispatch: $(DISPATCH_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The service's code without main(), for tests that exercise its parts.
DISPATCH_LIB := $(BUILD)/lib/libpelukan_dispatch.a
$(DISPATCH_LIB): $(filter-out %/main.o,$(DISPATCH_OBJS))
	@mkdir -p $(dir $@)
	@rm -f $@ # an archive keeps members whose source was moved or removed
	$(AR) rcs $@ $^
