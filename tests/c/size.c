/* Size probe: with -DUSE_RUNTIME references every I/O, concurrency, capability, time and
 * random function of the runtime (so the linker keeps them); without it, the same program
 * without the runtime. ci/size.sh prints the difference. */
#include <stdint.h>
#include <stdio.h>
#ifdef USE_RUNTIME
#include "neurlang.h"
static void *const used[] = {
    (void *)neurlang_file_open, (void *)neurlang_file_read, (void *)neurlang_file_write,
    (void *)neurlang_file_seek, (void *)neurlang_file_size, (void *)neurlang_file_close,
    (void *)neurlang_file_unlink, (void *)neurlang_net_connect, (void *)neurlang_net_listen,
    (void *)neurlang_net_accept, (void *)neurlang_net_port, (void *)neurlang_net_send,
    (void *)neurlang_net_recv, (void *)neurlang_net_close, (void *)neurlang_io_print,
    (void *)neurlang_io_read_line, (void *)neurlang_spawn, (void *)neurlang_join,
    (void *)neurlang_chan_create, (void *)neurlang_chan_send, (void *)neurlang_chan_recv,
    (void *)neurlang_chan_try_recv, (void *)neurlang_chan_close, (void *)neurlang_chan_destroy,
    (void *)neurlang_cap_create, (void *)neurlang_cap_restrict, (void *)neurlang_cap_slice,
    (void *)neurlang_cap_revoke, (void *)neurlang_cap_check, (void *)neurlang_time_now,
    (void *)neurlang_time_monotonic, (void *)neurlang_time_sleep, (void *)neurlang_rand_fill,
    (void *)neurlang_sandbox_init,
};
#endif

int main(int argc, char **argv) {
    (void)argv;
#ifdef USE_RUNTIME
    if (argc > 99) {
        for (unsigned i = 0; i < sizeof used / sizeof used[0]; i++) printf("%p\n", used[i]);
    }
    printf("%lld\n", (long long)neurlang_time_monotonic());
#else
    printf("%d\n", argc);
#endif
    return 0;
}
