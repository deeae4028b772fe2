# The audit service: every .c of services/audit linked with libpelukan_common.
AUDIT_SRC  := $(wildcard services/audit/*.c)
AUDIT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(AUDIT_SRC))
SERVICE_BINS += $(BUILD)/bin/pelukan-audit

$(BUILD)/bin/pelukan-audit: $(AUDIT_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The service's code without main(), for pelukanctl and tests.
AUDIT_LIB := $(BUILD)/lib/libpelukan_audit.a
$(AUDIT_LIB): $(filter-out %/main.o,$(AUDIT_OBJS))
	@mkdir -p $(dir $@)
	@rm -f $@ # an archive keeps members whose source was moved or removed
	$(AR) rcs $@ $^
