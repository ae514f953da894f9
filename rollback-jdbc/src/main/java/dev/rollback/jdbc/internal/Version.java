package dev.rollback.jdbc.internal;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/** Flyway-style versions: dot- or underscore-separated numbers, compared part by part ("1.10" > "1.9"). */
public final class Version {
  private Version() {}

  /** The normal form: underscores become dots. Throws for anything but digits, dots and underscores. */
  public static String normalize(String v) {
    String n = v.replace('_', '.');
    if (!n.matches("[0-9]+(\\.[0-9]+)*")) {
      throw new IllegalArgumentException("version must be numbers separated by '.' or '_' (e.g. 2, 2.1, 2_1): '" + v + "'");
    }
    return n;
  }

  public static int compare(String a, String b) {
    List<BigInteger> x = parts(a);
    List<BigInteger> y = parts(b);
    for (int i = 0; i < Math.max(x.size(), y.size()); i++) {
      BigInteger p = i < x.size() ? x.get(i) : BigInteger.ZERO;
      BigInteger q = i < y.size() ? y.get(i) : BigInteger.ZERO;
      int c = p.compareTo(q);
      if (c != 0) return c;
    }
    return 0;
  }

  private static List<BigInteger> parts(String v) {
    List<BigInteger> out = new ArrayList<>();
    for (String p : normalize(v).split("\\.")) out.add(new BigInteger(p));
    return out;
  }
}
