// libtiff's C API (Debian libtiff-dev, pkg-config libtiff-4).
#include <tiffio.h>
