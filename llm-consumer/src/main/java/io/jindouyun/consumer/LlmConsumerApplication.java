package io.jindouyun.consumer;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Entry point of the llm-consumer. */
@SpringBootApplication
public class LlmConsumerApplication {

  public static void main(String[] args) {
    SpringApplication.run(LlmConsumerApplication.class, args);
  }
}
