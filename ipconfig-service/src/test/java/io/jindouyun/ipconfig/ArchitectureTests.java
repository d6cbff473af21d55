package io.jindouyun.ipconfig;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.jindouyun.testkit.ArchitectureRules;
import org.junit.jupiter.api.Test;

/**
 * Package rules on ipconfig's compiled main classes: no cycles between the feature packages; {@code
 * scoring} plain Java; {@code ranking} free of Spring, etcd and transports; only {@code watch} and
 * the wiring talk to etcd; nothing blocks.
 */
class ArchitectureTests {

  private static final String ROOT = "io.jindouyun.ipconfig";
  private static final JavaClasses MAIN = ArchitectureRules.mainClasses(ROOT);

  @Test
  void featurePackagesHaveNoCycles() {
    ArchitectureRules.featurePackagesAreFreeOfCycles(ROOT).check(MAIN);
  }

  /** Only the JDK and the shared etcd contract (plain Java too). */
  @Test
  void scoringIsPlainJava() {
    classes()
        .that()
        .resideInAPackage(ROOT + ".scoring..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage("java..", ROOT + ".scoring..", "io.jindouyun.contract..")
        .check(MAIN);
  }

  /** The best-list publisher hands changes to long polls as a Reactor {@code Flux}: allowed. */
  @Test
  void rankingUsesNoSpringEtcdKafkaNettyOrGrpc() {
    noClasses()
        .that()
        .resideInAPackage(ROOT + ".ranking..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.springframework..",
            "io.etcd..",
            "org.apache.kafka..",
            "io.netty..",
            "reactor.netty..",
            "io.grpc..")
        .check(MAIN);
  }

  @Test
  void onlyTheWatcherAndTheWiringTalkToEtcd() {
    noClasses()
        .that()
        .resideOutsideOfPackages(ROOT + ".watch..", ROOT)
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.etcd..")
        .check(MAIN);
  }

  @Test
  void nothingBlocksOrSleeps() {
    ArchitectureRules.nothingBlocks().check(MAIN);
  }
}
