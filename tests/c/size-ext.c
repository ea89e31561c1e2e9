/* Size probe of the extension tier: with -DUSE_RUNTIME references neurlang_ext_call2 and
 * neurlang_ext_call, which reach the registry with the built-in crypto and stdlib extensions
 * (the Tier 1 functions of size.c are not referenced); without it, the same program without the
 * runtime. ci/size.sh prints the difference as a figure of its own. */
#include <stdint.h>
#include <stdio.h>
#ifdef USE_RUNTIME
#include "neurlang.h"
#endif

int main(int argc, char **argv) {
    (void)argv;
#ifdef USE_RUNTIME
    uint64_t r = 0, args[1] = {(uint64_t)argc};
    if (argc > 99) printf("%lld\n", (long long)neurlang_ext_call((uint64_t)argc, args, 1, &r));
    printf("%lld %llu\n", (long long)neurlang_ext_call2((uint64_t)argc, 0, 0, &r),
           (unsigned long long)r);
#else
    printf("%d\n", argc);
#endif
    return 0;
}
