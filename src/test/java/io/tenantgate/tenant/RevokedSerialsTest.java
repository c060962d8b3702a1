package io.tenantgate.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RevokedSerialsTest {

  private static RevokedSerials of(String... serials) {
    RevokedSerials.Builder b = new RevokedSerials.Builder(0);
    for (String s : serials) {
      b.add(s);
    }
    return b.build();
  }

  @Test
  void aSerialIsFoundInEveryFormItCanBeWritten() {
    RevokedSerials set = of("00:AB:CD");
    for (String form : List.of("abcd", "ABCD", "00abcd", "ab:cd", " abcd ")) {
      assertTrue(set.contains(form), form);
    }
    assertFalse(set.contains("abce"));
    assertFalse(set.contains("abcd0"));
    assertFalse(set.contains("bcd"));
  }

  @Test
  void zeroIsASerialLikeAnyOther() {
    assertFalse(of("1").contains("0"));
    RevokedSerials set = of("00:00");
    assertTrue(set.contains("0"));
    assertFalse(set.contains("1"));
    assertEquals(1, set.size());
  }

  @Test
  void serialsAt128BitsAndWiderAreKeptApart() {
    String max128 = "f".repeat(32);
    String wider = "1" + "0".repeat(32); // 2^128: 33 digits
    String widest = "a".repeat(64);
    RevokedSerials set = of(max128, wider, widest, "1");
    assertTrue(set.contains(max128));
    assertTrue(set.contains(wider));
    assertTrue(set.contains("00" + wider.toUpperCase()));
    assertTrue(set.contains(widest));
    assertFalse(set.contains("0".repeat(33))); // zero, not 2^128
    assertFalse(set.contains("f".repeat(31)));
    assertFalse(set.contains("2" + "0".repeat(32)));
    assertFalse(set.contains("a".repeat(63)));
    assertEquals(4, set.size());
  }

  @Test
  void textThatIsNotHexIsComparedAsItsNormalizedString() {
    RevokedSerials set = of("-1F", "");
    assertTrue(set.contains("-1f"));
    assertTrue(set.contains(""));
    assertFalse(set.contains("1f"));
    assertFalse(of("1f").contains("-1f"));
    assertFalse(of("1f").contains("xyz"));
  }

  @Test
  void everySerialOfAGrowingSetIsFoundAndNoOther() {
    Random random = new Random(42);
    RevokedSerials.Builder b = new RevokedSerials.Builder(0);
    List<BigInteger> added = new java.util.ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      BigInteger serial = i % 2 == 0 ? BigInteger.valueOf(i) : new BigInteger(i % 3 == 0 ? 127 : 60, random);
      added.add(serial);
      b.add(serial.toString(16));
    }
    b.add(added.get(7).toString(16)); // already there: counted once
    b.add("00:" + added.get(9).toString(16).toUpperCase(java.util.Locale.ROOT)); // the same number, written otherwise
    RevokedSerials set = b.build();
    for (BigInteger s : added) {
      assertTrue(set.contains(s.toString(16)), s.toString(16));
    }
    java.util.Set<BigInteger> distinct = new java.util.HashSet<>(added);
    assertEquals(distinct.size(), set.size());
    for (int i = 0; i < 20_000; i++) {
      BigInteger other = new BigInteger(126, random).setBit(126);
      assertEquals(distinct.contains(other), set.contains(other.toString(16)));
    }
  }

  @Test
  void extendingACopyLeavesTheOriginalAsItWas() {
    RevokedSerials base = of("1f", "2e", "a".repeat(40));
    RevokedSerials.Builder more = new RevokedSerials.Builder(base, 100);
    for (int i = 0; i < 100; i++) {
      more.add(Integer.toHexString(0x1000 + i));
    }
    more.add("0");
    RevokedSerials extended = more.build();
    assertEquals(104, extended.size());
    assertTrue(extended.contains("1f") && extended.contains("a".repeat(40)) && extended.contains("1063"));
    assertTrue(extended.contains("0"));
    assertEquals(3, base.size());
    assertFalse(base.contains("1063"));
    assertFalse(base.contains("0"));
    RevokedSerials same = new RevokedSerials.Builder(base, 0).build();
    assertTrue(same.contains("2e") && same.size() == 3);
  }

  @Test
  void aSerialAddedAgainOnTopOfABaseIsCountedOnce() {
    RevokedSerials base = of("1f", "2e");
    RevokedSerials.Builder more = new RevokedSerials.Builder(base, 1);
    more.add("00:1F");
    more.add("3d");
    RevokedSerials extended = more.build();
    assertEquals(3, extended.size());
    assertTrue(extended.contains("1f") && extended.contains("2e") && extended.contains("3d"));
  }

  @Test
  void aSerialIsReadFromTheMiddleOfABufferWithoutWhatSurroundsIt() {
    char[] buffer = "xx 00:Ab yy".toCharArray();
    RevokedSerials.Builder b = new RevokedSerials.Builder(0);
    b.add(buffer, 2, 7); // " 00:Ab " : blanks at the edges are ignored, as in add(String)
    assertTrue(RevokedSerials.isSerial(buffer, 3, 5));
    assertFalse(RevokedSerials.isSerial(buffer, 0, 5));
    RevokedSerials set = b.build();
    assertEquals(1, set.size());
    assertTrue(set.contains("ab"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"1f3a", "1F:3A", "0", "::a", "00"})
  void serialsTheRegistryAccepts(String serial) {
    assertTrue(RevokedSerials.isSerial(serial));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ":", "::", "xyz", "12 34", "0x1f", "1f-3a", " 1f", "\uff11f"})
  void serialsTheRegistryRefuses(String serial) {
    assertFalse(RevokedSerials.isSerial(serial));
  }

  @Test
  void aSerialIsAtMost64Characters() {
    assertTrue(RevokedSerials.isSerial("a".repeat(64)));
    assertTrue(RevokedSerials.isSerial("a:".repeat(32)));
    assertFalse(RevokedSerials.isSerial("a".repeat(65)));
  }
}
