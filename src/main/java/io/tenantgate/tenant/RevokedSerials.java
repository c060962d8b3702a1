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
  static final RevokedSerials EMPTY = new Builder(0).build();
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
    int n = s.length();
    if (n == 0 || n > MAX_SERIAL_CHARS) {
      return false;
    }
    boolean digit = false;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
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

  /** Fills one set, single-threaded; {@link #build} hands the table over without a copy. */
  static final class Builder {
    private long[] table;
    private int mask;
    private int wordCount;
    private boolean zero;
    private Set<String> wide = new HashSet<>();

    Builder(int expected) {
      table = new long[2 * slotsFor(expected)];
      mask = table.length / 2 - 1;
    }

    /** Starts from everything {@code base} holds (its table copied once, as large as {@code more} needs). */
    Builder(RevokedSerials base, int more) {
      int slots = slotsFor(base.wordCount + more);
      if (slots == base.table.length / 2) {
        table = base.table.clone();
        mask = slots - 1;
        wordCount = base.wordCount;
      } else {
        table = new long[2 * slots];
        mask = slots - 1;
        rehashFrom(base.table);
      }
      zero = base.zero;
      wide.addAll(base.wide);
    }

    /** Adds one serial (any form {@link RegistrySnapshot#normalizeSerial} accepts); false if it was there. */
    boolean add(String serial) {
      int from = start(serial);
      int to = end(serial, from);
      long hi = 0;
      long lo = 0;
      int digits = 0;
      boolean seen = false;
      for (int i = from; i < to; i++) {
        char c = serial.charAt(i);
        int v = hexValue(c);
        if (v < 0 && c != ':' || digits == MAX_WORD_DIGITS && v >= 0) {
          return wide.add(RegistrySnapshot.normalizeSerial(serial)); // not hex, or wider than 128 bits
        }
        if (v > 0 || v == 0 && digits > 0) {
          hi = hi << 4 | lo >>> 60;
          lo = lo << 4 | v;
          digits++;
        }
        seen |= v >= 0;
      }
      if (!seen) {
        return wide.add(RegistrySnapshot.normalizeSerial(serial));
      }
      if (digits == 0) {
        boolean added = !zero;
        zero = true;
        return added;
      }
      if ((wordCount + 1L) * 8 > (long) (mask + 1) * 5) {
        grow();
      }
      return put(hi, lo);
    }

    RevokedSerials build() {
      RevokedSerials built = new RevokedSerials(table, wordCount, zero, Set.copyOf(wide));
      table = null; // handed over: the set is immutable from here
      return built;
    }

    private boolean put(long hi, long lo) {
      int i = indexOf(table, mask, hi, lo);
      if (i >= 0) {
        return false;
      }
      table[2 * (-1 - i)] = hi;
      table[2 * (-1 - i) + 1] = lo;
      wordCount++;
      return true;
    }

    private void grow() {
      long[] old = table;
      table = new long[old.length * 2];
      mask = table.length / 2 - 1;
      wordCount = 0;
      rehashFrom(old);
    }

    private void rehashFrom(long[] old) {
      for (int i = 0; i < old.length; i += 2) {
        if (old[i] != 0 || old[i + 1] != 0) {
          put(old[i], old[i + 1]);
        }
      }
    }
  }
}
