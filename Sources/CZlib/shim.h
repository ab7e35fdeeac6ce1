// zlib, for the deflate-compressed members of SciPy .npz archives.
#include <zlib.h>
