/* A C program using the Neurlang runtime through its header: file, channel, task, capability,
 * extension calls.
 * Usage: client DIR   (DIR: a writable directory; the sandbox allows only it).
 * Exit 0 on success; prints what failed otherwise. */
#include "neurlang.h"
#include <stdio.h>
#include <string.h>

#define CHECK(cond, what)                                                                      \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "client: %s failed (line %d)\n", what, __LINE__);                \
            return 1;                                                                          \
        }                                                                                      \
    } while (0)

static uint64_t square(uint64_t x) { return x * x; }

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    const char *dir = argv[1];
    int64_t r = neurlang_sandbox_init(NEURLANG_SANDBOX_FILE_READ | NEURLANG_SANDBOX_FILE_WRITE |
                                          NEURLANG_SANDBOX_IO_PRINT,
                                      (const uint8_t *)dir, strlen(dir), 0, 0);
    CHECK(r == 0, "sandbox_init");

    uint8_t data[32] = "hello from C";
    uint8_t back[32] = {0};
    int64_t wtok = neurlang_cap_create(data, sizeof data, NEURLANG_CAP_READ | NEURLANG_CAP_WRITE);
    CHECK(wtok < -4095 || wtok >= 0, "cap_create");
    int64_t rtok = neurlang_cap_create(back, sizeof back, NEURLANG_CAP_WRITE);
    CHECK(rtok < -4095 || rtok >= 0, "cap_create");
    int64_t ro = neurlang_cap_restrict((uint64_t)rtok, NEURLANG_CAP_READ);
    CHECK(ro < -4095 || ro >= 0, "cap_restrict");

    char path[4200];
    snprintf(path, sizeof path, "%s/client.txt", dir);
    int64_t fd = neurlang_file_open((const uint8_t *)path, strlen(path),
                                    NEURLANG_OPEN_READ | NEURLANG_OPEN_WRITE | NEURLANG_OPEN_CREATE |
                                        NEURLANG_OPEN_TRUNC);
    CHECK(fd >= 0, "file_open");
    CHECK(neurlang_file_write((uint64_t)fd, (uint64_t)wtok, 12) == 12, "file_write");
    CHECK(neurlang_file_seek((uint64_t)fd, 0, 0) == 0, "file_seek");
    /* a read-only capability cannot receive data: -EFAULT, nothing written */
    CHECK(neurlang_file_read((uint64_t)fd, (uint64_t)ro, 12) == -14, "file_read into read-only cap");
    CHECK(neurlang_file_read((uint64_t)fd, (uint64_t)rtok, 12) == 12, "file_read");
    CHECK(memcmp(back, "hello from C", 12) == 0, "read back");
    CHECK(neurlang_file_size((uint64_t)fd) == 12, "file_size");
    CHECK(neurlang_file_close((uint64_t)fd) == 0, "file_close");
    CHECK(neurlang_file_unlink((const uint8_t *)path, strlen(path)) == 0, "file_unlink");
    /* outside the sandbox */
    CHECK(neurlang_file_open((const uint8_t *)"/etc/passwd", 11, NEURLANG_OPEN_READ) == -13,
          "sandbox denies /etc/passwd");

    int64_t ch = neurlang_chan_create();
    CHECK(ch >= 0, "chan_create");
    int64_t t = neurlang_spawn((uint64_t)(uintptr_t)&square, 7);
    CHECK(t >= 0, "spawn");
    CHECK(neurlang_join((uint64_t)t) == 49, "join");
    CHECK(neurlang_join((uint64_t)t) == -3, "join twice gives -ESRCH");
    CHECK(neurlang_chan_send((uint64_t)ch, 42) == 0, "chan_send");
    CHECK(neurlang_chan_recv((uint64_t)ch) == 42, "chan_recv");
    CHECK(neurlang_chan_try_recv((uint64_t)ch) == -11, "chan_try_recv empty gives -EAGAIN");
    CHECK(neurlang_chan_close((uint64_t)ch) == 0, "chan_close");
    CHECK(neurlang_chan_recv((uint64_t)ch) == -32, "chan_recv closed gives -EPIPE");

    CHECK(neurlang_rand_fill((uint64_t)wtok, 16) == 16, "rand_fill");
    CHECK(neurlang_time_now() > 0 && neurlang_time_monotonic() >= 0, "time");
    CHECK(neurlang_cap_revoke((uint64_t)wtok) == 0, "cap_revoke");
    CHECK(neurlang_file_write(3, (uint64_t)wtok, 1) == -14, "revoked token gives -EFAULT");
    CHECK(neurlang_cap_revoke((uint64_t)rtok) == 0, "cap_revoke");
    CHECK(neurlang_cap_check((uint64_t)ro, NEURLANG_CAP_READ, 1) == -14, "derived token revoked too");

    /* ext.call: the spec's Vec example (ext.call r1, 100, r0, r0 ...) through ext_call2 */
    uint64_t vec = 0, res = 0;
    CHECK(neurlang_ext_call2(100, 0, 0, &vec) == 0, "ext_call2 vec_new");
    CHECK(neurlang_ext_call2(102, vec, 42, &res) == 0 && res == 0, "ext_call2 vec_push 42");
    CHECK(neurlang_ext_call2(102, vec, UINT64_MAX, &res) == 0, "ext_call2 vec_push 2^64-1");
    CHECK(neurlang_ext_call2(106, vec, 0, &res) == 0 && res == 2, "ext_call2 vec_len");
    CHECK(neurlang_ext_call2(103, vec, 0, &res) == 0 && res == UINT64_MAX, "ext_call2 vec_pop");
    CHECK(neurlang_ext_call2(109, vec, 0, &res) == 0, "ext_call2 vec_free");
    res = 7;
    CHECK(neurlang_ext_call2(106, vec, 0, &res) == -9 && res == 7, "freed handle gives -EBADF");
    CHECK(neurlang_ext_call2(((uint64_t)1 << 32) + 100, 0, 0, &res) == -38 && res == 7,
          "2^32 + 100 is no extension: -ENOSYS");
    /* sha256("abc") through ext_call, buffers as capability tokens */
    uint8_t abc[3] = {'a', 'b', 'c'}, digest[32] = {0};
    int64_t in = neurlang_cap_create(abc, sizeof abc, NEURLANG_CAP_READ);
    int64_t dig = neurlang_cap_create(digest, sizeof digest, NEURLANG_CAP_WRITE);
    CHECK((in < -4095 || in >= 0) && (dig < -4095 || dig >= 0), "cap_create for sha256");
    uint64_t args[3] = {(uint64_t)in, 3, (uint64_t)dig};
    CHECK(neurlang_ext_call(1, args, 2, &res) == -22 && res == 7, "wrong count gives -EINVAL");
    CHECK(neurlang_ext_call(1, args, 3, &res) == 0 && res == 0, "ext_call sha256");
    CHECK(digest[0] == 0xba && digest[1] == 0x78 && digest[31] == 0xad, "sha256 digest");
    CHECK(neurlang_cap_revoke((uint64_t)in) == 0 && neurlang_cap_revoke((uint64_t)dig) == 0,
          "cap_revoke");

    const char msg[] = "client: ok\n";
    uint8_t out[sizeof msg];
    memcpy(out, msg, sizeof msg);
    int64_t ptok = neurlang_cap_create(out, sizeof msg - 1, NEURLANG_CAP_READ);
    CHECK(neurlang_io_print((uint64_t)ptok, sizeof msg - 1) == (int64_t)(sizeof msg - 1), "io_print");
    CHECK(neurlang_cap_revoke((uint64_t)ptok) == 0, "cap_revoke");
    return 0;
}
