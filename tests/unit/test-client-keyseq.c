/* test-client-keyseq: text and combos as key steps (client/key-sequence.c), and bad specs. */
#include <string.h>

#include <glib.h>

#include "client/key-sequence.h"
#include "client/keymap.h"

static void assert_steps(GArray *steps, const KeyStep *want, size_t n)
{
    g_assert_cmpuint(steps->len, ==, n);
    for (size_t i = 0; i < n; i++) {
        const KeyStep *s = &g_array_index(steps, KeyStep, i);
        g_assert_cmphex(s->scancode, ==, want[i].scancode);
        g_assert_cmpint(s->press, ==, want[i].press);
    }
}

static void test_text(void)
{
    GArray *steps = g_array_new(FALSE, FALSE, sizeof(KeyStep));
    char *error = NULL;
    g_assert_true(key_sequence_from_text(steps, "aZ $\n", &error));
    const KeyStep want[] = {
        { 0x1e, true }, { 0x1e, false },                                    /* a */
        { 0x2a, true }, { 0x2c, true }, { 0x2c, false }, { 0x2a, false },   /* Shift+z */
        { 0x39, true }, { 0x39, false },                                    /* space */
        { 0x2a, true }, { 0x05, true }, { 0x05, false }, { 0x2a, false },   /* Shift+4 */
        { 0x1c, true }, { 0x1c, false },                                    /* Enter */
    };
    assert_steps(steps, want, G_N_ELEMENTS(want));
    /* Every printable ASCII character has a key. */
    g_array_set_size(steps, 0);
    char all[96];
    for (int c = 0x20; c < 0x7f; c++) {
        all[c - 0x20] = (char)c;
    }
    all[95] = '\0';
    g_assert_true(key_sequence_from_text(steps, all, &error));
    for (guint i = 0; i < steps->len; i++) {
        uint32_t sc = g_array_index(steps, KeyStep, i).scancode;
        g_assert_true(sc > 0 && sc < 0x80);
    }
    /* Not typeable: an error naming it, and nothing appended. */
    g_array_set_size(steps, 0);
    g_assert_false(key_sequence_from_text(steps, "ok\xc3\xa9", &error));
    g_assert_nonnull(strstr(error, "0xc3"));
    g_assert_cmpuint(steps->len, ==, 0);
    g_free(error);
    g_array_unref(steps);
}

static void test_combos(void)
{
    GArray *steps = g_array_new(FALSE, FALSE, sizeof(KeyStep));
    char *error = NULL;
    g_assert_true(key_sequence_from_combo(steps, "ctrl+alt+del", &error));
    const KeyStep cad[] = {
        { 0x1d, true }, { 0x38, true }, { 0x153, true }, { 0x153, false }, { 0x38, false }, { 0x1d, false },
    };
    assert_steps(steps, cad, G_N_ELEMENTS(cad));
    g_array_set_size(steps, 0);
    g_assert_true(key_sequence_from_combo(steps, "Ctrl + Alt + F2", &error));
    g_assert_cmphex(g_array_index(steps, KeyStep, 2).scancode, ==, 0x3c);
    g_array_set_size(steps, 0);
    g_assert_true(key_sequence_from_combo(steps, "A", &error));               /* unshifted key */
    g_assert_cmphex(g_array_index(steps, KeyStep, 0).scancode, ==, 0x1e);
    g_array_set_size(steps, 0);
    g_assert_true(key_sequence_from_combo(steps, "KP_Divide", &error));       /* a keymap name */
    g_assert_cmphex(g_array_index(steps, KeyStep, 0).scancode, ==, 0x135);
    g_array_set_size(steps, 0);
    g_assert_true(key_sequence_from_combo(steps, "pause", &error));
    g_assert_cmphex(g_array_index(steps, KeyStep, 0).scancode, ==, KEYMAP_SCANCODE_PAUSE);
    g_array_set_size(steps, 0);
    const char *bad[] = { "ctrl+nosuchkey", "", "ctrl+", "+", "a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        error = NULL;
        g_assert_false(key_sequence_from_combo(steps, bad[i], &error));
        g_assert_nonnull(error);
        g_assert_cmpuint(steps->len, ==, 0);
        g_free(error);
    }
    g_array_unref(steps);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client-keyseq/text", test_text);
    g_test_add_func("/client-keyseq/combos", test_combos);
    return g_test_run();
}
