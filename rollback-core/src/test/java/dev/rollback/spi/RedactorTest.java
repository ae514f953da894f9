package dev.rollback.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class RedactorTest {
  private static final String SLACK = "https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/XoXoSlackT0kenSECRET";

  @Test
  void hidesEveryTokenLikePathSegmentOfAWebhookUrlWhereverItIsEchoed() {
    Redactor r = Redactor.of(SLACK);
    String echoed = "500 Internal Server Error: POST /services/T0ABCDEF1/B0ABCDEF2/XoXoSlackT0kenSECRET not routed";
    assertThat(r.redact(echoed))
        .isEqualTo("500 Internal Server Error: POST /services/***/***/*** not routed")
        .doesNotContain("XoXoSlackT0kenSECRET", "T0ABCDEF1", "B0ABCDEF2");
    assertThat(r.redact("the token XoXoSlackT0kenSECRET alone")).isEqualTo("the token *** alone");
    assertThat(r.redact("whole: " + SLACK)).isEqualTo("whole: ***");
  }

  @Test
  void keepsPathSegmentsThatAreWordsSoMessagesStayReadable() {
    assertThat(Redactor.of(SLACK).redact("services hooks slack")).isEqualTo("services hooks slack");
  }

  @Test
  void hidesUserinfoAndQueryValuesIncludingShortCredentialParameters() {
    Redactor r = Redactor.of("https://bot:Hunter2pass@relay.example/in?token=QueryT0ken99&sig=ab&format=json");
    assertThat(r.redact("auth bot:Hunter2pass / Hunter2pass / QueryT0ken99 / sig=ab / json"))
        .isEqualTo("auth *** / *** / *** / *** / ***");
  }

  @Test
  void hidesThePasswordOfAJdbcUrlInEveryPlaceItCanBeWritten() {
    Redactor r = Redactor.of("jdbc:postgresql://app:PgUserPw1@127.0.0.1:5432/shop?password=PgQueryPw2&sslmode=disable");
    assertThat(r.redact("FATAL for app:PgUserPw1 and PgQueryPw2")).isEqualTo("FATAL for *** and ***");
    Redactor h2 = Redactor.of("jdbc:h2:mem:x;USER=sa;PASSWORD=H2Secret77");
    assertThat(h2.redact("Wrong user name or password H2Secret77")).isEqualTo("Wrong user name or password ***");
  }

  @Test
  void showsAUrlWithOnlyItsSecretPartsHidden() {
    String url = "jdbc:postgresql://127.0.0.1:5432/shop?user=app&password=PgQueryPw2";
    assertThat(Redactor.ofUrlSecrets(url).redact("cannot connect to " + url))
        .isEqualTo("cannot connect to jdbc:postgresql://127.0.0.1:5432/shop?user=app&password=***");
    assertThat(Redactor.ofUrlSecrets("http://127.0.0.1:4242/").isEmpty()).isTrue();
  }

  @Test
  void hidesEncodedFormsOfAFragment() {
    Redactor r = Redactor.of("s3cr3t/with space+plus");
    String encoded = URLEncoder.encode("s3cr3t/with space+plus", StandardCharsets.UTF_8);
    assertThat(r.redact(encoded)).isEqualTo("***");
    assertThat(r.redact(encoded.replace("+", "%20"))).isEqualTo("***");
    assertThat(r.redact(encoded.toLowerCase())).isEqualTo("***");
    assertThat(r.redact("s3cr3t\\/with space+plus")).isEqualTo("***");
    assertThat(r.redact(Base64.getEncoder().encodeToString("s3cr3t/with space+plus".getBytes(StandardCharsets.UTF_8))))
        .isEqualTo("***");
  }

  @Test
  void hidesCredentialsAsBasicAndPlainAuthenticationSendThem() {
    Redactor r = Redactor.ofCredentials("rollback", "SmtpPa55word");
    String basic = Base64.getEncoder().encodeToString("rollback:SmtpPa55word".getBytes(StandardCharsets.UTF_8));
    String plain = Base64.getEncoder().encodeToString("\0rollback\0SmtpPa55word".getBytes(StandardCharsets.UTF_8));
    assertThat(r.redact("Authorization: Basic " + basic + " AUTH PLAIN " + plain + " pw SmtpPa55word user rollback"))
        .isEqualTo("Authorization: Basic *** AUTH PLAIN *** pw *** user rollback");
  }

  @Test
  void combinesRedactorsAndDescribesExceptionsWithTheirCauses() {
    Redactor r = Redactor.of("TokenOne1234").and(Redactor.of("TokenTwo5678"));
    IOException e = new IOException("refused TokenOne1234", new IllegalStateException("echo TokenTwo5678"));
    assertThat(r.describe(e)).isEqualTo("IOException: refused *** (IllegalStateException: echo ***)");
    assertThat(r.toString()).doesNotContain("Token");
    assertThat(Redactor.none().redact("TokenOne1234")).isEqualTo("TokenOne1234");
    assertThat(Redactor.none().isEmpty()).isTrue();
    assertThat(r.redact(null)).isEmpty();
  }

  @Test
  void scrubsACauseChainKeepingClassNamesAndStackTraces() {
    IOException e = new IOException("echo Bearer TokenOne1234", new IllegalStateException("again TokenOne1234"));
    Redactor.RedactedException scrubbed = (Redactor.RedactedException) Redactor.of("TokenOne1234").scrub(e);
    assertThat(scrubbed).hasToString("java.io.IOException: echo Bearer ***");
    assertThat(scrubbed.getStackTrace()).isEqualTo(e.getStackTrace());
    assertThat(scrubbed.getCause()).hasToString("java.lang.IllegalStateException: again ***");
    assertThat(scrubbed.originalClass()).isEqualTo("java.io.IOException");
  }

  @Test
  void keepsACauseChainWithNothingToHideAsItIs() {
    java.net.ConnectException refused = new java.net.ConnectException("Connection refused");
    IOException e = new IOException("GET /apis failed", refused);
    assertThat(Redactor.of("TokenOne1234").scrub(e)).isSameAs(e);
    assertThat(Redactor.of("TokenOne1234").scrub(new IOException("fine", new IllegalStateException("TokenOne1234"))))
        .isInstanceOf(Redactor.RedactedException.class);
  }

  @Test
  void alwaysHidesAShortWholeValue() {
    assertThat(Redactor.of("pw").redact("the pw is pw")).isEqualTo("the *** is ***");
  }
}
