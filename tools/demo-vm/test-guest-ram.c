/* test-guest-ram: the demo's guest-memory allocator, QXLPHYSICAL encoding, command layouts and font table. */
#include <glib.h>
#include <string.h>

#include <spice/enums.h>

#include "font.h"
#include "guest-ram.h"
#include "qxl-commands.h"

static void test_phys_encoding(void)
{
    GuestRam *ram = guest_ram_create(1 << 20, 1, 3);
    g_assert_nonnull(ram);
    /* slot id in the top 8 bits, generation in the next 8, offset below: as the Linux driver. */
    g_assert_cmphex(guest_ram_phys(ram, 0x1234), ==, 0x0103000000001234ull);
    size_t offset;
    uint8_t *ptr = guest_ram_alloc(ram, 100, &offset);
    g_assert_nonnull(ptr);
    g_assert_true(guest_ram_ptr(ram, guest_ram_phys(ram, offset)) == ptr);
    g_assert_null(guest_ram_ptr(ram, 0));
    g_assert_null(guest_ram_ptr(ram, 0x0203000000001234ull));      /* other slot */
    g_assert_null(guest_ram_ptr(ram, 0x0104000000001234ull));      /* other generation */
    g_assert_null(guest_ram_ptr(ram, guest_ram_phys(ram, 1 << 20))); /* past the end */
    guest_ram_destroy(ram);
}

static void test_alloc_free_reuse(void)
{
    const size_t size = 64 * 1024;
    GuestRam *ram = guest_ram_create(size, 1, 0);
    size_t offsets[8];
    for (int i = 0; i < 8; i++) {
        g_assert_nonnull(guest_ram_alloc(ram, 1000, &offsets[i]));
        g_assert_cmpuint(offsets[i], >=, 4096);   /* never address 0 / the first page */
        g_assert_cmpuint(offsets[i] % 16, ==, 0);
        if (i > 0) {
            g_assert_cmpuint(offsets[i], >=, offsets[i - 1] + 1000);
        }
    }
    g_assert_cmpuint(guest_ram_used(ram), ==, 8 * 1008);
    /* Too big for what is left: NULL, nothing changes. */
    size_t big;
    g_assert_null(guest_ram_alloc(ram, size, &big));
    /* Freed neighbours merge: a block spanning three freed ones fits where they were. */
    guest_ram_free(ram, offsets[2], 1000);
    guest_ram_free(ram, offsets[4], 1000);
    guest_ram_free(ram, offsets[3], 1000);
    size_t merged;
    g_assert_nonnull(guest_ram_alloc(ram, 3 * 1008, &merged));
    g_assert_cmpuint(merged, ==, offsets[2]);
    /* Free everything: the whole RAM (minus the reserved page) is one block again. */
    guest_ram_free(ram, merged, 3 * 1008);
    for (int i = 0; i < 8; i++) {
        if (i < 2 || i > 4) {
            guest_ram_free(ram, offsets[i], 1000);
        }
    }
    g_assert_cmpuint(guest_ram_used(ram), ==, 0);
    g_assert_nonnull(guest_ram_alloc(ram, size - 4096, &big));
    g_assert_cmpuint(big, ==, 4096);
    guest_ram_destroy(ram);
}

static void test_copy_chunks(void)
{
    GuestRam *ram = guest_ram_create(4 << 20, 1, 0);
    enum { W = 37, H = 50, STRIDE = 40 };
    uint32_t pixels[STRIDE * H];
    for (int i = 0; i < STRIDE * H; i++) {
        pixels[i] = (uint32_t)i * 2654435761u;
    }
    QXLRect rect = { .top = 10, .left = 20, .bottom = 10 + H, .right = 20 + W };
    /* 1000-byte chunks: 6 rows of 148 bytes each, so 9 chunks, the last with 2 rows. */
    QxlResource *res = qxl_build_copy(ram, 42, &rect, pixels, STRIDE, 1000);
    g_assert_nonnull(res);
    g_assert_cmpuint(qxl_resource_command_type(res), ==, QXL_CMD_DRAW);
    g_assert_cmpuint(qxl_resource_release_id(res), ==, 42);
    QXLDrawable *drawable = guest_ram_ptr(ram, qxl_resource_command(res));
    g_assert_nonnull(drawable);
    g_assert_true(qxl_resource_release_info(res) == &drawable->release_info);
    g_assert_cmpuint(drawable->release_info.id, ==, 42);
    g_assert_cmpuint(drawable->type, ==, QXL_DRAW_COPY);
    g_assert_cmpint(drawable->bbox.right, ==, 20 + W);
    g_assert_cmpint(drawable->surfaces_dest[0], ==, -1);
    QXLImage *image = guest_ram_ptr(ram, drawable->u.copy.src_bitmap);
    g_assert_nonnull(image);
    g_assert_cmpuint(image->descriptor.type, ==, SPICE_IMAGE_TYPE_BITMAP);
    g_assert_cmpuint(image->bitmap.format, ==, SPICE_BITMAP_FMT_32BIT);
    g_assert_cmpuint(image->bitmap.flags, ==, QXL_BITMAP_TOP_DOWN);
    g_assert_cmpuint(image->bitmap.stride, ==, W * 4);
    QXLPHYSICAL link = image->bitmap.data;
    QXLPHYSICAL prev = 0;
    int chunks = 0, row = 0;
    while (link != 0) {
        QXLDataChunk *chunk = guest_ram_ptr(ram, link);
        g_assert_nonnull(chunk);
        g_assert_cmphex(chunk->prev_chunk, ==, prev);
        g_assert_cmpuint(chunk->data_size % (W * 4), ==, 0);
        g_assert_cmpuint(chunk->data_size, <=, 1000);
        for (uint32_t r = 0; r < chunk->data_size / (W * 4); r++, row++) {
            g_assert_cmpmem(chunk->data + r * W * 4, W * 4, pixels + row * STRIDE, W * 4);
        }
        chunks++;
        prev = link;
        link = chunk->next_chunk;
    }
    g_assert_cmpint(row, ==, H);
    g_assert_cmpint(chunks, ==, 9);
    g_assert_cmpuint(guest_ram_used(ram), >, 0);
    qxl_resource_free(res);
    g_assert_cmpuint(guest_ram_used(ram), ==, 0);
    guest_ram_destroy(ram);
}

static void test_full_ram_leaks_nothing(void)
{
    GuestRam *ram = guest_ram_create(16 * 1024, 1, 0);
    static uint32_t pixels[64 * 64];
    QXLRect rect = { .top = 0, .left = 0, .bottom = 64, .right = 64 };
    /* 16 KiB of pixels cannot fit in 12 KiB of usable RAM: NULL and nothing left allocated. */
    g_assert_null(qxl_build_copy(ram, 1, &rect, pixels, 64, 4096));
    g_assert_cmpuint(guest_ram_used(ram), ==, 0);
    guest_ram_destroy(ram);
}

static void test_cursor_set(void)
{
    GuestRam *ram = guest_ram_create(1 << 20, 1, 0);
    uint32_t argb[4 * 3];
    for (int i = 0; i < 12; i++) {
        argb[i] = 0xff000000u | (uint32_t)i;
    }
    QxlResource *res = qxl_build_cursor_set(ram, 7, 100, 200, 4, 3, 1, 2, argb);
    g_assert_nonnull(res);
    g_assert_cmpuint(qxl_resource_command_type(res), ==, QXL_CMD_CURSOR);
    QXLCursorCmd *cmd = guest_ram_ptr(ram, qxl_resource_command(res));
    g_assert_cmpuint(cmd->type, ==, QXL_CURSOR_SET);
    g_assert_cmpint(cmd->u.set.position.x, ==, 100);
    g_assert_cmpint(cmd->u.set.position.y, ==, 200);
    QXLCursor *shape = guest_ram_ptr(ram, cmd->u.set.shape);
    g_assert_nonnull(shape);
    g_assert_cmpuint(shape->header.type, ==, SPICE_CURSOR_TYPE_ALPHA);
    g_assert_cmpuint(shape->header.hot_spot_y, ==, 2);
    g_assert_cmpuint(shape->data_size, ==, sizeof(argb));
    g_assert_cmpuint(shape->chunk.data_size, ==, sizeof(argb));
    g_assert_cmpmem(shape->chunk.data, sizeof(argb), argb, sizeof(argb));
    qxl_resource_free(res);
    guest_ram_destroy(ram);
}

static void test_font_table(void)
{
    /* Building the table asserts every glyph is 5x8; spot-check a few shapes. */
    const uint8_t *a = font_glyph('A');
    g_assert_cmphex(a[0], ==, 0x0e); /* .###. */
    g_assert_cmphex(a[3], ==, 0x1f); /* ##### */
    g_assert_cmphex(font_glyph(' ')[4], ==, 0);
    g_assert_cmphex(font_glyph('g')[7], ==, 0x0e); /* descender */
    g_assert_true(font_glyph('\x01') == font_glyph('\x7f')); /* both the missing-glyph box */
    g_assert_false(font_glyph('\x01') == font_glyph('~'));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/demo/guest-ram/phys-encoding", test_phys_encoding);
    g_test_add_func("/demo/guest-ram/alloc-free-reuse", test_alloc_free_reuse);
    g_test_add_func("/demo/qxl-commands/copy-chunks", test_copy_chunks);
    g_test_add_func("/demo/qxl-commands/full-ram", test_full_ram_leaks_nothing);
    g_test_add_func("/demo/qxl-commands/cursor-set", test_cursor_set);
    g_test_add_func("/demo/font/table", test_font_table);
    return g_test_run();
}
