package io.jindouyun.exporter;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Entry point of the exporter-service. */
@SpringBootApplication
public class ExporterApplication {

  public static void main(String[] args) {
    SpringApplication.run(ExporterApplication.class, args);
  }
}
