package io.jindouyun.gateway;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.jindouyun.testkit.ArchitectureRules;
import org.junit.jupiter.api.Test;

/**
 * Package rules on the gateway's compiled main classes: no cycles between the feature packages; the
 * stream map pure logic (no framework or transport type, and of the gateway only {@code problem});
 * Kafka and etcd only in the Kafka adapters and the wiring; nothing blocks or sleeps.
 */
class ArchitectureTests {

  private static final String ROOT = "io.jindouyun.gateway";

  /** The Kafka and etcd adapters ({@code kafka}) and the wiring ({@code config}). */
  private static final String[] ADAPTERS = {ROOT + ".kafka..", ROOT + ".config.."};

  private static final JavaClasses MAIN = ArchitectureRules.mainClasses(ROOT);

  @Test
  void featurePackagesHaveNoCycles() {
    ArchitectureRules.featurePackagesAreFreeOfCycles(ROOT).check(MAIN);
  }

  @Test
  void theStreamMapUsesNoFrameworkOrTransport() {
    ArchitectureRules.noFrameworkIn(ROOT + ".stream..").check(MAIN);
  }

  @Test
  void theStreamMapUsesNoGatewayPackageButProblem() {
    classes()
        .that()
        .resideInAPackage(ROOT + ".stream..")
        .should()
        .onlyDependOnClassesThat(
            resideOutsideOfPackage(ROOT + "..")
                .or(resideInAnyPackage(ROOT + ".stream..", ROOT + ".problem..")))
        .check(MAIN);
  }

  @Test
  void onlyTheAdaptersUseKafkaOrEtcd() {
    noClasses()
        .that()
        .resideOutsideOfPackages(ADAPTERS)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.kafka..", "org.springframework.kafka..", "io.etcd..")
        .check(MAIN);
  }

  @Test
  void nothingBlocksOrSleeps() {
    ArchitectureRules.nothingBlocks().check(MAIN);
  }
}
