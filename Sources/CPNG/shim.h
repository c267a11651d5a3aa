// libpng's C API (Debian libpng-dev, pkg-config libpng): the simplified
// png_image write interface, which reports errors without longjmp.
#include <png.h>
