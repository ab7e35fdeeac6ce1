// glibc's allocator settings (mallopt), for the command-line tools; nothing elsewhere.
#if defined(__linux__) && defined(__has_include)
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif
#endif
