/* terminal: the desktop's terminal window body: commands typed one character at a time, output, scrolling by COPY_BITS. */
#include "terminal.h"

#include <glib.h>
#include <string.h>

#include "font.h"

#define TERM_BACKGROUND 0x101418u
#define TERM_TEXT 0xd0d0d0u
#define TERM_PROMPT 0x6ad36au
#define TERM_CURSOR 0xc0c0c0u
#define PROMPT "user@spice-demo:~$ "
/* Frames between typed characters, after a command's output, and per cursor blink. */
#define TYPE_FRAMES 3
#define OUTPUT_FRAMES 2
#define PAUSE_FRAMES 30
#define BLINK_FRAMES 12

typedef struct Command {
    const char *typed;
    const char *output; /* lines separated by '\n'; "@date" prints the time */
} Command;

static const Command script[] = {
    { "uname -a", "Linux spice-demo 6.1.0-qxl #1 SMP PREEMPT x86_64 GNU/Linux" },
    { "ls", "Desktop  Documents  Music  Pictures  notes.txt" },
    { "cat notes.txt", "SPICE: Simple Protocol for Independent\nComputing Environments.\nThis screen is a QXL device in spice-demo-vm." },
    { "date", "@date" },
    { "echo hello, world", "hello, world" },
    { "free -h", "        total   used   free\nMem:    256Mi   48Mi  208Mi\nSwap:      0B     0B     0B" },
    { "seq 1 5", "1\n2\n3\n4\n5" },
};

typedef enum Phase { PHASE_PROMPT, PHASE_TYPING, PHASE_OUTPUT, PHASE_PAUSE } Phase;

struct Terminal {
    Screen *screen;
    Box body;  /* where the text goes */
    Box outer; /* the whole window body, margin included */
    int scale;
    int cell_w, cell_h;
    int cols, rows;
    int row, col;        /* text cursor */
    Phase phase;
    unsigned command;    /* index into script */
    unsigned typed;      /* characters of the command typed so far */
    char **output;       /* lines of the current output */
    unsigned output_line;
    unsigned wait;       /* frames to wait before the next step */
    bool cursor_on;
};

Terminal *terminal_new(Screen *screen, Box body, int scale)
{
    Terminal *term = g_new0(Terminal, 1);
    term->screen = screen;
    term->scale = scale;
    term->cell_w = FONT_CELL_WIDTH * scale;
    term->cell_h = FONT_CELL_HEIGHT * scale;
    /* A margin inside the window, as terminal emulators keep. */
    body = (Box){ body.x + 4, body.y + 4, body.w - 8, body.h - 8 };
    term->cols = MAX(body.w / term->cell_w, 1);
    term->rows = MAX(body.h / term->cell_h, 2);
    term->body = body;
    term->outer = (Box){ body.x - 4, body.y - 4, body.w + 8, body.h + 8 };
    term->phase = PHASE_PROMPT;
    term->wait = 10;
    return term;
}

void terminal_free(Terminal *term)
{
    if (term == NULL) {
        return;
    }
    g_strfreev(term->output);
    g_free(term);
}

void terminal_paint(Terminal *term)
{
    fb_fill(screen_framebuffer(term->screen), term->outer, TERM_BACKGROUND);
}

static Box cell_box(const Terminal *term, int row, int col, int ncols)
{
    return (Box){ term->body.x + col * term->cell_w, term->body.y + row * term->cell_h, ncols * term->cell_w,
                  term->cell_h };
}

static void show_cursor(Terminal *term, bool on)
{
    if (term->col >= term->cols) {
        /* At the end of a full line the cursor waits for the wrap: nothing to draw. */
        term->cursor_on = false;
        return;
    }
    term->cursor_on = on;
    screen_fill(term->screen, cell_box(term, term->row, term->col, 1), on ? TERM_CURSOR : TERM_BACKGROUND);
}

static void new_line(Terminal *term)
{
    term->col = 0;
    if (term->row + 1 < term->rows) {
        term->row++;
        return;
    }
    /* Scroll the text up one line, as a guest console does with a blit, then clear the last line. */
    Box text = { term->body.x, term->body.y, term->cols * term->cell_w, (term->rows - 1) * term->cell_h };
    screen_scroll(term->screen, text, text.x, text.y + term->cell_h);
    screen_fill(term->screen, cell_box(term, term->row, 0, term->cols), TERM_BACKGROUND);
}

/* Prints @text from the cursor (wrapping), as one update per line touched. */
static void put_text(Terminal *term, const char *text, uint32_t color)
{
    Framebuffer *fb = screen_framebuffer(term->screen);
    size_t len = strlen(text);
    size_t done = 0;
    while (done < len) {
        if (term->col >= term->cols) {
            new_line(term);
        }
        size_t room = (size_t)(term->cols - term->col);
        size_t n = MIN(room, len - done);
        char *part = g_strndup(text + done, n);
        Box box = cell_box(term, term->row, term->col, (int)n);
        fb_fill(fb, box, TERM_BACKGROUND);
        fb_text(fb, box.x, box.y + term->scale, part, color, term->scale);
        screen_update(term->screen, box);
        g_free(part);
        term->col += (int)n;
        done += n;
    }
}

static char **command_output(const Command *command)
{
    if (strcmp(command->output, "@date") == 0) {
        GDateTime *now = g_date_time_new_now_local();
        char *text = g_date_time_format(now, "%a %b %e %H:%M:%S %Z %Y");
        g_date_time_unref(now);
        char **lines = g_new0(char *, 2);
        lines[0] = text;
        return lines;
    }
    return g_strsplit(command->output, "\n", -1);
}

void terminal_tick(Terminal *term, unsigned tick)
{
    if (term->wait > 0) {
        term->wait--;
        if (term->phase != PHASE_OUTPUT && tick % BLINK_FRAMES == 0) {
            show_cursor(term, !term->cursor_on);
        }
        return;
    }
    const Command *command = &script[term->command];
    if (term->cursor_on) {
        show_cursor(term, false);
    }
    switch (term->phase) {
    case PHASE_PROMPT:
        put_text(term, PROMPT, TERM_PROMPT);
        term->phase = PHASE_TYPING;
        term->typed = 0;
        term->wait = TYPE_FRAMES * 4;
        break;
    case PHASE_TYPING:
        if (command->typed[term->typed] != '\0') {
            char one[2] = { command->typed[term->typed++], '\0' };
            put_text(term, one, TERM_TEXT);
            /* Uneven typing looks human. */
            term->wait = TYPE_FRAMES + (term->typed * 7 % 5);
        } else {
            new_line(term);
            g_strfreev(term->output);
            term->output = command_output(command);
            term->output_line = 0;
            term->phase = PHASE_OUTPUT;
            term->wait = OUTPUT_FRAMES * 3;
        }
        break;
    case PHASE_OUTPUT:
        if (term->output[term->output_line] != NULL) {
            put_text(term, term->output[term->output_line++], TERM_TEXT);
            new_line(term);
            term->wait = OUTPUT_FRAMES;
        } else {
            term->phase = PHASE_PAUSE;
            term->wait = PAUSE_FRAMES;
        }
        break;
    case PHASE_PAUSE:
        term->command = (term->command + 1) % G_N_ELEMENTS(script);
        term->phase = PHASE_PROMPT;
        break;
    }
    if (term->phase != PHASE_OUTPUT) {
        show_cursor(term, true);
    }
}
