# SPDX-License-Identifier: GPL-2.0
# cowsnapctl and libcowsnap, included by the top-level Makefile.
#
#   tools/cowsnapctl/lib/*.c   libcowsnap.a: libdevmapper, stacks, events,
#                              JSON; also linked by the test programs
#   tools/cowsnapctl/*.c       the command-line tool, one file per noun

CS_CFLAGS	:= -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
		   -Iinclude/uapi -Itools/cowsnapctl/lib \
		   $(shell pkg-config --cflags devmapper json-c libcrypto)
CS_LIBS		:= $(shell pkg-config --libs devmapper json-c libcrypto)

CS_LIB_SRCS	:= $(wildcard tools/cowsnapctl/lib/*.c)
CS_LIB_OBJS	:= $(CS_LIB_SRCS:%.c=$(HOST)/obj/%.o)
CS_TOOL_SRCS	:= $(wildcard tools/cowsnapctl/*.c)
CS_TOOL_OBJS	:= $(CS_TOOL_SRCS:%.c=$(HOST)/obj/%.o)
CS_HDRS		:= $(wildcard tools/cowsnapctl/*.h tools/cowsnapctl/lib/*.h \
			      include/uapi/linux/*.h)

userspace: $(HOST)/libcowsnap.a $(HOST)/cowsnapctl

$(HOST)/obj/tools/cowsnapctl/%.o: tools/cowsnapctl/%.c $(CS_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CS_CFLAGS) -c -o $@ $<

$(HOST)/libcowsnap.a: $(CS_LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(HOST)/cowsnapctl: $(CS_TOOL_OBJS) $(HOST)/libcowsnap.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(CS_TOOL_OBJS) $(HOST)/libcowsnap.a $(CS_LIBS)
