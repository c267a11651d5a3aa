// OpenBLAS's CBLAS interface plus its threading controls.
#include <cblas.h>
