/* test-memslot: qxl/memslot.c table validation and QXLPHYSICAL translation at every bound. */
#include "test-qxl-guest.h"

static void test_new_validates(void)
{
    QxlMemslots *m;
    g_assert_null(qxl_memslots_new(0, 8, 8, 8));
    g_assert_null(qxl_memslots_new(257, 8, 8, 8));
    g_assert_null(qxl_memslots_new(2, 0, 8, 8));
    g_assert_null(qxl_memslots_new(2, 257, 8, 8));
    g_assert_null(qxl_memslots_new(2, 8, 33, 0));      /* generations are uint32_t */
    g_assert_null(qxl_memslots_new(2, 8, 16, 17));     /* leaves < 32 offset bits */
    g_assert_null(qxl_memslots_new(2, 8, 8, 2));       /* 2 id bits cannot number 8 slots */
    g_assert_null(qxl_memslots_new(2, 2, 8, 0));       /* no id bits: only one slot */

    m = qxl_memslots_new(2, 8, 8, 8);                  /* QEMU */
    g_assert_nonnull(m);
    g_assert_cmpuint(qxl_memslots_num_groups(m), ==, 2);
    g_assert_cmpuint(qxl_memslots_num_slots(m), ==, 8);
    qxl_memslots_free(m);
    m = qxl_memslots_new(256, 256, 16, 16);            /* the largest shape we take */
    g_assert_nonnull(m);
    qxl_memslots_free(m);
    m = qxl_memslots_new(1, 1, 0, 0);                  /* every address is slot 0 */
    g_assert_nonnull(m);
    qxl_memslots_free(m);
    qxl_memslots_free(NULL);
}

static void test_add_validates(void)
{
    QxlMemslots *m = qxl_memslots_new(2, 8, 8, 8);
    g_assert_false(qxl_memslots_add(m, 2, 0, 0, 0x1000, 0x2000, 0x1000));  /* group */
    g_assert_false(qxl_memslots_add(m, 1, 8, 0, 0x1000, 0x2000, 0x1000));  /* slot */
    g_assert_false(qxl_memslots_add(m, 1, 0, 256, 0x1000, 0x2000, 0x1000)); /* generation */
    g_assert_false(qxl_memslots_add(m, 1, 0, 0, 0x2000, 0x1000, 0x1000));  /* start > end */
    g_assert_true(qxl_memslots_add(m, 1, 7, 255, 0x1000, 0x2000, 0x1000));
    const void *p;
    /* A rejected add must not have activated anything. */
    g_assert_cmpint(qxl_memslots_translate(m, 1, fake_addr_in(0, 0, 0), 1, &p), ==,
                    QXL_STATUS_SLOT_NOT_ACTIVE);
    g_assert_cmpint(qxl_memslots_translate(m, 1, fake_addr_in(7, 255, 0x10), 1, &p), ==,
                    QXL_STATUS_OK);
    g_assert_true(p == (const void *)0x1010);
    qxl_memslots_free(m);
}

static void test_translate_bounds(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    const void *p = (const void *)1;

    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(0), FAKE_SIZE, &p), ==,
                    QXL_STATUS_OK);
    g_assert_true(p == g.mem);
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(0), FAKE_SIZE + 1, &p),
                    ==, QXL_STATUS_OUT_OF_BOUNDS);
    g_assert_null(p);
    /* The last byte, and one past it. */
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(FAKE_SIZE - 1), 1, &p),
                    ==, QXL_STATUS_OK);
    g_assert_true(p == g.mem + FAKE_SIZE - 1);
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(FAKE_SIZE - 1), 2, &p),
                    ==, QXL_STATUS_OUT_OF_BOUNDS);
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(FAKE_SIZE), 1, &p), ==,
                    QXL_STATUS_OUT_OF_BOUNDS);
    /* A range crossing the end from well inside. */
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(FAKE_SIZE - 100), 101,
                                           &p), ==, QXL_STATUS_OUT_OF_BOUNDS);
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(FAKE_SIZE - 100), 100,
                                           &p), ==, QXL_STATUS_OK);
    /* Sizes that would wrap host + size. */
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(16), UINT64_MAX, &p), ==,
                    QXL_STATUS_OVERFLOW);
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(16),
                                           UINT64_MAX - (uint64_t)(uintptr_t)g.mem, &p),
                    ==, QXL_STATUS_OVERFLOW);
    /* The largest offset the address can carry. */
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP,
                                           fake_addr((UINT64_C(1) << 48) - 1), 1, &p),
                    ==, QXL_STATUS_OUT_OF_BOUNDS);
    fake_guest_finish(&g);
}

static void test_translate_ids(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    const void *p;

    g_assert_cmpint(qxl_memslots_translate(g.slots, 2, fake_addr(64), 1, &p), ==,
                    QXL_STATUS_BAD_GROUP);
    g_assert_cmpint(qxl_memslots_translate(g.slots, 0, fake_addr(64), 1, &p), ==,
                    QXL_STATUS_SLOT_NOT_ACTIVE);  /* same slot id, other group */
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr_in(8, FAKE_GENERATION, 64),
                                           1, &p), ==, QXL_STATUS_BAD_SLOT);
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr_in(255, 0, 64), 1, &p),
                    ==, QXL_STATUS_BAD_SLOT);
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr_in(2, FAKE_GENERATION, 64),
                                           1, &p), ==, QXL_STATUS_SLOT_NOT_ACTIVE);
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP,
                                           fake_addr_in(FAKE_SLOT, FAKE_GENERATION + 1, 64), 1, &p),
                    ==, QXL_STATUS_BAD_GENERATION);
    g_assert_null(p);

    qxl_memslots_del(g.slots, FAKE_GROUP, FAKE_SLOT);
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(64), 1, &p), ==,
                    QXL_STATUS_SLOT_NOT_ACTIVE);
    qxl_memslots_del(g.slots, 9, 99);  /* ignored */

    uint64_t start = (uint64_t)(uintptr_t)g.mem;
    g_assert_true(qxl_memslots_add(g.slots, FAKE_GROUP, FAKE_SLOT, FAKE_GENERATION, start,
                                   start + FAKE_SIZE, start));
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(64), 1, &p), ==,
                    QXL_STATUS_OK);
    qxl_memslots_reset(g.slots);
    g_assert_cmpint(qxl_memslots_translate(g.slots, FAKE_GROUP, fake_addr(64), 1, &p), ==,
                    QXL_STATUS_SLOT_NOT_ACTIVE);
    fake_guest_finish(&g);
}

static void test_translate_delta(void)
{
    QxlMemslots *m = qxl_memslots_new(2, 8, 8, 8);
    const void *p;
    /* Compat-mode style: addresses are guest physical, delta maps them below the range start. */
    g_assert_true(qxl_memslots_add(m, 1, 0, 0, 0x100000, 0x200000, UINT64_C(0x100000) - UINT64_C(0xf0000000)));
    g_assert_cmpint(qxl_memslots_translate(m, 1, 0xf0000010, 4, &p), ==, QXL_STATUS_OK);
    g_assert_true(p == (const void *)0x100010);
    /* Below virt_start after the delta. */
    g_assert_cmpint(qxl_memslots_translate(m, 1, 0xefffffff, 1, &p), ==, QXL_STATUS_OUT_OF_BOUNDS);
    /* offset + delta wraps around 2^64 to below the range: out of bounds, not a crash. */
    g_assert_true(qxl_memslots_add(m, 1, 1, 0, 0x1000, 0x2000, UINT64_MAX - 0x10));
    g_assert_cmpint(qxl_memslots_translate(m, 1, fake_addr_in(1, 0, 0x20), 1, &p), ==,
                    QXL_STATUS_OUT_OF_BOUNDS);
    g_assert_cmpint(qxl_memslots_translate(m, 1, fake_addr_in(1, 0, 0x1011), 1, &p), ==,
                    QXL_STATUS_OK);
    g_assert_true(p == (const void *)0x1000);
    qxl_memslots_free(m);
}

static void test_translate_host_slot(void)
{
    /* QEMU's host group: virt 0..~0, delta 0: host pointers pass through, NULL does not. */
    QxlMemslots *m = qxl_memslots_new(2, 8, 8, 8);
    g_assert_true(qxl_memslots_add(m, 0, 0, 0, 0, UINT64_MAX, 0));
    int object = 42;
    const void *p;
    g_assert_cmpint(qxl_memslots_translate(m, 0, (QXLPHYSICAL)(uintptr_t)&object, sizeof(object), &p),
                    ==, QXL_STATUS_OK);
    g_assert_true(p == &object);
    g_assert_cmpint(qxl_memslots_translate(m, 0, 0, 8, &p), ==, QXL_STATUS_NULL_POINTER);
    g_assert_null(p);
    qxl_memslots_free(m);

    m = qxl_memslots_new(1, 1, 0, 0);
    g_assert_true(qxl_memslots_add(m, 0, 0, 0, 0, UINT64_MAX, 0));
    g_assert_cmpint(qxl_memslots_translate(m, 0, UINT64_C(0xff00000000000000), 1, &p), ==,
                    QXL_STATUS_OK);  /* no id bits: the top byte is offset */
    qxl_memslots_free(m);
}

static void test_status_names(void)
{
    GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
    for (int s = QXL_STATUS_OK; s <= QXL_STATUS_NO_MEMORY; s++) {
        const char *name = qxl_status_to_string((QxlStatus)s);
        g_assert_nonnull(name);
        g_assert_false(g_hash_table_contains(names, name));
        g_hash_table_add(names, (gpointer)name);
    }
    g_assert_cmpstr(qxl_status_to_string((QxlStatus)999), ==, "unknown status");
    g_hash_table_destroy(names);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memslot/new-validates", test_new_validates);
    g_test_add_func("/memslot/add-validates", test_add_validates);
    g_test_add_func("/memslot/translate-bounds", test_translate_bounds);
    g_test_add_func("/memslot/translate-ids", test_translate_ids);
    g_test_add_func("/memslot/translate-delta", test_translate_delta);
    g_test_add_func("/memslot/translate-host-slot", test_translate_host_slot);
    g_test_add_func("/memslot/status-names", test_status_names);
    return g_test_run();
}
