/* The bad-input corpus (tests/data/bad): every file listed in its MANIFEST
 * must be refused with the listed status and message, by the whole-file path
 * (pp_process_file, into every output format) and by the in-memory decoder,
 * and a refused file must leave nothing in the output folder: no partial
 * output, no temporary. Under ASan/UBSan this also checks that every failure
 * path frees what it allocated.
 *
 * One cmocka test per manifest line and path, named after the file, so a
 * failure says which file broke. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pixpipe/engine.h"
#include "testutil.h"

#define CORPUS PP_SOURCE_ROOT "/tests/data/bad"
#define MAX_ENTRIES 128

typedef struct entry {
    char file[128];
    char path[512];
    int code;
    int exit_code;
    char fragments[256]; /* '|'-separated */
} entry;

static entry entries[MAX_ENTRIES];
static size_t n_entries;

static const struct {
    const char *name;
    int code;
} code_names[] = {
    {"PP_EINVAL", PP_EINVAL},         {"PP_ENOMEM", PP_ENOMEM},
    {"PP_EIO", PP_EIO},               {"PP_ENOENT", PP_ENOENT},
    {"PP_ECREATE", PP_ECREATE},       {"PP_EFORMAT", PP_EFORMAT},
    {"PP_ECORRUPT", PP_ECORRUPT},     {"PP_ELIMIT", PP_ELIMIT},
    {"PP_EUNSUPPORTED", PP_EUNSUPPORTED}, {"PP_EOVERFLOW", PP_EOVERFLOW},
    {"PP_ECANCELED", PP_ECANCELED},   {"PP_ENOTBUILT", PP_ENOTBUILT},
    {"PP_EPARSE", PP_EPARSE},         {"PP_EINTERNAL", PP_EINTERNAL},
};

static bool code_from_name(const char *name, int *code)
{
    for (size_t i = 0; i < sizeof code_names / sizeof code_names[0]; i++)
        if (strcmp(name, code_names[i].name) == 0) {
            *code = code_names[i].code;
            return true;
        }
    return false;
}

/* Parses MANIFEST; exits the program on a malformed line (the corpus is
 * broken, not the code under test). */
static void load_manifest(void)
{
    FILE *f = fopen(CORPUS "/MANIFEST", "r");
    if (!f) {
        fprintf(stderr, "cannot open %s/MANIFEST\n", CORPUS);
        exit(1);
    }
    char line[1024];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        char status[64];
        int used = 0;
        entry *e = &entries[n_entries];
        if (n_entries == MAX_ENTRIES ||
            sscanf(p, "%127s %63s %d %n", e->file, status, &e->exit_code, &used) != 3 ||
            used == 0 || !code_from_name(status, &e->code) || p[used] == '\0' ||
            strlen(p + used) >= sizeof e->fragments) {
            fprintf(stderr, "MANIFEST:%d: malformed line: %s\n", lineno, line);
            exit(1);
        }
        snprintf(e->fragments, sizeof e->fragments, "%s", p + used);
        size_t n = strlen(e->fragments);
        while (n > 0 && (e->fragments[n - 1] == ' ' || e->fragments[n - 1] == '\t'))
            e->fragments[--n] = '\0';
        char path[sizeof e->path];
        snprintf(path, sizeof path, "%s/%s", CORPUS, e->file);
        memcpy(e->path, path, sizeof path);
        n_entries++;
    }
    fclose(f);
}

/* True when msg contains one of the '|'-separated fragments. */
static bool has_fragment(const char *msg, const char *fragments)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", fragments);
    char *save = NULL;
    for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
        if (strstr(msg, t))
            return true;
    return false;
}

/* Checks a refusal against the manifest; on a mismatch writes why into
 * `why` (so the caller can clean up before failing) and returns false. */
static bool refused_as_listed(const entry *e, const pp_err *err, int rc, const char *how,
                              char *why, size_t why_len)
{
    if (rc != e->code || err->code != e->code) {
        snprintf(why, why_len, "%s (%s): got %d %s \"%s\", want %s", e->file, how, rc,
                 pp_strerror(rc), err->msg, pp_strerror(e->code));
        return false;
    }
    if (!has_fragment(err->msg, e->fragments)) {
        snprintf(why, why_len, "%s (%s): message \"%s\" has none of \"%s\"", e->file, how,
                 err->msg, e->fragments);
        return false;
    }
    if (pp_exit_code(err->code) != e->exit_code) {
        snprintf(why, why_len, "%s (%s): exit code %d, want %d", e->file, how,
                 pp_exit_code(err->code), e->exit_code);
        return false;
    }
    return true;
}

/* pp_process_file into every output format: the same refusal each time, and
 * the output folder stays empty. */
static void test_process(void **state)
{
    const entry *e = *state;
    static const char *const outs[] = {"out.png", "out.jpg", "out.tif", "out.ppm", "out.webp"};
    char why[1024] = "";
    int tried = 0;
    for (size_t i = 0; i < sizeof outs / sizeof outs[0] && !why[0]; i++) {
        if (!pp_codec_available(pp_codec_from_path(outs[i])))
            continue;
        tried++;
        char *dir = tu_mkdtemp();
        char *out = tu_path(dir, outs[i]);
        pp_process_opts o;
        pp_process_opts_default(&o);
        o.sync = false;
        pp_err err;
        pp_err_clear(&err);
        int rc = pp_process_file(e->path, out, &o, NULL, &err);
        size_t plen = strlen(e->path);
        int left = tu_count_entries(dir);
        if (!refused_as_listed(e, &err, rc, outs[i], why, sizeof why))
            ;
        else if (strncmp(err.msg, e->path, plen) != 0 || strncmp(err.msg + plen, ": ", 2) != 0)
            snprintf(why, sizeof why, "%s (%s): message \"%s\" does not start with the input path",
                     e->file, outs[i], err.msg);
        else if (left != 0)
            snprintf(why, sizeof why, "%s (%s): %d file(s) left in the output folder", e->file,
                     outs[i], left);
        free(out);
        tu_rmtree(dir);
        free(dir);
    }
    if (why[0])
        fail_msg("%s", why);
    assert_true(tried > 0);
}

/* pp_decoder_open_mem, then every row: one of the two must refuse. */
static void test_mem(void **state)
{
    const entry *e = *state;
    size_t len;
    uint8_t *data = tu_read_file(e->path, &len);
    pp_err err;
    pp_err_clear(&err);
    pp_decoder *d = pp_decoder_open_mem(data, len, NULL, &err);
    char why[1024] = "";
    if (!d) {
        free(data);
        if (!refused_as_listed(e, &err, err.code, "open_mem", why, sizeof why))
            fail_msg("%s", why);
        return;
    }
    const pp_image_info *info = pp_decoder_info(d);
    size_t row = info->width * (size_t)info->channels, strip = 16;
    uint8_t *buf = malloc(row * strip);
    assert_non_null(buf);
    int rc = 0;
    for (size_t y = 0; y < info->height && rc == 0; y += strip) {
        size_t n = info->height - y < strip ? info->height - y : strip;
        rc = pp_decoder_read(d, buf, row, n, &err);
    }
    free(buf);
    pp_decoder_free(d);
    free(data);
    if (rc == 0)
        fail_msg("%s (open_mem): decoded every row without an error", e->file);
    if (!refused_as_listed(e, &err, rc, "open_mem + read", why, sizeof why))
        fail_msg("%s", why);
}

/* The manifest and the folder agree: every listed file exists, every file is
 * listed, and the cases the design requires are all there. */
static void test_manifest_complete(void **state)
{
    (void)state;
    static const char *const required[] = {
        "empty.jpg",      "text.jpg",         "truncated.jpg",    "truncated.png",
        "huge-dims.jpg",  "huge-dims.png",    "many-scans.jpg",   "bad-huffman.jpg",
        "bad-ihdr-crc.png", "bad-idat-crc.png",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        bool found = false;
        for (size_t k = 0; k < n_entries; k++)
            found = found || strcmp(entries[k].file, required[i]) == 0;
        if (!found)
            fail_msg("MANIFEST lacks %s", required[i]);
    }
    DIR *dir = opendir(CORPUS);
    assert_non_null(dir);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(dir))) {
        const char *n = de->d_name;
        if (n[0] == '.' || strcmp(n, "MANIFEST") == 0 || strcmp(n, "make-corpus.sh") == 0)
            continue;
        files++;
        bool found = false;
        for (size_t k = 0; k < n_entries; k++)
            found = found || strcmp(entries[k].file, n) == 0;
        if (!found)
            fail_msg("%s is in the corpus but not in MANIFEST", n);
    }
    closedir(dir);
    assert_int_equal((size_t)files, n_entries);
    for (size_t k = 0; k < n_entries; k++) {
        FILE *f = fopen(entries[k].path, "rb");
        if (!f)
            fail_msg("MANIFEST lists %s, which is missing", entries[k].file);
        fclose(f);
    }
}

int main(void)
{
    load_manifest();
    size_t n = 1 + 2 * n_entries;
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    char(*names)[160] = calloc(n, sizeof *names);
    if (!tests || !names)
        return 1;
    tests[0].name = "manifest_complete";
    tests[0].test_func = test_manifest_complete;
    for (size_t i = 0; i < n_entries; i++) {
        struct CMUnitTest *t = &tests[1 + 2 * i];
        snprintf(names[1 + 2 * i], sizeof names[0], "process %.127s", entries[i].file);
        snprintf(names[2 + 2 * i], sizeof names[0], "mem %.127s", entries[i].file);
        t[0].name = names[1 + 2 * i];
        t[0].test_func = test_process;
        t[0].initial_state = &entries[i];
        t[1].name = names[2 + 2 * i];
        t[1].test_func = test_mem;
        t[1].initial_state = &entries[i];
    }
    int failed = _cmocka_run_group_tests("badinput", tests, n, NULL, NULL);
    free(tests);
    free(names);
    return failed;
}
