package io.jindouyun.ipconfig.ranking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class OverrideParserTests {

  private final OverrideParser parser = new OverrideParser(JsonMapper.builder().build());

  @Test
  void emptyObjectIsTheScoreStrategy() throws Exception {
    assertThat(parser.parse("{}")).isEqualTo(RoutingOverride.NONE);
  }

  @Test
  void readsEveryField() throws Exception {
    RoutingOverride o =
        parser.parse("{\"strategy\":\"manual\",\"weights\":{\"a\":3,\"b\":0},\"drain\":[\"c\"]}");
    assertThat(o.strategy()).isEqualTo(Strategy.MANUAL);
    assertThat(o.weights()).isEqualTo(Map.of("a", 3, "b", 0));
    assertThat(o.drain()).isEqualTo(Set.of("c"));
  }

  @Test
  void rejectsInvalidOverridesWithAReason() {
    assertThatThrownBy(() -> parser.parse("{not json")).hasMessageStartingWith("not JSON");
    assertThatThrownBy(() -> parser.parse("[1]")).hasMessage("must be a JSON object");
    assertThatThrownBy(() -> parser.parse("{\"strategy\":\"random\"}"))
        .hasMessageContaining("strategy must be one of score, manual, hash, drain");
    assertThatThrownBy(() -> parser.parse("{\"weigths\":{}}"))
        .hasMessageContaining("unknown field 'weigths'");
    assertThatThrownBy(() -> parser.parse("{\"strategy\":\"manual\"}"))
        .hasMessageContaining("manual needs weights");
    assertThatThrownBy(() -> parser.parse("{\"strategy\":\"manual\",\"weights\":{\"a\":0}}"))
        .hasMessageContaining("manual needs weights");
    assertThatThrownBy(() -> parser.parse("{\"weights\":{\"a\":1.5}}"))
        .hasMessageContaining("weight of 'a' must be an integer 0..1000");
    assertThatThrownBy(() -> parser.parse("{\"weights\":{\"a\":1001}}"))
        .hasMessageContaining("weight of 'a'");
    assertThatThrownBy(() -> parser.parse("{\"weights\":{\"a~b\":1}}"))
        .hasMessageContaining("instance id 'a~b' must match");
    assertThatThrownBy(() -> parser.parse("{\"strategy\":\"drain\"}"))
        .hasMessageContaining("drain needs a non-empty drain list");
    assertThatThrownBy(() -> parser.parse("{\"drain\":\"a\"}"))
        .hasMessageContaining("drain must be an array");
  }
}
