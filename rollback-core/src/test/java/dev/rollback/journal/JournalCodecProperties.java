package dev.rollback.journal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * The journal writes its lines by hand: whatever a record holds, the line is valid JSON that a
 * general parser reads back to the same values, its time reads back to the same instant written as
 * {@link Instant#toString()} writes it, and its checksum verifies.
 */
class JournalCodecProperties {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Provide
  Arbitrary<String> text() {
    return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40),
        Arbitraries.strings().withCharRange('\u0000', '\u001f').ofMaxLength(5),
        Arbitraries.strings().withChars('"', '\\', '/', '\u2028', 'é', '€').ofMaxLength(8),
        Arbitraries.of("😀 emoji", "ünïcödé", "tab\there", "new\nline"))
        .filter(s -> !hasLoneSurrogate(s));
  }

  @Property(tries = 500)
  void aLineIsJsonThatReadsBackToTheSameRecord(@ForAll("text") String run, @ForAll("text") String step,
      @ForAll("text") String key, @ForAll("text") String value, @ForAll long number, @ForAll double real,
      @ForAll boolean flag, @ForAll @LongRange(min = -62_135_596_800L, max = 253_402_300_799L) long epochSecond,
      @ForAll @LongRange(min = 0, max = 999_999_999) long nanos) throws Exception {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put(key, value);
    data.put("n", number);
    data.put("x", real);
    data.put("flag", flag);
    data.put("nested", Map.of("k", value));
    data.put("list", List.of(value, "b"));
    Instant at = Instant.ofEpochSecond(epochSecond, nanos);
    JournalRecord r = new JournalRecord(1, 7, run.isEmpty() ? "r" : run, "NOTE", at, 3, step, data);

    byte[] line = JournalCodec.encode(r);
    var tree = JSON.readTree(new String(line, StandardCharsets.UTF_8));
    JournalRecord back = JournalCodec.decode(line, 0, line.length - 1);

    assertThat(tree.get("at").asText()).isEqualTo(at.toString());
    assertThat(back).isEqualTo(new JournalRecord(1, 7, r.runId(), "NOTE", at, 3, step, back.data()));
    assertThat(back.data().get(key.equals("n") || key.equals("x") || key.equals("flag") || key.equals("nested")
        || key.equals("list") ? "nothing" : key)).isIn(value, null);
    assertThat(tree.get("data").get("n").asLong()).isEqualTo(number);
    if (!Double.isNaN(real) && !Double.isInfinite(real)) {
      assertThat(tree.get("data").get("x").asDouble()).isEqualTo(real);
    }
    assertThat(tree.get("data").get("flag").asBoolean()).isEqualTo(flag);
    assertThat(tree.get("data").get("list").get(0).asText()).isEqualTo(value);
    assertThat(tree.get("data").get("nested").get("k").asText()).isEqualTo(value);
  }

  /**
   * A run's records encoded one after another into one buffer (as the in-memory journal does, which
   * keeps the encoding of the strings they repeat) are exactly the lines encoded one by one: the
   * same run id, record type or step path again, as the same instance or as equal text in another
   * instance, and times in the same second or not.
   */
  @Property(tries = 300)
  void recordsEncodedIntoOneBufferAreTheLinesEncodedOneByOne(
      @ForAll("records") List<JournalRecord> records) throws Exception {
    JournalCodec.Line buffer = JournalCodec.Line.forRecords(16);
    java.io.ByteArrayOutputStream oneByOne = new java.io.ByteArrayOutputStream();
    for (JournalRecord r : records) {
      JournalCodec.encodeInto(r, buffer);
      oneByOne.write(JournalCodec.encode(r));
    }

    assertThat(java.util.Arrays.copyOf(buffer.buf, buffer.len)).isEqualTo(oneByOne.toByteArray());
    assertThat(JournalCodec.scan(buffer.buf, buffer.len, "buffer").records())
        .extracting(JournalRecord::runId, JournalRecord::type, JournalRecord::at, JournalRecord::step)
        .isEqualTo(records.stream().map(r -> org.assertj.core.groups.Tuple.tuple(r.runId(), r.type(), r.at(), r.step()))
            .toList());
  }

  @Provide
  Arbitrary<List<JournalRecord>> records() {
    Arbitrary<String> runs = Arbitraries.of("run-1", "r\"2", "ünï");
    Arbitrary<String> types = Arbitraries.of("STEP_STARTED", "STEP_SUCCEEDED", "NOTE", "STEP_FAILED", "GATE_OPENED",
        "PLAN_STARTED", "NEWER_TYPE");
    Arbitrary<String> steps = Arbitraries.oneOf(Arbitraries.of("all/s1", "all/s2", "a\tb/\u0001"), text());
    Arbitrary<Instant> at = Arbitraries.longs().between(0, 3_000_000_000L)
        .map(n -> Instant.ofEpochSecond(1_796_600_000L + n / 1_000_000_000L, n % 1_000_000_000L));
    Arbitrary<JournalRecord> record = net.jqwik.api.Combinators.combine(runs, types, steps.injectNull(0.2), at,
        Arbitraries.of(true, false)).as((run, type, step, when, copy) -> new JournalRecord(1, 1, copy ? new String(run) : run,
            copy ? new String(type) : type, when, 0, step == null ? null : copy ? new String(step) : step,
            Map.of("attempt", 1)));
    return record.list().ofMaxSize(30);
  }

  @Property(tries = 200)
  void aLongListReadsBackAsWrittenWhenListsAlternate(@ForAll("outline") List<String> first,
      @ForAll("outline") List<String> second, @ForAll("outline") List<String> third) throws Exception {
    // a plan's outline, the same list in every run of the plan, is encoded once and then copied
    for (List<String> outline : List.of(first, second, first, third, second, second)) {
      JournalRecord r = new JournalRecord(1, 1, "r", "PLAN_STARTED", Instant.EPOCH, 0, null, Map.of("outline", outline));

      byte[] line = JournalCodec.encode(r);

      assertThat(JournalCodec.decode(line, 0, line.length - 1).data().get("outline")).isEqualTo(outline);
      assertThat(JSON.readTree(new String(line, StandardCharsets.UTF_8)).get("data").get("outline").size())
          .isEqualTo(outline.size());
    }
  }

  @Property(tries = 100)
  void aStepRecordOfAnyAttemptReadsBackToItsEvent(@ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 40) int attempt) throws Exception {
    for (JournalEvent.Known e : List.<JournalEvent.Known>of(new JournalEvent.StepStarted("all/s", attempt),
        new JournalEvent.StepSucceeded("all/s", attempt, false, "", null))) {
      JournalRecord r = JournalRecord.of(2, "r", Instant.EPOCH, 0, e);

      byte[] line = JournalCodec.encode(r);

      assertThat(new String(line, StandardCharsets.UTF_8)).contains("\"data\":{\"attempt\":" + attempt + "}");
      assertThat(JournalCodec.decode(line, 0, line.length - 1).event()).isEqualTo(e);
    }
  }

  @Provide
  Arbitrary<List<String>> outline() {
    return text().list().ofMinSize(14).ofMaxSize(40).map(List::copyOf);
  }

  @Property(tries = 50)
  void aLoneSurrogateIsWrittenAsTheReplacementCharacter(@ForAll("text") String before) {
    JournalRecord r = new JournalRecord(1, 1, "r", "NOTE", Instant.EPOCH, 0, null, Map.of("message", before + "\uD800"));

    byte[] line = JournalCodec.encode(r);

    assertThat(new String(line, StandardCharsets.UTF_8)).contains(before.isEmpty() ? "\uFFFD" : "\uFFFD\"");
  }

  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
