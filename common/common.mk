# libpelukan_common: every module of common/src, plus the generated protobuf code.
COMMON_SRC  := $(wildcard common/src/*.c)
COMMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_SRC))
COMMON_LIB  := $(BUILD)/lib/libpelukan_common.a

$(COMMON_LIB): $(COMMON_OBJS) $(PROTO_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@ # an archive keeps members whose source was moved or removed
	$(AR) rcs $@ $^
