/* fuzz-driver: runs a libFuzzer target without libFuzzer: every seed file, then seeded mutations for a bounded time. */
/*
 * Built with gcc (and the sanitizers of the test build) so every fuzz target runs in CI as a test:
 *   fuzz-NAME [--seconds S] [--seed N] CORPUS_DIR_OR_FILE...
 * With clang, the same target sources link against -fsanitize=fuzzer for real coverage-guided runs
 * (see tests/fuzz/README.md). The mutations here are blind (bit flips, truncation, byte runs,
 * splices of two seeds); they catch the shallow bugs between libFuzzer sessions.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    uint8_t *data;
    size_t size;
} Seed;

static Seed *seeds;
static size_t num_seeds;

static void add_seed_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz-driver: cannot open seed %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    Seed seed = { malloc(len > 0 ? (size_t)len : 1), len > 0 ? (size_t)len : 0 };
    if (seed.size && fread(seed.data, 1, seed.size, f) != seed.size) {
        fprintf(stderr, "fuzz-driver: short read on %s\n", path);
        exit(2);
    }
    fclose(f);
    seeds = realloc(seeds, (num_seeds + 1) * sizeof(*seeds));
    seeds[num_seeds++] = seed;
}

static void add_seed_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz-driver: no such corpus %s\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        add_seed_file(path);
        return;
    }
    DIR *dir = opendir(path);
    struct dirent *entry;
    while (dir && (entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        char child[4096];
        snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
        add_seed_path(child);
    }
    if (dir) {
        closedir(dir);
    }
}

static uint64_t rng_state;
static uint32_t rng_next(void)
{
    /* xorshift64*: reproducible from --seed */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static size_t mutate(const Seed *base, const Seed *other, uint8_t *out, size_t max)
{
    size_t size = base->size < max ? base->size : max;
    memcpy(out, base->data, size);
    unsigned rounds = 1 + rng_next() % 8;
    for (unsigned r = 0; r < rounds; r++) {
        switch (rng_next() % 6) {
        case 0: /* flip a bit */
            if (size) {
                out[rng_next() % size] ^= (uint8_t)(1u << (rng_next() % 8));
            }
            break;
        case 1: /* truncate */
            if (size) {
                size = rng_next() % size;
            }
            break;
        case 2: { /* interesting byte run */
            static const uint8_t values[] = { 0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe };
            if (size) {
                size_t at = rng_next() % size;
                size_t n = 1 + rng_next() % 8;
                for (size_t i = at; i < size && i < at + n; i++) {
                    out[i] = values[rng_next() % sizeof(values)];
                }
            }
            break;
        }
        case 3: /* grow with random bytes */
            while (size < max && (rng_next() % 16) != 0) {
                out[size++] = (uint8_t)rng_next();
            }
            break;
        case 4: /* splice the tail of another seed */
            if (other->size && size) {
                size_t at = rng_next() % size;
                size_t from = rng_next() % other->size;
                size_t n = other->size - from;
                if (at + n > max) {
                    n = max - at;
                }
                memcpy(out + at, other->data + from, n);
                size = at + n;
            }
            break;
        default: /* random 32-bit word */
            if (size >= 4) {
                uint32_t v = rng_next();
                memcpy(out + rng_next() % (size - 3), &v, 4);
            }
            break;
        }
    }
    return size;
}

int main(int argc, char **argv)
{
    double seconds = 5;
    uint64_t seed = 1;
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
        } else {
            add_seed_path(argv[i]);
        }
    }
    if (num_seeds == 0) {
        static uint8_t empty;
        seeds = malloc(sizeof(*seeds));
        seeds[0] = (Seed){ &empty, 0 };
        num_seeds = 1;
    }
    for (size_t s = 0; s < num_seeds; s++) {
        LLVMFuzzerTestOneInput(seeds[s].data, seeds[s].size);
    }
    rng_state = seed ? seed : 1;
    enum { FUZZ_MAX_INPUT = 1 << 20 };
    uint8_t *buf = malloc(FUZZ_MAX_INPUT);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    unsigned long runs = 0;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
        if (elapsed >= seconds) {
            break;
        }
        const Seed *base = &seeds[rng_next() % num_seeds];
        const Seed *other = &seeds[rng_next() % num_seeds];
        size_t size = mutate(base, other, buf, FUZZ_MAX_INPUT);
        /* a fresh heap copy of exactly @size bytes, so ASan sees reads past the end */
        uint8_t *input = malloc(size ? size : 1);
        memcpy(input, buf, size);
        LLVMFuzzerTestOneInput(input, size);
        free(input);
        runs++;
    }
    printf("fuzz-driver: %zu seeds, %lu mutated runs in %.1f s, no crash\n", num_seeds, runs, seconds);
    free(buf);
    return 0;
}
