# pelukanctl: the command-line tool for administrators and auditors.
PELUKANCTL_SRC  := $(wildcard tools/pelukanctl/*.c)
PELUKANCTL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(PELUKANCTL_SRC))
CLI_BINS += $(BUILD)/bin/pelukanctl

$(BUILD)/bin/pelukanctl: $(PELUKANCTL_OBJS) $(AUDIT_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
