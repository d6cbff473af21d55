package io.jindouyun.ipconfig.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WeightsTests {

  @Test
  void bestGetsFullWeightOthersRelativeWithTheFloor() {
    assertThat(Weights.fromScores(new double[] {0.8, 0.4, 0.05}, 0.1)).containsExactly(100, 50, 10);
  }

  @Test
  void roundsToTheNearestInteger() {
    assertThat(Weights.fromScores(new double[] {0.9, 0.3, 0.6}, 0)).containsExactly(100, 33, 67);
  }

  @Test
  void zeroFloorLetsAZeroScoreGetNoTraffic() {
    assertThat(Weights.fromScores(new double[] {0.5, 0}, 0)).containsExactly(100, 0);
  }

  @Test
  void allZeroScoresShareEqually() {
    assertThat(Weights.fromScores(new double[] {0, 0}, 0.2)).containsExactly(100, 100);
  }
}
