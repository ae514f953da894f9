package dev.rollback.flags.internal;

import java.nio.charset.StandardCharsets;

/**
 * MurmurHash3 x86 32-bit, the hash flagd's {@code fractional} and Unleash's stickiness use (over
 * the UTF-8 bytes of the key). Written from the algorithm's public description; checked against
 * commons-codec's {@code MurmurHash3.hash32x86} in the tests.
 */
public final class Murmur3 {
  private static final int C1 = 0xcc9e2d51;
  private static final int C2 = 0x1b873593;

  private Murmur3() {}

  public static int hash32(String key, int seed) {
    return hash32(key.getBytes(StandardCharsets.UTF_8), seed);
  }

  public static int hash32(byte[] data, int seed) {
    int h = seed;
    int n = data.length;
    int blocks = n >>> 2;
    for (int i = 0; i < blocks; i++) {
      int o = i << 2;
      int k = (data[o] & 0xff) | (data[o + 1] & 0xff) << 8 | (data[o + 2] & 0xff) << 16 | (data[o + 3] & 0xff) << 24;
      k *= C1;
      k = Integer.rotateLeft(k, 15);
      k *= C2;
      h ^= k;
      h = Integer.rotateLeft(h, 13);
      h = h * 5 + 0xe6546b64;
    }
    int tail = blocks << 2;
    int k = 0;
    switch (n - tail) {
      case 3:
        k ^= (data[tail + 2] & 0xff) << 16;
        // fall through
      case 2:
        k ^= (data[tail + 1] & 0xff) << 8;
        // fall through
      case 1:
        k ^= data[tail] & 0xff;
        k *= C1;
        k = Integer.rotateLeft(k, 15);
        k *= C2;
        h ^= k;
        break;
      default:
        break;
    }
    h ^= n;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
