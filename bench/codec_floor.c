/* codec_floor: the physical limit of a JPEG batch, measured on this machine.
 *
 *   codec_floor [-j THREADS] [-q QUALITY] [-s 420|422|444] [-g] [-o OUT_DIR] FILE...
 *
 * Decodes every FILE to RGB with libjpeg-turbo and encodes it again, with the
 * same libjpeg settings pixpipe uses by default (src/codec/jpeg.c): default
 * decompression (islow IDCT, fancy upsampling), jpeg_set_defaults plus
 * jpeg_set_quality(QUALITY) and the chroma subsampling asked for, no Huffman
 * optimisation, no progression. -g encodes a one-channel (grey) JPEG instead,
 * letting libjpeg's own RGB->grey colour conversion make the luma: the floor
 * of a pipeline whose output is grey. Nothing else happens between the
 * decoder and the encoder, so this is what no image tool built on
 * libjpeg-turbo can beat.
 *
 * Rows stream: each thread decodes up to 16 rows, hands them straight to the
 * encoder and reuses the buffer, so the memory and the cache footprint are
 * those of a strip, as in pixpipe. Threads take images one at a time from a
 * shared counter (largest files are not sorted first: give them in the order
 * you want). Outputs go to OUT_DIR/<basename> (files with the same basename
 * overwrite each other), or are thrown away in memory without -o.
 *
 * Prints one line: images=N failed=N mpx=X wall_s=X mpx_per_s=X. Exit status
 * 0, or 65 when any image failed (each failure is reported on stderr).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <jpeglib.h>

typedef struct opts {
    int threads, quality, subsamp; /* subsamp: 0 = 4:2:0, 1 = 4:2:2, 2 = 4:4:4 */
    int gray;
    const char *out_dir;
    char **files;
    int nfiles;
} opts;

typedef struct shared {
    const opts *o;
    atomic_int next;
    atomic_int failed;
    atomic_ullong pixels;
} shared;

typedef struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
} jerr;

static void on_error(j_common_ptr c)
{
    jerr *e = (jerr *)c->err;
    longjmp(e->jb, 1);
}

static void on_message(j_common_ptr c)
{
    (void)c; /* warnings (e.g. corrupt data recovered) are not failures here */
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Everything one_file touches after its setjmp lives on the heap, so its
 * values are well defined after a longjmp. */
typedef struct job {
    struct jpeg_decompress_struct d;
    struct jpeg_compress_struct c;
    jerr de, ce;
    FILE *in, *out;
    unsigned char *buf, *mem;
    unsigned long memlen;
    int created_d, created_c;
    char outpath[4096];
} job;

/* Decodes one file and re-encodes it. Returns 0 or -1 (message printed). */
static int one_file(const opts *o, const char *path, unsigned long long *pixels)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        fprintf(stderr, "codec_floor: %s: out of memory\n", path);
        return -1;
    }
    int rc = -1;
    j->d.err = jpeg_std_error(&j->de.pub);
    j->de.pub.error_exit = on_error;
    j->de.pub.output_message = on_message;
    j->c.err = jpeg_std_error(&j->ce.pub);
    j->ce.pub.error_exit = on_error;
    j->ce.pub.output_message = on_message;
    if (setjmp(j->de.jb) || setjmp(j->ce.jb)) {
        char msg[JMSG_LENGTH_MAX] = "";
        if (j->created_d && j->d.err->msg_code)
            j->d.err->format_message((j_common_ptr)&j->d, msg);
        if (j->created_c && j->c.err->msg_code && !msg[0])
            j->c.err->format_message((j_common_ptr)&j->c, msg);
        fprintf(stderr, "codec_floor: %s: %s\n", path, msg[0] ? msg : "libjpeg error");
        goto done;
    }
    if (!(j->in = fopen(path, "rb"))) {
        fprintf(stderr, "codec_floor: %s: %s\n", path, strerror(errno));
        goto done;
    }
    struct jpeg_decompress_struct *d = &j->d;
    struct jpeg_compress_struct *c = &j->c;
    jpeg_create_decompress(d);
    j->created_d = 1;
    jpeg_stdio_src(d, j->in);
    jpeg_read_header(d, TRUE);
    d->out_color_space = d->jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(d);
    int comps = d->out_color_space == JCS_GRAYSCALE ? 1 : 3;

    jpeg_create_compress(c);
    j->created_c = 1;
    if (o->out_dir) {
        snprintf(j->outpath, sizeof j->outpath, "%s/%s", o->out_dir, base_name(path));
        if (!(j->out = fopen(j->outpath, "wb"))) {
            fprintf(stderr, "codec_floor: %s: %s\n", j->outpath, strerror(errno));
            goto done;
        }
        jpeg_stdio_dest(c, j->out);
    } else {
        jpeg_mem_dest(c, &j->mem, &j->memlen);
    }
    c->image_width = d->output_width;
    c->image_height = d->output_height;
    c->input_components = comps;
    c->in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(c);
    jpeg_set_quality(c, o->quality, TRUE);
    if (comps == 3 && o->gray) {
        jpeg_set_colorspace(c, JCS_GRAYSCALE);
    } else if (comps == 3) {
        static const int hv[3][2] = {{2, 2}, {2, 1}, {1, 1}};
        c->comp_info[0].h_samp_factor = hv[o->subsamp][0];
        c->comp_info[0].v_samp_factor = hv[o->subsamp][1];
        for (int k = 1; k < 3; k++)
            c->comp_info[k].h_samp_factor = c->comp_info[k].v_samp_factor = 1;
    }
    jpeg_start_compress(c, TRUE);

    enum { STRIP = 16 };
    size_t row_bytes = (size_t)d->output_width * (size_t)comps;
    if (!(j->buf = malloc(row_bytes * STRIP))) {
        fprintf(stderr, "codec_floor: %s: out of memory\n", path);
        goto done;
    }
    JSAMPROW rows[STRIP];
    for (int i = 0; i < STRIP; i++)
        rows[i] = j->buf + (size_t)i * row_bytes;
    while (d->output_scanline < d->output_height) {
        JDIMENSION want = d->output_height - d->output_scanline;
        if (want > STRIP)
            want = STRIP;
        JDIMENSION got = 0;
        while (got < want)
            got += jpeg_read_scanlines(d, rows + got, want - got);
        JDIMENSION put = 0;
        while (put < got)
            put += jpeg_write_scanlines(c, rows + put, got - put);
    }
    jpeg_finish_compress(c);
    jpeg_finish_decompress(d);
    FILE *out = j->out;
    j->out = NULL;
    if (out && fclose(out) != 0) {
        fprintf(stderr, "codec_floor: %s: write failed\n", j->outpath);
        goto done;
    }
    *pixels += (unsigned long long)d->output_width * d->output_height;
    rc = 0;
done:
    if (j->created_c)
        jpeg_destroy_compress(&j->c);
    if (j->created_d)
        jpeg_destroy_decompress(&j->d);
    free(j->buf);
    free(j->mem);
    if (j->out)
        fclose(j->out);
    if (j->in)
        fclose(j->in);
    free(j);
    return rc;
}

static void *worker(void *arg)
{
    shared *s = arg;
    unsigned long long px = 0;
    for (;;) {
        int i = atomic_fetch_add(&s->next, 1);
        if (i >= s->o->nfiles)
            break;
        if (one_file(s->o, s->o->files[i], &px) < 0)
            atomic_fetch_add(&s->failed, 1);
    }
    atomic_fetch_add(&s->pixels, px);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: codec_floor [-j THREADS] [-q QUALITY] [-s 420|422|444] [-g] "
                    "[-o OUT_DIR] FILE...\n");
    return 64;
}

int main(int argc, char **argv)
{
    opts o = {.threads = 0, .quality = 90, .subsamp = 0};
    int opt;
    while ((opt = getopt(argc, argv, "j:q:s:go:")) != -1) {
        switch (opt) {
        case 'j': o.threads = atoi(optarg); break;
        case 'q': o.quality = atoi(optarg); break;
        case 's':
            if (!strcmp(optarg, "420"))
                o.subsamp = 0;
            else if (!strcmp(optarg, "422"))
                o.subsamp = 1;
            else if (!strcmp(optarg, "444"))
                o.subsamp = 2;
            else
                return usage();
            break;
        case 'g': o.gray = 1; break;
        case 'o': o.out_dir = optarg; break;
        default: return usage();
        }
    }
    if (optind >= argc || o.quality < 1 || o.quality > 100)
        return usage();
    if (o.threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.threads = n > 0 ? (int)n : 1;
    }
    if (o.threads > 1024)
        o.threads = 1024;
    o.files = argv + optind;
    o.nfiles = argc - optind;
    if (o.threads > o.nfiles)
        o.threads = o.nfiles;

    shared s = {.o = &o};
    atomic_init(&s.next, 0);
    atomic_init(&s.failed, 0);
    atomic_init(&s.pixels, 0);
    pthread_t *t = calloc((size_t)o.threads, sizeof *t);
    if (!t)
        return 71;
    double t0 = now_s();
    int started = 0;
    for (; started < o.threads; started++)
        if (pthread_create(&t[started], NULL, worker, &s) != 0)
            break;
    if (started == 0)
        worker(&s);
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    double wall = now_s() - t0;
    free(t);
    double mpx = (double)atomic_load(&s.pixels) / 1e6;
    int failed = atomic_load(&s.failed);
    printf("images=%d failed=%d mpx=%.1f wall_s=%.3f mpx_per_s=%.1f\n", o.nfiles - failed, failed,
           mpx, wall, wall > 0 ? mpx / wall : 0.0);
    return failed ? 65 : 0;
}
