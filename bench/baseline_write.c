/*
 * baseline_write: the least a program must do to create a given tree of files.
 *
 *     baseline_write SRC_DIR LIST_FILE DEST_DIR
 *
 * LIST_FILE holds relative paths, one per line (files in the same directory adjacent, e.g. sorted).
 * Phase 1 (not timed): read every SRC_DIR/<path> into memory.
 * Phase 2 (timed):     for every path, create DEST_DIR/<parent> if it is a new directory (mkdir -p),
 *                      then open(O_CREAT|O_TRUNC)/write/close DEST_DIR/<path> with the same bytes.
 * Prints on stdout:
 *     files <n>
 *     dirs <n created>
 *     bytes <n>
 *     write_ms <milliseconds of phase 2>
 *
 * Single-threaded, no fsync: bench/run.py compares pave's "write" stage with write_ms.
 * Built by bench/run.py with `cc -O2`.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

struct entry {
    char *rel;
    char *data;
    size_t len;
};

static void die(const char *what, const char *path) {
    fprintf(stderr, "baseline_write: %s %s: %s\n", what, path ? path : "", strerror(errno));
    exit(1);
}

static char *read_all(const char *path, size_t *len_out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) die("stat", path);
    size_t cap = st.st_size > 0 ? (size_t)st.st_size : 1, len = 0;
    char *buf = malloc(cap);
    if (!buf) die("malloc", path);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf) die("realloc", path);
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("read", path);
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    *len_out = len;
    return buf;
}

static size_t dirs_created = 0;

/* mkdir -p: try the directory itself first, create missing ancestors only on ENOENT. */
static void mkdir_p(char *path) {
    if (mkdir(path, 0755) == 0) {
        dirs_created++;
        return;
    }
    if (errno == EEXIST) return;
    if (errno != ENOENT) die("mkdir", path);
    char *slash = strrchr(path, '/');
    if (!slash || slash == path) die("mkdir", path);
    *slash = '\0';
    mkdir_p(path);
    *slash = '/';
    if (mkdir(path, 0755) == 0)
        dirs_created++;
    else if (errno != EEXIST)
        die("mkdir", path);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s SRC_DIR LIST_FILE DEST_DIR\n", argv[0]);
        return 2;
    }
    const char *src = argv[1], *list = argv[2], *dest = argv[3];
    size_t srclen = strlen(src), destlen = strlen(dest);

    /* Phase 1: load the list and every file into memory. */
    size_t listlen;
    char *names = read_all(list, &listlen);
    size_t n = 0, cap = 1024;
    struct entry *entries = malloc(cap * sizeof *entries);
    if (!entries) die("malloc", NULL);
    char pathbuf[8192];
    for (size_t i = 0; i < listlen;) {
        size_t j = i;
        while (j < listlen && names[j] != '\n') j++;
        if (j == listlen) {
            errno = EINVAL;
            die("list file must end with a newline:", list);
        }
        names[j] = '\0';
        if (j > i) {
            char *rel = names + i;
            size_t rl = j - i;
            if (srclen + 1 + rl + 1 > sizeof pathbuf || destlen + 1 + rl + 1 > sizeof pathbuf) {
                errno = ENAMETOOLONG;
                die("path", rel);
            }
            snprintf(pathbuf, sizeof pathbuf, "%s/%s", src, rel);
            if (n == cap) {
                cap *= 2;
                entries = realloc(entries, cap * sizeof *entries);
                if (!entries) die("realloc", NULL);
            }
            entries[n].rel = rel;
            entries[n].data = read_all(pathbuf, &entries[n].len);
            n++;
        }
        i = j + 1;
    }
    if (mkdir(dest, 0755) != 0 && errno != EEXIST) die("mkdir", dest);

    /* Phase 2 (timed): create the tree. */
    char out[8192], lastdir[8192];
    lastdir[0] = '\0';
    size_t total = 0;
    double t0 = now_ms();
    for (size_t i = 0; i < n; i++) {
        snprintf(out, sizeof out, "%s/%s", dest, entries[i].rel);
        char *slash = strrchr(out, '/');
        /* parent directory = out[0 .. slash) */
        size_t plen = (size_t)(slash - out);
        if (plen > destlen && (strlen(lastdir) != plen || memcmp(lastdir, out, plen) != 0)) {
            *slash = '\0';
            mkdir_p(out);
            memcpy(lastdir, out, plen + 1);
            *slash = '/';
        }
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) die("open", out);
        const char *p = entries[i].data;
        size_t left = entries[i].len;
        while (left > 0) {
            ssize_t w = write(fd, p, left);
            if (w < 0) {
                if (errno == EINTR) continue;
                die("write", out);
            }
            p += w;
            left -= (size_t)w;
        }
        if (close(fd) != 0) die("close", out);
        total += entries[i].len;
    }
    double t1 = now_ms();

    printf("files %zu\ndirs %zu\nbytes %zu\nwrite_ms %.3f\n", n, dirs_created, total, t1 - t0);
    return 0;
}
