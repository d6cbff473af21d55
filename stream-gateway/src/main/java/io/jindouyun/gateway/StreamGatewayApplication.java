package io.jindouyun.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Entry point of the stream-gateway. */
@SpringBootApplication
public class StreamGatewayApplication {

  public static void main(String[] args) {
    SpringApplication.run(StreamGatewayApplication.class, args);
  }
}
