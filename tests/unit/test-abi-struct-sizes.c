/* test-abi-struct-sizes: every struct spice.h shares with hosts has upstream's x86-64 size and offsets. */
/*
 * Hosts allocate these structs and the library reads them (and the other way round), so one
 * byte of difference corrupts memory silently. The expected numbers are upstream 0.15.1's, as
 * measured on x86-64 (shared/reference/struct_sizes.txt); other ABIs only get the
 * layout-independent checks.
 */
#include <stddef.h>
#include <stdio.h>

#include "spice.h"

/* The legacy SpiceChannelEventInfo address fields are deprecated but still part of the layout. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static int failures;
static int checks;

static void expect(const char *what, size_t got, size_t expected)
{
    checks++;
    if (got != expected) {
        fprintf(stderr, "FAIL %s is %zu, upstream has %zu\n", what, got, expected);
        failures++;
    }
}

#define SIZE(type, expected) expect("sizeof(" #type ")", sizeof(type), (expected))
#define OFFSET(type, member, expected) \
    expect("offsetof(" #type ", " #member ")", offsetof(type, member), (expected))

/* Sizes from upstream's x86-64 build. */
static void check_sizes(void)
{
    SIZE(SpiceBaseInterface, 24);
    SIZE(SpiceBaseInstance, 8);
    SIZE(SpiceCoreInterface, 88);
    SIZE(SpiceChannelEventInfo, 320);
    SIZE(QXLInterface, 144);
    SIZE(QXLInstance, 24);
    SIZE(QXLDevInitInfo, 24);
    SIZE(QXLDevMemSlot, 48);
    SIZE(QXLDevSurfaceCreate, 48);
    SIZE(QXLReleaseInfoExt, 16);
    SIZE(QXLCommandExt, 24);
    SIZE(SpiceKbdInterface, 40);
    SIZE(SpiceKbdInstance, 16);
    SIZE(SpiceMouseInterface, 40);
    SIZE(SpiceMouseInstance, 16);
    SIZE(SpiceTabletInterface, 56);
    SIZE(SpiceTabletInstance, 16);
    SIZE(SpicePlaybackInterface, 24);
    SIZE(SpicePlaybackInstance, 16);
    SIZE(SpiceRecordInterface, 24);
    SIZE(SpiceRecordInstance, 16);
    SIZE(SpiceCharDeviceInterface, 64);
    SIZE(SpiceCharDeviceInstance, 32);
    SIZE(SpiceMigrateInterface, 40);
    SIZE(SpiceMigrateInstance, 16);
}

/* Offsets from upstream's x86-64 build. */
static void check_offsets(void)
{
    OFFSET(SpiceBaseInterface, description, 8);
    OFFSET(SpiceBaseInterface, major_version, 16);
    OFFSET(SpiceBaseInterface, minor_version, 20);

    OFFSET(SpiceCoreInterface, timer_add, 24);
    OFFSET(SpiceCoreInterface, timer_start, 32);
    OFFSET(SpiceCoreInterface, timer_cancel, 40);
    OFFSET(SpiceCoreInterface, timer_remove, 48);
    OFFSET(SpiceCoreInterface, watch_add, 56);
    OFFSET(SpiceCoreInterface, watch_update_mask, 64);
    OFFSET(SpiceCoreInterface, watch_remove, 72);
    OFFSET(SpiceCoreInterface, channel_event, 80);

    OFFSET(SpiceChannelEventInfo, connection_id, 0);
    OFFSET(SpiceChannelEventInfo, type, 4);
    OFFSET(SpiceChannelEventInfo, id, 8);
    OFFSET(SpiceChannelEventInfo, flags, 12);
    OFFSET(SpiceChannelEventInfo, laddr, 16);
    OFFSET(SpiceChannelEventInfo, paddr, 32);
    OFFSET(SpiceChannelEventInfo, llen, 48);
    OFFSET(SpiceChannelEventInfo, plen, 52);
    OFFSET(SpiceChannelEventInfo, laddr_ext, 56);
    OFFSET(SpiceChannelEventInfo, paddr_ext, 184);
    OFFSET(SpiceChannelEventInfo, llen_ext, 312);
    OFFSET(SpiceChannelEventInfo, plen_ext, 316);

    OFFSET(QXLInterface, attached_worker, 24);
    OFFSET(QXLInterface, attache_worker, 24);
    OFFSET(QXLInterface, set_compression_level, 32);
    OFFSET(QXLInterface, set_mm_time, 40);
    OFFSET(QXLInterface, get_init_info, 48);
    OFFSET(QXLInterface, get_command, 56);
    OFFSET(QXLInterface, req_cmd_notification, 64);
    OFFSET(QXLInterface, release_resource, 72);
    OFFSET(QXLInterface, get_cursor_command, 80);
    OFFSET(QXLInterface, req_cursor_notification, 88);
    OFFSET(QXLInterface, notify_update, 96);
    OFFSET(QXLInterface, flush_resources, 104);
    OFFSET(QXLInterface, async_complete, 112);
    OFFSET(QXLInterface, update_area_complete, 120);
    OFFSET(QXLInterface, set_client_capabilities, 128);
    OFFSET(QXLInterface, client_monitors_config, 136);

    OFFSET(QXLInstance, id, 8);
    OFFSET(QXLInstance, st, 16);

    OFFSET(QXLDevInitInfo, num_memslots, 4);
    OFFSET(QXLDevInitInfo, memslot_gen_bits, 8);
    OFFSET(QXLDevInitInfo, memslot_id_bits, 9);
    OFFSET(QXLDevInitInfo, qxl_ram_size, 12);
    OFFSET(QXLDevInitInfo, internal_groupslot_id, 16);
    OFFSET(QXLDevInitInfo, n_surfaces, 20);

    OFFSET(QXLDevMemSlot, slot_id, 4);
    OFFSET(QXLDevMemSlot, generation, 8);
    OFFSET(QXLDevMemSlot, virt_start, 16);
    OFFSET(QXLDevMemSlot, virt_end, 24);
    OFFSET(QXLDevMemSlot, addr_delta, 32);
    OFFSET(QXLDevMemSlot, qxl_ram_size, 40);

    OFFSET(QXLDevSurfaceCreate, stride, 8);
    OFFSET(QXLDevSurfaceCreate, format, 12);
    OFFSET(QXLDevSurfaceCreate, flags, 24);
    OFFSET(QXLDevSurfaceCreate, type, 28);
    OFFSET(QXLDevSurfaceCreate, mem, 32);
    OFFSET(QXLDevSurfaceCreate, group_id, 40);

    OFFSET(SpiceKbdInterface, push_scan_freg, 24);
    OFFSET(SpiceKbdInterface, get_leds, 32);
    OFFSET(SpiceMouseInterface, motion, 24);
    OFFSET(SpiceMouseInterface, buttons, 32);
    OFFSET(SpiceTabletInterface, set_logical_size, 24);
    OFFSET(SpiceTabletInterface, position, 32);
    OFFSET(SpiceTabletInterface, wheel, 40);
    OFFSET(SpiceTabletInterface, buttons, 48);
    OFFSET(SpiceMigrateInterface, migrate_connect_complete, 24);
    OFFSET(SpiceMigrateInterface, migrate_end_complete, 32);

    OFFSET(SpiceCharDeviceInterface, state, 24);
    OFFSET(SpiceCharDeviceInterface, write, 32);
    OFFSET(SpiceCharDeviceInterface, read, 40);
    OFFSET(SpiceCharDeviceInterface, event, 48);
    OFFSET(SpiceCharDeviceInterface, flags, 56);
    OFFSET(SpiceCharDeviceInstance, subtype, 8);
    OFFSET(SpiceCharDeviceInstance, st, 16);
    OFFSET(SpiceCharDeviceInstance, portname, 24);

    OFFSET(SpiceKbdInstance, st, 8);
    OFFSET(SpiceMouseInstance, st, 8);
    OFFSET(SpiceTabletInstance, st, 8);
    OFFSET(SpicePlaybackInstance, st, 8);
    OFFSET(SpiceRecordInstance, st, 8);
    OFFSET(SpiceMigrateInstance, st, 8);
}

/* True on every ABI: the library treats any instance as a SpiceBaseInstance, and any
 * interface as a SpiceBaseInterface, so both must come first. */
static void check_bases_first(void)
{
    OFFSET(SpiceCoreInterface, base, 0);
    OFFSET(QXLInterface, base, 0);
    OFFSET(QXLInstance, base, 0);
    OFFSET(SpiceKbdInterface, base, 0);
    OFFSET(SpiceKbdInstance, base, 0);
    OFFSET(SpiceMouseInterface, base, 0);
    OFFSET(SpiceMouseInstance, base, 0);
    OFFSET(SpiceTabletInterface, base, 0);
    OFFSET(SpiceTabletInstance, base, 0);
    OFFSET(SpicePlaybackInterface, base, 0);
    OFFSET(SpicePlaybackInstance, base, 0);
    OFFSET(SpiceRecordInterface, base, 0);
    OFFSET(SpiceRecordInstance, base, 0);
    OFFSET(SpiceCharDeviceInterface, base, 0);
    OFFSET(SpiceCharDeviceInstance, base, 0);
    OFFSET(SpiceMigrateInterface, base, 0);
    OFFSET(SpiceMigrateInstance, base, 0);
}

int main(void)
{
    check_bases_first();
#if defined(__x86_64__) && defined(__LP64__)
    check_sizes();
    check_offsets();
#else
    printf("test-abi-struct-sizes: not x86-64; only the base-first checks ran\n");
#endif
    if (failures) {
        fprintf(stderr, "test-abi-struct-sizes: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test-abi-struct-sizes: %d checks passed\n", checks);
    return 0;
}
