package io.jindouyun.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosReportTests {

  private static final List<ChaosReport.Fault> FAULTS =
      List.of(
          new ChaosReport.Fault("gw-1", 10_000, 20_000),
          new ChaosReport.Fault("kafka", 40_000, 45_000));

  private static ChaosChat chat(long startMs, ChaosOutcome outcome, double ttftMs) {
    return new ChaosChat(0, startMs, outcome, ttftMs, 0, null);
  }

  @Test
  void aChatBelongsToTheFaultWhoseWindowHoldsItsStartFromLeadBeforeToSettleAfter() {
    assertThat(ChaosReport.windowOf(8_000, FAULTS, 2_000, 5_000).name()).isEqualTo("gw-1");
    assertThat(ChaosReport.windowOf(25_000, FAULTS, 2_000, 5_000).name()).isEqualTo("gw-1");
    assertThat(ChaosReport.windowOf(7_999, FAULTS, 2_000, 5_000)).isNull();
    assertThat(ChaosReport.windowOf(25_001, FAULTS, 2_000, 5_000)).isNull();
    assertThat(ChaosReport.windowOf(41_000, FAULTS, 2_000, 5_000).name()).isEqualTo("kafka");
  }

  @Test
  void overlappingWindowsGiveTheChatToTheEarlierFault() {
    List<ChaosReport.Fault> close =
        List.of(
            new ChaosReport.Fault("a", 10_000, 12_000), new ChaosReport.Fault("b", 13_000, 14_000));
    assertThat(ChaosReport.windowOf(12_500, close, 1_000, 1_000).name()).isEqualTo("a");
  }

  @Test
  void rowsCountOutcomesPerFaultThenOutsideAnyFaultThenAll() {
    List<ChaosChat> chats =
        List.of(
            chat(1_000, ChaosOutcome.EXACT, 100),
            chat(12_000, ChaosOutcome.EXACT, 300),
            chat(13_000, ChaosOutcome.LOST, -1),
            chat(41_000, ChaosOutcome.FAILED_HANDSHAKE, -1),
            chat(42_000, ChaosOutcome.DUPLICATED, 900));

    List<ChaosReport.Row> rows = ChaosReport.rows(chats, FAULTS, 0, 0);

    assertThat(rows)
        .extracting(ChaosReport.Row::window)
        .containsExactly("gw-1", "kafka", "no fault", "all");
    ChaosReport.Row gateway = rows.get(0);
    assertThat(gateway.chats()).isEqualTo(2);
    assertThat(gateway.count(ChaosOutcome.EXACT)).isEqualTo(1);
    assertThat(gateway.count(ChaosOutcome.LOST)).isEqualTo(1);
    assertThat(gateway.ttftP99Ms()).isEqualTo(300);
    ChaosReport.Row kafka = rows.get(1);
    assertThat(kafka.count(ChaosOutcome.FAILED_HANDSHAKE)).isEqualTo(1);
    assertThat(kafka.count(ChaosOutcome.DUPLICATED)).isEqualTo(1);
    assertThat(kafka.ttftP99Ms()).isEqualTo(900);
    assertThat(rows.get(2).chats()).isEqualTo(1);
    assertThat(rows.get(3).chats()).isEqualTo(5);
    assertThat(ChaosReport.markdown(rows))
        .contains("| gw-1 | 2 | 1 | 1 | 0 | 0 | 0 | - | 0 | 300 |");
  }

  @Test
  void aWindowWithoutFirstTokensHasNoTtft() {
    List<ChaosReport.Row> rows =
        ChaosReport.rows(List.of(chat(11_000, ChaosOutcome.FAILED_HANDSHAKE, -1)), FAULTS, 0, 0);
    assertThat(rows.get(0).ttftP99Ms()).isNaN();
    assertThat(ChaosReport.markdown(rows))
        .contains("| gw-1 | 1 | 0 | 0 | 0 | 0 | 1 | 1000 to 1000 | 0 | - |");
  }

  @Test
  void aFaultRowSaysWhenItsHandshakesFailedRelativeToTheKill() {
    List<ChaosChat> chats =
        List.of(
            chat(9_500, ChaosOutcome.FAILED_HANDSHAKE, -1),
            chat(10_500, ChaosOutcome.EXACT, 100),
            chat(13_200, ChaosOutcome.FAILED_HANDSHAKE, -1),
            chat(30_000, ChaosOutcome.FAILED_HANDSHAKE, -1));

    List<ChaosReport.Row> rows = ChaosReport.rows(chats, FAULTS, 1_000, 1_000);

    assertThat(rows.get(0).failingFromMs()).isEqualTo(-500);
    assertThat(rows.get(0).failingToMs()).isEqualTo(3_200);
    assertThat(rows.get(1).failingFromMs()).as("kafka: no failure in its window").isEqualTo(-1);
    assertThat(rows.get(2).failingFromMs()).as("no fault").isEqualTo(-1);
    assertThat(rows.get(2).count(ChaosOutcome.FAILED_HANDSHAKE)).isEqualTo(1);
  }

  @Test
  void anAfterSpanAddsARowOfTheChatsThatStartedJustAfterEachFaultsWindow() {
    List<ChaosChat> chats =
        List.of(
            chat(15_000, ChaosOutcome.EXACT, 500),
            chat(22_000, ChaosOutcome.EXACT, 120),
            chat(29_000, ChaosOutcome.EXACT, 130),
            chat(31_500, ChaosOutcome.EXACT, 900));

    List<ChaosReport.Row> rows = ChaosReport.rows(chats, FAULTS, 0, 1_000, 10_000);

    assertThat(rows)
        .extracting(ChaosReport.Row::window)
        .containsExactly("gw-1", "after gw-1", "kafka", "after kafka", "no fault", "all");
    ChaosReport.Row after = rows.get(1);
    assertThat(after.fromMs()).isEqualTo(21_000);
    assertThat(after.toMs()).isEqualTo(31_000);
    assertThat(after.chats()).isEqualTo(2);
    assertThat(after.ttftP99Ms()).isEqualTo(130);
    assertThat(rows.get(4).chats()).as("no fault holds them too").isEqualTo(3);
  }

  @Test
  void theNinetyNinthPercentileIsTheNearestRank() {
    double[] values = new double[200];
    for (int i = 0; i < values.length; i++) {
      values[i] = i + 1;
    }
    assertThat(ChaosReport.percentile(values, 99)).isEqualTo(198);
    assertThat(ChaosReport.percentile(new double[] {5}, 99)).isEqualTo(5);
  }

  @Test
  void faultLinesAreNameStartAndHealthyAndAnythingElseIsRejected() {
    assertThat(ChaosReport.Fault.parse(List.of("# fault start healthy", "", "etcd 100 250")))
        .containsExactly(new ChaosReport.Fault("etcd", 100, 250));
    assertThatThrownBy(() -> ChaosReport.Fault.parse(List.of("etcd 100")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("etcd 100");
  }

  @Test
  void aDoneChatIsExactDuplicatedOrGarbled() {
    assertThat(ChaosOutcome.ofDone("abc", "abc", false)).isEqualTo(ChaosOutcome.EXACT);
    assertThat(ChaosOutcome.ofDone("abc", "abc", true)).isEqualTo(ChaosOutcome.DUPLICATED);
    assertThat(ChaosOutcome.ofDone("abcc", "abc", false)).isEqualTo(ChaosOutcome.DUPLICATED);
    assertThat(ChaosOutcome.ofDone("abd", "abc", false)).isEqualTo(ChaosOutcome.GARBLED);
    assertThat(ChaosOutcome.ofDone("ab", "abc", false)).isEqualTo(ChaosOutcome.GARBLED);
  }
}
