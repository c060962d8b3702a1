package io.tenantgate.tenant;

import java.util.HashSet;
import java.util.Set;

/**
 * The revoked serials of one snapshot, compared as numbers: a serial is the hex of a non-negative
 * integer, so {@code 00:AB} and {@code ab} are one entry ({@link RegistrySnapshot#normalizeSerial}).
 * Serials up to 128 bits (32 significant hex digits: what this gateway issues) live in an
 * open-addressing table of two {@code long}s per slot — about 32 bytes per serial at a million, where a
 * {@code HashSet<String>} took ~120. Anything else (33–64 digits, or text that is not hex) is kept
 * as its normalized string in a side set. Immutable once built; a lookup of a serial up to 128 bits
 * allocates nothing.
 */
final class RevokedSerials {
  static final RevokedSerials EMPTY = new Builder(null, 0).build();
  private static final int MAX_WORD_DIGITS = 32;
  private static final int MAX_SERIAL_CHARS = 64;
  /** The value of an ASCII hex digit by character, -1 for everything else. */
  private static final byte[] HEX = new byte['f' + 1];

  static {
    java.util.Arrays.fill(HEX, (byte) -1);
    for (int i = 0; i < 16; i++) {
      HEX["0123456789abcdef".charAt(i)] = (byte) i;
      HEX["0123456789ABCDEF".charAt(i)] = (byte) i;
    }
  }

  /** hi, lo of slot i at [2i], [2i + 1]; (0, 0) marks an empty slot, so the serial 0 is a flag. */
  private final long[] table;
  private final int mask;
  private final int wordCount;
  private final boolean zero;
  private final Set<String> wide;

  private RevokedSerials(long[] table, int wordCount, boolean zero, Set<String> wide) {
    this.table = table;
    this.mask = table.length / 2 - 1;
    this.wordCount = wordCount;
    this.zero = zero;
    this.wide = wide;
  }

  /**
   * What the registry file and the admin tools accept as a serial: 1 to 64 characters, hex digits
   * and colons, at least one digit (the rule the registry has always had, without a regex).
   */
  static boolean isSerial(String s) {
    return isSerial(s.toCharArray(), 0, s.length());
  }

  /** {@link #isSerial(String)} of {@code chars[offset, offset + length)}. */
  static boolean isSerial(char[] chars, int offset, int length) {
    if (length == 0 || length > MAX_SERIAL_CHARS) {
      return false;
    }
    boolean digit = false;
    for (int i = offset; i < offset + length; i++) {
      char c = chars[i];
      if (hexValue(c) >= 0) {
        digit = true;
      } else if (c != ':') {
        return false;
      }
    }
    return digit;
  }

  boolean contains(String serial) {
    int from = start(serial);
    int to = end(serial, from);
    // the parse of Builder.add, inlined: two words come out of it and a lookup allocates nothing
    long hi = 0;
    long lo = 0;
    int digits = 0;
    boolean seen = false;
    for (int i = from; i < to; i++) {
      char c = serial.charAt(i);
      int v = hexValue(c);
      if (v < 0 && c != ':' || digits == MAX_WORD_DIGITS && v >= 0) {
        return wide.contains(RegistrySnapshot.normalizeSerial(serial));
      }
      if (v > 0 || v == 0 && digits > 0) {
        hi = hi << 4 | lo >>> 60;
        lo = lo << 4 | v;
        digits++;
      }
      seen |= v >= 0;
    }
    if (!seen) {
      return wide.contains(RegistrySnapshot.normalizeSerial(serial));
    }
    return digits == 0 ? zero : indexOf(table, mask, hi, lo) >= 0;
  }

  /** The slot holding (hi, lo), or -1 - the empty slot where it would go. */
  private static int indexOf(long[] table, int mask, long hi, long lo) {
    for (int i = hash(hi, lo) & mask; ; i = (i + 1) & mask) {
      long h = table[2 * i];
      long l = table[2 * i + 1];
      if (h == hi && l == lo) {
        return i;
      }
      if (h == 0 && l == 0) {
        return -1 - i;
      }
    }
  }

  int size() {
    return wordCount + (zero ? 1 : 0) + wide.size();
  }

  private static int start(String s) {
    int i = 0;
    while (i < s.length() && s.charAt(i) <= ' ') {
      i++;
    }
    return i;
  }

  private static int end(String s, int from) {
    int i = s.length();
    while (i > from && s.charAt(i - 1) <= ' ') {
      i--;
    }
    return i;
  }

  private static int hexValue(char c) {
    return c < HEX.length ? HEX[c] : -1;
  }

  private static int hash(long hi, long lo) {
    long h = lo ^ hi * 0xC2B2AE3D27D4EB4FL;
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    h ^= h >>> 33;
    return (int) h;
  }

  /** Slots for {@code n} serials: a power of two, at most 5/8 full (linear probing stays short). */
  private static int slotsFor(int n) {
    int want = Math.max(8, (int) Math.min(1 << 30, (long) n * 8 / 5 + 1));
    return Integer.highestOneBit(want - 1) << 1;
  }

  /**
   * Fills one set, single-threaded. Serials are collected as (hi, lo) pairs in the order given and
   * hashed into a table of the final size once, in {@link #build}: a million serials cost a million
   * probes of the table, where growing it by doubling as they came cost about twice that, each a cache
   * miss waiting on the parse. {@link #build} hands the table over without a copy.
   */
  static final class Builder {
    private final RevokedSerials base;
    private long[] words;
    private int wordPairs;
    private boolean zero;
    private final Set<String> wide = new HashSet<>();
    private char[] scratch = new char[MAX_SERIAL_CHARS];

    Builder(int expected) {
      this(EMPTY, expected);
    }

    /** Starts from everything {@code base} holds; {@code more} is how many are expected on top. */
    Builder(RevokedSerials base, int more) {
      this.base = base;
      this.words = new long[2 * Math.max(16, more)];
      if (base != null) { // null only while EMPTY itself is built
        zero = base.zero;
        wide.addAll(base.wide);
      }
    }

    /** Adds one serial (any form {@link RegistrySnapshot#normalizeSerial} accepts). */
    void add(String serial) {
      if (scratch.length < serial.length()) {
        scratch = new char[serial.length()];
      }
      serial.getChars(0, serial.length(), scratch, 0); // a Postgres read adds a million: no array each
      add(scratch, 0, serial.length());
    }

    /**
     * {@link #add(String)} of {@code chars[offset, offset + length)}: a registry load hands over the
     * parser's buffer, so a million serials are read without a million strings.
     */
    void add(char[] chars, int offset, int length) {
      int from = offset;
      int to = offset + length;
      while (from < to && chars[from] <= ' ') {
        from++;
      }
      while (to > from && chars[to - 1] <= ' ') {
        to--;
      }
      long hi = 0;
      long lo = 0;
      int digits = 0;
      boolean seen = false;
      for (int i = from; i < to; i++) {
        char c = chars[i];
        int v = hexValue(c);
        if (v < 0 && c != ':' || digits == MAX_WORD_DIGITS && v >= 0) {
          addWide(chars, offset, length); // not hex, or wider than 128 bits
          return;
        }
        if (v > 0 || v == 0 && digits > 0) {
          hi = hi << 4 | lo >>> 60;
          lo = lo << 4 | v;
          digits++;
        }
        seen |= v >= 0;
      }
      if (!seen) {
        addWide(chars, offset, length);
      } else if (digits == 0) {
        zero = true;
      } else {
        if (2 * wordPairs == words.length) {
          words = java.util.Arrays.copyOf(words, words.length * 2);
        }
        words[2 * wordPairs] = hi;
        words[2 * wordPairs + 1] = lo;
        wordPairs++;
      }
    }

    private void addWide(char[] chars, int offset, int length) {
      wide.add(RegistrySnapshot.normalizeSerial(new String(chars, offset, length)));
    }

    /** The set: the base's table copied (or rehashed, when it must grow) and every serial added put in. */
    RevokedSerials build() {
      int baseCount = base == null ? 0 : base.wordCount;
      int slots = slotsFor(baseCount + wordPairs);
      long[] table;
      int count;
      if (base != null && slots == base.table.length / 2) {
        table = base.table.clone();
        count = baseCount;
      } else {
        table = new long[2 * slots];
        count = base == null ? 0 : putAll(table, base.table, base.table.length / 2);
      }
      count += putAll(table, words, wordPairs);
      words = null; // built once
      return new RevokedSerials(table, count, zero, Set.copyOf(wide));
    }

    /** Puts the first {@code pairs} non-empty (hi, lo) pairs of {@code from}; how many were new. */
    private static int putAll(long[] table, long[] from, int pairs) {
      int mask = table.length / 2 - 1;
      int added = 0;
      for (int p = 0; p < pairs; p++) {
        long hi = from[2 * p];
        long lo = from[2 * p + 1];
        if (hi == 0 && lo == 0) {
          continue; // an empty slot of a base table
        }
        int i = indexOf(table, mask, hi, lo);
        if (i < 0) {
          table[2 * (-1 - i)] = hi;
          table[2 * (-1 - i) + 1] = lo;
          added++;
        }
      }
      return added;
    }
  }
}
