# The referral service: every .c of services/referral linked with libpelukan_common.
REFERRAL_SRC  := $(wildcard services/referral/*.c)
REFERRAL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(REFERRAL_SRC))
SERVICE_BINS += $(BUILD)/bin/pelukan-referral

$(BUILD)/bin/pelukan-referral: $(REFERRAL_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
