# The notification service: every .c of services/notification linked with libpelukan_common.
NOTIFICATION_SRC  := $(wildcard services/notification/*.c)
NOTIFICATION_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(NOTIFICATION_SRC))
SERVICE_BINS += $(BUILD)/bin/pelukan-notification

$(BUILD)/bin/pelukan-notification: $(NOTIFICATION_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
