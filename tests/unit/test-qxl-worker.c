/* test-qxl-worker: the QXL worker through the public API with a fake QXL device: fetch, render, release, async, VM stop, hostile commands. */
#include "test-qxl-fake-device.h"

/* ---- tests ---- */

static void test_fill_rendered_and_released_once(void)
{
    setup();
    QXLDrawable d = fill(0x00ff0000, 2, 3, 10, 8);
    uint64_t cmd = push_draw(&d);
    sync_worker();
    g_assert_cmphex(primary_pixel(2, 3), ==, 0xff0000);
    g_assert_cmphex(primary_pixel(9, 7), ==, 0xff0000);
    g_assert_cmphex(primary_pixel(10, 7), ==, 0);
    g_assert_cmphex(primary_pixel(9, 8), ==, 0);
    g_assert_cmpuint(release_count(cmd), ==, 1);
    /* Fetching again finds nothing: still released exactly once. */
    sync_worker();
    g_assert_cmpuint(release_count(cmd), ==, 1);
    teardown();
}

static void test_copy_and_copy_bits(void)
{
    setup();
    uint32_t pixels[4 * 2] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint64_t img = put_image32(pixels, 4, 2, 16, 0);
    QXLDrawable d = copy_of(img, 20, 10, 4, 2);
    uint64_t c1 = push_draw(&d);
    /* Then move that block 1 right and 1 down (overlapping). */
    QXLDrawable bits = drawable(QXL_COPY_BITS, 21, 11, 25, 13);
    bits.u.copy_bits.src_pos = (QXLPoint){ .x = 20, .y = 10 };
    uint64_t c2 = push_draw(&bits);
    sync_worker();
    g_assert_cmphex(primary_pixel(20, 10), ==, 1);
    g_assert_cmphex(primary_pixel(21, 11), ==, 1);
    g_assert_cmphex(primary_pixel(24, 12), ==, 8);
    g_assert_cmphex(primary_pixel(22, 11), ==, 2);
    g_assert_cmpuint(release_count(c1), ==, 1);
    g_assert_cmpuint(release_count(c2), ==, 1);
    teardown();
}

static void test_clip_rects(void)
{
    setup();
    QXLRect rect = { .top = 0, .left = 0, .bottom = 2, .right = 2 };
    uint64_t chunk = guest_alloc(sizeof(QXLClipRects) + sizeof(rect));
    QXLClipRects *rects = (QXLClipRects *)(guest + chunk);
    rects->num_rects = 1;
    rects->chunk.data_size = sizeof(rect);
    memcpy(guest + chunk + sizeof(QXLClipRects), &rect, sizeof(rect));
    QXLDrawable d = fill(0x0000ff00, 0, 0, 10, 10);
    d.clip.type = SPICE_CLIP_TYPE_RECTS;
    d.clip.data = addr(chunk);
    push_draw(&d);
    sync_worker();
    g_assert_cmphex(primary_pixel(1, 1), ==, 0x00ff00);
    g_assert_cmphex(primary_pixel(2, 1), ==, 0);
    g_assert_cmphex(primary_pixel(5, 5), ==, 0);
    teardown();
}

static void test_hostile_commands_dropped(void)
{
    setup();
    unsigned before = total_releases();
    uint32_t pixels[4] = { 0x111111, 0x222222, 0x333333, 0x444444 };

    /* Bad slot and bad generation: the command itself does not translate, nothing to release. */
    QXLDrawable good = fill(0x0000ff, 0, 0, 1, 1);
    uint64_t off = guest_put(&good, sizeof(good));
    push(&cmd_ring, QXL_CMD_DRAW, addr_in(7, GUEST_GENERATION, off));
    push(&cmd_ring, QXL_CMD_DRAW, addr_in(GUEST_SLOT, GUEST_GENERATION + 1, off));
    /* A drawable running past the end of the slot: its release_info (8 bytes) still translates. */
    uint64_t c_end = GUEST_SIZE - 8;
    push(&cmd_ring, QXL_CMD_DRAW, addr(c_end));

    /* Translated commands with bad contents: dropped but released. */
    uint64_t img_past = put_image32(NULL, 2, 2, 8, addr(GUEST_SIZE - 4));
    QXLDrawable d1 = copy_of(img_past, 0, 0, 2, 2);
    uint64_t c_past = push_draw(&d1);

    uint64_t img_stride = put_image32(pixels, 2, 2, 4, 0);    /* stride 4 < 2 * 4 */
    QXLDrawable d2 = copy_of(img_stride, 0, 0, 2, 2);
    uint64_t c_stride = push_draw(&d2);

    uint64_t small = guest_put(pixels, sizeof(pixels));
    uint64_t img_huge = put_image32(NULL, 0x10000, 0x10000, 0x40000, addr(small));   /* w*h*4 overflows 32 bits */
    QXLDrawable d3 = copy_of(img_huge, 0, 0, 2, 2);
    uint64_t c_huge = push_draw(&d3);

    /* A chunk list that points back at itself. */
    uint64_t loop_chunk = guest_alloc(sizeof(QXLDataChunk) + 8);
    QXLDataChunk *ch = (QXLDataChunk *)(guest + loop_chunk);
    ch->data_size = 8;
    ch->next_chunk = addr(loop_chunk);
    uint64_t img_loop = put_image32(NULL, 2, 2, 8, addr(loop_chunk));
    ((QXLImage *)(guest + img_loop))->bitmap.flags = QXL_BITMAP_TOP_DOWN;   /* chunked, not DIRECT */
    QXLDrawable d4 = copy_of(img_loop, 0, 0, 2, 2);
    uint64_t c_loop = push_draw(&d4);

    QXLDrawable d5 = fill(0x0000ff, 0, 0, 1, 1);
    d5.surface_id = 5000;
    uint64_t c_surface = push_draw(&d5);

    QXLDrawable d6 = fill(0x0000ff, 0, 0, SURF_W + 1, 1);   /* bbox outside the primary */
    uint64_t c_bbox = push_draw(&d6);

    /* An unknown command type at a valid address: released, nothing else. */
    uint64_t nop = guest_alloc(64);
    push(&cmd_ring, 77, addr(nop));

    /* And a good command afterwards is still drawn. */
    QXLDrawable ok = fill(0x00abcdef, 5, 5, 6, 6);
    uint64_t c_ok = push_draw(&ok);
    sync_worker();

    g_assert_cmphex(primary_pixel(0, 0), ==, 0);       /* none of the bad draws landed */
    g_assert_cmphex(primary_pixel(5, 5), ==, 0xabcdef);
    g_assert_cmpuint(release_count(off), ==, 0);
    g_assert_cmpuint(release_count(c_past), ==, 1);
    g_assert_cmpuint(release_count(c_stride), ==, 1);
    g_assert_cmpuint(release_count(c_huge), ==, 1);
    g_assert_cmpuint(release_count(c_loop), ==, 1);
    g_assert_cmpuint(release_count(c_surface), ==, 1);
    g_assert_cmpuint(release_count(c_bbox), ==, 1);
    g_assert_cmpuint(release_count(nop), ==, 1);
    g_assert_cmpuint(release_count(c_ok), ==, 1);
    g_assert_cmpuint(release_count(c_end), ==, 1);
    g_assert_cmpuint(total_releases() - before, ==, 9);
    teardown();
}

static bool cookie_seen(void *data)
{
    return completed(*(uint64_t *)data);
}

static void wait_cookie(uint64_t cookie)
{
    g_assert_true(test_core_run_until(cookie_seen, &cookie, 5000));
}

static void test_async_cookies(void)
{
    setup();
    QXLRect area = { 0, 0, 10, 10 };
    QXLDrawable d = fill(0x00123456, 0, 0, 4, 4);
    push_draw(&d);
    spice_qxl_update_area_async(&qxl_instance, 0, &area, 1, 101);
    wait_cookie(101);
    g_assert_cmphex(primary_pixel(3, 3), ==, 0x123456);   /* rendered before completion */
    g_assert_cmpuint(update_area_completes, ==, 1);

    spice_qxl_flush_surfaces_async(&qxl_instance, 102);
    wait_cookie(102);

    QXLMonitorsConfig config = { .count = 1, .max_allowed = 1 };
    QXLHead head = { .id = 0, .surface_id = 0, .width = SURF_W, .height = SURF_H };
    uint64_t mc = guest_alloc(sizeof(config) + sizeof(head));
    memcpy(guest + mc, &config, sizeof(config));
    memcpy(guest + mc + sizeof(config), &head, sizeof(head));
    spice_qxl_monitors_config_async(&qxl_instance, addr(mc), GUEST_GROUP, 103);
    wait_cookie(103);
    /* A bad address still completes (the guest must not hang). */
    spice_qxl_monitors_config_async(&qxl_instance, addr_in(6, 0, 0), GUEST_GROUP, 104);
    wait_cookie(104);

    spice_qxl_destroy_primary_surface_async(&qxl_instance, 0, 105);
    wait_cookie(105);
    QXLDevSurfaceCreate create = {
        .width = SURF_W, .height = SURF_H, .stride = SURF_STRIDE,
        .format = SPICE_SURFACE_FMT_32_xRGB, .mem = addr(primary_offset), .group_id = GUEST_GROUP,
    };
    spice_qxl_create_primary_surface_async(&qxl_instance, 0, &create, 106);
    wait_cookie(106);
    /* The primary exists again: draws land. */
    QXLDrawable d2 = fill(0x00654321, 8, 8, 9, 9);
    push_draw(&d2);
    sync_worker();
    g_assert_cmphex(primary_pixel(8, 8), ==, 0x654321);

    QXLDevMemSlot slot = { .slot_group_id = GUEST_GROUP, .slot_id = 4, .generation = 0,
                           .virt_start = (uintptr_t)guest, .virt_end = (uintptr_t)guest + 4096,
                           .addr_delta = (uintptr_t)guest };
    spice_qxl_add_memslot_async(&qxl_instance, &slot, 107);
    wait_cookie(107);
    spice_qxl_destroy_surface_async(&qxl_instance, 3, 108);
    wait_cookie(108);
    spice_qxl_destroy_surfaces_async(&qxl_instance, 109);
    wait_cookie(109);
    g_assert_cmpuint(completions->len, ==, 9);
    teardown();
}

static void test_nothing_while_stopped(void)
{
    setup();
    spice_server_vm_stop(server);
    QXLDrawable d = fill(0x00777777, 0, 0, 2, 2);
    uint64_t cmd = push_draw(&d);
    spice_qxl_wakeup(&qxl_instance);
    spice_qxl_flush_surfaces_async(&qxl_instance, 201);
    QXLRect area = { 0, 0, 2, 2 };
    spice_qxl_update_area(&qxl_instance, 0, &area, NULL, 0, 0);   /* sync: waits for the worker */
    g_usleep(100 * 1000);
    g_assert_cmpuint(release_count(cmd), ==, 0);
    g_assert_false(completed(201));
    g_assert_cmphex(primary_pixel(0, 0), ==, 0);

    spice_server_vm_start(server);
    wait_cookie(201);
    sync_worker();
    g_assert_cmphex(primary_pixel(0, 0), ==, 0x777777);
    g_assert_cmpuint(release_count(cmd), ==, 1);
    teardown();
}

static bool cursor_released(void *data)
{
    return release_count(*(uint64_t *)data) == 1;
}

static void test_cursor_commands_released(void)
{
    setup();
    uint8_t shape_pixels[4 * 4 * 4];
    memset(shape_pixels, 0xff, sizeof(shape_pixels));
    uint64_t shape = guest_alloc(sizeof(QXLCursor) + sizeof(shape_pixels));
    QXLCursor *cur = (QXLCursor *)(guest + shape);
    cur->header.unique = 9;
    cur->header.type = SPICE_CURSOR_TYPE_ALPHA;
    cur->header.width = 4;
    cur->header.height = 4;
    cur->data_size = sizeof(shape_pixels);
    cur->chunk.data_size = sizeof(shape_pixels);
    memcpy(guest + shape + sizeof(QXLCursor), shape_pixels, sizeof(shape_pixels));
    QXLCursorCmd set;
    memset(&set, 0, sizeof(set));
    set.type = QXL_CURSOR_SET;
    set.u.set.position = (QXLPoint16){ 10, 10 };
    set.u.set.visible = 1;
    set.u.set.shape = addr(shape);
    uint64_t c_set = guest_put(&set, sizeof(set));
    push(&cursor_ring, QXL_CMD_CURSOR, addr(c_set));
    QXLCursorCmd move;
    memset(&move, 0, sizeof(move));
    move.type = QXL_CURSOR_MOVE;
    move.u.position = (QXLPoint16){ 11, 12 };
    uint64_t c_move = guest_put(&move, sizeof(move));
    push(&cursor_ring, QXL_CMD_CURSOR, addr(c_move));
    spice_qxl_wakeup(&qxl_instance);
    g_assert_true(test_core_run_until(cursor_released, &c_move, 5000));
    g_assert_cmpuint(release_count(c_set), ==, 1);
    spice_qxl_reset_cursor(&qxl_instance);
    teardown();
}

static void test_bad_primary_refused(void)
{
    setup();
    spice_qxl_destroy_primary_surface(&qxl_instance, 0);
    /* Memory past the slot, then a stride too small: refused, guest keeps going. */
    QXLDevSurfaceCreate bad = {
        .width = SURF_W, .height = SURF_H, .stride = SURF_STRIDE,
        .format = SPICE_SURFACE_FMT_32_xRGB, .mem = addr(GUEST_SIZE - 16), .group_id = GUEST_GROUP,
    };
    spice_qxl_create_primary_surface(&qxl_instance, 0, &bad);
    bad.mem = addr(primary_offset);
    bad.stride = 4;
    spice_qxl_create_primary_surface(&qxl_instance, 0, &bad);
    QXLDrawable d = fill(0x00ffffff, 0, 0, 1, 1);
    uint64_t cmd = push_draw(&d);
    sync_worker();
    g_assert_cmphex(primary_pixel(0, 0), ==, 0);
    g_assert_cmpuint(release_count(cmd), ==, 1);
    teardown();
}

static void test_create_clears_unless_keep_data(void)
{
    setup();
    spice_qxl_destroy_primary_surface(&qxl_instance, 0);
    memset(guest + primary_offset, 0x5a, (size_t)SURF_STRIDE * SURF_H);
    QXLDevSurfaceCreate create = {
        .width = SURF_W, .height = SURF_H, .stride = SURF_STRIDE,
        .format = SPICE_SURFACE_FMT_32_xRGB, .mem = addr(primary_offset), .group_id = GUEST_GROUP,
        .flags = QXL_SURF_FLAG_KEEP_DATA,
    };
    spice_qxl_create_primary_surface(&qxl_instance, 0, &create);
    g_assert_cmphex(primary_pixel(SURF_W - 1, SURF_H - 1), ==, 0x5a5a5a);   /* kept */
    spice_qxl_destroy_primary_surface(&qxl_instance, 0);
    create.flags = 0;
    create.stride = -SURF_STRIDE;   /* bottom-up, as QEMU's simple display */
    spice_qxl_create_primary_surface(&qxl_instance, 0, &create);
    g_assert_cmphex(primary_pixel(0, 0), ==, 0);                             /* cleared */
    g_assert_cmphex(primary_pixel(SURF_W - 1, SURF_H - 1), ==, 0);
    teardown();
}

/* ---- more hostile guests: every one is survived, and the next good draw still lands ---- */

static uint64_t push_cursor_set(uint16_t w, uint16_t h, uint32_t data_size, uint32_t chunk_size)
{
    uint64_t shape = guest_alloc(sizeof(QXLCursor) + 64);
    QXLCursor *cur = (QXLCursor *)(guest + shape);
    cur->header.unique = 1;
    cur->header.type = SPICE_CURSOR_TYPE_ALPHA;
    cur->header.width = w;
    cur->header.height = h;
    cur->data_size = data_size;
    cur->chunk.data_size = chunk_size;
    QXLCursorCmd set;
    memset(&set, 0, sizeof(set));
    set.type = QXL_CURSOR_SET;
    set.u.set.visible = 1;
    set.u.set.shape = addr(shape);
    uint64_t cmd = guest_put(&set, sizeof(set));
    push(&cursor_ring, QXL_CMD_CURSOR, addr(cmd));
    return cmd;
}

static void assert_still_drawing(uint32_t color)
{
    QXLDrawable ok = fill(color, 30, 30, 31, 31);
    uint64_t c = push_draw(&ok);
    sync_worker();
    g_assert_cmphex(primary_pixel(30, 30), ==, color);
    g_assert_cmpuint(release_count(c), ==, 1);
}

static void test_hostile_cursor_and_clips(void)
{
    setup();
    uint64_t huge = push_cursor_set(0xffff, 0xffff, 64, 64);          /* over the size cap */
    uint64_t short_data = push_cursor_set(4, 4, 16, 16);              /* needs 64 bytes */
    spice_qxl_wakeup(&qxl_instance);
    g_assert_true(test_core_run_until(cursor_released, &short_data, 5000));
    g_assert_cmpuint(release_count(huge), ==, 1);

    /* A clip list claiming a billion rects in a 16-byte chunk. */
    uint64_t chunk = guest_alloc(sizeof(QXLClipRects) + 16);
    QXLClipRects *rects = (QXLClipRects *)(guest + chunk);
    rects->num_rects = 1000000000u;
    rects->chunk.data_size = 16;
    QXLDrawable d = fill(0x00ffffff, 0, 0, 10, 10);
    d.clip.type = SPICE_CLIP_TYPE_RECTS;
    d.clip.data = addr(chunk);
    uint64_t c_clip = push_draw(&d);
    /* Negative and inverted boxes, a copy whose source area leaves its image. */
    QXLDrawable neg = fill(0x00ffffff, -5, -5, 3, 3);
    uint64_t c_neg = push_draw(&neg);
    QXLDrawable inv = fill(0x00ffffff, 10, 10, 5, 5);
    uint64_t c_inv = push_draw(&inv);
    uint32_t pixels[4] = { 1, 2, 3, 4 };
    uint64_t img = put_image32(pixels, 2, 2, 8, 0);
    QXLDrawable out = copy_of(img, 0, 0, 2, 2);
    out.u.copy.src_area.right = 3;
    uint64_t c_out = push_draw(&out);
    /* COPY_BITS from far outside the surface: nothing to copy, nothing read out of bounds. */
    QXLDrawable bits = drawable(QXL_COPY_BITS, 0, 0, 8, 8);
    bits.u.copy_bits.src_pos = (QXLPoint){ .x = INT32_MAX - 2, .y = INT32_MIN + 2 };
    uint64_t c_bits = push_draw(&bits);
    sync_worker();
    g_assert_cmphex(primary_pixel(0, 0), ==, 0);
    g_assert_cmpuint(release_count(c_clip), ==, 1);
    g_assert_cmpuint(release_count(c_neg), ==, 1);
    g_assert_cmpuint(release_count(c_inv), ==, 1);
    g_assert_cmpuint(release_count(c_out), ==, 1);
    g_assert_cmpuint(release_count(c_bits), ==, 1);
    assert_still_drawing(0x00102030);
    teardown();
}

static void test_hostile_device_calls(void)
{
    setup();
    /* Monitors config: a count far over the limit, and one whose heads run past the slot. */
    QXLMonitorsConfig many = { .count = 0xffff, .max_allowed = 0xffff };
    uint64_t mc = guest_put(&many, sizeof(many));
    spice_qxl_monitors_config_async(&qxl_instance, addr(mc), GUEST_GROUP, 301);
    QXLMonitorsConfig two = { .count = 2, .max_allowed = 2 };
    uint64_t edge = GUEST_SIZE - sizeof(two) - sizeof(QXLHead);   /* room for one head only */
    memcpy(guest + edge, &two, sizeof(two));
    spice_qxl_monitors_config_async(&qxl_instance, addr(edge), GUEST_GROUP, 302);
    spice_qxl_monitors_config_async(&qxl_instance, addr(mc), -1, 303);   /* negative group */
    wait_cookie(301);
    wait_cookie(302);
    wait_cookie(303);

    /* Memslots out of range are refused; the good slot keeps working. */
    QXLDevMemSlot bad = { .slot_group_id = 7, .slot_id = 200, .virt_start = 0, .virt_end = 1 };
    spice_qxl_add_memslot(&qxl_instance, &bad);
    spice_qxl_del_memslot(&qxl_instance, 99, 99);

    /* Absurd primary surfaces are refused (the old one is gone, so draws are dropped). */
    QXLDevSurfaceCreate absurd = {
        .width = 0x7fffffff, .height = 0x7fffffff, .stride = INT32_MIN,
        .format = SPICE_SURFACE_FMT_32_xRGB, .mem = addr(primary_offset), .group_id = GUEST_GROUP,
    };
    spice_qxl_create_primary_surface(&qxl_instance, 0, &absurd);
    absurd.format = 12345;
    absurd.width = 4;
    absurd.height = 4;
    absurd.stride = 16;
    spice_qxl_create_primary_surface(&qxl_instance, 0, &absurd);
    spice_qxl_create_primary_surface(&qxl_instance, 7, &absurd);       /* not surface 0 */
    create_primary();

    /* update_area on surfaces that do not exist, with and without a rect array. */
    QXLRect rects[4];
    QXLRect area = { 0, 0, 1, 1 };
    spice_qxl_update_area(&qxl_instance, 99999, &area, rects, 4, 1);
    spice_qxl_update_area(&qxl_instance, 0, NULL, NULL, 0, 1);
    spice_qxl_destroy_surface_wait(&qxl_instance, 99999);

    /* Off-screen surfaces are tracked; draws to them are dropped, their commands released. */
    QXLSurfaceCmd create;
    memset(&create, 0, sizeof(create));
    create.surface_id = 1;
    create.type = QXL_SURFACE_CMD_CREATE;
    create.u.surface_create = (QXLSurface){ .format = SPICE_SURFACE_FMT_32_xRGB, .width = 8,
                                            .height = 8, .stride = 32,
                                            .data = addr(guest_alloc(256)) };
    uint64_t c_create = guest_put(&create, sizeof(create));
    push(&cmd_ring, QXL_CMD_SURFACE, addr(c_create));
    QXLDrawable off = fill(0x00ffffff, 0, 0, 2, 2);
    off.surface_id = 1;
    uint64_t c_off = push_draw(&off);
    QXLSurfaceCmd destroy = create;
    destroy.type = QXL_SURFACE_CMD_DESTROY;
    uint64_t c_destroy = guest_put(&destroy, sizeof(destroy));
    push(&cmd_ring, QXL_CMD_SURFACE, addr(c_destroy));

    /* loadvm with garbage: what translates is released, nothing else happens. */
    QXLCommandExt replay[3] = {
        { .cmd = { .type = QXL_CMD_SURFACE, .data = addr(GUEST_SIZE + 100) }, .group_id = GUEST_GROUP },
        { .cmd = { .type = 99, .data = addr(guest_alloc(16)) }, .group_id = GUEST_GROUP },
        { .cmd = { .type = QXL_CMD_CURSOR, .data = addr_in(0, 0, 0) }, .group_id = 9 },
    };
    spice_qxl_loadvm_commands(&qxl_instance, replay, 3);
    spice_qxl_loadvm_commands(&qxl_instance, NULL, 5);
    sync_worker();
    g_assert_cmpuint(release_count(c_create), ==, 1);
    g_assert_cmpuint(release_count(c_off), ==, 1);
    g_assert_cmpuint(release_count(c_destroy), ==, 1);
    assert_still_drawing(0x00405060);

    /* Calls on an instance that was never added are refused, not crashed on. */
    QXLInstance stranger = { .base = { .sif = &qxl_sif.base }, .id = 5 };
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "spice_qxl_wakeup: the QXL instance was not added*");
    spice_qxl_wakeup(&stranger);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "spice_qxl_update_area: the QXL instance was not added*");
    spice_qxl_update_area(&stranger, 0, &area, NULL, 0, 0);
    g_test_assert_expected_messages();
    spice_qxl_oom(&qxl_instance);
    spice_qxl_reset_image_cache(&qxl_instance);
    spice_qxl_driver_unload(&qxl_instance);
    spice_qxl_set_max_monitors(&qxl_instance, 1);
    spice_qxl_set_device_info(&qxl_instance, "pci/0000/02.0", 0, 1);
    spice_qxl_destroy_surfaces(&qxl_instance);
    spice_qxl_reset_memslots(&qxl_instance);
    teardown();
}

static void test_command_storm(void)
{
    setup();
    /* More commands than one pass handles: all are fetched, drawn and released once. */
    enum { N = 3000 };
    static uint64_t offs[N];
    for (int i = 0; i < N; i++) {
        QXLDrawable d = fill(0x00000100u * (uint32_t)(i % 200), i % SURF_W, 0, i % SURF_W + 1, 1);
        offs[i] = push_draw(&d);
    }
    sync_worker();
    for (int i = 0; i < N; i++) {
        g_assert_cmpuint(release_count(offs[i]), ==, 1);
    }
    teardown();
}

static void test_wakeup_from_inside_a_callback(void)
{
    setup();
    g_atomic_int_set(&wakeup_from_callback, 1);
    QXLDrawable d = fill(0x00010203, 0, 0, 2, 2);
    uint64_t c = push_draw(&d);
    sync_worker();
    g_atomic_int_set(&wakeup_from_callback, 0);
    g_assert_cmphex(primary_pixel(1, 1), ==, 0x010203);
    g_assert_cmpuint(release_count(c), ==, 1);
    teardown();
}

/* Off-screen surfaces: drawn into their guest memory, used as images, CREATE held until destroy. */
static void test_offscreen_surfaces(void)
{
    setup();
    uint64_t mem1 = guest_alloc(8 * 8 * 4);
    memset(guest + mem1, 0x55, 8 * 8 * 4);   /* without KEEP_DATA the surface starts cleared */
    QXLSurfaceCmd create;
    memset(&create, 0, sizeof(create));
    create.surface_id = 1;
    create.type = QXL_SURFACE_CMD_CREATE;
    create.u.surface_create = (QXLSurface){ .format = SPICE_SURFACE_FMT_32_xRGB, .width = 8,
                                            .height = 8, .stride = 32, .data = addr(mem1) };
    uint64_t c_create = guest_put(&create, sizeof(create));
    push(&cmd_ring, QXL_CMD_SURFACE, addr(c_create));
    QXLDrawable off = fill(0x00123456, 2, 2, 6, 6);
    off.surface_id = 1;
    uint64_t c_off = push_draw(&off);
    /* COPY from surface 1 onto the primary at (10, 10), 8x8. */
    QXLImage simg;
    memset(&simg, 0, sizeof(simg));
    simg.descriptor.type = SPICE_IMAGE_TYPE_SURFACE;
    simg.descriptor.width = 8;
    simg.descriptor.height = 8;
    simg.surface_image.surface_id = 1;
    QXLDrawable cp = copy_of(guest_put(&simg, sizeof(simg)), 10, 10, 8, 8);
    push_draw(&cp);
    /* A draw on a surface that does not exist is dropped and released. */
    QXLDrawable ghost = fill(0x00ffffff, 0, 0, 1, 1);
    ghost.surface_id = 7;
    uint64_t c_ghost = push_draw(&ghost);
    sync_worker();
    const uint32_t *m1 = (const uint32_t *)(guest + mem1);
    g_assert_cmphex(m1[0] & 0xffffff, ==, 0);
    g_assert_cmphex(m1[3 * 8 + 3] & 0xffffff, ==, 0x123456);
    g_assert_cmphex(primary_pixel(10, 10) & 0xffffff, ==, 0);
    g_assert_cmphex(primary_pixel(12, 12) & 0xffffff, ==, 0x123456);
    g_assert_cmphex(primary_pixel(15, 15) & 0xffffff, ==, 0x123456);
    g_assert_cmphex(primary_pixel(16, 16) & 0xffffff, ==, 0);
    g_assert_cmpuint(release_count(c_off), ==, 1);
    g_assert_cmpuint(release_count(c_ghost), ==, 1);
    g_assert_cmpuint(release_count(c_create), ==, 0);   /* held while the surface lives */

    /* destroy_surface_wait destroys it and gives the CREATE back; later uses are dropped. */
    spice_qxl_destroy_surface_wait(&qxl_instance, 1);
    g_assert_cmpuint(release_count(c_create), ==, 1);
    QXLDrawable cp2 = copy_of(guest_put(&simg, sizeof(simg)), 30, 30, 8, 8);
    uint64_t c_cp2 = push_draw(&cp2);
    sync_worker();
    g_assert_cmpuint(release_count(c_cp2), ==, 1);
    g_assert_cmphex(primary_pixel(33, 33) & 0xffffff, ==, 0);

    /* A new surface 2, destroyed by a DESTROY command: both commands released once. */
    create.surface_id = 2;
    uint64_t c_create2 = guest_put(&create, sizeof(create));
    push(&cmd_ring, QXL_CMD_SURFACE, addr(c_create2));
    QXLSurfaceCmd destroy = create;
    destroy.type = QXL_SURFACE_CMD_DESTROY;
    uint64_t c_destroy2 = guest_put(&destroy, sizeof(destroy));
    push(&cmd_ring, QXL_CMD_SURFACE, addr(c_destroy2));
    /* And surface 3 left alive: destroy_surfaces releases it. */
    create.surface_id = 3;
    uint64_t c_create3 = guest_put(&create, sizeof(create));
    push(&cmd_ring, QXL_CMD_SURFACE, addr(c_create3));
    sync_worker();
    g_assert_cmpuint(release_count(c_create2), ==, 1);
    g_assert_cmpuint(release_count(c_destroy2), ==, 1);
    g_assert_cmpuint(release_count(c_create3), ==, 0);
    spice_qxl_destroy_surfaces(&qxl_instance);
    g_assert_cmpuint(release_count(c_create3), ==, 1);
    teardown();
}

/* A draw reading the surface it writes (a SURFACE image of itself): the source is read first. */
static void test_self_copy(void)
{
    setup();
    QXLDrawable a = fill(0x00111111, 0, 0, 4, 1);
    push_draw(&a);
    QXLDrawable b = fill(0x00222222, 4, 0, 8, 1);
    push_draw(&b);
    QXLImage self;
    memset(&self, 0, sizeof(self));
    self.descriptor.type = SPICE_IMAGE_TYPE_SURFACE;
    self.descriptor.width = SURF_W;
    self.descriptor.height = SURF_H;
    self.surface_image.surface_id = 0;
    /* Move (0..8, row 0) right by 2 with rop XOR-free BLEND PUT: an overlapping self copy. */
    QXLDrawable d = copy_of(guest_put(&self, sizeof(self)), 2, 0, 8, 1);
    d.type = QXL_DRAW_BLEND;
    push_draw(&d);
    /* A surface image of a surface id past n_surfaces is refused by the parser, and released. */
    self.surface_image.surface_id = N_SURFACES + 3;
    QXLDrawable bad = copy_of(guest_put(&self, sizeof(self)), 0, 10, 8, 1);
    uint64_t c_bad = push_draw(&bad);
    sync_worker();
    g_assert_cmphex(primary_pixel(1, 0) & 0xffffff, ==, 0x111111);
    g_assert_cmphex(primary_pixel(2, 0) & 0xffffff, ==, 0x111111);
    g_assert_cmphex(primary_pixel(5, 0) & 0xffffff, ==, 0x111111);
    g_assert_cmphex(primary_pixel(6, 0) & 0xffffff, ==, 0x222222);
    g_assert_cmphex(primary_pixel(9, 0) & 0xffffff, ==, 0x222222);
    g_assert_cmphex(primary_pixel(10, 0) & 0xffffff, ==, 0);
    g_assert_cmpuint(release_count(c_bad), ==, 1);
    g_assert_cmphex(primary_pixel(0, 10) & 0xffffff, ==, 0);
    teardown();
}

/* Draw types beyond FILL/COPY reach the primary's guest memory (what update_area reports). */
static void test_more_draw_types(void)
{
    setup();
    QXLDrawable white = fill(0x00ffffff, 0, 0, 8, 8);
    push_draw(&white);
    QXLDrawable black = drawable(QXL_DRAW_BLACKNESS, 0, 0, 2, 2);
    push_draw(&black);
    QXLDrawable inv = drawable(QXL_DRAW_INVERS, 1, 1, 3, 3);
    push_draw(&inv);
    QXLDrawable xor = fill(0x000000ff, 4, 4, 6, 6);
    xor.u.fill.rop_descriptor = SPICE_ROPD_OP_XOR;
    push_draw(&xor);
    uint32_t src[4] = { 0x00ff0000, 0x0000ff00, 0x000000ff, 0x00ffffff };
    QXLDrawable rop3 = copy_of(put_image32(src, 2, 2, 8, 0), 6, 0, 2, 2);
    rop3.type = QXL_DRAW_ROP3;
    memset(&rop3.u.rop3, 0, sizeof(rop3.u.rop3));
    rop3.u.rop3.src_bitmap = addr(put_image32(src, 2, 2, 8, 0));
    rop3.u.rop3.src_area = (QXLRect){ .top = 0, .left = 0, .bottom = 2, .right = 2 };
    rop3.u.rop3.brush.type = SPICE_BRUSH_TYPE_SOLID;
    rop3.u.rop3.brush.u.color = 0x00f0f0f0;
    rop3.u.rop3.rop3 = 0x60;      /* P & (S ^ D) */
    push_draw(&rop3);
    sync_worker();
    g_assert_cmphex(primary_pixel(0, 0) & 0xffffff, ==, 0);
    g_assert_cmphex(primary_pixel(1, 1) & 0xffffff, ==, 0xffffff);   /* black, inverted */
    g_assert_cmphex(primary_pixel(2, 2) & 0xffffff, ==, 0);          /* white, inverted */
    g_assert_cmphex(primary_pixel(3, 3) & 0xffffff, ==, 0xffffff);
    g_assert_cmphex(primary_pixel(4, 4) & 0xffffff, ==, 0xffff00);
    /* dest white: S ^ D = ~S; & P(f0f0f0) */
    g_assert_cmphex(primary_pixel(6, 0) & 0xffffff, ==, 0x00f0f0 & 0xf0f0f0);
    g_assert_cmphex(primary_pixel(7, 1) & 0xffffff, ==, 0);
    teardown();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Guest mistakes are logged with g_message; nothing here may warn. */
    g_test_add_func("/qxl-worker/fill-released-once", test_fill_rendered_and_released_once);
    g_test_add_func("/qxl-worker/copy-and-copy-bits", test_copy_and_copy_bits);
    g_test_add_func("/qxl-worker/clip-rects", test_clip_rects);
    g_test_add_func("/qxl-worker/hostile-commands", test_hostile_commands_dropped);
    g_test_add_func("/qxl-worker/async-cookies", test_async_cookies);
    g_test_add_func("/qxl-worker/stopped", test_nothing_while_stopped);
    g_test_add_func("/qxl-worker/cursor", test_cursor_commands_released);
    g_test_add_func("/qxl-worker/bad-primary", test_bad_primary_refused);
    g_test_add_func("/qxl-worker/create-clears", test_create_clears_unless_keep_data);
    g_test_add_func("/qxl-worker/hostile-cursor-clips", test_hostile_cursor_and_clips);
    g_test_add_func("/qxl-worker/hostile-device-calls", test_hostile_device_calls);
    g_test_add_func("/qxl-worker/command-storm", test_command_storm);
    g_test_add_func("/qxl-worker/wakeup-in-callback", test_wakeup_from_inside_a_callback);
    g_test_add_func("/qxl-worker/offscreen-surfaces", test_offscreen_surfaces);
    g_test_add_func("/qxl-worker/more-draw-types", test_more_draw_types);
    g_test_add_func("/qxl-worker/self-copy", test_self_copy);
    return g_test_run();
}
