# SPDX-License-Identifier: GPL-2.0
# Test programs, included by the top-level Makefile.
#
#   tests/unit/test-*.c      host unit tests (pure C, no kernel), run by
#                            "make check-unit" on the build machine
#   tests/<area>/test-*.c    CUnit suites run inside the VM (tests/vm/run)
#   tests/lib/*.c            helpers shared by all of them (libtestlib.a)
#   tests/soak/*.c           cowsnap-soak, the guest program of "make soak"
#                            (not a suite: make check does not run it)
#   tests/<area>/*.c         (not test-*.c) helpers of one area's suites
#                            (libtestarea.a)
#
# Every program links tests/lib/cunit-main.c: define cs_suites[] and go.

TEST_CFLAGS	:= -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
		   -Iinclude/uapi -Itools/cowsnapctl/lib -Itests/lib \
		   $(shell pkg-config --cflags json-c)
TEST_LIBS	:= $(HOST)/libtestlib.a $(HOST)/libcowsnap.a \
		   $(shell pkg-config --libs devmapper json-c libcrypto) -lcunit

TESTLIB_SRCS	:= $(wildcard tests/lib/*.c)
TESTLIB_OBJS	:= $(TESTLIB_SRCS:%.c=$(HOST)/obj/%.o)

UNIT_SRCS	:= $(wildcard tests/unit/test-*.c)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(HOST)/unit/%)

VM_TEST_SRCS	:= $(filter-out tests/unit/% tests/lib/% tests/vm/% tests/soak/%, \
			$(wildcard tests/*/test-*.c))
# Helpers of one area (tests/<area>/*.c but test-*.c), in libtestarea.a.
AREA_LIB_SRCS	:= $(filter-out tests/unit/% tests/lib/% tests/vm/% \
			tests/soak/% $(VM_TEST_SRCS), $(wildcard tests/*/*.c))
AREA_LIB_OBJS	:= $(AREA_LIB_SRCS:%.c=$(HOST)/obj/%.o)
VM_TEST_BINS	:= $(VM_TEST_SRCS:tests/%.c=$(HOST)/tests/%)

SOAK_SRCS	:= $(wildcard tests/soak/*.c)
SOAK_BIN	:= $(HOST)/soak/cowsnap-soak

userspace: $(HOST)/libtestarea.a $(UNIT_BINS) $(VM_TEST_BINS) $(SOAK_BIN)

$(HOST)/obj/tests/%.o: tests/%.c $(wildcard tests/lib/*.h) \
		       $(wildcard tests/*/*.h) \
		       $(wildcard include/uapi/linux/*.h) \
		       $(wildcard tools/cowsnapctl/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

$(HOST)/libtestlib.a: $(TESTLIB_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(HOST)/unit/%: $(HOST)/obj/tests/unit/%.o $(HOST)/libtestlib.a \
		$(HOST)/libcowsnap.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(TEST_LIBS)

$(HOST)/libtestarea.a: $(AREA_LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(HOST)/tests/%: $(HOST)/obj/tests/%.o $(HOST)/libtestarea.a \
		 $(HOST)/libtestlib.a $(HOST)/libcowsnap.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(HOST)/libtestarea.a $(TEST_LIBS)

$(SOAK_BIN): $(SOAK_SRCS:%.c=$(HOST)/obj/%.o)
	@mkdir -p $(dir $@)
	$(CC) -pthread -o $@ $^ $(shell pkg-config --libs json-c)

# Host unit tests: every program, every line counted by tests/check.sh.
check-unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do $$t || true; done
.SECONDARY:
