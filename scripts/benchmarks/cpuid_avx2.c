// An AVX2-only view of this CPU for the benchmarks' `--cpu avx2` (never
// used by medaug itself, its tests or CI).
//
// Preloaded into a benchmark process (LD_PRELOAD), it makes every CPUID
// instruction of that process fault (Linux CPUID faulting, arch_prctl
// ARCH_SET_CPUID: Intel since Ivy Bridge and KVM guests, the `cpuid_fault`
// flag of /proc/cpuinfo) and answers it from a SIGSEGV handler with the
// real values minus AVX-512, AMX, AVX-VNNI and the other extensions an AMD
// Zen 2/3 EPYC lacks (the AVX2-only hosts medaug is measured against). So
// every engine's own feature detection (ONNX Runtime's MLAS, oneDNN in
// OpenVINO and TensorFlow, ncnn, OpenBLAS, medaug's CPU-features unit)
// picks the kernels it would pick on such a CPU, with nothing to configure
// per engine. The cores, caches and memory stay this host's: it is an
// emulation of the instruction set, not of an AVX2 host. glibc chose its
// string functions before this library loads (they may still use EVEX
// encodings of 256-bit instructions).
//
// The setting is per thread and inherited by threads and children, reset
// by execve (the preload then sets it again). A process that cannot set it
// stops at once with a message instead of silently running with AVX-512.
// SIGSEGV handlers the program installs (Python's faulthandler, Swift's
// backtracer) are kept behind this one: `sigaction` and `signal` for
// SIGSEGV are interposed, and every fault that is not a CPUID goes to them.
// Build: cc -O2 -shared -fPIC -o cpuid_avx2.so cpuid_avx2.c
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

// The program's SIGSEGV action, which every fault other than CPUID gets.
static struct sigaction previous;
static int installed;

typedef int (*sigaction_function)(int, const struct sigaction *, struct sigaction *);

static int real_sigaction(int sig, const struct sigaction *action, struct sigaction *old) {
    static sigaction_function real;
    if (!real) real = (sigaction_function)dlsym(RTLD_NEXT, "sigaction");
    return real(sig, action, old);
}

// Interposed: a SIGSEGV action the program sets becomes `previous`.
int sigaction(int sig, const struct sigaction *action, struct sigaction *old) {
    if (sig != SIGSEGV || !installed) return real_sigaction(sig, action, old);
    if (old) *old = previous;
    if (action) previous = *action;
    return 0;
}

sighandler_t signal(int sig, sighandler_t handler) {
    struct sigaction action, old;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    return sigaction(sig, &action, &old) == 0 ? old.sa_handler : SIG_ERR;
}

static long set_cpuid(int enabled) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled); }

#define BIT(n) (1u << (n))

// Leaf 7 subleaf 0. EBX: AVX512 F, DQ, IFMA, PF, ER, CD, BW, VL.
static const uint32_t leaf7_ebx = BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31);
// ECX: AVX512 VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ.
static const uint32_t leaf7_ecx = BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14);
// EDX: AVX512 4VNNIW, 4FMAPS, VP2INTERSECT, AMX-BF16, AVX512-FP16, AMX-TILE, AMX-INT8.
static const uint32_t leaf7_edx = BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24) | BIT(25);
// Leaf 7 subleaf 1. EAX: AVX-VNNI, AVX512-BF16, AMX-FP16, AVX-IFMA.
static const uint32_t leaf7s1_eax = BIT(4) | BIT(5) | BIT(21) | BIT(23);
// EDX: AVX-VNNI-INT8, AVX-NE-CONVERT, AMX-COMPLEX, AVX10.
static const uint32_t leaf7s1_edx = BIT(4) | BIT(5) | BIT(8) | BIT(19);

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ __volatile__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub) : "memory");
}

// The answer this view gives for one leaf: the CPU's, masked.
static void masked_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    set_cpuid(1);
    cpuid(leaf, sub, r);
    set_cpuid(0);
    if (leaf == 7 && sub == 0) {
        r[1] &= ~leaf7_ebx;
        r[2] &= ~leaf7_ecx;
        r[3] &= ~leaf7_edx;
    } else if (leaf == 7 && sub == 1) {
        r[0] &= ~leaf7s1_eax;
        r[3] &= ~leaf7s1_edx;
    } else if (leaf == 0x24) { // AVX10's own leaf: nothing to report without AVX10
        r[0] = r[1] = r[2] = r[3] = 0;
    }
}

static void on_segv(int sig, siginfo_t *info, void *raw) {
    ucontext_t *context = raw;
    greg_t *reg = context->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)reg[REG_RIP];
    if (info->si_code != SI_KERNEL || ip[0] != 0x0f || ip[1] != 0xa2) {
        // Not a faulting CPUID: hand the fault to whoever had it before.
        if (previous.sa_flags & SA_SIGINFO) {
            previous.sa_sigaction(sig, info, raw);
        } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
            previous.sa_handler(sig);
        } else {
            struct sigaction fatal;
            memset(&fatal, 0, sizeof fatal);
            fatal.sa_handler = SIG_DFL;
            real_sigaction(SIGSEGV, &fatal, 0); // the instruction faults again, now fatally
        }
        return;
    }
    uint32_t r[4];
    masked_cpuid((uint32_t)reg[REG_RAX], (uint32_t)reg[REG_RCX], r);
    reg[REG_RAX] = r[0];
    reg[REG_RBX] = r[1];
    reg[REG_RCX] = r[2];
    reg[REG_RDX] = r[3];
    reg[REG_RIP] += 2;
}

static void fail(const char *what) {
    static const char head[] = "cpuid_avx2: cannot hide AVX-512 from this process: ";
    (void)!write(2, head, sizeof head - 1);
    (void)!write(2, what, strlen(what));
    (void)!write(2, "\n", 1);
    _exit(86);
}

__attribute__((constructor)) static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_segv;
    // On the thread's alternate stack when it has one (a stack overflow
    // then still reaches the program's own handler).
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (real_sigaction(SIGSEGV, &action, &previous) != 0) fail("sigaction(SIGSEGV) failed");
    installed = 1;
    if (set_cpuid(0) != 0) fail("no CPUID faulting (arch_prctl ARCH_SET_CPUID failed)");
    uint32_t r[4];
    cpuid(7, 0, r); // now answered by on_segv
    if (r[1] & BIT(16)) fail("CPUID still reports AVX512F");
}
