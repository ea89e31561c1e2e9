/*
 * Stand-in for Windows' bcryptprimitives.dll, for running Rust test binaries under Wine.
 *
 * Rust's std (1.78+) fills its random keys with ProcessPrng from bcryptprimitives.dll. Debian's
 * Wine 8.0 ships no such DLL, so every Rust program dies at load with STATUS_DLL_NOT_FOUND
 * (c0000135). This DLL exports ProcessPrng on top of RtlGenRandom (advapi32's SystemFunction036),
 * which Wine implements. It is never used on real Windows.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
