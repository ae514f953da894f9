package dev.rollback.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.spi.Redactor;
import dev.rollback.test.EchoingHttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code secretRef} value never leaves the command: not in what it prints, not in the journal,
 * not in its reports — here a health check's bearer token, sent to a server that echoes it back.
 */
class SecretRefRedactionTest {
  private static final String TOKEN = "CliBearerT0kenSECRET0123";

  @TempDir Path dir;

  @Test
  void aSecretRefValueEchoedByAServerAppearsInNoOutputJournalOrReport() throws Exception {
    Files.writeString(dir.resolve("token.txt"), TOKEN + "\n");
    List<String> outputs = new ArrayList<>();
    try (EchoingHttpServer echo = EchoingHttpServer.start(500)) {
      Files.writeString(dir.resolve("plan.yaml"), """
          apiVersion: rollback.dev/v1alpha1
          kind: RollbackPlan
          metadata: {name: checkout}
          spec:
            checks:
              health: {type: http, url: "%shealth", bearerToken: {secretRef: {file: token.txt}}}
            stages:
              - name: a
                steps:
                  - type: wait
                    params: {duration: 10ms}
            verifiedBy: [health]
          """.formatted(echo.uri()));
      String[] common = {"--state-dir", dir.resolve("state").toString(), "--journal", dir.resolve("journal").toString()};
      String[] run = concat(new String[] {"run", dir.resolve("plan.yaml").toString(), "--run-id", "checkout-1", "--reason", "test"},
          common);
      Result r = rollback(run);
      assertThat(r.code).as(r.text).isNotZero();
      assertThat(echo.requests()).as("the server saw the token").anySatisfy(q -> assertThat(q).contains("Bearer " + TOKEN));
      outputs.add(r.text);
      for (String format : List.of("markdown", "json", "html", "postmortem")) {
        Result report = rollback(concat(new String[] {"report", "checkout-1", "--format", format}, common));
        assertThat(report.code).as(report.text).isZero();
        outputs.add(report.text);
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.endsWith("token.txt")).toList()) {
        outputs.add(f + ": " + Files.readString(f, StandardCharsets.ISO_8859_1));
      }
    }
    assertThat(String.join("\n", outputs)).as("the echo was reported, redacted").contains("Bearer ***");
    for (String o : outputs) assertThat(o).doesNotContain(TOKEN);
  }

  @Test
  void everyLineTheCommandPrintsPassesTheRedactorOfTheSecretsLoadedSoFar() {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    Redactor[] current = {Redactor.none()};
    PrintStream out = RedactingStream.wrap(new PrintStream(raw, true, StandardCharsets.UTF_8), () -> current[0]);
    out.println("before " + TOKEN);
    current[0] = Redactor.of("https://hooks.example/services/T0TEAM123/" + TOKEN);
    out.print("echo: /services/T0TEAM123/");
    out.print(TOKEN);
    out.println(" (end)");
    out.print("no newline " + TOKEN);
    out.flush();
    assertThat(raw.toString(StandardCharsets.UTF_8))
        .isEqualTo("before " + TOKEN + "\necho: /services/***/*** (end)\nno newline ***");
  }

  private record Result(int code, String text) {}

  private static Result rollback(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8) + "\n--- stderr\n" + err.toString(StandardCharsets.UTF_8));
  }

  private static String[] concat(String[] a, String[] b) {
    String[] c = new String[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

}
