package io.jindouyun.exporter;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.jindouyun.testkit.ArchitectureRules;
import org.junit.jupiter.api.Test;

/**
 * Package rules on the exporter's compiled main classes: no cycles between the feature packages;
 * Spring only in the wiring (the root package); etcd only in {@code leader}, {@code publish},
 * {@code target} and the wiring; gRPC only in {@code pull}; the plain calculators free of framework
 * and transport types; nothing blocks.
 */
class ArchitectureTests {

  private static final String ROOT = "io.jindouyun.exporter";
  private static final JavaClasses MAIN = ArchitectureRules.mainClasses(ROOT);

  @Test
  void featurePackagesHaveNoCycles() {
    ArchitectureRules.featurePackagesAreFreeOfCycles(ROOT).check(MAIN);
  }

  @Test
  void onlyTheWiringUsesSpring() {
    noClasses()
        .that()
        .resideOutsideOfPackage(ROOT)
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.springframework..")
        .check(MAIN);
  }

  @Test
  void onlyTheEtcdAdaptersAndTheWiringUseEtcd() {
    noClasses()
        .that()
        .resideOutsideOfPackages(ROOT + ".leader..", ROOT + ".publish..", ROOT + ".target..", ROOT)
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.etcd..")
        .check(MAIN);
  }

  @Test
  void onlyThePullSideUsesGrpc() {
    noClasses()
        .that()
        .resideOutsideOfPackage(ROOT + ".pull..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.grpc..")
        .check(MAIN);
  }

  @Test
  void plainCalculatorsUseNoFrameworkOrTransport() {
    ArchitectureRules.checkNoFrameworkInClasses(
        MAIN, ROOT + ".publish.Batches", ROOT + ".pull.SnapshotStore");
  }

  @Test
  void nothingBlocksOrSleeps() {
    ArchitectureRules.nothingBlocks().check(MAIN);
  }
}
