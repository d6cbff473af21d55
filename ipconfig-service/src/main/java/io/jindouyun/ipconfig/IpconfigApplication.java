package io.jindouyun.ipconfig;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Entry point of the ipconfig-service. */
@SpringBootApplication
public class IpconfigApplication {

  public static void main(String[] args) {
    SpringApplication.run(IpconfigApplication.class, args);
  }
}
