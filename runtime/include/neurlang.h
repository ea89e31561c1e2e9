/* neurlang.h - the Neurlang runtime's C ABI.
 *
 * Every function returns a value >= 0 or -code, code from the runtime's canonical errno table
 * (Linux numbering on every platform). A `buf` argument is a capability token issued by
 * neurlang_cap_create / _restrict / _slice: a forged, stale, revoked, too-short or
 * wrong-permission token gives -EFAULT (14) and no memory is touched. A token revoked while a
 * call that waits for data (a receive, a read) waits gives -EFAULT once the data comes, and that
 * data is dropped: the revoke does not wait for the call. The contract of every function is
 * conformance/cases/abi.toml. Link: libneurlang.a -lpthread -ldl -lm.
 */
#ifndef NEURLANG_H
#define NEURLANG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* neurlang_file_open flags */
#define NEURLANG_OPEN_READ 1u
#define NEURLANG_OPEN_WRITE 2u
#define NEURLANG_OPEN_CREATE 4u
#define NEURLANG_OPEN_TRUNC 8u
#define NEURLANG_OPEN_APPEND 16u
#define NEURLANG_OPEN_EXCL 32u

/* neurlang_cap_* permissions */
#define NEURLANG_CAP_READ 1u
#define NEURLANG_CAP_WRITE 2u
#define NEURLANG_CAP_EXEC 4u

/* neurlang_sandbox_init flags */
#define NEURLANG_SANDBOX_FILE_READ 1u
#define NEURLANG_SANDBOX_FILE_WRITE 2u
#define NEURLANG_SANDBOX_NET_CONNECT 4u
#define NEURLANG_SANDBOX_NET_LISTEN 8u
#define NEURLANG_SANDBOX_IO_PRINT 16u
#define NEURLANG_SANDBOX_IO_READ 32u

/* Files */
int64_t neurlang_file_open(const uint8_t *path, uint64_t path_len, uint64_t flags);
int64_t neurlang_file_read(uint64_t fd, uint64_t buf, uint64_t len);
int64_t neurlang_file_write(uint64_t fd, uint64_t buf, uint64_t len);
int64_t neurlang_file_seek(uint64_t fd, int64_t offset, uint64_t whence);
int64_t neurlang_file_size(uint64_t fd);
int64_t neurlang_file_close(uint64_t fd);
int64_t neurlang_file_unlink(const uint8_t *path, uint64_t path_len);

/* Network */
int64_t neurlang_net_connect(const uint8_t *host, uint64_t host_len, uint64_t port);
int64_t neurlang_net_listen(const uint8_t *host, uint64_t host_len, uint64_t port);
int64_t neurlang_net_accept(uint64_t fd);
int64_t neurlang_net_port(uint64_t fd);
int64_t neurlang_net_send(uint64_t fd, uint64_t buf, uint64_t len);
int64_t neurlang_net_recv(uint64_t fd, uint64_t buf, uint64_t len);
int64_t neurlang_net_close(uint64_t fd);

/* Console */
int64_t neurlang_io_print(uint64_t buf, uint64_t len);
int64_t neurlang_io_read_line(uint64_t buf, uint64_t len);

/* Tasks and channels */
int64_t neurlang_spawn(uint64_t entry, uint64_t arg);
int64_t neurlang_join(uint64_t task_id);
int64_t neurlang_chan_create(void);
int64_t neurlang_chan_send(uint64_t chan_id, uint64_t value);
int64_t neurlang_chan_recv(uint64_t chan_id);
int64_t neurlang_chan_try_recv(uint64_t chan_id);
int64_t neurlang_chan_close(uint64_t chan_id);
int64_t neurlang_chan_destroy(uint64_t chan_id);

/* Capabilities */
int64_t neurlang_cap_create(uint8_t *base, uint64_t len, uint64_t perms);
int64_t neurlang_cap_restrict(uint64_t token, uint64_t perms);
int64_t neurlang_cap_slice(uint64_t token, uint64_t offset, uint64_t len);
int64_t neurlang_cap_revoke(uint64_t token);
int64_t neurlang_cap_check(uint64_t token, uint64_t perms, uint64_t len);

/* Time and randomness */
int64_t neurlang_time_now(void);
int64_t neurlang_time_monotonic(void);
int64_t neurlang_time_sleep(uint64_t ns);
int64_t neurlang_rand_fill(uint64_t buf, uint64_t len);

/* Extension calls (the instruction ext.call rd, id, a, b), through the registry of the current
 * context: the built-ins plus what the embedder registered. 0 and the extension's full 64-bit
 * result in *result, or -code with *result and every output buffer untouched: -EFAULT (14) result
 * is NULL, args is NULL with nargs > 0, or a bad buffer token; -ENOSYS (38) no extension has this
 * id (any 64-bit value); -EINVAL (22) wrong argument count (args not read) or argument value;
 * -EBADF (9) freed, forged or wrong-type handle.
 * ext_call2 passes the first 0, 1 or 2 of (a, b), as many as the extension takes (more: -EINVAL);
 * ext_call passes args[0..nargs], nargs being the extension's count. */
int64_t neurlang_ext_call2(uint64_t id, uint64_t a, uint64_t b, uint64_t *result);
int64_t neurlang_ext_call(uint64_t id, const uint64_t *args, uint64_t nargs, uint64_t *result);

/* Embedder set-up (not for generated code) */
int64_t neurlang_sandbox_init(uint64_t flags, const uint8_t *paths, uint64_t paths_len,
                              const uint8_t *hosts, uint64_t hosts_len);

#ifdef __cplusplus
}
#endif

#endif /* NEURLANG_H */
