// OpenBLAS's CBLAS interface plus its threading controls.
#include <cblas.h>

// Exported by DYNAMIC_ARCH builds of OpenBLAS (Debian's): re-run the kernel
// selection, which reads OPENBLAS_CORETYPE. medaug uses them to work around
// OpenBLAS < 0.3.25 falling back to the generic Prescott kernels on CPUs it
// does not recognise (OpenBLAS issue #4267), which costs 3-5x in sgemm.
// x86-64 only: the workaround is for x86 cores (CoreSelection.swift).
#if defined(__x86_64__)
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);
#endif
