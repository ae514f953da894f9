package dev.rollback.internal.detect;

/**
 * The Mann–Whitney U test (Wilcoxon rank-sum) on samples grouped into ordered categories
 * (latency buckets, or 0/1 for success/failure), with mid-ranks for ties, the tie-corrected
 * normal approximation and a continuity correction. One-sided: is the canary larger?
 */
public final class MannWhitney {
  /**
   * @param u the canary's U statistic
   * @param z the standardized statistic
   * @param pValue P(U ≥ u) under "no difference"
   * @param effect P(canary > baseline) + ½ P(tie), the common-language effect size
   */
  public record Result(long baseline, long canary, double u, double z, double pValue, double effect) {
    public double confidence() {
      return 1 - pValue;
    }
  }

  private MannWhitney() {}

  public static Result test(long[] baseline, long[] canary) {
    if (baseline.length != canary.length) throw new IllegalArgumentException("category counts differ");
    double nb = 0;
    double nc = 0;
    for (int i = 0; i < baseline.length; i++) {
      nb += baseline[i];
      nc += canary[i];
    }
    if (nb == 0 || nc == 0) return new Result((long) nb, (long) nc, 0, 0, 1, 0.5);
    double n = nb + nc;
    double cum = 0;
    double rankSumCanary = 0;
    double ties = 0;
    for (int i = 0; i < baseline.length; i++) {
      double t = baseline[i] + canary[i];
      if (t == 0) continue;
      double midRank = cum + (t + 1) / 2;
      rankSumCanary += canary[i] * midRank;
      ties += t * t * t - t;
      cum += t;
    }
    double u = rankSumCanary - nc * (nc + 1) / 2;
    double mean = nb * nc / 2;
    double var = nb * nc / 12 * ((n + 1) - ties / (n * (n - 1)));
    double effect = u / (nb * nc);
    if (var <= 0) return new Result((long) nb, (long) nc, u, 0, 0.5, effect);
    double z = (u - mean - 0.5) / Math.sqrt(var);
    return new Result((long) nb, (long) nc, u, z, upperTail(z), effect);
  }

  /** P(Z ≥ z) for a standard normal Z. */
  public static double upperTail(double z) {
    return 0.5 * erfc(z / Math.sqrt(2));
  }

  /** Complementary error function, fractional error below 1.2e-7 (Numerical Recipes' erfcc). */
  static double erfc(double x) {
    double z = Math.abs(x);
    double t = 1 / (1 + 0.5 * z);
    double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? r : 2 - r;
  }
}
