// Widening compact elements — IEEE binary16, bfloat16, uint8, int8 — to float32 and float64,
// for rows kept in their own width and widened as the kernels read them. Every value of these
// types is exactly a float, so widening is exact; every ISA gives the same bits (a NaN comes
// out quiet, its payload kept, as F16C's vcvtph2ps makes it).

#include "kmeans_simd.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define KMEANS_X86 1
#endif

#define WIDEN_FLOAT16 KMEANS_ELEMENT_FLOAT16
#define WIDEN_BFLOAT16 KMEANS_ELEMENT_BFLOAT16
#define WIDEN_UINT8 KMEANS_ELEMENT_UINT8
#define WIDEN_INT8 KMEANS_ELEMENT_INT8

int kmeans_simd_has_f16c(void) {
#if KMEANS_X86 && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx2");
#else
  return 0;
#endif
}

static inline float widen_bits(uint32_t bits) {
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

// The float of a binary16 pattern: subnormals exact; infinities; NaN quiet, payload kept.
static inline float widen_half(uint16_t half) {
  uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
  uint32_t exponent = (half >> 10) & 0x1Fu, fraction = half & 0x3FFu;
  if (exponent == 0x1F)
    return widen_bits(sign | 0x7F800000u | fraction << 13 | (fraction ? 0x400000u : 0));
  if (exponent == 0) {
    float magnitude = (float)fraction * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return widen_bits(sign | (exponent + 112) << 23 | fraction << 13);
}

// The float of a bfloat16 pattern (its upper half); NaN quiet, payload kept.
static inline float widen_bfloat16(uint16_t half) {
  uint32_t bits = (uint32_t)half << 16;
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) bits |= 0x400000u;
  return widen_bits(bits);
}

static void widen_portable(int element, const void *source, long count, float *target) {
  const uint16_t *halves = (const uint16_t *)source;
  const uint8_t *bytes = (const uint8_t *)source;
  switch (element) {
  case WIDEN_FLOAT16:
    for (long i = 0; i < count; i++) target[i] = widen_half(halves[i]);
    break;
  case WIDEN_BFLOAT16:
    for (long i = 0; i < count; i++) target[i] = widen_bfloat16(halves[i]);
    break;
  case WIDEN_UINT8:
    for (long i = 0; i < count; i++) target[i] = (float)bytes[i];
    break;
  default:
    for (long i = 0; i < count; i++) target[i] = (float)(int8_t)bytes[i];
    break;
  }
}

#if KMEANS_X86 && defined(__GNUC__)
// bfloat16 lanes to float lanes, quieting NaN as the portable loop does.
#define WIDEN_QUIET_512(bits)                                                                 \
  _mm512_mask_or_epi32(bits,                                                                  \
                       _mm512_cmpgt_epi32_mask(_mm512_and_si512(bits, abs_mask), infinity),   \
                       bits, quiet)

__attribute__((target("avx512f"))) static void widen_avx512(int element, const void *source,
                                                            long count, float *target) {
  const uint16_t *halves = (const uint16_t *)source;
  const uint8_t *bytes = (const uint8_t *)source;
  const __m512i abs_mask = _mm512_set1_epi32(0x7FFFFFFF), infinity = _mm512_set1_epi32(0x7F800000);
  const __m512i quiet = _mm512_set1_epi32(0x400000);
  long i = 0;
  switch (element) {
  case WIDEN_FLOAT16:
    for (; i + 16 <= count; i += 16)
      _mm512_storeu_ps(target + i,
                       _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(halves + i))));
    break;
  case WIDEN_BFLOAT16:
    for (; i + 16 <= count; i += 16) {
      __m512i bits = _mm512_slli_epi32(
          _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(halves + i))), 16);
      _mm512_storeu_si512((void *)(target + i), WIDEN_QUIET_512(bits));
    }
    break;
  case WIDEN_UINT8:
    for (; i + 16 <= count; i += 16)
      _mm512_storeu_ps(target + i, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
                                       _mm_loadu_si128((const __m128i *)(bytes + i)))));
    break;
  default:
    for (; i + 16 <= count; i += 16)
      _mm512_storeu_ps(target + i, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(
                                       _mm_loadu_si128((const __m128i *)(bytes + i)))));
    break;
  }
  size_t width = element == WIDEN_FLOAT16 || element == WIDEN_BFLOAT16 ? 2 : 1;
  widen_portable(element, (const uint8_t *)source + i * width, count - i, target + i);
}

__attribute__((target("avx2,f16c"))) static void widen_avx2(int element, const void *source,
                                                            long count, float *target) {
  const uint16_t *halves = (const uint16_t *)source;
  const uint8_t *bytes = (const uint8_t *)source;
  const __m256i abs_mask = _mm256_set1_epi32(0x7FFFFFFF), infinity = _mm256_set1_epi32(0x7F800000);
  const __m256i quiet = _mm256_set1_epi32(0x400000);
  long i = 0;
  switch (element) {
  case WIDEN_FLOAT16:
    for (; i + 8 <= count; i += 8)
      _mm256_storeu_ps(target + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(halves + i))));
    break;
  case WIDEN_BFLOAT16:
    for (; i + 8 <= count; i += 8) {
      __m256i bits = _mm256_slli_epi32(
          _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(halves + i))), 16);
      __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(bits, abs_mask), infinity);
      bits = _mm256_or_si256(bits, _mm256_and_si256(nan, quiet));
      _mm256_storeu_si256((__m256i *)(target + i), bits);
    }
    break;
  case WIDEN_UINT8:
    for (; i + 8 <= count; i += 8)
      _mm256_storeu_ps(target + i, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
                                       _mm_loadl_epi64((const __m128i *)(bytes + i)))));
    break;
  default:
    for (; i + 8 <= count; i += 8)
      _mm256_storeu_ps(target + i, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
                                       _mm_loadl_epi64((const __m128i *)(bytes + i)))));
    break;
  }
  size_t width = element == WIDEN_FLOAT16 || element == WIDEN_BFLOAT16 ? 2 : 1;
  widen_portable(element, (const uint8_t *)source + i * width, count - i, target + i);
}
#endif

void kmeans_widen_f32(int level, int element, const void *source, long count, float *target) {
#if KMEANS_X86 && defined(__GNUC__)
  if (level >= 2) {
    widen_avx512(element, source, count, target);
    return;
  }
  if (level == 1 && kmeans_simd_has_f16c()) {
    widen_avx2(element, source, count, target);
    return;
  }
#endif
  (void)level;
  widen_portable(element, source, count, target);
}

void kmeans_widen_f64(int level, int element, const void *source, long count, double *target) {
  float block[256];
  size_t width = element == WIDEN_FLOAT16 || element == WIDEN_BFLOAT16 ? 2 : 1;
  for (long start = 0; start < count; start += 256) {
    long length = count - start < 256 ? count - start : 256;
    kmeans_widen_f32(level, element, (const uint8_t *)source + start * width, length, block);
    for (long i = 0; i < length; i++) target[start + i] = (double)block[i];
  }
}
